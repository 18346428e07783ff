/* The answers set: the addresses the sentry's learner (cmd/rb-sentryd.c)
 * opened for the bottle because an allowed name resolved to them, each for
 * a timeout after which the kernel forgets it. One small interface so the
 * learner does not care which firewall backend holds the set:
 * lib/answers_ipset.c is the xtables one (ipset RB-DNS, hash:ip created
 * with `timeout` by rb-fw-apply), lib/answers_nft.c the nftables one (set
 * RB-DNS of table inet rb, flags timeout). The backend is the one whose rb
 * objects are in the CURRENT netns, where everything here works. */
#ifndef RB_ANSWERS_H
#define RB_ANSWERS_H

#include "nameplate.h"
#include "rb.h"

#include <netinet/in.h>
#include <stdint.h>

struct rb_answers;

/* Opens the sets of the current netns: -ENOENT (with a message) when the
 * answers set or RB-HOST does not exist yet, i.e. no policy is applied.
 * A learner reopens after a failure: an apply may switch backends. */
int rb_answers_open(struct rb_answers **out, struct rb_err *err);

/* Each element carries its tag: the question whose answer added it, as the
 * element's comment (nft) or ipset comment, so that a narrowed allowlist
 * removes what only the names it lost opened (rb_answers_prune), and a
 * person reading the set sees why an address is open. A tag that is not a
 * plain name of at most RB_ANSWERS_TAG_MAX characters is not kept: that
 * element goes at the next narrowing. */
#define RB_ANSWERS_TAG_MAX 120

/* Adds addr for timeout seconds, tagged; when it is there already, the
 * newest answer's timeout and tag replace the old ones. Returns once the
 * kernel has it. */
int rb_answers_add(struct rb_answers *a, struct in_addr addr, uint32_t timeout, const char *tag,
		   struct rb_err *err);

/* Adds (addr, protocol, port) for every port of p to the ported answers
 * set (RB-DNS-PORT), for timeout seconds, the same way; -ENOENT when the
 * policy has no such set (no ported names). */
int rb_answers_add_ports(struct rb_answers *a, struct in_addr addr, const struct rb_ports *p,
			 uint32_t timeout, const char *tag, struct rb_err *err);

/* keep(ctx, tag, proto, port): 1 to keep an element (port 0: of the
 * answers set; tag NULL: it has none). */
typedef int (*rb_answers_keep_fn)(const void *ctx, const char *tag, uint8_t proto, uint16_t port);

/* Deletes from the answers sets every element keep() refuses, and counts
 * them in *dropped (may be NULL). An element that expires meanwhile is not
 * an error. */
int rb_answers_prune(struct rb_answers *a, rb_answers_keep_fn keep, const void *ctx, size_t *dropped,
		     struct rb_err *err);

/* 1 if addr is one of the host's own addresses (RB-HOST), 0 if not. */
int rb_answers_host(struct rb_answers *a, struct in_addr addr, struct rb_err *err);

void rb_answers_close(struct rb_answers *a);

#endif
