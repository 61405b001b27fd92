/*
 * netlink.h: rtnetlink requests through libmnl (step 06), one per `ip` command.
 * Each returns -1 with errno from the kernel's answer; "already there" or
 * "already gone" answers count as success where noted.
 */
#ifndef FINAL_NETLINK_H
#define FINAL_NETLINK_H

#include <libmnl/libmnl.h>
#include <netinet/in.h>
#include <sys/types.h>

struct mnl_socket *nl_open(void);
/* ip link add NAME type bridge (EEXIST is fine) */
int nl_create_bridge(struct mnl_socket *nl, const char *name);
/* ip link add HOST type veth peer name PEER netns PID */
int nl_create_veth(struct mnl_socket *nl, const char *host, const char *peer, pid_t pid, int netns);
/* ip link set NAME up [master MASTER] */
int nl_link_up(struct mnl_socket *nl, const char *name, const char *master);
/* ip link set NAME addrgenmode none (a kernel without IPv6 is fine) */
int nl_no_ipv6_address(struct mnl_socket *nl, const char *name);
/* ip link del NAME (ENODEV is fine) */
int nl_delete_link(struct mnl_socket *nl, const char *name);
/* ip addr add ADDR/PREFIX dev NAME (EEXIST is fine) */
int nl_add_address(struct mnl_socket *nl, const char *name, struct in_addr addr, int prefix);
/* ip route add default via GATEWAY */
int nl_add_default_route(struct mnl_socket *nl, struct in_addr gateway);

#endif
