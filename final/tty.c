/*
 * tty.c: pseudo-terminals for -t.
 *
 * The pty is opened *inside* the container, from its own devpts instance
 * (step 04), so the container sees its terminal as /dev/pts/0 and nothing of
 * the host's. Its master side is passed to the runtime over a unix socket
 * (SCM_RIGHTS, unix(7)); the runtime copies bytes between it and the user's
 * terminal, which it puts in raw mode so that Ctrl-C, Ctrl-Z and the arrow
 * keys reach the container's line discipline instead of ours.
 *
 * With -d, the monitor keeps the master and serves it on a unix socket in
 * the container's state directory: `final attach` connects, relays the
 * user's terminal through it, and leaves on Ctrl-P Ctrl-Q; while nobody is
 * attached, the output goes to the log.
 */
#define _GNU_SOURCE
#include "tty.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

int tty_open(int *slave)
{
	char name[64];
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return warn_errno("open /dev/ptmx");
	if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0)
		return warn_errno("unlockpt");
	*slave = open(name, O_RDWR | O_NOCTTY);
	if (*slave < 0)
		return warn_errno("open %s", name);
	return master;
}

int tty_send_fd(int sock, int fd)
{
	char byte = 0, control[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) < 0 ? warn_errno("send the terminal") : 0;
}

int tty_recv_fd(int sock)
{
	char byte, control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void copy_winsize(int master)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Copy what is readable on FROM to TO; false at end of file or error. */
static bool pump(int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	for (ssize_t off = 0; n > 0 && off < n;) {
		ssize_t w = write(to, buf + off, n - off);

		if (w < 0 && errno != EINTR)
			return false;
		off += w > 0 ? w : 0;
	}
	return n > 0 || (n < 0 && errno == EINTR);
}

/* Ctrl-P Ctrl-Q, docker's detach keys: a Ctrl-P is held back until we see what follows. */
#define CTRL_P 0x10
#define CTRL_Q 0x11

/* Copy stdin to PEER, watching for the detach keys (*HELD: a Ctrl-P pending); false on EOF. */
static bool pump_keys(int peer, bool *held, bool *detach)
{
	char in[4096], out[sizeof(in) + 1];
	ssize_t n = read(0, in, sizeof(in));
	size_t len = 0;

	for (ssize_t i = 0; i < n && !*detach; i++) {
		if (*held && in[i] == CTRL_Q)
			*detach = true;
		else if (*held)
			out[len++] = CTRL_P;
		*held = !*detach && in[i] == CTRL_P;
		if (!*detach && !*held)
			out[len++] = in[i];
	}
	if (len > 0 && write(peer, out, len) < 0)
		return false;
	return n > 0 || (n < 0 && errno == EINTR);
}

/*
 * The user's terminal <-> PEER (the pty's master, or a socket to the
 * monitor that holds it), in raw mode; WINSIZE_FD (a master) gets the window
 * size. Until PEER closes, or with DETACH the user types Ctrl-P Ctrl-Q
 * (then true).
 */
static bool relay(int peer, int winsize_fd, bool detach)
{
	struct termios saved, raw;
	bool is_tty = tcgetattr(0, &saved) == 0;
	bool stdin_open = true, held = false, detached = false;
	sigset_t winch, before;
	int sfd;

	/*
	 * SIGWINCH first, then the size: a resize in between is not lost.
	 * Blocked until we return: the next life's CMD (--restart) gets the
	 * mask we had.
	 */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &before);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		copy_winsize(winsize_fd);
	}
	while (!detached) {
		/*
		 * After stdin's end, poll without it (a negative fd is skipped): a
		 * pipe whose writer is gone, or a hung-up terminal, reports POLLHUP
		 * whatever the events asked for (poll(2)), so a zero mask would
		 * wake us at once, forever. The output is relayed until the end.
		 */
		struct pollfd fds[3] = {
		    {peer, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {sfd, POLLIN, 0}};

		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && !pump(peer, 1))
			break; /* EIO: the container's side is closed */
		if (fds[1].revents && !(detach ? pump_keys(peer, &held, &detached) : pump(0, peer)))
			stdin_open = false;
		if (fds[2].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) > 0)
				copy_winsize(winsize_fd);
		}
	}
	if (is_tty)
		tcsetattr(0, TCSANOW, &saved);
	close(sfd);
	sigprocmask(SIG_SETMASK, &before, NULL); /* a SIGWINCH still pending: ignored */
	return detached;
}

void tty_relay(int master)
{
	relay(master, master, false);
}

int tty_listen(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(addr.sun_path))
		return warn("%s: too long for a unix socket", path);
	strcpy(addr.sun_path, path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 4) < 0)
		return warn_errno("listen on %s", path);
	return fd;
}

/*
 * Copy FROM to the client *TO, or to SPILL when there is none; false at EOF
 * of FROM. MSG_NOSIGNAL: a client that left must not kill us with SIGPIPE
 * (and the container with us, PR_SET_PDEATHSIG): it is dropped instead.
 */
static bool pump_or_spill(int from, int *to, void (*spill)(const char *, size_t, void *), void *arg)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n > 0 && *to >= 0 && send(*to, buf, n, MSG_NOSIGNAL) < 0) {
		close(*to);
		*to = -1;
	}
	if (n > 0 && *to < 0)
		spill(buf, n, arg);
	return n > 0 || (n < 0 && errno == EINTR);
}

void tty_serve(int master, int listener, void (*spill)(const char *, size_t, void *), void *arg)
{
	int client = -1;

	for (;;) {
		struct pollfd fds[3] = {
		    {master, POLLIN, 0}, {listener, POLLIN, 0}, {client, POLLIN, 0}};

		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && !pump_or_spill(master, &client, spill, arg))
			break; /* the container's side is closed */
		if (fds[1].revents) {
			int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0 && (client >= 0 || tty_send_fd(c, master) < 0))
				close(c); /* one client at a time */
			else if (c >= 0)
				client = c;
		}
		if (fds[2].revents && !pump(client, master)) { /* the client left */
			close(client);
			client = -1;
		}
	}
	if (client >= 0)
		close(client);
}

int tty_attach(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), master;
	bool detached;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return warn_errno("connect to %s", path);
	master = tty_recv_fd(sock); /* only for the window size: the bytes go through SOCK */
	if (master < 0)
		return close(sock), warn("%s: another client is attached", path);
	detached = relay(sock, master, true);
	close(master);
	close(sock);
	if (detached)
		fprintf(stderr, "\r\nread escape sequence\r\n");
	return detached;
}
