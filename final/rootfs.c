/*
 * rootfs.c: the container's filesystem.
 *
 * Steps 02-04 in one place, with two additions. The root is an overlayfs:
 * the image (ROOTFS) is the read-only lower layer and every container gets a
 * fresh, empty upper layer, so containers never change ROOTFS nor see each
 * other's writes. And -v bind-mounts host directories into it. Everything is
 * mounted inside the container's own mount namespace, so it all disappears
 * with the container: the host never sees these mounts.
 */
#define _GNU_SOURCE
#include "rootfs.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int rootfs_prepare(struct rootfs *r, const char *id)
{
	snprintf(r->dir, sizeof(r->dir), "%s/containers/%s", data_root(), id);
	snprintf(r->upper, sizeof(r->upper), "%s/upper", r->dir);
	snprintf(r->work, sizeof(r->work), "%s/work", r->dir);
	snprintf(r->merged, sizeof(r->merged), "%s/merged", r->dir);
	if (mkdir_p(r->upper) < 0 || mkdir_p(r->work) < 0 || mkdir_p(r->merged) < 0)
		return warn_errno("mkdir %s", r->dir);
	return 0;
}

int rootfs_remove(const char *id)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/containers/%s", data_root(), id);
	if (remove_tree(dir) < 0)
		return warn_errno("remove %s", dir);
	return 0;
}

/*** the root: overlayfs ***/

/*
 * lowerdir=IMAGE,upperdir=UPPER,workdir=WORK on MERGED (overlayfs.rst).
 * IMAGE is one directory, or an image's layers, topmost first, joined by ':'.
 */
static void mount_overlay(const struct rootfs *r, const char *image)
{
	char opts[4096];

	if (strchr(image, ',') || strpbrk(r->dir, ",:"))
		die("paths with ',' or ':' cannot be overlay layers: %s", image);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", image, r->upper,
		 r->work);
	/* Not nosuid, as docker: setuid binaries in the image work, and no_new_privs
	 * (security.c) is what keeps them from gaining anything by default. */
	if (mount("overlay", r->merged, "overlay", 0, opts) < 0)
		die_errno("mount overlay %s on %s", opts, r->merged);
}

/* MERGED/PATH, creating it (in the upper layer) as a directory or an empty file. */
static void make_target(const struct rootfs *r, const char *path, bool dir, char *out, size_t size)
{
	struct stat st;
	int fd;

	snprintf(out, size, "%s%s", r->merged, path);
	if (stat(out, &st) == 0)
		return;
	if (dir ? mkdir_p(out) < 0
		: (fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 || close(fd) < 0)
		die_errno("create mount point %s", out);
}

/* -v SRC:DST[:ro] and the resolv.conf: bind mounts, read-only ones remounted so. */
static void bind_into(const struct rootfs *r, const char *src, const char *dst, bool ro)
{
	char target[4096];
	struct stat st;

	if (stat(src, &st) < 0)
		die_errno("volume %s", src);
	make_target(r, dst, S_ISDIR(st.st_mode), target, sizeof(target));
	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno("mount --bind %s %s", src, target);
	/* MS_RDONLY is ignored on the first bind: it takes a remount (mount(2)). */
	if (ro && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die_errno("remount %s read-only", target);
}

/*** pivot_root (step 03) ***/

static void pivot_into(const char *dir)
{
	if (chdir(dir) < 0)
		die_errno("chdir %s", dir);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno("pivot_root %s", dir);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno("umount2 the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");
}

/*** /proc, /sys, /dev (step 04) ***/

struct mount_spec {
	const char *source, *target, *fstype;
	unsigned long flags;
	const char *data;
};

static const struct mount_spec pseudo_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k"},
    {"devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620"},
    {"shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m"},
    {"tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777"},
};

static const struct device {
	const char *path;
	unsigned int major, minor;
} devices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};

static const char *const dev_links[][2] = {
    {"pts/ptmx", "/dev/ptmx"},		{"/proc/self/fd", "/dev/fd"},
    {"/proc/self/fd/0", "/dev/stdin"},	{"/proc/self/fd/1", "/dev/stdout"},
    {"/proc/self/fd/2", "/dev/stderr"},
};

static void mount_pseudo_filesystems(void)
{
	for (size_t i = 0; i < N_ELEMS(pseudo_mounts); i++) {
		const struct mount_spec *m = &pseudo_mounts[i];

		if (mkdir(m->target, 0755) < 0 && errno != EEXIST && errno != EROFS)
			die_errno("mkdir %s", m->target);
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
			die_errno("mount %s on %s", m->fstype, m->target);
	}
	for (size_t i = 0; i < N_ELEMS(devices); i++) {
		const struct device *d = &devices[i];

		if (mknod(d->path, S_IFCHR | 0666, makedev(d->major, d->minor)) < 0 ||
		    chmod(d->path, 0666) < 0)
			die_errno("mknod %s", d->path);
	}
	for (size_t i = 0; i < N_ELEMS(dev_links); i++)
		if (symlink(dev_links[i][0], dev_links[i][1]) < 0)
			die_errno("symlink %s -> %s", dev_links[i][1], dev_links[i][0]);
}

/*
 * --device: the host's node at its path in /dev, with the host's type,
 * number, mode and owner (OCI linux.devices). Whether it can be opened is
 * the cgroup's decision (cgroup.c), like every node's.
 */
static void make_devices(const struct config *cfg)
{
	for (int i = 0; i < cfg->ndevices; i++) {
		const struct device_node *d = &cfg->devices[i];
		char dir[256];

		snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(d->path, '/') - d->path), d->path);
		if (mkdir_p(dir) < 0)
			die_errno("mkdir %s", dir);
		if (mknod(d->path, (d->type == 'b' ? S_IFBLK : S_IFCHR) | d->mode,
			  makedev(d->major, d->minor)) < 0)
			die_errno("mknod %s", d->path);
		if (chmod(d->path, d->mode) < 0) /* mknod's mode went through the umask */
			die_errno("chmod %s", d->path);
		if (chown(d->path, d->uid, d->gid) < 0)
			die_errno("chown %s", d->path);
	}
}

void rootfs_enter(const struct rootfs *r, const struct config *cfg)
{
	/* Before any mount: nothing may propagate to the host (step 02). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("mount --make-rprivate /");
	mount_overlay(r, cfg->root.path);
	for (int i = 0; i < cfg->nmounts; i++)
		bind_into(r, cfg->mounts[i].source, cfg->mounts[i].destination,
			  cfg->mounts[i].readonly);
	if (r->resolv_conf)
		bind_into(r, r->resolv_conf, "/etc/resolv.conf", true);
	pivot_into(r->merged);
	mount_pseudo_filesystems();
	make_devices(cfg);
	/* --read-only: the root itself; /proc, /dev, /tmp and volumes keep their own flags. */
	if (cfg->root.readonly &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die_errno("remount / read-only");
}
