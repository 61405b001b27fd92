/*
 * image.h: what ROOTFS names — a directory, used as it is, or a rootfs
 * tarball (.tar, .tar.gz, .tgz), unpacked once into the local store and
 * reused. (A later issue adds images pulled from a registry here.)
 */
#ifndef FINAL_IMAGE_H
#define FINAL_IMAGE_H

#include <stddef.h>

/* The directory to use as the container's lower layer; -1 with a message if none. */
int image_resolve(const char *rootfs, char *dir, size_t size);

#endif
