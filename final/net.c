/*
 * net.c: the container's network (step 06) and published ports.
 *
 * See step06-network/README.md for the picture. Differences from the step:
 * the bridge is final0 on 10.78.0.0/24 (so steps and final never share
 * one), links and addresses go through rtnetlink (netlink.c) instead of
 * `ip`, addresses are leased as files under the state root (the step names
 * its veth after the address instead), -p adds a DNAT table per
 * container, and the bridge and its NAT table stay when the last container
 * goes, as docker0 does, until `final network prune`.
 */
#define _GNU_SOURCE
#include "net.h"
#include "netlink.h"
#include "pidfd.h"
#include "rootless.h"
#include "state.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BRIDGE	  "final0"
#define SUBNET	  "10.78.0.0"
#define PREFIX	  24
#define GATEWAY	  "10.78.0.1" /* the bridge's own address: SUBNET + 1 */
#define NAT_TABLE "final"

static struct in_addr subnet_addr(const struct net *n, uint32_t i)
{
	return (struct in_addr){htonl(ntohl(n->subnet.s_addr) + i)};
}

static uint32_t subnet_hosts(const struct net *n)
{
	return (1u << (32 - n->prefix)) - 3;
}

const char *net_gateway(void)
{
	return GATEWAY;
}

const char *net_ntoa(struct in_addr a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int next;

	return inet_ntop(AF_INET, &a, buf[next++ % 4], INET_ADDRSTRLEN);
}

/*** leases ***/

/* Leases are per network namespace: STATE/net-INODE/ADDRESS holds "PID ID". */
static void lease_path(char *buf, size_t size, const char *file)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		die_errno("stat /proc/self/ns/net");
	snprintf(buf, size, "%s/net-%lu%s%s", state_root(), (unsigned long)st.st_ino,
		 file ? "/" : "", file ? file : "");
}

/* One lock, on the state root (never removed), for leases and the bridge. */
static int net_lock(void)
{
	char dir[256];
	int fd;

	lease_path(dir, sizeof(dir), NULL);
	if (mkdir_p(dir) < 0)
		return warn_errno("mkdir %s", dir);
	fd = open(state_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return warn_errno("lock %s", state_root());
	return fd;
}

/* The monitor holding ADDR ("PID START ID", see pidfd.h), or 0 (a stale lease is removed). */
static pid_t lease_holder(struct in_addr addr)
{
	char path[256], buf[64] = "";
	unsigned long long start = 0;
	int pid = 0;

	lease_path(path, sizeof(path), net_ntoa(addr));
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	if (sscanf(buf, "%d %llu", &pid, &start) == 2 && proc_alive(pid, start))
		return pid;
	unlink(path); /* stale: its monitor is gone, or the pid is someone else's now */
	return 0;
}

/*
 * The lowest address without a lease file, from one readdir of the lease
 * directory: no per-address reads, so a run costs the same with 100
 * containers running. Only when every address has a file are their
 * holders checked, and a stale one (its monitor gone) taken over.
 */
static int lease_address(struct net *n)
{
	uint32_t hosts = subnet_hosts(n), i = 2;
	char path[256], holder[64];
	unsigned char taken[256] = {0}; /* a /24: host numbers 2 .. 254 */
	struct in_addr a;
	struct dirent *e;
	DIR *d;

	lease_path(path, sizeof(path), NULL);
	for (d = opendir(path); d && (e = readdir(d));)
		if (inet_pton(AF_INET, e->d_name, &a) == 1) {
			uint32_t host = ntohl(a.s_addr) - ntohl(n->subnet.s_addr);

			if (host < sizeof(taken))
				taken[host] = 1;
		}
	if (d)
		closedir(d);
	while (i <= hosts + 1 && i < sizeof(taken) && taken[i])
		i++;
	if (i > hosts + 1 || i >= sizeof(taken)) /* every address has a file: any stale? */
		for (i = 2; i <= hosts + 1 && lease_holder(subnet_addr(n, i)); i++)
			;
	if (i > hosts + 1)
		return warn("no free address left in %s/%d", net_ntoa(n->subnet), n->prefix);
	n->ip = subnet_addr(n, i);
	lease_path(path, sizeof(path), net_ntoa(n->ip));
	snprintf(holder, sizeof(holder), "%d %llu %s", (int)getpid(), proc_start_time(getpid()),
		 n->id);
	if (write_new_file(path, holder) < 0)
		return warn_errno("write %s", path);
	n->leased = true;
	return 0;
}

static bool no_leases_left(const struct net *n)
{
	for (uint32_t i = 2; i <= subnet_hosts(n) + 1; i++)
		if (lease_holder(subnet_addr(n, i)))
			return false;
	return true;
}

/*** published ports ***/

/*
 * A host port is one container's: STATE/net-INODE/port-PROTO-PORT holds the
 * address of the container that has it, and is valid while that address is
 * leased. Docker's "port is already allocated", instead of two DNAT rules
 * that race for the same packets.
 */
static void port_path(char *buf, size_t size, const struct port_mapping *p)
{
	char name[32];

	snprintf(name, sizeof(name), "port-%s-%d", p->protocol, p->host_port);
	lease_path(buf, size, name);
}

static bool port_taken(const struct port_mapping *p)
{
	char path[256], ip[32] = "";
	struct in_addr holder;

	port_path(path, sizeof(path), p);
	return read_file(path, ip, sizeof(ip)) > 0 && inet_pton(AF_INET, ip, &holder) == 1 &&
	       lease_holder(holder);
}

/* A port nobody on this host listens on (the kernel's choice for port 0), and not claimed. */
static int free_port(struct port_mapping *p)
{
	for (int tries = 0; tries < 100; tries++) {
		struct sockaddr_in addr = {.sin_family = AF_INET};
		socklen_t len = sizeof(addr);
		int fd = socket(AF_INET, strcmp(p->protocol, "udp") ? SOCK_STREAM : SOCK_DGRAM, 0);

		if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) < 0 ||
		    getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
			return warn_errno("find a free port");
		close(fd);
		p->host_port = ntohs(addr.sin_port);
		if (!port_taken(p))
			return 0;
	}
	return warn("no free %s port found", p->protocol);
}

static int claim_ports(struct net *n)
{
	char path[256];

	for (int i = 0; i < n->nports; i++) {
		struct port_mapping *p = &n->ports[i];

		if (p->host_port == 0 && free_port(p) < 0)
			return -1;
		if (port_taken(p))
			return warn("port %d/%s is already allocated", p->host_port, p->protocol);
		port_path(path, sizeof(path), p);
		if (write_new_file(path, net_ntoa(n->ip)) < 0)
			return warn_errno("write %s", path);
	}
	return 0;
}

/* Under the lock: every port claimed by IP. */
static void release_ports(const char *ip)
{
	char dir[256], path[600], holder[32];
	struct dirent *e;
	DIR *d;

	lease_path(dir, sizeof(dir), NULL);
	if (!(d = opendir(dir)))
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "port-", 5) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (read_file(path, holder, sizeof(holder)) > 0 && strcmp(holder, ip) == 0)
				unlink(path);
		}
	closedir(d);
}

/*** nftables ***/

/* `nft -f -` with SCRIPT on stdin: an argument vector, no shell. */
static int run_nft(const char *script)
{
	int fds[2], status;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return warn_errno("pipe2");
	pid = fork();
	if (pid == 0) {
		dup2(fds[0], 0);
		execlp("nft", "nft", "-f", "-", (char *)NULL);
		fprintf(stderr, "final: nft: %s (install nftables)\n", strerror(errno));
		_exit(EXIT_NOT_FOUND);
	}
	close(fds[0]);
	if (pid < 0 || write(fds[1], script, strlen(script)) < 0)
		warn_errno("nft");
	close(fds[1]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return 0;
}

/* Delete table NAME if it exists ("add" first makes the delete always valid). */
static void delete_nft_table(const char *name)
{
	char script[256];

	snprintf(script, sizeof(script), "table ip %s {}\ndelete table ip %s\n", name, name);
	run_nft(script);
}

static int enable_nat(const struct net *n)
{
	char script[512], saved[256], old[8] = "0";
	const char *forward = "/proc/sys/net/ipv4/ip_forward";

	snprintf(script, sizeof(script),
		 "table ip " NAT_TABLE " {}\nflush table ip " NAT_TABLE "\n"
		 "table ip " NAT_TABLE " {\n"
		 "  chain postrouting {\n"
		 "    type nat hook postrouting priority srcnat; policy accept;\n"
		 "    ip saddr %s/%d oifname != \"" BRIDGE "\" masquerade\n"
		 /* -p from the host's own 127.0.0.1: the container must not answer to its lo */
		 "    ip saddr 127.0.0.0/8 oifname \"" BRIDGE "\" masquerade\n"
		 "  }\n}\n",
		 net_ntoa(n->subnet), n->prefix);
	if (run_nft(script) < 0)
		return -1;
	lease_path(saved, sizeof(saved), "ip_forward");
	if (access(saved, F_OK) < 0 && read_file(forward, old, sizeof(old)) > 0)
		write_new_file(saved, old);
	if (write_file(forward, "1") < 0)
		return warn_errno("write 1 to %s", forward);
	return 0;
}

/*** the container's network ***/

/*
 * The host's resolv.conf without loopback nameservers (they would be the
 * container's own lo); with --dns, those servers instead of the host's.
 */
static void write_resolv_conf(struct net *n, const struct config *cfg, const char *server)
{
	const char *src = access("/run/systemd/resolve/resolv.conf", R_OK) == 0
			      ? "/run/systemd/resolve/resolv.conf"
			      : "/etc/resolv.conf";
	char line[512], name[64];
	FILE *in = fopen(src, "re"), *out;

	/* in a directory of their own: the leases' is read at every start */
	lease_path(n->resolv_conf, sizeof(n->resolv_conf), "resolv");
	mkdir(n->resolv_conf, 0755);
	snprintf(name, sizeof(name), "resolv/%s", n->id);
	lease_path(n->resolv_conf, sizeof(n->resolv_conf), name);
	out = fopen(n->resolv_conf, "we");
	if (!out) {
		n->resolv_conf[0] = '\0';
		return;
	}
	for (int i = 0; i < cfg->dns.nservers; i++)
		fprintf(out, "nameserver %s\n", cfg->dns.servers[i]);
	if (!cfg->dns.nservers && server)
		fprintf(out, "nameserver %s\n", server);
	while (in && fgets(line, sizeof(line), in))
		if (strncmp(line, "nameserver ", 11) != 0 ||
		    (!cfg->dns.nservers && !server && strncmp(line, "nameserver 127.", 15) &&
		     strncmp(line, "nameserver ::1", 14)))
			fputs(line, out);
	if (in)
		fclose(in);
	fclose(out);
}

static int setup_bridge(struct net *n)
{
	struct mnl_socket *nl;
	char saved[256];
	int ret = -1;

	/* Made by an earlier container (enable_nat saved ip_forward last): nothing to do. */
	lease_path(saved, sizeof(saved), "ip_forward");
	if (if_nametoindex(BRIDGE) != 0 && access(saved, F_OK) == 0)
		return 0;
	nl = nl_open();
	if (nl_create_bridge(nl, BRIDGE) < 0)
		warn_errno("create bridge %s", BRIDGE);
	else if (nl_add_address(nl, BRIDGE, subnet_addr(n, 1), n->prefix) < 0)
		warn_errno("add %s/%d to %s", net_ntoa(subnet_addr(n, 1)), n->prefix, BRIDGE);
	else if (nl_link_up(nl, BRIDGE, NULL) < 0)
		warn_errno("set %s up", BRIDGE);
	/* Packets from 127.0.0.1 may leave through the bridge (after -p's DNAT in output). */
	else if (write_file("/proc/sys/net/ipv4/conf/" BRIDGE "/route_localnet", "1") < 0)
		warn_errno("write 1 to route_localnet of %s", BRIDGE);
	else
		ret = enable_nat(n);
	mnl_socket_close(nl);
	return ret;
}

/* Rootless: its resolv.conf (slirp4netns's resolver) and -p's free ports; slirp4netns later. */
static int prepare_user_network(struct net *n, const struct config *cfg)
{
	int lock;

	n->user = true;
	if (usernet_check() < 0 || (lock = net_lock()) < 0)
		return -1;
	for (int i = 0; i < n->nports; i++)
		if (n->ports[i].host_port == 0 && free_port(&n->ports[i]) < 0)
			return close(lock), -1;
	write_resolv_conf(n, cfg, usernet_resolver());
	close(lock);
	return 0;
}

int net_prepare(struct net *n, const struct config *cfg, const char *id)
{
	int lock, ret;

	memset(n, 0, sizeof(*n));
	snprintf(n->id, sizeof(n->id), "%s", id);
	n->mode = cfg->namespaces.network;
	inet_pton(AF_INET, SUBNET, &n->subnet);
	n->prefix = PREFIX;
	if (n->mode != NET_BRIDGE)
		return 0;
	memcpy(n->ports, cfg->ports, sizeof(n->ports));
	n->nports = cfg->nports;
	if (rootless()) /* no bridge of ours: slirp4netns, once the container exists */
		return prepare_user_network(n, cfg);
	if (n->nports && n->mode != NET_BRIDGE)
		return warn("-p needs --network bridge");
	lock = net_lock();
	ret =
	    lock < 0 || lease_address(n) < 0 || claim_ports(n) < 0 || setup_bridge(n) < 0 ? -1 : 0;
	if (ret == 0)
		write_resolv_conf(n, cfg, NULL);
	if (lock >= 0)
		close(lock);
	if (ret < 0)
		net_teardown(n);
	return ret;
}

int net_new_namespace(void)
{
	int ours = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), made = -1;

	if (ours < 0)
		return warn_errno("open /proc/self/ns/net");
	if (unshare(CLONE_NEWNET) < 0) {
		warn_errno("unshare(CLONE_NEWNET)");
	} else {
		if ((made = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
			warn_errno("open /proc/self/ns/net");
		if (setns(ours, CLONE_NEWNET) < 0) /* the host's veths are made from here */
			die_errno("return to our network namespace");
	}
	close(ours);
	return made;
}

int net_connect(struct net *n, pid_t pid, int netns)
{
	struct mnl_socket *nl;
	int ret = 0;

	if (n->mode != NET_BRIDGE)
		return 0;
	if (n->user)
		return usernet_start(&n->slirp, n->id, pid);
	nl = nl_open();
	snprintf(n->veth, sizeof(n->veth), "vf%.8s", n->id);
	/*
	 * Neither end gets an IPv6 link-local address (nor does docker's without
	 * --ipv6): an interface that comes up with one sends neighbour and
	 * router solicitations and multicast reports, which the bridge floods to
	 * every container on it; with 100 running, each start cost about 3 ms
	 * more (perf: their eth0 receiving them). The container's end is set by
	 * net_configure_inside(), before it is up.
	 */
	if (nl_create_veth(nl, n->veth, "eth0", pid, netns) < 0)
		ret = warn_errno("create veth pair %s - eth0", n->veth);
	else if (nl_no_ipv6_address(nl, n->veth) < 0)
		ret = warn_errno("addrgenmode none on %s", n->veth);
	else if (nl_link_up(nl, n->veth, BRIDGE) < 0)
		ret = warn_errno("attach %s to %s", n->veth, BRIDGE);
	mnl_socket_close(nl);
	return ret;
}

/*
 * -p HOST:CTR: packets for HOST's port on any local address (fib daddr type
 * local; or only on -p's IP) go on to the container: DNAT in prerouting for
 * packets from elsewhere, and in output for connections the host itself
 * makes, which never pass prerouting. Replies are translated back by
 * conntrack.
 */
int net_publish(struct net *n)
{
	char script[8192], match[64];
	int len;

	if (n->nports == 0)
		return 0;
	if (n->user)
		return usernet_publish(&n->slirp, n->ports, n->nports);
	len = snprintf(script, sizeof(script), "table ip final_%s {\n", n->id);
	for (int hook = 0; hook < 2; hook++) {
		len +=
		    snprintf(script + len, sizeof(script) - len,
			     "  chain %s {\n    type nat hook %s priority -100; policy accept;\n",
			     hook ? "output" : "prerouting", hook ? "output" : "prerouting");
		for (int i = 0; i < n->nports; i++) {
			const struct port_mapping *p = &n->ports[i];

			snprintf(match, sizeof(match),
				 p->host_ip[0] ? "ip daddr %s" : "fib daddr type local",
				 p->host_ip);
			len += snprintf(script + len, sizeof(script) - len,
					"    %s %s dport %d dnat to %s:%d\n", match, p->protocol,
					p->host_port, net_ntoa(n->ip), p->container_port);
		}
		len += snprintf(script + len, sizeof(script) - len, "  }\n");
	}
	snprintf(script + len, sizeof(script) - len, "}\n");
	if (run_nft(script) < 0)
		return warn("could not publish the ports (nft failed)");
	n->published = true;
	return 0;
}

void net_configure_inside(const struct net *n)
{
	struct mnl_socket *nl;

	if (n->mode == NET_HOST)
		return;
	nl = nl_open();
	if (nl_link_up(nl, "lo", NULL) < 0)
		die_errno("set lo up");
	if (n->mode == NET_BRIDGE && !n->user) { /* slirp4netns configured tap0 */
		if (nl_no_ipv6_address(nl, "eth0") < 0)
			die_errno("addrgenmode none on eth0");
		if (nl_add_address(nl, "eth0", n->ip, n->prefix) < 0)
			die_errno("add %s/%d to eth0", net_ntoa(n->ip), n->prefix);
		if (nl_link_up(nl, "eth0", NULL) < 0)
			die_errno("set eth0 up");
		if (nl_add_default_route(nl, subnet_addr(n, 1)) < 0)
			die_errno("add default route via %s", net_ntoa(subnet_addr(n, 1)));
	}
	mnl_socket_close(nl);
}

/* final network prune: the bridge, the NAT table, the old ip_forward. */
static void remove_shared(void)
{
	char path[256], old[8];
	struct mnl_socket *nl = nl_open();

	nl_delete_link(nl, BRIDGE);
	mnl_socket_close(nl);
	delete_nft_table(NAT_TABLE);
	lease_path(path, sizeof(path), "ip_forward");
	if (read_file(path, old, sizeof(old)) > 0)
		write_file("/proc/sys/net/ipv4/ip_forward", old);
	unlink(path);
	lease_path(path, sizeof(path), "resolv");
	rmdir(path);
	lease_path(path, sizeof(path), NULL);
	rmdir(path);
}

void net_teardown(struct net *n)
{
	char path[256], table[64];
	int lock;

	if (n->mode != NET_BRIDGE)
		return;
	if (n->user) {
		usernet_stop(&n->slirp);
		if (n->resolv_conf[0])
			unlink(n->resolv_conf);
		return;
	}
	snprintf(table, sizeof(table), "final_%s", n->id);
	if (n->published)
		delete_nft_table(table);
	/*
	 * The veth pair is not deleted here: it goes with the container's network
	 * namespace, which the kernel destroys (and the veth with it) once the
	 * last process in it has ended. Deleting it ourselves waited for RCU
	 * grace periods, most of the teardown's time (#20).
	 */
	lock = net_lock();
	if (n->leased) {
		if (n->nports || n->published) /* (a read of the whole directory) */
			release_ports(net_ntoa(n->ip));
		lease_path(path, sizeof(path), net_ntoa(n->ip));
		unlink(path);
	}
	if (n->resolv_conf[0])
		unlink(n->resolv_conf);
	if (lock >= 0)
		close(lock);
}

int net_prune(void)
{
	struct net n = {.mode = NET_BRIDGE, .prefix = PREFIX};
	int lock = net_lock(), ret = 0;

	inet_pton(AF_INET, SUBNET, &n.subnet);
	if (lock < 0)
		return -1;
	if (no_leases_left(&n))
		remove_shared();
	else
		ret = warn("%s is in use: a container on the bridge is still running", BRIDGE);
	close(lock);
	return ret;
}

void net_cleanup_leftovers(const char *id, const char *ip)
{
	struct net n = {.mode = NET_BRIDGE, .prefix = PREFIX};
	char name[64];

	snprintf(n.id, sizeof(n.id), "%s", id);
	inet_pton(AF_INET, SUBNET, &n.subnet);
	n.leased = ip[0] && inet_pton(AF_INET, ip, &n.ip) == 1;
	n.published = true; /* we cannot know: delete its DNAT table if there is one */
	snprintf(name, sizeof(name), "resolv/%s", id);
	lease_path(n.resolv_conf, sizeof(n.resolv_conf), name);
	net_teardown(&n);
}
