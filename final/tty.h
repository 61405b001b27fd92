/*
 * tty.h: -t, a pseudo-terminal from the container's own devpts.
 */
#ifndef FINAL_TTY_H
#define FINAL_TTY_H

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

#endif
