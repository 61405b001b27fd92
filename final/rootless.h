/*
 * rootless.h: final without root, in a user namespace of the user's own.
 */
#ifndef FINAL_ROOTLESS_H
#define FINAL_ROOTLESS_H

#include <stdbool.h>

/* Not the host's root: an ordinary user, or root of a user namespace we entered. */
bool rootless(void);
/*
 * An ordinary user's command: FINAL_STATE and FINAL_DATA default to the
 * user's directories; with ENTER this process then enters a new user
 * namespace with the user's ranges mapped (newuidmap) or only its own id,
 * as its root.
 */
int rootless_enter(bool enter);

#endif
