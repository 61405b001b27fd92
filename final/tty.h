/*
 * tty.h: -t, a pseudo-terminal from the container's own devpts.
 */
#ifndef FINAL_TTY_H
#define FINAL_TTY_H

#include <stddef.h>

/* In the container (after /dev/pts is mounted): a new pty; the slave's fd in *SLAVE. */
int tty_open(int *slave);
/* Pass FD over the unix socket SOCK, and receive one (SCM_RIGHTS). */
int tty_send_fd(int sock, int fd);
int tty_recv_fd(int sock);
/*
 * On the host side: copy the user's terminal to MASTER and back, in raw
 * mode, passing window size changes on, until the container's side closes.
 * The user's terminal settings are restored afterwards.
 */
void tty_relay(int master);
/* -d -t, the monitor: a unix socket at PATH; then serve MASTER to one `attach` at a time. */
int tty_listen(const char *path);
/* Until the container's side closes; SPILL(buf, n, ARG) gets the output nobody reads. */
void tty_serve(int master, int listener, void (*spill)(const char *buf, size_t n, void *arg),
	       void *arg);
/* final attach: the user's terminal to the socket at PATH; 1 if detached (Ctrl-P Ctrl-Q). */
int tty_attach(const char *path);

#endif
