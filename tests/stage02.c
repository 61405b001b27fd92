/*
 * stage02.c: step 02 puts the child in new UTS, PID, mount, IPC and network
 * namespaces, and keeps its mounts from propagating to the host.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

START_TEST(hostname_option_sets_the_hostname)
{
	struct proc p = {0};

	ctr_run(&p, CMD("-h", "testbox"), CMD("/bin/sh", "-c", "hostname"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "testbox\n");
	ctr_run(&p, CMD("--hostname", "other"), CMD("/bin/sh", "-c", "hostname"));
	assert_out_eq(&p, "other\n");
}
END_TEST

START_TEST(default_hostname_is_container)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "hostname"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "container\n");
}
END_TEST

/* The test's own UTS namespace plays the host, so a faulty step renames nothing real. */
START_TEST(host_hostname_is_unchanged)
{
	struct proc p = {0};
	char before[256], after[256];

	enter_private_uts_ns();
	gethostname(before, sizeof(before));
	/* (final refuses it outright: no CAP_SYS_ADMIN. The host's name must hold either way.) */
	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "hostname renamed-by-test; true"));
	assert_exit(&p, 0);
	gethostname(after, sizeof(after));
	ck_assert_str_eq(after, before);
}
END_TEST

START_TEST(command_is_pid_1)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "echo $$"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "1\n");
}
END_TEST

START_TEST(child_namespaces_differ_from_host)
{
	const char *names[] = {"uts", "pid", "mnt", "ipc", "net"};
	struct proc p = {0};
	pid_t child;

	ctr_start_ready(&p, NULL, "echo ready; exec sleep 30");
	child = ctr_child(&p);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ck_assert_msg(ns_inode(child, names[i]) != ns_inode(0, names[i]),
			      "the container shares the host's %s namespace", names[i]);
	ctr_kill(&p, child);
}
END_TEST

/* /proc/PID/net/dev lists the devices of PID's network namespace. */
START_TEST(network_namespace_has_only_lo)
{
	struct proc p = {0};
	char path[64];
	const char *dev;
	pid_t child;

	ctr_start_ready(&p, NULL, "echo ready; exec sleep 30");
	child = ctr_child(&p);
	snprintf(path, sizeof(path), "/proc/%d/net/dev", child);
	dev = slurp(path);
	ck_assert(dev != NULL);
	dev = strchr(strchr(dev, '\n') + 1, '\n') + 1; /* past the two header lines */
	ck_assert_msg(strncmp(dev, "    lo:", 7) == 0 && strchr(dev, '\n')[1] == '\0',
		      "devices other than lo:\n%s", dev);
	ctr_kill(&p, child);
}
END_TEST

/*
 * On a systemd host "/" is shared. The test makes its own "/" shared, then
 * has the container mount a tmpfs: the mount must not appear here, and the
 * step itself must leave no mount behind.
 */
START_TEST(mounts_inside_do_not_reach_the_host)
{
	struct proc p = {0};
	char *before;

	enter_shared_mount_ns();
	before = mount_points();
	ctr_run(&p, NULL,
		CMD("/bin/sh", "-c", "mount -t tmpfs test-tmpfs \"$0\" && echo mounted",
		    ctr_path("/tmp")));
	assert_exit(&p, 0);
	assert_out_eq(&p, "mounted\n");
	assert_unchanged("the host's mount table", before, mount_points());
}
END_TEST

/* When PID 1 of a PID namespace exits, the kernel kills everything left in it. */
START_TEST(background_processes_die_with_the_container)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "sleep 30 & exit 0"));
	assert_exit(&p, 0);
	assert_no_process_left();
}
END_TEST

void stage02_tests(void)
{
	add_test(2, 0, hostname_option_sets_the_hostname);
	add_test(2, 6, default_hostname_is_container); /* final: the short id */
	add_test(2, 0, host_hostname_is_unchanged);
	add_test(2, 6, command_is_pid_1); /* final runs an init as PID 1 */
	add_test(2, 0, child_namespaces_differ_from_host);
	add_test(2, 5, network_namespace_has_only_lo); /* step 06 adds eth0 */
	add_test(2, 6, mounts_inside_do_not_reach_the_host); /* final: stage07.c */
	add_test(2, 0, background_processes_die_with_the_container);
}
