/*
 * rootfs.h: the container's filesystem (steps 02-04, plus overlayfs and volumes).
 */
#ifndef FINAL_ROOTFS_H
#define FINAL_ROOTFS_H

#include "config.h"

#include <stdbool.h>

struct rootfs {
	char dir[520];		 /* data_root()/containers/ID (--rm: the record's layer/) */
	char upper[528];	 /* the container's writable layer */
	char work[528];		 /* overlayfs's scratch directory */
	char merged[528];	 /* where the overlay is mounted, in the child's namespace */
	const char *resolv_conf; /* bind-mounted over /etc/resolv.conf when set */
	const char *hosts;	 /* ...over /etc/hosts */
	const char *hostname;	 /* ...over /etc/hostname */
	bool upper_on_tmpfs;	 /* the writable layer goes on a tmpfs over DIR (below) */
	bool fuse;		 /* rootless: fuse-overlayfs mounted MERGED already */
};

/*
 * Rootless where the kernel's overlayfs cannot be mounted in a user
 * namespace (before Linux 5.11), or FINAL_OVERLAY=fuse-overlayfs: R's root
 * mounted by fuse-overlayfs, in a mount namespace of the caller's own (the
 * monitor's, which the container's copies), its daemon outside the
 * container. 0 if not needed or done.
 */
int rootfs_mount_fuse(struct rootfs *r, const char *image);
void rootfs_unmount_fuse(struct rootfs *r);

/* Where container ID's layer (and, detached, its log) lives: R's paths, nothing made. */
void rootfs_paths(struct rootfs *r, const char *id);
/*
 * Parent: create the writable layer's directories for container ID; or,
 * IN_MEMORY (--rm: the record's directory, else NULL), only DIR, there,
 * over which the child mounts a tmpfs for the layer in its own mount
 * namespace. When FINAL_DATA is itself on overlayfs, the layer is a tmpfs
 * too (DIR in FINAL_DATA), and it says so.
 */
int rootfs_prepare(struct rootfs *r, const char *id, const char *in_memory);
/*
 * Child, in its mount namespace: overlay, volumes, resolv.conf, pivot_root,
 * /proc /sys /dev, --device nodes, and --read-only. Dies with a message on failure.
 */
void rootfs_enter(const struct rootfs *r, const struct config *cfg);
/*
 * final-oci, in the child's mount namespace: config.json's root and mounts,
 * and its devices (bound from the host IN_USERNS); then pivot_root; then the
 * root read-only. Die with a message on failure.
 */
void rootfs_mount_bundle(const struct config *cfg, bool in_userns);
void rootfs_pivot_bundle(const struct config *cfg);
void rootfs_finish_bundle(const struct config *cfg);
/* Remove container ID's writable layer. */
int rootfs_remove(const char *id);
/* The bytes container ID's writable layer takes on disk. */
long long rootfs_disk_usage(const char *id);

#endif
