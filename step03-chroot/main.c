/*
 * step03-chroot: give the container a root filesystem of its own.
 *
 * Step 02 plus a root filesystem. chroot() alone is not enough: a root
 * process walks out of it (see escape.c). So the child bind-mounts ROOTFS
 * onto itself, makes it its root with pivot_root(), and detaches the host's
 * old root, so that no path inside leads back to the host's files.
 *
 *     sudo ./step03 [-h|--hostname NAME] ROOTFS CMD [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*** errors ***/

#define EXIT_USAGE	 2 /* bad command line, as getopt-style tools do */
#define EXIT_RUNTIME	 125 /* the runtime itself failed (docker's convention) */
#define EXIT_CANNOT_EXEC 126 /* CMD was found but could not run (shell convention) */
#define EXIT_NOT_FOUND	 127 /* CMD was not found (shell convention) */

static const char *prog = "step03";

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

#define USAGE "usage: %s [-h|--hostname NAME] ROOTFS CMD [ARG...]"

/*** options ***/

/* Everything the command line can say, in one place. */
struct config {
	const char *hostname; /* the container's hostname (UTS namespace) */
	const char *rootfs; /* directory that becomes the container's "/" */
	char **argv; /* CMD and its arguments */
};

/*
 * Parse options up to the first non-option ('+' in optstring), so that
 * CMD's own options (`ls -l`) are left for CMD. Later steps add theirs to
 * longopts, to the switch and to struct config; nothing else here changes.
 */
static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option longopts[] = {
	    {"hostname", required_argument, NULL, 'h'},
	    {"help", no_argument, NULL, 'H'},
	    {0},
	};
	int opt;

	*cfg = (struct config){.hostname = "container"}; /* the defaults */
	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, "+h:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			cfg->hostname = optarg;
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

/* The child's first function, running in its new namespaces. */
static int child(void *arg)
{
	struct config *cfg = arg;

	release_signals();
	make_mounts_private();
	if (sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
		die_errno("sethostname %s", cfg->hostname);
	enter_rootfs(cfg->rootfs);
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

int main(int argc, char **argv)
{
	struct config cfg;
	pid_t pid;

	parse_options(argc, argv, &cfg);
	check_root();
	check_rootfs(cfg.rootfs);
	forward_signals();
	pid = spawn_child(&cfg);
	child_pid = pid;
	release_signals();

	return wait_for_child(pid);
}
