/*
 * stage01.c: step 01 runs a command in a child and reports its exit the way
 * a shell does, behind the command line every step keeps (options, --help,
 * one-line errors, the root check). Every later stage keeps these promises, so these tests run
 * against every later step too (with the rootfs argument from stage 03 on).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(exit_status_passes_through)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "exit 3"));
	assert_exit(&p, 3);
}
END_TEST

START_TEST(killed_child_reports_128_plus_signal)
{
	struct proc p = {0};

	ctr_start_ready(&p, NULL, "echo ready; exec sleep 30");
	ctr_kill(&p, ctr_child(&p));
	assert_exit(&p, 128 + SIGKILL);
}
END_TEST

/* SIGTERM and SIGINT sent to the runtime reach the command, which decides. */
static void check_forwarded(int sig, const char *script, int code)
{
	struct proc p = {0};

	ctr_start_ready(&p, NULL, script);
	kill(p.pid, sig);
	proc_wait(&p, 10);
	assert_exit(&p, code);
}

START_TEST(sigterm_and_sigint_reach_the_child)
{
	check_forwarded(SIGTERM, "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done",
			42);
	check_forwarded(SIGINT, "trap 'exit 43' INT; echo ready; while :; do sleep 0.05; done", 43);
}
END_TEST

START_TEST(command_not_found_is_127)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("no-such-command-xyz"));
	assert_exit(&p, 127);
	assert_contains(p.err, "no-such-command-xyz");
	assert_one_line(p.err);
}
END_TEST

START_TEST(not_executable_is_126)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/etc/passwd"));
	assert_exit(&p, 126);
	assert_contains(p.err, "/etc/passwd");
	assert_one_line(p.err);
}
END_TEST

START_TEST(no_arguments_prints_usage)
{
	struct proc p = {0};

	proc_start(&p, (const char *const[]){bin, NULL});
	proc_wait(&p, 10);
	assert_exit(&p, 2);
	assert_contains(p.err, "usage");
	assert_one_line(p.err);
}
END_TEST

START_TEST(help_prints_usage_and_exits_0)
{
	struct proc p = {0};

	proc_start(&p, (const char *const[]){bin, "--help", NULL});
	proc_wait(&p, 10);
	assert_exit(&p, 0);
	assert_contains(p.out, "usage");
}
END_TEST

START_TEST(unknown_option_is_one_line)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--no-such-option"), CMD("/bin/true"));
	assert_exit(&p, 2);
	assert_one_line(p.err);
	assert_contains(p.err, "--no-such-option");
}
END_TEST

/* As nobody, from a copy of BIN that nobody may run (the checkout may be under /root). */
/* (test_rootfs changes only in this test's own process: Check forks one per test.) */
START_TEST(not_root_is_one_clear_line)
{
	char dir[] = "/tmp/not-root-XXXXXX", copy[64], cmd[4200];
	struct proc p = {.uid = 65534};
	const char *real = bin;

	ck_assert(mkdtemp(dir) && chmod(dir, 0755) == 0);
	snprintf(copy, sizeof(copy), "%s/bin", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && chmod 755 '%s'", bin, copy, copy);
	ck_assert(system(cmd) == 0);
	bin = copy;
	test_rootfs = "/"; /* from stage 03 on: a rootfs nobody may read, so only root is missing */
	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "exit 0"));
	bin = real;
	unlink(copy);
	rmdir(dir);
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "root");
}
END_TEST

START_TEST(stdio_passes_through)
{
	struct proc p = {.input = "hello from stdin\n"};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "cat; echo to-stderr >&2"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "hello from stdin\n");
	ck_assert_str_eq(p.err, "to-stderr\n");
}
END_TEST

START_TEST(leaves_no_process_behind)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "echo hi"));
	assert_exit(&p, 0);
	assert_no_process_left();
}
END_TEST

void stage01_tests(void)
{
	add_test(1, 0, exit_status_passes_through);
	add_test(1, 0, killed_child_reports_128_plus_signal);
	add_test(1, 0, sigterm_and_sigint_reach_the_child);
	add_test(1, 0, command_not_found_is_127);
	add_test(1, 0, not_executable_is_126);
	add_test(1, 0, no_arguments_prints_usage);
	add_test(1, 0, help_prints_usage_and_exits_0);
	add_test(1, 6, unknown_option_is_one_line); /* final: 125, as docker */
	add_test(1, 6, not_root_is_one_clear_line); /* final runs rootless: stage07_rootless.c */
	add_test(1, 0, stdio_passes_through);
	add_test(1, 0, leaves_no_process_behind);
}
