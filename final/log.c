/*
 * log.c: a detached container's log, rotated (log.h says why).
 *
 * The container writes into a pipe, and its monitor copies the pipe into
 * the file: only a writer that sees every byte can rotate, which is why
 * docker's daemon (and conmon for podman) sits between a container and its
 * log rather than handing it the file.
 */
#define _GNU_SOURCE
#include "log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
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

int log_write(struct log *l, const char *buf, size_t n)
{
	if (l->size > 0 && l->size + (off_t)n > LOG_MAX_SIZE && log_rotate(l) < 0)
		return -1;
	while (n > 0) {
		ssize_t w = write(l->fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) /* ENOSPC above all: the line says so, and the output is dropped */
			return warn_errno("write %s", l->path);
		buf += w, n -= w, l->size += w;
	}
	return 0;
}

void log_relay(struct log *l, int fd)
{
	char buf[65536];
	ssize_t n;
	bool failed = false;

	while ((n = read(fd, buf, sizeof(buf))) != 0)
		if (n > 0 && !failed)
			failed = log_write(l, buf, n) <
				 0; /* keep draining: the container must not block */
		else if (n < 0 && errno != EINTR)
			break;
}

/* Copy FD to stdout until EOF; -1 if stdout is gone. */
static int cat_fd(int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDOUT_FILENO, buf, n) != n)
			return -1;
	return 0;
}

int log_print(const char *dir, bool follow, bool (*still_running)(void *arg), void *arg)
{
	char path[640];
	struct stat st, now;
	int fd;

	for (int i = LOG_FILES - 1; i > 0; i--) { /* the rotated ones, oldest first */
		snprintf(path, sizeof(path), "%s/log.%d", dir, i);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
			cat_fd(fd), close(fd);
	}
	snprintf(path, sizeof(path), "%s/log", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
		return -1;
	while (cat_fd(fd) == 0 && follow && still_running(arg)) {
		usleep(100000);
		if (stat(path, &now) == 0 && now.st_ino != st.st_ino) { /* rotated */
			cat_fd(fd);
			close(fd);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
				return 0;
		}
	}
	cat_fd(fd);
	close(fd);
	return 0;
}
