/*
 * catcher: for SECONDS seconds, look for a process in the container whose
 * executable is neither busybox nor a sealed memfd, and open it for reading:
 * print "reached EXE" if that works (the host's runtime binary, say, which
 * could as well have been opened for writing: CVE-2019-5736), else nothing.
 * It only reads: a test that fails must not damage the host.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int foreign(const char *link)
{
	return !strstr(link, "busybox") && strncmp(link, "/memfd:", 7) != 0 &&
	       !strstr(link, "/t/catcher") && link[0] == '/';
}

int main(int argc, char **argv)
{
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 5);

	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char path[300], link[512];
			ssize_t n;
			int fd;

			snprintf(path, sizeof(path), "/proc/%s/exe", e->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (foreign(link) && (fd = open(path, O_RDONLY)) >= 0) {
				printf("reached %s\n", link);
				fflush(stdout);
				close(fd);
				return 0;
			}
		}
		if (d)
			closedir(d);
	}
	return 0;
}
