/*
 * stage07_faults.c: final when its surroundings misbehave. A terminal
 * option without a terminal, stdin that ends while the container runs, a
 * full disk under FINAL_DATA, FINAL_DATA on an overlayfs (final inside a
 * container), and what the container can learn of the runtime's command
 * line. Mounts are made in the test's own mount namespace only.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*** terminals ***/

/* -it from a pipe: refused at once with docker's line, nothing created. */
START_TEST(it_refuses_input_that_is_not_a_tty)
{
	struct proc p = {.input = "\n"};

	bin_run(&p, CMD("run", "-it", "--network", "none", test_rootfs, "/bin/true"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "the input device is not a TTY");
	FINAL_OK(&p, "run", "-d", "--name", "box", "--network", "none", test_rootfs, "/bin/sleep",
		 "100");
	p.input = "\n";
	bin_run(&p, CMD("exec", "-it", "box", "/bin/true"));
	p.input = NULL;
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "the input device is not a TTY");
	FINAL_OK(&p, "rm", "-f", "box");
}
END_TEST

/* BIN ARGS with stdin a pipe whose writer is gone: exit status, CPU seconds, wall seconds. */
static int run_on_closed_pipe(const char *const args[], double *cpu, double *wall)
{
	const char *argv[32] = {bin};
	struct timespec t0, t1;
	struct rusage ru;
	int fds[2], status = 0, n = 1;
	pid_t pid, r = 0;

	for (; *args && n < 31; args++)
		argv[n++] = *args;
	ck_assert(pipe2(fds, O_CLOEXEC) == 0); /* the writer must not stay open in BIN */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		setpgid(0, 0);
		dup2(fds[0], 0);
		dup2(null, 1);
		dup2(null, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(fds[0]);
	close(fds[1]); /* stdin's end, right away */
	for (int i = 0; i < 3000 && (r = wait4(pid, &status, WNOHANG, &ru)) == 0; i++)
		usleep(10000);
	if (r == 0) {
		kill(-pid, SIGKILL);
		wait4(pid, &status, 0, &ru);
		ck_abort_msg("%s still running after 30 s", bin);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
	*wall = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* -t whose stdin ends: the relay stops reading it, and does not spin until the container ends. */
START_TEST(tty_relay_rests_after_stdin_ends)
{
	double cpu, wall;
	int status = run_on_closed_pipe(
	    CMD("run", "--rm", "-t", "--network", "none", test_rootfs, "/bin/sleep", "2"), &cpu,
	    &wall);

	ck_assert_msg(status == 0, "exit status %d", status);
	ck_assert_msg(wall < 10, "took %.1f s for a 2 s sleep", wall);
	ck_assert_msg(cpu < 0.5, "final used %.2f s of CPU for a 2 s sleep", cpu);
}
END_TEST

void stage07_fault_tests(void)
{
	add_test(7, 0, it_refuses_input_that_is_not_a_tty);
	add_test(7, 0, tty_relay_rests_after_stdin_ends);
}
