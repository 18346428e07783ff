/* The nft codec: the plan as nft text. Every rule is written in the form
 * `nft -s list` prints it back (nft keeps expressions in the order given
 * and leaves out only the dependencies it added itself), so what --dry-run
 * prints, what is committed and what --check reads back compare as text. */
#include "fw_nft.h"
#include "utils.h"
#include "sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static void tb_addr(struct rb_sbuf *b, const char *key, const struct rb_cidr *c, int inv)
{
	char a[INET_ADDRSTRLEN];

	if (c->prefix == 0 && !inv)
		return;
	inet_ntop(AF_INET, &c->addr, a, sizeof(a));
	if (c->prefix == 32)
		rb_sbuf_add(b, "%s %s%s ", key, inv ? "!= " : "", a);
	else
		rb_sbuf_add(b, "%s %s%s/%u ", key, inv ? "!= " : "", a, c->prefix);
}

static const char *l4_name(uint8_t p)
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

/* nft prints the ICMP types it knows by name */
static const char *icmp_name(int type)
{
	switch (type) {
	case 0:
		return "echo-reply";
	case 3:
		return "destination-unreachable";
	case 8:
		return "echo-request";
	case 11:
		return "time-exceeded";
	default:
		return NULL;
	}
}

/* A match on an IPv4 header field: with one, nft needs no "meta nfproto
 * ipv4" of its own before an ICMP reject. */
static int has_ip4(const struct rb_fw_rule *r)
{
	int l4_port = (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && (r->dport || r->sport);

	return r->src.prefix || r->inv_src || r->dst.prefix || r->inv_dst || r->set[0] ||
	       (r->proto && !l4_port);
}

int rb_nft_rule_format(const struct rb_fw_rule *r, char *buf, size_t len)
{
	/* the order nft prints the conntrack states in */
	static const struct {
		unsigned int bit;
		const char *name;
	} states[] = {
		{ RB_FW_CT_INVALID, "invalid" },
		{ RB_FW_CT_ESTABLISHED, "established" },
		{ RB_FW_CT_RELATED, "related" },
		{ RB_FW_CT_NEW, "new" },
	};
	struct rb_sbuf b = { buf, len, 0, 0 };
	const char *pn = l4_name(r->proto);

	if (len)
		buf[0] = '\0';
	/* nft adds these dependencies of the reject statement at the front */
	if (r->verdict == RB_FW_REJECT && r->reject == RB_FW_REJECT_PORT && !has_ip4(r))
		rb_sbuf_add(&b, "meta nfproto ipv4 ");
	if (r->verdict == RB_FW_REJECT && r->reject == RB_FW_REJECT_TCP_RESET &&
	    r->proto != IPPROTO_TCP)
		rb_sbuf_add(&b, "meta l4proto tcp ");
	tb_addr(&b, "ip saddr", &r->src, r->inv_src);
	tb_addr(&b, "ip daddr", &r->dst, r->inv_dst);
	if (r->in[0])
		rb_sbuf_add(&b, "iifname %s\"%s\" ", r->inv_in ? "!= " : "", r->in);
	if (r->out[0])
		rb_sbuf_add(&b, "oifname %s\"%s\" ", r->inv_out ? "!= " : "", r->out);
	if ((r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && (r->dport || r->sport)) {
		if (r->sport)
			rb_sbuf_add(&b, "%s sport %u ", pn, r->sport);
		if (r->dport)
			rb_sbuf_add(&b, "%s dport %u ", pn, r->dport);
	} else if (r->proto == IPPROTO_ICMP && r->icmp_type >= 0) {
		if (icmp_name(r->icmp_type))
			rb_sbuf_add(&b, "icmp type %s ", icmp_name(r->icmp_type));
		else
			rb_sbuf_add(&b, "icmp type %d ", r->icmp_type);
	} else if (r->proto) {
		if (pn)
			rb_sbuf_add(&b, "ip protocol %s ", pn);
		else
			rb_sbuf_add(&b, "ip protocol %u ", r->proto);
	}
	if (r->ctstate & ~(unsigned int)RB_FW_CT_DNAT) {
		const char *sep = "ct state ";

		for (size_t i = 0; i < N_ELEMENTS(states); i++) {
			if (r->ctstate & states[i].bit) {
				rb_sbuf_add(&b, "%s%s", sep, states[i].name);
				sep = ",";
			}
		}
		rb_sbuf_add(&b, " ");
	}
	if (r->ctstate & RB_FW_CT_DNAT)
		rb_sbuf_add(&b, "ct status dnat ");
	if (r->set[0] && r->set_port)
		rb_sbuf_add(&b, "ip daddr . meta l4proto . th dport @%s ", r->set);
	else if (r->set[0])
		rb_sbuf_add(&b, "ip daddr @%s ", r->set);
	if (r->dst_local)
		rb_sbuf_add(&b, "fib daddr %stype local ", r->limit_in ? ". iif " : "");
	if (r->limit_rate) {
		rb_sbuf_add(&b, "limit rate %u/second ", r->limit_rate);
		if (r->limit_burst != 5) /* nft's default, which it leaves out */
			rb_sbuf_add(&b, "burst %u packets ", r->limit_burst);
	}
	rb_sbuf_add(&b, "counter ");
	switch (r->verdict) {
	case RB_FW_ACCEPT:
		rb_sbuf_add(&b, "accept");
		break;
	case RB_FW_DROP:
		rb_sbuf_add(&b, "drop");
		break;
	case RB_FW_JUMP:
		rb_sbuf_add(&b, "jump %s", r->jump);
		break;
	case RB_FW_REJECT:
		rb_sbuf_add(&b, "reject with %s",
		       r->reject == RB_FW_REJECT_TCP_RESET ? "tcp reset" : "icmp port-unreachable");
		break;
	case RB_FW_DNAT: {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &r->nat_ip, a, sizeof(a));
		if (r->nat_port)
			rb_sbuf_add(&b, "dnat ip to %s:%u", a, r->nat_port);
		else
			rb_sbuf_add(&b, "dnat ip to %s", a);
		break;
	}
	case RB_FW_MASQUERADE:
		rb_sbuf_add(&b, "masquerade");
		break;
	case RB_FW_QUEUE:
		/* nft (1.0 on) lists it "queue to N", whatever it was given:
		 * written so, --check finds it unchanged (found by check-vm) */
		rb_sbuf_add(&b, "queue to %u", r->queue);
		break;
	case RB_FW_NFLOG:
		rb_sbuf_add(&b, "log prefix \"%s\" group %u", r->log_prefix, r->log_group);
		break;
	}
	if (r->id[0])
		rb_sbuf_add(&b, " comment \"rb:%s\"", r->id);
	return b.overflow ? -ENOSPC : 0;
}

void rb_nft_table_name(const struct rb_fw_plan *plan, char *buf, size_t len)
{
	if (plan->host)
		snprintf(buf, len, "%s-%s", RB_FW_NFT_TABLE, plan->moniker);
	else
		snprintf(buf, len, "%s", RB_FW_NFT_TABLE);
}

struct hook {
	const char *builtin, *hook, *filter_prio, *nat_prio;
};

static const struct hook hooks[] = {
	{ "PREROUTING", "prerouting", "filter", "dstnat" },
	{ "INPUT", "input", "filter", "100" },
	{ "FORWARD", "forward", "filter", NULL },
	{ "OUTPUT", "output", "filter", "-100" },
	{ "POSTROUTING", "postrouting", "filter", "srcnat" },
};

static const struct hook *hook_of(const char *builtin)
{
	for (size_t i = 0; i < N_ELEMENTS(hooks); i++)
		if (!strcmp(hooks[i].builtin, builtin))
			return &hooks[i];
	return NULL;
}

/* A built-in chain of table t becomes base chain "<table>-<hook>", e.g.
 * filter-input, nat-prerouting: both plan tables share one inet table. */
static int base_chain(FILE *f, const struct rb_fw_plan *plan, const struct rb_fw_table *t,
		      const struct rb_fw_chain *c)
{
	const struct hook *h = hook_of(c->name);
	int nat = !strcmp(t->name, "nat");
	const char *prio = h ? (nat ? h->nat_prio : h->filter_prio) : NULL;
	const char *policy = c->policy && !strcmp(c->policy, "DROP") ? "drop" : "accept";
	char line[512];

	if (!prio)
		return -EINVAL;
	/* a hook without rules and without a policy of ours is not hooked */
	if (!c->n_rules && !c->policy)
		return 0;
	fprintf(f, "\tchain %s-%s {\n", t->name, h->hook);
	fprintf(f, "\t\ttype %s hook %s priority %s; policy %s;\n", nat ? "nat" : "filter",
		h->hook, prio, policy);
	/* before anything that could accept (lo, established): the policy
	 * says no IPv6 at all, whatever a rule below matches */
	if (plan->ipv6_drop && !nat)
		fprintf(f, "\t\tmeta nfproto ipv6 counter drop comment \"rb:ipv6\"\n");
	for (size_t j = 0; j < c->n_rules; j++) {
		if (rb_nft_rule_format(&c->rules[j], line, sizeof(line)) < 0)
			return -ENOSPC;
		fprintf(f, "\t\t%s\n", line);
	}
	fprintf(f, "\t}\n");
	return 0;
}

/* Seconds the way nft prints them: 900 is "15m", 5400 "1h30m". A set
 * with a default timeout has the timeout flag implied, and nft lists no
 * flags line for it. */
static const char *nft_time(uint32_t sec, char *buf, size_t len)
{
	static const struct {
		uint32_t n;
		char unit;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < N_ELEMENTS(units) && o < len; i++) {
		if (sec < units[i].n)
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%u%c", sec / units[i].n, units[i].unit);
		sec %= units[i].n;
	}
	return buf;
}

/* Element j of a ported set: "a.b.c.d/p . tcp . 443" (a /32 without its
 * prefix), the way nft lists it. */
static void port_elem(const struct rb_fw_set *s, size_t j, char *buf, size_t len)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &s->members[j].addr, a, sizeof(a));
	if (s->members[j].prefix != 32)
		snprintf(buf, len, "%s/%u . %s . %u", a, s->members[j].prefix,
			 s->ports[j].proto == IPPROTO_UDP ? "udp" : "tcp", s->ports[j].port);
	else
		snprintf(buf, len, "%s . %s . %u", a,
			 s->ports[j].proto == IPPROTO_UDP ? "udp" : "tcp", s->ports[j].port);
}

/* (address, protocol, port) elements: an interval set for CIDRs, one with
 * a timeout for learned answers. No auto-merge: nft has none for
 * concatenations, and the plan's elements never overlap. */
static void port_set_text(FILE *f, const struct rb_fw_set *s)
{
	char t[32], e[64];

	fprintf(f, "\tset %s {\n\t\ttype %s\n", s->name, RB_FW_NFT_SET_PORT_TYPE);
	if (s->timeout)
		fprintf(f, "\t\ttimeout %s\n", nft_time(s->timeout, t, sizeof(t)));
	else
		fprintf(f, "\t\tflags interval\n");
	for (size_t j = 0; j < s->n_members; j++) {
		port_elem(s, j, e, sizeof(e));
		fprintf(f, "%s%s", j ? ", " : "\t\telements = { ", e);
	}
	if (s->n_members)
		fprintf(f, " }\n");
	fprintf(f, "\t}\n");
}

int rb_nft_port_elem(const struct rb_fw_set *s, size_t j, char *buf, size_t len)
{
	if (!s->ports || j >= s->n_members)
		return -EINVAL;
	port_elem(s, j, buf, len);
	return 0;
}

int rb_nft_set_intervals(const struct rb_fw_set *s)
{
	return !strcmp(s->type, "hash:net") && !rb_fw_set_ported(s);
}

static void set_text(FILE *f, const struct rb_fw_set *s, unsigned int how)
{
	char a[INET_ADDRSTRLEN], t[32];
	int interval = !strcmp(s->type, "hash:net");
	size_t n = s->n_members;

	if (rb_fw_set_ported(s)) {
		port_set_text(f, s);
		return;
	}
	fprintf(f, "\tset %s {\n\t\ttype ipv4_addr\n", s->name);
	/* auto-merge: overlapping CIDRs of a nameplate are one interval */
	if (interval)
		fprintf(f, "\t\tflags interval\n\t\tauto-merge\n");
	else if (s->timeout)
		fprintf(f, "\t\ttimeout %s\n", nft_time(s->timeout, t, sizeof(t)));
	else if (!strcmp(s->name, RB_FW_SET_DNS))
		fprintf(f, "\t\tflags %s\n", RB_FW_NFT_SET_DNS_FLAGS);
	if ((how & RB_NFT_TEXT_NO_INTERVALS) && rb_nft_set_intervals(s))
		n = 0;
	for (size_t j = 0; j < n; j++) {
		inet_ntop(AF_INET, &s->members[j].addr, a, sizeof(a));
		fprintf(f, "%s%s", j ? ", " : "\t\telements = { ", a);
		if (interval && s->members[j].prefix != 32)
			fprintf(f, "/%u", s->members[j].prefix);
	}
	if (n)
		fprintf(f, " }\n");
	fprintf(f, "\t}\n");
}

int rb_nft_plan_text(const struct rb_fw_plan *plan, unsigned int how, char **out)
{
	char name[64], *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	*out = NULL;
	rb_nft_table_name(plan, name, sizeof(name));
	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	/* create-if-missing, delete, define: one transaction that replaces
	 * the table whether or not it was there */
	if (how & RB_NFT_TEXT_REPLACE)
		fprintf(f, "table %s %s {\n}\ndelete table %s %s\n", RB_FW_NFT_FAMILY, name,
			RB_FW_NFT_FAMILY, name);
	fprintf(f, "table %s %s {\n", RB_FW_NFT_FAMILY, name);
	for (size_t i = 0; i < plan->n_sets; i++)
		set_text(f, &plan->sets[i], how);
	for (size_t i = 0; rc == 0 && i < plan->n_tables; i++) {
		const struct rb_fw_table *t = &plan->tables[i];

		for (size_t j = 0; rc == 0 && j < t->n_chains; j++)
			if (t->chains[j].builtin)
				rc = base_chain(f, plan, t, &t->chains[j]);
		for (size_t j = 0; rc == 0 && j < t->n_chains; j++) {
			const struct rb_fw_chain *c = &t->chains[j];
			char line[512];

			if (c->builtin)
				continue;
			fprintf(f, "\tchain %s {\n", c->name);
			for (size_t k = 0; rc == 0 && k < c->n_rules; k++) {
				rc = rb_nft_rule_format(&c->rules[k], line, sizeof(line));
				if (rc == 0)
					fprintf(f, "\t\t%s\n", line);
			}
			fprintf(f, "\t}\n");
		}
	}
	fprintf(f, "}\n");
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}
