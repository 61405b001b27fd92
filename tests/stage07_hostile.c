/*
 * stage07_hostile.c: a hostile image or rootfs cannot reach the host
 * through the runtime's own work (issue #14).
 *
 * The runtime itself handles paths that come from the container: mount
 * targets (volumes, /etc/resolv.conf) inside the rootfs, and an image's
 * /etc/passwd that it reads to turn `User: name` into a uid. Each is data
 * to resolve inside the container's root, never on the host. And the
 * device nodes an image or a volume brings must be inert (nodev). Every
 * test asserts on host facts: files that must not appear, a loop device's
 * backing file that must not change.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* A path under the test's FINAL_DATA (static: one at a time). */
static const char *data_path(const char *name)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/%s", getenv("FINAL_DATA"), name);
	return path;
}

/* A copy of the test rootfs (without the helpers in /t) as FINAL_DATA/NAME, to be made hostile. */
static const char *hostile_rootfs(const char *name)
{
	static char dir[600];

	snprintf(dir, sizeof(dir), "%s", data_path(name));
	sh("mkdir -p %s && cp -a %s/. %s && rm -rf %s/t", dir, test_rootfs, dir, dir);
	return dir;
}

/* `final run --rm OPTS... ROOTFS CMD...` (OPTS and CMD NULL-terminated). */
static int run_in(struct proc *p, const char *const opts[], const char *rootfs,
		  const char *const cmd[])
{
	const char *argv[40];
	int n = 0;

	argv[n++] = bin;
	argv[n++] = "run";
	argv[n++] = "--rm";
	for (; opts && *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = rootfs;
	for (; *cmd; cmd++)
		argv[n++] = *cmd;
	argv[n] = NULL;
	proc_start(p, argv);
	return proc_wait(p, 30);
}

/*** mount targets resolve inside the root ***/

/*
 * The image's /etc/resolv.conf is a symlink to an absolute path. With the
 * bridge network the runtime binds its own resolv.conf there: a naive
 * stat/open of MERGED/etc/resolv.conf follows the link on the host.
 */
START_TEST(resolv_conf_symlink_stays_inside)
{
	char target[600], link[700], script[700];
	const char *rootfs = hostile_rootfs("resolv-rootfs");
	struct proc p = {0};

	snprintf(target, sizeof(target), "%s", data_path("host-resolv.conf"));
	snprintf(link, sizeof(link), "%s/etc/resolv.conf", rootfs);
	ck_assert(unlink(link) == 0 && symlink(target, link) == 0);
	snprintf(script, sizeof(script), "grep -c ' %s ' /proc/self/mountinfo", target);
	run_in(&p, NULL, rootfs, CMD("/bin/sh", "-c", script));
	ck_assert_msg(access(target, F_OK) < 0, "%s was created on the host", target);
	assert_exit(&p, 0);
	assert_out_eq(&p, "1\n"); /* mounted where the link points, inside the container */
}
END_TEST

/* -v SRC:/app/x/y where the image's /app is a symlink to a host directory. */
START_TEST(volume_through_symlink_stays_inside)
{
	char target[600], link[700], vol[600], opt[700];
	const char *rootfs = hostile_rootfs("app-rootfs");
	struct proc p = {0};

	snprintf(target, sizeof(target), "%s", data_path("host-app"));
	snprintf(link, sizeof(link), "%s/app", rootfs);
	ck_assert(mkdir(target, 0755) == 0 && symlink(target, link) == 0);
	snprintf(vol, sizeof(vol), "%s", data_path("app-volume"));
	sh("mkdir -p %s && echo volume-content > %s/marker", vol, vol);
	snprintf(opt, sizeof(opt), "%s:/app/x/y", vol);
	run_in(&p, CMD("--network", "none", "-v", opt), rootfs, CMD("/bin/cat", "/app/x/y/marker"));
	snprintf(link, sizeof(link), "%s/x", target);
	ck_assert_msg(access(link, F_OK) < 0, "%s was created on the host", link);
	assert_exit(&p, 0);
	assert_out_eq(&p, "volume-content\n");
}
END_TEST

/* A destination that is the root, or climbs with '..', is refused where it is parsed. */
START_TEST(volume_destination_root_or_dotdot_is_refused)
{
	const char *const bad[][2] = {{"-v", "/tmp:/"},
				      {"-v", "/tmp:/../../.."},
				      {"-v", "/tmp:/x/../../etc"},
				      {"-v", "/tmp:/./"}};

	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

/*
 * /proc in the image is a symlink. In runc a fake /proc took the runtime's
 * writes (CVE-2019-16884) or, through a volume another container could
 * change, its masked paths (CVE-2019-19921). /proc, /sys, /dev and /tmp
 * must be directories of the image itself.
 */
START_TEST(pseudo_filesystem_on_a_symlink_is_refused)
{
	const char *rootfs = hostile_rootfs("proc-rootfs");
	struct proc p = {0};

	sh("rm -rf %s/proc && mkdir %s/fakeproc && ln -s /fakeproc %s/proc", rootfs, rootfs,
	   rootfs);
	run_in(&p, CMD("--network", "none"), rootfs, CMD("/bin/true"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "/proc");
}
END_TEST

/*** device nodes from the image and volumes are inert (nodev) ***/

#define LOOP_SECRET "LOOP-SECRET-16B\n" /* 16 bytes: the file is whole 512-byte sectors */

/*
 * A loop device on FILE (64 KiB of LOOP_SECRET); its name in DEV. False
 * where none can be made (no loop driver, as in a minimal VM).
 */
static bool make_loop(const char *file, char *dev, size_t size)
{
	char cmd[700];
	FILE *f = fopen(file, "w");

	ck_assert(f);
	for (int i = 0; i < 65536 / 16; i++)
		fputs(LOOP_SECRET, f);
	ck_assert(fclose(f) == 0);
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s 2>/dev/null", file);
	f = popen(cmd, "r");
	*dev = '\0';
	if (f && !fgets(dev, size, f))
		*dev = '\0';
	if (f)
		pclose(f);
	dev[strcspn(dev, "\n")] = '\0';
	return strncmp(dev, "/dev/loop", 9) == 0;
}

/* DIR/blk: a device node, TYPE (S_IFBLK, S_IFCHR) and RDEV, mode 0666. */
static void plant_node(const char *dir, mode_t type, dev_t rdev)
{
	char node[700];

	snprintf(node, sizeof(node), "%s/blk", dir);
	ck_assert(mknod(node, type | 0666, rdev) == 0 && chmod(node, 0666) == 0);
}

/* Is FILE still nothing but LOOP_SECRET, 64 KiB of it? */
static bool loop_file_intact(const char *file)
{
	char chunk[16];
	FILE *f = fopen(file, "r");
	int n = 0;

	while (f && fread(chunk, 16, 1, f) == 1 && memcmp(chunk, LOOP_SECRET, 16) == 0)
		n++;
	if (f)
		fclose(f);
	return n == 65536 / 16;
}

/* The options of the topmost mount at POINT in MOUNTINFO (its sixth field), or "". */
static const char *mount_options(const char *mountinfo, const char *point)
{
	static char opts[260];
	char mp[512], o[256];

	opts[0] = '\0';
	for (const char *line = mountinfo; line && *line; line = strchr(line, '\n'), line += !!line)
		if (sscanf(line, "%*s %*s %*s %*s %511s %255s", mp, o) == 2 && !strcmp(mp, point))
			snprintf(opts, sizeof(opts), ",%s,", o);
	return opts;
}

/* Read and write /blk (in the image) and /vol/blk (in a volume); what worked. */
#define TRY_DEVICES                                                                                \
	"for n in /blk /vol/blk; do "                                                              \
	"head -c 12 $n >/tmp/got 2>/dev/null && echo \"read $n: $(tr '\\0' Z </tmp/got)\"; "       \
	"(echo PWNED > $n) 2>/dev/null && echo \"wrote $n\"; done; true"

/*
 * A block device node of a loop device (its file's content known) in the
 * rootfs and in a volume: as root with the defaults, and as a user without
 * capabilities with --read-only, it can be neither read nor written. Without
 * a loop device, the node is /dev/zero's (c 1:5): reading it must fail too.
 */
START_TEST(device_nodes_are_nodev)
{
	const char *rootfs = hostile_rootfs("dev-rootfs");
	char dev[64], file[600], vol[600], opt[700], seen[4][OUT_MAX];
	struct proc p = {0};
	struct stat st = {.st_rdev = makedev(1, 5)};
	bool loop;

	snprintf(file, sizeof(file), "%s", data_path("loop-file"));
	snprintf(vol, sizeof(vol), "%s", data_path("dev-volume"));
	loop = make_loop(file, dev, sizeof(dev));
	ck_assert(mkdir(vol, 0755) == 0 && (!loop || stat(dev, &st) == 0));
	plant_node(rootfs, loop ? S_IFBLK : S_IFCHR, st.st_rdev);
	plant_node(vol, loop ? S_IFBLK : S_IFCHR, st.st_rdev);
	snprintf(opt, sizeof(opt), "%s:/vol", vol);
	run_in(&p, CMD("--network", "none", "-v", opt), rootfs, CMD("/bin/sh", "-c", TRY_DEVICES));
	snprintf(seen[0], sizeof(seen[0]), "%.4000s%.4000s", p.out, p.err);
	run_in(
	    &p,
	    CMD("--network", "none", "-u", "1000", "--cap-drop", "ALL", "--read-only", "-v", opt),
	    rootfs, CMD("/bin/sh", "-c", TRY_DEVICES));
	snprintf(seen[1], sizeof(seen[1]), "%.4000s%.4000s", p.out, p.err);
	run_in(&p, CMD("--network", "none", "--read-only", "-v", opt), rootfs,
	       CMD("/bin/cat", "/proc/self/mountinfo"));
	snprintf(seen[2], OUT_MAX, "%s", p.out);
	run_in(&p, CMD("--network", "none"), rootfs, CMD("/bin/cat", "/proc/self/mountinfo"));
	snprintf(seen[3], OUT_MAX, "%s", p.out);
	if (loop)
		sh("losetup -d %s", dev); /* before asserting; it also flushes what was written */
	for (int i = 0; i < 2; i++)
		ck_assert_msg(!strstr(seen[i], "LOOP-SECRET") && !strstr(seen[i], "read /") &&
				  !strstr(seen[i], "wrote /"),
			      "a device node worked (%s): %.300s",
			      i ? "-u 1000 --read-only" : "root", seen[i]);
	ck_assert_msg(!loop || loop_file_intact(file),
		      "the loop device's file was written through the node");
	ck_assert_msg(strstr(mount_options(seen[2], "/"), ",nodev,"),
		      "/ is not nodev with --read-only: '%s'", mount_options(seen[2], "/"));
	ck_assert_msg(strstr(mount_options(seen[2], "/vol"), ",nodev,"),
		      "the volume is not nodev: '%s'", mount_options(seen[2], "/vol"));
	/* Without --read-only too: the overlay itself, not only the remount (the devices
	 * cgroup would refuse the node anyway; nodev must hold without it). */
	ck_assert_msg(strstr(mount_options(seen[3], "/"), ",nodev,"), "/ is not nodev: '%s'",
		      mount_options(seen[3], "/"));
}
END_TEST

/*** an image's /etc/passwd is read inside its layer ***/

/* An image of the test rootfs plus one layer of ENTRIES (mkimage tar's syntax), as NAME. */
static void push_hostile(const struct test_registry *r, const char *name, const char *config,
			 const char *entries)
{
	char layer[600], layout[600], layers[1300];

	snprintf(layer, sizeof(layer), "%s/%s.tar.gz", r->dir, name);
	snprintf(layout, sizeof(layout), "%s/layout-%s", r->dir, name);
	snprintf(layers, sizeof(layers), "%s/busybox-layer.tar.gz %s", tests_build(), layer);
	sh("%s/mkimage tar %s %s", tests_build(), layer, entries);
	build_image(layout, config, layers);
	registry_push(r, layout, name, false);
}

/*
 * `User: evil` with a layer whose etc/passwd is ENTRY (mkimage tar's syntax;
 * %s: a host file that names evil as 4242). The run must be refused
 * promptly (10 s) with one line, and never run as 4242.
 */
static void user_lookup_is_refused(const char *name, const char *entry)
{
	char marker[600], entries[800], ref[64];
	struct test_registry r;
	struct proc p = {0};
	FILE *f;

	snprintf(marker, sizeof(marker), "%s", data_path("host-passwd"));
	f = fopen(marker, "w");
	ck_assert(f && fputs("evil:x:4242:4242::/:/bin/sh\n", f) >= 0 && fclose(f) == 0);
	snprintf(entries, sizeof(entries), "dir:etc ");
	snprintf(entries + 8, sizeof(entries) - 8, entry, marker);
	registry_start(&r, NULL);
	push_hostile(&r, name, "{\"User\":\"evil\",\"Cmd\":[\"/bin/sh\",\"-c\",\"id -u\"]}",
		     entries);
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/%s", r.port, name);
	FINAL_OK(&p, "pull", ref);
	proc_start(&p, CMD(bin, "run", "--rm", "--network", "none", ref));
	proc_wait(&p, 10);
	ck_assert_msg(!strstr(p.out, "4242"), "ran as the host file's user: %s", p.out);
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "etc/passwd");
	FINAL_OK(&p, "rmi", ref);
}

START_TEST(image_passwd_symlink_to_host_file)
{
	user_lookup_is_refused("passwd-host", "symlink:etc/passwd:%s");
}
END_TEST

START_TEST(image_passwd_symlink_to_dev_zero)
{
	user_lookup_is_refused("passwd-zero", "symlink:etc/passwd:/dev/zero");
}
END_TEST

/* A device node in the layer, opened on the host: /dev/zero here, a watchdog elsewhere. */
START_TEST(image_passwd_device_node)
{
	user_lookup_is_refused("passwd-chr", "chr:etc/passwd:1:5");
}
END_TEST

START_TEST(image_passwd_fifo)
{
	user_lookup_is_refused("passwd-fifo", "fifo:etc/passwd");
}
END_TEST

/*
 * What a container writes stays out of reach of the host's other users: a
 * setuid-root copy it makes in its writable layer must not run for them
 * (FINAL_DATA was 0755 all the way down, and the host's filesystem there is
 * not nosuid).
 */
START_TEST(final_data_is_private)
{
	struct proc p = {0}, user = {.uid = 65534};
	char path[700], *parent = strdup(getenv("FINAL_DATA"));
	struct stat st;

	/* The test's directories are 0700 (mkdtemp): open them as /var/lib is. */
	ck_assert(chmod(dirname(parent), 0755) == 0 && chmod(getenv("FINAL_DATA"), 0755) == 0);
	FINAL_OK(&p, "run", "-d", "--name", "suid", "--network", "none", test_rootfs, "/bin/sh",
		 "-c", "cp /t/euid /suid && chmod 4755 /suid && echo ready && sleep 100");
	for (int i = 0; i < 100 && !strstr(p.out, "ready"); i++) {
		usleep(50000);
		FINAL_OK(&p, "logs", "suid");
	}
	FINAL_OK(&p, "inspect", "-f", "{{.Id}}", "suid");
	snprintf(path, sizeof(path), "%s/containers/%.16s/upper/suid", getenv("FINAL_DATA"), p.out);
	ck_assert_msg(stat(path, &st) == 0 && (st.st_mode & S_ISUID), "no setuid %s", path);
	proc_start(&user, CMD(path));
	proc_wait(&user, 10);
	FINAL_OK(&p, "rm", "-f", "suid");
	ck_assert_msg(!strstr(user.out, "escaped"), "another user ran it as root: %s", user.out);
	ck_assert(stat(getenv("FINAL_DATA"), &st) == 0);
	ck_assert_msg((st.st_mode & 077) == 0, "FINAL_DATA is %o", st.st_mode & 0777);
}
END_TEST

void stage07_hostile_tests(void)
{
	add_test(7, 0, final_data_is_private);
	add_test(7, 0, resolv_conf_symlink_stays_inside);
	add_test(7, 0, volume_through_symlink_stays_inside);
	add_test(7, 0, volume_destination_root_or_dotdot_is_refused);
	add_test(7, 0, pseudo_filesystem_on_a_symlink_is_refused);
	add_test(7, 0, device_nodes_are_nodev);
	add_test(7, 0, image_passwd_symlink_to_host_file);
	add_test(7, 0, image_passwd_symlink_to_dev_zero);
	add_test(7, 0, image_passwd_device_node);
	add_test(7, 0, image_passwd_fifo);
}
