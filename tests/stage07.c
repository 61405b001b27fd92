/*
 * stage07.c: final, the runtime. Every step's promises still hold (the
 * earlier stages' tests run against `final run --rm`); these tests add the
 * runtime's own: an init as PID 1, detached containers with ps, logs, exec,
 * stop and rm, an overlay root, volumes, published ports, tarballs, a
 * terminal, recovery after a SIGKILL, and twenty containers at once.
 *
 * Each test has its own network namespace (the host) and its own state and
 * data directories, which must be empty again when it ends.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

START_TEST(init_is_pid_1_and_reaps_orphans)
{
	struct proc p = {0};

	ctr_run(
	    &p, CMD("--network", "none"),
	    CMD("/bin/sh", "-c",
		"echo $$; (sleep 0.1 &); (sleep 0.1 &); sleep 1; ps -o stat | grep -c Z; true"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "2\n0\n");
}
END_TEST

START_TEST(detached_container_lifecycle)
{
	struct proc p = {0};
	struct timespec t0, t1;

	FINAL_OK(&p, "run", "-d", "--name", "web", test_rootfs, "/bin/sh", "-c",
		 "echo hello-log; sleep 100");
	ck_assert_msg(strlen(p.out) == 17, "no container id printed: %s", p.out);
	FINAL_OK(&p, "ps");
	assert_contains(p.out, " web ");
	assert_contains(p.out, "running");
	FINAL_OK(&p, "logs", "web");
	for (int i = 0; i < 50 && !strstr(p.out, "hello-log"); i++) {
		usleep(100000);
		FINAL_OK(&p, "logs", "web");
	}
	assert_out_eq(&p, "hello-log\n");
	/* sh is not PID 1: SIGTERM's default action ends it, long before the timeout. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	FINAL_OK(&p, "stop", "-t", "30", "web");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(t1.tv_sec - t0.tv_sec < 20, "stop waited for its SIGKILL timeout");
	FINAL_OK(&p, "ps", "-a");
	assert_contains(p.out, "exited (143)");
	FINAL_OK(&p, "logs", "-f", "web"); /* -f ends when the container has */
	assert_out_eq(&p, "hello-log\n");
	FINAL_OK(&p, "rm", "web");
	FINAL_OK(&p, "ps", "-a");
	ck_assert_msg(!strstr(p.out, "web"), "web is still listed: %s", p.out);
}
END_TEST

START_TEST(exec_joins_the_running_container)
{
	struct proc p = {0};

	FINAL_OK(&p, "run", "-d", "--name", "box", "-h", "boxhost", test_rootfs, "/bin/sleep",
		 "100");
	FINAL_OK(&p, "exec", "box", "/bin/sh", "-c", "hostname; ps -o comm | grep -c sleep");
	assert_out_eq(&p, "boxhost\n1\n");
	bin_run(&p, CMD("exec", "box", "/bin/sh", "-c", "exit 7"));
	assert_exit(&p, 7);
	/* exec gets the container's confinement: its capabilities and filter. */
	FINAL_OK(&p, "exec", "box", "/bin/grep", "-E", "^(CapEff|Seccomp):", "/proc/self/status");
	assert_out_eq(&p, "CapEff:\t00000000a00425fb\nSeccomp:\t2\n");
	/* ...and its cgroups, on every hierarchy: the init's, as seen from in there */
	FINAL_OK(&p, "exec", "box", "/bin/sh", "-c",
		 "[ \"$(cat /proc/self/cgroup)\" = \"$(cat /proc/1/cgroup)\" ] && echo same || "
		 "cat /proc/self/cgroup /proc/1/cgroup");
	assert_out_eq(&p, "same\n");
	FINAL_OK(&p, "rm", "-f", "box");
}
END_TEST

/* Writes go to the container's own layer: the next container and ROOTFS never see them. */
START_TEST(each_container_gets_a_fresh_root)
{
	struct proc p = {0};
	char path[4200];

	snprintf(path, sizeof(path), "%s/etc/marker", test_rootfs);
	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "echo layered > /etc/marker && cat /etc/marker"));
	if (access(path, F_OK) == 0) { /* remove it, or the next run of the suite inherits it */
		unlink(path);
		ck_abort_msg("%s was written on disk", path);
	}
	assert_exit(&p, 0);
	assert_out_eq(&p, "layered\n");
	ctr_run(&p, NULL, CMD("/bin/ls", "/etc/marker"));
	assert_exit(&p, 1);
}
END_TEST

/*
 * --rm: the layer is a tmpfs in the container's mount namespace, so its
 * writes never reach FINAL_DATA's disk; a container that stays keeps its
 * layer there (docker's), for `start` and `system df`.
 */
START_TEST(an_rm_container_s_layer_is_in_memory)
{
	struct proc p = {0};
	char layers[600];

	snprintf(layers, sizeof(layers), "%s/containers", getenv("FINAL_DATA"));
	FINAL_OK(&p, "run", "-d", "--rm", "--name", "mem", "--network", "none", test_rootfs,
		 "/bin/sh", "-c", "echo in-memory >/written && exec sleep 100");
	FINAL_OK(&p, "exec", "mem", "/bin/sh", "-c",
		 "cat /written; awk '$2 == \"/\" { print $1 }' /proc/mounts");
	assert_out_eq(&p, "in-memory\noverlay\n");
	sh("test -z \"$(find %s %s -name written)\"", getenv("FINAL_DATA"), getenv("FINAL_STATE"));
	FINAL_OK(&p, "rm", "-f", "mem");
	FINAL_OK(&p, "run", "-d", "--name", "disk", "--network", "none", test_rootfs, "/bin/sh",
		 "-c", "echo on-disk >/written && exec sleep 100");
	FINAL_OK(&p, "exec", "disk", "/bin/cat", "/written");
	sh("test -n \"$(find %s -name written)\"", layers);
	FINAL_OK(&p, "rm", "-f", "disk");
}
END_TEST

START_TEST(read_only_root)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--read-only"),
		CMD("/bin/sh", "-c",
		    "touch /x 2>/dev/null || echo refused; touch /tmp/y && echo tmp-ok"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "refused\ntmp-ok\n");
}
END_TEST

START_TEST(volumes_bind_host_directories)
{
	char dir[] = "/tmp/final-volume-XXXXXX", rw[128], ro[128], file[128];
	struct proc p = {0};

	ck_assert(mkdtemp(dir));
	snprintf(rw, sizeof(rw), "%s:/data", dir);
	snprintf(ro, sizeof(ro), "%s:/data:ro", dir);
	snprintf(file, sizeof(file), "%s/from-container", dir);
	bool written, refused;

	ctr_run(&p, CMD("-v", rw), CMD("/bin/sh", "-c", "echo hi > /data/from-container"));
	written = p.status == 0 && access(file, F_OK) == 0;
	ctr_run(&p, CMD("-v", ro), CMD("/bin/sh", "-c", "echo no > /data/other"));
	refused = p.status != 0;
	snprintf(rw, sizeof(rw), "rm -rf %s", dir); /* before asserting: a failure exits at once */
	ck_assert(system(rw) == 0);
	ck_assert_msg(written, "the volume's write is not on the host");
	ck_assert_msg(refused, "a :ro volume was writable");
}
END_TEST

START_TEST(env_workdir_and_user)
{
	struct proc p = {0};

	ctr_run(&p, CMD("-e", "FOO=bar", "-w", "/tmp", "-u", "65534:65534"),
		CMD("/bin/sh", "-c", "echo $FOO; pwd; echo $(id -u):$(id -g)"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "bar\n/tmp\n65534:65534\n");
}
END_TEST

START_TEST(bridge_network_and_nat)
{
	struct proc p = {0};

	ctr_run(&p, NULL,
		CMD("/bin/sh", "-c",
		    "ip -4 addr show eth0 | grep -o 'inet [0-9./]*'; ping -c1 -W5 10.78.0.1 "
		    ">/dev/null && echo gw-ok"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "inet 10.78.0.2/24\ngw-ok\n");
}
END_TEST

/*
 * As docker without --ipv6: neither end of a container's veth has an IPv6
 * address, so none sends the solicitations and reports the bridge floods
 * to every other container (the start latency grew with their number).
 */
START_TEST(the_bridge_carries_no_ipv6_chatter)
{
	struct proc p = {0};
	const char *host;

	FINAL_OK(&p, "run", "-d", "--name", "quiet", test_rootfs, "sleep", "100");
	FINAL_OK(&p, "exec", "quiet", "/bin/cat", "/proc/net/if_inet6");
	ck_assert_msg(strstr(p.out, " lo\n"), "lo has no ::1: %s", p.out);
	ck_assert_msg(!strstr(p.out, "eth0"), "eth0 has an IPv6 address: %s", p.out);
	host = slurp("/proc/net/if_inet6"); /* the test's network namespace */
	ck_assert(host);
	ck_assert_msg(!strstr(host, " vf"), "the host's end has an IPv6 address: %s", host);
	FINAL_OK(&p, "rm", "-f", "quiet");
}
END_TEST

static void fetch_published(int fd)
{
	dprintf(fd, "%s", fetch("203.0.113.1", 8080));
}

/* -p 8080:80: a client on a remote host reaches the container through the host's address. */
START_TEST(published_port_reaches_the_container)
{
	struct proc p = {0};
	const char *got;
	int fds[2];
	pid_t remote;

	FINAL_OK(&p, "run", "-d", "--name", "srv", "-p", "8080:80", test_rootfs, "/bin/sh", "-c",
		 "while :; do nc -l -p 80 -e echo hello-published; done");
	ck_assert(pipe(fds) == 0);
	remote = start_remote(fetch_published, fds[1]);
	got = await_remote(remote, fds);
	ck_assert_str_eq(got, "hello-published\n");
	FINAL_OK(&p, "rm", "-f", "srv");
}
END_TEST

START_TEST(network_none_and_host)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--network", "none"), CMD("/bin/sh", "-c", "grep -c : /proc/net/dev"));
	assert_out_eq(&p, "1\n");
	sh(IP " link add hostonly0 type veth peer name hostonly1");
	ctr_run(&p, CMD("--network", "host"),
		CMD("/bin/sh", "-c", "grep -o hostonly0 /proc/net/dev"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "hostonly0\n");
}
END_TEST

/* Without --rm a record stays, with its exit status, until rm. */
START_TEST(records_stay_until_rm)
{
	struct proc p = {0};

	bin_run(&p, CMD("run", "--name", "kept", "--network", "none", test_rootfs, "/bin/sh", "-c",
			"exit 5"));
	assert_exit(&p, 5);
	FINAL_OK(&p, "ps", "-a");
	assert_contains(p.out, "exited (5)");
	FINAL_OK(&p, "ps");
	ck_assert_msg(!strstr(p.out, "kept"), "ps without -a lists an exited container");
	bin_run(&p, CMD("run", "-d", "--name", "kept", test_rootfs, "/bin/true"));
	assert_exit(&p, 125);
	assert_contains(p.err, "kept");
	FINAL_OK(&p, "rm", "kept");
}
END_TEST

START_TEST(tarball_rootfs_is_unpacked_once)
{
	char tar[] = "/tmp/final-rootfs-XXXXXX.tar.gz", images[256];
	struct proc p = {0};
	int fd = mkstemps(tar, 7);

	ck_assert(fd >= 0);
	close(fd);
	sh("tar -C %s -czf %s .", test_rootfs, tar);
	for (int i = 0; i < 2; i++) {
		ctr_run_in(&p, tar, CMD("/bin/cat", "/etc/os-release"));
		if (p.status != 0)
			unlink(tar); /* before asserting: a failure exits at once */
		assert_exit(&p, 0);
		assert_contains(p.out, "containers-in-c tutorial rootfs");
	}
	unlink(tar);
	snprintf(images, sizeof(images), "ls %s/images | wc -l | grep -qx 1", getenv("FINAL_DATA"));
	ck_assert_msg(system(images) == 0, "not exactly one unpacked copy");
}
END_TEST

/*
 * Only lo in the test's network namespace, within a second: a veth goes with
 * its container's network namespace, which the kernel tears down a little
 * after the container's last process (final does not wait for it).
 */
static void assert_only_lo(void)
{
	for (int i = 0; i < 100 && strcmp(link_names(), "lo\n"); i++)
		usleep(10000);
	ck_assert_str_eq(link_names(), "lo\n");
}

/* If final itself is SIGKILLed, the next command cleans up after it. */
START_TEST(killed_runtime_is_cleaned_up)
{
	struct proc p = {0};
	char path[300], state[1024], *pid;
	char *cgroups = cgroup_tree();

	FINAL_OK(&p, "run", "-d", "--name", "victim", "-m", "64M", "-p", "9090:90", test_rootfs,
		 "/bin/sleep", "100");
	snprintf(path, sizeof(path), "%s/containers/%.16s/state", getenv("FINAL_STATE"), p.out);
	ck_assert(slurp(path));
	snprintf(state, sizeof(state), "%s", slurp(path));
	pid = strstr(state, "monitor_pid=");
	ck_assert(pid && kill(atoi(pid + 12), SIGKILL) == 0);
	usleep(300000);
	FINAL_OK(&p, "ps", "-a");
	assert_contains(p.out, "exited (137)");
	assert_no_new_cgroups(cgroups);
	FINAL_OK(&p, "network", "prune");
	assert_only_lo();
	FINAL_OK(&p, "rm", "victim");
}
END_TEST

START_TEST(twenty_containers_at_once)
{
	struct proc p[20], q = {0};
	char names[20][16];

	memset(p, 0, sizeof(p));
	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "c%d", i);
		proc_start(&p[i], CMD(bin, "run", "-d", "--name", names[i], test_rootfs,
				      "/bin/sleep", "100"));
	}
	for (int i = 0; i < 20; i++) {
		proc_wait(&p[i], 60);
		assert_exit(&p[i], 0);
	}
	FINAL_OK(&q, "ps");
	for (int i = 0; i < 20; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), " 10.78.0.%d ", i + 2);
		assert_contains(q.out, ip); /* 20 distinct addresses: .2 to .21 */
	}
	for (int i = 0; i < 20; i++)
		FINAL_OK(&q, "rm", "-f", names[i]);
	FINAL_OK(&q, "network", "prune"); /* the bridge stays between containers, as docker0 */
	assert_only_lo();
}
END_TEST

START_TEST(bad_input_is_one_line)
{
	const char *const bad[][2] = {
	    {"--network", "bridged"}, {"-p", "99999:80"}, {"-p", "80:"},
	    {"-v", "relative:/x"},    {"-u", "nobody"},	  {"--name", "bad/name"},
	    {"-m", "64k"}};
	struct proc p = {0};

	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
	bin_run(&p, CMD("frobnicate"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	bin_run(&p, CMD("stop", "no-such-container"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	FINAL_OK(&p, "run", "--help");
	assert_contains(p.out, "--pids-limit");
}
END_TEST

/*
 * -t: the init's stdio is the container's terminal, as CMD's is. It was the
 * one `final run` was given, the host's, and a process inside allowed to
 * ptrace (--cap-add SYS_PTRACE) could read and write the user's terminal
 * through /proc/1/fd/0 (a reviewer's find).
 */
START_TEST(init_holds_the_containers_terminal_not_the_hosts)
{
	struct proc p = {.tty = true};

	ctr_start(&p, CMD("-t", "--network", "none", "--cap-add", "SYS_PTRACE"),
		  CMD("/bin/sh", "-c",
		      "[ $(stat -L -c %d /proc/1/fd/0) = $(stat -L -c %d /proc/self/fd/0) ] && "
		      "echo init:container-terminal || echo init:host-terminal"));
	tty_expect(p.tty_master, "init:container-terminal");
	proc_wait(&p, 10);
}
END_TEST

/*
 * -t: the monitor blocks SIGWINCH while it relays the terminal (signalfd);
 * CMD of a second life (--restart) starts with the mask the monitor had
 * before, as the first's: it was born with SIGWINCH blocked (a reviewer's
 * find), and a full-screen program never heard of a resize.
 */
START_TEST(a_second_life_with_a_terminal_hears_sigwinch)
{
	struct proc p = {.tty = true}, q = {0};
	char seen[4096] = "";
	size_t len = 0;
	ssize_t n;
	int lives = 0;

	proc_start(&p, (const char *[]){bin, "run", "-i", "-t", "--name", "winch", "--network",
					"none", "--restart", "on-failure:1", test_rootfs, "/bin/sh",
					"-c", "grep SigBlk /proc/self/status; exit 3", NULL});
	proc_wait(&p, 20);
	FINAL_OK(&q, "rm", "-f", "winch");
	/* both lives' lines are on the terminal, which nobody else reads: until its end (EIO) */
	for (struct pollfd pfd = {p.tty_master, POLLIN, 0};
	     len < sizeof(seen) - 1 && poll(&pfd, 1, 2000) > 0 &&
	     (n = read(p.tty_master, seen + len, sizeof(seen) - 1 - len)) > 0;)
		len += n, seen[len] = '\0';
	for (const char *s = seen; (s = strstr(s, "SigBlk:\t0000000000000000")); s++)
		lives++;
	ck_assert_msg(lives == 2, "not both lives started with nothing blocked:\n%s", seen);
	assert_exit(&p, 3);
}
END_TEST

/* -it on a real terminal: its own pty inside, Ctrl-C reaches the container, the terminal is
 * restored. */
START_TEST(interactive_terminal)
{
	struct proc p = {.tty = true};
	struct winsize ws = {.ws_row = 30, .ws_col = 100};
	struct termios after;

	ctr_start(&p, CMD("-i", "-t", "--network", "none"), CMD("/bin/sh"));
	ck_assert(ioctl(p.tty_master, TIOCSWINSZ, &ws) == 0);
	tty_expect(p.tty_master, "# ");
	ck_assert(write(p.tty_master, "stty size\r", 10) == 10);
	tty_expect(p.tty_master, "30 100");
	/* Resizing the terminal sends final SIGWINCH; it passes the new size on. */
	ws = (struct winsize){.ws_row = 20, .ws_col = 80};
	ck_assert(ioctl(p.tty_master, TIOCSWINSZ, &ws) == 0);
	usleep(200000);
	ck_assert(write(p.tty_master, "stty size\r", 10) == 10);
	tty_expect(p.tty_master, "20 80");
	ck_assert(write(p.tty_master, "tty; echo pid=$$\r", 17) == 17);
	tty_expect(p.tty_master, "pid=2");
	tty_expect(p.tty_master, "/dev/pts/0");
	ck_assert(write(p.tty_master, "sleep 100\r", 10) == 10);
	usleep(300000);
	ck_assert(write(p.tty_master, "\003", 1) == 1); /* Ctrl-C */
	ck_assert(write(p.tty_master, "echo after-$((40+2))\r", 21) == 21);
	tty_expect(p.tty_master, "after-42");
	ck_assert(write(p.tty_master, "exit 3\r", 7) == 7);
	proc_wait(&p, 10);
	assert_exit(&p, 3);
	ck_assert(tcgetattr(p.tty_master, &after) == 0);
	/* A new pty starts cooked (ICANON, ECHO); final's raw mode must be undone. */
	ck_assert_msg((after.c_lflag & (ICANON | ECHO)) == (ICANON | ECHO),
		      "the terminal was left in raw mode");
}
END_TEST

/*** security (final/security.c) ***/

/* Docker's default capabilities without CAP_MKNOD (see final/README.md). */
#define DEFAULT_CAPS "00000000a00425fb"

START_TEST(default_confinement_in_proc_status)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--network", "none"),
		CMD("/bin/grep", "-E",
		    "^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):", "/proc/self/status"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "CapEff:\t" DEFAULT_CAPS "\nCapBnd:\t" DEFAULT_CAPS
			  "\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n");
	ctr_run(&p, CMD("--network", "none", "-u", "1000"),
		CMD("/bin/grep", "^CapEff:", "/proc/self/status"));
	assert_out_eq(&p, "CapEff:\t0000000000000000\n");
	ctr_run(&p, CMD("--network", "none", "--cap-drop", "ALL", "--cap-add", "NET_ADMIN"),
		CMD("/bin/grep", "^CapEff:", "/proc/self/status"));
	assert_out_eq(&p, "CapEff:\t0000000000001000\n");
	/* The init is tiny-init, from a sealed copy (CVE-2019-5736); only a tracer may look. */
	ctr_run(&p, CMD("--network", "none", "--cap-add", "SYS_PTRACE"),
		CMD("/bin/readlink", "/proc/1/exe"));
	assert_out_eq(&p, "/memfd:final-init (deleted)\n");
}
END_TEST

/*
 * The init is final's own code for the container's whole life and never
 * execs, so O_CLOEXEC closes nothing of what it inherited from the monitor:
 * a directory descriptor there (the record's, the cgroup's) is the host's
 * tree through /proc/1/fd/N/.. to anyone inside allowed to ptrace
 * (CVE-2024-21626's leaked descriptor, by another door). It keeps stdio only.
 */
START_TEST(init_holds_no_descriptor_of_the_host)
{
	/* and one final itself inherited, not O_CLOEXEC: the host's root */
	int held = open("/", O_RDONLY | O_DIRECTORY);
	struct proc p = {0};

	ck_assert_int_ge(held, 3);
	ctr_run(&p, CMD("--network", "none", "--cap-add", "SYS_PTRACE"),
		CMD("/bin/sh", "-c", "ls /proc/1/fd | tr '\\n' ' '"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "0 1 2 ");
	FINAL_OK(&p, "run", "-d", "--name", "fds", "--network", "none", "--cap-add", "SYS_PTRACE",
		 test_rootfs, "/bin/sleep", "100");
	FINAL_OK(&p, "exec", "fds", "/bin/sh", "-c", "ls /proc/1/fd | tr '\\n' ' '");
	assert_out_eq(&p, "0 1 2 ");
	FINAL_OK(&p, "rm", "-f", "fds");
	close(held);
}
END_TEST

/*
 * No descriptor of the runtime is open when CMD's path is looked up (at its
 * execve, O_CLOEXEC ones still are): a CMD or a #! interpreter given as
 * /proc/self/fd/N/../../.. walked from the record's directory into the
 * host's tree, and ran (and could overwrite) a host binary: here a static
 * busybox copied to a directory of the test's, which would say "escaped".
 * Nor at its chdir: -w /proc/self/fd/N is refused the same way.
 */
START_TEST(cmd_reaches_no_host_directory_by_descriptor)
{
	char dir[256], bin[300], path[400], fd[32];
	struct proc p = {0};
	int held;

	test_data_dir(dir, sizeof(dir), "fdwalk");
	snprintf(bin, sizeof(bin), "%s/busybox", dir);
	proc_start(&p, CMD("/bin/cp", "/bin/busybox", bin));
	proc_wait(&p, 10);
	assert_exit(&p, 0);
	for (int n = 3; n < 16; n++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d/../../../../../../../../../../..%s", n,
			 bin);
		ctr_run(&p, CMD("--network", "none"), CMD(path, "echo", "escaped"));
		ck_assert_msg(!strstr(p.out, "escaped"), "CMD ran the host's %s through fd %d", bin,
			      n);
		snprintf(fd, sizeof(fd), "/proc/self/fd/%d", n);
		ctr_run(&p, CMD("--network", "none", "-w", fd), CMD("/bin/pwd"));
		ck_assert_msg(p.status == 125, "-w %s: exit %d, in %s", fd, p.status, p.out);
	}
	/* A directory final (run, exec) inherited, not O_CLOEXEC, is closed too. */
	ck_assert((held = open(dir, O_RDONLY | O_DIRECTORY)) >= 3);
	snprintf(path, sizeof(path), "/proc/self/fd/%d/busybox", held);
	ctr_run(&p, CMD("--network", "none"), CMD(path, "echo", "escaped"));
	ck_assert_msg(!strstr(p.out, "escaped"), "CMD ran the host's %s", bin);
	FINAL_OK(&p, "run", "-d", "--name", "fdwalk", "--network", "none", test_rootfs,
		 "/bin/sleep", "100");
	bin_run(&p, CMD("exec", "fdwalk", path, "echo", "escaped"));
	ck_assert_msg(!strstr(p.out, "escaped"), "exec ran the host's %s", bin);
	FINAL_OK(&p, "rm", "-f", "fdwalk");
	close(held);
	unlink(bin);
	rmdir(dir);
}
END_TEST

/*
 * The init, tiny-init, needs no privilege and has none: as CMD's user, no
 * capability, no_new_privs, CMD's seccomp filter and limits, and not
 * dumpable. It had root's full set, and a process of the container allowed
 * to ptrace (--cap-add SYS_PTRACE) could write code into /proc/1/mem and
 * run it with all of them; then, as CMD's user and dumpable, any process
 * of that user could, and run it without the filter (two attackers'
 * reviews did).
 */
START_TEST(the_init_has_no_privilege)
{
	const char *mem = "(exec 3</proc/1/mem) 2>/dev/null && echo opened || echo refused";
	struct proc p = {0};

	ctr_run(&p, CMD("--network", "none", "--cap-add", "SYS_PTRACE"),
		CMD("/bin/grep", "-E", "^(Uid|CapPrm|CapEff|CapBnd|NoNewPrivs|Seccomp):",
		    "/proc/1/status"));
	assert_out_eq(&p, "Uid:\t0\t0\t0\t0\nCapPrm:\t0000000000000000\n"
			  "CapEff:\t0000000000000000\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\n"
			  "Seccomp:\t2\n");
	ctr_run(&p, CMD("--network", "none", "-u", "1000:1000", "--ulimit", "nofile=99:99"),
		CMD("/bin/sh", "-c", "grep ^Uid: /proc/1/status; grep 'open files' /proc/1/limits"));
	assert_contains(p.out, "Uid:\t1000\t1000\t1000\t1000\n");
	assert_contains(p.out, " 99 ");
	ctr_run(&p, CMD("--network", "none"), CMD("/bin/sh", "-c", mem));
	assert_out_eq(&p, "refused\n");
	ctr_run(&p, CMD("--network", "none", "-u", "1000:1000"), CMD("/bin/sh", "-c", mem));
	assert_out_eq(&p, "refused\n");
}
END_TEST

/*
 * CMD's process is final's until its execve, so a #!/proc/self/exe script
 * (or a CMD that is that path) made the kernel run final's file from the
 * host (CVE-2019-5736's door). CMD's process is tiny-init's (run), or execs
 * through it (exec): what /proc/self/exe names then is tiny-init's sealed
 * copy, which refuses.
 */
START_TEST(cmd_never_execs_the_runtime_s_file)
{
	char dir[256], vol[300], script[300];
	struct proc p = {0};
	FILE *f;

	test_data_dir(dir, sizeof(dir), "selfexe");
	snprintf(script, sizeof(script), "%s/x.sh", dir);
	ck_assert((f = fopen(script, "w")));
	fputs("#!/proc/self/exe\n", f);
	fclose(f);
	chmod(script, 0755);
	snprintf(vol, sizeof(vol), "%s:/v", dir);
	ctr_run(&p, CMD("--network", "none", "-v", vol), CMD("/v/x.sh"));
	assert_contains(p.err, "final-init: the init of final's containers");
	ctr_run(&p, CMD("--network", "none"), CMD("/proc/self/exe"));
	assert_contains(p.err, "final-init: the init of final's containers");
	/* nor a `final exec` process's */
	FINAL_OK(&p, "run", "-d", "--name", "selfexe", "--network", "none", "-v", vol, test_rootfs,
		 "/bin/sleep", "100");
	bin_run(&p, CMD("exec", "selfexe", "/v/x.sh"));
	assert_contains(p.err, "final-init: the init of final's containers");
	bin_run(&p, CMD("exec", "selfexe", "/proc/self/exe"));
	assert_contains(p.err, "final-init: the init of final's containers");
	FINAL_OK(&p, "rm", "-f", "selfexe");
	unlink(script);
	rmdir(dir);
}
END_TEST

/*
 * The attacks /t/attack knows, as NAME, ARG pairs ending in NULL: mknod gets
 * the host root's device, kill this test's PID.
 */
static const char *const *attacks(void)
{
	static const char *const names[] = {"mount",  "sysrq",	"timers", "module", "keyctl",
					    "userns", "clone3", "time",	  "fds",    "exe",
					    "kill",   "mknod",	"setuid"};
	static char disk[32], pid[16];
	static const char *list[2 * 16 + 1];
	struct stat st;
	int n = 0;

	ck_assert(stat("/", &st) == 0);
	snprintf(disk, sizeof(disk), "%u:%u", major(st.st_dev), minor(st.st_dev));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(names[i], "mknod") && major(st.st_dev) == 0)
			continue; /* a root on tmpfs (the test VM) has no disk to steal */
		list[n++] = names[i];
		list[n++] = !strcmp(names[i], "kill")	 ? pid
			    : !strcmp(names[i], "mknod") ? disk
							 : "";
	}
	list[n] = NULL;
	return list;
}

static uid_t attacker; /* rootless: final runs as this user (0: as root) */

/* Run one attack in a container with OPTS (setuid runs as user 1000); its exit status. */
static int attack(const char *name, const char *arg, const char *const opts[], char *out,
		  size_t size)
{
	const char *argv[32];
	struct proc p = {.uid = attacker};
	int n = 0;

	for (; opts && *opts; opts++)
		argv[n++] = *opts;
	argv[n++] = "--network";
	argv[n++] = "none";
	if (!strcmp(name, "setuid")) {
		argv[n++] = "-u";
		argv[n++] = "1000";
	}
	argv[n] = NULL;
	ctr_run(&p, argv, CMD("/t/attack", name, arg[0] ? arg : NULL));
	snprintf(out, size, "%s: %.200s%.200s", name, p.out, p.err);
	return p.status;
}

/* Every attack fails in a default container. */
START_TEST(escape_battery_is_blocked)
{
	const char *const *list = attacks();
	char out[512];

	for (int i = 0; list[i]; i += 2)
		ck_assert_msg(attack(list[i], list[i + 1], NULL, out, sizeof(out)) == 1 &&
				  strstr(out, "blocked"),
			      "%s", out);
}
END_TEST

/* ...and the ones capabilities, seccomp and no_new_privs stop work once those are removed. */
START_TEST(escape_battery_needs_the_protections)
{
	const char *const weak[] = {"--cap-add",
				    "ALL",
				    "--security-opt",
				    "seccomp=unconfined",
				    "--security-opt",
				    "no-new-privileges=false",
				    NULL};
	const char *const *list = attacks();
	const char *const needs[] = {"mount",  "module", "keyctl", "userns",
				     "clone3", "time",	 "mknod",  "setuid"};
	char out[512];

	for (int i = 0; list[i]; i += 2)
		for (size_t j = 0; j < sizeof(needs) / sizeof(needs[0]); j++)
			if (!strcmp(list[i], needs[j]))
				ck_assert_msg(
				    attack(list[i], list[i + 1], weak, out, sizeof(out)) == 0 &&
					strstr(out, "escaped"),
				    "without protections: %s", out);
}
END_TEST

/*
 * no_new_privs holds on its own: libseccomp sets it too when it loads the
 * filter, so only with seccomp off does the runtime's own prctl() show. A
 * setuid-root binary run by user 1000 then gains nothing.
 */
START_TEST(no_new_privs_holds_without_seccomp)
{
	const char *const unconfined[] = {"--security-opt", "seccomp=unconfined", NULL};
	struct proc p = {0};
	char out[512];

	ctr_run(&p, CMD("--network", "none", "--security-opt", "seccomp=unconfined"),
		CMD("/bin/grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "NoNewPrivs:\t1\nSeccomp:\t0\n");
	ck_assert_msg(attack("setuid", "", unconfined, out, sizeof(out)) == 1 &&
			  strstr(out, "blocked"),
		      "with seccomp=unconfined: %s", out);
	/* and off when asked, with the filter on (libseccomp would set it anyway) */
	ctr_run(&p, CMD("--network", "none", "--security-opt", "no-new-privileges=false"),
		CMD("/bin/grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "NoNewPrivs:\t0\nSeccomp:\t2\n");
}
END_TEST

START_TEST(bad_security_options_are_one_line)
{
	const char *const bad[][2] = {{"--cap-add", "NOT_A_CAP"},
				      {"--security-opt", "apparmor=x"},
				      {"--ulimit", "nofile=10:5"},
				      {"--ulimit", "bogus=1"}};

	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(ulimit_sets_rlimits)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--network", "none", "--ulimit", "nofile=100:200"),
		CMD("/bin/sh", "-c", "ulimit -n; ulimit -Hn"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "100\n200\n");
}
END_TEST

/* A container allowed to mount (stage 02's test, with the protections lifted) still cannot reach
 * the host. */
START_TEST(privileged_mounts_stay_inside)
{
	struct proc p = {0};
	char *before;

	enter_shared_mount_ns();
	before = mount_points();
	ctr_run(&p,
		CMD("--network", "none", "--cap-add", "SYS_ADMIN", "--security-opt",
		    "seccomp=unconfined"),
		CMD("/bin/sh", "-c", "mount -t tmpfs test-tmpfs /tmp && echo mounted"));
	assert_exit(&p, 0);
	assert_out_eq(&p, "mounted\n");
	assert_unchanged("the host's mount table", before, mount_points());
}
END_TEST

/*** --userns=remap ***/

/* The container's (or exec's) view of a file of /proc/self, spaces squeezed. */
static const char *squeezed(const char *text)
{
	static char out[256];
	size_t n = 0;

	for (const char *c = text; *c && n < sizeof(out) - 1; c++)
		if (*c != ' ' || (n && out[n - 1] != ' ' && out[n - 1] != '\n'))
			out[n++] = *c;
	out[n] = '\0';
	return out;
}

/*
 * Root inside is the first id of a range nobody uses on the host, from a
 * user final makes on first use: the init's uid_map and credentials seen
 * from the host, exec in the same user namespace, the image's files its
 * root's (and writable), a volume's new file owned by the range.
 */
START_TEST(userns_remap_maps_root_to_a_range)
{
	struct proc p = {0};
	char vol[600], map[128], mount[700], uid[128];
	unsigned long u, g;
	struct stat st;
	pid_t init;

	use_test_remap_user();
	snprintf(vol, sizeof(vol), "%s/vol", getenv("FINAL_DATA"));
	ck_assert(mkdir(vol, 0777) == 0 && chmod(vol, 0777) == 0);
	snprintf(mount, sizeof(mount), "%s:/vol", vol);
	FINAL_OK(&p, "run", "-d", "--name", "remapped", "--network", "none", "--userns=remap", "-v",
		 mount, test_rootfs, "/bin/sleep", "100");
	assert_contains(p.err, "creating the user");
	u = remap_range_start("/etc/subuid");
	g = remap_range_start("/etc/subgid");
	ck_assert_msg(u >= 65536 && g >= 65536, "no range of its own in /etc/subuid: %lu", u);
	FINAL_OK(&p, "inspect", "--format", "{{.State.Pid}}", "remapped");
	init = atoi(p.out);
	snprintf(map, sizeof(map), "/proc/%d/uid_map", (int)init);
	snprintf(uid, sizeof(uid), "0 %lu 65536\n", u);
	ck_assert_str_eq(squeezed(slurp(map)), uid);
	snprintf(map, sizeof(map), "/proc/%d/status", (int)init);
	snprintf(uid, sizeof(uid), "\nUid:\t%lu\t%lu\t%lu\t%lu\n", u, u, u, u);
	assert_contains(slurp(map), uid);
	ck_assert(ns_inode(init, "user") != ns_inode(0, "user"));
	/* exec: the same user namespace, root there too */
	FINAL_OK(&p, "exec", "remapped", "/bin/sh", "-c",
		 "id -u; stat -c %u:%g /etc/passwd; echo x > /etc/new && echo wrote; touch /vol/f;"
		 "readlink /proc/self/ns/user");
	snprintf(uid, sizeof(uid), "0\n0:0\nwrote\nuser:[%lu]\n", ns_inode(init, "user"));
	assert_out_eq(&p, uid);
	snprintf(mount, sizeof(mount), "%s/f", vol);
	ck_assert_int_eq(stat(mount, &st), 0);
	ck_assert_uint_eq(st.st_uid, u);
	ck_assert_uint_eq(st.st_gid, g);
	FINAL_OK(&p, "rm", "-f", "remapped");
	/* made once: the next container uses it */
	ctr_run(&p, CMD("--network", "none", "--userns=remap"),
		CMD("/bin/cat", "/proc/self/uid_map"));
	assert_exit(&p, 0);
	ck_assert_msg(!strstr(p.err, "creating"), "the user was made again: %s", p.err);
	snprintf(uid, sizeof(uid), "0 %lu 65536\n", u);
	ck_assert_str_eq(squeezed(p.out), uid);
}
END_TEST

/* Every attack fails with the option, and those that need the host's root fail even without
 * the protections: capabilities count in the container's user namespace only. */
START_TEST(escape_battery_is_blocked_with_userns_remap)
{
	const char *const remap[] = {"--userns=remap", NULL};
	const char *const weak[] = {"--userns=remap",
				    "--cap-add",
				    "ALL",
				    "--security-opt",
				    "seccomp=unconfined",
				    "--security-opt",
				    "no-new-privileges=false",
				    NULL};
	const char *const host_root[] = {"mount", "time", "mknod"};
	const char *const *list = attacks();
	char out[512];

	use_test_remap_user();
	for (int i = 0; list[i]; i += 2) {
		ck_assert_msg(attack(list[i], list[i + 1], remap, out, sizeof(out)) == 1 &&
				  strstr(out, "blocked"),
			      "--userns=remap: %s", out);
		for (size_t j = 0; j < sizeof(host_root) / sizeof(host_root[0]); j++)
			if (!strcmp(list[i], host_root[j]))
				ck_assert_msg(
				    attack(list[i], list[i + 1], weak, out, sizeof(out)) == 1 &&
					strstr(out, "blocked"),
				    "--userns=remap without the protections: %s", out);
	}
}
END_TEST

/* The bridge, a published port below 1024 and ping's raw socket: the network namespace is the
 * container root's own. */
START_TEST(userns_remap_keeps_the_network)
{
	struct proc p = {0};
	const char *got;
	int fds[2];
	pid_t remote;

	use_test_remap_user();
	FINAL_OK(&p, "run", "-d", "--name", "srv", "--userns=remap", "-p", "8080:80", test_rootfs,
		 "/bin/sh", "-c", "while :; do nc -l -p 80 -e echo hello-remapped; done");
	ck_assert(pipe(fds) == 0);
	remote = start_remote(fetch_published, fds[1]);
	got = await_remote(remote, fds);
	ck_assert_str_eq(got, "hello-remapped\n");
	FINAL_OK(
	    &p, "exec", "srv", "/bin/sh", "-c",
	    "ping -c 1 -W 2 $(ip route | awk '/default/ {print $3}') >/dev/null && echo pinged");
	assert_out_eq(&p, "pinged\n");
	FINAL_OK(&p, "rm", "-f", "srv");
}
END_TEST

/*
 * Rootless (stage07_rootless.c): every attack fails, and those that need
 * the host's root fail without the protections too. Unlike --userns=remap,
 * the container's mount namespace is its user namespace's: with
 * CAP_SYS_ADMIN, mounting inside works (harmlessly), so it is not one of them.
 */
START_TEST(escape_battery_is_blocked_rootless)
{
	const char *const weak[] = {"--cap-add",
				    "ALL",
				    "--security-opt",
				    "seccomp=unconfined",
				    "--security-opt",
				    "no-new-privileges=false",
				    NULL};
	const char *const host_root[] = {"time", "mknod"};
	const char *const *list = attacks();
	const char *home;
	char out[512];

	attacker = use_test_user(true, &home);
	test_rootfs = test_user_rootfs(attacker);
	for (int i = 0; list[i]; i += 2) {
		ck_assert_msg(attack(list[i], list[i + 1], NULL, out, sizeof(out)) == 1 &&
				  strstr(out, "blocked"),
			      "rootless: %s", out);
		for (size_t j = 0; j < sizeof(host_root) / sizeof(host_root[0]); j++)
			if (!strcmp(list[i], host_root[j]))
				ck_assert_msg(
				    attack(list[i], list[i + 1], weak, out, sizeof(out)) == 1 &&
					strstr(out, "blocked"),
				    "rootless without the protections: %s", out);
	}
}
END_TEST

START_TEST(userns_bad_input_is_one_line)
{
	const char *const bad[][2] = {{"--userns", "private"}};
	struct proc p = {0};

	const char *const not_dedicated[][2] = {{"nobody", "not a dedicated system user"},
						{"root", "not a dedicated system user"},
						{"-o", "use lowercase letters"}};

	assert_bad_options(bad, 1);
	/* the container's root is FINAL_REMAP_USER's range: never an account that could use it */
	for (size_t i = 0; i < sizeof(not_dedicated) / sizeof(not_dedicated[0]); i++) {
		setenv("FINAL_REMAP_USER", not_dedicated[i][0], 1);
		ctr_run(&p, CMD("--userns=remap", "--network", "none"), CMD("/bin/true"));
		assert_exit(&p, 125);
		assert_contains(p.err, not_dedicated[i][1]);
		ck_assert_msg(strchr(p.err, '\n') == p.err + strlen(p.err) - 1, "not one line: %s",
			      p.err);
	}
	use_test_remap_user();
	ctr_run(&p, CMD("--userns=remap", "--network", "host"), CMD("/bin/true"));
	assert_exit(&p, 125);
	assert_contains(p.err, "host's network");
	ck_assert_msg(strchr(p.err, '\n') == p.err + strlen(p.err) - 1, "not one line: %s", p.err);
}
END_TEST

void stage07_tests(void)
{
	add_test(7, 0, init_is_pid_1_and_reaps_orphans);
	add_test(7, 0, detached_container_lifecycle);
	add_test(7, 0, exec_joins_the_running_container);
	add_test(7, 0, each_container_gets_a_fresh_root);
	add_test(7, 0, an_rm_container_s_layer_is_in_memory);
	add_test(7, 0, read_only_root);
	add_test(7, 0, volumes_bind_host_directories);
	add_test(7, 0, env_workdir_and_user);
	add_test(7, 0, bridge_network_and_nat);
	add_test(7, 0, the_bridge_carries_no_ipv6_chatter);
	add_test(7, 0, published_port_reaches_the_container);
	add_test(7, 0, network_none_and_host);
	add_test(7, 0, records_stay_until_rm);
	add_test(7, 0, tarball_rootfs_is_unpacked_once);
	add_test(7, 0, killed_runtime_is_cleaned_up);
	add_test(7, 0, twenty_containers_at_once);
	add_test(7, 0, bad_input_is_one_line);
	add_test(7, 0, interactive_terminal);
	add_test(7, 0, default_confinement_in_proc_status);
	add_test(7, 0, no_new_privs_holds_without_seccomp);
	add_test(7, 0, init_holds_no_descriptor_of_the_host);
	add_test(7, 0, init_holds_the_containers_terminal_not_the_hosts);
	add_test(7, 0, a_second_life_with_a_terminal_hears_sigwinch);
	add_test(7, 0, cmd_reaches_no_host_directory_by_descriptor);
	add_test(7, 0, the_init_has_no_privilege);
	add_test(7, 0, cmd_never_execs_the_runtime_s_file);
	add_test(7, 0, escape_battery_is_blocked);
	add_test(7, 0, escape_battery_needs_the_protections);
	add_test(7, 0, bad_security_options_are_one_line);
	add_test(7, 0, ulimit_sets_rlimits);
	add_test(7, 0, privileged_mounts_stay_inside);
	add_test(7, 0, userns_remap_maps_root_to_a_range);
	add_test(7, 0, escape_battery_is_blocked_with_userns_remap);
	add_test(7, 0, userns_remap_keeps_the_network);
	add_test(7, 0, userns_bad_input_is_one_line);
	add_test(7, 0, escape_battery_is_blocked_rootless);
}
