/*
 * step02-unshare: run the command in new namespaces.
 *
 * Step 01 plus namespaces. The child is now created with clone() instead of
 * fork(), with flags that give it its own hostname (UTS), process numbers
 * (PID), mount table (mount), System V IPC objects (IPC) and network stack
 * (net). Before anything else the child makes every mount private, so that
 * nothing it mounts can propagate back to the host.
 *
 *     sudo ./step02 [-h|--hostname NAME] CMD [ARG...]
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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/*** errors ***/

#define EXIT_USAGE	 2 /* bad command line, as getopt-style tools do */
#define EXIT_RUNTIME	 125 /* the runtime itself failed (docker's convention) */
#define EXIT_CANNOT_EXEC 126 /* CMD was found but could not run (shell convention) */
#define EXIT_NOT_FOUND	 127 /* CMD was not found (shell convention) */

static const char *prog = "step02";

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

#define USAGE "usage: %s [-h|--hostname NAME] CMD [ARG...]"

/*** options ***/

/* Everything the command line can say, in one place. */
struct config {
	const char *hostname; /* the container's hostname (UTS namespace) */
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
	forward_signals();
	pid = spawn_child(&cfg);
	child_pid = pid;
	release_signals();

	return wait_for_child(pid);
}
