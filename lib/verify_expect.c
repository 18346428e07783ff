/* What the nameplate says each probe must do, and the default probe set.
 * Expectations come from the nameplate's modes (docs/design.md), not from the
 * firewall plan: rb-verify checks rb-fw-apply's work, so it must not take
 * its answers from rb-fw-apply's own code. */
#include "verify.h"
#include "addr.h"
#include "utils.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Never reachable from the bottle unless a CIDR names them (docs/design.md). */
static const struct {
	uint32_t net;
	unsigned int prefix;
} never[] = {
	{ 0x00000000, 8 },  { 0x0a000000, 8 },	{ 0x64400000, 10 }, { 0x7f000000, 8 },
	{ 0xa9fe0000, 16 }, { 0xac100000, 12 }, { 0xc0a80000, 16 }, { 0xe0000000, 4 },
	{ 0xf0000000, 4 },
};

/* Resolvers the bottle may only reach through the sentry: DNS, DoT, mDNS. */
static const uint16_t dns_ports[] = { 53, 853, 5353 };

static int in_net(struct in_addr a, uint32_t net, unsigned int prefix)
{
	uint32_t mask = rb_prefix_mask(prefix);

	return (ntohl(a.s_addr) & mask) == net;
}

int rb_verify_addr_private(struct in_addr a)
{
	for (size_t i = 0; i < N_ELEMENTS(never); i++)
		if (in_net(a, never[i].net, never[i].prefix))
			return 1;
	return 0;
}

static int cidr_has(const struct rb_cidr *c, struct in_addr a)
{
	return in_net(a, ntohl(c->addr.s_addr), c->prefix);
}

static const struct rb_cidr *allowed_cidr(const struct rb_nameplate *np, struct in_addr a)
{
	for (size_t i = 0; i < np->n_cidrs; i++)
		if (cidr_has(&np->cidrs[i], a))
			return &np->cidrs[i];
	return NULL;
}

static int name_under(const char *name, const char *d)
{
	size_t n = strlen(name), l = strlen(d);

	if (n > 0 && name[n - 1] == '.')
		n--;
	return (n == l && !strncasecmp(name, d, l)) ||
	       (n > l && name[n - l - 1] == '.' && !strncasecmp(name + n - l, d, l));
}

/* A name allows itself and its subdomains, with or without ports. */
static const char *allowed_name(const struct rb_nameplate *np, const char *name)
{
	for (size_t i = 0; i < rb_np_n_names(np); i++)
		if (name_under(name, rb_np_name(np, i)))
			return rb_np_name(np, i);
	return NULL;
}

static uint8_t probe_proto(const struct rb_probe *p)
{
	return p->kind == RB_PROBE_UDP ? IPPROTO_UDP : IPPROTO_TCP;
}

/* What the answer of name opens for p: 1 (an entry without ports, or a
 * ported one with p's port), 0 (ported entries only, none with it). */
static int name_opens(const struct rb_nameplate *np, const char *name, const struct rb_probe *p)
{
	for (size_t i = 0; i < np->n_domains; i++)
		if (name_under(name, np->domains[i]))
			return 1;
	for (size_t i = 0; i < np->n_pdomains; i++)
		if (name_under(name, np->pdomains[i].name) &&
		    rb_ports_has(&np->pdomains[i].ports, probe_proto(p), p->port))
			return 1;
	return 0;
}

/* The ported CIDR that opens p's address, protocol and port; *near gets
 * one that holds the address but not the port (NULL if none). */
static const struct rb_cidr_ports *ported_cidr(const struct rb_nameplate *np,
					       const struct rb_probe *p,
					       const struct rb_cidr_ports **near)
{
	*near = NULL;
	if (p->kind != RB_PROBE_TCP && p->kind != RB_PROBE_UDP)
		return NULL;
	for (size_t i = 0; i < np->n_pcidrs; i++) {
		if (!cidr_has(&np->pcidrs[i].cidr, p->addr4))
			continue;
		if (rb_ports_has(&np->pcidrs[i].ports, probe_proto(p), p->port))
			return &np->pcidrs[i];
		*near = &np->pcidrs[i];
	}
	return NULL;
}

static enum rb_probe_expect expect_name(const struct rb_nameplate *np, const char *name,
					const char *how, char *why, size_t len)
{
	const char *d;

	if (!np->dns_enabled) {
		snprintf(why, len, "%sDNS disabled", how);
		return RB_EXPECT_FAIL;
	}
	if (np->dns_global) {
		snprintf(why, len, "%sDNS_GLOBAL=1: any name resolves", how);
		return RB_EXPECT_PASS;
	}
	d = allowed_name(np, name);
	if (d) {
		snprintf(why, len, "%sallowed name (%s)", how, d);
		return RB_EXPECT_PASS;
	}
	snprintf(why, len, "%sname not allowed: NXDOMAIN from the sentry", how);
	return RB_EXPECT_NXDOMAIN;
}

static enum rb_probe_expect expect_addr(const struct rb_nameplate *np,
					const struct rb_verify_env *env, const struct rb_probe *p,
					const char *via_name, char *why, size_t len)
{
	struct in_addr a = p->addr4;
	const struct rb_cidr *c;
	const struct rb_cidr_ports *pc, *near;
	char cs[INET_ADDRSTRLEN];

	if (p->family != AF_INET) {
		snprintf(why, len, "IPv6 is never forwarded");
		return RB_EXPECT_FAIL;
	}
	if (a.s_addr == np->sentry_ip.s_addr) {
		if (p->kind == RB_PROBE_ICMP) {
			snprintf(why, len, "the sentry answers the bottle's ping");
			return RB_EXPECT_PASS;
		}
		if (p->kind == RB_PROBE_TCP && p->port == 53) {
			snprintf(why, len, "the sentry's resolver%s",
				 np->dns_enabled ? "" : ": DNS disabled");
			return np->dns_enabled ? RB_EXPECT_PASS : RB_EXPECT_FAIL;
		}
		snprintf(why, len, "the sentry serves the bottle DNS and ping only");
		return RB_EXPECT_FAIL;
	}
	if (p->kind == RB_PROBE_ICMP) {
		/* an "all ports" CIDR does not open ping (or ICMP tunnels): the
		 * errors that belong to allowed flows come back as RELATED */
		snprintf(why, len, "ICMP: the bottle pings the sentry only");
		return RB_EXPECT_FAIL;
	}
	if (cidr_has(&np->enclave_subnet, a)) {
		snprintf(why, len, "in the enclave, where only the sentry is reachable");
		return RB_EXPECT_FAIL;
	}
	if (env && env->has_bridge && a.s_addr == env->bridge_ip.s_addr) {
		snprintf(why, len, "the host's enclave bridge address");
		return RB_EXPECT_FAIL;
	}
	if (p->kind == RB_PROBE_TCP || p->kind == RB_PROBE_UDP) {
		for (size_t i = 0; i < N_ELEMENTS(dns_ports); i++) {
			if (p->port != dns_ports[i])
				continue;
			if (p->port == 53 && np->dns_intercept && p->kind == RB_PROBE_TCP) {
				snprintf(why, len, "DNS_INTERCEPT=1: DNATed to the sentry's resolver%s",
					 np->dns_enabled ? "" : ", DNS disabled");
				return np->dns_enabled ? RB_EXPECT_PASS : RB_EXPECT_FAIL;
			}
			snprintf(why, len, "port %u: resolvers only through the sentry", p->port);
			return RB_EXPECT_FAIL;
		}
	}
	if (!np->access_enabled) {
		snprintf(why, len, "ACCESS_ENABLED=0: no egress");
		return RB_EXPECT_FAIL;
	}
	c = allowed_cidr(np, a);
	if (c) {
		inet_ntop(AF_INET, &c->addr, cs, sizeof(cs));
		snprintf(why, len, "in allowed CIDR %s/%u", cs, c->prefix);
		return RB_EXPECT_PASS;
	}
	pc = ported_cidr(np, p, &near);
	if (pc) {
		inet_ntop(AF_INET, &pc->cidr.addr, cs, sizeof(cs));
		snprintf(why, len, "port %u/%s of allowed CIDR %s/%u", p->port,
			 probe_proto(p) == IPPROTO_UDP ? "udp" : "tcp", cs, pc->cidr.prefix);
		return RB_EXPECT_PASS;
	}
	for (size_t i = 0; env && i < env->n_host_addrs; i++) {
		if (env->host_addrs[i].s_addr == a.s_addr) {
			snprintf(why, len, "the host's own address: never reachable");
			return RB_EXPECT_FAIL;
		}
	}
	if (rb_verify_addr_private(a)) {
		snprintf(why, len, "private/loopback/link-local/multicast: never reachable");
		return RB_EXPECT_FAIL;
	}
	if (env && env->has_uplink && cidr_has(&env->uplink_subnet, a)) {
		snprintf(why, len, "the sentry's uplink network: never reachable");
		return RB_EXPECT_FAIL;
	}
	if (np->access_global) {
		snprintf(why, len, "ACCESS_GLOBAL=1: any public address");
		return RB_EXPECT_PASS;
	}
	if (via_name && name_opens(np, via_name, p)) {
		snprintf(why, len, "answered by the sentry for an allowed name");
		return RB_EXPECT_PASS;
	}
	if (via_name) {
		snprintf(why, len, "port %u/%s: not one of the allowed name's ports", p->port,
			 probe_proto(p) == IPPROTO_UDP ? "udp" : "tcp");
		return RB_EXPECT_FAIL;
	}
	if (near) {
		inet_ntop(AF_INET, &near->cidr.addr, cs, sizeof(cs));
		snprintf(why, len, "port %u/%s: not one of the ports of CIDR %s/%u", p->port,
			 probe_proto(p) == IPPROTO_UDP ? "udp" : "tcp", cs, near->cidr.prefix);
		return RB_EXPECT_FAIL;
	}
	snprintf(why, len, "not in the allowlist");
	return RB_EXPECT_FAIL;
}

enum rb_probe_expect rb_verify_expect(const struct rb_nameplate *np,
				      const struct rb_verify_env *env, const struct rb_probe *p,
				      const char *via_name, char *why, size_t len)
{
	if (p->kind == RB_PROBE_DNS || p->kind == RB_PROBE_TCP_DNS) {
		if (p->to_sentry ||
		    (p->family == AF_INET && p->addr4.s_addr == np->sentry_ip.s_addr))
			return expect_name(np, p->name, "", why, len);
		if (p->family != AF_INET) {
			snprintf(why, len, "IPv6 is never forwarded");
			return RB_EXPECT_FAIL;
		}
		if (!np->dns_intercept) {
			snprintf(why, len, "DNS_INTERCEPT=0: other resolvers are rejected");
			return RB_EXPECT_FAIL;
		}
		return expect_name(np, p->name, "intercepted: ", why, len);
	}
	return expect_addr(np, env, p, via_name, why, len);
}

/* ---- the default probe set --------------------------------------------- */

struct plist {
	struct rb_verify_probe *v;
	size_t n, cap;
};

static int plist_add(struct plist *l, const struct rb_nameplate *np,
		     const struct rb_verify_env *env, const char *spec)
{
	struct rb_verify_probe *vp;
	struct rb_err err;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;

		vp = realloc(l->v, cap * sizeof(*vp));
		if (!vp)
			return -ENOMEM;
		l->v = vp;
		l->cap = cap;
	}
	vp = &l->v[l->n];
	memset(vp, 0, sizeof(*vp));
	/* the defaults are written as specs so they read like --probe */
	if (rb_probe_parse(spec, &vp->probe, &err) < 0)
		return -EINVAL;
	if (vp->probe.to_sentry)
		vp->probe.addr4 = np->sentry_ip;
	/* an enclave that happens to hold the address reaches it on the
	 * bridge, not through the sentry: no test of the sentry's policy */
	if (vp->probe.family == AF_INET && vp->probe.addr4.s_addr != np->sentry_ip.s_addr &&
	    cidr_has(&np->enclave_subnet, vp->probe.addr4))
		return 0;
	vp->probe.expect = rb_verify_expect(np, env, &vp->probe, NULL, vp->why, sizeof(vp->why));
	l->n++;
	return 0;
}

/* A name a resolver knows that the nameplate does not allow: its NXDOMAIN
 * can only come from the sentry's policy, never from a real resolver. */
static const char *deny_name(const struct rb_nameplate *np)
{
	static const char *const names[] = { "example.com", "example.net", "example.org" };

	for (size_t i = 0; i < N_ELEMENTS(names); i++)
		if (!allowed_name(np, names[i]))
			return names[i];
	return "rb-verify.invalid";
}

static struct in_addr first_host(const struct rb_cidr *c)
{
	struct in_addr a = c->addr;

	if (c->prefix < 31)
		a.s_addr = htonl(ntohl(a.s_addr) + 1);
	return a;
}

int rb_verify_default_probes(const struct rb_nameplate *np, const struct rb_verify_env *env,
			     struct rb_verify_probe **out, size_t *n)
{
	struct plist l = { 0 };
	char spec[RB_PROBE_SPEC_MAX], a[INET6_ADDRSTRLEN];
	const char *deny = deny_name(np);
	const char *other = "8.8.8.8"; /* a public resolver; in tests, the world's */
	int rc = 0;

	*out = NULL;
	*n = 0;
	/* allowed names through the sentry; the addresses they answer are
	 * probed afterwards (rb_verify_run), once the sentry has seen them */
	for (size_t i = 0; i < rb_np_n_names(np) && i < RB_VERIFY_MAX_NAME_PROBES && rc == 0; i++) {
		snprintf(spec, sizeof(spec), "dns:%s", rb_np_name(np, i));
		rc = plist_add(&l, np, env, spec);
		if (rc == 0 && l.v[l.n - 1].probe.expect == RB_EXPECT_PASS)
			l.v[l.n - 1].resolve_then_connect = 1;
	}
	if (rc == 0) {
		snprintf(spec, sizeof(spec), "dns:%s", deny);
		rc = plist_add(&l, np, env, spec);
	}
	for (size_t i = 0; i < np->n_cidrs && i < RB_VERIFY_MAX_CIDR_PROBES && rc == 0; i++) {
		struct in_addr h = first_host(&np->cidrs[i]);

		/* 0/8, loopback, multicast, reserved: no host to connect to
		 * (a 0.0.0.0/0 CIDR lands here; the unlisted-address probes
		 * test it instead) */
		if (in_net(h, 0x00000000, 8) || in_net(h, 0x7f000000, 8) || in_net(h, 0xe0000000, 4) ||
		    in_net(h, 0xf0000000, 4))
			continue;
		inet_ntop(AF_INET, &h, a, sizeof(a));
		snprintf(spec, sizeof(spec), "tcp:%s:443", a);
		rc = plist_add(&l, np, env, spec);
	}
	/* a ported CIDR: its first port must pass, a port it leaves closed
	 * must be refused by the sentry */
	for (size_t i = 0; i < np->n_pcidrs && i < RB_VERIFY_MAX_CIDR_PROBES && rc == 0; i++) {
		const struct rb_ports *pp = &np->pcidrs[i].ports;
		struct in_addr h = first_host(&np->pcidrs[i].cidr);
		const char *kind = pp->r[0].proto == IPPROTO_UDP ? "udp" : "tcp";
		uint16_t closed = rb_ports_refused(pp, pp->r[0].proto);

		if (pp->n == 0 || in_net(h, 0x00000000, 8) || in_net(h, 0x7f000000, 8) ||
		    in_net(h, 0xe0000000, 4) || in_net(h, 0xf0000000, 4))
			continue;
		inet_ntop(AF_INET, &h, a, sizeof(a));
		snprintf(spec, sizeof(spec), "%s:%s:%u", kind, a, pp->r[0].lo);
		rc = plist_add(&l, np, env, spec);
		if (rc == 0 && closed) {
			snprintf(spec, sizeof(spec), "%s:%s:%u", kind, a, closed);
			rc = plist_add(&l, np, env, spec);
		}
	}
	{
		char s[8][RB_PROBE_SPEC_MAX];
		size_t k = 0;

		/* another resolver: with DNS_INTERCEPT=1 the sentry answers it
		 * by policy, so the not-allowed name must come back NXDOMAIN */
		if (!np->dns_intercept)
			snprintf(s[k++], sizeof(s[0]), "tcp:%s:53", other);
		snprintf(s[k++], sizeof(s[0]), "udp-dns:%s:%s", other, deny);
		snprintf(s[k++], sizeof(s[0]), "tcp-dns:%s:%s", other, deny);
		if (rb_np_n_names(np) > 0)
			snprintf(s[k++], sizeof(s[0]), "udp-dns:%s:%s", other, rb_np_name(np, 0));
		/* TEST-NET-2: even a mistake goes nowhere on a real network */
		snprintf(s[k++], sizeof(s[0]), "tcp:198.51.100.7:443");
		snprintf(s[k++], sizeof(s[0]), "udp:198.51.100.7:443");
		snprintf(s[k++], sizeof(s[0]), "icmp:198.51.100.7");
		snprintf(s[k++], sizeof(s[0]), "tcp:169.254.169.254:80");
		for (size_t i = 0; i < k && rc == 0; i++)
			rc = plist_add(&l, np, env, s[i]);
	}
	{
		static const char *const fixed[] = {
			"tcp:10.0.0.1:22",
			"tcp:192.168.1.1:80",
			"tcp:[2001:db8::1]:443",
		};

		for (size_t i = 0; i < N_ELEMENTS(fixed) && rc == 0; i++)
			rc = plist_add(&l, np, env, fixed[i]);
	}
	if (rc == 0) {
		inet_ntop(AF_INET, &np->sentry_ip, a, sizeof(a));
		snprintf(spec, sizeof(spec), "tcp:%s:22", a);
		rc = plist_add(&l, np, env, spec);
		if (rc == 0) {
			snprintf(spec, sizeof(spec), "icmp:%s", a);
			rc = plist_add(&l, np, env, spec);
		}
	}
	if (rc == 0 && env && env->has_bridge) {
		inet_ntop(AF_INET, &env->bridge_ip, a, sizeof(a));
		snprintf(spec, sizeof(spec), "tcp:%s:22", a);
		rc = plist_add(&l, np, env, spec);
		if (rc == 0) {
			snprintf(spec, sizeof(spec), "icmp:%s", a);
			rc = plist_add(&l, np, env, spec);
		}
	}
	/* the host's public addresses (private ones are never reachable
	 * anyway); port 1: no listener of the host's is touched even if the
	 * sentry let the probe through, and the counters tell that apart */
	for (size_t i = 0; env && i < env->n_host_probe && rc == 0; i++) {
		inet_ntop(AF_INET, &env->host_probe[i], a, sizeof(a));
		snprintf(spec, sizeof(spec), "tcp:%s:1", a);
		rc = plist_add(&l, np, env, spec);
	}
	if (rc == 0 && env && env->has_bridge_ll && env->bottle_if[0]) {
		inet_ntop(AF_INET6, &env->bridge_ll, a, sizeof(a));
		snprintf(spec, sizeof(spec), "tcp:[%s%%%s]:22", a, env->bottle_if);
		rc = plist_add(&l, np, env, spec);
	}
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}
