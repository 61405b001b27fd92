/*
 * step05-cgroups: limit the container's memory, CPU and number of processes.
 *
 * Step 04 plus control groups. The parent creates a cgroup for the container
 * (on cgroup v2, or on each v1 hierarchy: the layout is detected once, and a
 * flag picks the file names), writes the limits, and moves the child into it
 * while the child waits on a pipe, so the container never runs unlimited.
 * The child then enters a new cgroup namespace. When the kernel's OOM killer
 * ended the container, step05 says so; the cgroup is removed at exit.
 *
 *     sudo ./step05 [-h NAME] [-m|--memory SIZE] [--cpus N] [--pids-limit N] ROOTFS CMD [ARG...]
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*** errors ***/

#define EXIT_USAGE	 2 /* bad command line, as getopt-style tools do */
#define EXIT_RUNTIME	 125 /* the runtime itself failed (docker's convention) */
#define EXIT_CANNOT_EXEC 126 /* CMD was found but could not run (shell convention) */
#define EXIT_NOT_FOUND	 127 /* CMD was not found (shell convention) */

static const char *prog = "step05";

/* Print "PROG: MESSAGE" and exit with EXIT_RUNTIME. Never returns. */
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(EXIT_RUNTIME);
}

/* Print "PROG: MESSAGE: strerror(errno)" and exit with EXIT_RUNTIME. Never returns. */
static void die_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	va_end(ap);
	exit(EXIT_RUNTIME);
}

/* Like die_errno(), but return -1: for failures the caller must clean up after. */
static int warn_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	va_end(ap);
	errno = saved;
	return -1;
}

#define USAGE                                                                                      \
	"usage: %s [-h NAME] [-m|--memory SIZE] [--cpus N] [--pids-limit N] ROOTFS CMD [ARG...]"

/*** options ***/

/* Everything the command line can say, in one place. */
struct config {
	const char *hostname; /* the container's hostname (UTS namespace) */
	const char *rootfs; /* directory that becomes the container's "/" */
	char **argv; /* CMD and its arguments */
	const char *memory_arg; /* -m as the user wrote it, for messages */
	unsigned long long memory; /* bytes; 0: no limit */
	long cpu_quota; /* microseconds per CPU_PERIOD_US; 0: no limit */
	long pids_max; /* 0: no limit */
	int sync_pipe[2]; /* the child waits on [0] until it is in its cgroup */
};

#define CPU_PERIOD_US 100000 /* the scheduler period the quota is a share of: 100 ms */

/* "512k", "50M", "1g" or plain bytes; 0 for anything else. */
static unsigned long long parse_size(const char *s)
{
	unsigned long long n;
	int shift = 0;
	char *end;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || end == s || !isdigit((unsigned char)*s))
		return 0;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		shift = 10;
		break;
	case 'm':
		shift = 20;
		break;
	case 'g':
		shift = 30;
		break;
	case '\0':
		return n;
	default:
		return 0;
	}
	if (end[1] != '\0' || n > (~0ULL >> shift))
		return 0;
	return n << shift;
}

/* A user's bad value: one line, exit 125, before anything is created. */
static void bad_value(const char *what, const char *value, const char *hint)
{
	fprintf(stderr, "%s: bad %s '%s': %s\n", prog, what, value, hint);
	exit(EXIT_RUNTIME);
}

static void parse_limit(int opt, const char *arg, struct config *cfg)
{
	char *end;
	double cpus;

	switch (opt) {
	case 'm':
		cfg->memory_arg = arg;
		cfg->memory = parse_size(arg);
		if (cfg->memory == 0)
			bad_value("memory size", arg, "use bytes or a k, m or g suffix, like 50M");
		break;
	case 'c':
		cpus = strtod(arg, &end);
		if (end == arg || *end || !isfinite(cpus) || cpus < 0.01 || cpus > get_nprocs())
			bad_value("--cpus", arg, "use a number from 0.01 to the number of CPUs");
		cfg->cpu_quota = lround(cpus * CPU_PERIOD_US);
		break;
	case 'p':
		errno = 0;
		cfg->pids_max = strtol(arg, &end, 10);
		if (errno || end == arg || *end || cfg->pids_max < 1)
			bad_value("--pids-limit", arg, "use a whole number of at least 1");
		break;
	}
}

/*
 * Parse options up to the first non-option ('+' in optstring), so that
 * CMD's own options (`ls -l`) are left for CMD. Later steps add theirs to
 * longopts, to the switch and to struct config; nothing else here changes.
 */
static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
	    {"hostname", required_argument, NULL, 'h'},
	    {"memory", required_argument, NULL, 'm'},
	    {"cpus", required_argument, NULL, 'c'},
	    {"pids-limit", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'H'},
	    {0},
	};
	int opt;

	*cfg = (struct config){.hostname = "container"}; /* the defaults */
	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, "+h:m:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			cfg->hostname = optarg;
			break;
		case 'm':
		case 'c':
		case 'p':
			parse_limit(opt, optarg, cfg);
			break;
		case 'H':
			printf(USAGE "\n", prog);
			exit(0);
		default: /* unknown option, or one missing its value */
			fprintf(stderr, "%s: bad option %s; " USAGE "\n", prog, argv[optind - 1],
				prog);
			exit(EXIT_USAGE);
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, USAGE "\n", prog);
		exit(EXIT_USAGE);
	}
	cfg->rootfs = argv[optind];
	cfg->argv = &argv[optind + 1];
}

/*
 * Step 01 itself needs no privilege, but from step 02 on namespaces, mounts,
 * cgroups and the host's network all do: say so once, before touching any.
 */
static void check_root(void)
{
	if (geteuid() != 0)
		die("must run as root (namespaces, cgroups and the host's network need it): "
		    "try sudo");
}

/*** signals ***/

static volatile pid_t child_pid;

/* Pass the signal we caught on to the child; it decides what it means. */
static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static sigset_t forwarded; /* the signals forward_signals() passes on */

/*
 * Install the forwarder before the child exists, so that no signal can slip
 * through between fork() and sigaction(). The child's copy of the handler is
 * harmless (child_pid is 0 there), and execve() resets it to the default.
 * The signals stay blocked until child_pid is set (release_signals()): one
 * arriving in between would find no child to pass it to, and be lost.
 */
static void forward_signals(void)
{
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	sigemptyset(&forwarded);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0)
			die_errno("sigaction %d", sigs[i]);
		sigaddset(&forwarded, sigs[i]);
	}
	if (sigprocmask(SIG_BLOCK, &forwarded, NULL) < 0)
		die_errno("sigprocmask");
}

/* In the parent once child_pid is set, and in the child: let the signals in again. */
static void release_signals(void)
{
	if (sigprocmask(SIG_UNBLOCK, &forwarded, NULL) < 0)
		die_errno("sigprocmask");
}

/*** namespaces ***/

/*
 * One line of why per flag:
 *   CLONE_NEWUTS  sethostname() inside changes only the container's name.
 *   CLONE_NEWPID  the child is PID 1 of a new PID tree and cannot signal
 *                 (or see, once /proc is its own) the host's processes.
 *   CLONE_NEWNS   a copy of the mount table: mounts inside stay inside
 *                 (once propagation is private, see make_mounts_private).
 *   CLONE_NEWIPC  its own System V semaphores, queues and shared memory.
 *   CLONE_NEWNET  its own network stack: only a loopback device, down.
 * SIGCHLD is the signal the kernel sends us when the child exits, as fork does.
 */
#define CLONE_FLAGS                                                                                \
	(CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD)
#define STACK_SIZE (1024 * 1024)

/*
 * On a systemd machine "/" is a *shared* mount: a mount made in our new mount
 * namespace would propagate back to the host. Turning every mount into a
 * private one, recursively, cuts that link. This must come before any mount.
 * See mount_namespaces(7), "Shared subtrees".
 */
static void make_mounts_private(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("mount --make-rprivate /");
}

/*** rootfs ***/

/* glibc has no wrapper for pivot_root(2). */
static int sys_pivot_root(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old);
}

/* In the parent, before anything exists: a bad ROOTFS is one clear line. */
static void check_rootfs(const char *rootfs)
{
	struct stat st;

	if (stat(rootfs, &st) < 0)
		die_errno("rootfs %s", rootfs);
	if (!S_ISDIR(st.st_mode))
		die("rootfs %s: not a directory", rootfs);
}

/*
 * Make ROOTFS the container's "/" (after make_mounts_private(): pivot_root
 * refuses with EINVAL when a mount involved is shared).
 *   1. pivot_root needs the new root to be a mount point (EINVAL otherwise),
 *      so bind-mount ROOTFS onto itself.
 *   2. pivot_root(".", ".") from inside it: the new root becomes "/" and the
 *      old root is stacked on top of it, on "." (pivot_root(2), NOTES). This
 *      needs no put_old directory, so nothing is written into ROOTFS.
 *   3. Detach the old root: from now on no path leads to the host's files.
 *      MNT_DETACH because the host's mounts are still busy for others.
 *   4. chdir("/"), so that the working directory is inside the new root.
 */
static void enter_rootfs(const char *rootfs)
{
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno("mount --rbind %s %s", rootfs, rootfs);
	if (chdir(rootfs) < 0)
		die_errno("chdir %s", rootfs);
	if (sys_pivot_root(".", ".") < 0)
		die_errno("pivot_root %s", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno("umount2 the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");
}

/*** filesystems ***/

struct mount_spec {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
};

/*
 * Mounted in this order, after pivot_root, so that they belong to the
 * container's namespaces. Everywhere: nosuid (no setuid binary gains
 * privileges here), and nodev/noexec wherever devices or programs have no
 * business being.
 */
static const struct mount_spec pseudo_mounts[] = {
    /* proc of *our* PID namespace: ps and /proc/PID show only the container. */
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    /* sysfs read-only: reading devices is fine, retuning the host's is not. */
    {"sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    /* An empty /dev in memory instead of the host's devtmpfs, which holds every
     * disk. Not nodev: the nodes we create in it must work. */
    {"tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k"},
    /* A new devpts instance: the container sees only its own terminals. */
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"},
    /* POSIX shared memory (shm_open), shared by the container's processes only. */
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m"},
    /* Scratch space in memory: writes to /tmp never reach ROOTFS on disk. */
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
};

/* The character devices every program may expect (see devices.txt in the kernel docs). */
static const struct device {
	const char *path;
	unsigned int major, minor;
} devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

/* Symbolic links that programs (and shells' `<(...)`) expect in /dev. */
static const char *const dev_links[][2] = {
    {"pts/ptmx", "/dev/ptmx"},		{"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},	{"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void mount_pseudo_filesystems(void)
{
	for (size_t i = 0; i < N_ELEMS(pseudo_mounts); i++) {
		const struct mount_spec *m = &pseudo_mounts[i];

		if (mkdir(m->target, 0755) < 0 && errno != EEXIST)
			die_errno("mkdir %s", m->target);
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
			die_errno("mount %s on %s", m->fstype, m->target);
	}
}

/* Fill the new /dev: a few device nodes, mode 0666, and the usual links. */
static void populate_dev(void)
{
	for (size_t i = 0; i < N_ELEMS(devices); i++) {
		const struct device *d = &devices[i];

		if (mknod(d->path, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0)
			die_errno("mknod %s", d->path);
		if (chmod(d->path, 0666) < 0) /* mknod's mode is filtered by the umask */
			die_errno("chmod %s", d->path);
	}
	for (size_t i = 0; i < N_ELEMS(dev_links); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0)
			die_errno("symlink %s -> %s", dev_links[i][1], dev_links[i][0]);
}

/*** cgroups ***/

#define CGROUP_ROOT   "/sys/fs/cgroup"
#define CGROUP_PARENT "containers-in-c" /* one parent for all the tutorial's containers */

static const char *const controllers[] = {"memory", "cpu", "pids"};

/*
 * cgroup v2 has one hierarchy with every controller; v1 has one per
 * controller (/sys/fs/cgroup/memory, .../cpu, .../pids). "Hybrid" is v1 plus
 * an empty v2 hierarchy at /sys/fs/cgroup/unified: we use its v1 side.
 */
struct cgroup {
	bool v2;
	const char *mode; /* "v2", "v1" or "hybrid", for messages */
	char name[64]; /* the container's cgroup, under CGROUP_PARENT */
};

/* Detected once, as crun does: the type of the filesystem at /sys/fs/cgroup. */
static void detect_cgroups(struct cgroup *cg)
{
	struct statfs fs;

	if (statfs(CGROUP_ROOT, &fs) < 0)
		die_errno("statfs %s", CGROUP_ROOT);
	cg->v2 = fs.f_type == CGROUP2_SUPER_MAGIC;
	if (cg->v2)
		cg->mode = "v2";
	else if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		cg->mode = "hybrid";
	else
		cg->mode = "v1";
}

/* The directory of CONTROLLER's parent (NAME NULL) or container cgroup. */
static void cgroup_path(const struct cgroup *cg, const char *controller, const char *name,
			char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s%s%s", CGROUP_ROOT, cg->v2 ? "" : controller,
			 cg->v2 ? "" : "/", CGROUP_PARENT);

	if (name)
		snprintf(buf + n, size - n, "/%s", name);
}

/*
 * PROG-PID; but PIDs are reused, and a runtime that was SIGKILLed could not
 * remove its cgroup. Such a name is never reused nor removed (a runtime in
 * another PID namespace may have our PID's number, and be filling it now):
 * the next free one then, PROG-PID.2, .3, ...
 */
static void name_cgroup(struct cgroup *cg)
{
	char path[512];
	bool taken = true;

	for (int n = 1; taken && n < 100; n++) {
		snprintf(cg->name, sizeof(cg->name), n == 1 ? "%s-%d" : "%s-%d.%d", prog,
			 (int)getpid(), n);
		taken = false;
		for (size_t i = 0; i < (cg->v2 ? 1 : N_ELEMS(controllers)); i++) {
			cgroup_path(cg, controllers[i], cg->name, path, sizeof(path));
			taken |= access(path, F_OK) == 0;
		}
	}
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -1 : 0;
}

/* Write VALUE to FILE of the container's cgroup for CONTROLLER. */
static int cgroup_write(const struct cgroup *cg, const char *controller, const char *file,
			const char *value)
{
	char path[512];

	cgroup_path(cg, controller, cg->name, path, sizeof(path) - 64);
	strcat(strcat(path, "/"), file);
	if (write_file(path, value) < 0)
		return warn_errno("write %s to %s", value, path);
	return 0;
}

/*
 * v2 only: a controller is usable in a cgroup only if its parent lists it in
 * cgroup.subtree_control, from the root down. And a cgroup that holds
 * processes cannot hand controllers to its children ("no internal
 * processes"): hence one empty parent, directly under the root.
 */
static int enable_controllers(const char *dir)
{
	char path[512], value[32];

	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	for (size_t i = 0; i < N_ELEMS(controllers); i++) {
		snprintf(value, sizeof(value), "+%s", controllers[i]);
		if (write_file(path, value) < 0)
			return warn_errno("write %s to %s", value, path);
	}
	return 0;
}

/* Make the parent and the container's cgroup, on every hierarchy we use. */
static int cgroup_create(const struct cgroup *cg)
{
	char path[512];

	if (cg->v2 && enable_controllers(CGROUP_ROOT) < 0)
		return -1;
	for (size_t i = 0; i < (cg->v2 ? 1 : N_ELEMS(controllers)); i++) {
		cgroup_path(cg, controllers[i], NULL, path, sizeof(path));
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return warn_errno("mkdir %s (cgroup %s)", path, cg->mode);
		if (cg->v2 && enable_controllers(path) < 0)
			return -1;
		cgroup_path(cg, controllers[i], cg->name, path, sizeof(path));
		if (mkdir(path, 0755) < 0)
			return warn_errno("mkdir %s", path);
	}
	return 0;
}

/* Optional files: swap accounting may be compiled out or disabled (ENOENT). */
static int cgroup_write_optional(const struct cgroup *cg, const char *controller, const char *file,
				 const char *value)
{
	char path[512];

	cgroup_path(cg, controller, cg->name, path, sizeof(path) - 64);
	strcat(strcat(path, "/"), file);
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	return cgroup_write(cg, controller, file, value);
}

/* One code path for both versions; the flag picks the file names. */
static int cgroup_set_limits(const struct cgroup *cg, const struct config *cfg)
{
	char value[64];

	if (cfg->memory) {
		snprintf(value, sizeof(value), "%llu", cfg->memory);
		if (cgroup_write(cg, "memory", cg->v2 ? "memory.max" : "memory.limit_in_bytes",
				 value) < 0)
			return -1;
		/* No swap on top of the limit: v2 limits swap separately, v1 memory+swap. */
		if (cgroup_write_optional(
			cg, "memory", cg->v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
			cg->v2 ? "0" : value) < 0)
			return -1;
	}
	if (cfg->cpu_quota) {
		snprintf(value, sizeof(value), "%ld %d", cfg->cpu_quota, CPU_PERIOD_US);
		if (cg->v2 && cgroup_write(cg, "cpu", "cpu.max", value) < 0)
			return -1;
		if (!cg->v2 &&
		    (cgroup_write(cg, "cpu", "cpu.cfs_period_us", value + strcspn(value, " ") + 1) <
			 0 ||
		     cgroup_write(cg, "cpu", "cpu.cfs_quota_us", strtok(value, " ")) < 0))
			return -1;
	}
	if (cfg->pids_max) {
		snprintf(value, sizeof(value), "%ld", cfg->pids_max);
		if (cgroup_write(cg, "pids", "pids.max", value) < 0)
			return -1;
	}
	return 0;
}

/* Move PID into the container's cgroup on every hierarchy. */
static int cgroup_add(const struct cgroup *cg, pid_t pid)
{
	char value[32];

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (size_t i = 0; i < (cg->v2 ? 1 : N_ELEMS(controllers)); i++)
		if (cgroup_write(cg, controllers[i], "cgroup.procs", value) < 0)
			return -1;
	return 0;
}

/* How many processes the OOM killer killed in the container's cgroup. */
static long cgroup_oom_kills(const struct cgroup *cg)
{
	char path[512], line[128];
	long kills = 0;
	FILE *f;

	cgroup_path(cg, "memory", cg->name, path, sizeof(path) - 64);
	strcat(path, cg->v2 ? "/memory.events" : "/memory.oom_control");
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %ld", &kills) == 1)
			break;
	fclose(f);
	return kills;
}

/*
 * Remove the container's cgroups, then the parent if no other container
 * uses it. rmdir fails with EBUSY while the last processes are still being
 * torn down after PID 1 exited, so retry for a moment.
 */
static void cgroup_remove(const struct cgroup *cg)
{
	char path[512];

	for (size_t i = 0; i < (cg->v2 ? 1 : N_ELEMS(controllers)); i++) {
		cgroup_path(cg, controllers[i], cg->name, path, sizeof(path));
		for (int tries = 0; rmdir(path) < 0 && errno == EBUSY && tries < 200; tries++)
			usleep(10000);
		if (access(path, F_OK) == 0)
			warn_errno("rmdir %s", path);
		cgroup_path(cg, controllers[i], NULL, path, sizeof(path));
		rmdir(path); /* fails (ENOTEMPTY, EBUSY) while other containers run: fine */
	}
}

/*** child ***/

/*
 * Replace this process with CMD. execvp() only returns on failure; we then
 * exit the way a shell would: 127 when CMD does not exist, 126 when it exists
 * but cannot be run (not executable, a directory, a bad binary).
 */
static void exec_command(char **argv)
{
	execvp(argv[0], argv);
	if (errno == ENOENT) {
		fprintf(stderr, "%s: %s: command not found\n", prog, argv[0]);
		_exit(EXIT_NOT_FOUND);
	}
	fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
	_exit(EXIT_CANNOT_EXEC);
}

/*
 * Block until the parent has put us in our cgroup: it writes one byte when
 * we are. EOF means it failed (or died); then we must not run at all.
 */
static void wait_for_cgroup(struct config *cfg)
{
	char byte;

	close(cfg->sync_pipe[1]);
	if (read(cfg->sync_pipe[0], &byte, 1) != 1)
		_exit(EXIT_RUNTIME);
	close(cfg->sync_pipe[0]);
}

/* The child's first function, running in its new namespaces. */
static int child(void *arg)
{
	struct config *cfg = arg;

	release_signals();
	wait_for_cgroup(cfg);
	/* Only now: a cgroup namespace's "/" is the cgroup we are in when we enter it. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		die_errno("unshare(CLONE_NEWCGROUP)");
	make_mounts_private();
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		die_errno("sethostname %s", cfg->hostname);
	enter_rootfs(cfg->rootfs);
	mount_pseudo_filesystems();
	populate_dev();
	exec_command(cfg->argv);
	return EXIT_RUNTIME; /* not reached */
}

/*** parent ***/

/*
 * clone() rather than unshare() + fork(): unshare(CLONE_NEWPID) does not move
 * the caller into the new PID namespace, only its *next* child. clone() with
 * the flags creates the child directly inside every new namespace at once.
 */
static pid_t spawn_child(struct config *cfg)
{
	char *stack = malloc(STACK_SIZE);
	pid_t pid;

	if (!stack)
		die("out of memory for the child's stack");
	pid = clone(child, stack + STACK_SIZE, CLONE_FLAGS, cfg); /* the stack grows down */
	if (pid < 0 && errno == EPERM)
		die("clone: %s (creating namespaces needs root: try sudo)", strerror(errno));
	if (pid < 0)
		die_errno("clone");
	return pid;
}

/* Wait for the child and turn its status into a shell-style exit code. */
static int wait_for_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid %d", (int)pid);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status); /* killed by a signal, as $? reports it */
}

/* Explain a death by SIGKILL when the cgroup's OOM counter says it was the OOM killer. */
static void report_oom(const struct cgroup *cg, const struct config *cfg, int status)
{
	if (status == 128 + SIGKILL && cfg->memory && cgroup_oom_kills(cg) > 0)
		fprintf(stderr, "%s: container killed: out of memory (limit %s)\n", prog,
			cfg->memory_arg);
}

/*
 * The order matters: the child is created first but blocks on the pipe; the
 * parent makes the cgroup, writes the limits, moves the child in, and only
 * then lets it go on. Whatever happens after the cgroup exists, it is removed.
 */
int main(int argc, char **argv)
{
	struct config cfg;
	struct cgroup cg;
	int status;
	pid_t pid;

	parse_options(argc, argv, &cfg);
	check_root();
	check_rootfs(cfg.rootfs);
	detect_cgroups(&cg);
	name_cgroup(&cg);
	forward_signals();
	if (pipe2(cfg.sync_pipe, O_CLOEXEC) < 0)
		die_errno("pipe2");
	pid = spawn_child(&cfg);
	child_pid = pid;
	release_signals();
	close(cfg.sync_pipe[0]);

	if (cgroup_create(&cg) < 0 || cgroup_set_limits(&cg, &cfg) < 0 ||
	    cgroup_add(&cg, pid) < 0) {
		kill(pid, SIGKILL);
		wait_for_child(pid);
		status = EXIT_RUNTIME;
		goto out_cgroup;
	}
	if (write(cfg.sync_pipe[1], "1", 1) != 1) /* go */
		warn_errno("write to the child's pipe");
	close(cfg.sync_pipe[1]);
	status = wait_for_child(pid);
	report_oom(&cg, &cfg, status);
out_cgroup:
	cgroup_remove(&cg);
	return status;
}
