/*
 * path.h: paths that come from a container or an image, resolved inside
 * its root, never on the host.
 */
#ifndef FINAL_PATH_H
#define FINAL_PATH_H

#include <stdbool.h>

/*
 * open(2) PATH as if ROOTFD were "/": absolute symlinks and ".." stop at
 * ROOTFD, /proc magic links are not followed. FLAGS as open's (O_CLOEXEC is
 * added); a mode follows with O_CREAT. -1 with errno kept.
 */
int open_in_root(int rootfd, const char *path, int flags, ...);
/*
 * PATH resolved in ROOTFD as above, every missing component created on the
 * way: directories, and the last one a directory (DIR) or an empty file.
 * An O_PATH descriptor of it, or -1 with errno kept.
 */
int make_in_root(int rootfd, const char *path, bool dir);

#endif
