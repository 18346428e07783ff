/* The allowlist's CIDRs into their nft interval set, as netlink messages
 * built here (libmnl) rather than as nft text. At 100,000 CIDRs, parsing
 * and evaluating the elements is most of what `nft -f` spends in user
 * space (bison, a gmp number and an expression per element, the interval
 * evaluation); the kernel's part is the same either way.
 *
 * The elements go in one batch of their own, right after the transaction
 * that created the (empty) set and the rules that use it. rb-fw-apply sends
 * both while the sentry's forwarding is off (lib/fw.c apply_sentry), and an
 * empty allowlist is narrower than the policy: nothing the bottle sends
 * sees the state in between, and at no moment is more open than the policy.
 *
 * What the kernel gets is what nft sends for an interval set: for each
 * interval [a, b] an element a and an element b + 1 flagged INTERVAL_END
 * (none after 255.255.255.255), overlapping and adjacent CIDRs joined
 * first, as nft's auto-merge would: `nft list` shows the same set either
 * way (bench/fw_nft.sh compares them). */
#include "fw_nft.h"

#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct range {
	uint32_t lo, hi; /* host byte order, inclusive */
};

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The members of s as sorted intervals, overlapping and adjacent ones
 * joined; returns how many. */
static size_t ranges_of(const struct rb_fw_set *s, struct range *r)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_members; i++) {
		uint32_t a = ntohl(s->members[i].addr.s_addr), p = s->members[i].prefix;
		uint32_t host = p >= 32 ? 0 : UINT32_MAX >> p;

		r[i].lo = a & ~host;
		r[i].hi = a | host;
	}
	qsort(r, s->n_members, sizeof(*r), range_cmp);
	for (size_t i = 0; i < s->n_members; i++) {
		if (n && (r[n - 1].hi == UINT32_MAX || r[i].lo <= r[n - 1].hi + 1)) {
			if (r[i].hi > r[n - 1].hi)
				r[n - 1].hi = r[i].hi;
			continue;
		}
		r[n++] = r[i];
	}
	return n;
}

/* The attribute NFTA_SET_ELEM_LIST_ELEMENTS is a nest, whose length is 16
 * bits: a message carries at most this many bytes of elements. */
#define RB_NFT_ELEMS_MAX (60 * 1024)
/* One element: list item, key nest, value, flags (each with its header). */
#define RB_NFT_ELEM_SIZE (4 + 4 + 8 + 8)
#define RB_NFT_MSG_SIZE  (RB_NFT_ELEMS_MAX + 512)

static struct nlmsghdr *batch_mark(char *at, uint16_t type, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nfgenmsg *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(NFNL_SUBSYS_NFTABLES);
	return nlh;
}

static struct nlmsghdr *elems_msg(char *at, const char *table, const char *set, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	return nlh;
}

static void elem_put(struct nlmsghdr *nlh, uint32_t addr, int end)
{
	struct nlattr *e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM), *k;
	uint32_t be = htonl(addr);

	k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, sizeof(be), &be);
	mnl_attr_nest_end(nlh, k);
	if (end)
		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
	mnl_attr_nest_end(nlh, e);
}

/* The batch: begin, the element messages, end. Returns its length and
 * sets *n_msgs; buf holds at least n_msgs(r) * RB_NFT_MSG_SIZE + 2 pages. */
static size_t batch_build(char *buf, const char *table, const char *set, const struct range *r,
			  size_t n, uint32_t seq, size_t *n_msgs)
{
	char *at = buf;
	struct nlmsghdr *nlh = batch_mark(at, NFNL_MSG_BATCH_BEGIN, seq++);
	struct nlattr *list = NULL;

	*n_msgs = 0;
	at += nlh->nlmsg_len;
	nlh = NULL;
	for (size_t i = 0; i < n; i++) {
		if (nlh && (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)list >
				   RB_NFT_ELEMS_MAX - 2 * RB_NFT_ELEM_SIZE) {
			mnl_attr_nest_end(nlh, list);
			at += nlh->nlmsg_len;
			nlh = NULL;
		}
		if (!nlh) {
			nlh = elems_msg(at, table, set, seq++);
			list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
			(*n_msgs)++;
		}
		elem_put(nlh, r[i].lo, 0);
		if (r[i].hi != UINT32_MAX)
			elem_put(nlh, r[i].hi + 1, 1);
	}
	if (nlh) {
		mnl_attr_nest_end(nlh, list);
		at += nlh->nlmsg_len;
	}
	nlh = batch_mark(at, NFNL_MSG_BATCH_END, seq);
	at += nlh->nlmsg_len;
	return (size_t)(at - buf);
}

/* Every element message is acknowledged (NLM_F_ACK) or answered with its
 * error, while sendmsg runs: the kernel processes a batch in the sender's
 * context. Reads what is queued without waiting. */
static int acks_read(struct mnl_socket *nl, size_t n_msgs, struct rb_err *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	size_t acks = 0;
	int first = 0;
	ssize_t len;

	while ((len = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)len;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				continue;
			acks++;
			if (e->error && !first)
				first = -e->error;
		}
	}
	if (len < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return rb_err_sys(err, errno, "cannot read the kernel's answer");
	if (first)
		return rb_err_sys(err, first, "the kernel refused the elements");
	if (acks != n_msgs)
		return rb_err_set(err, -EPROTO, "the kernel answered %zu of %zu messages", acks,
				  n_msgs);
	return 0;
}

int rb_nft_intervals_load(const char *table, const struct rb_fw_set *s, struct rb_err *err)
{
	cleanup_free struct range *r = NULL;
	cleanup_free char *buf = NULL;
	cleanup_mnl_socket struct mnl_socket *nl = NULL;
	/* a message is closed once it holds more than this many intervals */
	size_t n, n_msgs, len, size,
		per_msg = (RB_NFT_ELEMS_MAX - 2 * RB_NFT_ELEM_SIZE) / (2 * RB_NFT_ELEM_SIZE);
	int one = 1, bufsz, rc;

	if (!s->n_members)
		return 0;
	r = calloc(s->n_members, sizeof(*r));
	if (!r)
		return rb_err_oom(err);
	n = ranges_of(s, r);
	size = (n / per_msg + 2) * RB_NFT_MSG_SIZE + 2 * (size_t)MNL_SOCKET_BUFFER_SIZE;
	buf = calloc(1, size);
	if (!buf)
		return rb_err_oom(err);
	len = batch_build(buf, table, s->name, r, n, (uint32_t)time(NULL), &n_msgs);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return rb_err_sys(err, errno, "cannot open a netfilter netlink socket");
	/* acks without a copy of each message (60 KB each); a send buffer
	 * that takes the whole batch in one sendmsg, which the kernel needs
	 * (it commits what one message of the socket holds) */
	bufsz = len + 4096 > INT32_MAX ? INT32_MAX : (int)(len + 4096);
	if (mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &bufsz, sizeof(bufsz)) < 0)
		return rb_err_sys(err, errno, "cannot size the netfilter netlink socket");
	if (mnl_socket_sendto(nl, buf, len) < 0)
		return rb_err_sys(err, errno, "cannot send the elements of set %s", s->name);
	rc = acks_read(nl, n_msgs, err);
	if (rc < 0)
		return rb_err_wrap(err, rc, "set %s", s->name);
	return 0;
}
