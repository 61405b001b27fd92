/*
 * step01-fork: run a command in a child process.
 *
 * Every container starts life as an ordinary child process. This step is the
 * skeleton that later steps grow: parse the command line, create a child, run
 * the command in it, wait, and hand back its exit status the way a shell does.
 * There is no isolation yet: the child sees everything its parent sees.
 *
 * The scaffolding every later step keeps unchanged is here too: one struct
 * config filled by getopt_long(), --help, die()/die_errno(), the root check.
 *
 *     sudo ./step01 CMD [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*** errors ***/

#define EXIT_USAGE	 2 /* bad command line, as getopt-style tools do */
#define EXIT_RUNTIME	 125 /* the runtime itself failed (docker's convention) */
#define EXIT_CANNOT_EXEC 126 /* CMD was found but could not run (shell convention) */
#define EXIT_NOT_FOUND	 127 /* CMD was not found (shell convention) */

static const char *prog = "step01";

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

#define USAGE "usage: %s CMD [ARG...]"

/*** options ***/

/* Everything the command line can say, in one place. */
struct config {
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
	    {"help", no_argument, NULL, 'H'},
	    {0},
	};
	int opt;

	*cfg = (struct config){0}; /* the defaults */
	opterr = 0; /* we print our own one-line errors */
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (opt) {
		case 'H':
			printf(USAGE "\n", prog);
			exit(0);
		default: /* unknown option, or one missing its value */
			fprintf(stderr, "%s: bad option %s; " USAGE "\n", prog, argv[optind - 1],
				prog);
			exit(EXIT_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, USAGE "\n", prog);
		exit(EXIT_USAGE);
	}
	cfg->argv = &argv[optind];
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

/*** parent ***/

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
	forward_signals();
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		release_signals();
		exec_command(cfg.argv);
	}
	child_pid = pid;
	release_signals();

	return wait_for_child(pid);
}
