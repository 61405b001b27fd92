/*
 * harness.c: running the binary under test and reading kernel facts.
 */
#define _GNU_SOURCE
#define HARNESS_INTERNAL /* the helpers themselves, not the macros that record the caller */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *bin;
int cli_stage;
const char *test_rootfs;

/*** failures name the test's line ***/

static const char *caller_file = __FILE__;
static int caller_line;

void harness_at(const char *file, int line)
{
	caller_file = file;
	caller_line = line;
}

/* ck_assert_msg(), but reported at the line of the test that called the helper. */
#define fail_unless_at(cond, ...)                                                                  \
	do {                                                                                       \
		if (!(cond))                                                                       \
			_ck_assert_failed(caller_file, caller_line ? caller_line : __LINE__,       \
					  "Failure", __VA_ARGS__);                                 \
	} while (0)
#define fail_at(...) fail_unless_at(0, __VA_ARGS__)

/*** what belongs to this test (the leak checks look at nothing else) ***/

static pid_t started[256]; /* every process the test started: runtimes, tools */
static char final_state[128], final_data[128];
static int nstarted;
static bool tracking_cgroups; /* set by cgroup_tree(): note where containers run */
static char seen_cgroups[32][512]; /* cgroups (below a hierarchy's root) they were seen in */
static int nseen;
static int final_ids_fd = -1; /* inotify on FINAL_STATE/containers: final's container ids */
static char final_ids[64][32];
static int nfinal_ids;

/* Note the cgroups of PID's children (the containers BIN started) while they run. */
static void note_cgroups_of_children(pid_t pid)
{
	char path[64], cg[128], line[1024], where[512];
	const char *kids;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	kids = slurp(path);
	for (char *s = (char *)kids, *end; s && *s; s = end) {
		pid_t kid = strtol(s, &end, 10);
		FILE *f;

		if (end == s)
			break;
		snprintf(cg, sizeof(cg), "/proc/%d/cgroup", kid);
		f = fopen(cg, "r");
		while (f && fgets(line, sizeof(line), f)) {
			bool known = false;

			if (sscanf(line, "%*[^:]:%*[^:]:%511s", where) != 1 &&
			    sscanf(line, "%*[^:]::%511s", where) != 1)
				continue;
			for (int i = 0; i < nseen && !known; i++)
				known = strcmp(seen_cgroups[i], where) == 0;
			if (!known && strcmp(where, "/") && nseen < 32)
				snprintf(seen_cgroups[nseen++], sizeof(seen_cgroups[0]), "%s",
					 where);
		}
		if (f)
			fclose(f);
	}
}

/*** running things ***/

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int memfd_with(const char *name, const char *contents)
{
	int fd = memfd_create(name, 0);

	ck_assert_msg(fd >= 0, "memfd_create: %s", strerror(errno));
	if (contents)
		ck_assert_int_eq(write(fd, contents, strlen(contents)), (ssize_t)strlen(contents));
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* In the child: become UID (with its own group, no supplementary groups). */
static void drop_to(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	gid_t gid = pw ? pw->pw_gid : uid;

	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		_exit(124);
}

/* SIGKILL everything below PID, children first; whether there was anything. */
static bool kill_descendants(pid_t pid)
{
	char path[64];
	char *kids;
	bool any = false;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	kids = slurp(path) ? strdup(slurp(path)) : NULL;
	for (char *s = kids, *end; s && *s; s = end) {
		pid_t kid = strtol(s, &end, 10);

		if (end == s)
			break;
		kill_descendants(kid);
		kill(kid, SIGKILL);
		any = true;
	}
	free(kids);
	return any;
}

/* Whether our child PID is still running (it is not reaped). */
static bool running(pid_t pid)
{
	siginfo_t si = {0};

	return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
}

/*
 * Stop the runtimes PIDS[N] the way their containers end: SIGKILL what each
 * started, then give it 5 s to clean up after its container (cgroups, records,
 * links) and exit, as it does when the container dies; SIGKILL it only then.
 * A runtime SIGKILLed first leaves its cgroup behind, named after its PID: a
 * later run with the same PID found it (CI failed so).
 */
static void stop_runtimes(const pid_t *pids, int n)
{
	double deadline = now() + 5;
	bool left = false;

	for (int i = 0; i < n; i++) /* a process that started nothing (a server) goes at once */
		if (running(pids[i]) && !kill_descendants(pids[i]))
			kill(pids[i], SIGKILL);
	do {
		left = false;
		for (int i = 0; i < n; i++)
			left |= running(pids[i]);
		if (left)
			sleep_ms(10);
	} while (left && now() < deadline);
	for (int i = 0; i < n; i++)
		if (running(pids[i])) {
			kill_descendants(pids[i]);
			kill(pids[i], SIGKILL);
		}
}

/*** --userns=remap's user ***/

static char remap_user[32];

void use_test_remap_user(void)
{
	snprintf(remap_user, sizeof(remap_user), "final-test-%d", (int)getpid());
	ck_assert_msg(!getpwnam(remap_user), "the user %s exists already", remap_user);
	setenv("FINAL_REMAP_USER", remap_user, 1);
}

unsigned long remap_range_start(const char *file)
{
	char line[256], who[64];
	unsigned long start, count;
	FILE *f = fopen(file, "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%lu:%lu", who, &start, &count) == 3 &&
		    strcmp(who, remap_user) == 0) {
			fclose(f);
			return start;
		}
	if (f)
		fclose(f);
	return 0;
}

/*** a user of the test's own (rootless) ***/

static int remove_tree(const char *path);

static char test_user[32], test_home[64];

/*
 * userdel takes the user's group and its /etc/subuid and /etc/subgid lines
 * too. It refuses while a process of the user exists, zombies included:
 * what is left of them (a fuse-overlayfs daemon that ended, reparented to
 * us, the subreaper) is killed and reaped first.
 */
static void userdel(const char *name)
{
	struct passwd *pw = name[0] ? getpwnam(name) : NULL;
	struct dirent *e;
	pid_t pid;
	DIR *d;

	if (!pw)
		return;
	for (d = opendir("/proc"); d && (e = readdir(d));) {
		char path[64], want[32];
		const char *status;

		snprintf(path, sizeof(path), "/proc/%d/status", atoi(e->d_name));
		snprintf(want, sizeof(want), "\nUid:\t%u\t", (unsigned)pw->pw_uid);
		if (atoi(e->d_name) > 0 && (status = slurp(path)) && strstr(status, want))
			kill(atoi(e->d_name), SIGKILL);
	}
	if (d)
		closedir(d);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	pid = fork();
	if (pid == 0) {
		execlp("userdel", "userdel", name, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (getpwnam(name))
		fprintf(stderr, "harness: userdel %s failed: remove it by hand\n", name);
}

static void (*end_hooks[8])(void);
static int nend_hooks;

void at_test_end(void (*fn)(void))
{
	ck_assert(nend_hooks < 8);
	end_hooks[nend_hooks++] = fn;
}

/* What the test made outside its directories: hooks, users, the user's home. */
static void remove_test_remap_user(void)
{
	while (nend_hooks > 0)
		end_hooks[--nend_hooks]();
	userdel(remap_user);
	userdel(test_user);
	if (test_home[0])
		remove_tree(test_home);
}

uid_t use_test_user(bool ranges, const char **home)
{
	struct passwd *pw;
	char dir[128];
	int first = 400000 + getpid() % 1000 * 65536;

	snprintf(test_user, sizeof(test_user), "final-user-%d", (int)getpid());
	ck_assert_msg(!getpwnam(test_user), "the user %s exists already", test_user);
	snprintf(test_home, sizeof(test_home), "/tmp/final-user-XXXXXX");
	ck_assert(mkdtemp(test_home) != NULL && chmod(test_home, 0755) == 0);
	/* a system user gets no ranges from useradd; ranges are added to an ordinary one if its
	 * login.defs gave none */
	sh("useradd %s --no-create-home --home-dir %s --shell /bin/sh %s", ranges ? "" : "--system",
	   test_home, test_user);
	ck_assert((pw = getpwnam(test_user)) != NULL);
	if (ranges && !test_user_range("/etc/subuid"))
		sh("usermod --add-subuids %d-%d --add-subgids %d-%d %s", first, first + 65535,
		   first, first + 65535, test_user);
	ck_assert(chown(test_home, pw->pw_uid, pw->pw_gid) == 0);
	/* the user's directories: final's state and data go under them (rootless.c) */
	unsetenv("FINAL_STATE");
	unsetenv("FINAL_DATA");
	sh("mkdir -m 700 %s/run %s/data && chown %u:%u %s/run %s/data", test_home, test_home,
	   pw->pw_uid, pw->pw_gid, test_home, test_home);
	snprintf(dir, sizeof(dir), "%s/run", test_home);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	snprintf(dir, sizeof(dir), "%s/data", test_home);
	setenv("XDG_DATA_HOME", dir, 1);
	setenv("HOME", test_home, 1);
	*home = test_home;
	return pw->pw_uid;
}

const char *test_user_rootfs(uid_t uid)
{
	static char path[128];
	struct passwd *pw = getpwuid(uid);

	ck_assert(pw && test_home[0]);
	snprintf(path, sizeof(path), "%s/rootfs", test_home);
	sh("cp -a %s %s && chown -R %u:%u %s", test_rootfs, path, (unsigned)uid,
	   (unsigned)pw->pw_gid, path);
	return path;
}

unsigned long test_user_range(const char *file)
{
	char line[256], who[64];
	unsigned long start, count;
	FILE *f = fopen(file, "re");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]:%lu:%lu", who, &start, &count) == 3 &&
		    strcmp(who, test_user) == 0) {
			fclose(f);
			return start;
		}
	if (f)
		fclose(f);
	return 0;
}

/*
 * When a test ends (passed: atexit(); failed by an assertion: the wrapper
 * below): stop what it started and left running. Check would SIGKILL the
 * test's whole process group, runtimes first.
 */
static void stop_what_the_test_started(void)
{
	char records[160];
	struct dirent *e;
	DIR *d;

	stop_runtimes(started, nstarted);
	/* ...and final's detached containers in the test's own state directory: `rm -f` them */
	snprintf(records, sizeof(records), "%s/containers", final_state);
	if (cli_stage < 7 || !final_state[0] || !(d = opendir(records))) {
		remove_test_remap_user();
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			const char *const argv[] = {bin, "rm", "-f", e->d_name, NULL};
			pid_t pid = fork();

			if (pid == 0) {
				int null = open("/dev/null", O_RDWR);

				dup2(null, 1), dup2(null, 2);
				execv(bin, (char *const *)argv);
				_exit(127);
			}
			for (int i = 0; pid > 0 && i < 1000 && running(pid); i++)
				sleep_ms(10);
			if (pid > 0 && running(pid))
				kill(pid, SIGKILL);
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
	closedir(d);
	remove_test_remap_user(); /* once its containers are gone */
}

/*
 * A failed assertion ends the test with _exit(), which runs no atexit()
 * handler: the runner links with --wrap=_ck_assert_failed, so that every
 * failure comes here first and stops the test's runtimes, then reports.
 */
void __real__ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
    __attribute__((noreturn));
void __wrap__ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
    __attribute__((noreturn));
void __wrap__ck_assert_failed(const char *file, int line, const char *expr, const char *msg, ...)
{
	static char text[OUT_MAX * 2];
	va_list ap;

	if (msg) {
		va_start(ap, msg);
		vsnprintf(text, sizeof(text), msg, ap);
		va_end(ap);
	}
	stop_what_the_test_started();
	if (msg)
		__real__ck_assert_failed(file, line, expr, "%s", text);
	__real__ck_assert_failed(file, line, expr, NULL);
}

void proc_start(struct proc *p, const char *const argv[])
{
	static pid_t registered_in;
	int in_fd = p->input ? memfd_with("in", p->input) : open("/dev/null", O_RDONLY);

	/* Orphans of BIN come to us, so assert_no_process_left() can see them. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (registered_in != getpid()) { /* once in each test's process */
		registered_in = getpid();
		atexit(stop_what_the_test_started);
	}
	p->cmdline[0] = '\0';
	for (const char *const *a = argv; *a; a++)
		snprintf(p->cmdline + strlen(p->cmdline), sizeof(p->cmdline) - strlen(p->cmdline),
			 "%s%s", a == argv ? "" : " ", *a);
	p->out_fd = memfd_with("out", NULL);
	p->err_fd = memfd_with("err", NULL);
	p->out[0] = p->err[0] = '\0';
	if (p->tty) {
		p->tty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		ck_assert(p->tty_master >= 0 && grantpt(p->tty_master) == 0 &&
			  unlockpt(p->tty_master) == 0);
	}
	p->pid = fork();
	ck_assert_msg(p->pid >= 0, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		if (p->tty) { /* a session of its own, with the new terminal as its controlling one
			       */
			int tty;

			setsid();
			tty = open(ptsname(p->tty_master), O_RDWR);
			in_fd = p->out_fd = p->err_fd = tty;
		}
		dup2(in_fd, 0);
		dup2(p->out_fd, 1);
		dup2(p->err_fd, 2);
		if (p->uid)
			drop_to(p->uid);
		execv(argv[0], (char *const *)argv);
		dprintf(2, "harness: execv %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in_fd);
	if (nstarted < (int)(sizeof(started) / sizeof(started[0])))
		started[nstarted++] = p->pid;
}

static void read_output(struct proc *p)
{
	ssize_t n = pread(p->out_fd, p->out, OUT_MAX - 1, 0);

	p->out[n > 0 ? n : 0] = '\0';
	n = pread(p->err_fd, p->err, OUT_MAX - 1, 0);
	p->err[n > 0 ? n : 0] = '\0';
}

int proc_wait(struct proc *p, int timeout)
{
	double deadline = now() + timeout;
	int status;
	pid_t r;

	while ((r = waitpid(p->pid, &status, WNOHANG)) == 0 && now() < deadline) {
		if (tracking_cgroups)
			note_cgroups_of_children(p->pid);
		sleep_ms(5);
	}
	if (r == 0) {
		stop_runtimes(&p->pid, 1);
		waitpid(p->pid, &status, 0);
		read_output(p);
		p->status = -1;
		fail_at("still running after %d s: %s; stdout: %s stderr: %s", timeout, p->cmdline,
			p->out, p->err);
	}
	read_output(p);
	p->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return p->status;
}

bool proc_wait_output(struct proc *p, const char *needle, int timeout)
{
	double deadline = now() + timeout;
	siginfo_t si;

	while (now() < deadline) {
		read_output(p);
		if (strstr(p->out, needle))
			return true;
		si.si_pid = 0;
		if (waitid(P_PID, p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid)
			return false; /* it exited without printing NEEDLE */
		sleep_ms(5);
	}
	return false;
}

/* BIN OPTS... [ROOTFS] CMD... in a NULL-terminated array that lives on. */
static const char **ctr_argv(const char *const opts[], const char *const cmd[])
{
	static const char *argv[128];
	int n = 0;

	argv[n++] = bin;
	if (cli_stage >= 7) { /* final: docker's command line; --rm so no test leaves a record, */
		argv[n++] = "run"; /* -i so stdin passes through as in the steps */
		argv[n++] = "--rm";
		argv[n++] = "-i";
	}
	for (; opts && *opts && n < 64; opts++)
		argv[n++] = *opts;
	if (cli_stage >= 3)
		argv[n++] = test_rootfs;
	for (; *cmd && n < 126; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	return argv;
}

void ctr_start(struct proc *p, const char *const opts[], const char *const cmd[])
{
	proc_start(p, ctr_argv(opts, cmd));
}

int ctr_run(struct proc *p, const char *const opts[], const char *const cmd[])
{
	ctr_start(p, opts, cmd);
	return proc_wait(p, 30);
}

int ctr_run_in(struct proc *p, const char *rootfs, const char *const cmd[])
{
	const char *saved = test_rootfs;
	const char *argv[64] = {bin, rootfs};
	int n = 2;

	if (cli_stage >= 3) {
		test_rootfs = rootfs;
		ctr_run(p, NULL, cmd);
		test_rootfs = saved;
		return p->status;
	}
	for (; *cmd && n < 63; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	proc_start(p, argv);
	return proc_wait(p, 30);
}

int bin_run(struct proc *p, const char *const args[])
{
	const char *argv[64] = {bin};
	int n = 1;

	for (; *args && n < 63; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	proc_start(p, argv);
	return proc_wait(p, 60);
}

void ctr_start_ready(struct proc *p, const char *const opts[], const char *script)
{
	ctr_start(p, opts, CMD("/bin/sh", "-c", script));
	fail_unless_at(proc_wait_output(p, "ready", 10), "no 'ready' from %s; ran: %s; stderr: %s",
		       script, p->cmdline, p->err);
}

void ctr_kill(struct proc *p, pid_t child)
{
	kill(child, SIGKILL);
	proc_wait(p, 10);
}

pid_t ctr_child(struct proc *p)
{
	char path[64];
	double deadline = now() + 10;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", p->pid, p->pid);
	while (now() < deadline) {
		const char *s = slurp(path);

		if (s && atoi(s) > 0) {
			if (tracking_cgroups)
				note_cgroups_of_children(p->pid);
			return atoi(s);
		}
		sleep_ms(5);
	}
	fail_at("%s started no child within 10 s", p->cmdline);
	return -1;
}

const char *ctr_path(const char *path)
{
	static char buf[8][4096];
	static int next;
	char *out = buf[next++ % 8];

	snprintf(out, sizeof(buf[0]), "%s%s", cli_stage >= 3 ? "" : test_rootfs, path);
	return out;
}

/*** facts seen from the test's side ***/

unsigned long ns_inode(pid_t pid, const char *name)
{
	char path[64];
	struct stat st;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, name);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path, strerror(errno));
	return st.st_ino;
}

char *mount_points(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char *buf = NULL, line[4096], point[4096];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	ck_assert(f && out);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1)
			fprintf(out, "%s\n", point);
	fclose(f);
	fclose(out);
	return buf;
}

void enter_shared_mount_ns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS): %s", strerror(errno));
	/* Private first: on a systemd host our copies would still be peers of the host's. */
	ck_assert(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	ck_assert(mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) == 0);
}

void enter_private_uts_ns(void)
{
	ck_assert_msg(unshare(CLONE_NEWUTS) == 0, "unshare(CLONE_NEWUTS): %s", strerror(errno));
}

void enter_test_host_netns(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert(fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
	close(fd);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* rm -rf that never crosses into another filesystem (busybox's rm cannot promise that). */
static int remove_tree(const char *path)
{
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static char state_parent[64], data_parent[64];

/*
 * One parent directory per runner for every test's state and data: a test
 * that fails exits at once (Check's _exit) without its teardown, so the
 * runner removes the parents, whatever happened, when the stage is done.
 */
void make_test_final_parents(void)
{
	snprintf(state_parent, sizeof(state_parent), "/run/final-test-XXXXXX");
	snprintf(data_parent, sizeof(data_parent), "/var/tmp/final-test-XXXXXX");
	mkdir("/run", 0755);
	if (!mkdtemp(state_parent) || !mkdtemp(data_parent)) {
		perror("runner: mkdtemp for final's test directories");
		exit(2);
	}
}

void remove_test_final_parents(void)
{
	remove_tree(state_parent);
	remove_tree(data_parent);
}

void enter_test_final_dirs(void)
{
	char records[160];

	snprintf(final_state, sizeof(final_state), "%s/XXXXXX", state_parent);
	snprintf(final_data, sizeof(final_data), "%s/XXXXXX", data_parent);
	ck_assert(mkdtemp(final_state) && mkdtemp(final_data));
	/* Made here, and watched, so that the leak checks know this test's container ids. */
	snprintf(records, sizeof(records), "%s/containers", final_state);
	ck_assert(mkdir(records, 0700) == 0);
	final_ids_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert(final_ids_fd >= 0 && inotify_add_watch(final_ids_fd, records, IN_CREATE) >= 0);
	setenv("FINAL_STATE", final_state, 1);
	setenv("FINAL_DATA", final_data, 1);
}

/* How many entries DIR has; 0 when it does not exist. */
static int entries(const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, NULL), real = 0;

	for (int i = 0; i < n; i++) {
		real += names[i]->d_name[0] != '.';
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	return real;
}

/* Remove the test's directories; fail if final left a container or a layer in them. */
void check_test_final_dirs(void)
{
	char records[160], layers[160];
	int left;

	snprintf(records, sizeof(records), "%s/containers", final_state);
	snprintf(layers, sizeof(layers), "%s/containers", final_data);
	left = entries(records) + entries(layers);
	ck_assert(remove_tree(final_state) == 0 && remove_tree(final_data) == 0);
	ck_assert_msg(left == 0, "final left %d containers or layers behind", left);
}

void assert_no_process_left(void)
{
	double deadline = now() + 3;
	const char *left;
	char path[64];

	while (now() < deadline) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r < 0 && errno == ECHILD)
			return;
		if (r == 0)
			sleep_ms(10);
	}
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", getpid(), getpid());
	left = slurp(path);
	for (char *s = (char *)left, *end; s && *s; s = end) {
		pid_t pid = strtol(s, &end, 10);

		if (end == s)
			break;
		kill(pid, SIGKILL); /* only the ones we, the subreaper, inherited */
	}
	fail_at("processes still running after %s exited: %s", bin, left ? left : "?");
}

bool cgroup_v2(void)
{
	struct statfs fs;

	return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

const char *cgroup_dir(pid_t pid, const char *controller)
{
	static char dir[4096];
	char path[64], line[1024], list[256], where[900];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	ck_assert_msg(f, "open %s: %s", path, strerror(errno));
	dir[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char padded[260], want[64];

		list[0] = '\0';
		if (sscanf(line, "%*[^:]:%255[^:]:%899s", list, where) != 2 &&
		    sscanf(line, "%*[^:]::%899s", where) != 1)
			continue;
		snprintf(padded, sizeof(padded), ",%s,", list);
		snprintf(want, sizeof(want), ",%s,", controller);
		if (cgroup_v2() ? list[0] == '\0' : strstr(padded, want) != NULL) {
			snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s%s%s", cgroup_v2() ? "" : "/",
				 cgroup_v2() ? "" : controller, strcmp(where, "/") ? where : "");
			break;
		}
	}
	fclose(f);
	ck_assert_msg(dir[0], "no %s cgroup for pid %d", controller, pid);
	return dir;
}

static FILE *tree_out;

static int add_cgroup_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	if (type == FTW_D && ftw->level <= 2)
		fprintf(tree_out, "%s\n", path);
	return 0;
}

char *cgroup_tree(void)
{
	const char *roots_v1[] = {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu",
				  "/sys/fs/cgroup/pids",   "/sys/fs/cgroup/devices",
				  "/sys/fs/cgroup/cpuset", NULL}; /* step05's exercise 3 */
	const char *roots_v2[] = {"/sys/fs/cgroup", NULL};
	char *buf = NULL;
	size_t len = 0;

	tracking_cgroups = true; /* from now on, note where the test's containers run */
	tree_out = open_memstream(&buf, &len);
	for (const char **r = cgroup_v2() ? roots_v2 : roots_v1; *r; r++)
		nftw(*r, add_cgroup_dir, 16, FTW_PHYS);
	fclose(tree_out);
	return buf;
}

/* The lines of A that are not in B, each prefixed with MARK, appended to OUT. */
static void lines_missing(FILE *out, const char *mark, const char *a, const char *b)
{
	for (const char *line = a; *line;) {
		size_t n = strcspn(line, "\n");
		bool found = false;

		for (const char *l = b; *l && !found;) {
			size_t m = strcspn(l, "\n");

			found = m == n && strncmp(l, line, n) == 0;
			l += m + (l[m] == '\n');
		}
		if (!found)
			fprintf(out, "%s %.*s\n", mark, (int)n, line);
		line += n + (line[n] == '\n');
	}
}

void assert_unchanged(const char *what, char *before, char *after)
{
	char *diff = NULL;
	size_t len = 0;
	FILE *out;

	if (strcmp(before, after) != 0) {
		out = open_memstream(&diff, &len);
		lines_missing(out, "-", before, after);
		lines_missing(out, "+", after, before);
		fclose(out);
		fail_at("%s changed (- gone, + new):\n%s", what, diff[0] ? diff : "(the order)\n");
	}
	free(before);
	free(after);
}

void assert_bad_options(const char *const bad[][2], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct proc p = {0};

		ctr_run(&p, CMD(bad[i][0], bad[i][1]), CMD("/bin/true"));
		fail_unless_at(p.status == 125, "%s %s: exit %d, expected 125; ran: %s; stderr: %s",
			       bad[i][0], bad[i][1], p.status, p.cmdline, p.err);
		fail_unless_at(
		    strlen(p.err) > 1 && strchr(p.err, '\n') == p.err + strlen(p.err) - 1,
		    "%s %s: expected one line on stderr, got: '%s'", bad[i][0], bad[i][1], p.err);
		fail_unless_at(strstr(p.err, bad[i][1]),
			       "%s %s: the message does not name '%s': %s", bad[i][0], bad[i][1],
			       bad[i][1], p.err);
	}
}

/* The ids of the containers final made for this test, from the inotify events so far. */
static void collect_final_ids(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while (final_ids_fd >= 0 && (n = read(final_ids_fd, buf, sizeof(buf))) > 0)
		for (char *e = buf; e < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)e;

			if (ev->len && nfinal_ids < 64)
				snprintf(final_ids[nfinal_ids++], sizeof(final_ids[0]), "%s",
					 ev->name);
			e += sizeof(*ev) + ev->len;
		}
}

/* The directory below a hierarchy's root: "/containers-in-c/step05-123". */
static const char *below_root(const char *dir)
{
	const char *rel = dir + strlen("/sys/fs/cgroup");

	return cgroup_v2() ? rel : rel + strcspn(rel + 1, "/") + 1;
}

/* DIR (a new cgroup directory) belongs to one of this test's containers. */
static bool cgroup_is_ours(const char *dir)
{
	const char *rel = below_root(dir), *base = strrchr(dir, '/') + 1,
		   *dash = strrchr(base, '-');

	for (int i = 0; dash && i < nstarted; i++)
		if (atoi(dash + 1) == started[i] &&
		    strspn(dash + 1, "0123456789") == strlen(dash + 1))
			return true;
	for (int i = 0; i < nfinal_ids; i++)
		if (strcmp(base, final_ids[i]) == 0)
			return true;
	for (int i = 0; i < nseen; i++)
		if (strcmp(rel, seen_cgroups[i]) == 0)
			return true;
	return false;
}

/* DIR is one of the tutorial's parent cgroups and, after a moment, still there and empty. */
static bool parent_left_empty(const char *dir)
{
	const char *base = strrchr(dir, '/') + 1;
	bool has_children = false;
	struct dirent *e;
	DIR *d;

	if (strcmp(base, "containers-in-c") && strcmp(base, "final"))
		return false;
	sleep_ms(200); /* another runtime may be just about to fill it or remove it */
	d = opendir(dir);
	if (!d)
		return false;
	while ((e = readdir(d)) && !has_children)
		has_children = e->d_type == DT_DIR && e->d_name[0] != '.';
	closedir(d);
	return !has_children;
}

void assert_no_new_cgroups(char *before)
{
	char *after = cgroup_tree(), *line, *save, added[4096] = "";

	collect_final_ids();
	for (line = strtok_r(after, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char needle[4200];

		snprintf(needle, sizeof(needle), "%s\n", line);
		if (strstr(before, needle) || strlen(added) + strlen(needle) >= sizeof(added))
			continue;
		if (cgroup_is_ours(line) || parent_left_empty(line))
			strcat(added, needle);
	}
	free(before);
	free(after);
	fail_unless_at(added[0] == '\0', "cgroups of this test's containers left behind:\n%s",
		       added);
}

void test_data_dir(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "%s/%s-XXXXXX", getenv("FINAL_DATA"), name);
	ck_assert_msg(mkdtemp(dir), "mkdtemp %s: %s", dir, strerror(errno));
}

const char *slurp(const char *path)
{
	static char buf[OUT_MAX];
	int fd = open(path, O_RDONLY);
	ssize_t n, total = 0;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return buf;
}

/* Read the terminal until NEEDLE shows up (10 s at most); everything read so far. */
const char *tty_expect(int master, const char *needle)
{
	static char seen[8192];
	static size_t len;

	for (int i = 0; i < 200 && !strstr(seen, needle); i++) {
		struct timeval tv = {0, 50000};
		fd_set fds;
		ssize_t n;

		FD_ZERO(&fds);
		FD_SET(master, &fds);
		if (select(master + 1, &fds, NULL, NULL, &tv) > 0 &&
		    (n = read(master, seen + len, sizeof(seen) - 1 - len)) > 0)
			len += n, seen[len] = '\0';
	}
	fail_unless_at(strstr(seen, needle), "'%s' never appeared on the terminal:\n%s", needle,
		       seen);
	return seen;
}
