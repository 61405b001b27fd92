/*
 * stage06.c: step 06 gives the container a network: eth0 on a host bridge,
 * an address leased under a lock, a default route, NAT to the outside.
 *
 * From stage 06 on every test runs in a network namespace of its own that
 * plays "the host" (see the runner), so bridges, veths and NAT rules are
 * only ever made there, and traffic goes only to namespaces the tests made.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * iproute2's ip on the test's side, by path: a busybox /bin/sh built with
 * "standalone shell" (as Debian's, and the test VM's) runs its own applet
 * for a bare `ip`, which cannot make veth pairs.
 */
#define IP "/usr/sbin/ip"

/* Retry a client for up to 5 s: the server in the container may not listen yet. */
#define RETRY(cmd) "for i in $(seq 50); do " cmd " && exit 0; sleep 0.1; done; exit 1"

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

/* The interfaces of the test's network namespace, one name per line. */
static char *link_names(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (i = ifs; i && i->if_index; i++)
		fprintf(out, "%s\n", i->if_name);
	if_freenameindex(ifs);
	fclose(out);
	return buf;
}

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

/* Connect to ADDR:PORT from the test's namespace, retrying; return what the server says. */
static const char *fetch(const char *addr, int port)
{
	static char buf[256];
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, addr, &sa.sin_addr);
	for (int i = 0; i < 100; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ssize_t n;

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			close(fd);
			return buf;
		}
		close(fd);
		usleep(100000);
	}
	return "(no connection)";
}

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

/*
 * A "remote" host: a process in a network namespace of its own, linked to
 * the test's namespace by a veth pair on 203.0.113.0/24 (TEST-NET-3). It
 * accepts one connection on port 9000 and writes the peer's address to FD.
 */
static pid_t start_remote(int fd)
{
	int up[2], down[2]; /* one pipe each way: a process must not read its own byte */
	pid_t pid;

	ck_assert(pipe(up) == 0 && pipe(down) == 0);
	pid = fork();
	if (pid == 0) {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9000)}, peer;
		socklen_t len = sizeof(peer);
		int s, c;
		char byte;

		if (unshare(CLONE_NEWNET) < 0 || write(up[1], "1", 1) != 1 ||
		    read(down[0], &byte, 1) != 1 ||
		    system(IP " addr add 203.0.113.2/24 dev rt1 && " IP " link set rt1 up") != 0) {
			dprintf(fd, "remote setup failed");
			_exit(1);
		}
		s = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 1) < 0)
			_exit(1);
		c = accept(s, (struct sockaddr *)&peer, &len);
		dprintf(fd, "%s", c < 0 ? "accept failed" : inet_ntoa(peer.sin_addr));
		_exit(0);
	}
	ck_assert(read(up[0], &(char){0}, 1) == 1); /* it is in its namespace */
	sh(IP " link add rt0 type veth peer name rt1 netns %d", pid);
	sh(IP " addr add 203.0.113.1/24 dev rt0 && " IP " link set rt0 up");
	ck_assert(write(down[1], "1", 1) == 1); /* its end of the link exists: configure, listen */
	return pid;
}

START_TEST(nat_hides_the_container_behind_the_host)
{
	struct proc p = {0};
	char seen[64] = "";
	int fds[2];
	pid_t remote;

	ck_assert(pipe(fds) == 0);
	remote = start_remote(fds[1]);
	ctr_run(&p, NULL, CMD("/bin/sh", "-c", RETRY("echo hi | nc -w 1 203.0.113.2 9000")));
	close(fds[1]);
	if (poll(&(struct pollfd){.fd = fds[0], .events = POLLIN}, 1, 5000) == 1)
		ck_assert(read(fds[0], seen, sizeof(seen) - 1) >= 0);
	kill(remote, SIGKILL);
	waitpid(remote, NULL, 0);
	assert_exit(&p, 0);
	ck_assert_msg(strcmp(seen, "203.0.113.1") == 0,
		      "the remote saw %s, not the host's address 203.0.113.1", seen);
}
END_TEST

START_TEST(ten_containers_get_distinct_addresses)
{
	struct proc p[10];
	char addrs[10][32];

	memset(p, 0, sizeof(p));
	for (int i = 0; i < 10; i++)
		ctr_start(
		    &p[i], NULL,
		    CMD("/bin/sh", "-c", "ip -4 addr show eth0 | grep -o 'inet [0-9.]*'; sleep 2"));
	for (int i = 0; i < 10; i++) {
		proc_wait(&p[i], 30);
		assert_exit(&p[i], 0);
		ck_assert_msg(sscanf(p[i].out, "inet %31s", addrs[i]) == 1, "no address: %s",
			      p[i].out);
		for (int j = 0; j < i; j++)
			ck_assert_msg(strcmp(addrs[i], addrs[j]),
				      "containers %d and %d both got %s", j, i, addrs[i]);
	}
}
END_TEST

START_TEST(ip_in_use_is_refused)
{
	struct proc a = {0}, b = {0};

	ctr_start_ready(&a, CMD("--ip", "10.77.0.30"), "echo ready; sleep 2");
	ctr_run(&b, CMD("--ip", "10.77.0.30"), CMD("/bin/true"));
	assert_exit(&b, 125);
	assert_one_line(b.err);
	assert_contains(b.err, "10.77.0.30");
	proc_wait(&a, 10);
}
END_TEST

/* After the last container: no veth, no bridge, no NAT table, no lease, ip_forward as before. */
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
	snprintf(state, sizeof(state), "/run/containers-in-c/net-%lu", (unsigned long)st.st_ino);
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

START_TEST(subnet_overlapping_a_host_route_is_refused)
{
	struct proc p = {0};
	char *before;

	sh(IP " route add 10.99.0.0/16 dev lo");
	before = link_names();
	ctr_run(&p, CMD("--subnet", "10.99.5.0/24"), CMD("/bin/true"));
	assert_exit(&p, 125);
	assert_one_line(p.err);
	assert_contains(p.err, "10.99.0.0/16");
	ck_assert_str_eq(link_names(), before);
}
END_TEST

START_TEST(subnet_option_moves_the_network)
{
	struct proc p = {0};

	ctr_run(&p, CMD("--subnet", "10.66.1.0/24"),
		CMD("/bin/sh", "-c", "ip -4 addr show eth0; ip route"));
	assert_exit(&p, 0);
	assert_contains(p.out, "inet 10.66.1.2/24");
	assert_contains(p.out, "default via 10.66.1.1");
}
END_TEST

START_TEST(bad_network_options_are_one_line)
{
	const char *const bad[][2] = {{"--network", "host2"},	   {"--ip", "10.77.0"},
				      {"--ip", "10.77.1.5"},	   {"--ip", "10.77.0.1"},
				      {"--subnet", "10.0.0.0/33"}, {"--subnet", "nonsense"}};

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

void stage06_tests(void)
{
	add_test(6, 0, eth0_gets_an_address_and_a_default_route);
	add_test(6, 0, ip_option_chooses_the_address);
	add_test(6, 0, container_reaches_the_bridge);
	add_test(6, 0, two_containers_reach_each_other);
	add_test(6, 0, server_in_container_answers_the_host);
	add_test(6, 0, nat_hides_the_container_behind_the_host);
	add_test(6, 0, ten_containers_get_distinct_addresses);
	add_test(6, 0, ip_in_use_is_refused);
	add_test(6, 0, nothing_is_left_after_exit);
	add_test(6, 0, network_none_has_only_lo_up);
	add_test(6, 0, subnet_overlapping_a_host_route_is_refused);
	add_test(6, 0, subnet_option_moves_the_network);
	add_test(6, 0, bad_network_options_are_one_line);
	add_test(6, 0, resolv_conf_comes_from_the_host);
}
