/*
 * init.h: the container's PID 1, and how it starts CMD.
 */
#ifndef FINAL_INIT_H
#define FINAL_INIT_H

#include "config.h"

/*
 * Become the container's init: start CMD as a child (on the terminal
 * TTY_SLAVE when it is >= 0; through process_exec), forward every signal to
 * it, reap every process that ends, and exit with CMD's status when CMD
 * ends. Never returns.
 */
/* What to do last before execve, as root still (container.c passes security_apply). */
typedef void (*harden_fn)(const struct config *cfg);

void init_run(const struct config *cfg, int tty_slave, harden_fn harden) __attribute__((noreturn));
/* In a child: the environment and working directory of CFG, HARDEN, then exec CMD. */
void process_exec(const struct config *cfg, char *const argv[], harden_fn harden)
    __attribute__((noreturn));

#endif
