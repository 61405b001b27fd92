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
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

void process_exec(const struct config *cfg, char *const argv[], harden_fn harden)
{
	clearenv();
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", cfg->process.uid ? "/" : "/root", 1);
	if (cfg->hostname)
		setenv("HOSTNAME", cfg->hostname, 1);
	if (cfg->process.terminal)
		setenv("TERM", "xterm", 1);
	for (int i = 0; i < cfg->process.nenv; i++)
		putenv((char *)cfg->process.env[i]);
	if (chdir(cfg->process.cwd ? cfg->process.cwd : "/") < 0)
		die_errno("chdir %s", cfg->process.cwd);
	harden(cfg); /* the user, capabilities, seccomp: see security.c */
	timing_mark("init+security");
	timing_report("container, until execve");
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

#define TITLE "final-init"

/*
 * The init is a clone of the runtime, so its /proc/1/cmdline, which anyone
 * in the container may read, would be the runtime's: `final run -v
 * /host/path:... /the/rootfs ...`. The kernel reads it from [arg_start,
 * arg_end) of our memory (/proc/PID/stat fields 48 and 49, proc(5)) and,
 * when the last byte there is not NUL, only up to the first NUL: so write
 * TITLE over it, as setproctitle() does. PR_SET_MM_ARG_START would need
 * CAP_SYS_RESOURCE, which root in a container (docker's) may not have.
 */
static void hide_runtime_args(void)
{
	char stat[2048], *p;
	unsigned long start, end;
	int field = 2; /* at the ')' that ends field 2, the command's name */

	if (read_file("/proc/self/stat", stat, sizeof(stat)) < 0 || !(p = strrchr(stat, ')')))
		return;
	for (; *p && field < 48; p++)
		field += *p == ' ';
	if (sscanf(p, "%lu %lu", &start, &end) != 2 || end <= start)
		return;
	memset((char *)start, 0, end - start);
	if (end - start > sizeof(TITLE)) {
		memcpy((char *)start, TITLE, sizeof(TITLE));
		((char *)end)[-1] = ' ';
	}
}

static void ignore(int sig)
{
	(void)sig;
}

void init_run(const struct config *cfg, int tty_slave, harden_fn harden)
{
	struct sigaction sa = {.sa_handler = ignore};
	sigset_t all, old;
	int hidden[2];
	char byte;
	pid_t cmd;

	/*
	 * A handler for every signal, or the kernel drops them on the way to
	 * PID 1 (pid_namespaces(7)); then block them all and take them one by
	 * one with sigwaitinfo(), so no handler ever runs.
	 */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if (pipe2(hidden, O_CLOEXEC) < 0)
		die_errno("pipe2");
	cmd = fork();
	if (cmd < 0)
		die_errno("fork");
	if (cmd == 0) {
		/* Not before the init's command line is hidden: EOF once it is. */
		close(hidden[1]);
		while (read(hidden[0], &byte, 1) < 0 && errno == EINTR)
			;
		sa.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				sigaction(sig, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (tty_slave >= 0)
			attach_terminal(tty_slave);
		process_exec(cfg, cfg->process.args, harden);
	}
	/* CMD has its own copy of the argv the configuration points into: ours can go. */
	hide_runtime_args();
	report_errors_to(-1); /* CMD's execve, not ours, says the container is ready */
	/*
	 * We never exec, so O_CLOEXEC closes nothing of what the monitor left us:
	 * a directory among it (the record's, the cgroup's) would be the host's
	 * tree through /proc/1/fd/N/.. to a process in here allowed to ptrace
	 * (CVE-2024-21626's leaked descriptor, by another door). Stdio only; this
	 * closes `hidden` too, which lets CMD go on.
	 */
	if (close_fds_but(-1) < 0)
		die_errno("close_range");
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), status;
		pid_t pid;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(cmd, sig);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			if (pid == cmd)
				_exit(WIFEXITED(status) ? WEXITSTATUS(status)
							: 128 + WTERMSIG(status));
	}
}
