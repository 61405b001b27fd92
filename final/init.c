/*
 * init.c: PID 1 of the container, the way docker --init (tini) does it.
 *
 * Step 04's README explains the PID 1 problem: orphans are re-parented to
 * PID 1, which must reap them or they stay zombies; and the kernel delivers
 * to PID 1 only the signals it has a handler for, so a CMD that relies on
 * SIGTERM's default action would ignore `final stop`. This init runs CMD as
 * its child, reaps everything, forwards every signal to CMD, and exits with
 * CMD's status.
 */
#define _GNU_SOURCE
#include "init.h"
#include "rootless.h"
#include "security.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Until every writer of FD is gone (EOF). */
static void wait_eof(int fd)
{
	char byte;

	while (read(fd, &byte, 1) < 0 && errno == EINTR)
		;
	close(fd);
}

/* "final-exec REPORT CMD [ARG...]": tiny-init's other use (tiny-init.c). */
static void exec_through(int exec_fd, char *const argv[], int report)
{
	char fd[16];
	const char **args;
	int n = 0;

	while (argv[n])
		n++;
	if (!(args = calloc(n + 3, sizeof(*args))))
		die("out of memory");
	snprintf(fd, sizeof(fd), "%d", report);
	args[0] = "final-exec", args[1] = fd;
	for (int i = 0; i < n; i++)
		args[i + 2] = argv[i];
	/* REPORT stays open through this execve; final-exec closes it with CMD's */
	if (fcntl(report, F_SETFD, 0) < 0)
		die_errno("fcntl");
	fexecve(exec_fd, (char *const *)args, environ);
	fcntl(report, F_SETFD, FD_CLOEXEC);
	warn_errno("execute %s", argv[0]);
	_exit(EXIT_CANNOT_EXEC);
}

void process_exec(const struct config *cfg, char *const argv[], harden_fn harden, int wait_fd,
		  int exec_fd)
{
	const int keep[] = {errors_reported_to(), wait_fd, exec_fd};

	/*
	 * CVE-2024-21626: no descriptor of the runtime reaches CMD, and none is
	 * open when a path is looked up (the working directory, CMD's path and
	 * its interpreter's at execve): a directory's /proc/self/fd/N/.. would
	 * be the host's tree. O_CLOEXEC is too late for that. The report pipe
	 * (not a directory) stays, and closes at CMD's execve.
	 */
	if (close_fds_but(keep, N_ELEMS(keep)) < 0)
		die_errno("close_range");
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", cfg->process.uid ? "/" : "/root", 1);
	if (cfg->hostname)
		setenv("HOSTNAME", cfg->hostname, 1);
	if (cfg->process.terminal)
		setenv("TERM", "xterm", 1);
	for (int i = 0; i < cfg->process.nenv; i++)
		putenv((char *)cfg->process.env[i]);
	/* Until the init's execve, /proc/1 is final's, its descriptors too (-w /proc/1/fd/N). */
	if (wait_fd >= 0)
		wait_eof(wait_fd);
	timing_mark("CMD waits for the init's execve");
	if (chdir(cfg->process.cwd ? cfg->process.cwd : "/") < 0)
		die_errno("chdir %s", cfg->process.cwd);
	harden(cfg); /* the user, capabilities, seccomp: see security.c */
	timing_mark("init+security");
	timing_report("container, until execve");
	if (exec_fd >= 0)
		exec_through(exec_fd, argv, errors_reported_to() >= 0 ? errors_reported_to() : 2);
	execvp(argv[0], argv); /* on success, the report descriptor closes: "ready" */
	if (errno == ENOENT) {
		warn("%s: command not found", argv[0]);
		_exit(EXIT_NOT_FOUND);
	}
	warn_errno("%s", argv[0]);
	_exit(EXIT_CANNOT_EXEC);
}

/* Make the terminal TTY CMD's controlling terminal and its stdin, stdout, stderr. */
static void attach_terminal(int tty)
{
	if (setsid() < 0 || ioctl(tty, TIOCSCTTY, 0) < 0)
		die_errno("make the terminal the controlling one");
	if (dup2(tty, 0) < 0 || dup2(tty, 1) < 0 || dup2(tty, 2) < 0)
		die_errno("dup2 the terminal");
	if (tty > 2)
		close(tty);
}

/*
 * tiny-init (tiny-init.c), which the Makefile builds and passes as TINY_INIT:
 * its bytes are part of final's own image.
 */
__asm__(".pushsection .rodata\n\t.balign 16\n"
	".global tiny_init\n\t.hidden tiny_init\ntiny_init:\n\t.incbin \"" TINY_INIT "\"\n"
	".global tiny_init_end\n\t.hidden tiny_init_end\ntiny_init_end:\n\t.popsection\n");
extern const char tiny_init[], tiny_init_end[];

int init_sealed_copy(void)
{
	int fd = security_sealed_copy(INIT_TITLE, tiny_init, tiny_init_end - tiny_init);

	/*
	 * Execute-only: a process whose file it may not read is not dumpable
	 * after execve (/proc/PID/mem, ptrace need CAP_SYS_PTRACE then), and
	 * the init runs as CMD's user, without CAP_DAC_OVERRIDE.
	 */
	if (fd >= 0 && fchmod(fd, 0111) < 0) {
		warn_errno("chmod the init's copy");
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * tiny-init needs no privilege: it signals CMD, which runs as the same user,
 * and reaps. Root's capabilities there would be one ptrace away (a process
 * of the container with --cap-add SYS_PTRACE can write /proc/1/mem): none,
 * as CMD's user, with no_new_privs. System calls only: CMD shares our
 * memory (below), and libcap would write to it.
 */
static void drop_privileges(const struct config *cfg, pid_t cmd, int ncaps)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {{0}};
	uid_t uid = cfg->process.uid;
	gid_t gid = cfg->process.gid;
	bool ok = true;

	/* (NCAPS: only those the kernel knows, so that none fails and sets errno, which
	 * is in the memory CMD shares) */
	for (int cap = 0; cap < ncaps; cap++) /* the bounding set: execve gives root no more */
		ok &= syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) == 0;
	ok &= syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0;
	/* the same limits as CMD (--ulimit) */
	for (int i = 0; i < cfg->security.nrlimits; i++)
		ok &= syscall(SYS_prlimit64, 0, cfg->security.rlimits[i].resource,
			      &cfg->security.rlimits[i].limit, NULL) == 0;
	/* (an ordinary user's namespace may not set groups: rootless.c) */
	ok &= syscall(SYS_setgroups, 0, NULL) == 0 || rootless();
	ok &= syscall(SYS_setresgid, gid, gid, gid) == 0 && syscall(SYS_setresuid, uid, uid, uid) == 0;
	ok &= syscall(SYS_capset, &header, data) == 0;
	/* and CMD's seccomp filter: a process of the container allowed to ptrace
	 * (--cap-add SYS_PTRACE) could make PID 1 run its code */
	ok &= syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	      security_load_prepared() == 0;
	if (!ok) {
		kill(cmd, SIGKILL);
		die_errno("drop the init's privileges");
	}
}

/* What CMD's process starts with: it shares the init's memory (below). */
struct cmd_start {
	const struct config *cfg;
	int tty_slave;
	harden_fn harden;
	int self;      /* tiny-init's sealed copy */
	int sealed[2]; /* EOF on [0] once the init has become tiny-init */
	sigset_t mask;	/* the signal mask to restore */
};

static int cmd_main(void *arg)
{
	const struct cmd_start *c = arg;

	close(c->sealed[1]);
	sigprocmask(SIG_SETMASK, &c->mask, NULL);
	if (c->tty_slave >= 0)
		attach_terminal(c->tty_slave);
	/* CMD waits for the init's execve (EOF on SEALED), and execs through tiny-init */
	process_exec(c->cfg, c->cfg->process.args, c->harden, c->sealed[0], c->self);
}

void init_run(const struct config *cfg, int tty_slave, harden_fn harden, int self)
{
	struct cmd_start c = {.cfg = cfg, .tty_slave = tty_slave, .harden = harden, .self = self};
	const size_t size = 1 << 20, page = sysconf(_SC_PAGESIZE);
	sigset_t all;
	char env[32], *stack;
	int ncaps;
	pid_t cmd;

	/*
	 * Every signal blocked from here: a blocked signal is never dropped on
	 * its way to PID 1 (without a handler, pid_namespaces(7)), and it waits,
	 * through our execve, for tiny-init to take it.
	 */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &c.mask);
	security_prepare(cfg); /* CMD's seccomp filter (built in: security.c), for both */
	ncaps = cap_max_bits();
	/*
	 * CVE-2024-21626's leaked descriptor, by another door: a directory the
	 * monitor left us (the record's, the cgroup's) would be the host's tree
	 * through /proc/1/fd/N/.. to a process in here allowed to ptrace. Our
	 * execve closes every one (and CMD's all of its copies): SEALED's write
	 * end too, which lets CMD go on.
	 */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		die_errno("close_range");
	if (pipe2(c.sealed, O_CLOEXEC) < 0)
		die_errno("pipe2");
	/* CMD's stack, with a guard page below it */
	stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		     -1, 0);
	if (stack == MAP_FAILED || mprotect(stack, page, PROT_NONE) < 0)
		die_errno("mmap");
	/*
	 * CMD in a process that shares our memory (CLONE_VM, as posix_spawn()
	 * starts one): fork() would copy the page tables and then fault on
	 * every page either of us writes first, 3 of the 7 ms from the end of
	 * the setup to CMD's execve on the development VM. It is safe because
	 * we touch nothing of that memory from here on (our own stack, and
	 * then our execve gives us a memory of our own and leaves this one to
	 * CMD), until CMD's execve gives CMD one too. The descriptors, the
	 * signal handlers, the credentials are each its own (no CLONE_FILES,
	 * CLONE_SIGHAND, CLONE_THREAD).
	 */
	cmd = clone(cmd_main, stack + size, CLONE_VM | SIGCHLD, &c);
	if (cmd < 0)
		die_errno("clone");
	/*
	 * Until now the init has been the runtime, cloned: its /proc/1/exe the
	 * runtime's file, its /proc/1/cmdline the runtime's command line (`final
	 * run -v /host/path:... /the/rootfs ...`), its memory the configuration.
	 * From here it is tiny-init, from a sealed copy (security.h), with
	 * nothing of ours. Nothing in the container saw it before: CMD is the
	 * first process there, and `final exec` waits for CMD's execve.
	 */
	drop_privileges(cfg, cmd, ncaps);
	snprintf(env, sizeof(env), "%s=%d", INIT_CMD_ENV, (int)cmd);
	fexecve(self, (char *[]){INIT_TITLE, NULL}, (char *[]){env, NULL});
	kill(cmd, SIGKILL);
	die_errno("execute the init (tiny-init)");
}
