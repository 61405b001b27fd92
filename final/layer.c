/*
 * layer.c: unpacking a layer, safely.
 *
 * An image is a stack of layers, each a tarball of the files that changed.
 * A layer cannot say "delete" in tar, so the OCI image spec marks deletions
 * with empty files: .wh.NAME deletes NAME from the layers below, and
 * DIR/.wh..wh..opq makes DIR opaque (nothing below shows through). Every
 * layer is unpacked into its own directory and the container's root is an
 * overlay of all of them (rootfs.c), so those markers are turned into what
 * overlayfs understands (Documentation/filesystems/overlayfs.rst): a
 * character device 0/0 named NAME, and the xattr trusted.overlay.opaque=y.
 * Layers shared between images are stored once.
 *
 * A layer comes from the network and may be hostile. Every entry is checked
 * before it is written: no absolute path, no "..", in its name nor in a hard
 * link's target, and libarchive's ARCHIVE_EXTRACT_SECURE_SYMLINKS refuses to
 * write through a symlink the layer itself planted (evil -> /etc, then
 * evil/passwd). One bad entry fails the whole layer: a partly unpacked
 * layer is never used. Ownership, modes (setuid too), device nodes and
 * xattrs (file capabilities) are kept as the image says: final runs as
 * root, and containers run as the root the image was built for.
 */
#define _GNU_SOURCE
#include "layer.h"
#include "dl.h"
#include "rootless.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define WHITEOUT ".wh."
#define OPAQUE	 ".wh..wh..opq"

/* Why PATH may not be written, or NULL if it may. */
static const char *unsafe_path(const char *path)
{
	if (path[0] == '/')
		return "an absolute path";
	for (const char *p = path; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : "")
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return "'..' in the path";
	return NULL;
}

/*
 * Turn a whiteout entry into the overlayfs form, in place: .wh.NAME becomes
 * a 0/0 character device NAME; DIR/.wh..wh..opq becomes DIR itself, with
 * the opaque xattr (keeping DIR's mode if an earlier entry created it).
 * 1 if E was a whiteout, 0 if not, -1 if it is malformed.
 */
static int convert_whiteout(struct archive_entry *e)
{
	char *path = strdup(archive.entry_pathname(e)), *slash = strrchr(path, '/');
	char *base = slash ? slash + 1 : path, *name, *dir;
	struct stat st;
	int ret = 1;

	if (strncmp(base, WHITEOUT, strlen(WHITEOUT)) != 0) {
		free(path);
		return 0;
	}
	name = base + strlen(WHITEOUT);
	if (strcmp(base, OPAQUE) == 0) {
		dir = slash ? (*slash = '\0', path) : ".";
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) /* not made by an earlier entry */
			st = (struct stat){.st_mode = 0755};
		archive.entry_clear(e);
		archive.entry_set_pathname(e, dir);
		archive.entry_set_filetype(e, AE_IFDIR);
		archive.entry_set_perm(e, st.st_mode & 07777);
		archive.entry_set_uid(e, st.st_uid);
		archive.entry_set_gid(e, st.st_gid);
		/* rootless: overlayfs mounted with userxattr reads user.overlay.* (rootfs.c) */
		archive.entry_xattr_add_entry(
		    e, rootless() ? "user.overlay.opaque" : "trusted.overlay.opaque", "y", 1);
	} else if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		ret = -1;
	} else {
		memmove(base, name, strlen(name) + 1);
		archive.entry_clear(e);
		archive.entry_set_pathname(e, path);
		archive.entry_set_filetype(e, AE_IFCHR);
		archive.entry_set_perm(e, 0);
		archive.entry_set_rdev(e, 0);
	}
	free(path);
	return ret;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t offset;
	int r;

	while ((r = archive.read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
		if (archive.write_data_block(out, buf, size, offset) != ARCHIVE_OK)
			return -1;
	return r == ARCHIVE_EOF ? 0 : -1;
}

static bool full_disk(int err)
{
	return err == ENOSPC || err == EDQUOT;
}

/* Check one entry, convert it if it is a whiteout, and write it. */
static int unpack_entry(struct archive *in, struct archive *out, struct archive_entry *e,
			bool whiteouts, const char *what)
{
	const char *path = archive.entry_pathname(e), *link = archive.entry_hardlink(e);
	const char *why = path ? unsafe_path(path) : "no name";
	char *name = strdup(path ? path : "");
	int ret = 0, converted = 0, worst;

	if (!why && link && (why = unsafe_path(link)))
		why = xasprintf("a hard link to '%s', %s", link, why);
	if (!why && whiteouts && (converted = convert_whiteout(e)) < 0)
		why = "a malformed whiteout";
	if (why)
		ret = warn("%s: entry '%s': %s; refusing the whole tarball", what, name, why);
	/* A warning (an xattr this filesystem cannot store) is an error for a whiteout. */
	worst = converted ? ARCHIVE_OK : ARCHIVE_WARN;
	errno = 0; /* libarchive's "Write failed" leaves the write's errno (ENOSPC) */
	if (!why && (archive.write_header(out, e) < worst || copy_data(in, out) < 0 ||
		     archive.write_finish_entry(out) < worst))
		ret = warn("%s: entry '%s': %s%s%s; refusing the whole tarball", what, name,
			   archive.error_string(out), full_disk(errno) ? ": " : "",
			   full_disk(errno) ? strerror(errno) : "");
	free(name);
	return ret;
}

int layer_unpack(const char *tarball, const char *dir, bool whiteouts, const char *what)
{
	const int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
			  ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
			  ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct archive *in, *out;
	struct archive_entry *e;
	int cwd, r, ret = 0;

	if (dl_archive() < 0)
		return -1;
	in = archive.read_new();
	out = archive.write_disk_new();
	archive.read_support_format_tar(in);
	archive.read_support_filter_all(in);
	archive.write_disk_set_options(out, flags);
	/* Entries are relative: extract from inside DIR, with the SECURE_* checks on. */
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (archive.read_open_filename(in, tarball, 64 * 1024) != ARCHIVE_OK) {
		ret = warn("%s: %s", what, archive.error_string(in));
		goto out;
	}
	if (cwd < 0 || chdir(dir) < 0) {
		ret = warn_errno("chdir %s", dir);
		goto out;
	}
	while ((r = archive.read_next_header(in, &e)) == ARCHIVE_OK)
		if ((ret = unpack_entry(in, out, e, whiteouts, what)) < 0)
			goto out;
	if (r != ARCHIVE_EOF)
		ret = warn("%s: not a valid tarball: %s", what, archive.error_string(in));
out:
	archive.read_free(in);
	archive.write_free(out);
	if (cwd >= 0 && fchdir(cwd) < 0)
		ret = warn_errno("fchdir back");
	if (cwd >= 0)
		close(cwd);
	return ret;
}

/*
 * --userns=remap: the container's root is a host uid of the range, so a
 * layer owned by the host's root would be the overflow id ("nobody") inside,
 * and nothing in it writable. Docker's answer, and ours: a copy of the
 * layer with every owner moved into the range. libarchive reads the tree
 * (archive_read_disk: not following symlinks nor crossing mounts, with
 * xattrs such as trusted.overlay.opaque, whiteouts and hard links) and
 * writes it with the same SECURE_* checks as an unpack.
 */
static int shift_owner(struct archive_entry *e, const struct id_shift *s)
{
	la_int64_t uid = archive.entry_uid(e), gid = archive.entry_gid(e);

	if (uid < 0 || gid < 0 || (unsigned long)uid >= s->count || (unsigned long)gid >= s->count)
		return -1;
	archive.entry_set_uid(e, uid + s->uid);
	archive.entry_set_gid(e, gid + s->gid);
	return 0;
}

int layer_copy_shifted(const char *src, const char *dst, const struct id_shift *s)
{
	/*
	 * Paths are DST/..., absolute: archive_read_disk changes the working
	 * directory as it walks (a relative path would land in SRC's subdirectories,
	 * or in ours). No SECURE_SYMLINKS: it would refuse a symlink anywhere in DST's
	 * own path, and every entry comes from a real tree, so none can have a
	 * symlink of the copy as a parent.
	 */
	const int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
			  ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SECURE_NODOTDOT;
	struct archive_entry_linkresolver *links;
	struct archive *in, *out;
	struct archive_entry *e;
	int r = ARCHIVE_OK, ret = 0;

	if (dl_archive() < 0)
		return -1;
	in = archive.read_disk_new();
	out = archive.write_disk_new();
	links = archive.entry_linkresolver_new();
	e = archive.entry_new();
	archive.read_disk_set_symlink_physical(in);
	archive.read_disk_set_behavior(in, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
	archive.write_disk_set_options(out, flags);
	/* a hard link's second name is written as a link to the first (tar's way) */
	archive.entry_linkresolver_set_strategy(links, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED);
	if (archive.read_disk_open(in, src) != ARCHIVE_OK) {
		ret = warn("read %s: %s", src, archive.error_string(in));
		goto out;
	}
	while (ret == 0 && (r = archive.read_next_header2(in, e)) == ARCHIVE_OK) {
		struct archive_entry *w = e, *spare = NULL;
		const char *rel = archive.entry_pathname(e) + strlen(src);
		char *to = xasprintf("%s%s", dst, rel);

		archive.read_disk_descend(in);
		archive.entry_set_pathname(e, to);
		rel = to + strlen(dst); /* the old pathname is gone */
		if (shift_owner(e, s) < 0)
			ret = warn("%s%s is owned by %lld:%lld, outside the %lu ids of the range",
				   src, rel, (long long)archive.entry_uid(e),
				   (long long)archive.entry_gid(e), s->count);
		else
			archive.entry_linkify(links, &w, &spare);
		errno = 0;
		if (ret == 0 && (archive.write_header(out, w) < ARCHIVE_OK ||
				 (!archive.entry_hardlink(w) && copy_data(in, out) < 0) ||
				 archive.write_finish_entry(out) < ARCHIVE_OK))
			ret = warn("copy %s%s to %s: %s%s%s", src, rel, to,
				   archive.error_string(out), full_disk(errno) ? ": " : "",
				   full_disk(errno) ? strerror(errno) : "");
		free(to);
	}
	if (ret == 0 && r != ARCHIVE_EOF)
		ret = warn("read %s: %s", src, archive.error_string(in));
out:
	archive.entry_free(e);
	archive.entry_linkresolver_free(links);
	archive.read_free(in);
	if (archive.write_free(out) != ARCHIVE_OK && ret == 0) /* the directories' modes, times */
		ret = warn("copy %s to %s: %s", src, dst, "could not finish");
	return ret;
}
