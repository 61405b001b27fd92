/*
 * pidfd.h: processes named by pidfd, never by a bare number.
 *
 * A pid names a process only while it lives: once it is reaped, the kernel
 * hands the number to the next process that asks. A record that says
 * "init_pid=4242" may therefore point at anybody a minute later. So every
 * pid final keeps is stored with the process's start time (field 22 of
 * /proc/PID/stat, which no later process with the same number can share),
 * and acted on only through a pidfd opened and then checked against it:
 * a pidfd keeps naming its process even after the number is reused.
 */
#ifndef FINAL_PIDFD_H
#define FINAL_PIDFD_H

#include <stdbool.h>
#include <sys/types.h>

/* PID's start time in clock ticks since boot; 0 if there is no such process (or a zombie). */
unsigned long long proc_start_time(pid_t pid);
/*
 * A pidfd for the process PID that started at START, or -1 (errno ESRCH)
 * when there is none: gone, a zombie, or someone else now has the number.
 * PID 0, 1 and negative pids are never anyone's container (kill(2) would
 * read them as "my group", "init" and "everyone").
 */
int proc_open(pid_t pid, unsigned long long start);
/* Is the process PID that started at START still alive? */
bool proc_alive(pid_t pid, unsigned long long start);
/* Send SIG to the process PIDFD names (Linux 5.1). */
int proc_signal(int pidfd, int sig);
/* setns() into NSTYPES (CLONE_NEW*) of the process PIDFD names; PID, START for the fallback. */
int proc_setns(int pidfd, pid_t pid, unsigned long long start, int nstypes);

#endif
