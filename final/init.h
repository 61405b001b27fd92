/*
 * init.h: the container's PID 1, and how it starts CMD.
 */
#ifndef FINAL_INIT_H
#define FINAL_INIT_H

#include "config.h"

/* What to do last before execve, as root still (container.c passes security_apply). */
typedef void (*harden_fn)(const struct config *cfg);

/* The init's name in the container (/proc/1/cmdline and its memfd's name). */
#define INIT_TITLE "final-init"

#define INIT_CMD_ENV "FINAL_INIT_CMD" /* CMD's pid, for tiny-init */

/* tiny-init (tiny-init.c) in a sealed memfd (security.h); -1 with a message. */
int init_sealed_copy(void);
/*
 * Become the container's init: start CMD as a child (on the terminal
 * TTY_SLAVE when it is >= 0; through process_exec), then, with no
 * privilege left, execute SELF, a sealed copy of tiny-init, which forwards
 * every signal to CMD, reaps every process that ends, and exits with CMD's
 * status. Never returns.
 */
void init_run(const struct config *cfg, int tty_slave, harden_fn harden, int self)
    __attribute__((noreturn));
/*
 * In a child: only stdio and the report pipe open (and WAIT_FD, EXEC_FD),
 * the environment of CFG, then once WAIT_FD (if >= 0) reads EOF its working
 * directory, HARDEN, and exec CMD: through EXEC_FD, tiny-init's sealed copy,
 * if it is >= 0 (final-exec, tiny-init.c).
 */
void process_exec(const struct config *cfg, char *const argv[], harden_fn harden, int wait_fd,
		  int exec_fd) __attribute__((noreturn));

#endif
