/*
 * log.c: a detached container's log, rotated (log.h says why).
 *
 * The container writes into two pipes, stdout and stderr, and its monitor
 * copies them into the file: only a writer that sees every byte can rotate,
 * which is why docker's daemon (and conmon for podman) sits between a
 * container and its log rather than handing it the file. Each chunk is
 * framed, "1 LEN\n" or "2 LEN\n" and LEN bytes, written with one writev(2)
 * so that `final logs` can give each stream back to its own descriptor.
 * The monitor's own messages ("final: ...") are lines without a frame, and
 * are given back on stderr.
 */
#define _GNU_SOURCE
#include "log.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

int log_open(struct log *l, const char *dir)
{
	struct stat st;

	snprintf(l->path, sizeof(l->path), "%s/log", dir);
	if (mkdir_p(dir) < 0)
		return warn_errno("mkdir %s", dir);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (l->fd < 0 || fstat(l->fd, &st) < 0)
		return warn_errno("open %s", l->path);
	l->size = st.st_size;
	return 0;
}

/* log.3 -> log.4, ..., log -> log.1 (the oldest overwritten), and a new log. */
static int log_rotate(struct log *l)
{
	char from[640], to[640];

	for (int i = LOG_FILES - 1; i > 0; i--) {
		snprintf(from, sizeof(from), i > 1 ? "%s.%d" : "%s", l->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", l->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			return warn_errno("rename %s to %s", from, to);
	}
	close(l->fd);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	l->size = 0;
	if (l->fd < 0)
		return warn_errno("open %s", l->path);
	dup2(l->fd, STDERR_FILENO); /* the monitor's own messages follow */
	return 0;
}

int log_write(struct log *l, int stream, const char *buf, size_t n)
{
	char head[32];
	struct iovec iov[2] = {{head, snprintf(head, sizeof(head), "%d %zu\n", stream, n)},
			       {(void *)buf, n}};
	ssize_t w;

	if (l->size > 0 && l->size + (off_t)(iov[0].iov_len + n) > LOG_MAX_SIZE &&
	    log_rotate(l) < 0)
		return -1;
	while ((w = writev(l->fd, iov, 2)) < 0 && errno == EINTR)
		;
	if (w < 0) /* ENOSPC above all: the line says so, and the output is dropped */
		return warn_errno("write %s", l->path);
	l->size += w;
	return w == (ssize_t)(iov[0].iov_len + n) ? 0 : warn("%s: a short write", l->path);
}

void log_relay(struct log *l, const int fds[2])
{
	struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
	bool failed = false;
	char buf[65536];

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			ssize_t n = p[i].revents ? read(p[i].fd, buf, sizeof(buf)) : -1;

			if (n > 0 && !failed) /* keep draining: the container must not block */
				failed = log_write(l, i + 1, buf, n) < 0;
			else if (n == 0 || (n < 0 && p[i].revents && errno != EINTR))
				p[i].fd = -1; /* its end: every writer is gone */
		}
	}
}

struct reader {
	char buf[65536 + 64];
	size_t len;
};

/* "1 LEN\n" or "2 LEN\n", exactly (scanf's "\n" would also eat the frame's own newlines). */
static bool frame_head(const char *p, size_t len, unsigned int *stream, size_t *n)
{
	char *end;

	if (len < 4 || (p[0] != '1' && p[0] != '2') || p[1] != ' ' || !isdigit(p[2]))
		return false;
	*stream = p[0] - '0';
	*n = strtoul(p + 2, &end, 10);
	return end == p + len - 1 && *end == '\n' && *n <= 65536; /* log_relay's reads */
}

/* Give back each complete frame (or monitor's line) in R; keep a partial one. */
static int give_back(struct reader *r)
{
	size_t at = 0;

	while (at < r->len) {
		char *nl = memchr(r->buf + at, '\n', r->len - at);
		unsigned int stream;
		size_t n, head;

		if (!nl)
			break;
		head = nl - (r->buf + at) + 1;
		if (frame_head(r->buf + at, head, &stream, &n)) {
			if (at + head + n > r->len)
				break; /* the rest of the frame is not written yet */
			if (write(stream, r->buf + at + head, n) != (ssize_t)n)
				return -1;
			at += head + n;
		} else { /* a message of the monitor's own */
			if (write(STDERR_FILENO, r->buf + at, head) != (ssize_t)head)
				return -1;
			at += head;
		}
	}
	memmove(r->buf, r->buf + at, r->len - at);
	r->len -= at;
	return 0;
}

/* Read FD to its current end, giving back what is complete. */
static int drain(int fd, struct reader *r)
{
	ssize_t n;

	while ((n = read(fd, r->buf + r->len, sizeof(r->buf) - r->len)) > 0) {
		r->len += n;
		if (give_back(r) < 0)
			return -1;
		if (r->len == sizeof(r->buf)) /* a frame larger than any the monitor writes */
			r->len = 0;
	}
	return 0;
}

int log_print(const char *dir, bool follow, bool (*still_running)(void *arg), void *arg)
{
	static struct reader r;
	char path[640];
	struct stat st, now;
	int fd;

	for (int i = LOG_FILES - 1; i > 0; i--) { /* the rotated ones, oldest first */
		snprintf(path, sizeof(path), "%s/log.%d", dir, i);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			r.len = 0;
			drain(fd, &r);
			close(fd);
		}
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		return -1;
	r.len = 0;
	while (drain(fd, &r) == 0 && follow && still_running(arg)) {
		usleep(100000);
		if (stat(path, &now) == 0 && now.st_ino != st.st_ino) { /* rotated */
			drain(fd, &r);
			close(fd);
			r.len = 0;
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
				return 0;
		}
	}
	drain(fd, &r);
	close(fd);
	return 0;
}
