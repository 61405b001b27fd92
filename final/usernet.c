/*
 * usernet.c: rootless, the default network is a user-mode one.
 *
 * An ordinary user cannot put a veth on the host's bridge nor write NAT
 * rules: the host's network namespace is the host root's. slirp4netns
 * (what podman used before pasta) runs in the host's network namespace as
 * the user, joins the container's to make a tap device there (tap0,
 * 10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3), and carries the
 * container's packets in user space: a TCP connection from the container
 * becomes a connection slirp4netns opens itself, as the user. -p is a port
 * slirp4netns listens on and forwards (its API socket, add_hostfwd).
 *
 * It runs with --disable-host-loopback (the container may not reach the
 * host's 127.0.0.1, where services trust local users) and, as podman runs
 * it, --enable-sandbox and --enable-seccomp. It ends when --exit-fd closes:
 * when we close it, or when we die.
 */
#define _GNU_SOURCE
#include "usernet.h"
#include "dl.h"
#include "state.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUEST_ADDR "10.0.2.100"

const char *usernet_resolver(void)
{
	return "10.0.2.3";
}

static bool slirp4netns_installed(void)
{
	const char *path = getenv("PATH");

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		char full[4096];
		size_t n = strcspn(p, ":");

		snprintf(full, sizeof(full), "%.*s/slirp4netns", (int)n, p);
		if (access(full, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

int usernet_check(void)
{
	if (!slirp4netns_installed())
		return warn("rootless: the default network needs slirp4netns (Debian's slirp4netns "
			    "package), or use --network none");
	/* udev makes it 0666 on distributions; a bare devtmpfs leaves it 0600 */
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		return warn_errno("rootless: slirp4netns needs /dev/net/tun open to you (mode "
				  "0666, as udev makes it), or use --network none");
	return 0;
}

/* What slirp4netns said last (its log), for our one line. */
static const char *last_words(const char *log)
{
	static char text[4096];
	char *line, *end;

	if (read_file(log, text, sizeof(text)) <= 0)
		return "no reason given";
	for (end = text + strlen(text); end > text && end[-1] == '\n';)
		*--end = '\0';
	line = strrchr(text, '\n');
	return line ? line + 1 : text;
}

int usernet_start(struct usernet *u, const char *id, pid_t pid)
{
	int ready[2], exit_fd[2];
	char pidarg[16], buf[8], log[128];
	struct pollfd pfd;

	if (snprintf(u->api, sizeof(u->api), "%s/slirp-%s.sock", state_root(), id) >=
	    (int)sizeof(u->api))
		return warn("rootless: %s is too long a path for slirp4netns's socket",
			    state_root());
	unlink(u->api);
	snprintf(log, sizeof(log), "%s/slirp-%s.log", state_root(), id);
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(exit_fd, O_CLOEXEC) < 0)
		return warn_errno("pipe2");
	snprintf(pidarg, sizeof(pidarg), "%d", (int)pid);
	u->pid = fork();
	if (u->pid < 0)
		return warn_errno("fork");
	if (u->pid == 0) {
		int null = open("/dev/null", O_RDWR);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		/* fds 3 and 4 without O_CLOEXEC: the only ones it keeps; its chatter into LOG */
		if (dup2(ready[1], 3) < 0 || dup2(exit_fd[0], 4) < 0 || null < 0 || out < 0 ||
		    dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		execlp("slirp4netns", "slirp4netns", "--configure", "--mtu=65520",
		       "--disable-host-loopback", "--enable-sandbox", "--enable-seccomp",
		       "--ready-fd=3", "--exit-fd=4", "--api-socket", u->api, pidarg, "tap0",
		       (char *)NULL);
		die_errno("slirp4netns");
	}
	close(ready[1]);
	close(exit_fd[0]);
	u->exit_fd = exit_fd[1];
	/* "1" once tap0 is up with its address and route, or EOF if it failed */
	pfd = (struct pollfd){.fd = ready[0], .events = POLLIN};
	if (poll(&pfd, 1, 10000) != 1 || read(ready[0], buf, 1) != 1) {
		close(ready[0]);
		usernet_stop(u);
		warn("rootless: slirp4netns did not bring the network up: %s", last_words(log));
		unlink(log);
		return -1;
	}
	close(ready[0]);
	unlink(log); /* open still: what it says later goes nowhere */
	return 0;
}

/* One request on the API socket: 0 if its answer has no "error". */
static int api_call(const struct usernet *u, const char *request, char *answer, size_t size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n = -1;

	memcpy(addr.sun_path, u->api, sizeof(u->api));
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    write(fd, request, strlen(request)) < 0 || shutdown(fd, SHUT_WR) < 0 ||
	    (n = read(fd, answer, size - 1)) < 0) {
		if (fd >= 0)
			close(fd);
		return warn_errno("slirp4netns's API socket %s", u->api);
	}
	close(fd);
	answer[n] = '\0';
	return strstr(answer, "\"error\"") ? -1 : 0;
}

int usernet_publish(struct usernet *u, const struct port_mapping *ports, int n)
{
	char answer[1024];

	if (n && dl_json() < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		const struct port_mapping *p = &ports[i];
		json_t *req;
		char *text;
		int ret;

		req = json.pack("{s:s,s:{s:s,s:s,s:i,s:s,s:i}}", "execute", "add_hostfwd",
				"arguments", "proto", p->protocol, "host_addr",
				p->host_ip[0] ? p->host_ip : "0.0.0.0", "host_port", p->host_port,
				"guest_addr", GUEST_ADDR, "guest_port", p->container_port);
		text = req ? json.dumps(req, JSON_COMPACT) : NULL;
		ret = text ? api_call(u, text, answer, sizeof(answer)) : -1;
		free(text);
		if (req)
			json.delete(req);
		if (ret < 0)
			return warn("rootless: publish port %d/%s: %s", p->host_port, p->protocol,
				    answer[0] ? answer : "slirp4netns refused");
	}
	return 0;
}

void usernet_stop(struct usernet *u)
{
	if (u->pid <= 0)
		return;
	close(u->exit_fd); /* it ends */
	waitpid(u->pid, NULL, 0);
	u->pid = 0;
	unlink(u->api);
}
