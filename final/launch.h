/*
 * launch.h: create, start, kill: the lifecycle both command lines share.
 *
 * `final run` (container.c) and final-oci's create/start/delete (bundle.c)
 * bring a container up the same way, the OCI runtime spec's:
 *
 *   create: clone the first process into its new namespaces; it waits on a
 *     pipe while the caller does the host's half (cgroup, id maps, veth,
 *     hooks: PREPARE); then it sets itself up (SETUP), writes the mark
 *     into the ready pipe and closes it: "created" means complete. A line
 *     it writes there instead says why not; EOF without the mark, that it
 *     died. It then waits at a gate, the FIFO FIFO (or, FIFO NULL, a
 *     socket only the caller holds)...
 *   start: ...until somebody writes a byte into it (launch_start(),
 *     launch_go()); it becomes the container's process (RUN).
 *   kill: by pidfd, never by a bare number, and until it is gone.
 *
 * The two command lines differ in what PREPARE, SETUP and RUN do, not in
 * how a container comes to be: `final run` is create + start + wait,
 * `final create` + `final start` the same in two commands.
 *
 * GATED (`final run`): RUN comes at once after SETUP, writes the mark just
 * before it executes a program that waits at the gate (tiny-init.c), and
 * that execve closes the ready pipe (O_CLOEXEC): EOF after the mark says
 * "created", a line after the mark that the execve failed (a death in
 * between, as a death just after). A created container's first process is
 * that program, with nothing of the runtime's. SHARED (GATED, where
 * launch_can_share()): the child also shares our memory until that execve,
 * as posix_spawn()'s does (CLONE_VM | CLONE_VFORK), and we wait meanwhile:
 * a fork() would copy our page tables, and the child and we would then
 * each take a page fault on every page we write first. So nothing of ours
 * runs between the clone and the child's execve: the child goes without a
 * go, PREPARE comes once the container is "created", while that program
 * starts (the record names no init before: stop, kill and rm -f wait for
 * it), and what the setup needs (the veth) is made before the clone. The child must leave our memory as it found it: no
 * exit() (errors_end_child()), no environ, no stdio buffers; launch.c puts
 * back where errors go and the signal mask. The child runs with every
 * signal blocked until its execve (which resets our handlers): none of
 * our handlers may run in it, on our memory; MASK is what CMD gets.
 */
#ifndef FINAL_LAUNCH_H
#define FINAL_LAUNCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct launch {
	/* the caller's */
	int flags;	  /* CLONE_NEW* of the namespaces to make */
	int cgroup_fd;	  /* v2: born in this cgroup (clone3 CLONE_INTO_CGROUP); -1: no */
	const char *fifo; /* the gate; launch_create makes it (mode 0600); NULL: a socket */
	bool gated;	  /* RUN comes at once, executes what waits at the gate (above) */
	bool shared;	  /* GATED, the child shares our memory until then (above) */
	int (*prepare)(struct launch *l); /* ours, before the child goes (SHARED: once created);
					     -1 ends it */
	void (*setup)(struct launch *l);	 /* the child's, up to "created" (dies) */
	void (*run)(struct launch *l);		 /* the child's, on start: never returns */
	void *arg;
	/* launch_create's */
	pid_t pid;		  /* the first process, as the host numbers it (the child too) */
	unsigned long long start; /* its start time (pidfd.h) */
	int pidfd;		  /* CLONE_PIDFD: a name for it no later process can take */
	int gate;		  /* the child's descriptor of FIFO: the same number in both */
	int go;			  /* FIFO NULL: the gate socket's other end, for launch_go() */
	bool in_cgroup;		  /* CLONE_INTO_CGROUP made it in cgroup_fd's cgroup */
	sigset_t mask;		  /* our signal mask at the clone (SHARED: the child's is all) */
	char why[2048];		  /* why it was not created, as the child said ("": no word) */
	int sync[2], ready[2];
};

/* Whether this build and kernel can start a SHARED child (x86_64 or aarch64; clone3). */
bool launch_can_share(void);
/*
 * Clone, PREPARE, go, wait until created (SHARED: clone, wait until
 * created, PREPARE); 0 then, with L's pid, start and pidfd. -1 if it was
 * not: the child is killed and reaped, the FIFO gone.
 */
int launch_create(struct launch *l);
/*
 * One byte into FIFO: the process waiting there runs (ST: the FIFO). The
 * FIFO is gone after it, whatever the outcome: the first start takes it
 * (rename), and a second finds nothing to write into. -1 (errno) if there
 * was no FIFO or nobody waited on it.
 */
int launch_start(const char *fifo, struct stat *st);
/*
 * The same for a gate of the caller's own (FIFO NULL): nobody else can
 * start it. -1 (errno) if nobody waits at it any more (EPIPE: killed).
 */
int launch_go(struct launch *l);
/* ...or its end, closed without the byte: the process at the gate ends, CMD never ran. */
void launch_cancel(struct launch *l);
/* SIGKILL the process PID that started at START, and wait (5 s at most) until it is gone. */
void launch_kill(pid_t pid, unsigned long long start);
/*
 * Read FD until EOF, and close it. A process reports on such a pipe: a NUL
 * byte (the mark) once it got as far as it says, and before or after it
 * the line that says why not. 0 if the mark came, -1 if not (EOF alone:
 * the process died, killed perhaps); WHY: the line, "" if none.
 */
int launch_wait_word(int fd, char *why, size_t size);

#endif
