/*
 * step01-fork: run a command in a child process.
 *
 * Every container starts life as an ordinary child process. This step is the
 * skeleton that later steps grow: parse the command line, create a child, run
 * the command in it, wait, and hand back its exit status the way a shell does.
 * There is no isolation yet: the child sees everything its parent sees.
 *
 *     sudo ./step01 CMD [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*** errors ***/

#define EXIT_USAGE	 2   /* bad command line, as getopt-style tools do */
#define EXIT_RUNTIME	 125 /* the runtime itself failed (docker's convention) */
#define EXIT_CANNOT_EXEC 126 /* CMD was found but could not run (shell convention) */
#define EXIT_NOT_FOUND	 127 /* CMD was not found (shell convention) */

static const char *prog = "step01";

/* Print "step01: MESSAGE: strerror(errno)" and exit with EXIT_RUNTIME. Never returns. */
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

static void usage(void)
{
	fprintf(stderr, "usage: %s CMD [ARG...]\n", prog);
	exit(EXIT_USAGE);
}

/*** signals ***/

static volatile pid_t child_pid;

/* Pass the signal we caught on to the child; it decides what it means. */
static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/*
 * Install the forwarder before the child exists, so that no signal can slip
 * through between fork() and sigaction(). The child's copy of the handler is
 * harmless (child_pid is 0 there), and execve() resets it to the default.
 */
static void forward_signals(void)
{
	const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			die_errno("sigaction %d", sigs[i]);
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
	pid_t pid;

	if (argc < 2)
		usage();

	forward_signals();
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0)
		exec_command(&argv[1]);
	child_pid = pid;

	return wait_for_child(pid);
}
