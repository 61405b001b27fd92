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

static void ignore(int sig)
{
	(void)sig;
}

void init_run(const struct config *cfg, int tty_slave, harden_fn harden)
{
	struct sigaction sa = {.sa_handler = ignore};
	sigset_t all, old;
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
	cmd = fork();
	if (cmd < 0)
		die_errno("fork");
	if (cmd == 0) {
		sa.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				sigaction(sig, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (tty_slave >= 0)
			attach_terminal(tty_slave);
		process_exec(cfg, cfg->process.args, harden);
	}
	if (tty_slave >= 0)
		close(tty_slave);
	report_errors_to(-1); /* CMD's execve, not ours, says the container is ready */
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
