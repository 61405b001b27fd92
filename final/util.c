/*
 * util.c: error reporting and small file helpers.
 */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int report_fd = -1;
static bool in_child; /* die() ends with _exit() */
const char *program_name = "final"; /* "final-oci" under that name (main.c) */
static int log_fd = -1;
static bool log_json;

void log_errors_to(int fd, bool json)
{
	log_fd = fd;
	log_json = json;
}

/* --log-format json: {"level":"error","msg":"...","time":"..."} as runc writes it. */
static void write_log(const char *line, int len)
{
	char out[3000], when[40];
	int n = 0;
	time_t now = time(NULL);

	if (!log_json) {
		if (write(log_fd, line, len) < 0)
			log_fd = -1;
		return;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	n = snprintf(out, sizeof(out), "{\"level\":\"error\",\"msg\":\"");
	for (int i = 0; i < len - 1 && n < (int)sizeof(out) - 80; i++) {
		unsigned char c = line[i];

		if (c == '"' || c == '\\')
			n += snprintf(out + n, sizeof(out) - n, "\\%c", c);
		else if (c < 0x20)
			n += snprintf(out + n, sizeof(out) - n, "\\u%04x", c);
		else
			out[n++] = c;
	}
	n += snprintf(out + n, sizeof(out) - n, "\",\"time\":\"%s\"}\n", when);
	if (write(log_fd, out, n) < 0)
		log_fd = -1;
}

void report_errors_to(int fd)
{
	if (report_fd >= 0 && report_fd != fd)
		close(report_fd);
	report_fd = fd;
}

int errors_reported_to(void)
{
	return report_fd;
}

void errors_end_child(void)
{
	in_child = true;
}

void errors_save(struct errors_state *s)
{
	*s = (struct errors_state){report_fd, in_child};
}

void errors_restore(const struct errors_state *s)
{
	report_fd = s->report_fd;
	in_child = s->in_child;
}

static void __attribute__((noreturn)) end(void)
{
	if (in_child)
		_exit(EXIT_RUNTIME);
	exit(EXIT_RUNTIME);
}

int close_fds_but(const int keep[], int n)
{
	unsigned from = 3;

	for (;;) { /* the lowest kept one above FROM, each time */
		unsigned next = ~0U;

		for (int i = 0; i < n; i++)
			if (keep[i] >= (int)from && (unsigned)keep[i] < next)
				next = keep[i];
		if (next > from && syscall(SYS_close_range, from, next - 1, 0) < 0)
			return -1;
		if (next == ~0U)
			return 0;
		from = next + 1;
	}
}

/* "final: MESSAGE[: strerror]" on stderr (final-oci: ...), and on the report descriptor if any. */
static void vreport(const char *fmt, va_list ap, int err)
{
	char line[1024];
	int len = snprintf(line, sizeof(line), "%s: ", program_name);

	len += vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (err && len < (int)sizeof(line))
		len += snprintf(line + len, sizeof(line) - len, ": %s", strerror(err));
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (log_fd >= 0)
		write_log(line, len);
	if (write(STDERR_FILENO, line, len) < 0 || report_fd < 0)
		return;
	if (write(report_fd, line, len) < 0)
		report_fd = -1;
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, 0);
	va_end(ap);
	end();
}

void die_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, saved);
	va_end(ap);
	end();
}

int warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, 0);
	va_end(ap);
	return -1;
}

int warn_errno(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap, saved);
	va_end(ap);
	errno = saved;
	return -1;
}

/* All of VALUE, or -1: a short write is how a full disk first shows (write(2)). */
static int write_fd(int fd, const char *value)
{
	size_t len = strlen(value), off = 0;
	ssize_t n = 0;
	int saved;

	if (fd < 0)
		return -1;
	while (off < len && (n = write(fd, value + off, len - off)) > 0)
		off += n;
	saved = n < 0 ? errno : 0;
	if (close(fd) < 0 && !saved) /* NFS reports a full disk as late as close() */
		saved = errno;
	errno = saved;
	return saved ? -1 : 0;
}

int write_file(const char *path, const char *value)
{
	return write_fd(open(path, O_WRONLY | O_CLOEXEC), value);
}

int write_new_file(const char *path, const char *value)
{
	return write_fd(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), value);
}

int replace_file(const char *path, const char *value)
{
	char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	int ret = write_new_file(tmp, value) < 0 || rename(tmp, path) < 0 ? -1 : 0, saved = errno;

	unlink(tmp); /* gone after the rename; what a failure left otherwise */
	free(tmp);
	errno = saved;
	return ret;
}

int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

int mkdir_p(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return errno = ENAMETOOLONG, -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path)
{
	if (access(path, F_OK) < 0)
		return 0;
	return nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static long long usage_total;

static int add_usage(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path, (void)type, (void)ftw;
	usage_total += (long long)st->st_blocks * 512;
	return 0;
}

long long disk_usage(const char *path)
{
	usage_total = 0;
	nftw(path, add_usage, 32, FTW_PHYS | FTW_MOUNT);
	return usage_total;
}

void format_size(char *buf, size_t size, double bytes)
{
	const char *units[] = {"B", "kB", "MB", "GB"};
	int u = 0;

	for (; bytes >= 1000 && u < 3; u++)
		bytes /= 1000;
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

bool pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

/*** --timings ***/

bool timings_enabled;
static struct {
	const char *phase;
	double at;
} marks[32];
static int nmarks;
static double t0;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The clock starts when `final` started, across the re-exec from the sealed copy. */
void timing_start(void)
{
	const char *inherited = getenv("FINAL_T0");

	t0 = inherited ? atof(inherited) : now_ms();
	if (!inherited) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%.3f", t0);
		setenv("FINAL_T0", buf, 1);
	}
}

void timing_restart(void)
{
	t0 = now_ms();
	nmarks = 0;
}

void timing_mark(const char *phase)
{
	if (timings_enabled && nmarks < (int)N_ELEMS(marks))
		marks[nmarks++] = (typeof(marks[0])){phase, now_ms()};
}

void timing_report(const char *who)
{
	double prev = t0;

	if (!timings_enabled)
		return;
	fprintf(stderr, "final: timings (%s):", who);
	for (int i = 0; i < nmarks; i++) {
		fprintf(stderr, " %s %.2f ms%s", marks[i].phase, marks[i].at - prev,
			i + 1 < nmarks ? "," : "");
		prev = marks[i].at;
	}
	fprintf(stderr, "; total %.2f ms\n", prev - t0);
	nmarks = 0;
}

const char *dirname_of(const char *path)
{
	static char dir[4096];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	return dir;
}
