/* IPv4 routes through rtnetlink (libnl-route-3), in the netns the rb_nl
 * socket was opened in. IPv6 has no routes to manage: rb turns it off. */
#ifndef RB_ROUTE_H
#define RB_ROUTE_H

#include "link.h"
#include "rb.h"

/* Makes `default via gw dev ifindex` (main table, metric 0, proto static)
 * the one IPv4 default route of the main table: replaces a metric-0
 * default in place, then deletes any other default. No change when it
 * already holds. The kernel refuses a gateway that is not on-link. */
int rb_route_default_set(struct rb_nl *nl, int ifindex, struct in_addr gw, struct rb_err *err);

/* Deletes every IPv4 route outside the local table except the default via
 * gw dev ifindex and the connected route of `connected` on ifindex: what a
 * bottle keeps is its own subnet and the way to the sentry. */
int rb_route_prune(struct rb_nl *nl, int ifindex, const struct rb_cidr *connected,
		   struct in_addr gw, struct rb_err *err);

/* One route of the main table as `ip route` shows it. */
struct rb_route {
	struct rb_cidr dst;
	int ifindex;             /* first next hop's device, 0: none (unreachable, blackhole) */
	char dev[IF_NAMESIZE];   /* its name, "" when none */
};

/* Every IPv4 unicast-like route of the main table (what /proc/net/route
 * lists: no broadcast, multicast or local routes); *out is malloc'd. */
int rb_route_list_main(struct rb_nl *nl, struct rb_route **out, size_t *n, struct rb_err *err);

#endif
