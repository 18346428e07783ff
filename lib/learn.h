/* The sentry's learner (cmd/rb-sentryd.c): what it makes of one reply of
 * the resolver to the bottle, before the bottle may have it. Pure logic, no
 * system calls, so that the fuzzer (fuzz/learn.c) runs exactly what the
 * privileged process runs.
 *
 * A reply is released only once it has been understood: the question, and
 * the A records of the CNAME chain that starts at it (rb_dns_reply_parse).
 * If the question is an allowed name (RBRN_UPLINK_ALLOWED_DOMAINS: the name
 * or a subdomain), each public address on the chain is added to the answers
 * set (lib/answers.h) for its TTL clamped to [ttl_min, ttl_max]; the
 * resolver hands out no TTL above ttl_max (cmd/rb-sentryd.c gives dnsmasq
 * max-ttl and max-cache-ttl), so no answer the bottle holds outlives its
 * entry. The targets of the chain need not be allowed names themselves: the
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
/* ported names a question can match: itself and one per parent name */
#define RB_LEARN_MAX_PMATCH 128

struct rb_learn_conf {
	int learn;      /* 1: allowed names' answers open egress (RB-DNS is referenced) */
	int dns_global; /* 1: names not allowed resolve too (and open nothing) */
	uint32_t ttl_min, ttl_max;
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
	unsigned int n_add; /* add[i].ttl is the set timeout */
	struct rb_dns_rr_a add[RB_DNS_REPLY_MAX_A];
	unsigned int n_never; /* addresses refused as not public */
};

/* Decides on one DNS message (the payload, without the TCP length). An
 * unparseable message is dropped (pass 0, the parser's -errno returned);
 * everything else passes, after the caller added out->add[]. */
int rb_learn_decide(const struct rb_learn_conf *c, const uint8_t *msg, size_t len,
		    struct rb_learn_result *out);

#endif
