/*
 * netlink.c: links, addresses and routes through rtnetlink, with libmnl
 * (a thin, well-kept library for building netlink messages: we keep the
 * messages' contents and let it pack the attributes). Step 06 runs `ip`
 * for the same requests; this is how runtimes do it without a shell-out.
 */
#define _GNU_SOURCE
#include "netlink.h"
#include "util.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>

/*
 * Links, addresses and routes are set with rtnetlink messages, through
 * libmnl (a thin, well-kept helper for building netlink messages). Each
 * request asks for an ACK; nl_request() returns -1 with errno from it.
 */
struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		die_errno("netlink socket");
	return nl;
}

static struct nlmsghdr *nl_message(char *buf, uint16_t type, uint16_t flags)
{
	static unsigned int seq;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++seq;
	return nlh;
}

static int nl_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -1;
	return mnl_cb_run(buf, n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL) < 0 ? -1
											     : 0;
}

/* A link message for interface NAME (or INDEX when NAME is NULL). */
static struct nlmsghdr *link_message(char *buf, uint16_t type, uint16_t flags, const char *name,
				     int index)
{
	struct nlmsghdr *nlh = nl_message(buf, type, flags);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = index;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* ip link add NAME type bridge (EEXIST is fine: another container made it). */
int nl_create_bridge(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name, 0);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return nl_request(nl, nlh) < 0 && errno != EEXIST ? -1 : 0;
}

/*
 * ip link add HOST type veth peer name PEER netns PID: a pair of linked
 * interfaces, whatever enters one leaves the other. The peer is created
 * directly in the container's network namespace.
 */
int nl_create_veth(struct mnl_socket *nl, const char *host, const char *peer, pid_t pid, int netns)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = link_message(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, host, 0);
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	struct nlattr *data, *peer_attr;
	struct ifinfomsg *ifm;

	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm)); /* the peer's own ifinfomsg */
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (netns >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, netns);
	else
		mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, pid);
	mnl_attr_nest_end(nlh, peer_attr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_request(nl, nlh);
}

/* ip link set NAME up [master MASTER] */
int nl_link_up(struct mnl_socket *nl, const char *name, const char *master)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int index = if_nametoindex(name);
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	if (!index)
		return -1;
	nlh = link_message(buf, RTM_NEWLINK, 0, NULL, index);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = IFF_UP;
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, if_nametoindex(master));
	return nl_request(nl, nlh);
}

/*
 * ip link set NAME addrgenmode none: no IPv6 link-local address, so none
 * of what comes with one (duplicate address detection, router
 * solicitations, multicast reports). A kernel without IPv6: nothing to do.
 */
int nl_no_ipv6_address(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int index = if_nametoindex(name);
	struct nlmsghdr *nlh;
	struct nlattr *spec, *inet6;

	if (!index)
		return -1;
	nlh = link_message(buf, RTM_NEWLINK, 0, NULL, index);
	spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, spec);
	return nl_request(nl, nlh) < 0 && errno != EAFNOSUPPORT && errno != EOPNOTSUPP ? -1 : 0;
}

/* ip link del NAME (ENODEV is fine: it went with its namespace). */
int nl_delete_link(struct mnl_socket *nl, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return nl_request(nl, link_message(buf, RTM_DELLINK, 0, name, 0)) < 0 && errno != ENODEV
		   ? -1
		   : 0;
}

/* ip addr add ADDR/PREFIX dev NAME (EEXIST is fine for the bridge's gateway). */
int nl_add_address(struct mnl_socket *nl, const char *name, struct in_addr addr, int prefix)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_message(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_index = if_nametoindex(name);
	mnl_attr_put_u32(nlh, IFA_LOCAL, addr.s_addr);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, addr.s_addr);
	return nl_request(nl, nlh) < 0 && errno != EEXIST ? -1 : 0;
}

/* ip route add default via GATEWAY */
int nl_add_default_route(struct mnl_socket *nl, struct in_addr gateway)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nl_message(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, gateway.s_addr);
	return nl_request(nl, nlh);
}
