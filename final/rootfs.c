/*
 * rootfs.c: the container's filesystem.
 *
 * Steps 02-04 in one place, with two additions. The root is an overlayfs:
 * the image (ROOTFS) is the read-only lower layer and every container gets a
 * fresh, empty upper layer, so containers never change ROOTFS nor see each
 * other's writes. And -v bind-mounts host directories into it. Everything is
 * mounted inside the container's own mount namespace, so it all disappears
 * with the container: the host never sees these mounts.
 *
 * The image is hostile input: where a mount goes is resolved inside the
 * root, never as a host path its symlinks could redirect (path.c), and what
 * the image and the volumes bring is mounted nodev.
 */
#define _GNU_SOURCE
#include "rootfs.h"
#include "path.h"
#include "rootless.h"
#include "spec.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

void rootfs_paths(struct rootfs *r, const char *id)
{
	snprintf(r->dir, sizeof(r->dir), "%s/containers/%s", data_root(), id);
	snprintf(r->upper, sizeof(r->upper), "%s/upper", r->dir);
	snprintf(r->work, sizeof(r->work), "%s/work", r->dir);
	snprintf(r->merged, sizeof(r->merged), "%s/merged", r->dir);
}

int rootfs_prepare(struct rootfs *r, const char *id, const char *in_memory)
{
	const char *const dirs[] = {r->upper, r->work, r->merged};
	struct statfs fs;

	rootfs_paths(r, id);
	/*
	 * --rm: nothing of the layer outlives the container, so nothing of it
	 * goes to disk. Its directories on FINAL_DATA's filesystem, made and
	 * removed at every run (a journal's writes each), were 1.9 ms of `run
	 * --rm` on the development VM; a tmpfs costs one mount, and goes with
	 * the container's mount namespace. What it is mounted on is in the
	 * record's directory (on /run's tmpfs where systemd runs), which goes
	 * with the record: not even that directory on FINAL_DATA's disk (0.4 ms
	 * of a run here, made and removed on ext4).
	 */
	r->upper_on_tmpfs = in_memory;
	if (in_memory && strpbrk(in_memory, ",:")) /* no overlay option: FINAL_DATA's, as before */
		return mkdir_p(r->dir) < 0 ? warn_errno("the writable layer: mkdir %s", r->dir) : 0;
	if (in_memory) {
		snprintf(r->dir, sizeof(r->dir), "%s/layer", in_memory);
		snprintf(r->upper, sizeof(r->upper), "%s/upper", r->dir);
		snprintf(r->work, sizeof(r->work), "%s/work", r->dir);
		snprintf(r->merged, sizeof(r->merged), "%s/merged", r->dir);
		return mkdir(r->dir, 0700) < 0 ? warn_errno("the writable layer: mkdir %s", r->dir)
					       : 0;
	}
	for (size_t i = 0; i < N_ELEMS(dirs); i++)
		if (mkdir_p(dirs[i]) < 0) /* ENOSPC: no room in FINAL_DATA for the writable layer */
			return warn_errno("the writable layer: mkdir %s", dirs[i]);
	if (statfs(r->dir, &fs) < 0)
		return warn_errno("statfs %s", r->dir);
	/* final in a container (docker, podman, a devcontainer): FINAL_DATA on its overlay. */
	r->upper_on_tmpfs = fs.f_type == OVERLAYFS_SUPER_MAGIC;
	if (r->upper_on_tmpfs)
		fprintf(stderr,
			"final: %s is on overlayfs, which cannot be an overlay's upper layer: the "
			"container's writable layer is a tmpfs, gone when it ends\n",
			data_root());
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

long long rootfs_disk_usage(const char *id)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/containers/%s", data_root(), id);
	return disk_usage(dir);
}

/*** the root: overlayfs ***/

/*
 * lowerdir=IMAGE,upperdir=UPPER,workdir=WORK on MERGED (overlayfs.rst).
 * IMAGE is one directory, or an image's layers, topmost first, joined by ':'.
 */
static void mount_overlay(const struct rootfs *r, const char *image)
{
	char opts[4096];

	/*
	 * --rm's layer, or one on FINAL_DATA on overlayfs, which overlayfs
	 * refuses as an upper layer (EINVAL: its xattrs and whiteouts would be
	 * the outer overlay's): a tmpfs in our own mount namespace, over DIR. It
	 * goes when the namespace does; its pages are charged to the container's
	 * memory cgroup (-m), at most half the host's memory (tmpfs's default).
	 */
	if (r->upper_on_tmpfs &&
	    (mount("tmpfs", r->dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") < 0 ||
	     mkdir(r->upper, 0755) < 0 || mkdir(r->work, 0700) < 0 || mkdir(r->merged, 0755) < 0))
		die_errno("a tmpfs for the writable layer on %s", r->dir);
	if (strchr(image, ',') || strpbrk(r->dir, ",:"))
		die("paths with ',' or ':' cannot be overlay layers: %s",
		    strchr(image, ',') ? image : r->dir);
	/* Rootless, the trusted.* xattrs overlayfs keeps its opaque directories in are
	 * not ours to write: user.overlay.* instead (Linux 5.11; layer.c writes them). */
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s%s", image, r->upper,
		 r->work, rootless() ? ",userxattr" : "");
	/* Not nosuid, as docker: setuid binaries in the image work, and no_new_privs
	 * (security.c) is what keeps them from gaining anything by default. But
	 * nodev: a device node in the image (b 7:0, the host's loop device) opens
	 * nothing; the container's own are on the /dev tmpfs. */
	if (mount("overlay", r->merged, "overlay", MS_NODEV, opts) < 0)
		die_errno("mount overlay %s on %s", opts, r->merged);
}

static bool fuse_wanted(void)
{
	const char *want = getenv("FINAL_OVERLAY");
	struct utsname u;
	int major = 0, minor = 0;

	if (!rootless())
		return false;
	if (want && want[0])
		return strcmp(want, "fuse-overlayfs") == 0;
	/* overlayfs may be mounted in a user namespace from Linux 5.11 */
	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	       (major < 5 || (major == 5 && minor < 11));
}

int rootfs_mount_fuse(struct rootfs *r, const char *image)
{
	static bool own_namespace;
	char opts[4096];
	int status;
	pid_t pid;

	if (!fuse_wanted())
		return 0;
	/* Our own mount namespace (once): the mount is not the host's, and goes with us. */
	if (!own_namespace && unshare(CLONE_NEWNS) < 0)
		return warn_errno("unshare(CLONE_NEWNS) for fuse-overlayfs");
	own_namespace = true;
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s", image, r->upper,
		 r->work);
	pid = fork();
	if (pid < 0)
		return warn_errno("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/* quiet: it warns of every mount option it does not know, on each run */
		if (null >= 0)
			dup2(null, 0), dup2(null, 1), dup2(null, 2);
		execlp("fuse-overlayfs", "fuse-overlayfs", "-o", opts, r->merged, (char *)NULL);
		die_errno("fuse-overlayfs (Debian's fuse-overlayfs package; or Linux 5.11, whose "
			  "overlayfs mounts in a user namespace)");
	}
	/* it returns once the mount is there, its daemon in the background */
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return warn(
		    "fuse-overlayfs could not mount %s (is it installed, and /dev/fuse open "
		    "to you?)",
		    r->merged);
	r->fuse = true;
	return 0;
}

void rootfs_unmount_fuse(struct rootfs *r)
{
	/* the daemon ends when its mount goes */
	if (r->fuse && umount2(r->merged, MNT_DETACH) < 0)
		warn_errno("umount %s", r->merged);
	r->fuse = false;
}

/*** mount targets, resolved inside the root ***/

/*
 * mount(2) takes paths, not descriptors: "/proc/self/fd/N" names what FD is
 * open on, and no symlink swapped in after it was opened can change that
 * (runc's fix for CVE-2021-30465). /proc is still the host's here.
 */
static const char *fd_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* The flags of FD's mount that a bind remount must repeat, or it clears them (mount(2)). */
static unsigned long kept_flags(int fd)
{
	static const unsigned long map[][2] = {
	    {ST_RDONLY, MS_RDONLY},   {ST_NOSUID, MS_NOSUID},	      {ST_NOEXEC, MS_NOEXEC},
	    {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};
	unsigned long flags = 0;
	struct statvfs sv;

	if (fstatvfs(fd, &sv) < 0)
		die_errno("statvfs a volume");
	for (size_t i = 0; i < N_ELEMS(map); i++)
		if (sv.f_flag & map[i][0])
			flags |= map[i][1];
	return flags;
}

/*
 * The bind on DST is a mount of its own, with its source's flags: nodev
 * makes the device nodes in it inert, and MS_RDONLY is ignored on the first
 * bind. DST is opened again (in the root) to name the new mount, which must
 * be SRC's (ST).
 */
static void remount_bind(int rootfd, const char *dst, const struct stat *src, bool ro)
{
	int fd = open_in_root(rootfd, dst, O_PATH);
	struct stat st;
	char proc[32];

	if (fd < 0 || fstat(fd, &st) < 0)
		die_errno("open %s in the container", dst);
	if (st.st_dev != src->st_dev || st.st_ino != src->st_ino)
		die("%s changed while it was mounted", dst);
	if (mount(NULL, fd_path(fd, proc), NULL,
		  MS_REMOUNT | MS_BIND | MS_NODEV | kept_flags(fd) | (ro ? MS_RDONLY : 0),
		  NULL) < 0)
		die_errno("remount %s nodev%s", dst, ro ? ",ro" : "");
	close(fd);
}

/*
 * -v SRC:DST[:ro] and the resolv.conf. DST is the container's path: it is
 * resolved, and if missing created, inside the root (path.c). Built as the
 * string MERGED/DST, an image's symlink (etc/resolv.conf -> /etc/x, or
 * app -> /var) would have the runtime create and mount files on the host.
 */
static void bind_into(int rootfd, const char *src, const char *dst, bool ro)
{
	struct stat st;
	char proc[32];
	int fd;

	if (stat(src, &st) < 0)
		die_errno("volume %s", src);
	fd = make_in_root(rootfd, dst, S_ISDIR(st.st_mode));
	if (fd < 0)
		die_errno("create mount point %s in the container", dst);
	if (mount(src, fd_path(fd, proc), NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno("mount --bind %s %s", src, dst);
	close(fd);
	remount_bind(rootfd, dst, &st, ro);
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

/* /proc, /sys and /dev: mounted before pivot_root (mount_kernel_filesystems) */
static const struct mount_spec kernel_mounts[] = {
    {"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
    {"tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k"},
};

/* ...and the rest after it */
static const struct mount_spec pseudo_mounts[] = {
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

/*
 * The nodes of /dev: mknod as root. Rootless, mknod is not allowed in a
 * user namespace: the host's node is bound over an empty file instead
 * (runc's way), which is why this happens while the host's /dev is still
 * reachable, before pivot_root.
 */
static void make_devices_in(int devfd)
{
	for (size_t i = 0; i < N_ELEMS(devices); i++) {
		const char *name = devices[i].path + strlen("/dev/");
		char proc[32];
		int fd;

		if (!rootless()) {
			/* fchmodat: mknod's mode went through the umask */
			if (mknodat(devfd, name, S_IFCHR | 0666,
				    makedev(devices[i].major, devices[i].minor)) < 0 ||
			    fchmodat(devfd, name, 0666, 0) < 0)
				die_errno("mknod %s", devices[i].path);
			continue;
		}
		if ((fd = openat(devfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666)) < 0 ||
		    mount(devices[i].path, fd_path(fd, proc), NULL, MS_BIND, NULL) < 0)
			die_errno("bind the host's %s", devices[i].path);
		close(fd);
	}
}

/*
 * /proc, /sys and /dev, into the new root before pivot_root: in a user
 * namespace (rootless) the kernel mounts a proc or sysfs only while one of
 * them is fully visible in the mount namespace (mount_too_revealing(): a
 * new mount must not show what the masks over the old one hide), and after
 * pivot_root the host's are gone; /dev's nodes may come from the host's.
 * Each target is resolved in the root and refused if it is not a directory
 * of the image: a symlink could lead into a volume that another container
 * changes, and runc's masked paths then missed the real /proc
 * (CVE-2019-19921; CVE-2019-16884).
 */
static void mount_kernel_filesystems(int rootfd)
{
	int dev;

	for (size_t i = 0; i < N_ELEMS(kernel_mounts); i++) {
		const struct mount_spec *m = &kernel_mounts[i];
		int fd = make_in_root(rootfd, m->target, true);
		struct stat st;
		char proc[32];

		if (fd >= 0)
			close(fd);
		fd = open_in_root(rootfd, m->target, O_PATH | O_NOFOLLOW);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode))
			die("%s in the container is not a directory: not mounting %s there",
			    m->target, m->fstype);
		if (mount(m->source, fd_path(fd, proc), m->fstype, m->flags, m->data) < 0)
			die_errno("mount %s on %s", m->fstype, m->target);
		close(fd);
	}
	if ((dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW)) < 0)
		die_errno("open the container's /dev");
	make_devices_in(dev);
	close(dev);
}

static void mount_pseudo_filesystems(void)
{
	struct stat st;

	for (size_t i = 0; i < N_ELEMS(pseudo_mounts); i++) {
		const struct mount_spec *m = &pseudo_mounts[i];

		if (mkdir(m->target, 0755) < 0 && errno != EEXIST && errno != EROFS)
			die_errno("mkdir %s", m->target);
		/* After pivot_root a symlink cannot leave the root, but it can lead into a volume
		 * that another container changes: runc's masked paths then missed the real /proc
		 * (CVE-2019-19921; CVE-2019-16884). A directory of the image cannot be swapped. */
		if (lstat(m->target, &st) < 0 || !S_ISDIR(st.st_mode))
			die("%s in the container is not a directory: not mounting %s there",
			    m->target, m->fstype);
		if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0)
			die_errno("mount %s on %s", m->fstype, m->target);
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
	int root;

	/* Before any mount: nothing may propagate to the host (step 02). */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno("mount --make-rprivate /");
	if (!r->fuse)
		mount_overlay(r, cfg->root.path);
	root = open(r->merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		die_errno("open %s", r->merged);
	for (int i = 0; i < cfg->nmounts; i++)
		bind_into(root, cfg->mounts[i].source, cfg->mounts[i].destination,
			  cfg->mounts[i].readonly);
	if (r->resolv_conf)
		bind_into(root, r->resolv_conf, "/etc/resolv.conf", true);
	if (r->hosts)
		bind_into(root, r->hosts, "/etc/hosts", true);
	if (r->hostname)
		bind_into(root, r->hostname, "/etc/hostname", true);
	mount_kernel_filesystems(root);
	close(root);
	pivot_into(r->merged);
	mount_pseudo_filesystems();
	make_devices(cfg);
	/* --userns=remap: /dev is the container root's, as its own tmpfs would be (userns.c) */
	if (cfg->userns.remap && chown("/dev", cfg->userns.range.uid, cfg->userns.range.gid) < 0)
		die_errno("chown /dev");
	/* --read-only: the root itself; /proc, /dev, /tmp and volumes keep their own flags.
	 * A bind remount sets all the flags: without MS_NODEV it would drop nodev. */
	if (cfg->root.readonly &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NODEV, NULL) < 0)
		die_errno("remount / read-only");
}

/*** a bundle's root (final-oci) ***/

/*
 * An OCI bundle brings its own root and says every mount itself: no overlay,
 * no /proc or /dev of ours. runc's order: the root's propagation, the root
 * bound onto itself (pivot_root wants a mount point), config.json's mounts
 * in their order, devices, then pivot_root (rootfs_pivot_bundle).
 */

/* ROOT/DEST, created like the source: a directory, or a file for a file's bind. */
static void bundle_target(const char *root, const struct spec_mount *m, char *out, size_t size)
{
	struct stat st;
	bool dir = true;
	int fd;

	if (strstr(m->destination, "/../") ||
	    strcmp(m->destination + strlen(m->destination) - (strlen(m->destination) >= 3 ? 3 : 0),
		   "/..") == 0)
		die("mount destination %s: '..' is not allowed", m->destination);
	snprintf(out, size, "%s%s", root, m->destination);
	if (m->bind && stat(m->source, &st) == 0)
		dir = S_ISDIR(st.st_mode);
	if (lstat(out, &st) == 0)
		return;
	if (dir ? mkdir_p(out) < 0
		: (mkdir_p(dirname_of(out)) < 0 ||
		   (fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 || close(fd) < 0))
		die_errno("create mount point %s", out);
}

/* type "cgroup" on v1: a tmpfs with the container's own cgroup of each hierarchy bound in. */
static void mount_cgroup_v1(const char *target, unsigned long flags)
{
	char self[4096], line[512];
	FILE *f;

	if (mount("tmpfs", target, "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0)
		die_errno("mount tmpfs on %s", target);
	if (read_file("/proc/self/cgroup", self, sizeof(self)) < 0 ||
	    !(f = fmemopen(self, strlen(self), "r")))
		die_errno("read /proc/self/cgroup");
	while (fgets(line, sizeof(line), f)) {
		char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
		char src[1024], dst[4200];

		if (!path || path == ctl + 1)
			continue; /* the v2 line "0::/..." of a hybrid host */
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (strncmp(ctl + 1, "name=", 5) == 0)
			ctl += 5;
		snprintf(src, sizeof(src), "/sys/fs/cgroup/%s%s", ctl + 1, path);
		snprintf(dst, sizeof(dst), "%s/%s", target, ctl + 1);
		if (access(src, F_OK) < 0 || mkdir(dst, 0755) < 0)
			continue;
		if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, dst, NULL,
			  MS_REMOUNT | MS_BIND |
			      (flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)),
			  NULL) < 0)
			die_errno("mount --bind %s %s", src, dst);
	}
	fclose(f);
	if ((flags & MS_RDONLY) && mount(NULL, target, NULL, MS_REMOUNT | flags, "mode=755") < 0)
		die_errno("remount %s read-only", target);
}

static void mount_one(const char *root, const struct spec_mount *m)
{
	char target[4096];
	struct statfs fs;

	bundle_target(root, m, target, sizeof(target));
	if (m->bind) {
		if (mount(m->source, target, NULL, m->flags & (MS_BIND | MS_REC), NULL) < 0)
			die_errno("mount --bind %s %s", m->source, target);
		/* The other flags take a remount: the first bind ignores them (mount(2)). */
		if ((m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) &&
		    mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | (m->flags & ~MS_REC), NULL) <
			0)
			die_errno("remount %s", target);
	} else if (strcmp(m->type, "cgroup") == 0 && statfs("/sys/fs/cgroup", &fs) == 0 &&
		   fs.f_type != CGROUP2_SUPER_MAGIC) {
		mount_cgroup_v1(target, m->flags);
	} else {
		const char *type = strcmp(m->type, "cgroup") == 0 ? "cgroup2" : m->type;

		if (mount(m->source ? m->source : type, target, type, m->flags,
			  m->data[0] ? m->data : NULL) < 0)
			die_errno("mount %s on %s (type %s, options %s)",
				  m->source ? m->source : type, target, type, m->data);
	}
	if (m->propagation && mount(NULL, target, NULL, m->propagation, NULL) < 0)
		die_errno("set the propagation of %s", target);
}

/* The defaults of the runtime spec (config-linux.md "Default Devices"), then config.json's. */
static void make_spec_devices(const char *root, const struct spec *s, bool in_userns)
{
	static const struct spec_device defaults[] = {
	    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
	    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
	    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
	};
	char path[4096];

	for (size_t i = 0; i < N_ELEMS(defaults) + s->ndevices; i++) {
		const struct spec_device *d =
		    i < N_ELEMS(defaults) ? &defaults[i] : &s->devices[i - N_ELEMS(defaults)];
		mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
		int fd;

		snprintf(path, sizeof(path), "%s%s", root, d->path);
		if (mkdir_p(dirname_of(path)) < 0)
			die_errno("mkdir for %s", path);
		unlink(path); /* config.json's device replaces one of the defaults */
		if (in_userns) { /* mknod is not ours there: bind the host's node (runc does) */
			if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
			    close(fd) < 0 || mount(d->path, path, NULL, MS_BIND, NULL) < 0)
				die_errno("bind the device %s", d->path);
			continue;
		}
		if (mknod(path, type | (d->mode & 07777), makedev(d->major, d->minor)) < 0 ||
		    chmod(path, d->mode & 07777) < 0 || chown(path, d->uid, d->gid) < 0)
			die_errno("mknod %s", path);
	}
	for (size_t i = 0; i < N_ELEMS(dev_links); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dev_links[i][1]);
		if (symlink(dev_links[i][0], path) < 0 && errno != EEXIST)
			die_errno("symlink %s -> %s", path, dev_links[i][0]);
	}
}

void rootfs_mount_bundle(const struct config *cfg, bool in_userns)
{
	const struct spec *s = cfg->spec;
	unsigned long prop = s->rootfs_propagation & MS_PRIVATE ? MS_PRIVATE : MS_SLAVE;

	/* Before any mount: nothing of ours may propagate back to the host (step 02).
	 * rootfsPropagation itself goes on after pivot_root: an unbindable / now
	 * would refuse the bind below. */
	if (mount(NULL, "/", NULL, prop | MS_REC, NULL) < 0)
		die_errno("set the propagation of /");
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		die_errno("mount --bind %s onto itself", s->rootfs);
	for (int i = 0; i < s->nmounts; i++)
		mount_one(s->rootfs, &s->mounts[i]);
	make_spec_devices(s->rootfs, s, in_userns);
}

void rootfs_pivot_bundle(const struct config *cfg)
{
	const struct spec *s = cfg->spec;

	/* pivot_root(".", "."): the old root stacks under the new one, then goes (step 03). */
	if (chdir(s->rootfs) < 0)
		die_errno("chdir %s", s->rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno("pivot_root %s", s->rootfs);
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0 || umount2(".", MNT_DETACH) < 0)
		die_errno("umount2 the old root");
	if (chdir("/") < 0)
		die_errno("chdir /");
	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		die_errno("set the propagation of / to the root's");
}

void rootfs_finish_bundle(const struct config *cfg)
{
	if (cfg->root.readonly &&
	    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
		die_errno("remount / read-only");
}
