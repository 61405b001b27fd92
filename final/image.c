/*
 * image.c: rootfs directories and tarballs.
 *
 * Tarballs are unpacked with libarchive (it knows every tar dialect and
 * compression, and has the checks that keep an archive inside its target:
 * no "..", no absolute paths, no writing through a symlink the archive
 * planted), into STORE/images/KEY/rootfs, where KEY is a hash of the
 * tarball's path, size and modification time: a changed tarball is
 * unpacked again. The unpacking goes to a temporary directory that is
 * renamed into place only when complete, so an interrupted unpack leaves
 * nothing that looks usable.
 */
#define _GNU_SOURCE
#include "image.h"
#include "state.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * libarchive is loaded when a tarball is first used, not at start-up: it
 * pulls in ICU, libxml2 and half a dozen compressors, which would cost
 * every `final` command milliseconds before it does anything (measured
 * with --timings). la_NAME is archive_NAME, looked up with dlsym().
 */
#define ARCHIVE_FUNCTIONS(X)                                                                       \
	X(read_new)                                                                                \
	X(write_disk_new)                                                                          \
	X(read_support_format_tar)                                                                 \
	X(read_support_filter_all)                                                                 \
	X(write_disk_set_options)                                                                  \
	X(read_open_filename)                                                                      \
	X(error_string)                                                                            \
	X(read_next_header)                                                                        \
	X(write_header)                                                                            \
	X(read_data_block)                                                                         \
	X(write_data_block)                                                                        \
	X(read_free)                                                                               \
	X(write_free)

#define DECLARE(name) static typeof(archive_##name) *la_##name;
ARCHIVE_FUNCTIONS(DECLARE)

static int load_libarchive(void)
{
	static void *lib;

	if (lib)
		return 0;
	lib = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return warn("cannot load libarchive for tarballs: %s (install libarchive13)",
			    dlerror());
#define LOOK_UP(name)                                                                              \
	if (!(la_##name = dlsym(lib, "archive_" #name)))                                           \
		return warn("libarchive has no archive_%s", #name);
	ARCHIVE_FUNCTIONS(LOOK_UP)
	return 0;
}

static bool is_tarball(const char *path)
{
	static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz"};
	size_t len = strlen(path);

	for (size_t i = 0; i < N_ELEMS(suffixes); i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && strcmp(path + len - n, suffixes[i]) == 0)
			return true;
	}
	return false;
}

/* FNV-1a over the path, size and mtime: which unpacked copy belongs to this tarball. */
static uint64_t tarball_key(const char *path, const struct stat *st)
{
	uint64_t h = 14695981039346656037ULL;
	char buf[4200];
	int n = snprintf(buf, sizeof(buf), "%s %lld %lld.%09ld", path, (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);

	for (int i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
	return h;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t size;
	la_int64_t offset;
	int r;

	while ((r = la_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
		if (la_write_data_block(out, buf, size, offset) != ARCHIVE_OK)
			return -1;
	return r == ARCHIVE_EOF ? 0 : -1;
}

/* Unpack TARBALL into DIR (which exists, empty). */
static int unpack(const char *tarball, const char *dir)
{
	const int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_TIME |
			  ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
			  ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
	struct archive *in, *out;
	struct archive_entry *e;
	int cwd, r, ret = 0;

	if (load_libarchive() < 0)
		return -1;
	in = la_read_new();
	out = la_write_disk_new();
	cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	la_read_support_format_tar(in);
	la_read_support_filter_all(in);
	la_write_disk_set_options(out, flags);
	if (la_read_open_filename(in, tarball, 64 * 1024) != ARCHIVE_OK) {
		ret = warn("rootfs %s: %s", tarball, la_error_string(in));
		goto out;
	}
	/* Entries are relative: extract from inside DIR, with the SECURE_* checks on. */
	if (cwd < 0 || chdir(dir) < 0) {
		ret = warn_errno("chdir %s", dir);
		goto out;
	}
	while ((r = la_read_next_header(in, &e)) == ARCHIVE_OK) {
		if (la_write_header(out, e) != ARCHIVE_OK || copy_data(in, out) < 0) {
			ret = warn("rootfs %s: %s", tarball, la_error_string(out));
			goto out;
		}
	}
	if (r != ARCHIVE_EOF)
		ret = warn("rootfs %s: not a valid tarball: %s", tarball, la_error_string(in));
out:
	la_read_free(in);
	la_write_free(out);
	if (cwd >= 0 && fchdir(cwd) < 0)
		ret = warn_errno("fchdir back");
	if (cwd >= 0)
		close(cwd);
	return ret;
}

int image_resolve(const char *rootfs, char *dir, size_t size)
{
	char *real = realpath(rootfs, NULL), *store, *tmp;
	struct stat st;
	int ret = 0;

	if (!real || stat(real, &st) < 0) {
		free(real);
		return warn_errno("rootfs %s", rootfs);
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(dir, size, "%s", real);
		free(real);
		return 0;
	}
	if (!S_ISREG(st.st_mode) || !is_tarball(real)) {
		free(real);
		return warn("rootfs %s: not a directory nor a .tar, .tar.gz or .tgz file", rootfs);
	}
	store =
	    xasprintf("%s/images/%016llx", data_root(), (unsigned long long)tarball_key(real, &st));
	snprintf(dir, size, "%s/rootfs", store);
	if (access(dir, F_OK) == 0)
		goto out; /* unpacked before */
	tmp = xasprintf("%s/rootfs.tmp.%d", store, (int)getpid());
	if (mkdir_p(tmp) < 0)
		ret = warn_errno("mkdir %s", tmp);
	else if (unpack(real, tmp) < 0)
		ret = -1;
	else if (rename(tmp, dir) < 0 && access(dir, F_OK) < 0)
		ret = warn_errno("rename %s %s", tmp, dir);
	if (ret < 0 || access(tmp, F_OK) == 0) /* failed, or another run got there first */
		remove_tree(tmp);
	if (ret < 0)
		rmdir(store);
	free(tmp);
out:
	free(store);
	free(real);
	return ret;
}
