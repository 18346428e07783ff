/* Interfaces and their addresses through rtnetlink (libnl-route-3), and
 * the per-interface sysctls that keep an interface off the IP stack.
 * Everything acts on the netns the calling thread was in when rb_nl_open()
 * ran (for the socket) or is in now (for /proc/sys). Messages do not name
 * the netns: the caller, who knows it, wraps them (rb_err_wrap). */
#ifndef RB_LINK_H
#define RB_LINK_H

#include "rb.h"

#include <net/if.h>

struct nl_sock;

/* A route socket plus the errno the kernel gave for the last failed request:
 * libnl folds errnos such as ENETUNREACH into "Unspecific failure". */
struct rb_nl {
	struct nl_sock *sk;
	int syserr;
};

int rb_nl_open(struct rb_nl *nl, struct rb_err *err);
void rb_nl_close(struct rb_nl *nl);
/* -errno for a failed libnl call (nlerr < 0): the kernel's own if it sent one. */
int rb_nl_errno(const struct rb_nl *nl, int nlerr);
/* Sets err for a failed libnl call: fmt's text, then the kernel's errno
 * when it sent one, else libnl's words. Returns rb_nl_errno(). */
int rb_nl_err(const struct rb_nl *nl, int nlerr, struct rb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct rb_link {
	int ifindex;
	char name[IFNAMSIZ];
	int master;    /* ifindex of the bridge this is a port of, 0: none */
	int peer;      /* IFLA_LINK (a veth's peer, in the peer's netns), 0: none */
	int is_bridge; /* IFLA_INFO_KIND "bridge" */
	int loopback;
	int up;        /* IFF_UP */
};

/* -ENODEV (err set) when there is no such interface. */
int rb_link_get(struct rb_nl *nl, const char *name, struct rb_link *out, struct rb_err *err);
int rb_link_get_index(struct rb_nl *nl, int ifindex, struct rb_link *out, struct rb_err *err);
/* Every interface; *out is malloc'd. */
int rb_link_list(struct rb_nl *nl, struct rb_link **out, size_t *n, struct rb_err *err);

/* The interface carrying IPv4 address a, and that address's prefix.
 * -ENOENT (err set) when no interface has it. */
int rb_link_by_addr(struct rb_nl *nl, struct in_addr a, struct rb_link *out,
		    unsigned int *prefix, struct rb_err *err);

/* Number of addresses (any family) on ifindex, in *n. */
int rb_addr_count(struct rb_nl *nl, int ifindex, size_t *n, struct rb_err *err);
/* Removes every address (IPv4 and IPv6) from the interface. */
int rb_addr_flush(struct rb_nl *nl, const struct rb_link *l, struct rb_err *err);
/* 1 in *onlink when an IPv4 address on ifindex has a subnet that holds a
 * (and is not a itself); *local is that address (for messages). */
int rb_addr_onlink(struct rb_nl *nl, int ifindex, struct in_addr a, int *onlink,
		   struct rb_cidr *local, struct rb_err *err);

/* IPv6 off on one interface: addr_gen_mode none first (nothing comes back
 * if someone flips disable_ipv6 later, e.g. through conf/all), then
 * disable_ipv6=1, which drops its addresses and makes the stack ignore
 * IPv6 arriving on it. A kernel without IPv6 counts as done. */
int rb_link_ipv6_off(const char *ifname, struct rb_err *err);
/* IPv6 off for the whole current netns: conf/all and conf/default. */
int rb_netns_ipv6_off(struct rb_err *err);
/* net.ipv4.ip_forward=0 in the current netns. A new netns inherits the
 * host's conf/all (devconf_inherit_init_net=0), so a container on a host
 * that forwards starts out forwarding too. */
int rb_netns_forward_off(struct rb_err *err);
/* accept_redirects=0 on ifname ("all" and "default" too): nobody on the
 * segment may move the routes rb set. */
int rb_link_redirects_off(const char *ifname, struct rb_err *err);
/* A bridge that must not be a way into the host over IPv4: no proxy ARP,
 * no ARP replies for any local address (arp_ignore 8), strict reverse-path
 * filtering (with no address and no route on it, every source fails). */
int rb_link_ipv4_shut(const char *ifname, struct rb_err *err);

#endif
