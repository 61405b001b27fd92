/*
 * init.h: the container's PID 1, and how it starts CMD.
 */
#ifndef FINAL_INIT_H
#define FINAL_INIT_H

#include "config.h"

/* The init's name in the container (/proc/1/cmdline and its memfd's name). */
#define INIT_TITLE "final-init"

/* tiny-init (tiny-init.c) in a sealed memfd (security.h); -1 with a message. */
int init_sealed_copy(void);
/* What the init keeps through its execve of tiny-init: descriptors, or -1. */
struct init_fds {
	int tty;    /* CMD's terminal (the pty's slave) */
	int report; /* CMD's errors go there ("started" first, with GATE); closed at its execve */
	int ready;  /* a NUL byte into it just before the execve, which closes it: "created" */
	int gate;   /* tiny-init waits for a byte from here first: the start (launch.h) */
	const sigset_t *mask; /* CMD's signal mask (the runtime's; ours may be all blocked) */
	bool timings; /* report our --timings marks (not in a child sharing the runtime's memory,
			 whose marks are the runtime's) */
};

/*
 * Become the container's init: write how CMD is to start (plan.h), and
 * execute SELF, a sealed copy of tiny-init (the container is "created" once
 * that execve is done: FDS's READY gets the mark just before it, and it
 * closes READY, launch.h). With FDS's GATE, tiny-init waits there first,
 * and then marks "started" on REPORT. It then starts CMD's process (that
 * confines itself and executes CMD), and, with no privilege left, forwards
 * every signal to CMD, reaps every process that ends, and exits with CMD's
 * status. Never returns.
 */
void init_run(const struct config *cfg, const struct init_fds *fds, int self)
    __attribute__((noreturn));
/*
 * In a child: only stdio, the report pipe and the terminal TTY (or -1)
 * open, and SELF, tiny-init's sealed copy, executed as final-exec: it
 * confines itself as CMD is to be, starts CMD's process (ARGV), gives up its
 * last capabilities, and waits for CMD, whose status it exits with.
 */
void process_exec(const struct config *cfg, char *const argv[], int self, int tty)
    __attribute__((noreturn));

#endif
