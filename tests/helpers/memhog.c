/*
 * memhog MB: allocate MB mebibytes and touch every page, so that the memory
 * really is used; print "allocated MB MiB" and exit 0 if that worked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	long mb = argc > 1 ? atol(argv[1]) : 0;

	if (mb <= 0) {
		fprintf(stderr, "usage: memhog MB\n");
		return 2;
	}
	for (long i = 0; i < mb; i++) {
		char *p = malloc(1 << 20);

		if (!p) {
			printf("malloc failed after %ld MiB\n", i);
			return 1;
		}
		memset(p, 0x5a, 1 << 20); /* touch it: untouched pages cost nothing */
	}
	printf("allocated %ld MiB\n", mb);
	return 0;
}
