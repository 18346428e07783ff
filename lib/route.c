/* IPv4 routes (see route.h). */
#include "route.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

static int addr4(struct nl_addr *a, struct in_addr *out)
{
	if (!a || nl_addr_get_family(a) != AF_INET || nl_addr_get_len(a) != sizeof(*out))
		return 0;
	memcpy(out, nl_addr_get_binary_addr(a), sizeof(*out));
	return 1;
}

/* dst of r as a CIDR; a default route may come with an empty address. */
static void route_dst(struct rtnl_route *r, struct rb_cidr *c)
{
	struct nl_addr *dst = rtnl_route_get_dst(r);

	memset(c, 0, sizeof(*c));
	if (!dst)
		return;
	c->prefix = nl_addr_get_prefixlen(dst);
	if (!addr4(dst, &c->addr))
		c->addr.s_addr = 0;
}

static void route_str(struct rtnl_route *r, char *buf, size_t len)
{
	struct rtnl_nexthop *nh = rtnl_route_get_nnexthops(r) == 1 ? rtnl_route_nexthop_n(r, 0)
								  : NULL;
	char dst[INET_ADDRSTRLEN], via[INET_ADDRSTRLEN];
	struct in_addr gw;
	struct rb_cidr c;

	route_dst(r, &c);
	inet_ntop(AF_INET, &c.addr, dst, sizeof(dst));
	if (nh && addr4(rtnl_route_nh_get_gateway(nh), &gw)) {
		inet_ntop(AF_INET, &gw, via, sizeof(via));
		snprintf(buf, len, "%s/%u via %s", dst, c.prefix, via);
	} else {
		snprintf(buf, len, "%s/%u", dst, c.prefix);
	}
}

static int is_default(struct rtnl_route *r)
{
	struct rb_cidr c;

	route_dst(r, &c);
	return rtnl_route_get_family(r) == AF_INET && c.prefix == 0;
}

/* Exactly `default via gw dev ifindex metric 0` in main, unicast. */
static int is_ours(struct rtnl_route *r, int ifindex, struct in_addr gw)
{
	struct rtnl_nexthop *nh;
	struct in_addr v;

	if (!is_default(r) || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
	    rtnl_route_get_type(r) != RTN_UNICAST || rtnl_route_get_priority(r) != 0 ||
	    rtnl_route_get_nnexthops(r) != 1)
		return 0;
	nh = rtnl_route_nexthop_n(r, 0);
	return nh && rtnl_route_nh_get_ifindex(nh) == ifindex &&
	       addr4(rtnl_route_nh_get_gateway(nh), &v) && v.s_addr == gw.s_addr;
}

static int is_connected(struct rtnl_route *r, int ifindex, const struct rb_cidr *want)
{
	struct rtnl_nexthop *nh;
	struct rb_cidr c;

	route_dst(r, &c);
	if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_type(r) != RTN_UNICAST ||
	    c.prefix != want->prefix || c.addr.s_addr != want->addr.s_addr ||
	    rtnl_route_get_nnexthops(r) != 1)
		return 0;
	nh = rtnl_route_nexthop_n(r, 0);
	return nh && rtnl_route_nh_get_ifindex(nh) == ifindex && !rtnl_route_nh_get_gateway(nh);
}

static int route_cache(struct rb_nl *nl, struct nl_cache **cache, struct rb_err *err)
{
	int rc;

	nl->syserr = 0;
	rc = rtnl_route_alloc_cache(nl->sk, AF_INET, 0, cache);
	if (rc < 0) {
		*cache = NULL;
		return rb_nl_err(nl, rc, err, "cannot list routes");
	}
	return 0;
}

static int route_del(struct rb_nl *nl, struct rtnl_route *r, struct rb_err *err)
{
	char what[64];
	int rc;

	nl->syserr = 0;
	rc = rtnl_route_delete(nl->sk, r, 0);
	if (rc >= 0)
		return 0;
	/* Already gone (replaced in place, or went with its address). */
	if (rb_nl_errno(nl, rc) == -ESRCH || rb_nl_errno(nl, rc) == -ENOENT)
		return 0;
	route_str(r, what, sizeof(what));
	return rb_nl_err(nl, rc, err, "cannot remove route %s", what);
}

static int default_add(struct rb_nl *nl, int ifindex, struct in_addr gw, struct rb_err *err)
{
	cleanup_rtnl_route struct rtnl_route *r = NULL;
	cleanup_rtnl_nh struct rtnl_nexthop *nh = NULL;
	cleanup_nl_addr struct nl_addr *dst = NULL;
	cleanup_nl_addr struct nl_addr *via = NULL;
	struct in_addr any = { 0 };
	char ip[INET_ADDRSTRLEN];
	int rc;

	inet_ntop(AF_INET, &gw, ip, sizeof(ip));
	r = rtnl_route_alloc();
	nh = rtnl_route_nh_alloc();
	dst = nl_addr_build(AF_INET, &any, sizeof(any));
	via = nl_addr_build(AF_INET, &gw, sizeof(gw));
	if (!r || !nh || !dst || !via)
		return rb_err_oom(err);
	nl_addr_set_prefixlen(dst, 0);
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_priority(r, 0);
	rc = rtnl_route_set_dst(r, dst);
	if (rc < 0)
		return rb_err_lib(err, -EINVAL, nl_geterror(rc), "cannot add default route via %s", ip);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	/* the route owns the next hop from here */
	rtnl_route_add_nexthop(r, steal_pointer(&nh));
	nl->syserr = 0;
	rc = rtnl_route_add(nl->sk, r, NLM_F_REPLACE);
	if (rc < 0)
		return rb_nl_err(nl, rc, err, "cannot add default route via %s", ip);
	return 0;
}

int rb_route_default_set(struct rb_nl *nl, int ifindex, struct in_addr gw, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	struct nl_object *o;
	int rc, ours = 0, others = 0;

	rc = route_cache(nl, &cache, err);
	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || !is_default(r))
			continue;
		if (is_ours(r, ifindex, gw))
			ours++;
		else
			others++;
	}
	if (!ours) {
		rc = default_add(nl, ifindex, gw, err);
		if (rc < 0)
			return rc;
	}
	if (!others)
		return 0;
	/* The dump from before the add still lists what stood there; what the
	 * replace took over is gone already and route_del() lets that pass. */
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || !is_default(r) ||
		    is_ours(r, ifindex, gw))
			continue;
		rc = route_del(nl, r, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int rb_route_prune(struct rb_nl *nl, int ifindex, const struct rb_cidr *connected,
		   struct in_addr gw, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	struct nl_object *o;
	int rc;

	rc = route_cache(nl, &cache, err);
	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;

		if (rtnl_route_get_table(r) == RT_TABLE_LOCAL || is_ours(r, ifindex, gw) ||
		    is_connected(r, ifindex, connected))
			continue;
		rc = route_del(nl, r, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int rb_route_list_main(struct rb_nl *nl, struct rb_route **out, size_t *n, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	cleanup_free struct rb_route *v = NULL;
	struct nl_object *o;
	size_t k = 0;
	int rc;

	*out = NULL;
	*n = 0;
	rc = route_cache(nl, &cache, err);
	if (rc < 0)
		return rc;
	v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	if (!v)
		return rb_err_oom(err);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct rtnl_nexthop *nh;
		uint8_t type = rtnl_route_get_type(r);

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN || type == RTN_BROADCAST ||
		    type == RTN_MULTICAST || type == RTN_LOCAL || type == RTN_ANYCAST)
			continue;
		route_dst(r, &v[k].dst);
		nh = rtnl_route_get_nnexthops(r) > 0 ? rtnl_route_nexthop_n(r, 0) : NULL;
		v[k].ifindex = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
		if (v[k].ifindex > 0 && !if_indextoname((unsigned int)v[k].ifindex, v[k].dev))
			snprintf(v[k].dev, sizeof(v[k].dev), "if%d", v[k].ifindex);
		k++;
	}
	*out = steal_pointer(&v);
	*n = k;
	return 0;
}
