/*
 * userns.h: --userns=remap, the container's root as an unprivileged host id.
 */
#ifndef FINAL_USERNS_H
#define FINAL_USERNS_H

#include "layer.h"

#include <stddef.h>

/* The user whose /etc/subuid and /etc/subgid ranges are used: FINAL_REMAP_USER or final-remap. */
const char *userns_remap_user(void);
/* That user's ranges, the user and the ranges made on first use (useradd, usermod). */
int userns_remap_range(struct id_shift *s);
/*
 * A new user namespace with 0 mapped to S's ranges: its descriptor, or -1.
 * With NETNS, a network namespace of its own too, in *NETNS.
 */
int userns_create(const struct id_shift *s, int *netns);
/*
 * LOWER (the overlay's layers, joined by ':') as copies owned by the range:
 * a stored image layer's copy is kept next to it (layers/sha256/HEX@UID-GID)
 * for every container of that range; any other directory is copied into OWN.
 */
int userns_shift_lowers(const char *lower, const struct id_shift *s, const char *own, char *out,
			size_t size);

#endif
