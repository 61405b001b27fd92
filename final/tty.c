/*
 * tty.c: pseudo-terminals for -t.
 *
 * The pty is opened *inside* the container, from its own devpts instance
 * (step 04), so the container sees its terminal as /dev/pts/0 and nothing of
 * the host's. Its master side is passed to the runtime over a unix socket
 * (SCM_RIGHTS, unix(7)); the runtime copies bytes between it and the user's
 * terminal, which it puts in raw mode so that Ctrl-C, Ctrl-Z and the arrow
 * keys reach the container's line discipline instead of ours.
 */
#define _GNU_SOURCE
#include "tty.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
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

void tty_relay(int master)
{
	struct termios saved, raw;
	bool is_tty = tcgetattr(0, &saved) == 0;
	bool stdin_open = true;
	sigset_t winch;
	int sfd;

	/* SIGWINCH first, then the size: a resize in between is not lost. */
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, NULL);
	sfd = signalfd(-1, &winch, SFD_CLOEXEC);
	if (is_tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		copy_winsize(master);
	}
	for (;;) {
		/*
		 * After stdin's end, poll without it (a negative fd is skipped): a
		 * pipe whose writer is gone, or a hung-up terminal, reports POLLHUP
		 * whatever the events asked for (poll(2)), so a zero mask would
		 * wake us at once, forever. The output is relayed until the end.
		 */
		struct pollfd fds[3] = {
		    {master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {sfd, POLLIN, 0}};

		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[0].revents && !pump(master, 1))
			break; /* EIO: the container's side is closed */
		if (fds[1].revents && !pump(0, master))
			stdin_open = false;
		if (fds[2].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) > 0)
				copy_winsize(master);
		}
	}
	if (is_tty)
		tcsetattr(0, TCSANOW, &saved);
	close(sfd);
}
