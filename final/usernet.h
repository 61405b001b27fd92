/*
 * usernet.h: rootless, the default network: slirp4netns (usernet.c).
 */
#ifndef FINAL_USERNET_H
#define FINAL_USERNET_H

#include "config.h"

#include <sys/types.h>

struct usernet {
	pid_t pid; /* slirp4netns, or 0 */
	int exit_fd; /* closing it ends slirp4netns */
	char api[108]; /* its API socket, in the state directory (sun_path's size) */
};

/* The container's nameserver: slirp4netns forwards it to the host's. */
const char *usernet_resolver(void);
/* One line and -1 if slirp4netns is not installed. */
int usernet_check(void);
/* slirp4netns for PID's network namespace (tap0), once it is up; ID names its socket. */
int usernet_start(struct usernet *u, const char *id, pid_t pid);
/* -p: each port (HOST_PORT chosen already) forwarded to the container. */
int usernet_publish(struct usernet *u, const struct port_mapping *ports, int n);
void usernet_stop(struct usernet *u);

#endif
