/* The xtables codec: a plan rule encoded into an ipt_entry for libiptc,
 * and a live ipt_entry decoded back into rb's save-syntax text. */
#include "fw_xt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_NFLOG.h>
#include <linux/netfilter/xt_NFQUEUE.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_limit.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rb_xt_err(const char *(*words)(int), struct rb_err *err, const char *fmt, ...)
{
	int e = errno ? errno : EPROTO;
	char what[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	return rb_err_lib(err, -e, words(e), "%s", what);
}

int rb_xt_fail(struct rb_err *err, const char *table, const char *what)
{
	return rb_xt_err(iptc_strerror, err, "cannot %s in table \"%s\"", what, table);
}

/* ---- encoding ---------------------------------------------------------- */

struct ebuf {
	unsigned char *p;
	size_t size;
};

static void *ebuf_grow(struct ebuf *b, size_t n)
{
	unsigned char *p = realloc(b->p, b->size + n);

	if (!p)
		return NULL;
	memset(p + b->size, 0, n);
	b->p = p;
	b->size += n;
	return p + b->size - n;
}

static int add_match(struct ebuf *b, const char *name, uint8_t rev, const void *data, size_t len)
{
	size_t sz = XT_ALIGN(sizeof(struct xt_entry_match)) + XT_ALIGN(len);
	struct xt_entry_match *m = ebuf_grow(b, sz);

	if (!m)
		return -ENOMEM;
	m->u.user.match_size = (uint16_t)sz;
	snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
	m->u.user.revision = rev;
	memcpy(m->data, data, len);
	return 0;
}

static int add_target(struct ebuf *b, const char *name, uint8_t rev, const void *data, size_t len)
{
	size_t sz = XT_ALIGN(sizeof(struct xt_entry_target)) + XT_ALIGN(len);
	struct xt_entry_target *t = ebuf_grow(b, sz);

	if (!t)
		return -ENOMEM;
	t->u.user.target_size = (uint16_t)sz;
	snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
	t->u.user.revision = rev;
	if (len)
		memcpy(t->data, data, len);
	return 0;
}

static void set_iface(const char *name, char *via, unsigned char *mask)
{
	size_t n = strnlen(name, IFNAMSIZ - 1);

	memcpy(via, name, n + 1);
	memset(mask, 0xff, n + 1);
}

static void set_addr(const struct rb_cidr *c, struct in_addr *a, struct in_addr *m)
{
	a->s_addr = c->addr.s_addr;
	m->s_addr = htonl(rb_prefix_mask(c->prefix));
}

static unsigned int ct_bits(unsigned int st)
{
	unsigned int bits = 0;

	if (st & RB_FW_CT_INVALID)
		bits |= XT_CONNTRACK_STATE_INVALID;
	if (st & RB_FW_CT_NEW)
		bits |= XT_CONNTRACK_STATE_BIT(IP_CT_NEW);
	if (st & RB_FW_CT_RELATED)
		bits |= XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
	if (st & RB_FW_CT_ESTABLISHED)
		bits |= XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED);
	if (st & RB_FW_CT_DNAT)
		bits |= XT_CONNTRACK_STATE_DNAT;
	return bits;
}

int rb_xt_rule_encode(const struct rb_fw_rule *r, struct ipt_entry **out, struct rb_err *err)
{
	struct ebuf b = { NULL, 0 };
	struct ipt_entry *e;
	int rc = -ENOMEM;

	*out = NULL;
	if (!ebuf_grow(&b, XT_ALIGN(sizeof(struct ipt_entry))))
		goto nomem;
	e = (struct ipt_entry *)b.p;
	set_addr(&r->src, &e->ip.src, &e->ip.smsk);
	set_addr(&r->dst, &e->ip.dst, &e->ip.dmsk);
	if (r->inv_src)
		e->ip.invflags |= IPT_INV_SRCIP;
	if (r->inv_dst)
		e->ip.invflags |= IPT_INV_DSTIP;
	if (r->in[0])
		set_iface(r->in, e->ip.iniface, e->ip.iniface_mask);
	if (r->out[0])
		set_iface(r->out, e->ip.outiface, e->ip.outiface_mask);
	if (r->inv_in)
		e->ip.invflags |= IPT_INV_VIA_IN;
	if (r->inv_out)
		e->ip.invflags |= IPT_INV_VIA_OUT;
	e->ip.proto = r->proto;

	if (r->proto == IPPROTO_TCP && (r->dport || r->sport)) {
		struct xt_tcp tcp = { .spts = { 0, 0xffff }, .dpts = { 0, 0xffff } };

		if (r->sport)
			tcp.spts[0] = tcp.spts[1] = r->sport;
		if (r->dport)
			tcp.dpts[0] = tcp.dpts[1] = r->dport;
		if (add_match(&b, "tcp", 0, &tcp, sizeof(tcp)) < 0)
			goto nomem;
	} else if (r->proto == IPPROTO_UDP && (r->dport || r->sport)) {
		struct xt_udp udp = { .spts = { 0, 0xffff }, .dpts = { 0, 0xffff } };

		if (r->sport)
			udp.spts[0] = udp.spts[1] = r->sport;
		if (r->dport)
			udp.dpts[0] = udp.dpts[1] = r->dport;

		if (add_match(&b, "udp", 0, &udp, sizeof(udp)) < 0)
			goto nomem;
	} else if (r->proto == IPPROTO_ICMP && r->icmp_type >= 0) {
		struct ipt_icmp icmp = { .type = (uint8_t)r->icmp_type, .code = { 0, 0xff } };

		if (add_match(&b, "icmp", 0, &icmp, sizeof(icmp)) < 0)
			goto nomem;
	}
	if (r->ctstate) {
		struct xt_conntrack_mtinfo3 ct;

		memset(&ct, 0, sizeof(ct));
		ct.match_flags = XT_CONNTRACK_STATE;
		ct.state_mask = (uint16_t)ct_bits(r->ctstate);
		if (add_match(&b, "conntrack", 3, &ct, sizeof(ct)) < 0)
			goto nomem;
	}
	if (r->set[0]) {
		/* rev 4: iptables-legacy-save prints only the newest revision */
		struct xt_set_info_match_v4 si;
		uint16_t idx;

		rc = rb_ipset_index(r->set, &idx, err);
		if (rc < 0)
			goto out;
		memset(&si, 0, sizeof(si));
		si.match_set.index = idx;
		/* dst, or dst,dst: the second dimension is the port (and the
		 * protocol the element names) */
		si.match_set.dim = r->set_port ? 2 : 1;
		si.match_set.flags = 0; /* a set bit would be src */
		si.packets.op = IPSET_COUNTER_NONE;
		si.bytes.op = IPSET_COUNTER_NONE;
		if (add_match(&b, "set", 4, &si, sizeof(si)) < 0)
			goto nomem;
	}
	if (r->dst_local) {
		/* rev 1, the one iptables-legacy-save prints */
		struct xt_addrtype_info_v1 at = { .dest = XT_ADDRTYPE_LOCAL };

		if (r->limit_in)
			at.flags = XT_ADDRTYPE_LIMIT_IFACE_IN;

		if (add_match(&b, "addrtype", 1, &at, sizeof(at)) < 0)
			goto nomem;
	}
	if (r->limit_rate) {
		struct xt_rateinfo ri;

		memset(&ri, 0, sizeof(ri));
		ri.avg = XT_LIMIT_SCALE / r->limit_rate;
		ri.burst = r->limit_burst;
		if (add_match(&b, "limit", 0, &ri, sizeof(ri)) < 0)
			goto nomem;
	}
	if (r->id[0]) {
		struct xt_comment_info ci;

		memset(&ci, 0, sizeof(ci));
		snprintf(ci.comment, sizeof(ci.comment), "rb:%s", r->id);
		if (add_match(&b, "comment", 0, &ci, sizeof(ci)) < 0)
			goto nomem;
	}
	e = (struct ipt_entry *)b.p;
	e->target_offset = (uint16_t)b.size;

	switch (r->verdict) {
	case RB_FW_ACCEPT:
	case RB_FW_DROP:
	case RB_FW_JUMP: {
		/* libiptc maps a label (ACCEPT, DROP, a chain) to the verdict */
		int verdict = 0;
		const char *label = r->verdict == RB_FW_ACCEPT ? IPTC_LABEL_ACCEPT :
				    r->verdict == RB_FW_DROP   ? IPTC_LABEL_DROP :
								 r->jump;

		if (add_target(&b, label, 0, &verdict, sizeof(verdict)) < 0)
			goto nomem;
		break;
	}
	case RB_FW_REJECT: {
		struct ipt_reject_info ri = { r->reject == RB_FW_REJECT_TCP_RESET ?
						      IPT_TCP_RESET :
						      IPT_ICMP_PORT_UNREACHABLE };

		if (add_target(&b, "REJECT", 0, &ri, sizeof(ri)) < 0)
			goto nomem;
		break;
	}
	case RB_FW_DNAT: {
		/* rev 2, the one iptables-legacy-save prints */
		struct nf_nat_range2 nr;

		memset(&nr, 0, sizeof(nr));
		nr.flags = NF_NAT_RANGE_MAP_IPS;
		nr.min_addr.ip = r->nat_ip.s_addr;
		nr.max_addr.ip = r->nat_ip.s_addr;
		if (r->nat_port) {
			nr.flags |= NF_NAT_RANGE_PROTO_SPECIFIED;
			nr.min_proto.tcp.port = htons(r->nat_port);
			nr.max_proto.tcp.port = htons(r->nat_port);
		}
		if (add_target(&b, "DNAT", 2, &nr, sizeof(nr)) < 0)
			goto nomem;
		break;
	}
	case RB_FW_MASQUERADE: {
		struct nf_nat_ipv4_multi_range_compat nr;

		memset(&nr, 0, sizeof(nr));
		nr.rangesize = 1;
		if (add_target(&b, "MASQUERADE", 0, &nr, sizeof(nr)) < 0)
			goto nomem;
		break;
	}
	case RB_FW_QUEUE: {
		/* rev 3, the one iptables-legacy-save prints; no bypass flag:
		 * with nobody bound to the queue, packets are dropped */
		struct xt_NFQ_info_v3 qi = { .queuenum = r->queue, .queues_total = 1 };

		if (add_target(&b, "NFQUEUE", 3, &qi, sizeof(qi)) < 0)
			goto nomem;
		break;
	}
	case RB_FW_NFLOG: {
		struct xt_nflog_info li;

		memset(&li, 0, sizeof(li));
		li.group = r->log_group;
		snprintf(li.prefix, sizeof(li.prefix), "%s", r->log_prefix);
		if (add_target(&b, "NFLOG", 0, &li, sizeof(li)) < 0)
			goto nomem;
		break;
	}
	}
	e = (struct ipt_entry *)b.p;
	e->next_offset = (uint16_t)b.size;
	*out = e;
	return 0;
nomem:
	rc = rb_err_oom(err);
out:
	free(b.p);
	return rc;
}

/* ---- decoding ---------------------------------------------------------- */

static int iface_decode(const char *via, const unsigned char *mask, char *out)
{
	size_t n = strnlen(via, IFNAMSIZ);

	if (n == 0)
		return mask[0] == 0 ? 0 : -1;
	if (n >= IFNAMSIZ)
		return -1;
	for (size_t i = 0; i < IFNAMSIZ; i++)
		if (mask[i] != (i <= n ? 0xff : 0))
			return -1; /* wildcard ("eth+") or odd mask: not ours */
	memcpy(out, via, n);
	out[n] = '\0';
	return 0;
}

static int cidr_decode(struct in_addr a, struct in_addr m, struct rb_cidr *c)
{
	if (rb_mask_prefix(m, &c->prefix) < 0)
		return -1; /* non-contiguous mask */
	c->addr.s_addr = a.s_addr & m.s_addr;
	return 0;
}

static unsigned int ct_from_bits(unsigned int bits, int *odd)
{
	unsigned int st = 0, known = 0;

	known = XT_CONNTRACK_STATE_INVALID | XT_CONNTRACK_STATE_BIT(IP_CT_NEW) |
		XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) | XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
		XT_CONNTRACK_STATE_DNAT;
	if (bits & ~known)
		*odd = 1;
	if (bits & XT_CONNTRACK_STATE_INVALID)
		st |= RB_FW_CT_INVALID;
	if (bits & XT_CONNTRACK_STATE_BIT(IP_CT_NEW))
		st |= RB_FW_CT_NEW;
	if (bits & XT_CONNTRACK_STATE_BIT(IP_CT_RELATED))
		st |= RB_FW_CT_RELATED;
	if (bits & XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED))
		st |= RB_FW_CT_ESTABLISHED;
	if (bits & XT_CONNTRACK_STATE_DNAT)
		st |= RB_FW_CT_DNAT;
	return st;
}

/* Appends "[what]" to note, the part of a live rule rb does not model. */
static void note_add(char *note, size_t len, const char *what)
{
	size_t o = strlen(note);

	snprintf(note + o, len - o, " [%s]", what);
}

/* A tcp/udp match rb writes: each of sport and dport is one port or any. */
static int ports_decode(const uint16_t spts[2], const uint16_t dpts[2], struct rb_fw_rule *r)
{
	if (r->dport || r->sport)
		return -EINVAL;
	if (spts[0] == spts[1] && spts[0])
		r->sport = spts[0];
	else if (spts[0] != 0 || spts[1] != 0xffff)
		return -EINVAL;
	if (dpts[0] == dpts[1] && dpts[0])
		r->dport = dpts[0];
	else if (dpts[0] != 0 || dpts[1] != 0xffff)
		return -EINVAL;
	return r->dport || r->sport ? 0 : -EINVAL;
}

static void match_decode(const struct xt_entry_match *m, struct rb_fw_rule *r, char *note,
			 size_t nlen)
{
	const char *name = m->u.user.name;
	size_t dlen = m->u.match_size > sizeof(*m) ? m->u.match_size - sizeof(*m) : 0;

	if (!strcmp(name, "tcp") && dlen >= sizeof(struct xt_tcp)) {
		const struct xt_tcp *t = (const void *)m->data;

		if (ports_decode(t->spts, t->dpts, r) < 0 || t->option || t->flg_mask ||
		    t->invflags || r->proto != IPPROTO_TCP)
			note_add(note, nlen, "-m tcp");
	} else if (!strcmp(name, "udp") && dlen >= sizeof(struct xt_udp)) {
		const struct xt_udp *u = (const void *)m->data;

		if (ports_decode(u->spts, u->dpts, r) < 0 || u->invflags || r->proto != IPPROTO_UDP)
			note_add(note, nlen, "-m udp");
	} else if (!strcmp(name, "icmp") && dlen >= sizeof(struct ipt_icmp)) {
		const struct ipt_icmp *ic = (const void *)m->data;

		if (ic->code[0] != 0 || ic->code[1] != 0xff || ic->invflags ||
		    r->proto != IPPROTO_ICMP || r->icmp_type >= 0)
			note_add(note, nlen, "-m icmp");
		else
			r->icmp_type = ic->type;
	} else if (!strcmp(name, "conntrack") && m->u.user.revision == 3 &&
		   dlen >= sizeof(struct xt_conntrack_mtinfo3)) {
		const struct xt_conntrack_mtinfo3 *ct = (const void *)m->data;
		int odd = 0;

		r->ctstate = ct_from_bits(ct->state_mask, &odd);
		if (odd || ct->match_flags != XT_CONNTRACK_STATE || ct->invert_flags ||
		    !r->ctstate)
			note_add(note, nlen, "-m conntrack");
	} else if (!strcmp(name, "set") && m->u.user.revision == 4 &&
		   dlen >= sizeof(struct xt_set_info_match_v4)) {
		const struct xt_set_info_match_v4 *si = (const void *)m->data;

		r->set_port = si->match_set.dim == 2;
		if (si->match_set.dim < 1 || si->match_set.dim > 2 || si->match_set.flags != 0 ||
		    r->set[0] ||
		    si->flags || si->packets.op != IPSET_COUNTER_NONE ||
		    si->bytes.op != IPSET_COUNTER_NONE ||
		    rb_ipset_name(si->match_set.index, r->set, sizeof(r->set)) < 0)
			note_add(note, nlen, "-m set");
	} else if (!strcmp(name, "addrtype") && m->u.user.revision == 1 &&
		   dlen >= sizeof(struct xt_addrtype_info_v1)) {
		const struct xt_addrtype_info_v1 *at = (const void *)m->data;

		if (at->source || at->dest != XT_ADDRTYPE_LOCAL ||
		    (at->flags & ~(uint32_t)XT_ADDRTYPE_LIMIT_IFACE_IN) || r->dst_local) {
			note_add(note, nlen, "-m addrtype");
		} else {
			r->dst_local = 1;
			r->limit_in = !!(at->flags & XT_ADDRTYPE_LIMIT_IFACE_IN);
		}
	} else if (!strcmp(name, "limit") && m->u.user.revision == 0 &&
		   dlen >= sizeof(struct xt_rateinfo)) {
		const struct xt_rateinfo *ri = (const void *)m->data;

		if (!ri->avg || XT_LIMIT_SCALE % ri->avg || r->limit_rate)
			note_add(note, nlen, "-m limit");
		else {
			r->limit_rate = XT_LIMIT_SCALE / ri->avg;
			r->limit_burst = ri->burst;
		}
	} else if (!strcmp(name, "comment") && dlen >= sizeof(struct xt_comment_info)) {
		const struct xt_comment_info *ci = (const void *)m->data;
		char c[sizeof(ci->comment) + 1];

		memcpy(c, ci->comment, sizeof(ci->comment));
		c[sizeof(ci->comment)] = '\0';
		if (strncmp(c, "rb:", 3) != 0 || strlen(c + 3) >= sizeof(r->id) || r->id[0] ||
		    !c[3])
			note_add(note, nlen, "-m comment");
		else
			snprintf(r->id, sizeof(r->id), "%s", c + 3);
	} else {
		char w[64];

		snprintf(w, sizeof(w), "-m %s rev %u", name, m->u.user.revision);
		note_add(note, nlen, w);
	}
}

static void target_decode(const struct ipt_entry *e, struct xtc_handle *h, struct rb_fw_rule *r,
			  char *note, size_t nlen)
{
	const struct xt_entry_target *t = (const void *)((const char *)e + e->target_offset);
	size_t dlen = t->u.target_size > sizeof(*t) ? t->u.target_size - sizeof(*t) : 0;
	const char *name = iptc_get_target(e, h);

	if (!name) {
		note_add(note, nlen, "no target");
		return;
	}
	if (!strcmp(name, IPTC_LABEL_ACCEPT)) {
		r->verdict = RB_FW_ACCEPT;
	} else if (!strcmp(name, IPTC_LABEL_DROP)) {
		r->verdict = RB_FW_DROP;
	} else if (!strcmp(name, "REJECT") && dlen >= sizeof(struct ipt_reject_info)) {
		const struct ipt_reject_info *ri = (const void *)t->data;

		r->verdict = RB_FW_REJECT;
		if (ri->with == IPT_TCP_RESET)
			r->reject = RB_FW_REJECT_TCP_RESET;
		else if (ri->with != IPT_ICMP_PORT_UNREACHABLE)
			note_add(note, nlen, "--reject-with");
	} else if (!strcmp(name, "DNAT") && t->u.user.revision == 2 &&
		   dlen >= sizeof(struct nf_nat_range2)) {
		const struct nf_nat_range2 *nr = (const void *)t->data;

		r->verdict = RB_FW_DNAT;
		r->nat_ip.s_addr = nr->min_addr.ip;
		if (nr->flags & NF_NAT_RANGE_PROTO_SPECIFIED)
			r->nat_port = ntohs(nr->min_proto.tcp.port);
		if (nr->min_addr.ip != nr->max_addr.ip || nr->min_proto.all != nr->max_proto.all ||
		    nr->base_proto.all ||
		    (nr->flags & ~(unsigned int)(NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED)) ||
		    !(nr->flags & NF_NAT_RANGE_MAP_IPS) ||
		    (r->nat_port == 0 && (nr->flags & NF_NAT_RANGE_PROTO_SPECIFIED)))
			note_add(note, nlen, "-j DNAT options");
	} else if (!strcmp(name, "MASQUERADE") && t->u.user.revision == 0 &&
		   dlen >= sizeof(struct nf_nat_ipv4_multi_range_compat)) {
		const struct nf_nat_ipv4_multi_range_compat *nr = (const void *)t->data;

		r->verdict = RB_FW_MASQUERADE;
		if (nr->rangesize != 1 || nr->range[0].flags)
			note_add(note, nlen, "-j MASQUERADE options");
	} else if (!strcmp(name, "NFQUEUE") && t->u.user.revision == 3 &&
		   dlen >= sizeof(struct xt_NFQ_info_v3)) {
		const struct xt_NFQ_info_v3 *qi = (const void *)t->data;

		r->verdict = RB_FW_QUEUE;
		r->queue = qi->queuenum;
		if (qi->queues_total != 1 || qi->flags)
			note_add(note, nlen, "-j NFQUEUE options");
	} else if (!strcmp(name, "NFLOG") && t->u.user.revision == 0 &&
		   dlen >= sizeof(struct xt_nflog_info)) {
		const struct xt_nflog_info *li = (const void *)t->data;

		r->verdict = RB_FW_NFLOG;
		r->log_group = li->group;
		snprintf(r->log_prefix, sizeof(r->log_prefix), "%.*s", (int)sizeof(li->prefix) - 1,
			 li->prefix);
		if (li->len || li->flags || li->threshold)
			note_add(note, nlen, "-j NFLOG options");
	} else if (iptc_is_chain(name, h) && !iptc_builtin(name, h) && strlen(name) < sizeof(r->jump)) {
		r->verdict = RB_FW_JUMP;
		snprintf(r->jump, sizeof(r->jump), "%s", name);
	} else {
		char w[64];

		snprintf(w, sizeof(w), "-j %s rev %u", name[0] ? name : "(none)", t->u.user.revision);
		note_add(note, nlen, w);
		r->verdict = RB_FW_DROP;
	}
	if (e->ip.flags & IPT_F_GOTO)
		note_add(note, nlen, "-g");
}

void rb_xt_entry_text(const char *chain, const struct ipt_entry *e, struct xtc_handle *h,
		      struct rb_fw_rule *r, char *buf, size_t len)
{
	char note[256] = "";
	size_t off;

	memset(r, 0, sizeof(*r));
	r->icmp_type = -1;
	if (cidr_decode(e->ip.src, e->ip.smsk, &r->src) < 0)
		note_add(note, sizeof(note), "-s mask");
	if (cidr_decode(e->ip.dst, e->ip.dmsk, &r->dst) < 0)
		note_add(note, sizeof(note), "-d mask");
	r->inv_src = !!(e->ip.invflags & IPT_INV_SRCIP);
	r->inv_dst = !!(e->ip.invflags & IPT_INV_DSTIP);
	r->inv_in = !!(e->ip.invflags & IPT_INV_VIA_IN);
	r->inv_out = !!(e->ip.invflags & IPT_INV_VIA_OUT);
	if (iface_decode(e->ip.iniface, e->ip.iniface_mask, r->in) < 0)
		note_add(note, sizeof(note), "-i wildcard");
	if (iface_decode(e->ip.outiface, e->ip.outiface_mask, r->out) < 0)
		note_add(note, sizeof(note), "-o wildcard");
	if (e->ip.proto > 255 || (e->ip.invflags & ~(IPT_INV_SRCIP | IPT_INV_DSTIP |
						      IPT_INV_VIA_IN | IPT_INV_VIA_OUT)) ||
	    (e->ip.flags & IPT_F_FRAG))
		note_add(note, sizeof(note), "-p/-f flags");
	r->proto = (uint8_t)e->ip.proto;
	for (size_t o = sizeof(struct ipt_entry); o + sizeof(struct xt_entry_match) <= e->target_offset;) {
		const struct xt_entry_match *m = (const void *)((const char *)e + o);

		if (m->u.match_size < sizeof(*m) || o + m->u.match_size > e->target_offset) {
			note_add(note, sizeof(note), "bad match size");
			break;
		}
		match_decode(m, r, note, sizeof(note));
		o += m->u.match_size;
	}
	target_decode(e, h, r, note, sizeof(note));
	if (rb_fw_rule_format(chain, r, buf, len) < 0)
		note_add(note, sizeof(note), "too long");
	off = strnlen(buf, len);
	if (note[0] && off < len)
		snprintf(buf + off, len - off, "%s", note);
}

