/*
 * path.c: paths that come from a container or an image, resolved inside
 * its root.
 *
 * A rootfs or an image is hostile input. Its symlinks may point anywhere
 * (etc/resolv.conf -> /etc/shadow), and a path built as a string,
 * MERGED/etc/resolv.conf, then given to open(2) or mount(2) follows them
 * on the host: the runtime, which is root there, writes where the image
 * said. Here a path is resolved as if a directory were "/": an absolute
 * symlink starts again at that directory, ".." stops there.
 *
 * The kernel does it in one call, openat2(RESOLVE_IN_ROOT) (Linux 5.6),
 * which also refuses /proc's magic links (RESOLVE_NO_MAGICLINKS). Without
 * openat2, and whenever missing directories must be created on the way, the
 * same walk is done here one component at a time, as runc's
 * filepath-securejoin does: each component opened O_PATH|O_NOFOLLOW from
 * the directory before it, each symlink read and expanded in the root.
 */
#define _GNU_SOURCE
#include "path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__has_include) && __has_include(<linux/openat2.h>)
#include <linux/openat2.h>
#endif
#ifndef RESOLVE_IN_ROOT /* <linux/openat2.h> is Linux 5.6's */
struct open_how {
	uint64_t flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_IN_ROOT	      0x10
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define MAX_HOPS  40  /* symlinks in one lookup: the kernel's MAXSYMLINKS */
#define MAX_DEPTH 256 /* directories deep */

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

enum make { MAKE_NONE, MAKE_DIR, MAKE_FILE };

struct walk {
	int dirs[MAX_DEPTH]; /* dirs[0]: the root (a copy); the last: where we are */
	int depth, hops;
	int flags;	     /* open's flags for the last component */
	mode_t mode;	     /* with O_CREAT */
	enum make make;	     /* create what is missing */
	char rest[PATH_MAX]; /* what is left to resolve */
};

/* Back up to DEPTH directories (1: the root). ".." never goes above the root. */
static void walk_up(struct walk *w, int depth)
{
	while (w->depth > depth)
		close(w->dirs[--w->depth]);
}

/* The next component of W's rest into NAME, LAST if none follows; 0 if none is left. */
static int next_name(struct walk *w, char name[NAME_MAX + 1], bool *last)
{
	char *p = w->rest + strspn(w->rest, "/");
	size_t len = strcspn(p, "/");

	if (len == 0)
		return 0;
	if (len > NAME_MAX)
		return errno = ENAMETOOLONG, -1;
	memcpy(name, p, len);
	name[len] = '\0';
	memmove(w->rest, p + len, strlen(p + len) + 1);
	*last = w->rest[strspn(w->rest, "/")] == '\0';
	return 1;
}

/* LINK's target goes in front of what is left; an absolute one starts again at the root. */
static int expand_link(struct walk *w, int link)
{
	char target[PATH_MAX], joined[PATH_MAX];
	ssize_t n = readlinkat(link, "", target, sizeof(target) - 1);

	if (n < 0)
		return -1;
	if (++w->hops > MAX_HOPS)
		return errno = ELOOP, -1;
	target[n] = '\0';
	if (snprintf(joined, sizeof(joined), "%s/%s", target, w->rest) >= (int)sizeof(joined))
		return errno = ENAMETOOLONG, -1;
	memcpy(w->rest, joined, sizeof(joined));
	if (target[0] == '/')
		walk_up(w, 1);
	return 0;
}

/* NAME is missing in TOP: a directory on the way, or what make_in_root asked for. */
static int create(const struct walk *w, int top, const char *name, bool last)
{
	int fd = 0;

	if (!last || w->make == MAKE_DIR)
		fd = mkdirat(top, name, 0755);
	else
		fd = openat(top, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd > 0)
		close(fd);
	return fd < 0 && errno != EEXIST ? -1 : 0;
}

/* The last component, FD (O_PATH), found in TOP: the descriptor the caller asked for. */
static int finish(const struct walk *w, int top, const char *name, int fd, const struct stat *st)
{
	if ((w->flags & O_DIRECTORY) && !S_ISDIR(st->st_mode)) {
		close(fd);
		return errno = ENOTDIR, -1;
	}
	if (w->flags & O_PATH)
		return fd;
	close(fd);
	return openat(top, name, w->flags | O_NOFOLLOW | O_CLOEXEC, w->mode);
}

/*
 * One component, NAME, from the directory we are in: descend into it, or
 * expand it if it is a symlink (0), or the result if it is the LAST one (1,
 * in *RESULT); -1 on error.
 */
static int step(struct walk *w, const char *name, bool last, int *result)
{
	int top = w->dirs[w->depth - 1], fd, saved;
	struct stat st;

	fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && last && (w->flags & O_CREAT) && !w->make) {
		*result = openat(top, name, w->flags | O_NOFOLLOW | O_CLOEXEC, w->mode);
		return *result < 0 ? -1 : 1;
	}
	if (fd < 0 && errno == ENOENT && w->make && create(w, top, name, last) == 0)
		fd = openat(top, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto fail;
	if (S_ISLNK(st.st_mode) && !(last && (w->flags & O_NOFOLLOW))) {
		int ret = expand_link(w, fd);

		saved = errno;
		close(fd);
		return errno = saved, ret;
	}
	if (last)
		return (*result = finish(w, top, name, fd, &st)) < 0 ? -1 : 1;
	if (!S_ISDIR(st.st_mode) || w->depth == MAX_DEPTH) {
		errno = S_ISDIR(st.st_mode) ? ENAMETOOLONG : ENOTDIR;
		goto fail;
	}
	w->dirs[w->depth++] = fd;
	return 0;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	return errno = saved, -1;
}

/* The walk: PATH in ROOTFD, component by component, symlinks expanded in the root. */
static int walk_in_root(int rootfd, const char *path, int flags, mode_t mode, enum make make)
{
	struct walk w = {.flags = flags, .mode = mode, .make = make};
	char name[NAME_MAX + 1];
	int r, result = -1, saved;
	bool last;

	if (snprintf(w.rest, sizeof(w.rest), "%s", path) >= (int)sizeof(w.rest))
		return errno = ENAMETOOLONG, -1;
	if ((w.dirs[0] = fcntl(rootfd, F_DUPFD_CLOEXEC, 3)) < 0)
		return -1;
	w.depth = 1;
	while ((r = next_name(&w, name, &last)) > 0) {
		if (strcmp(name, "..") == 0)
			walk_up(&w, w.depth > 1 ? w.depth - 1 : 1);
		else if (strcmp(name, ".") != 0 && (r = step(&w, name, last, &result)) != 0)
			break;
	}
	if (r == 0) /* nothing after a directory: "/", "x/..", "x/." */
		result = openat(w.dirs[w.depth - 1], ".",
				(flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
	saved = errno;
	walk_up(&w, 0);
	errno = saved;
	return result;
}

int open_in_root(int rootfd, const char *path, int flags, ...)
{
	struct open_how how = {.flags = flags | O_CLOEXEC,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	va_list ap;
	int fd = -1;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		how.mode = va_arg(ap, int);
		va_end(ap);
	}
	/* EAGAIN: a rename or mount raced with the lookup ("..", openat2(2)); try again. */
	for (int i = 0; i < 8; i++)
		if ((fd = sys_openat2(rootfd, path, &how)) >= 0 || errno != EAGAIN)
			break;
	if (fd < 0 && errno == ENOSYS) /* before Linux 5.6 */
		fd = walk_in_root(rootfd, path, flags, how.mode, MAKE_NONE);
	return fd;
}

int make_in_root(int rootfd, const char *path, bool dir)
{
	return walk_in_root(rootfd, path, O_PATH, 0, dir ? MAKE_DIR : MAKE_FILE);
}
