/*
 * layer.h: unpack a tarball — a rootfs tarball or one layer of an image —
 * into a directory, refusing every entry that would write outside it.
 */
#ifndef FINAL_LAYER_H
#define FINAL_LAYER_H

#include <stdbool.h>

/*
 * Unpack TARBALL (tar, plain or compressed) into DIR, an existing empty
 * directory. With WHITEOUTS, the image layer's deletions (.wh.NAME files,
 * .wh..wh..opq opaque markers) become overlayfs whiteouts. WHAT names the
 * tarball in error messages. -1 with one message on the first bad entry.
 */
int layer_unpack(const char *tarball, const char *dir, bool whiteouts, const char *what);

#endif
