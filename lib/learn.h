/* The sentry's learner (cmd/rb-sentryd.c): what it makes of one answer of
 * the upstream resolver, before the sentry's resolver (and so the bottle)
 * may have it; the denial log reads the replies to the bottle with it too. Pure logic, no
 * system calls, so that the fuzzer (fuzz/learn.c) runs exactly what the
 * privileged process runs.
 *
 * A reply is released only once it has been understood: the question, and
 * the A records of the CNAME chain that starts at it (rb_dns_reply_parse).
 * If the question is an allowed name (RBRN_UPLINK_ALLOWED_DOMAINS: the name
 * or a subdomain), each public address on the chain is added to the answers
 * set (lib/answers.h) for its TTL plus the margin (ttl_margin), clamped to
 * [ttl_min, ttl_max]. The resolver hands out and caches no TTL above
 * ttl_max - ttl_margin (cmd/rb-sentryd.c gives dnsmasq max-ttl and
 * max-cache-ttl), so every entry outlives the answer that made it, and
 * dnsmasq's cached copy of it, by the margin at least; a later answer for
 * the same address never shortens it (rb_learn_expiry). The targets of the chain need not be allowed names themselves: the
 * policy allowed the question, and what it names is where its answer points
 * (dnsmasq --ipset did the same). Addresses that are not public (private,
 * loopback, link-local, multicast, reserved, the host's) are never added:
 * an allowed name that answers one (DNS rebinding) opens nothing. */
#ifndef RB_LEARN_H
#define RB_LEARN_H

#include "dns.h"
#include "nameplate.h"
#include "rb.h"

#include <stdint.h>
#include <stdio.h>

#define RB_LEARN_TTL_MIN 60  /* a TTL-0 answer stays usable this long */
#define RB_LEARN_TTL_MAX 900 /* and no answer longer than this */
#define RB_LEARN_TTL_LIMIT 86400
/* Seconds an entry outlives the TTL the bottle was given: the reply reaches
 * the bottle after its entry was added, dnsmasq rounds a cached TTL to whole
 * seconds (up to 1 s more than it has left), and so may the bottle's own
 * cache. */
#define RB_LEARN_TTL_MARGIN 2 /* the default: rb-sentryd --ttl-margin */
/* addresses whose entry's end the learner remembers (rb_learn_expiry) */
#define RB_LEARN_EXPIRY_SLOTS 4096
/* ported names a question can match: itself and one per parent name */
#define RB_LEARN_MAX_PMATCH 128

struct rb_learn_conf {
	int learn;      /* 1: allowed names' answers open egress (RB-DNS is referenced) */
	int dns_global; /* 1: names not allowed resolve too (and open nothing) */
	uint32_t ttl_min, ttl_max;
	uint32_t ttl_margin; /* below ttl_max */
	char **allow; /* lower case, no trailing dot: all ports */
	size_t n_allow;
	struct rb_name_ports *ports; /* ported names: their answers open only these */
	size_t n_ports;
};

/* The learner's configuration for np, one directive a line ("learn 1",
 * "dns-global 0", "allow NAME", "allow-ports NAME 22,443", "allow-ports
 * NAME 5000/udp"): what rb-fw-apply --learner-conf prints and rb-sentryd
 * reads. 0 or -errno. */
int rb_learn_conf_write(const struct rb_nameplate *np, FILE *out, struct rb_err *err);

/* Parses that text strictly: unknown directives, bad names, a missing
 * "learn" are errors (-EINVAL, config). ttl_min/ttl_max get the defaults.
 * On error c is released. */
int rb_learn_conf_parse(struct rb_learn_conf *c, const char *text, size_t len,
			const char *origin, struct rb_err *err);
void rb_learn_conf_free(struct rb_learn_conf *c);

/* 1 if name (rb_dns_name_read's form) is an allowed name or below one,
 * with or without ports. */
int rb_learn_name_allowed(const struct rb_learn_conf *c, const char *name);

/* 1 if c opens less than old: a name (or a name below it) old allowed on
 * all ports that c does not, a ported entry of old that c has not the same
 * or on all ports, or learning turned off. Answers old's learner added may
 * then be ones c's would not: the learner prunes the answers sets. */
int rb_learn_conf_narrows(const struct rb_learn_conf *old, const struct rb_learn_conf *c);

/* 1 if c still opens what an answer to the question `tag` opened: port 0
 * for its element in the answers set (tag allowed on all ports), else
 * (proto, port) of its element in the ported one (tag allowed on all
 * ports, or by a ported entry with that port). 0 without a tag or with
 * learning off. What a narrowed allowlist keeps (rb_learner_forget). */
int rb_learn_tag_keeps(const struct rb_learn_conf *c, const char *tag, uint8_t proto,
		       uint16_t port);

/* 1 if a may be learned at all: not in 0/8, 10/8, 100.64/10, 127/8,
 * 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4, 240/4. */
int rb_learn_addr_public(struct in_addr a);

struct rb_learn_result {
	int pass;    /* 1: release the reply; 0: drop it */
	int allowed; /* the question is an allowed name */
	int refused; /* the policy refused the name (NXDOMAIN from the sentry): log it */
	/* What the answers open: with `all` (an entry without ports matched)
	 * every port, in the answers set; and the ports of each matching
	 * ported entry, in the ported answers set. A name matched by several
	 * entries gets the union. */
	int all;
	unsigned int n_pmatch;
	const struct rb_ports *pmatch[RB_LEARN_MAX_PMATCH];
	struct rb_dns_reply reply;
	/* add[i].ttl is the set timeout: the TTL (the chain's smallest) plus
	 * RB_LEARN_TTL_MARGIN, clamped to [ttl_min, ttl_max] */
	unsigned int n_add;
	struct rb_dns_rr_a add[RB_DNS_REPLY_MAX_A];
	unsigned int n_never; /* addresses refused as not public */
};

/* Decides on one DNS message (the payload, without the TCP length). An
 * unparseable message is dropped (pass 0, the parser's -errno returned);
 * everything else passes, after the caller added out->add[]. */
int rb_learn_decide(const struct rb_learn_conf *c, const uint8_t *msg, size_t len,
		    struct rb_learn_result *out);

/* When each address's entry ends, as far as the learner made it: a later
 * answer with a shorter TTL (another name on the same address, or an
 * upstream that lowered it) must not cut short an entry the bottle may
 * still rely on. A fixed table (RB_LEARN_EXPIRY_SLOTS, one address a slot),
 * so a flood of answers cannot grow it; an address that lost its slot, or
 * was never seen, may have an entry until `floor_ms` at most, the latest
 * end of any address that lost its slot (or, after a restart of the
 * learner, the longest entry the one before it could have made). */
struct rb_learn_expiry {
	uint64_t floor_ms;
	struct {
		struct in_addr addr;
		uint64_t until_ms;
	} slot[RB_LEARN_EXPIRY_SLOTS];
};

/* The timeout (seconds) to give addr's entry at now_ms (a monotonic clock):
 * want, or what keeps it to the end an earlier answer gave it, whichever
 * is longer; records the new end. */
uint32_t rb_learn_expiry_timeout(struct rb_learn_expiry *e, struct in_addr addr, uint32_t want,
				 uint64_t now_ms);

#endif
