/*
 * euid: print "escaped" when run with effective uid 0 by a user who is not
 * root, "blocked" otherwise. The tests install it setuid-root in the test
 * rootfs; with no_new_privs the setuid bit must gain nothing.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	if (geteuid() == 0 && getuid() != 0) {
		printf("escaped: setuid made euid 0\n");
		return 0;
	}
	printf("blocked: euid %d, uid %d\n", (int)geteuid(), (int)getuid());
	return 1;
}
