/* Interfaces, addresses and per-interface sysctls (see link.h). */
#include "link.h"
#include "addr.h"
#include "netns.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

static int nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct rb_nl *nl = arg;

	(void)nla;
	nl->syserr = e->error < 0 ? -e->error : e->error;
	return NL_STOP;
}

int rb_nl_open(struct rb_nl *nl, struct rb_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	int rc;

	nl->sk = NULL;
	nl->syserr = 0;
	sk = nl_socket_alloc();
	if (!sk)
		return rb_err_oom(err);
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0)
		return rb_nl_err(nl, rc, err, "cannot open a route socket");
	/* nl must not move while the socket is open: the callback keeps it. */
	rc = nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, nl_err_cb, nl);
	if (rc < 0)
		return rb_nl_err(nl, rc, err, "cannot set up a route socket");
	nl->sk = steal_pointer(&sk);
	return 0;
}

void rb_nl_close(struct rb_nl *nl)
{
	if (!nl || !nl->sk)
		return;
	nl_socket_free(nl->sk);
	nl->sk = NULL;
}

int rb_nl_errno(const struct rb_nl *nl, int nlerr)
{
	if (nl && nl->syserr > 0)
		return -nl->syserr;
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_EXIST: return -EEXIST;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_BUSY: return -EBUSY;
	case NLE_NOACCESS: return -EACCES;
	case NLE_PERM: return -EPERM;
	case NLE_NODEV: return -ENODEV;
	case NLE_INTR: return -EINTR;
	case NLE_AGAIN: return -EAGAIN;
	default: return -EIO;
	}
}

int rb_nl_err(const struct rb_nl *nl, int nlerr, struct rb_err *err, const char *fmt, ...)
{
	char what[sizeof(err->msg)];
	va_list ap;
	int rc = rb_nl_errno(nl, nlerr);

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	if (nl && nl->syserr > 0)
		return rb_err_sys(err, nl->syserr, "%s", what);
	return rb_err_lib(err, rc, nl_geterror(nlerr), "%s", what);
}

static void fill(struct rtnl_link *l, struct rb_link *out)
{
	const char *name = rtnl_link_get_name(l);
	const char *kind = rtnl_link_get_type(l);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(l);
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	out->master = rtnl_link_get_master(l);
	out->peer = rtnl_link_get_link(l);
	out->is_bridge = kind && strcmp(kind, "bridge") == 0;
	out->loopback = !!(rtnl_link_get_flags(l) & IFF_LOOPBACK);
	out->up = !!(rtnl_link_get_flags(l) & IFF_UP);
}

/* One interface, by name (ifindex 0) or by index. */
static int get_kernel(struct rb_nl *nl, int ifindex, const char *name, struct rb_link *out,
		      struct rb_err *err)
{
	struct rtnl_link *l = NULL;
	char what[32];
	int rc;

	if (name)
		snprintf(what, sizeof(what), "%s", name);
	else
		snprintf(what, sizeof(what), "#%d", ifindex);
	nl->syserr = 0;
	rc = rtnl_link_get_kernel(nl->sk, ifindex, name, &l);
	if (rc < 0) {
		int e = rb_nl_errno(nl, rc);

		if (name && (e == -ENODEV || e == -ENOENT))
			return rb_err_set(err, -ENODEV, "no interface %s", what);
		return rb_nl_err(nl, rc, err, "cannot read interface %s", what);
	}
	fill(l, out);
	rtnl_link_put(l);
	return 0;
}

int rb_link_get(struct rb_nl *nl, const char *name, struct rb_link *out, struct rb_err *err)
{
	int rc = rb_ifname_check("interface", name, err);

	if (rc < 0)
		return rc;
	return get_kernel(nl, 0, name, out, err);
}

int rb_link_get_index(struct rb_nl *nl, int ifindex, struct rb_link *out, struct rb_err *err)
{
	return get_kernel(nl, ifindex, NULL, out, err);
}

int rb_link_list(struct rb_nl *nl, struct rb_link **out, size_t *n, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	struct nl_object *o;
	struct rb_link *v;
	size_t i = 0;
	int rc, count;

	*out = NULL;
	*n = 0;
	nl->syserr = 0;
	rc = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache);
	if (rc < 0)
		return rb_nl_err(nl, rc, err, "cannot list interfaces");
	count = nl_cache_nitems(cache);
	v = calloc(count > 0 ? (size_t)count : 1, sizeof(*v));
	if (!v)
		return rb_err_oom(err);
	for (o = nl_cache_get_first(cache); o && i < (size_t)count; o = nl_cache_get_next(o))
		fill((struct rtnl_link *)o, &v[i++]);
	*out = v;
	*n = i;
	return 0;
}

static int addr_v4(struct rtnl_addr *a, struct in_addr *out)
{
	struct nl_addr *local = rtnl_addr_get_local(a);

	if (rtnl_addr_get_family(a) != AF_INET || !local ||
	    nl_addr_get_len(local) != sizeof(*out))
		return 0;
	memcpy(out, nl_addr_get_binary_addr(local), sizeof(*out));
	return 1;
}

static int addr_cache(struct rb_nl *nl, struct nl_cache **cache, struct rb_err *err)
{
	int rc;

	nl->syserr = 0;
	rc = rtnl_addr_alloc_cache(nl->sk, cache);
	if (rc < 0) {
		*cache = NULL;
		return rb_nl_err(nl, rc, err, "cannot list addresses");
	}
	return 0;
}

int rb_link_by_addr(struct rb_nl *nl, struct in_addr a, struct rb_link *out,
		    unsigned int *prefix, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	struct nl_object *o;
	char ip[INET_ADDRSTRLEN];
	int rc, found = 0;

	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	rc = addr_cache(nl, &cache, err);
	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		struct in_addr v;

		if (!addr_v4(ra, &v) || v.s_addr != a.s_addr)
			continue;
		/* Two interfaces claiming one address: which is the enclave? */
		if (found && rtnl_addr_get_ifindex(ra) != found)
			return rb_err_set(err, -EEXIST, "%s is on more than one interface", ip);
		found = rtnl_addr_get_ifindex(ra);
		*prefix = (unsigned int)rtnl_addr_get_prefixlen(ra);
	}
	if (!found)
		return rb_err_set(err, -ENOENT, "no interface has address %s", ip);
	return rb_link_get_index(nl, found, out, err);
}

int rb_addr_count(struct rb_nl *nl, int ifindex, size_t *n, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	struct nl_object *o;
	int rc;

	*n = 0;
	rc = addr_cache(nl, &cache, err);
	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
		if (rtnl_addr_get_ifindex((struct rtnl_addr *)o) == ifindex)
			(*n)++;
	return 0;
}

int rb_addr_flush(struct rb_nl *nl, const struct rb_link *l, struct rb_err *err)
{
	size_t left = 0;
	int rc, pass;

	/* Deleting a primary IPv4 address takes its secondaries with it (unless
	 * promote_secondaries), so a pass can find its next victim gone: take a
	 * fresh dump until the interface is bare. */
	for (pass = 0; pass < 4; pass++) {
		cleanup_nl_cache struct nl_cache *cache = NULL;
		struct nl_object *o;

		rc = addr_cache(nl, &cache, err);
		if (rc < 0)
			return rc;
		left = 0;
		for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
			struct rtnl_addr *ra = (struct rtnl_addr *)o;
			char buf[INET6_ADDRSTRLEN + 8];

			if (rtnl_addr_get_ifindex(ra) != l->ifindex)
				continue;
			left++;
			nl->syserr = 0;
			rc = rtnl_addr_delete(nl->sk, ra, 0);
			if (rc >= 0)
				continue;
			if (rb_nl_errno(nl, rc) == -EADDRNOTAVAIL || rb_nl_errno(nl, rc) == -ENOENT)
				continue;
			nl_addr2str(rtnl_addr_get_local(ra), buf, sizeof(buf));
			return rb_nl_err(nl, rc, err, "cannot remove address %s from %s", buf, l->name);
		}
		if (left == 0)
			return 0;
	}
	return rb_err_set(err, -EBUSY, "addresses keep coming back on %s", l->name);
}

static int in_subnet(struct in_addr net, unsigned int prefix, struct in_addr a)
{
	uint32_t mask = htonl(rb_prefix_mask(prefix));

	return prefix <= 32 && (net.s_addr & mask) == (a.s_addr & mask);
}

int rb_addr_onlink(struct rb_nl *nl, int ifindex, struct in_addr a, int *onlink,
		   struct rb_cidr *local, struct rb_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	struct nl_object *o;
	int rc;

	*onlink = 0;
	memset(local, 0, sizeof(*local));
	rc = addr_cache(nl, &cache, err);
	if (rc < 0)
		return rc;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		unsigned int prefix = (unsigned int)rtnl_addr_get_prefixlen(ra);
		struct in_addr v;

		if (rtnl_addr_get_ifindex(ra) != ifindex || !addr_v4(ra, &v))
			continue;
		if (!local->prefix) {
			local->addr = v;
			local->prefix = prefix;
		}
		if (prefix < 32 && v.s_addr != a.s_addr && in_subnet(v, prefix, a)) {
			local->addr = v;
			local->prefix = prefix;
			*onlink = 1;
			break;
		}
	}
	return 0;
}

/* Sets net/<fam>/conf/<ifname>/<knob> unless it already holds val, so a
 * second run writes nothing. */
static int conf_set(const char *fam, const char *ifname, const char *knob, const char *val,
		    struct rb_err *err)
{
	char key[128], cur[32];
	struct rb_err e = { 0 };
	int rc;

	if (strcmp(ifname, "all") != 0 && strcmp(ifname, "default") != 0) {
		rc = rb_ifname_check("interface", ifname, err);
		if (rc < 0)
			return rc;
	}
	snprintf(key, sizeof(key), "net/%s/conf/%s/%s", fam, ifname, knob);
	rc = rb_sysctl_get(key, cur, sizeof(cur), &e);
	if (rc == 0 && strcmp(cur, val) == 0)
		return 0;
	if (rc == 0)
		rc = rb_sysctl_set(key, val, &e);
	/* the setting reads better than the sysctl's path */
	if (rc < 0)
		return rb_err_sys(err, e.errnum ? e.errnum : -rc, "cannot set net.%s.conf.%s.%s=%s",
				  fam, ifname, knob, val);
	return 0;
}

static int have_ipv6(void)
{
	return access("/proc/sys/net/ipv6/conf", F_OK) == 0;
}

int rb_link_ipv6_off(const char *ifname, struct rb_err *err)
{
	int rc;

	if (!have_ipv6())
		return 0;
	rc = conf_set("ipv6", ifname, "addr_gen_mode", "1", err);
	if (rc == 0)
		rc = conf_set("ipv6", ifname, "disable_ipv6", "1", err);
	return rc;
}

int rb_netns_ipv6_off(struct rb_err *err)
{
	int rc;

	if (!have_ipv6())
		return 0;
	/* default first: an interface created in between is born disabled. */
	rc = conf_set("ipv6", "default", "disable_ipv6", "1", err);
	if (rc == 0)
		rc = conf_set("ipv6", "all", "disable_ipv6", "1", err);
	return rc;
}

int rb_link_ipv4_shut(const char *ifname, struct rb_err *err)
{
	int rc;

	rc = conf_set("ipv4", ifname, "proxy_arp", "0", err);
	if (rc == 0)
		rc = conf_set("ipv4", ifname, "arp_ignore", "8", err);
	if (rc == 0)
		rc = conf_set("ipv4", ifname, "rp_filter", "1", err);
	return rc;
}

int rb_netns_forward_off(struct rb_err *err)
{
	char cur[32];
	struct rb_err e = { 0 };
	int rc;

	rc = rb_sysctl_get("net/ipv4/ip_forward", cur, sizeof(cur), &e);
	if (rc == 0 && strcmp(cur, "0") == 0)
		return 0;
	if (rc == 0)
		rc = rb_sysctl_set("net/ipv4/ip_forward", "0", &e);
	if (rc < 0)
		return rb_err_sys(err, e.errnum ? e.errnum : -rc, "cannot set net.ipv4.ip_forward=0");
	return 0;
}

int rb_link_redirects_off(const char *ifname, struct rb_err *err)
{
	return conf_set("ipv4", ifname, "accept_redirects", "0", err);
}
