/*
 * init.h: the container's PID 1, and how it starts CMD.
 */
#ifndef FINAL_INIT_H
#define FINAL_INIT_H

#include "config.h"

/*
 * Become the container's init: start CMD as a child (on the terminal
 * TTY_SLAVE when it is >= 0), forward every signal to it, reap every
 * process that ends, and exit with CMD's status when CMD ends. Never returns.
 */
void init_run(const struct config *cfg, int tty_slave) __attribute__((noreturn));
/* In a child: the environment, working directory and user of CFG, then exec CMD. */
void process_exec(const struct config *cfg, char *const argv[]) __attribute__((noreturn));

#endif
