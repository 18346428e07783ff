/* rb-verify's run: state checks, probes, counter attribution (verify.h). */
#include "verify.h"
#include "utils.h"

#include "fw.h"
#include "learner_health.h"
#include "netns.h"
#include "podman.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/route.h>
#include <stdlib.h>
#include <string.h>

/* Solo (attribution) runs of probes that did not pass in the parallel run
 * only need the counters of their first packets, not another full timeout:
 * the REJECT's ICMP error may not come at all, the kernel rate-limits them
 * per destination (net.ipv4.icmp_ratelimit) and the parallel run has just
 * used up the burst. */
#define SOLO_FAIL_WINDOW_MS 250

struct snap {
	struct rb_fw_counter *c;
	size_t n;
	enum rb_fw_backend backend; /* the one the counters are read from */
};

static void snap_free(struct snap *s)
{
	free(s->c);
	s->c = NULL;
	s->n = 0;
}

/* ---- report building --------------------------------------------------- */

static int add_check(struct rb_verify_report *r, const char *name, const char *subject,
		     const char *expect, const char *observed, int ok)
{
	struct rb_verify_check *c;

	c = realloc(r->checks, (r->n_checks + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	r->checks = c;
	c = &r->checks[r->n_checks++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->subject, sizeof(c->subject), "%s", subject);
	snprintf(c->expect, sizeof(c->expect), "%s", expect);
	snprintf(c->observed, sizeof(c->observed), "%s", observed);
	c->ok = ok;
	return 0;
}

static int add_probe(struct rb_verify_report *r, const struct rb_verify_probe *vp)
{
	struct rb_verify_probe *p;

	p = realloc(r->probes, (r->n_probes + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	r->probes = p;
	r->probes[r->n_probes++] = *vp;
	return 0;
}

void rb_verify_free(struct rb_verify_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_probes; i++)
		free(r->probes[i].rules);
	free(r->probes);
	free(r->checks);
	free(r->run);
	free(r);
}

/* ---- counters ---------------------------------------------------------- */

/* "-A RB-EGRESS ... -j REJECT --reject-with ..." -> "REJECT" */
static const struct rb_fw_counter *snap_find(const struct snap *s, const struct rb_fw_counter *c)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rb_fw_counter *o = &s->c[i];

		if (o->index == c->index && !strcmp(o->chain, c->chain) &&
		    !strcmp(o->table, c->table) && !strcmp(o->text, c->text))
			return o;
	}
	return NULL;
}

/* Rules whose packet counter moved between a and b. A rule that is new in
 * b, or whose counter went down (the table was rewritten), counts from 0. */
static int snap_delta(const struct snap *a, const struct snap *b, struct rb_verify_rule **out,
		      size_t *n)
{
	struct rb_verify_rule *v = NULL;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < b->n; i++) {
		const struct rb_fw_counter *c = &b->c[i], *o = snap_find(a, c);
		uint64_t dp = c->pkts, db = c->bytes;
		struct rb_verify_rule *nv;

		if (o && o->pkts <= c->pkts) {
			dp = c->pkts - o->pkts;
			db = c->bytes >= o->bytes ? c->bytes - o->bytes : c->bytes;
		}
		if (dp == 0)
			continue;
		nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		memset(&v[k], 0, sizeof(v[k]));
		snprintf(v[k].table, sizeof(v[k].table), "%s", c->table);
		snprintf(v[k].chain, sizeof(v[k].chain), "%s", c->chain);
		snprintf(v[k].id, sizeof(v[k].id), "%s", c->id);
		snprintf(v[k].target, sizeof(v[k].target), "%s", c->target);
		v[k].index = c->index;
		snprintf(v[k].text, sizeof(v[k].text), "%s", c->text);
		v[k].pkts = dp;
		v[k].bytes = db;
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}

static int terminal(const struct rb_verify_rule *r)
{
	return !strcmp(r->target, "ACCEPT") || !strcmp(r->target, "REJECT") ||
	       !strcmp(r->target, "DROP") || !strcmp(r->target, "DNAT");
}

/* The rule that decided a probe: the first packet of a new connection goes
 * through RB-FORWARD (jump) into RB-EGRESS, or into RB-INPUT when it is for
 * the sentry itself; conntrack ESTABLISHED rules only pass what an earlier
 * rule already decided, and RB-OUTPUT is the sentry's own traffic (its
 * resolver asking upstream), a consequence rather than a decision. */
static void pick_rules(struct rb_verify_probe *vp)
{
	static const char *const order[] = { RB_FW_CHAIN_EGRESS, RB_FW_CHAIN_FORWARD, RB_FW_CHAIN_INPUT };

	vp->has_rule = vp->has_nat = 0;
	for (size_t o = 0; o < 3 && !vp->has_rule; o++) {
		for (size_t i = 0; i < vp->n_rules; i++) {
			const struct rb_verify_rule *r = &vp->rules[i];

			if (strcmp(r->table, "filter") != 0 || strcmp(r->chain, order[o]) != 0 ||
			    !terminal(r) || !strcmp(r->id, "rb:est"))
				continue;
			vp->rule = *r;
			vp->has_rule = 1;
			break;
		}
	}
	for (size_t i = 0; i < vp->n_rules; i++) {
		const struct rb_verify_rule *r = &vp->rules[i];

		if (!strcmp(r->table, "nat") && !strcmp(r->chain, RB_FW_CHAIN_PREROUTING) &&
		    !strcmp(r->target, "DNAT")) {
			vp->nat = *r;
			vp->has_nat = 1;
			break;
		}
	}
}

static int rules_moved_in(const struct rb_verify_probe *vp)
{
	for (size_t i = 0; i < vp->n_rules; i++) {
		const struct rb_verify_rule *r = &vp->rules[i];

		if (!strcmp(r->table, "filter") &&
		    (!strcmp(r->chain, RB_FW_CHAIN_FORWARD) || !strcmp(r->chain, RB_FW_CHAIN_EGRESS) ||
		     !strcmp(r->chain, RB_FW_CHAIN_INPUT)))
			return 1;
	}
	return 0;
}

/* ---- state in the sentry ----------------------------------------------- */

struct drift_ctx {
	struct rb_verify_report *r;
	int rc;
};

static void drift_cb(void *ctx, const char *table, const char *chain, const char *what)
{
	struct drift_ctx *d = ctx;
	char subject[96];

	snprintf(subject, sizeof(subject), "%s %s", table, chain);
	if (add_check(d->r, "fw", subject, "as planned", what, 0) < 0)
		d->rc = -ENOMEM;
}

static int sentry_state(const struct rb_nameplate *np, struct rb_verify_report *r,
			struct rb_verify_env *env, struct snap *c0, struct rb_err *err)
{
	struct rb_fw_plan *plan = NULL;
	struct rb_fw_ifaces ifs;
	struct drift_ctx d = { r, 0 };
	struct rb_err e = { 0 };
	char val[64];
	int rc;

	{
		char why[64];
		enum rb_fw_backend want = c0->backend;

		/* the backend that holds the policy here, or a forced one */
		c0->backend = rb_fw_backend_resolve(want, NULL, 1, why, sizeof(why));
		snprintf(r->backend, sizeof(r->backend), "%s", rb_fw_backend_name(c0->backend));
		snprintf(r->backend_why, sizeof(r->backend_why), "%s", why);
		rc = add_check(r, "backend", "sentry firewall", rb_fw_backend_name(want), r->backend,
			       want == RB_FW_BACKEND_AUTO ||
				       rb_fw_backend_live(NULL) == c0->backend);
		if (rc < 0) {
			rb_err_oom(err);
			goto out;
		}
	}
	rc = rb_fw_ifaces_detect(np, &ifs, &e);
	if (rc < 0) {
		/* a sentry without its enclave or uplink interface is broken
		 * state, not a failure to verify */
		char why[RB_ERR_TEXT];

		rc = add_check(r, "fw", "sentry interfaces", "enclave and uplink",
			       rb_err_str(&e, why, sizeof(why)), 0);
		if (rc < 0) {
			rb_err_oom(err);
			goto out;
		}
		goto sysctl;
	}
	if (ifs.uplink_subnet.prefix > 0) {
		env->has_uplink = 1;
		env->uplink_subnet = ifs.uplink_subnet;
	}
	rc = rb_fw_plan_build(np, &ifs, &plan, err);
	/* without the host's addresses (--netns mode: the test's host is not
	 * the real one) rb_fw_check checks only that RB-HOST exists */
	if (rc == 0 && env->host_addrs)
		rc = rb_fw_plan_host_addrs(plan, env->host_addrs, env->n_host_addrs, err);
	if (rc < 0)
		goto out;
	rb_fw_plan_backend_fit(plan, c0->backend);
	rc = rb_fw_check(plan, c0->backend, drift_cb, &d, err);
	if (rc < 0)
		goto out;
	if (d.rc < 0) {
		rc = rb_err_oom(err);
		goto out;
	}
	if (rc == 0) {
		char obs[96];

		snprintf(obs, sizeof(obs), "no drift (enclave %s, uplink %s)", ifs.enclave,
			 ifs.uplink);
		rc = add_check(r, "fw", "rules, ipsets, sysctls", "as planned", obs, 1);
		if (rc < 0) {
			rb_err_oom(err);
			goto out;
		}
	}
sysctl:
	if (rb_sysctl_get("net.ipv4.icmp_ratelimit", val, sizeof(val), &e) == 0) {
		rb_cut_at(val, "\n");
		snprintf(env->icmp_ratelimit, sizeof(env->icmp_ratelimit), "%.15s", val);
	}
	rc = rb_sysctl_get("net.ipv4.ip_forward", val, sizeof(val), &e);
	if (rc < 0) {
		char why[RB_ERR_TEXT];

		snprintf(val, sizeof(val), "unreadable: %.48s", rb_err_str(&e, why, sizeof(why)));
	} else {
		rb_cut_at(val, "\n");
	}
	rc = add_check(r, "ip_forward", "sentry net.ipv4.ip_forward", "1", val, !strcmp(val, "1"));
	if (rc < 0) {
		rb_err_oom(err);
		goto out;
	}
	rc = rb_fw_counters_read(c0->backend, &c0->c, &c0->n, err);
out:
	rb_fw_plan_free(plan);
	return rc;
}

/* ---- state in the bottle ----------------------------------------------- */

/* Every unicast default route, in every table but "local", must go via the
 * sentry, and the main table must have one. */
static int route_check(const struct rb_nameplate *np, struct rb_verify_report *r,
		       struct rb_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	cleanup_nl_cache struct nl_cache *cache = NULL;
	char obs[256] = "", expect[64], sentry[INET_ADDRSTRLEN];
	int rc, ok = 1, main_default = 0;
	size_t off = 0;

	inet_ntop(AF_INET, &np->sentry_ip, sentry, sizeof(sentry));
	snprintf(expect, sizeof(expect), "default via %s", sentry);
	sk = nl_socket_alloc();
	if (!sk)
		return rb_err_oom(err);
	rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc == 0)
		rc = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
	if (rc < 0)
		return rb_err_lib(err, -EIO, nl_geterror(rc), "cannot read the bottle's routes");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		uint32_t table = rtnl_route_get_table(rt);
		struct nl_addr *dst = rtnl_route_get_dst(rt);

		if (table == RT_TABLE_LOCAL || rtnl_route_get_type(rt) != RTN_UNICAST ||
		    (dst && nl_addr_get_prefixlen(dst) != 0))
			continue;
		if (table == RT_TABLE_MAIN)
			main_default = 1;
		for (int i = 0; i < rtnl_route_get_nnexthops(rt); i++) {
			struct rtnl_nexthop *nh = rtnl_route_nexthop_n(rt, i);
			struct nl_addr *gw = nh ? rtnl_route_nh_get_gateway(nh) : NULL;
			char gws[INET_ADDRSTRLEN] = "no gateway", dev[IF_NAMESIZE] = "?";
			int good = gw && nl_addr_get_len(gw) == 4 &&
				   !memcmp(nl_addr_get_binary_addr(gw), &np->sentry_ip, 4);

			if (gw && nl_addr_get_len(gw) == 4)
				inet_ntop(AF_INET, nl_addr_get_binary_addr(gw), gws, sizeof(gws));
			if (nh && !if_indextoname((unsigned int)rtnl_route_nh_get_ifindex(nh), dev))
				snprintf(dev, sizeof(dev), "?");
			ok &= good;
			if (off < sizeof(obs))
				off += (size_t)snprintf(obs + off, sizeof(obs) - off, "%sdefault via %s dev %s%s",
							off ? "; " : "", gws, dev,
							table == RT_TABLE_MAIN ? "" : " (not main)");
		}
	}
	if (!main_default) {
		ok = 0;
		if (off == 0)
			snprintf(obs, sizeof(obs), "no default route");
	}
	return add_check(r, "route", "bottle default route", expect, obs, ok);
}

/* IPv6 must be off in the bottle: the sysctl, and no address of any scope
 * on any interface (a link-local address is a path to the host). */
static int ipv6_check(struct rb_verify_report *r, const struct rb_nameplate *np,
		      struct rb_verify_env *env, struct rb_err *err)
{
	struct ifaddrs *ifa = NULL;
	struct rb_err e = { 0 };
	char val[64], obs[256], a[INET6_ADDRSTRLEN];
	int rc, ok, have_ip = 0;
	size_t off = 0;

	rc = rb_sysctl_get("net.ipv6.conf.all.disable_ipv6", val, sizeof(val), &e);
	if (rc == -ENOENT) {
		snprintf(val, sizeof(val), "1");
	} else if (rc < 0) {
		snprintf(val, sizeof(val), "unreadable");
	} else {
		rb_cut_at(val, "\n");
	}
	ok = !strcmp(val, "1");
	off = (size_t)snprintf(obs, sizeof(obs), "all.disable_ipv6=%s", rc == -ENOENT ? "n/a" : val);
	if (getifaddrs(&ifa) < 0)
		return rb_err_sys(err, errno, "cannot list the bottle's addresses");
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr == np->bottle_ip.s_addr) {
			snprintf(env->bottle_if, sizeof(env->bottle_if), "%s", i->ifa_name);
			have_ip = 1;
		}
		if (i->ifa_addr->sa_family != AF_INET6)
			continue;
		ok = 0;
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a, sizeof(a));
		if (off < sizeof(obs))
			off += (size_t)snprintf(obs + off, sizeof(obs) - off, ", %s on %s", a,
						i->ifa_name);
	}
	freeifaddrs(ifa);
	rc = add_check(r, "ipv6", "bottle IPv6", "all.disable_ipv6=1, no IPv6 address", obs, ok);
	if (rc == 0) {
		char exp[64];

		inet_ntop(AF_INET, &np->bottle_ip, a, sizeof(a));
		snprintf(exp, sizeof(exp), "%s on an interface", a);
		rc = add_check(r, "address", "bottle address", exp,
			       have_ip ? env->bottle_if : "missing", have_ip);
	}
	return rc;
}

/* ---- where the containers are (podman mode) ----------------------------- */

static int container_netns(const char *name, char *path, size_t len, pid_t *pid,
			   struct rb_err *err)
{
	struct rb_podman_container c;
	int rc = rb_podman_container_inspect(name, &c, err);

	if (rc < 0)
		return rc;
	if (!c.running || c.pid <= 0)
		return rb_err_set(err, -ESRCH, "container %s is not running", name);
	snprintf(path, len, "/proc/%d/ns/net", (int)c.pid);
	if (pid)
		*pid = (pid_t)c.pid;
	return 0;
}

/* The host's side of the enclave bridge: its IPv4 gateway address and its
 * IPv6 link-local address, both things the bottle must not reach. */
static int bridge_env(const struct rb_nameplate *np, struct rb_verify_env *env,
		      struct rb_err *err)
{
	struct rb_podman_network net;
	struct ifaddrs *ifa = NULL;
	char name[96];
	int rc;

	snprintf(name, sizeof(name), "rb-%s-enclave", np->moniker);
	rc = rb_podman_network_inspect(name, &net, err);
	if (rc < 0)
		return rc;
	if (net.has_gateway) {
		env->has_bridge = 1;
		env->bridge_ip = net.gateway;
	}
	if (getifaddrs(&ifa) < 0)
		return 0;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)i->ifa_addr;
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)i->ifa_addr;

		if (s6 && s6->sin6_family == AF_INET6 && net.bridge[0] &&
		    !strcmp(i->ifa_name, net.bridge) && IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr) &&
		    !env->has_bridge_ll) {
			env->has_bridge_ll = 1;
			env->bridge_ll = s6->sin6_addr;
		}
		/* a public address of the host's (private ones fall under
		 * never-private, and are probed as such) */
		if (s4 && s4->sin_family == AF_INET && !(i->ifa_flags & IFF_LOOPBACK) &&
		    env->n_host_probe < 2 && !rb_verify_addr_private(s4->sin_addr))
			env->host_probe[env->n_host_probe++] = s4->sin_addr;
	}
	freeifaddrs(ifa);
	return 0;
}

/* ---- probes ------------------------------------------------------------ */

static int run_parallel(struct rb_prober *pr, struct rb_verify_probe *vp, size_t n,
			int timeout_ms, struct rb_err *err)
{
	struct rb_probe *p = NULL;
	struct rb_probe_result *res = NULL;
	int rc = 0;

	p = calloc(RB_PROBE_BATCH_MAX, sizeof(*p));
	res = calloc(RB_PROBE_BATCH_MAX, sizeof(*res));
	if (!p || !res) {
		rc = rb_err_oom(err);
		goto out;
	}
	for (size_t start = 0; start < n && rc == 0; start += RB_PROBE_BATCH_MAX) {
		size_t k = n - start < RB_PROBE_BATCH_MAX ? n - start : RB_PROBE_BATCH_MAX;

		for (size_t i = 0; i < k; i++)
			p[i] = vp[start + i].probe;
		rc = rb_prober_run(pr, p, k, timeout_ms, res, err);
		for (size_t i = 0; rc == 0 && i < k; i++)
			vp[start + i].res = res[i];
	}
out:
	free(p);
	free(res);
	return rc;
}

/* The ports of the ported entries that name (or a parent) matches, and
 * whether an entry without ports matches too. */
static int name_ports(const struct rb_nameplate *np, const char *name, const struct rb_ports **pp)
{
	size_t n = strlen(name);

	*pp = NULL;
	for (size_t i = 0; i < rb_np_n_names(np); i++) {
		const char *d = rb_np_name(np, i);
		size_t l = strlen(d);

		if (!(n == l && !strcasecmp(name, d)) &&
		    !(n > l && name[n - l - 1] == '.' && !strcasecmp(name + n - l, d)))
			continue;
		if (i < np->n_domains)
			return 1;
		*pp = &np->pdomains[i - np->n_domains].ports;
	}
	return 0;
}

/* One probe to what src resolved to. */
static int add_answer_probe(const struct rb_nameplate *np, const struct rb_verify_env *env,
			    struct rb_verify_report *r, const struct rb_verify_probe *src,
			    enum rb_probe_kind kind, uint16_t port)
{
	struct rb_verify_probe vp;
	char a[INET_ADDRSTRLEN];

	memset(&vp, 0, sizeof(vp));
	vp.probe.kind = kind;
	vp.probe.family = AF_INET;
	vp.probe.addr4 = src->res.addrs[0];
	vp.probe.port = port;
	vp.probe.expect =
		rb_verify_expect(np, env, &vp.probe, src->probe.name, vp.why, sizeof(vp.why));
	inet_ntop(AF_INET, &vp.probe.addr4, a, sizeof(a));
	snprintf(vp.note, sizeof(vp.note), "%.100s answered %s", src->probe.name, a);
	return add_probe(r, &vp);
}

/* Allowed names resolved through the sentry: their first address must now
 * be reachable (the learner put it into RB-DNS when it answered): on 443,
 * or for a ported name on its first port, and not on a port it leaves
 * closed. */
static int add_resolved(const struct rb_nameplate *np, const struct rb_verify_env *env,
			struct rb_verify_report *r, size_t first, size_t *n_new)
{
	size_t end = r->n_probes;

	*n_new = 0;
	for (size_t i = first; i < end; i++) {
		struct rb_verify_probe src = r->probes[i]; /* add_probe may move r->probes */
		const struct rb_ports *pp;
		enum rb_probe_kind kind;
		uint16_t closed;

		if (!src.resolve_then_connect || !rb_probe_passed(&src.probe, &src.res))
			continue;
		if (name_ports(np, src.probe.name, &pp) || !pp || pp->n == 0) {
			if (add_answer_probe(np, env, r, &src, RB_PROBE_TCP, 443) < 0)
				return -ENOMEM;
			(*n_new)++;
			continue;
		}
		kind = pp->r[0].proto == IPPROTO_UDP ? RB_PROBE_UDP : RB_PROBE_TCP;
		closed = rb_ports_refused(pp, pp->r[0].proto);
		if (add_answer_probe(np, env, r, &src, kind, pp->r[0].lo) < 0 ||
		    (closed && add_answer_probe(np, env, r, &src, kind, closed) < 0))
			return -ENOMEM;
		*n_new += closed ? 2 : 1;
	}
	return 0;
}

/* One probe alone, counters read around it (we are in the sentry's netns). */
static int attribute(struct rb_prober *pr, const struct rb_nameplate *np,
		     const struct rb_verify_env *env, struct rb_verify_probe *vp, int timeout_ms,
		     struct snap *before, struct rb_err *err)
{
	struct rb_probe_result solo;
	struct snap after = { 0 };
	int rc, window = timeout_ms;

	if (vp->res.outcome == RB_OUT_UNTESTABLE)
		return 0;
	if (!rb_probe_passed(&vp->probe, &vp->res) && window > SOLO_FAIL_WINDOW_MS)
		window = SOLO_FAIL_WINDOW_MS;
	rc = rb_prober_run(pr, &vp->probe, 1, window, &solo, err);
	if (rc < 0)
		return rc;
	after.backend = before->backend;
	rc = rb_fw_counters_read(after.backend, &after.c, &after.n, err);
	if (rc < 0)
		return rc;
	rc = snap_delta(before, &after, &vp->rules, &vp->n_rules);
	snap_free(before);
	*before = after;
	if (rc < 0)
		return rb_err_oom(err);
	pick_rules(vp);

	/* a probe that failed may time out alone in its short window; one that
	 * passed must pass again, and one that failed must not pass alone */
	if (solo.outcome != RB_OUT_UNTESTABLE &&
	    rb_probe_passed(&vp->probe, &solo) != rb_probe_passed(&vp->probe, &vp->res)) {
		char obs[128];

		rb_probe_observed(&vp->probe, &solo, obs, sizeof(obs));
		snprintf(vp->note, sizeof(vp->note), "alone it was %s", obs);
		if (rb_probe_verdict(&vp->probe, &solo) == RB_VERDICT_FAIL)
			vp->verdict = RB_VERDICT_FAIL;
	}
	if (vp->res.outcome == RB_OUT_TIMEOUT && vp->has_rule &&
	    !strcmp(vp->rule.target, "REJECT") && !vp->note[0]) {
		if (env->icmp_ratelimit[0] && strcmp(env->icmp_ratelimit, "0") != 0)
			snprintf(vp->note, sizeof(vp->note),
				 "REJECTed, but the ICMP error was rate-limited: sentry net.ipv4.icmp_ratelimit=%s",
				 env->icmp_ratelimit);
		else
			snprintf(vp->note, sizeof(vp->note), "REJECTed, but no ICMP error came back");
	}
	if (vp->probe.expect == RB_EXPECT_PASS && !rb_probe_passed(&vp->probe, &vp->res) &&
	    vp->has_rule && !strcmp(vp->rule.target, "ACCEPT") && !vp->note[0])
		snprintf(vp->note, sizeof(vp->note),
			 "the sentry accepted it (%s %s): it failed beyond the sentry",
			 vp->rule.chain, vp->rule.id);
	/* "must fail" means the sentry stops it: a probe the sentry forwarded
	 * that then found nothing listening is a hole all the same */
	if (vp->probe.expect == RB_EXPECT_FAIL && vp->has_rule &&
	    !strcmp(vp->rule.target, "ACCEPT") &&
	    (!strcmp(vp->rule.chain, RB_FW_CHAIN_EGRESS) || !strcmp(vp->rule.chain, RB_FW_CHAIN_FORWARD))) {
		snprintf(vp->note, sizeof(vp->note), "the sentry let it through (%s %s #%u)",
			 vp->rule.chain, vp->rule.id[0] ? vp->rule.id : "(no id)", vp->rule.index);
		vp->verdict = RB_VERDICT_FAIL;
	}
	/* DNS_INTERCEPT=1: an answer from "another server" is the sentry's
	 * only if the sentry's PREROUTING DNATed the question */
	if ((vp->probe.kind == RB_PROBE_DNS || vp->probe.kind == RB_PROBE_TCP_DNS) &&
	    np->dns_intercept && !vp->probe.to_sentry && vp->probe.family == AF_INET &&
	    vp->probe.addr4.s_addr != np->sentry_ip.s_addr && vp->res.outcome == RB_OUT_ANSWER &&
	    !vp->has_nat) {
		snprintf(vp->note, sizeof(vp->note),
			 "answered, but no " RB_FW_CHAIN_PREROUTING
			 " DNAT counted it: not the sentry's answer");
		vp->verdict = RB_VERDICT_FAIL;
	}
	/* RBM 0 and 1 (docs/design.md): traffic that got out while no
	 * counter moved. A probe that passed must have been counted by the
	 * sentry's policy. */
	if (rb_probe_passed(&vp->probe, &vp->res) && !rules_moved_in(vp)) {
		snprintf(vp->note, sizeof(vp->note),
			 "no " RB_FW_CHAIN_FORWARD "/" RB_FW_CHAIN_EGRESS "/" RB_FW_CHAIN_INPUT
			 " rule counted it: it bypassed the sentry's policy");
		vp->verdict = RB_VERDICT_FAIL;
	}
	return 0;
}

static int counter_checks(const struct rb_nameplate *np, struct rb_verify_report *r)
{
	uint64_t fwd = 0, pre = 0;
	int want_fwd = 0, want_pre = 0, rc;
	char obs[64];

	for (size_t i = 0; i < r->n_run; i++) {
		if (!strcmp(r->run[i].table, "filter") && !strcmp(r->run[i].chain, RB_FW_CHAIN_FORWARD))
			fwd += r->run[i].pkts;
		if (!strcmp(r->run[i].table, "nat") && !strcmp(r->run[i].chain, RB_FW_CHAIN_PREROUTING) &&
		    !strcmp(r->run[i].target, "DNAT"))
			pre += r->run[i].pkts;
	}
	for (size_t i = 0; i < r->n_probes; i++) {
		const struct rb_probe *p = &r->probes[i].probe;
		int to_sentry = p->to_sentry ||
				(p->family == AF_INET && p->addr4.s_addr == np->sentry_ip.s_addr);
		int in_enclave = p->family == AF_INET && !to_sentry &&
				 rb_cidr_contains(&np->enclave_subnet, p->addr4);

		if (p->family == AF_INET && !to_sentry && !in_enclave &&
		    r->probes[i].res.outcome != RB_OUT_UNTESTABLE)
			want_fwd = 1;
		if ((p->kind == RB_PROBE_DNS || p->kind == RB_PROBE_TCP_DNS) && !to_sentry &&
		    p->family == AF_INET && np->dns_intercept)
			want_pre = 1;
	}
	/* RBM 2 (docs/design.md) asked for proof that FORWARD and PREROUTING
	 * really see the bottle's packets: both are jumped to RB-* chains at
	 * position 0. */
	if (want_fwd) {
		snprintf(obs, sizeof(obs), "%llu packets", (unsigned long long)fwd);
		rc = add_check(r, "counters", "filter FORWARD -> " RB_FW_CHAIN_FORWARD,
			       "counts the probes (> 0 packets)", obs, fwd > 0);
		if (rc < 0)
			return rc;
	}
	if (want_pre) {
		snprintf(obs, sizeof(obs), "%llu packets DNATed", (unsigned long long)pre);
		rc = add_check(r, "counters", "nat PREROUTING -> " RB_FW_CHAIN_PREROUTING,
			       "intercepts DNS to other servers (> 0 packets)", obs, pre > 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The resolver, as a state check: the first default DNS probe to the
 * sentry (an allowed name, or the not-allowed one) answered per policy. */
static int resolver_check(const struct rb_nameplate *np, struct rb_verify_report *r)
{
	for (size_t i = 0; i < r->n_probes; i++) {
		const struct rb_verify_probe *vp = &r->probes[i];
		char subject[64], expect[96], obs[160], a[INET_ADDRSTRLEN];

		if (vp->from_cli || !vp->probe.to_sentry || vp->probe.kind != RB_PROBE_DNS ||
		    vp->res.outcome == RB_OUT_UNTESTABLE)
			continue;
		inet_ntop(AF_INET, &np->sentry_ip, a, sizeof(a));
		snprintf(subject, sizeof(subject), "sentry resolver %s:53", a);
		switch (vp->probe.expect) {
		case RB_EXPECT_PASS:
			snprintf(expect, sizeof(expect), "answers %.64s", vp->probe.name);
			break;
		case RB_EXPECT_NXDOMAIN:
			snprintf(expect, sizeof(expect), "NXDOMAIN for %.64s", vp->probe.name);
			break;
		default:
			snprintf(expect, sizeof(expect), "no address for %.64s", vp->probe.name);
		}
		rb_probe_observed(&vp->probe, &vp->res, obs, sizeof(obs));
		return add_check(r, "resolver", subject, expect, obs, vp->verdict == RB_VERDICT_OK);
	}
	return 0;
}

/* The learner, as a state check (in the sentry's netns, after the probes,
 * whose upstream answers a hung learner leaves waiting in its queue): bound
 * to its NFQUEUE queue and answering (learner_health.h). Without it every
 * answer of the upstream resolver is dropped or held (fail closed), so DNS
 * probes of names the sentry has not cached fail too; this names the
 * cause. */
static int learner_check(struct rb_verify_report *r, pid_t sentry_pid)
{
	char expect[64], why[160], obs[192];
	int ok;

	snprintf(expect, sizeof(expect), "bound to NFQUEUE %d", RB_FW_LEARN_QUEUE);
	ok = rb_learner_health(sentry_pid, RB_FW_LEARN_QUEUE, 2000, why, sizeof(why));
	snprintf(obs, sizeof(obs), "%s%s", why, ok ? "" : " (make bottle-reapply)");
	return add_check(r, "learner", "sentry learner (rb-sentryd)", expect, obs, ok);
}

static void tally(struct rb_verify_report *r)
{
	r->passed = r->failed = r->untestable = 0;
	for (size_t i = 0; i < r->n_checks; i++) {
		if (r->checks[i].ok)
			r->passed++;
		else
			r->failed++;
	}
	for (size_t i = 0; i < r->n_probes; i++) {
		switch (r->probes[i].verdict) {
		case RB_VERDICT_OK:
			r->passed++;
			break;
		case RB_VERDICT_FAIL:
			r->failed++;
			break;
		case RB_VERDICT_UNTESTABLE:
			r->untestable++;
			break;
		}
	}
	r->ok = r->failed == 0;
}

static int build_probes(const struct rb_nameplate *np, const struct rb_verify_opts *o,
			const struct rb_verify_env *env, struct rb_verify_report *r,
			struct rb_err *err)
{
	struct rb_verify_probe *def = NULL;
	size_t n_def = 0;
	int rc = 0;

	if (o->default_probes) {
		rc = rb_verify_default_probes(np, env, &def, &n_def);
		if (rc < 0)
			return rb_err_sys(err, -rc, "cannot build the default probes");
		r->probes = def;
		r->n_probes = n_def;
	}
	for (size_t i = 0; i < o->n_extra; i++) {
		struct rb_verify_probe vp;
		char why[96];

		memset(&vp, 0, sizeof(vp));
		vp.probe = o->extra[i];
		vp.from_cli = 1;
		if (vp.probe.to_sentry)
			vp.probe.addr4 = np->sentry_ip;
		vp.probe.expect = rb_verify_expect(np, env, &vp.probe, NULL, why, sizeof(why));
		if (o->extra[i].expect != RB_EXPECT_AUTO) {
			vp.probe.expect = o->extra[i].expect;
			snprintf(why, sizeof(why), "--probe");
		}
		snprintf(vp.why, sizeof(vp.why), "%s", why);
		if (add_probe(r, &vp) < 0)
			return rb_err_oom(err);
	}
	return 0;
}

int rb_verify_run(const struct rb_nameplate *np, const struct rb_verify_opts *o,
		  struct rb_verify_report **out, struct rb_err *err)
{
	struct rb_verify_report *r = NULL;
	struct rb_verify_env env;
	struct rb_prober *pr = NULL;
	struct snap c0 = { 0 }, c1 = { 0 };
	char bottle_ns[128], sentry_ns[128], name[96];
	int rc, saved = -1;
	pid_t sentry_pid = 0; /* 0: netns given, PID unknown */
	size_t n_stage_a, n_new;

	*out = NULL;
	memset(&env, 0, sizeof(env));
	r = calloc(1, sizeof(*r));
	if (!r)
		return rb_err_oom(err);
	snprintf(r->nameplate, sizeof(r->nameplate), "%s", o->nameplate_path ? o->nameplate_path : "");
	snprintf(r->moniker, sizeof(r->moniker), "%s", np->moniker);

	if (o->netns_bottle && o->netns_sentry) {
		snprintf(bottle_ns, sizeof(bottle_ns), "%s", o->netns_bottle);
		snprintf(sentry_ns, sizeof(sentry_ns), "%s", o->netns_sentry);
	} else {
		snprintf(name, sizeof(name), "rb-%s-bottle", np->moniker);
		rc = container_netns(name, bottle_ns, sizeof(bottle_ns), NULL, err);
		if (rc == 0) {
			snprintf(name, sizeof(name), "rb-%s-sentry", np->moniker);
			rc = container_netns(name, sentry_ns, sizeof(sentry_ns), &sentry_pid, err);
		}
		if (rc == 0)
			rc = bridge_env(np, &env, err);
		/* here, in the host's netns, as rb-fw-apply reads them */
		if (rc == 0)
			rc = rb_fw_host_addrs_read(&env.host_addrs, &env.n_host_addrs, err);
		if (rc < 0)
			goto out;
	}

	rc = rb_netns_enter_path(sentry_ns, &saved, err);
	if (rc < 0)
		goto out;
	c0.backend = o->backend;
	rc = sentry_state(np, r, &env, &c0, err);
	rc = rb_netns_leave_after(&saved, rc, err);
	if (rc < 0)
		goto out;

	rc = rb_netns_enter_path(bottle_ns, &saved, err);
	if (rc < 0)
		goto out;
	rc = route_check(np, r, err);
	if (rc == 0)
		rc = ipv6_check(r, np, &env, err);
	rc = rb_netns_leave_after(&saved, rc, err);
	if (rc < 0)
		goto out;

	rc = build_probes(np, o, &env, r, err);
	if (rc < 0)
		goto out;
	if (r->n_probes > 0) {
		rc = rb_prober_start(bottle_ns, (uid_t)np->bottle_uid, (gid_t)np->bottle_uid, &pr,
				     err);
		if (rc < 0)
			goto out;
		/* the counters are the sentry's: the parent stays there while
		 * the prober, a separate process, works in the bottle */
		rc = rb_netns_enter_path(sentry_ns, &saved, err);
		if (rc < 0)
			goto out;
		n_stage_a = r->n_probes;
		rc = run_parallel(pr, r->probes, n_stage_a, o->timeout_ms, err);
		if (rc == 0 && add_resolved(np, &env, r, 0, &n_new) < 0)
			rc = rb_err_oom(err);
		if (rc == 0 && n_new > 0)
			rc = run_parallel(pr, r->probes + n_stage_a, n_new, o->timeout_ms, err);
		if (rc == 0)
			rc = rb_fw_counters_read(c0.backend, &c1.c, &c1.n, err);
		if (rc == 0 && snap_delta(&c0, &c1, &r->run, &r->n_run) < 0)
			rc = rb_err_oom(err);
		for (size_t i = 0; rc == 0 && i < r->n_probes; i++) {
			struct rb_verify_probe *vp = &r->probes[i];

			vp->verdict = rb_probe_verdict(&vp->probe, &vp->res);
			rc = attribute(pr, np, &env, vp, o->timeout_ms, &c1, err);
		}
		if (rc == 0 && np->dns_enabled && learner_check(r, sentry_pid) < 0)
			rc = rb_err_oom(err);
		rc = rb_netns_leave_after(&saved, rc, err);
		if (rc < 0)
			goto out;
		rc = resolver_check(np, r);
		if (rc == 0)
			rc = counter_checks(np, r);
		if (rc < 0) {
			rb_err_oom(err);
			goto out;
		}
	} else if (np->dns_enabled) {
		/* no probes: the learner is still a state to check */
		rc = rb_netns_enter_path(sentry_ns, &saved, err);
		if (rc < 0)
			goto out;
		if (learner_check(r, sentry_pid) < 0)
			rc = rb_err_oom(err);
		rc = rb_netns_leave_after(&saved, rc, err);
		if (rc < 0)
			goto out;
	}
	tally(r);
	*out = r;
	r = NULL;
	rc = 0;
out:
	rc = rb_netns_leave_after(&saved, rc, err);
	rb_prober_stop(pr);
	snap_free(&c0);
	snap_free(&c1);
	free(env.host_addrs);
	rb_verify_free(r);
	return rc;
}
