/*
 * layer.h: unpack a tarball — a rootfs tarball or one layer of an image —
 * into a directory, refusing every entry that would write outside it.
 */
#ifndef FINAL_LAYER_H
#define FINAL_LAYER_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Unpack TARBALL (tar, plain or compressed) into DIR, an existing empty
 * directory. With WHITEOUTS, the image layer's deletions (.wh.NAME files,
 * .wh..wh..opq opaque markers) become overlayfs whiteouts. WHAT names the
 * tarball in error messages. -1 with one message on the first bad entry.
 */
int layer_unpack(const char *tarball, const char *dir, bool whiteouts, const char *what);

/* An id range: container id N is host id UID + N (GID + N), for N below COUNT. */
struct id_shift {
	unsigned long uid, gid, count;
};

/*
 * Copy the tree SRC into DST, an existing empty directory, with every owner
 * moved into the range S (--userns=remap). -1 with one message if an owner
 * is outside it or a copy fails.
 */
int layer_copy_shifted(const char *src, const char *dst, const struct id_shift *s);

#endif
