/*
 * stage04.c: step 04 mounts the container's own /proc, a read-only /sys, a
 * minimal /dev with a new devpts instance, and tmpfs on /dev/shm and /tmp.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Collapse runs of blanks and drop blanks at the start of lines. */
static void squeeze_blanks(char *s)
{
	char *out = s;

	for (char *in = s; *in; in++)
		if (*in != ' ' || (out > s && out[-1] != ' ' && out[-1] != '\n'))
			*out++ = *in;
	*out = '\0';
}

/* `ps` lists exactly the shell as PID 1 and ps itself. */
START_TEST(ps_shows_only_the_container)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "ps -o pid,comm; true"));
	assert_exit(&p, 0);
	squeeze_blanks(p.out);
	assert_out_eq(&p, "PID COMMAND\n1 sh\n2 ps\n");
}
END_TEST

/* The options of mount point TARGET in a /proc/mounts text; NULL if absent. */
static const char *mount_options(const char *mounts, const char *target, char *opts, size_t size)
{
	char line[1024], point[512], fmt[32];
	const char *s = mounts;

	snprintf(fmt, sizeof(fmt), "%%*s %%511s %%*s %%%zus", size - 1);
	while (sscanf(s, "%1023[^\n]", line) == 1) {
		if (sscanf(line, fmt, point, opts) == 2 && strcmp(point, target) == 0)
			return opts;
		s += strlen(line) + 1;
	}
	return NULL;
}

/* Each of OPTIONS (comma separated) is among TARGET's mount options. */
static void assert_mount_has(const char *mounts, const char *target, const char *options)
{
	char opts[512], want[256], *tok, *save;

	ck_assert_msg(mount_options(mounts, target, opts, sizeof(opts)), "%s is not mounted:\n%s",
		      target, mounts);
	snprintf(want, sizeof(want), "%s", options);
	for (tok = strtok_r(want, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char padded[520], needle[64];

		snprintf(padded, sizeof(padded), ",%s,", opts);
		snprintf(needle, sizeof(needle), ",%s,", tok);
		ck_assert_msg(strstr(padded, needle), "%s is mounted %s, without %s", target, opts,
			      tok);
	}
}

/* (Later a bind mount on /etc/resolv.conf joins them (06), and masked paths under /proc, /sys
 * (final).) */
START_TEST(mounts_are_the_containers_own)
{
	struct proc p = {0};

	ctr_run(&p, NULL,
		CMD("/bin/sh", "-c",
		    "cut -d' ' -f2 /proc/mounts | grep -vx -e /etc/resolv.conf -e /etc/hosts -e "
		    "/etc/hostname -e '/proc/.*' -e '/sys/.*' | sort"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "/\n/dev\n/dev/pts\n/dev/shm\n/proc\n/sys\n/tmp\n");
}
END_TEST

START_TEST(mount_flags_are_deliberate)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/cat", "/proc/mounts"));
	assert_exit(&p, 0);
	assert_mount_has(p.out, "/proc", "nosuid,nodev,noexec");
	assert_mount_has(p.out, "/sys", "ro,nosuid,nodev,noexec");
	assert_mount_has(p.out, "/dev", "nosuid,noexec");
	assert_mount_has(p.out, "/dev/pts", "nosuid,noexec");
	assert_mount_has(p.out, "/dev/shm", "nosuid,nodev,noexec");
	assert_mount_has(p.out, "/tmp", "nosuid,nodev");
}
END_TEST

/* On a simulated systemd host, nothing inside may still be a shared mount. */
START_TEST(no_shared_propagation_inside)
{
	struct proc p = {0};

	enter_shared_mount_ns();
	ctr_run(&p, NULL, CMD("/bin/cat", "/proc/self/mountinfo"));
	assert_exit(&p, 0);
	ck_assert_msg(strstr(p.out, "shared:") == NULL, "shared mounts inside:\n%s", p.out);
	assert_contains(p.out, " /proc ");
}
END_TEST

START_TEST(dev_has_the_usual_nodes)
{
	struct proc p = {0};

	ctr_run(
	    &p, NULL,
	    CMD("/bin/sh", "-c",
		"for d in null zero full random urandom tty; do [ -c /dev/$d ] || echo no $d; done;"
		"for l in ptmx fd stdin stdout stderr; do [ -L /dev/$l ] || echo no $l; done;"
		"[ -c /dev/pts/ptmx ] || echo no pts/ptmx; [ -d /dev/shm ] || echo no shm;"
		"[ -c /dev/null ] && echo discarded > /dev/null; head -c 16 /dev/urandom | wc -c"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "16\n");
}
END_TEST

/* newinstance: the container's /dev/pts is another filesystem than the host's. */
START_TEST(devpts_is_a_new_instance)
{
	struct proc p = {0};
	struct stat host, inside;
	char path[64];
	pid_t child;

	ctr_start_ready(&p, NULL, "echo ready; exec sleep 30");
	child = ctr_child(&p);
	snprintf(path, sizeof(path), "/proc/%d/root/dev/pts", child);
	ck_assert(stat("/dev/pts", &host) == 0);
	ck_assert_msg(stat(path, &inside) == 0, "no /dev/pts in the container");
	ck_assert_msg(host.st_dev != inside.st_dev, "the container shares the host's devpts");
	ctr_kill(&p, child);
}
END_TEST

START_TEST(tmp_writes_stay_off_the_rootfs)
{
	struct proc p = {0};
	char path[4096];

	ctr_run(&p, NULL,
		CMD("/bin/sh", "-c", "echo scratch > /tmp/stage04-file && cat /tmp/stage04-file"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "scratch\n");
	snprintf(path, sizeof(path), "%s/tmp/stage04-file", test_rootfs);
	if (access(path, F_OK) == 0) {
		unlink(path);
		ck_abort_msg("%s was written on disk", path);
	}
}
END_TEST

void stage04_tests(void)
{
	add_test(4, 6, ps_shows_only_the_container); /* final adds its init */
	add_test(4, 0, mounts_are_the_containers_own);
	add_test(4, 0, mount_flags_are_deliberate);
	add_test(4, 0, no_shared_propagation_inside);
	add_test(4, 0, dev_has_the_usual_nodes);
	add_test(4, 0, devpts_is_a_new_instance);
	add_test(4, 0, tmp_writes_stay_off_the_rootfs);
}
