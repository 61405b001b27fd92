/*
 * util.h: error reporting and small file helpers every part of final uses.
 *
 * Errors follow bubblewrap's style: die_errno() never returns and appends
 * strerror(errno), so a call site stays one line; warn_errno() returns -1
 * for code paths that must clean up before they give up.
 */
#ifndef FINAL_UTIL_H
#define FINAL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define EXIT_USAGE	 2   /* bad command line */
#define EXIT_RUNTIME	 125 /* the runtime failed (docker's convention) */
#define EXIT_CANNOT_EXEC 126 /* CMD found but not runnable */
#define EXIT_NOT_FOUND	 127 /* CMD not found */

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* What messages start with: "final", or "final-oci" when the binary is called so. */
extern const char *program_name;
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die_errno(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Also write every message of die(), warn() ... to FD (-1: none; the one
 * before is closed): how a container's setup tells `run -d` why it failed.
 */
void report_errors_to(int fd);
int errors_reported_to(void);
/*
 * A child's (launch.c): die() ends it with _exit(), which neither flushes
 * stdio nor runs exit handlers; a child sharing our memory would do both
 * to our buffers and state.
 */
void errors_end_child(void);
/*
 * What of the above a child sharing our memory may have changed (where
 * errors go, how die() ends), saved before it starts and put back once
 * it has exec'd: launch.c.
 */
struct errors_state {
	int report_fd;
	bool in_child;
};
void errors_save(struct errors_state *s);
void errors_restore(const struct errors_state *s);
/* close_range(2) (Linux 5.9) from 3 up, all but the N in KEEP (-1s are none). */
int close_fds_but(const int keep[], int n);
/* final-oci --log FILE [--log-format json]: every message also goes to FD. */
void log_errors_to(int fd, bool json);

/* Write VALUE to an existing file (sysfs, cgroupfs, procfs). */
int write_file(const char *path, const char *value);
/* Create or replace PATH with VALUE, mode 0644. */
int write_new_file(const char *path, const char *value);
/* The same, all or nothing: PATH.tmp.PID written, then renamed over PATH. */
int replace_file(const char *path, const char *value);
/* Read at most SIZE-1 bytes of PATH into BUF; -1 if unreadable. */
int read_file(const char *path, char *buf, size_t size);
/* PATH's directory, in a buffer the next call reuses. */
const char *dirname_of(const char *path);
/* mkdir -p, mode 0755. */
int mkdir_p(const char *path);
/* rm -rf that never crosses into another filesystem (a forgotten mount). */
int remove_tree(const char *path);
/* du: the bytes PATH and what is below it take on disk (not crossing mounts). */
long long disk_usage(const char *path);
/* BYTES for people: "512 B", "3.1 MB" (powers of 1000, as docker). */
void format_size(char *buf, size_t size, double bytes);
/* Is process PID alive? */
bool pid_alive(pid_t pid);
/*
 * --timings: TIMING_MARK("phase") records that PHASE just ended; timing_report()
 * prints every phase's duration on stderr. Costs nothing when off.
 */
extern bool timings_enabled;
void timing_start(void);
/* A new clock for a child process, which reports its own phases. */
void timing_restart(void);
void timing_mark(const char *phase);
void timing_report(const char *who);

/* printf into a new string; dies on out of memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
