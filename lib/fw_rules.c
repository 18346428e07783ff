/* Building the plan from a nameplate, and printing it in iptables-save
 * syntax. Nothing here touches the system. */
#include "fw_int.h"
#include "utils.h"
#include "fw_nft.h"
#include "sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Never reachable from the bottle unless a CIDR names them (docs/design.md). */
static const char *const never_private[] = {
	"0.0.0.0/8",	"10.0.0.0/8",	  "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4",   "240.0.0.0/4",
};

/* DNS goes only through the sentry: plain DNS, DNS over TLS, mDNS. */
static const uint16_t dns_ports[] = { 53, 853, 5353 };

/* IPv6 off before forwarding on: the bottle must never get a v6 path. */
static const struct rb_fw_sysctl sentry_sysctls[] = {
	{ "net.ipv6.conf.all.disable_ipv6", "1" },
	{ "net.ipv6.conf.default.disable_ipv6", "1" },
	{ "net.ipv6.conf.all.forwarding", "0" },
	{ "net.ipv4.ip_forward", "1" },
};

static const char *const filter_builtins[] = { "INPUT", "FORWARD", "OUTPUT" };
static const char *const nat_builtins[] = { "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING" };

static struct rb_fw_chain *table_add_chain(struct rb_fw_table *t, const char *name, int builtin)
{
	struct rb_fw_chain *c;

	c = realloc(t->chains, (t->n_chains + 1) * sizeof(*c));
	if (!c)
		return NULL;
	t->chains = c;
	c = &t->chains[t->n_chains++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->builtin = builtin;
	return c;
}

static struct rb_fw_chain *table_find(struct rb_fw_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

const struct rb_fw_chain *rb_fw_table_chain(const struct rb_fw_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_chains; i++)
		if (!strcmp(t->chains[i].name, name))
			return &t->chains[i];
	return NULL;
}

/* Appends a rule with verdict v and comment rb:<id>; returns it so the
 * caller fills in the matches, or NULL on ENOMEM. */
static struct rb_fw_rule *add(struct rb_fw_chain *c, const char *id, enum rb_fw_verdict v)
{
	struct rb_fw_rule *r;

	if (c->n_rules == c->cap_rules) {
		size_t cap = c->cap_rules ? c->cap_rules * 2 : 16;

		r = realloc(c->rules, cap * sizeof(*r));
		if (!r)
			return NULL;
		c->rules = r;
		c->cap_rules = cap;
	}
	r = &c->rules[c->n_rules++];
	memset(r, 0, sizeof(*r));
	r->icmp_type = -1;
	r->verdict = v;
	snprintf(r->id, sizeof(r->id), "%s", id);
	return r;
}

static struct rb_fw_rule *add_jump(struct rb_fw_chain *c, const char *id, const char *to)
{
	struct rb_fw_rule *r = add(c, id, RB_FW_JUMP);

	if (r)
		snprintf(r->jump, sizeof(r->jump), "%s", to);
	return r;
}

static void host32(struct rb_cidr *c, struct in_addr a)
{
	c->addr = a;
	c->prefix = 32;
}

static int cmp_chain(const void *a, const void *b)
{
	const struct rb_fw_chain *x = a, *y = b;

	if (x->builtin != y->builtin)
		return x->builtin ? -1 : 1;
	if (x->builtin)
		return 0;
	return strcmp(x->name, y->name);
}

/* User chains sorted the way libiptc keeps them, builtins stay in hook
 * order (qsort is not stable, so builtins are re-laid from the list). */
static void table_sort(struct rb_fw_table *t, size_t n_builtin)
{
	if (t->n_chains > n_builtin)
		qsort(t->chains + n_builtin, t->n_chains - n_builtin, sizeof(*t->chains), cmp_chain);
}

static int table_init(struct rb_fw_table *t, const char *name, const char *const *builtins,
		      size_t n, const char *policy)
{
	snprintf(t->name, sizeof(t->name), "%s", name);
	for (size_t i = 0; i < n; i++) {
		struct rb_fw_chain *c = table_add_chain(t, builtins[i], 1);

		if (!c)
			return -ENOMEM;
		c->policy = policy;
	}
	return 0;
}

static int set_init(struct rb_fw_set *s, const char *name, const char *type)
{
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->type = type;
	return 0;
}

/* hash:net cannot hold a /0: store it as its two halves. */
static int set_fill_cidrs(struct rb_fw_set *s, const struct rb_nameplate *np)
{
	size_t n = 0;

	s->members = calloc(np->n_cidrs + 1, sizeof(*s->members));
	if (!s->members)
		return -ENOMEM;
	for (size_t i = 0; i < np->n_cidrs; i++) {
		if (np->cidrs[i].prefix == 0) {
			s->members[n].addr.s_addr = htonl(0);
			s->members[n++].prefix = 1;
			s->members[n].addr.s_addr = htonl(0x80000000u);
			s->members[n++].prefix = 1;
			continue;
		}
		s->members[n++] = np->cidrs[i];
	}
	s->n_members = n;
	return 0;
}

struct pelem {
	struct rb_cidr net;
	struct rb_fw_port port;
};

static int pelem_cmp(const void *a, const void *b)
{
	const struct pelem *x = a, *y = b;
	uint32_t hx = ntohl(x->net.addr.s_addr), hy = ntohl(y->net.addr.s_addr);

	if (x->port.proto != y->port.proto)
		return x->port.proto < y->port.proto ? -1 : 1;
	if (x->port.port != y->port.port)
		return x->port.port < y->port.port ? -1 : 1;
	if (hx != hy)
		return hx < hy ? -1 : 1;
	return (x->net.prefix > y->net.prefix) - (x->net.prefix < y->net.prefix);
}

/* The ported CIDRs as (CIDR, protocol, port) elements, ranges taken port
 * by port, a /0 as its two halves (hash:net,port cannot hold it), and an
 * element inside another of the same port dropped: nft's interval sets
 * refuse overlapping elements, and both backends get the same list. */
static int set_fill_pcidrs(struct rb_fw_set *s, const struct rb_nameplate *np)
{
	cleanup_free struct pelem *e = NULL;
	size_t n = 0, cap = 0, out = 0;

	for (size_t i = 0; i < np->n_pcidrs; i++)
		cap += rb_ports_count(&np->pcidrs[i].ports) * 2;
	e = calloc(cap + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < np->n_pcidrs; i++) {
		const struct rb_cidr_ports *pc = &np->pcidrs[i];

		for (unsigned int j = 0; j < pc->ports.n; j++) {
			const struct rb_port_range *r = &pc->ports.r[j];

			for (uint32_t port = r->lo; port <= r->hi; port++) {
				struct rb_fw_port fp = { r->proto, (uint16_t)port };

				if (pc->cidr.prefix > 0) {
					e[n++] = (struct pelem){ pc->cidr, fp };
					continue;
				}
				e[n++] = (struct pelem){ { { htonl(0) }, 1 }, fp };
				e[n++] = (struct pelem){ { { htonl(0x80000000u) }, 1 }, fp };
			}
		}
	}
	qsort(e, n, sizeof(*e), pelem_cmp);
	/* sorted: a CIDR inside another of the same port follows it directly
	 * (or after others inside it) */
	for (size_t i = 0; i < n; i++) {
		const struct pelem *k = out ? &e[out - 1] : NULL;

		if (k && k->port.proto == e[i].port.proto && k->port.port == e[i].port.port &&
		    k->net.prefix <= e[i].net.prefix && rb_cidr_contains(&k->net, e[i].net.addr))
			continue;
		e[out++] = e[i];
	}
	s->members = calloc(out + 1, sizeof(*s->members));
	s->ports = calloc(out + 1, sizeof(*s->ports));
	if (!s->members || !s->ports)
		return -ENOMEM;
	for (size_t i = 0; i < out; i++) {
		s->members[i] = e[i].net;
		s->ports[i] = e[i].port;
	}
	s->n_members = out;
	return 0;
}

int rb_fw_set_ported(const struct rb_fw_set *s)
{
	return s->type && strstr(s->type, ",port") != NULL;
}

void rb_fw_member_str(const struct rb_fw_set *s, size_t i, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &s->members[i].addr, a, sizeof(a));
	if (s->ports)
		snprintf(buf, len, "%s/%u,%s:%u", a, s->members[i].prefix,
			 s->ports[i].proto == IPPROTO_UDP ? "udp" : "tcp", s->ports[i].port);
	else
		snprintf(buf, len, "%s/%u", a, s->members[i].prefix);
}

/* The denial log: before every REJECT of c, an NFLOG rule with the same
 * matches (rate-limited) whose prefix names the REJECT. */
static int log_rejects(struct rb_fw_chain *c)
{
	/* room for a log rule before every rule: a bound the analyzers see
	 * (clang-tidy 21 does not follow a count of the REJECTs) */
	size_t n = 0, cap = c->n_rules ? 2 * c->n_rules : 1;
	struct rb_fw_rule *v;

	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_rules; i++) {
		const struct rb_fw_rule *r = &c->rules[i];

		if (r->verdict == RB_FW_REJECT) {
			struct rb_fw_rule *l = &v[n++];

			*l = *r;
			l->verdict = RB_FW_NFLOG;
			l->limit_rate = RB_FW_LOG_RATE;
			l->limit_burst = RB_FW_LOG_BURST;
			l->log_group = RB_FW_LOG_GROUP;
			snprintf(l->log_prefix, sizeof(l->log_prefix), "rb:%s", r->id);
			snprintf(l->id, sizeof(l->id), "log-%.40s", r->id);
		}
		v[n++] = *r;
	}
	free(c->rules);
	c->rules = v;
	c->n_rules = n;
	c->cap_rules = cap;
	return 0;
}

#define ADD(c, id, v)                         \
	do {                                  \
		r = add((c), (id), (v));      \
		if (!r)                       \
			goto nomem;           \
	} while (0)

static int build_filter(struct rb_fw_table *t, const struct rb_nameplate *np,
			const struct rb_fw_ifaces *ifs)
{
	struct rb_fw_chain *in, *fwd, *egr, *out, *c;
	struct rb_fw_rule *r;
	struct rb_cidr B, S;

	host32(&B, np->bottle_ip);
	host32(&S, np->sentry_ip);
	if (table_init(t, "filter", filter_builtins, 3, "DROP") < 0)
		return -ENOMEM;
	egr = table_add_chain(t, RB_FW_CHAIN_EGRESS, 0);
	fwd = egr ? table_add_chain(t, RB_FW_CHAIN_FORWARD, 0) : NULL;
	in = fwd ? table_add_chain(t, RB_FW_CHAIN_INPUT, 0) : NULL;
	out = in ? table_add_chain(t, RB_FW_CHAIN_OUTPUT, 0) : NULL;
	if (!out)
		return -ENOMEM;
	/* pointers may have moved with realloc: look them up again */
	egr = table_find(t, RB_FW_CHAIN_EGRESS);
	fwd = table_find(t, RB_FW_CHAIN_FORWARD);
	in = table_find(t, RB_FW_CHAIN_INPUT);
	out = table_find(t, RB_FW_CHAIN_OUTPUT);

	for (size_t i = 0; i < 3; i++) {
		char to[RB_FW_CHAIN_MAX];

		c = table_find(t, filter_builtins[i]);
		snprintf(to, sizeof(to), RB_FW_CHAIN_PREFIX "%s", filter_builtins[i]);
		if (!add_jump(c, "jump", to))
			goto nomem;
	}

	/* RB-FORWARD: only the bottle's own traffic towards the uplink gets to
	 * RB-EGRESS; replies come back as ESTABLISHED. */
	ADD(fwd, "est", RB_FW_ACCEPT);
	r->ctstate = RB_FW_CT_RELATED | RB_FW_CT_ESTABLISHED;
	ADD(fwd, "invalid", RB_FW_DROP);
	r->ctstate = RB_FW_CT_INVALID;
	if (np->entry_enabled) {
		ADD(fwd, "entry", RB_FW_ACCEPT);
		r->dst = B;
		snprintf(r->in, sizeof(r->in), "%s", ifs->uplink);
		snprintf(r->out, sizeof(r->out), "%s", ifs->enclave);
		r->proto = IPPROTO_TCP;
		r->dport = np->entry_port_enclave;
		r->ctstate = RB_FW_CT_DNAT;
	}
	if (!add_jump(fwd, "egress", RB_FW_CHAIN_EGRESS))
		goto nomem;
	r = &fwd->rules[fwd->n_rules - 1];
	r->src = B;
	snprintf(r->in, sizeof(r->in), "%s", ifs->enclave);
	snprintf(r->out, sizeof(r->out), "%s", ifs->uplink);
	/* fail fast for the enclave, silence for anything else */
	ADD(fwd, "forward-reject", RB_FW_REJECT);
	snprintf(r->in, sizeof(r->in), "%s", ifs->enclave);
	ADD(fwd, "forward-drop", RB_FW_DROP);

	/* RB-EGRESS: DNS first, so no CIDR can open a resolver other than the
	 * sentry's; ICMP too, so an "all ports" CIDR does not open ping (or
	 * ICMP tunnels): the bottle pings the sentry only, and the errors that
	 * belong to an allowed flow arrive as RELATED (rb:est) anyway. Then the
	 * allowlist, the host's own addresses and the never-reachable ranges,
	 * the rest. */
	for (size_t i = 0; i < N_ELEMENTS(dns_ports); i++) {
		ADD(egr, "dns-udp", RB_FW_REJECT);
		r->proto = IPPROTO_UDP;
		r->dport = dns_ports[i];
		ADD(egr, "dns-tcp", RB_FW_REJECT);
		r->proto = IPPROTO_TCP;
		r->dport = dns_ports[i];
	}
	ADD(egr, "icmp", RB_FW_REJECT);
	r->proto = IPPROTO_ICMP;
	if (np->access_enabled) {
		ADD(egr, "cidr", RB_FW_ACCEPT);
		snprintf(r->set, sizeof(r->set), "%s", RB_FW_SET_CIDR);
	}
	/* ported CIDRs: one set lookup on (address, protocol, port), however
	 * many entries; before the never-* rejects, like rb:cidr */
	if (np->access_enabled && np->n_pcidrs) {
		ADD(egr, "cidr-port", RB_FW_ACCEPT);
		snprintf(r->set, sizeof(r->set), "%s", RB_FW_SET_CIDR_PORT);
		r->set_port = 1;
	}
	/* The sentry's uplink gateway is normally the host: a packet to any
	 * of the host's addresses (its public eth0 address too) would end in
	 * the host's INPUT. RB-HOST holds them, read at apply time. With
	 * egress off, rb:reject takes everything anyway. */
	if (np->access_enabled) {
		ADD(egr, "never-host", RB_FW_REJECT);
		snprintf(r->set, sizeof(r->set), "%s", RB_FW_SET_HOST);
	}
	for (size_t i = 0; i < N_ELEMENTS(never_private); i++) {
		ADD(egr, "never-private", RB_FW_REJECT);
		if (rb_parse_cidr(never_private[i], &r->dst) < 0)
			return -EINVAL;
	}
	if (ifs->uplink_subnet.prefix > 0) {
		ADD(egr, "never-uplink", RB_FW_REJECT);
		r->dst = ifs->uplink_subnet;
	}
	if (np->access_enabled && np->access_global) {
		ADD(egr, "global", RB_FW_ACCEPT);
	} else if (np->access_enabled) {
		ADD(egr, "dns-set", RB_FW_ACCEPT);
		snprintf(r->set, sizeof(r->set), "%s", RB_FW_SET_DNS);
		/* the learned answers of ported names, each with the name's ports */
		if (np->n_pdomains) {
			ADD(egr, "dns-port", RB_FW_ACCEPT);
			snprintf(r->set, sizeof(r->set), "%s", RB_FW_SET_DNS_PORT);
			r->set_port = 1;
		}
	}
	ADD(egr, "reject", RB_FW_REJECT);

	/* RB-INPUT: the sentry answers the bottle's DNS and ping, nothing else.
	 * Its upstream resolver's answers go to the learner first, before
	 * rb:est would pass them: without --queue-bypass an answer waits there
	 * until the learner has added what it opens, and is dropped when no
	 * learner is bound (its death fails closed). dnsmasq tells the bottle
	 * only such answers, or its cache of them, which never outlives their
	 * entries (rb-sentryd's TTL caps): its replies to the bottle pass
	 * without a trip through user space. */
	ADD(in, "lo", RB_FW_ACCEPT);
	snprintf(r->in, sizeof(r->in), "lo");
	if (np->has_uplink_dns_server && np->dns_enabled) {
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };

		for (size_t i = 0; i < 2; i++) {
			/* established: an answer to a question dnsmasq sent; a
			 * packet that only claims to come from the server is
			 * never parsed */
			ADD(in, i ? "learn-tcp" : "learn-udp", RB_FW_QUEUE);
			r->ctstate = RB_FW_CT_ESTABLISHED;
			host32(&r->src, np->uplink_dns_server);
			snprintf(r->in, sizeof(r->in), "%s", ifs->uplink);
			r->proto = protos[i];
			r->sport = 53;
			r->queue = RB_FW_LEARN_QUEUE;
		}
	}
	ADD(in, "est", RB_FW_ACCEPT);
	r->ctstate = RB_FW_CT_RELATED | RB_FW_CT_ESTABLISHED;
	ADD(in, "invalid", RB_FW_DROP);
	r->ctstate = RB_FW_CT_INVALID;
	if (np->dns_enabled) {
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };

		for (size_t i = 0; i < 2; i++) {
			ADD(in, i ? "dns-in-tcp" : "dns-in-udp", RB_FW_ACCEPT);
			r->src = B;
			r->dst = S;
			snprintf(r->in, sizeof(r->in), "%s", ifs->enclave);
			r->proto = protos[i];
			r->dport = 53;
		}
	}
	ADD(in, "ping", RB_FW_ACCEPT);
	r->src = B;
	r->dst = S;
	snprintf(r->in, sizeof(r->in), "%s", ifs->enclave);
	r->proto = IPPROTO_ICMP;
	r->icmp_type = 8;
	ADD(in, "in-reject", RB_FW_REJECT);
	snprintf(r->in, sizeof(r->in), "%s", ifs->enclave);
	ADD(in, "in-drop", RB_FW_DROP);

	/* RB-OUTPUT: the sentry itself talks only to its upstream resolver.
	 * A copy of each reply of its resolver to the bottle goes to the
	 * denial log (NFLOG does not hold the packet): which names answered
	 * which addresses, which names were refused. */
	ADD(out, "lo", RB_FW_ACCEPT);
	snprintf(r->out, sizeof(r->out), "lo");
	if (np->dns_enabled) {
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };

		for (size_t i = 0; i < 2; i++) {
			ADD(out, i ? "reply-tcp" : "reply-udp", RB_FW_NFLOG);
			r->src = S;
			r->dst = B;
			snprintf(r->out, sizeof(r->out), "%s", ifs->enclave);
			r->proto = protos[i];
			r->sport = 53;
			r->log_group = RB_FW_LOG_GROUP;
			snprintf(r->log_prefix, sizeof(r->log_prefix), "rb:%s", r->id);
		}
	}
	ADD(out, "est", RB_FW_ACCEPT);
	r->ctstate = RB_FW_CT_RELATED | RB_FW_CT_ESTABLISHED;
	if (np->has_uplink_dns_server && np->dns_enabled) {
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };

		for (size_t i = 0; i < 2; i++) {
			ADD(out, i ? "upstream-tcp" : "upstream-udp", RB_FW_ACCEPT);
			host32(&r->dst, np->uplink_dns_server);
			snprintf(r->out, sizeof(r->out), "%s", ifs->uplink);
			r->proto = protos[i];
			r->dport = 53;
		}
	}
	ADD(out, "out-reject", RB_FW_REJECT);

	if (log_rejects(table_find(t, RB_FW_CHAIN_EGRESS)) < 0 ||
	    log_rejects(table_find(t, RB_FW_CHAIN_FORWARD)) < 0 ||
	    log_rejects(table_find(t, RB_FW_CHAIN_INPUT)) < 0)
		goto nomem;
	table_sort(t, 3);
	return 0;
nomem:
	return -ENOMEM;
}

static int build_nat(struct rb_fw_table *t, const struct rb_nameplate *np,
		     const struct rb_fw_ifaces *ifs)
{
	struct rb_fw_chain *pre, *post;
	struct rb_fw_rule *r;
	struct rb_cidr B, S;

	host32(&B, np->bottle_ip);
	host32(&S, np->sentry_ip);
	if (table_init(t, "nat", nat_builtins, 4, NULL) < 0)
		return -ENOMEM;
	if (!table_add_chain(t, RB_FW_CHAIN_POSTROUTING, 0) || !table_add_chain(t, RB_FW_CHAIN_PREROUTING, 0))
		return -ENOMEM;
	pre = table_find(t, RB_FW_CHAIN_PREROUTING);
	post = table_find(t, RB_FW_CHAIN_POSTROUTING);
	if (!add_jump(table_find(t, "PREROUTING"), "jump", RB_FW_CHAIN_PREROUTING) ||
	    !add_jump(table_find(t, "POSTROUTING"), "jump", RB_FW_CHAIN_POSTROUTING))
		goto nomem;

	if (np->entry_enabled) {
		ADD(pre, "entry-dnat", RB_FW_DNAT);
		snprintf(r->in, sizeof(r->in), "%s", ifs->uplink);
		r->proto = IPPROTO_TCP;
		r->dport = np->entry_port_workstation;
		r->nat_ip = np->bottle_ip;
		r->nat_port = np->entry_port_enclave;
	}
	if (np->dns_intercept) {
		static const uint8_t protos[] = { IPPROTO_UDP, IPPROTO_TCP };

		for (size_t i = 0; i < 2; i++) {
			ADD(pre, i ? "intercept-tcp" : "intercept-udp", RB_FW_DNAT);
			r->src = B;
			r->dst = S;
			r->inv_dst = 1;
			snprintf(r->in, sizeof(r->in), "%s", ifs->enclave);
			r->proto = protos[i];
			r->dport = 53;
			r->nat_ip = np->sentry_ip;
			r->nat_port = 53;
		}
	}
	ADD(post, "masq", RB_FW_MASQUERADE);
	r->src = B;
	snprintf(r->out, sizeof(r->out), "%s", ifs->uplink);

	table_sort(t, 4);
	return 0;
nomem:
	return -ENOMEM;
}

int rb_fw_plan_build(const struct rb_nameplate *np, const struct rb_fw_ifaces *ifs,
		     struct rb_fw_plan **out, struct rb_err *err)
{
	struct rb_fw_plan *p = NULL;
	int rc;

	*out = NULL;
	if (rb_ifname_check("enclave interface", ifs->enclave, err) < 0 ||
	    rb_ifname_check("uplink interface", ifs->uplink, err) < 0)
		return -EINVAL;
	if (!strcmp(ifs->enclave, ifs->uplink))
		return rb_err_config(err, "enclave and uplink are the same interface \"%s\"",
				     ifs->enclave);
	p = calloc(1, sizeof(*p));
	if (!p)
		return rb_err_oom(err);
	p->n_tables = 2;
	rc = build_filter(&p->tables[0], np, ifs);
	if (rc == 0)
		rc = build_nat(&p->tables[1], np, ifs);
	if (rc == 0) {
		struct rb_fw_set *s = p->sets;

		set_init(s, RB_FW_SET_CIDR, "hash:net");
		/* with egress off the set is not referenced; keep it empty */
		if (np->access_enabled)
			rc = set_fill_cidrs(s, np);
		s++;
		/* the port sets only where a rule matches them: a nameplate
		 * without ports keeps the policy it always had */
		if (rc == 0 && np->access_enabled && np->n_pcidrs) {
			set_init(s, RB_FW_SET_CIDR_PORT, "hash:net,port");
			rc = set_fill_pcidrs(s++, np);
		}
		set_init(s, RB_FW_SET_DNS, "hash:ip");
		s++->timeout = RB_FW_DNS_TIMEOUT;
		if (np->access_enabled && !np->access_global && np->n_pdomains) {
			set_init(s, RB_FW_SET_DNS_PORT, "hash:ip,port");
			s++->timeout = RB_FW_DNS_TIMEOUT;
		}
		set_init(s++, RB_FW_SET_HOST, "hash:ip");
		p->n_sets = (size_t)(s - p->sets);
	}
	if (rc < 0) {
		rb_fw_plan_free(p);
		return rb_err_sys(err, -rc, "cannot build the firewall plan");
	}
	p->sysctls = sentry_sysctls;
	p->n_sysctls = N_ELEMENTS(sentry_sysctls);
	p->ipv6_drop = 1;
	*out = p;
	return 0;
}

void rb_fw_host_chain_names(const char *moniker, char names[RB_FW_HOST_N][RB_FW_CHAIN_MAX])
{
	snprintf(names[RB_FW_HOST_FILTER], RB_FW_CHAIN_MAX, RB_FW_CHAIN_HOST RB_FW_HOST_CHAIN_FMT, moniker);
	snprintf(names[RB_FW_HOST_ENTRY], RB_FW_CHAIN_MAX, RB_FW_CHAIN_ENTRY RB_FW_HOST_CHAIN_FMT, moniker);
	snprintf(names[RB_FW_HOST_EPOST], RB_FW_CHAIN_MAX, RB_FW_CHAIN_EPOST RB_FW_HOST_CHAIN_FMT, moniker);
}

static const char *const host_filter_hooks[] = { "INPUT", "FORWARD", "OUTPUT" };
static const char *const host_nat_hooks[] = { "PREROUTING", "OUTPUT", "POSTROUTING" };

/* The host plan's skeleton: both tables with the built-in chains it hooks,
 * no user chain yet. */
static struct rb_fw_plan *host_plan_new(const char *moniker)
{
	struct rb_fw_plan *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->host = 1;
	snprintf(p->moniker, sizeof(p->moniker), "%.12s", moniker);
	rb_fw_host_chain_names(moniker, p->host_chains);
	p->n_tables = 2;
	if (table_init(&p->tables[0], "filter", host_filter_hooks, 3, NULL) < 0 ||
	    table_init(&p->tables[1], "nat", host_nat_hooks, 3, NULL) < 0) {
		rb_fw_plan_free(p);
		return NULL;
	}
	return p;
}

int rb_fw_sentry_plan_empty(struct rb_fw_plan **out)
{
	struct rb_fw_plan *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->n_tables = 2;
	if (table_init(&p->tables[0], "filter", filter_builtins, 3, "ACCEPT") < 0 ||
	    table_init(&p->tables[1], "nat", nat_builtins, 4, NULL) < 0) {
		rb_fw_plan_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

const char *rb_fw_chain_table(const char *name)
{
	static const char *const nat[] = { RB_FW_CHAIN_PREROUTING, RB_FW_CHAIN_POSTROUTING, RB_FW_CHAIN_ENTRY, RB_FW_CHAIN_EPOST,
					   "nat-" };

	for (size_t i = 0; i < N_ELEMENTS(nat); i++) {
		size_t n = strlen(nat[i]);

		if (nat[i][n - 1] == '-' ? !strncmp(name, nat[i], n) : !strcmp(name, nat[i]))
			return "nat";
	}
	return "filter";
}

int rb_fw_host_plan_empty(const char *moniker, struct rb_fw_plan **out)
{
	*out = host_plan_new(moniker);
	return *out ? 0 : -ENOMEM;
}

/* Publishes the entry port like netavark's -p would, on an uplink where
 * podman cannot (--internal): every local address of the host, from
 * outside (PREROUTING) and from the host itself (OUTPUT), is DNATed to the
 * sentry's uplink address, which DNATs on to the bottle. */
static int build_host_nat(struct rb_fw_plan *p, const struct rb_nameplate *np,
			  struct in_addr sentry_uplink)
{
	const char *e = p->host_chains[RB_FW_HOST_ENTRY], *ep = p->host_chains[RB_FW_HOST_EPOST];
	struct rb_fw_table *t = &p->tables[1];
	struct rb_fw_rule *r;

	if (!table_add_chain(t, e, 0) || !table_add_chain(t, ep, 0))
		goto nomem;
	/* --limit-iface-in: only an address of the interface the packet came
	 * in on. With bridge-nf-call-iptables, the bottle's frames bridged to
	 * the sentry pass this hook too, with -i the enclave bridge: to the
	 * host's other addresses they must go on to the sentry and be refused
	 * there (rb:never-host), not be DNATed back into the entry path. */
	/* Each jump carries what its chain matches on that the packet's
	 * header says without a lookup (protocol, port, addresses): with
	 * many bottles a packet for none of them passes their jumps at the
	 * cost of a compare each, and pays the address type's route lookup
	 * only for its own port. */
	r = add_jump(table_find(t, "PREROUTING"), "jump", e);
	if (!r)
		goto nomem;
	r->proto = IPPROTO_TCP;
	r->dport = np->entry_port_workstation;
	r->dst_local = 1;
	r->limit_in = 1;
	r = add_jump(table_find(t, "OUTPUT"), "jump", e);
	if (!r)
		goto nomem;
	r->proto = IPPROTO_TCP;
	r->dport = np->entry_port_workstation;
	r->dst_local = 1;
	r = add_jump(table_find(t, "POSTROUTING"), "jump", ep);
	if (!r)
		goto nomem;
	if (rb_parse_cidr("127.0.0.0/8", &r->src) < 0)
		return -EINVAL;
	host32(&r->dst, sentry_uplink);
	r->proto = IPPROTO_TCP;
	ADD(table_find(t, e), "entry-host", RB_FW_DNAT);
	r->proto = IPPROTO_TCP;
	r->dport = np->entry_port_workstation;
	r->nat_ip = sentry_uplink;
	r->nat_port = np->entry_port_workstation;
	/* 127.0.0.1:WS leaves the host DNATed but with a loopback source,
	 * which nobody could answer: give it the bridge's address (with
	 * route_localnet on the uplink bridge, so it may leave at all). */
	ADD(table_find(t, ep), "entry-localhost", RB_FW_MASQUERADE);
	if (rb_parse_cidr("127.0.0.0/8", &r->src) < 0)
		return -EINVAL;
	host32(&r->dst, sentry_uplink);
	r->proto = IPPROTO_TCP;
	r->dport = np->entry_port_workstation;
	table_sort(t, 3);
	return 0;
nomem:
	return -ENOMEM;
}

int rb_fw_host_plan_build(const struct rb_nameplate *np, const char *bridge,
			  const char *uplink_bridge, struct in_addr sentry_uplink,
			  struct rb_fw_plan **out, struct rb_err *err)
{
	cleanup_fw_plan struct rb_fw_plan *p = NULL;
	struct rb_fw_table *t;
	struct rb_fw_chain *c;
	struct rb_fw_rule *r;
	const char *h;
	int rc;

	*out = NULL;
	if (rb_ifname_check("bridge", bridge, err) < 0)
		return -EINVAL;
	if (!np->moniker[0])
		return rb_err_config(err, "RBRN_MONIKER is empty");
	if (np->entry_enabled) {
		if (rb_ifname_check("uplink bridge", uplink_bridge, err) < 0)
			return -EINVAL;
		if (!sentry_uplink.s_addr)
			return rb_err_config(err, "the sentry's uplink address is unknown");
	}
	p = host_plan_new(np->moniker);
	if (!p)
		return rb_err_oom(err);
	h = p->host_chains[RB_FW_HOST_FILTER];
	t = &p->tables[0];
	if (!table_add_chain(t, h, 0))
		goto nomem;
	/* FORWARD sees bridged bottle<->sentry frames too
	 * (bridge-nf-call-iptables), with -i BR -o BR: those stay allowed.
	 * Every rule of the chain names the bridge in or out, and so do the
	 * jumps: a packet of another bottle, or of nobody's, passes them on an
	 * interface compare each, never entering the chain (with many bottles
	 * on a host, what each adds to every packet stays a compare). */
	r = add_jump(table_find(t, "INPUT"), "jump", h);
	if (!r)
		goto nomem;
	snprintf(r->in, sizeof(r->in), "%s", bridge);
	r = add_jump(table_find(t, "FORWARD"), "jump", h);
	if (!r)
		goto nomem;
	snprintf(r->in, sizeof(r->in), "%s", bridge);
	r = add_jump(table_find(t, "FORWARD"), "jump", h);
	if (!r)
		goto nomem;
	snprintf(r->out, sizeof(r->out), "%s", bridge);
	c = table_find(t, h);
	ADD(c, "host-bridged", RB_FW_ACCEPT);
	snprintf(r->in, sizeof(r->in), "%s", bridge);
	snprintf(r->out, sizeof(r->out), "%s", bridge);
	/* in INPUT there is no output interface, so this also drops every
	 * packet from the enclave addressed to the host itself */
	ADD(c, "host-from-enclave", RB_FW_DROP);
	snprintf(r->in, sizeof(r->in), "%s", bridge);
	snprintf(r->out, sizeof(r->out), "%s", bridge);
	r->inv_out = 1;
	ADD(c, "host-to-enclave", RB_FW_DROP);
	snprintf(r->in, sizeof(r->in), "%s", bridge);
	snprintf(r->out, sizeof(r->out), "%s", bridge);
	r->inv_in = 1;
	if (np->entry_enabled) {
		rc = build_host_nat(p, np, sentry_uplink);
		if (rc < 0)
			return rb_err_sys(err, -rc, "cannot build the host plan");
		/* like sysctl(8), a key with '/' is a path: names with dots */
		snprintf(p->host_sysctl_key, sizeof(p->host_sysctl_key),
			 strchr(uplink_bridge, '.') ? "net/ipv4/conf/%s/route_localnet" :
						      "net.ipv4.conf.%s.route_localnet",
			 uplink_bridge);
		p->host_sysctl.key = p->host_sysctl_key;
		p->host_sysctl.value = "1";
		p->sysctls = &p->host_sysctl;
		p->n_sysctls = 1;
	}
	*out = steal_pointer(&p);
	return 0;
nomem:
	return rb_err_oom(err);
}

int rb_fw_plan_host_addrs(struct rb_fw_plan *plan, const struct in_addr *addrs, size_t n,
			  struct rb_err *err)
{
	struct rb_fw_set *s = NULL;
	struct rb_cidr *m;

	for (size_t i = 0; i < plan->n_sets; i++)
		if (!strcmp(plan->sets[i].name, RB_FW_SET_HOST))
			s = &plan->sets[i];
	if (!s)
		return rb_err_config(err, "not a sentry plan: no set %s", RB_FW_SET_HOST);
	m = calloc(n + 1, sizeof(*m));
	if (!m)
		return rb_err_oom(err);
	for (size_t i = 0; i < n; i++)
		host32(&m[i], addrs[i]);
	free(s->members);
	s->members = m;
	s->n_members = n;
	plan->host_addrs_known = 1;
	return 0;
}

int rb_fw_plan_backend_fit(struct rb_fw_plan *plan, enum rb_fw_backend b)
{
	int dropped = 0;

	if (plan->host || b != RB_FW_BACKEND_NFT || rb_nft_queue_supported())
		return 0;
	for (size_t i = 0; i < plan->n_tables; i++) {
		for (size_t j = 0; j < plan->tables[i].n_chains; j++) {
			struct rb_fw_chain *c = &plan->tables[i].chains[j];
			size_t k = 0;

			for (size_t n = 0; n < c->n_rules; n++) {
				if (c->rules[n].verdict == RB_FW_QUEUE) {
					dropped = 1;
					continue;
				}
				c->rules[k++] = c->rules[n];
			}
			c->n_rules = k;
		}
	}
	return dropped;
}

void rb_fw_plan_free(struct rb_fw_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n_tables; i++) {
		for (size_t j = 0; j < plan->tables[i].n_chains; j++)
			free(plan->tables[i].chains[j].rules);
		free(plan->tables[i].chains);
	}
	for (size_t i = 0; i < plan->n_sets; i++) {
		free(plan->sets[i].members);
		free(plan->sets[i].ports);
	}
	free(plan);
}

int rb_fw_plan_owns(const struct rb_fw_plan *plan, const char *name)
{
	if (plan->host) {
		for (size_t i = 0; i < RB_FW_HOST_N; i++)
			if (!strcmp(name, plan->host_chains[i]))
				return 1;
		return 0;
	}
	/* the host chains' prefixes: never a sentry chain */
	return RB_FW_PREFIXED(name, RB_FW_CHAIN_PREFIX) && !RB_FW_PREFIXED(name, RB_FW_CHAIN_HOST) &&
	       !RB_FW_PREFIXED(name, RB_FW_CHAIN_ENTRY) && !RB_FW_PREFIXED(name, RB_FW_CHAIN_EPOST);
}

void rb_fw_quote(const char *s, char *buf, size_t len)
{
	static const char plain[] = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	size_t n = strspn(s, plain), o = 0;

	if (len == 0)
		return;
	if (n > 0 && s[n] == '\0') {
		snprintf(buf, len, "%s", s);
		return;
	}
	buf[o++] = '"';
	for (; *s && o + 3 < len; s++) {
		if (*s == '"' || *s == '\\' || *s == '\'')
			buf[o++] = '\\';
		buf[o++] = *s;
	}
	if (o + 1 < len)
		buf[o++] = '"';
	buf[o] = '\0';
}

static void sb_cidr(struct rb_sbuf *b, const char *opt, const struct rb_cidr *c, int inv)
{
	char a[INET_ADDRSTRLEN];

	if (c->prefix == 0 && !inv)
		return;
	inet_ntop(AF_INET, &c->addr, a, sizeof(a));
	rb_sbuf_add(b, "%s %s %s/%u", inv ? " !" : "", opt, a, c->prefix);
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return NULL;
	}
}

static void sb_ctstate(struct rb_sbuf *b, unsigned int st)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ RB_FW_CT_INVALID, "INVALID" },
		{ RB_FW_CT_NEW, "NEW" },
		{ RB_FW_CT_RELATED, "RELATED" },
		{ RB_FW_CT_ESTABLISHED, "ESTABLISHED" },
		{ RB_FW_CT_DNAT, "DNAT" },
	};
	const char *sep = " ";

	rb_sbuf_add(b, " -m conntrack --ctstate");
	for (size_t i = 0; i < N_ELEMENTS(names); i++) {
		if (st & names[i].bit) {
			rb_sbuf_add(b, "%s%s", sep, names[i].name);
			sep = ",";
		}
	}
}

/* Mirrors iptables-legacy-save: addresses, interfaces, protocol, then the
 * matches in entry order (protocol match, conntrack, set, addrtype, comment), then the
 * target. fw_xt_codec.c encodes the matches in this same order. */
int rb_fw_rule_format(const char *chain, const struct rb_fw_rule *r, char *buf, size_t len)
{
	struct rb_sbuf b = { buf, len, 0, 0 };
	char q[128], cm[64];

	rb_sbuf_add(&b, "-A %s", chain);
	sb_cidr(&b, "-s", &r->src, r->inv_src);
	sb_cidr(&b, "-d", &r->dst, r->inv_dst);
	if (r->in[0])
		rb_sbuf_add(&b, "%s -i %s", r->inv_in ? " !" : "", r->in);
	if (r->out[0])
		rb_sbuf_add(&b, "%s -o %s", r->inv_out ? " !" : "", r->out);
	if (r->proto) {
		const char *pn = proto_name(r->proto);

		if (pn)
			rb_sbuf_add(&b, " -p %s", pn);
		else
			rb_sbuf_add(&b, " -p %u", r->proto);
	}
	if ((r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && (r->dport || r->sport)) {
		rb_sbuf_add(&b, " -m %s", proto_name(r->proto));
		if (r->sport)
			rb_sbuf_add(&b, " --sport %u", r->sport);
		if (r->dport)
			rb_sbuf_add(&b, " --dport %u", r->dport);
	}
	if (r->proto == IPPROTO_ICMP && r->icmp_type >= 0)
		rb_sbuf_add(&b, " -m icmp --icmp-type %d", r->icmp_type);
	if (r->ctstate)
		sb_ctstate(&b, r->ctstate);
	if (r->set[0])
		rb_sbuf_add(&b, " -m set --match-set %s %s", r->set, r->set_port ? "dst,dst" : "dst");
	if (r->dst_local)
		rb_sbuf_add(&b, " -m addrtype --dst-type LOCAL%s", r->limit_in ? " --limit-iface-in" : "");
	if (r->limit_rate) {
		rb_sbuf_add(&b, " -m limit --limit %u/sec", r->limit_rate);
		if (r->limit_burst != 5) /* xt_limit's default, which save leaves out */
			rb_sbuf_add(&b, " --limit-burst %u", r->limit_burst);
	}
	if (r->id[0]) {
		snprintf(cm, sizeof(cm), "rb:%s", r->id);
		rb_fw_quote(cm, q, sizeof(q));
		rb_sbuf_add(&b, " -m comment --comment %s", q);
	}
	switch (r->verdict) {
	case RB_FW_ACCEPT:
		rb_sbuf_add(&b, " -j ACCEPT");
		break;
	case RB_FW_DROP:
		rb_sbuf_add(&b, " -j DROP");
		break;
	case RB_FW_JUMP:
		rb_sbuf_add(&b, " -j %s", r->jump);
		break;
	case RB_FW_REJECT:
		rb_sbuf_add(&b, " -j REJECT --reject-with %s",
		       r->reject == RB_FW_REJECT_TCP_RESET ? "tcp-reset" : "icmp-port-unreachable");
		break;
	case RB_FW_DNAT: {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &r->nat_ip, a, sizeof(a));
		if (r->nat_port)
			rb_sbuf_add(&b, " -j DNAT --to-destination %s:%u", a, r->nat_port);
		else
			rb_sbuf_add(&b, " -j DNAT --to-destination %s", a);
		break;
	}
	case RB_FW_MASQUERADE:
		rb_sbuf_add(&b, " -j MASQUERADE");
		break;
	case RB_FW_QUEUE:
		rb_sbuf_add(&b, " -j NFQUEUE --queue-num %u", r->queue);
		break;
	case RB_FW_NFLOG:
		rb_fw_quote(r->log_prefix, q, sizeof(q));
		rb_sbuf_add(&b, " -j NFLOG --nflog-prefix %s --nflog-group %u", q, r->log_group);
		break;
	}
	return b.overflow ? -ENOSPC : 0;
}

static int print_table(const struct rb_fw_plan *plan, const struct rb_fw_table *t, FILE *out)
{
	char line[512];

	fprintf(out, "*%s\n", t->name);
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct rb_fw_chain *c = &t->chains[i];

		if (c->builtin)
			fprintf(out, ":%s %s [0:0]\n", c->name, c->policy ? c->policy : "ACCEPT");
		else
			fprintf(out, ":%s - [0:0]\n", c->name);
	}
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct rb_fw_chain *c = &t->chains[i];

		if (c->builtin && !c->policy && plan->host && c->n_rules)
			fprintf(out, "# %s: policy left as it is\n", c->name);
		for (size_t j = 0; j < c->n_rules; j++) {
			if (rb_fw_rule_format(c->name, &c->rules[j], line, sizeof(line)) < 0)
				return -ENOSPC;
			fprintf(out, "%s\n", line);
		}
	}
	fprintf(out, "COMMIT\n");
	return 0;
}

int rb_fw_plan_print(const struct rb_fw_plan *plan, FILE *out)
{
	char m[64];
	int rc;

	for (size_t i = 0; i < plan->n_sets; i++) {
		const struct rb_fw_set *s = &plan->sets[i];

		if (s->timeout)
			fprintf(out, "# ipset create %s %s family inet timeout %u\n", s->name, s->type,
				s->timeout);
		else
			fprintf(out, "# ipset create %s %s family inet\n", s->name, s->type);
		for (size_t j = 0; j < s->n_members; j++) {
			rb_fw_member_str(s, j, m, sizeof(m));
			fprintf(out, "# ipset add %s %s\n", s->name, m);
		}
	}
	for (size_t i = 0; i < plan->n_sysctls; i++)
		fprintf(out, "# sysctl %s=%s\n", plan->sysctls[i].key, plan->sysctls[i].value);
	for (size_t i = 0; plan->ipv6_drop && i < 3; i++)
		fprintf(out, "# ip6tables -t filter -P %s DROP\n", filter_builtins[i]);
	for (size_t i = 0; i < plan->n_tables; i++) {
		rc = print_table(plan, &plan->tables[i], out);
		if (rc < 0)
			return rc;
	}
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
}
