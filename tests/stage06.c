/*
 * stage06.c: step 06 gives the container a network: eth0 on a host bridge,
 * an address of its own, a default route, NAT to the outside.
 *
 * From stage 06 on every test runs in a network namespace of its own that
 * plays "the host" (see the runner), so bridges, veths and NAT rules are
 * only ever made there, and traffic goes only to namespaces the tests made.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

START_TEST(eth0_gets_an_address_and_a_default_route)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "ip -4 addr show eth0; ip link show lo; ip route"));
	assert_exit(&p, 0);
	assert_contains(p.out, "inet 10.77.0.2/24");
	assert_contains(p.out, "lo: <LOOPBACK,UP");
	assert_contains(p.out, "default via 10.77.0.1 dev eth0");
}
END_TEST

START_TEST(ip_option_chooses_the_address)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--ip", "10.77.0.42"), CMD("/bin/sh", "-c", "ip -4 addr show eth0"));
	assert_exit(&p, 0);
	assert_contains(p.out, "inet 10.77.0.42/24");
}
END_TEST

START_TEST(container_reaches_the_bridge)
{
	struct proc p = {0};

	ctr_run(&p, NULL, CMD("/bin/ping", "-c", "1", "-W", "5", "10.77.0.1"));
	assert_exit(&p, 0);
}
END_TEST

START_TEST(two_containers_reach_each_other)
{
	struct proc a = {0}, b = {0};

	ctr_start_ready(&a, CMD("--ip", "10.77.0.10"),
			"echo ready; exec nc -l -p 7000 -e echo hello-from-a");
	ctr_run(&b, CMD("--ip", "10.77.0.11"),
		CMD("/bin/sh", "-c", RETRY("nc 10.77.0.10 7000 </dev/null | grep hello-from-a")));
	assert_exit(&b, 0);
	assert_out_eq(&b, "hello-from-a\n");
	proc_wait(&a, 10);
	assert_exit(&a, 0);
}
END_TEST

START_TEST(server_in_container_answers_the_host)
{
	struct proc p = {0};

	ctr_start_ready(&p, CMD("--ip", "10.77.0.20"),
			"echo ready; exec nc -l -p 8080 -e echo hello-from-container");
	ck_assert_str_eq(fetch("10.77.0.20", 8080), "hello-from-container\n");
	proc_wait(&p, 10);
	assert_exit(&p, 0);
}
END_TEST

static void listen_9000(int fd)
{
	accept_and_report(9000, fd);
}

START_TEST(nat_hides_the_container_behind_the_host)
{
	struct proc p = {0};
	const char *seen;
	int fds[2];
	pid_t remote;

	ck_assert(pipe(fds) == 0);
	remote = start_remote(listen_9000, fds[1]);
	ctr_run(&p, NULL, CMD("/bin/sh", "-c", RETRY("echo hi | nc -w 1 203.0.113.2 9000")));
	seen = await_remote(remote, fds);
	assert_exit(&p, 0);
	ck_assert_msg(strcmp(seen, "203.0.113.1") == 0,
		      "the remote saw %s, not the host's address 203.0.113.1", seen);
}
END_TEST

/*
 * Ten running at the same time (each waits until the test has seen all ten
 * addresses: on a slow machine, one that had already ended could rightly
 * hand its address on), then all ended at once.
 */
START_TEST(ten_containers_get_distinct_addresses)
{
	struct proc p[10];
	char addrs[10][32], *before = link_names();
	pid_t child[10];

	memset(p, 0, sizeof(p));
	for (int i = 0; i < 10; i++)
		ctr_start(&p[i], NULL,
			  CMD("/bin/sh", "-c",
			      "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'; echo ready; exec "
			      "sleep 60"));
	for (int i = 0; i < 10; i++) {
		ck_assert_msg(proc_wait_output(&p[i], "ready", 60), "container %d: %s", i,
			      p[i].err);
		ck_assert_msg(sscanf(p[i].out, "inet %31s", addrs[i]) == 1, "no address: %s",
			      p[i].out);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(addrs[i], addrs[j]),
				      "containers %d and %d both got %s", j, i, addrs[i]);
		child[i] = ctr_child(&p[i]);
	}
	for (int i = 0; i < 10; i++)
		kill(child[i], SIGKILL);
	for (int i = 0; i < 10; i++) {
		proc_wait(&p[i], 30);
		assert_exit(&p[i], 128 + SIGKILL);
	}
	/* The last to leave, whichever it is, removes the bridge: none counts a dead one. */
	assert_unchanged("the host's interfaces", before, link_names());
}
END_TEST

START_TEST(ip_in_use_is_refused)
{
	struct proc a = {0}, b = {0};

	ctr_start_ready(&a, CMD("--ip", "10.77.0.30"), "echo ready; exec sleep 60");
	ctr_run(&b, CMD("--ip", "10.77.0.30"), CMD("/bin/true"));
	ctr_kill(&a, ctr_child(&a));
	assert_exit(&b, 125);
	assert_one_line(b.err);
	assert_contains(b.err, "10.77.0.30");
}
END_TEST

/* After the last container: no veth, no bridge, no NAT table, ip_forward as before, and no
 * saved ip_forward or resolv.conf in /run/containers-in-c (the directory, the lock, stays). */
START_TEST(nothing_is_left_after_exit)
{
	struct proc p = {0}, nft = {0};
	char *before = link_names(), forward[8], state[128];
	struct stat st;

	snprintf(forward, sizeof(forward), "%s", slurp("/proc/sys/net/ipv4/ip_forward"));
	ctr_run(&p, NULL, CMD("/bin/sh", "-c", "ip -4 addr show eth0"));
	assert_exit(&p, 0);
	assert_contains(p.out, "inet 10.77.0.");
	assert_unchanged("the host's interfaces", before, link_names());
	ck_assert_str_eq(slurp("/proc/sys/net/ipv4/ip_forward"), forward);
	proc_start(&nft, CMD("/usr/sbin/nft", "list", "ruleset"));
	proc_wait(&nft, 10);
	ck_assert_msg(nft.out[0] == '\0', "nftables rules left:\n%s", nft.out);
	ck_assert(stat("/proc/self/ns/net", &st) == 0);
	snprintf(state, sizeof(state), "/run/containers-in-c/ip_forward.%lu",
		 (unsigned long)st.st_ino);
	ck_assert_msg(access(state, F_OK) != 0, "%s is left", state);
	snprintf(state, sizeof(state), "/run/containers-in-c/resolv.conf.%d", (int)p.pid);
	ck_assert_msg(access(state, F_OK) != 0, "%s is left", state);
}
END_TEST

START_TEST(network_none_has_only_lo_up)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--network", "none"),
		CMD("/bin/sh", "-c", "grep -c : /proc/net/dev; ip link show lo"));
	assert_exit(&p, 0);
	ck_assert_msg(strncmp(p.out, "1\n", 2) == 0, "more than lo: %s", p.out);
	assert_contains(p.out, "lo: <LOOPBACK,UP");
}
END_TEST

START_TEST(bad_network_options_are_one_line)
{
	const char *const bad[][2] = {{"--network", "host2"},  {"--ip", "10.77.0"},
				      {"--ip", "10.77.1.5"},   {"--ip", "10.77.0.1"},
				      {"--ip", "10.77.0.255"}, {"--ip", "10.77.0.5x"}};

	assert_bad_options(bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

/* The host's name servers, without loopback ones, bind-mounted over the rootfs's empty file. */
START_TEST(resolv_conf_comes_from_the_host)
{
	struct proc p = {0};
	const char *host;

	ctr_run(&p, NULL, CMD("/bin/cat", "/etc/resolv.conf"));
	assert_exit(&p, 0);
	ck_assert_msg(strstr(p.out, "nameserver 127.") == NULL, "loopback name server: %s", p.out);
	host = slurp("/etc/resolv.conf");
	ck_assert_msg(p.out[0] != '\0' || !host || !strstr(host, "nameserver") ||
			  strstr(host, "nameserver 127."),
		      "empty resolv.conf in the container");
	ctr_run(&p, CMD("--network", "bridge"),
		CMD("/bin/sh", "-c", "grep -c ' /etc/resolv.conf ' /proc/mounts"));
	assert_out_eq(&p, "1\n");
}
END_TEST

/* final has its own bridge (10.78.0.0/24) and options: stage07.c tests them. */
/*
 * The host's side is set up under one lock, flock() on /run/containers-in-c,
 * so that two step06s never take one address. A race is hard to hit, so the
 * test holds the lock itself: the container must wait for it, then start.
 */
START_TEST(setup_waits_for_the_lock)
{
	struct proc p = {0};
	int fd;

	mkdir("/run/containers-in-c", 0755);
	fd = open("/run/containers-in-c", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_msg(fd >= 0 && flock(fd, LOCK_EX) == 0, "lock: %s", strerror(errno));
	ctr_start(&p, NULL, CMD("/bin/sh", "-c", "echo ready; exec sleep 30"));
	ck_assert_msg(!proc_wait_output(&p, "ready", 1),
		      "it started while the test held the lock; ran: %s", p.cmdline);
	close(fd);
	ck_assert_msg(proc_wait_output(&p, "ready", 10),
		      "not started within 10 s of the lock's release; ran: %s; stderr: %s",
		      p.cmdline, p.err);
	ctr_kill(&p, ctr_child(&p));
	assert_exit(&p, 137);
}
END_TEST

/*
 * Two containers end at once. A dead container's veth goes a moment after
 * it (the kernel dismantles its namespace in the background); each runtime
 * waits for its own to go before it looks for others, so that the last one
 * never counts a dead one and leaves the bridge. Made certain: the test
 * holds A's namespace open, so A's veth stays while B ends; A's runtime must
 * wait, and remove the bridge once the test lets the namespace go.
 */
START_TEST(a_lingering_veth_does_not_keep_the_bridge)
{
	struct proc a = {0}, b = {0};
	char *before = link_names(), *during, ns[64];
	pid_t child_a;
	int fd;

	ctr_start_ready(&a, NULL, "echo ready; exec sleep 60");
	ctr_start_ready(&b, NULL, "echo ready; exec sleep 60");
	during = link_names();
	ck_assert_msg(strcmp(before, during) != 0, "no bridge or veth while two containers run");
	free(during);
	child_a = ctr_child(&a);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)child_a);
	fd = open(ns, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", ns, strerror(errno));
	kill(child_a, SIGKILL);
	usleep(300000);
	ctr_kill(&b, ctr_child(&b)); /* B ends while A's veth is still there */
	close(fd); /* now A's namespace, and its veth, can go */
	proc_wait(&a, 10);
	assert_exit(&a, 137);
	assert_unchanged("the host's interfaces", before, link_names());
}
END_TEST

void stage06_tests(void)
{
	add_test(6, 6, eth0_gets_an_address_and_a_default_route);
	add_test(6, 6, ip_option_chooses_the_address);
	add_test(6, 6, container_reaches_the_bridge);
	add_test(6, 6, two_containers_reach_each_other);
	add_test(6, 6, server_in_container_answers_the_host);
	add_test(6, 6, nat_hides_the_container_behind_the_host);
	add_test(6, 6, ten_containers_get_distinct_addresses);
	add_test(6, 6, ip_in_use_is_refused);
	add_test(6, 6, nothing_is_left_after_exit);
	add_test(6, 6, network_none_has_only_lo_up);
	add_test(6, 6, bad_network_options_are_one_line);
	add_test(6, 6, resolv_conf_comes_from_the_host);
	add_test(6, 6, setup_waits_for_the_lock);
	add_test(6, 6, a_lingering_veth_does_not_keep_the_bridge);
}
