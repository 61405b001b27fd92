/*
 * stage07_devices.c: final's device allow-list (final/cgroup.c, final/ebpf.c)
 * and --device.
 *
 * A device node is a door to the hardware behind it: whoever opens a node
 * with the host disk's major:minor reads and writes that disk raw, whatever
 * mount namespace or root the node sits in. An image can ship such a node, a
 * container with CAP_MKNOD can make one; the cgroup's allow-list is what
 * keeps them shut (v1: the devices controller; v2: an eBPF program). Here
 * "the host's disk" is a loop device on a small file the test makes, so the
 * file shows from the host whether a write got through, and nothing real is
 * at risk when a test fails.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LOSETUP "/usr/sbin/losetup" /* util-linux's, by path: busybox's has no --show */
#define SECRET	"host-disk-secret"  /* the first bytes of the disk */

/* Read the node, then write "pwned" over its first bytes; one line for each. */
#define READ_AND_WRITE(node)                                                                       \
	"head -c 16 " node " && echo || echo read-refused; "                                       \
	"printf pwned >" node " && echo written || echo write-refused"

struct disk {
	char file[64]; /* the loop device's backing file */
	char dev[32];  /* /dev/loopN */
	unsigned int major, minor;
};

/*
 * However the test ends (a failed assertion exits at once, without a
 * teardown), a process of ours then detaches the loop device and removes its
 * file: it waits for the end of a pipe whose other end only we hold.
 */
static void clean_up_at_exit(const struct disk *d)
{
	int fds[2];
	pid_t pid;
	char c;

	ck_assert(pipe2(fds, O_CLOEXEC) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0); /* Check kills the test's process group when the test ends */
		close(fds[1]);
		while (read(fds[0], &c, 1) < 0 && errno == EINTR)
			;
		unlink(d->file);
		execl(LOSETUP, "losetup", "-d", d->dev, (char *)NULL);
		_exit(127);
	}
	close(fds[0]); /* fds[1] stays open until we exit */
}

/* A loop device on a 64 KiB file that starts with SECRET. */
static void make_disk(struct disk *d)
{
	char cmd[160];
	struct stat st;
	bool made;
	FILE *f;
	int fd;

	snprintf(d->file, sizeof(d->file), "/var/tmp/final-disk-XXXXXX");
	fd = mkstemp(d->file);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	ck_assert(write(fd, SECRET, strlen(SECRET)) == (ssize_t)strlen(SECRET) &&
		  ftruncate(fd, 65536) == 0 && close(fd) == 0);
	snprintf(cmd, sizeof(cmd), LOSETUP " -f --show %s", d->file);
	f = popen(cmd, "r");
	made = f && fgets(d->dev, sizeof(d->dev), f);
	if (f)
		pclose(f);
	if (!made)
		unlink(d->file);
	ck_assert_msg(made, "%s failed: util-linux's losetup and the loop module are needed", cmd);
	d->dev[strcspn(d->dev, "\n")] = '\0';
	clean_up_at_exit(d);
	ck_assert_msg(stat(d->dev, &st) == 0 && S_ISBLK(st.st_mode), "%s is no block device",
		      d->dev);
	d->major = major(st.st_rdev);
	d->minor = minor(st.st_rdev);
}

/* The disk's first bytes, as the host sees them now. */
static const char *disk_head(const struct disk *d)
{
	static char head[17];
	const char *all = slurp(d->file);

	snprintf(head, sizeof(head), "%s", all ? all : "(unreadable)");
	return head;
}

/* The issue (#14): a root filesystem that brings a node for the host's disk. */
START_TEST(device_node_in_the_image_is_refused)
{
	char root[256], busybox[4200];
	struct proc p = {0};
	struct disk d;

	make_disk(&d);
	/* A root of its own: busybox and the node, readable and writable by anyone. */
	snprintf(root, sizeof(root), "%s/disk-image", getenv("FINAL_DATA"));
	snprintf(busybox, sizeof(busybox), "%s/bin/busybox", test_rootfs);
	sh("mkdir -p %s/bin && cp %s %s/bin/ && ln -s busybox %s/bin/sh && ln -s busybox "
	   "%s/bin/head "
	   "&& mknod -m 666 %s/disk b %u %u",
	   root, busybox, root, root, root, root, d.major, d.minor);
	/* Every other protection on: none of them is about devices. */
	bin_run(&p, CMD("run", "--rm", "--network", "none", "-u", "1000", "--cap-drop", "ALL",
			"--read-only", root, "/bin/sh", "-c", READ_AND_WRITE("/disk")));
	assert_out_eq(&p, "read-refused\nwrite-refused\n");
	ck_assert_str_eq(disk_head(&d), SECRET);
}
END_TEST

/*
 * With CAP_MKNOD a container makes any node it likes, in its own /dev (a
 * tmpfs the runtime mounts, not nodev): mknod is allowed, as in docker, and
 * opening the node is refused by the cgroup with EPERM. exec is in the same
 * cgroup.
 */
START_TEST(mknod_of_the_host_disk_is_refused)
{
	char script[512];
	struct proc p = {0}, e = {0}, q = {0};
	struct disk d;

	make_disk(&d);
	snprintf(script, sizeof(script),
		 "mknod /dev/disk b %u %u && echo made; " READ_AND_WRITE("/dev/disk"), d.major,
		 d.minor);
	ctr_run(&p, CMD("--network", "none", "--cap-add", "MKNOD"), CMD("/bin/sh", "-c", script));
	FINAL_OK(&e, "run", "-d", "--name", "box", "--network", "none", "--cap-add", "MKNOD",
		 test_rootfs, "/bin/sh", "-c", "touch /tmp/box-ready && exec sleep 100");
	/* `run -d` returns before the container's root is set up, and an exec that early
	 * lands in a copy of the host's mounts: wait for the root first. */
	for (int i = 0; i < 50; i++) {
		if (bin_run(&e, CMD("exec", "box", "/bin/sh", "-c", "test -e /tmp/box-ready")) == 0)
			break;
		usleep(100000);
	}
	bin_run(&e, CMD("exec", "box", "/bin/sh", "-c", script));
	bin_run(&q, CMD("rm", "-f", "box")); /* before asserting: a failure exits at once */
	assert_out_eq(&p, "made\nread-refused\nwrite-refused\n");
	assert_contains(p.err, "Operation not permitted");
	assert_out_eq(&e, "made\nread-refused\nwrite-refused\n");
	ck_assert_str_eq(disk_head(&d), SECRET);
}
END_TEST

/* --device HOST:CTR:r reads the disk but cannot write it; without PERMS (rwm) it can. */
START_TEST(device_option_grants_the_node)
{
	char ro[64], rw[64], node[128];
	struct proc p = {0};
	struct stat st;
	struct disk d;

	make_disk(&d);
	ck_assert(stat(d.dev, &st) == 0);
	snprintf(ro, sizeof(ro), "%s:/dev/disk:r", d.dev);
	snprintf(rw, sizeof(rw), "%s:/dev/disk", d.dev);
	/* The node is the host's: type, major:minor (stat prints them in hex), mode. */
	snprintf(node, sizeof(node), "block special file %x:%x %o\n", d.major, d.minor,
		 st.st_mode & 07777);
	ctr_run(
	    &p, CMD("--network", "none", "--device", ro),
	    CMD("/bin/sh", "-c", "stat -c '%F %t:%T %a' /dev/disk; " READ_AND_WRITE("/dev/disk")));
	assert_exit(&p, 0);
	ck_assert_msg(strncmp(p.out, node, strlen(node)) == 0, "stdout '%s', expected '%s...'",
		      p.out, node);
	ck_assert_str_eq(p.out + strlen(node), SECRET "\nwrite-refused\n");
	ck_assert_str_eq(disk_head(&d), SECRET);
	ctr_run(&p, CMD("--network", "none", "--device", rw),
		CMD("/bin/sh", "-c", READ_AND_WRITE("/dev/disk")));
	assert_exit(&p, 0);
	assert_out_eq(&p, SECRET "\nwritten\n");
	ck_assert_str_eq(disk_head(&d), "pwneddisk-secret");
}
END_TEST

START_TEST(bad_device_options_are_one_line)
{
	const char *const bad[][2] = {{"--device", "/dev/no-such-device"},
				      {"--device", "/etc/passwd"}, /* a regular file */
				      {"--device", "/dev/null:/dev/mine:rwx"},
				      {"--device", "/dev/null:/etc/null"},
				      {"--device", "dev/null"}};
	struct proc p = {0};

	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
	FINAL_OK(&p, "run", "--help");
	assert_contains(p.out, "--device HOST[:CTR][:PERMS]");
}
END_TEST

/* How many BPF_CGROUP_DEVICE programs are attached to the cgroup directory DIR (v2). */
static int device_programs(const char *dir)
{
	union bpf_attr attr = {.query = {.attach_type = BPF_CGROUP_DEVICE}};
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	ck_assert_msg(fd >= 0, "open %s: %s", dir, strerror(errno));
	attr.query.target_fd = fd;
	ck_assert_msg(syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) == 0,
		      "bpf(BPF_PROG_QUERY) on %s: %s", dir, strerror(errno));
	close(fd);
	return attr.query.prog_cnt;
}

/*
 * The nodes final makes in /dev still work, and from the host the list is in
 * the container's cgroup: v1's devices.list, or v2's one eBPF program.
 */
START_TEST(standard_devices_work_and_nothing_else)
{
	static const char expected_v1[] = "c 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\n"
					  "c 5:0 rwm\nc 5:2 rwm\nc 136:* rwm\nc *:* m\nb *:* m\n";
	char dir[4096], list[4200];
	char *cgroups = cgroup_tree();
	struct proc p = {0};
	pid_t child;

	ctr_start_ready(
	    &p, CMD("--network", "none"),
	    "echo x >/dev/null && "
	    "{ head -c 3 /dev/zero; head -c 3 /dev/random; head -c 3 /dev/urandom; } | wc -c; "
	    "echo x 2>&1 >/dev/full | grep -o 'No space left'; "
	    "cat /dev/tty 2>&1 | grep -o 'No such device or address'; "
	    "ls /dev/pts/ptmx >/dev/null && echo ready; exec sleep 30");
	child = ctr_child(&p);
	snprintf(dir, sizeof(dir), "%s", cgroup_dir(child, "devices"));
	snprintf(list, sizeof(list), "%s/devices.list", dir);
	if (cgroup_v2())
		ck_assert_msg(device_programs(dir) == 1, "%d device programs on %s, expected 1",
			      device_programs(dir), dir);
	else
		ck_assert_str_eq(slurp(list) ? slurp(list) : "(none)", expected_v1);
	ctr_kill(&p, child);
	/* ENOSPC from /dev/full, ENXIO from /dev/tty (no terminal): not EPERM from the cgroup */
	ck_assert_str_eq(p.out, "9\nNo space left\nNo such device or address\nready\n");
	assert_no_new_cgroups(cgroups);
}
END_TEST

void stage07_device_tests(void)
{
	add_test(7, 0, device_node_in_the_image_is_refused);
	add_test(7, 0, mknod_of_the_host_disk_is_refused);
	add_test(7, 0, device_option_grants_the_node);
	add_test(7, 0, bad_device_options_are_one_line);
	add_test(7, 0, standard_devices_work_and_nothing_else);
}
