/*
 * stage03.c: step 03 gives the container its own root filesystem through
 * pivot_root, so that not even root inside reaches the host's files.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The names in DIR, sorted, one per line: what `ls -1A DIR` prints. */
static char *dir_listing(const char *dir)
{
	struct dirent **names;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int n = scandir(dir, &names, NULL, alphasort);

	ck_assert_msg(n >= 0 && out, "scandir %s", dir);
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, ".."))
			fprintf(out, "%s\n", names[i]->d_name);
		free(names[i]);
	}
	free(names);
	fclose(out);
	return buf;
}

static FILE *snapshot_out;

static int snapshot_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	fprintf(snapshot_out, "%s %o %lld %lld.%09ld\n", path, st->st_mode, (long long)st->st_size,
		(long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	return 0;
}

/* Every path under DIR with its mode, size and mtime. */
static char *tree_snapshot(const char *dir)
{
	char *buf = NULL;
	size_t len = 0;

	snapshot_out = open_memstream(&buf, &len);
	ck_assert(nftw(dir, snapshot_entry, 32, FTW_PHYS | FTW_MOUNT) == 0);
	fclose(snapshot_out);
	return buf;
}

START_TEST(ls_root_lists_the_rootfs)
{
	struct proc p = {0};
	char *want = dir_listing(test_rootfs);

	ctr_run(&p, NULL, CMD("/bin/ls", "-1A", "/"));
	assert_exit(&p, 0);
	assert_out_eq(&p, want);
	free(want);
}
END_TEST

/* Also on a simulated systemd host, where a shared "/" makes pivot_root fail with EINVAL. */
START_TEST(rootfs_works_on_a_systemd_host)
{
	struct proc p = {0};
	char *before;

	enter_shared_mount_ns();
	before = mount_points();
	ctr_run(&p, NULL, CMD("/bin/cat", "/etc/os-release"));
	assert_exit(&p, 0);
	assert_contains(p.out, "containers-in-c tutorial rootfs");
	assert_unchanged("the host's mount table", before, mount_points());
}
END_TEST

/* step03's escape.c, run as root inside: the host's marker file stays out of reach. */
/*
 * The marker goes in the /tmp of the *real* root (PID 1's), where the escape
 * would land even when the tests themselves run inside a chroot, if we may.
 */
START_TEST(chroot_escape_does_not_reach_the_host)
{
	char real[] = "/proc/1/root/tmp/escape-marker-XXXXXX", token[64];
	char *marker = real + strlen("/proc/1/root");
	struct proc p = {0};
	int fd = mkstemp(real);

	if (fd < 0) { /* PID 1's root is not ours to look into: plain /tmp then */
		memcpy(marker + strlen(marker) - 6, "XXXXXX", 6);
		memmove(real, marker, strlen(marker) + 1);
		marker = real;
		fd = mkstemp(real);
	}
	ck_assert_msg(fd >= 0, "mkstemp %s", real);
	snprintf(token, sizeof(token), "host-secret-%d", getpid());
	ck_assert(write(fd, token, strlen(token)) > 0);
	close(fd);
	ctr_run(&p, NULL, CMD(ctr_path("/t/escape"), marker));
	unlink(real);
	ck_assert_msg(strstr(p.out, token) == NULL, "the container read the host's %s", marker);
	assert_exit(&p, 1);
	assert_contains(p.out, "contained");
}
END_TEST

START_TEST(missing_rootfs_is_one_line)
{
	struct proc p = {0};

	ctr_run_in(&p, "/nonexistent-rootfs", CMD("/bin/true"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "/nonexistent-rootfs");
}
END_TEST

START_TEST(rootfs_not_a_directory_is_one_line)
{
	struct proc p = {0};

	ctr_run_in(&p, "/etc/passwd", CMD("/bin/true"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "not a directory");
}
END_TEST

/* bash is on the host, not in the busybox rootfs. */
START_TEST(command_missing_in_rootfs_is_127)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/bash", "-c", "exit 0"));
	assert_exit(&p, 127);
	assert_one_line(p.err);
}
END_TEST

START_TEST(rootfs_on_disk_is_unchanged)
{
	struct proc p = {0};
	char *before = tree_snapshot(test_rootfs);

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "ls -R / >&2; cat /etc/os-release"));
	assert_exit(&p, 0);
	assert_contains(p.out, "containers-in-c tutorial rootfs");
	assert_unchanged("the rootfs on disk", before, tree_snapshot(test_rootfs));
}
END_TEST

void stage03_tests(void)
{
	add_test(3, 0, ls_root_lists_the_rootfs);
	add_test(3, 0, rootfs_works_on_a_systemd_host);
	add_test(3, 0, chroot_escape_does_not_reach_the_host);
	add_test(3, 0, missing_rootfs_is_one_line);
	add_test(3, 0, rootfs_not_a_directory_is_one_line);
	add_test(3, 0, command_missing_in_rootfs_is_127);
	add_test(3, 0, rootfs_on_disk_is_unchanged);
}
