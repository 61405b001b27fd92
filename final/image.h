/*
 * image.h: what ROOTFS names — a directory, used as it is; a rootfs
 * tarball (.tar, .tar.gz, .tgz), unpacked once into the local store; or an
 * image in a registry (alpine, host:port/repo:tag, repo@sha256:...),
 * pulled once into the store.
 */
#ifndef FINAL_IMAGE_H
#define FINAL_IMAGE_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The overlay's lower directories for CFG->image into LOWER (':'-separated,
 * topmost first); for an image, its config's defaults into CFG (command,
 * environment, working directory, user) and CFG->image normalised. Pulls
 * an image that is not here yet. -1 with a message if none of that works.
 */
int image_resolve(struct config *cfg, char *lower, size_t size);
/* Pull NAME for PLATFORM (os/arch[/variant]; NULL: this machine's); its manifest's digest. */
int image_pull(const char *name, const char *platform, bool progress, char digest[72]);
/* final images: what the store holds. */
int image_list(void);
/* NAME as the store and container records spell it: docker.io/library/alpine:latest. */
int image_name(const char *name, char *out, size_t size);
/* final inspect IMAGE: its config blob with Id and RepoTags (a json_t *), or NULL. */
void *image_inspect(const char *name);
/* final rmi: forget NAME, and remove every layer and blob no other image uses. */
int image_remove(const char *name);

/* What the store holds, for final system df. */
struct store_usage {
	int images, images_active;    /* pulled; used by a container */
	long long images_size;	      /* their manifests, configs and layers, on disk */
	long long images_reclaimable; /* of which no container's image uses */
	int unused;		      /* blobs and layers no image uses */
	long long unused_size;
	int leftovers; /* partial downloads, half-unpacked layers */
	long long leftovers_size;
};
/* The store's usage; an image is active when IN_USE(its name, ARG) says so. */
int image_usage(struct store_usage *u, bool (*in_use)(const char *name, void *arg), void *arg);
/* final system prune: leftovers of pulls, blobs and layers no image uses; bytes freed or -1. */
long long image_prune(void);

#endif
