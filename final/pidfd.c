/*
 * pidfd.c: processes named by pidfd (pidfd.h says why).
 *
 * pidfd_open() is Linux 5.3, pidfd_send_signal() 5.1, setns() on a pidfd
 * 5.8; for setns there is a fallback through /proc/PID/ns that checks the
 * start time again once the namespace files are open.
 */
#define _GNU_SOURCE
#include "pidfd.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

unsigned long long proc_start_time(pid_t pid)
{
	char path[64], stat[512], *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_file(path, stat, sizeof(stat)) < 0)
		return 0;
	/* "PID (COMM) STATE PPID ...": COMM may hold anything, so count from its last ')'. */
	p = strrchr(stat, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) /* starttime is field 22 (proc(5)) */
		if ((p = strchr(p, ' ')))
			p++;
	if (p)
		start = strtoull(p, NULL, 10);
	return start;
}

int proc_open(pid_t pid, unsigned long long start)
{
	int fd;

	if (pid <= 1 || start == 0)
		return errno = ESRCH, -1;
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -1;
	/* The pidfd names whoever had PID when it was opened: is that still our process? */
	if (proc_start_time(pid) != start) {
		close(fd);
		return errno = ESRCH, -1;
	}
	return fd;
}

bool proc_alive(pid_t pid, unsigned long long start)
{
	return pid > 1 && start && proc_start_time(pid) == start;
}

int proc_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static const struct {
	int type;
	const char *name;
} ns_files[] = {
    /* the user namespace first (rootless: the others need its capabilities); the mount
     * namespace last: it changes our root */
    {CLONE_NEWUSER, "user"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWUTS, "uts"},
    {CLONE_NEWNET, "net"},   {CLONE_NEWPID, "pid"}, {CLONE_NEWCGROUP, "cgroup"},
    {CLONE_NEWNS, "mnt"},
};

/* Before Linux 5.8: the namespace files, checked to belong to PID, START once open. */
static int setns_by_proc(pid_t pid, unsigned long long start, int nstypes)
{
	int fds[N_ELEMS(ns_files)], ret = 0;

	for (size_t i = 0; i < N_ELEMS(ns_files); i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
		fds[i] = nstypes & ns_files[i].type ? open(path, O_RDONLY | O_CLOEXEC) : -2;
		if (fds[i] == -1)
			ret = -1;
	}
	if (ret == 0 && !proc_alive(pid, start))
		ret = -1, errno = ESRCH;
	for (size_t i = 0; i < N_ELEMS(ns_files); i++) {
		if (ret == 0 && fds[i] >= 0 && setns(fds[i], ns_files[i].type) < 0)
			ret = -1;
		if (fds[i] >= 0)
			close(fds[i]);
	}
	return ret;
}

int proc_setns(int pidfd, pid_t pid, unsigned long long start, int nstypes)
{
	if (setns(pidfd, nstypes) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	return setns_by_proc(pid, start, nstypes);
}
