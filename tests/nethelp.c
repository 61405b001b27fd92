/*
 * nethelp.c: the networks tests build around a container — a "remote" host
 * in a network namespace of its own, and small TCP clients and servers.
 * All of it lives in namespaces the test made (see enter_test_host_netns).
 */
#define _GNU_SOURCE
#define HARNESS_INTERNAL /* defines sh() */
#include "harness.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

char *link_names(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (i = ifs; i && i->if_index; i++)
		fprintf(out, "%s\n", i->if_name);
	if_freenameindex(ifs);
	fclose(out);
	return buf;
}

const char *fetch(const char *addr, int port)
{
	static char buf[256];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, addr, &sa.sin_addr);
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ssize_t n;

		/* An empty answer is retried too: a user-mode proxy (slirp4netns) accepts the
		 * connection before the container's server listens, then closes it. */
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
		    (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			close(fd);
			return buf;
		}
		close(fd);
		usleep(100000);
	}
	return "(no connection, or no answer)";
}

void accept_and_report(int port, int fd)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)}, peer;
	socklen_t len = sizeof(peer);
	int s = socket(AF_INET, SOCK_STREAM, 0), c;

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
		_exit(1);
	c = accept(s, (struct sockaddr *)&peer, &len);
	dprintf(fd, "%s", c < 0 ? "accept failed" : inet_ntoa(peer.sin_addr));
}

pid_t start_remote(void (*body)(int fd), int fd)
{
	int up[2], down[2]; /* one pipe each way: a process must not read its own byte */
	pid_t pid;

	ck_assert(pipe(up) == 0 && pipe(down) == 0);
	pid = fork();
	if (pid == 0) {
		char byte;

		if (unshare(CLONE_NEWNET) < 0 || write(up[1], "1", 1) != 1 ||
		    read(down[0], &byte, 1) != 1 ||
		    system(IP " addr add 203.0.113.2/24 dev rt1 && " IP " link set rt1 up && " IP
			      " route add default via 203.0.113.1") != 0) {
			dprintf(fd, "remote setup failed");
			_exit(1);
		}
		body(fd);
		_exit(0);
	}
	ck_assert(read(up[0], &(char){0}, 1) == 1); /* it is in its namespace */
	sh(IP " link add rt0 type veth peer name rt1 netns %d", pid);
	sh(IP " addr add 203.0.113.1/24 dev rt0 && " IP " link set rt0 up");
	ck_assert(write(down[1], "1", 1) == 1); /* its end of the link exists: configure, go */
	return pid;
}

const char *await_remote(pid_t remote, int fds[2])
{
	static char seen[256];
	ssize_t n = 0;

	close(fds[1]);
	if (poll(&(struct pollfd){.fd = fds[0], .events = POLLIN}, 1, 5000) == 1)
		n = read(fds[0], seen, sizeof(seen) - 1);
	seen[n > 0 ? n : 0] = '\0';
	kill(remote, SIGKILL);
	waitpid(remote, NULL, 0);
	close(fds[0]);
	return seen;
}
