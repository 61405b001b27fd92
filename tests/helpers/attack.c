/*
 * attack ATTACK [ARG]: try one way out of a container. Prints "escaped: ..."
 * and exits 0 if it worked, "blocked: ..." and exits 1 if it did not.
 * Every attempt is harmless when it succeeds: nothing is written to the
 * host, no module is loaded, the clock is set to the time it already has.
 *
 *   mount      mount a tmpfs                 (CAP_SYS_ADMIN, seccomp)
 *   sysrq      open /proc/sysrq-trigger for writing   (read-only path)
 *   timers     read /proc/timer_list          (masked path)
 *   kcore      read /proc/kcore                (masked path; absent on some kernels)
 *   module     finit_module(-1): EPERM or not (CAP_SYS_MODULE, seccomp)
 *   keyctl     look up the session keyring    (seccomp)
 *   userns     unshare(CLONE_NEWUSER)          (seccomp)
 *   clone3     clone3 with CLONE_NEWUSER       (seccomp answers ENOSYS)
 *   mknod M:N  make block device M:N, then read it  (CAP_MKNOD)
 *   time       clock_settime to the current time  (CAP_SYS_TIME, seccomp)
 *   fds        any open descriptor above 2     (closed before exec)
 *   exe        open /proc/1/exe for writing    (the runtime's binary)
 *   kill PID   see /proc/PID or signal a host PID  (PID namespace)
 *   setuid     exec ./euid, a setuid-root copy, as a user  (no_new_privs)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int result(int ok, const char *what)
{
	if (ok)
		printf("escaped: %s\n", what);
	else
		printf("blocked: %s: %s\n", what, strerror(errno));
	return ok ? 0 : 1;
}

static int read_some(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);

	return fd >= 0 && read(fd, buf, sizeof(buf)) > 0;
}

int main(int argc, char **argv)
{
	const char *a = argc > 1 ? argv[1] : "";

	if (!strcmp(a, "mount"))
		return result(mount("tmpfs", "/tmp", "tmpfs", 0, NULL) == 0, "mount a tmpfs");
	if (!strcmp(a, "sysrq"))
		return result(open("/proc/sysrq-trigger", O_WRONLY) >= 0, "open sysrq-trigger");
	if (!strcmp(a, "kcore"))
		return result(read_some("/proc/kcore"), "read /proc/kcore");
	if (!strcmp(a, "timers"))
		return result(read_some("/proc/timer_list"), "read /proc/timer_list");
	if (!strcmp(a, "module")) {
		int r = syscall(SYS_finit_module, -1, "", 0);

		return result(r == 0 || errno != EPERM, "reach finit_module");
	}
	if (!strcmp(a, "keyctl"))
		return result(syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0) >= 0,
			      "keyctl");
	if (!strcmp(a, "userns"))
		return result(unshare(CLONE_NEWUSER) == 0, "unshare(CLONE_NEWUSER)");
	if (!strcmp(a, "clone3")) {
		struct clone_args args = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
		long pid = syscall(SYS_clone3, &args, sizeof(args));

		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		return result(pid > 0, "clone3(CLONE_NEWUSER)");
	}
	if (!strcmp(a, "mknod") && argc > 2) {
		unsigned int major, minor;

		if (sscanf(argv[2], "%u:%u", &major, &minor) != 2)
			return 2;
		unlink("/dev/attack-disk");
		if (mknod("/dev/attack-disk", S_IFBLK | 0600, makedev(major, minor)) < 0)
			return result(0, "mknod the host's disk");
		/* The node is the breach; whether a read works depends on the host's device cgroup.
		 */
		printf("escaped: mknod the host's disk (reading it: %s)\n",
		       read_some("/dev/attack-disk") ? "worked" : strerror(errno));
		return 0;
	}
	if (!strcmp(a, "time")) {
		struct timespec now;

		clock_gettime(CLOCK_REALTIME, &now);
		return result(clock_settime(CLOCK_REALTIME, &now) == 0, "clock_settime");
	}
	if (!strcmp(a, "fds")) {
		for (int fd = 3; fd < 1024; fd++)
			if (fcntl(fd, F_GETFD) >= 0) {
				printf("escaped: descriptor %d is open\n", fd);
				return 0;
			}
		errno = 0;
		return result(0, "no descriptor above 2");
	}
	if (!strcmp(a, "exe"))
		return result(open("/proc/1/exe", O_WRONLY) >= 0, "open /proc/1/exe for writing");
	if (!strcmp(a, "kill") && argc > 2) {
		char proc[64];

		snprintf(proc, sizeof(proc), "/proc/%s", argv[2]);
		return result(access(proc, F_OK) == 0 || kill(atoi(argv[2]), 0) == 0,
			      "see or signal a host process");
	}
	if (!strcmp(a, "setuid")) {
		execl("/t/euid", "euid", (char *)NULL);
		return 2;
	}
	fprintf(stderr, "usage: attack mount|sysrq|timers|kcore|module|keyctl|userns|clone3|mknod "
			"M:N|time|fds|exe|kill PID|setuid\n");
	return 2;
}
