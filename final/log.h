/*
 * log.h: a detached container's output, kept as docker's "local" driver
 * keeps it: at most LOG_FILES files of LOG_MAX_SIZE bytes, the oldest
 * dropped. Under FINAL_DATA with the writable layer, not on /run's tmpfs,
 * where a chatty container could fill the memory of the machine.
 */
#ifndef FINAL_LOG_H
#define FINAL_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LOG_MAX_SIZE (20 << 20) /* docker local driver: max-size=20m */
#define LOG_FILES    5		/* ...and max-file=5: log, log.1 ... log.4 */

struct log {
	char path[600]; /* DIR/log; the older ones are DIR/log.1 ... */
	int fd;
	off_t size;
};

/* Open (append to) DIR/log, making DIR if need be. */
int log_open(struct log *l, const char *dir);
/* Append N bytes of STREAM (1 stdout, 2 stderr) as one frame, rotating first if need be. */
int log_write(struct log *l, int stream, const char *buf, size_t n);
/* Copy the container's stdout FDS[0] and stderr FDS[1] into the log until both end. */
void log_relay(struct log *l, const int fds[2]);
/*
 * Print the logs in DIR, oldest first, each stream on its own descriptor; with FOLLOW, go on until
 * STILL_RUNNING(ARG) is false (across rotations). -1 if there is no log.
 */
int log_print(const char *dir, bool follow, bool (*still_running)(void *arg), void *arg);

#endif
