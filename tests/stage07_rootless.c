/*
 * stage07_rootless.c: final run by an ordinary user, without sudo.
 *
 * Each test makes a user of its own (harness.c: useradd, with or without
 * /etc/subuid ranges; removed when the test ends), gives it a copy of the
 * test rootfs it owns, and runs final as that user with its own
 * XDG_RUNTIME_DIR and XDG_DATA_HOME. What it may not do (the bridge,
 * limits without a cgroup of its own, a rootfs that is not its own) must be
 * refused in one line, and nothing may be left in its directories.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

/*
 * DEV (MAJOR:MINOR) open to every user, as udev makes /dev/net/tun and the
 * kernel /dev/fuse on distributions (this machine's and the VM's bare
 * devtmpfs leave them 0600): a 0666 node made in HOME, bound over DEV in a
 * mount namespace of the test's own.
 */
static void open_to_users(const char *home, const char *dev, int major, int minor)
{
	static bool own_namespace;

	if (!own_namespace)
		ck_assert(unshare(CLONE_NEWNS) == 0 &&
			  mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	own_namespace = true;
	sh("mknod -m 666 %s/dev-%d-%d c %d %d && mount --bind %s/dev-%d-%d %s", home, major, minor,
	   major, minor, home, major, minor, dev);
}

/* `final ARGS...` as UID. */
static int as_user(struct proc *p, uid_t uid, const char *const args[])
{
	*p = (struct proc){.uid = uid};
	return bin_run(p, args);
}

/* How many containers (records, writable layers) the user's directories under HOME hold. */
static int containers_left(const char *home)
{
	const char *const dirs[] = {"run/final/containers", "data/final/containers"};
	int n = 0;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[256];
		struct dirent *e;
		DIR *d;

		snprintf(path, sizeof(path), "%s/%s", home, dirs[i]);
		if (!(d = opendir(path)))
			continue;
		while ((e = readdir(d)))
			n += e->d_name[0] != '.';
		closedir(d);
	}
	return n;
}

/* The lines of three numbers in TEXT (an id map among other output), spaces squeezed. */
static const char *map_lines(const char *text)
{
	static char out[256];
	unsigned long a, b, c;
	size_t n = 0;

	out[0] = '\0';
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line += !!line) {
		char one[128];

		snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"), line);
		if (sscanf(one, "%lu %lu %lu", &a, &b, &c) == 3)
			n += snprintf(out + n, sizeof(out) - n, "%lu %lu %lu\n", a, b, c);
	}
	return out;
}

/*
 * run, exec, ps, logs, inspect, stop, rm as an ordinary user: root inside
 * is the user outside, the other ids the user's range; exec joins the
 * container's user namespace; nothing is left in the user's directories.
 */
START_TEST(rootless_run_exec_and_lifecycle)
{
	struct proc p = {0};
	const char *home, *rootfs;
	char want[256], path[64];
	unsigned long start;
	pid_t init;
	uid_t uid = use_test_user(true, &home);

	rootfs = test_user_rootfs(uid);
	start = test_user_range("/etc/subuid");
	ck_assert(start > 0);
	as_user(&p, uid,
		CMD("run", "--rm", "--network", "none", rootfs, "/bin/sh", "-c",
		    "id -u; cat /proc/self/uid_map; echo x > /etc/new && echo wrote"));
	assert_exit(&p, 0);
	snprintf(want, sizeof(want), "0 %u 1\n1 %lu 65536\n", (unsigned)uid, start);
	ck_assert_str_eq(map_lines(p.out), want);
	assert_contains(p.out, "wrote");
	ck_assert_msg(strncmp(p.out, "0\n", 2) == 0, "not root inside: %s", p.out);
	as_user(&p, uid,
		CMD("run", "-d", "--name", "rl", "--network", "none", rootfs, "/bin/sh", "-c",
		    "echo started; exec sleep 100"));
	assert_exit(&p, 0);
	as_user(&p, uid, CMD("ps"));
	assert_contains(p.out, " rl ");
	as_user(&p, uid, CMD("inspect", "-f", "{{.State.Pid}}", "rl"));
	init = atoi(p.out);
	ck_assert(init > 1);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)init);
	snprintf(want, sizeof(want), "\nUid:\t%u\t%u\t%u\t%u\n", (unsigned)uid, (unsigned)uid,
		 (unsigned)uid, (unsigned)uid);
	assert_contains(slurp(path), want);
	as_user(&p, uid, CMD("exec", "rl", "/bin/sh", "-c", "id -u; readlink /proc/self/ns/user"));
	assert_exit(&p, 0);
	snprintf(want, sizeof(want), "0\nuser:[%lu]\n", ns_inode(init, "user"));
	assert_out_eq(&p, want);
	ck_assert(ns_inode(init, "user") != ns_inode(0, "user"));
	as_user(&p, uid, CMD("logs", "rl"));
	assert_out_eq(&p, "started\n");
	as_user(&p, uid, CMD("stop", "-t", "1", "rl"));
	assert_exit(&p, 0);
	as_user(&p, uid, CMD("rm", "rl"));
	assert_exit(&p, 0);
	ck_assert_int_eq(containers_left(home), 0);
}
END_TEST

/* What needs the host's root is one line and exit 125, and leaves nothing. */
START_TEST(rootless_refuses_what_needs_root)
{
	struct proc p = {0};
	const char *home;
	uid_t uid = use_test_user(true, &home);
	const char *rootfs = test_user_rootfs(uid);
	const struct {
		const char *argv[9];
		const char *says;
	} refused[] = {
	    {{"run", "--rm", "--network", "host", rootfs, "/bin/true"}, "host's network namespace"},
	    {{"run", "--rm", "--network", "none", "-m", "10m", rootfs, "/bin/true"},
	     "cgroup of your own"},
	    {{"run", "--rm", "--network", "none", "--userns=remap", rootfs, "/bin/true"},
	     "for root"},
	    {{"run", "--rm", "--network", "none", test_rootfs, "/bin/true"}, "is not yours"},
	};

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		as_user(&p, uid, refused[i].argv);
		ck_assert_msg(p.status == 125, "%s: exit %d: %s", p.cmdline, p.status, p.err);
		assert_contains(p.err, refused[i].says);
		ck_assert_msg(strchr(p.err, '\n') == p.err + strlen(p.err) - 1,
			      "%s: not one line: %s", p.cmdline, p.err);
	}
	ck_assert_int_eq(containers_left(home), 0);
}
END_TEST

/* No /etc/subuid range: only the user's own id is mapped, and final says so once. */
START_TEST(rootless_without_ranges_maps_only_the_user)
{
	struct proc p = {0};
	const char *home, *rootfs;
	char want[64];
	uid_t uid = use_test_user(false, &home);

	ck_assert_int_eq(test_user_range("/etc/subuid"), 0);
	rootfs = test_user_rootfs(uid);
	snprintf(want, sizeof(want), "0 %u 1\n", (unsigned)uid);
	for (int i = 0; i < 2; i++) {
		as_user(&p, uid,
			CMD("run", "--rm", "--network", "none", rootfs, "/bin/cat",
			    "/proc/self/uid_map"));
		assert_exit(&p, 0);
		ck_assert_str_eq(map_lines(p.out), want);
		if (i == 0)
			assert_contains(p.err, "no range in /etc/subuid");
		else
			ck_assert_msg(!*p.err, "said again: %s", p.err);
	}
}
END_TEST

/*
 * The bridge needs the host's root; rootless, the default network is
 * slirp4netns (usernet.c): tap0 with its address and resolver, and -p a
 * port it forwards, here on the test's own "host" network namespace. It
 * needs /dev/net/tun open to users, as udev makes it (0666); this machine's
 * and the VM's bare devtmpfs leave it 0600, so the test binds such a node
 * over it in a mount namespace of its own.
 */
START_TEST(rootless_default_network_publishes_ports)
{
	struct sockaddr_in lo = {.sin_family = AF_INET,
				 .sin_port = htons(7777),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct proc p = {0};
	const char *home, *rootfs;
	uid_t uid = use_test_user(true, &home);
	int local;
	pid_t server;

	rootfs = test_user_rootfs(uid);
	open_to_users(home, "/dev/net/tun", 10, 200);
	/* a service on the host's loopback, which trusts local users: out of the container's reach
	 * (slirp4netns would map it to 10.0.2.2 without --disable-host-loopback) */
	ck_assert((local = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	ck_assert(bind(local, (struct sockaddr *)&lo, sizeof(lo)) == 0 && listen(local, 8) == 0);
	if ((server = fork()) == 0) {
		for (int c; (c = accept(local, NULL, NULL)) >= 0; close(c))
			dprintf(c, "host-secret\n");
		_exit(0);
	}
	as_user(&p, uid,
		CMD("run", "--rm", rootfs, "/bin/sh", "-c",
		    "ip -4 -o addr show tap0 | grep -o 10.0.2.100/24; grep nameserver "
		    "/etc/resolv.conf; nc 10.0.2.2 7777 </dev/null 2>/dev/null; echo done"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "10.0.2.100/24\nnameserver 10.0.2.3\ndone\n"); /* no host-secret */
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
	close(local);
	as_user(&p, uid,
		CMD("run", "-d", "--name", "web", "-p", "8080:80", rootfs, "/bin/sh", "-c",
		    "while :; do nc -l -p 80 -e echo hello-rootless; done"));
	assert_exit(&p, 0);
	ck_assert_str_eq(fetch("127.0.0.1", 8080), "hello-rootless\n");
	as_user(&p, uid, CMD("port", "web"));
	assert_out_eq(&p, "80/tcp -> 0.0.0.0:8080\n");
	as_user(&p, uid, CMD("rm", "-f", "web"));
	assert_exit(&p, 0);
	ck_assert_int_eq(containers_left(home), 0);
	sh("! ls %s/run/final | grep slirp", home);
}
END_TEST

/*
 * pull as the user: layers unpacked in its user namespace, their owners in
 * its range, whiteouts and an opaque directory in the xattrs an overlay
 * mounted with userxattr reads; rmi removes them.
 */
START_TEST(rootless_pull_and_run_an_image)
{
	struct test_registry r;
	struct proc p = {0};
	const char *home;
	char layers[1300], ref[64], one[600], two[600], dir[600];
	uid_t uid;

	registry_start(&r, NULL); /* in the test's FINAL_DATA, before it is the user's */
	snprintf(one, sizeof(one), "%s/one.tar.gz", r.dir);
	snprintf(two, sizeof(two), "%s/two.tar.gz", r.dir);
	sh("%s/mkimage tar %s dir:data file:data/a:1 dir:keep file:keep/k:k file:gone:x",
	   tests_build(), one);
	sh("%s/mkimage tar %s file:.wh.gone: dir:data file:data/.wh..wh..opq: file:data/c:3",
	   tests_build(), two);
	snprintf(layers, sizeof(layers), "%s %s", one, two);
	push_image(&r, "layered", "{\"User\":\"nobody\"}", layers);
	snprintf(ref, sizeof(ref), "127.0.0.1:%d/layered", r.port);
	uid = use_test_user(true, &home);
	if (setxattr(home, "user.final-test", "y", 1, 0) < 0 && errno == EOPNOTSUPP) {
		/* the test VM's root is a tmpfs: user.* xattrs only from Linux 6.6 */
		fprintf(stderr,
			"rootless_pull_and_run_an_image: no user.* xattrs on %s's "
			"filesystem: not tested here\n",
			home);
		return;
	}
	as_user(&p, uid, CMD("pull", ref));
	assert_exit(&p, 0);
	as_user(&p, uid,
		CMD("run", "--rm", "--network", "none", ref, "/bin/sh", "-c",
		    "id -u; ls /data; ls /keep; test -e /gone || echo gone-is-gone; "
		    "stat -c %u /bin/busybox"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "65534\nc\nk\ngone-is-gone\n0\n");
	as_user(&p, uid, CMD("rmi", ref));
	assert_exit(&p, 0);
	snprintf(dir, sizeof(dir), "%s/data/final/layers/sha256", home);
	sh("test -z \"$(ls -A %s)\"", dir);
}
END_TEST

/*** limits in a delegated cgroup v2 subtree ***/

static char deleg[128], home_cgroup[512];

/* Back where the test process was, and the subtree gone (final removed what it made). */
static void undelegate(void)
{
	char path[600];

	FILE *f;

	snprintf(path, sizeof(path), "/sys/fs/cgroup%s/cgroup.procs", home_cgroup);
	if ((f = fopen(path, "we"))) {
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/leaf", deleg);
	rmdir(path);
	rmdir(deleg);
}

/*
 * Limits rootless, where the user has a cgroup of its own: a v2 subtree
 * delegated to it, chowned as systemd chowns user@UID.service (the directory,
 * its cgroup.procs, cgroup.subtree_control and cgroup.threads), with the
 * test's process (and so final's) in a leaf of it. The OOM kill and the pids
 * limit work as for root. On v1 (here) a limit is refused, one line saying why.
 */
START_TEST(rootless_limits_in_a_delegated_cgroup)
{
	struct proc p = {0};
	const char *home, *rootfs, *self;
	uid_t uid;
	gid_t gid;
	int forked = 0;

	uid = use_test_user(true, &home);
	gid = getpwuid(uid)->pw_gid;
	rootfs = test_user_rootfs(uid);
	if (!cgroup_v2()) { /* v1 here: never delegated, so a limit is refused (make test-vm: v2) */
		as_user(&p, uid,
			CMD("run", "--rm", "--network", "none", "-m", "32M", rootfs, "/bin/true"));
		ck_assert_msg(p.status == 125 && strstr(p.err, "cgroup v1, which never delegates"),
			      "exit %d: %s", p.status, p.err);
		return;
	}
	self = slurp("/proc/self/cgroup");
	ck_assert(self && strncmp(self, "0::", 3) == 0);
	snprintf(home_cgroup, sizeof(home_cgroup), "%.*s", (int)strcspn(self + 3, "\n"), self + 3);
	snprintf(deleg, sizeof(deleg), "/sys/fs/cgroup/final-user-%d", (int)getpid());
	at_test_end(undelegate);
	sh("echo +memory > /sys/fs/cgroup/cgroup.subtree_control; "
	   "echo +pids > /sys/fs/cgroup/cgroup.subtree_control; mkdir %s %s/leaf && "
	   "chown %u:%u %s %s/cgroup.procs %s/cgroup.subtree_control %s/cgroup.threads %s/leaf "
	   "%s/leaf/cgroup.procs",
	   deleg, deleg, (unsigned)uid, (unsigned)gid, deleg, deleg, deleg, deleg, deleg, deleg);
	sh("echo %d > %s/leaf/cgroup.procs", (int)getpid(), deleg);
	as_user(&p, uid,
		CMD("run", "--rm", "--network", "none", "-m", "32M", rootfs, "/t/memhog", "64"));
	assert_exit(&p, 137);
	assert_contains(p.err, "out of memory");
	p = (struct proc){.uid = uid};
	proc_start(&p, CMD(bin, "run", "--rm", "--network", "none", "--pids-limit", "16", rootfs,
			   "/t/forkloop"));
	proc_wait(&p, 30);
	assert_exit(&p, 0);
	ck_assert_msg(sscanf(p.out, "forked %d", &forked) == 1 && forked >= 13 && forked <= 15,
		      "the fork loop got %s", p.out);
	sh("test ! -e %s/final", deleg); /* removed with the last container */
}
END_TEST

/*
 * Before Linux 5.11 the kernel's overlayfs cannot be mounted in a user
 * namespace: fuse-overlayfs instead (FINAL_OVERLAY=fuse-overlayfs forces it
 * here), its daemon outside the container, gone with the container. Needs
 * /dev/fuse open to users (0666, as the kernel and udev make it; this
 * machine's is 0600): a node bound over it in the test's own mount namespace.
 */
START_TEST(rootless_fuse_overlayfs_where_the_kernel_cannot)
{
	struct proc p = {0};
	const char *home, *rootfs;
	uid_t uid = use_test_user(true, &home);
	char ps[128];

	rootfs = test_user_rootfs(uid);
	open_to_users(home, "/dev/fuse", 10, 229);
	setenv("FINAL_OVERLAY", "fuse-overlayfs", 1);
	as_user(&p, uid,
		CMD("run", "--rm", "--network", "none", rootfs, "/bin/sh", "-c",
		    "awk '$2 == \"/\" {print $3}' /proc/mounts; echo x > /etc/new && cat /etc/new; "
		    "rm /bin/ls; test -e /bin/ls || echo removed"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "fuse.fuse-overlayfs\nx\nremoved\n");
	sh("test -e %s/bin/ls", rootfs); /* the lower layer is untouched */
	as_user(&p, uid,
		CMD("run", "-d", "--name", "f", "--network", "none", rootfs, "/bin/sleep", "100"));
	assert_exit(&p, 0);
	as_user(&p, uid, CMD("exec", "f", "/bin/cat", "/etc/hostname"));
	assert_exit(&p, 0);
	as_user(&p, uid, CMD("rm", "-f", "f"));
	assert_exit(&p, 0);
	ck_assert_int_eq(containers_left(home), 0);
	/* its daemon has ended (a zombie of ours until reaped: we are the subreaper) */
	snprintf(ps, sizeof(ps), "ps -u %u -o stat=,comm= | grep fuse-overlayfs | grep -qv '^Z'",
		 (unsigned)uid);
	sh("for i in $(seq 50); do %s || exit 0; sleep 0.1; done; exit 1", ps);
}
END_TEST

void stage07_rootless_tests(void)
{
	add_test(7, 0, rootless_run_exec_and_lifecycle);
	add_test(7, 0, rootless_refuses_what_needs_root);
	add_test(7, 0, rootless_without_ranges_maps_only_the_user);
	add_test(7, 0, rootless_pull_and_run_an_image);
	add_test(7, 0, rootless_default_network_publishes_ports);
	add_test(7, 0, rootless_limits_in_a_delegated_cgroup);
	add_test(7, 0, rootless_fuse_overlayfs_where_the_kernel_cannot);
}
