/*
 * net.h: the container's network (step 06), plus published ports (-p).
 *
 * bridge: a lease on an address of the subnet, the final0 bridge with the
 * gateway address, a masquerade rule, a veth pair whose peer is the
 * container's eth0, and DNAT rules for -p. none: only lo. host: the host's
 * own network namespace, nothing to set up.
 */
#ifndef FINAL_NET_H
#define FINAL_NET_H

#include "config.h"
#include "usernet.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

struct net {
	char id[17]; /* the container's id: names its lease and DNAT table */
	enum network_mode mode;
	struct in_addr subnet; /* 10.78.0.0/24 */
	int prefix;
	struct in_addr ip; /* the container's address */
	bool leased;
	bool published;			      /* it has a DNAT table for -p */
	char veth[IFNAMSIZ];		      /* the host's end of the veth pair */
	char resolv_conf[256];		      /* bind-mounted over the rootfs's /etc/resolv.conf */
	struct port_mapping ports[MAX_PORTS]; /* -p, with the host ports chosen */
	int nports;
	bool user;		/* rootless: slirp4netns instead of the bridge (usernet.c) */
	struct usernet slirp;
};

/* Parent, before the container exists: lease, bridge, NAT, resolv.conf. */
int net_prepare(struct net *n, const struct config *cfg, const char *id);
/*
 * A new network namespace, not ours (we make it, then return to ours): its
 * descriptor, or -1 with a message.
 */
int net_new_namespace(void);
/* Parent, once the child exists: its veth pair, the peer as eth0 in PID's network
 * namespace, or NETNS's (a descriptor; -1: PID's). */
int net_connect(struct net *n, pid_t pid, int netns);
/* Parent: DNAT rules for -p, in a table of the container's own. */
int net_publish(struct net *n);
/* Child, in its network namespace: lo up; with a bridge, eth0 and the default route. */
void net_configure_inside(const struct net *n);
/* Undo what net_prepare/connect/publish did for one container (the bridge stays). */
void net_teardown(struct net *n);
/* After a crashed monitor: what is left of container ID's network (its lease, its DNAT table). */
void net_cleanup_leftovers(const char *id, const char *ip);
const char *net_ntoa(struct in_addr a);
/* final network prune: the bridge, its NAT table and ip_forward as it was, if unused. */
int net_prune(void);
/* The bridge's address, as the containers see their host (--add-host NAME:host-gateway). */
const char *net_gateway(void);

#endif
