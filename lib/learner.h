/* The learner's loop (rb-sentryd's privileged child): bound to an NFQUEUE
 * queue in the sentry's netns (the policy's rb:learn-udp/rb:learn-tcp rules
 * send it every answer of the upstream resolver to the sentry's own
 * resolver), it decides on each with rb_learn_decide, adds what may be
 * learned to the answers set (lib/answers.h) for a timeout that never
 * shortens an entry an earlier answer made (rb_learn_expiry), skipping the
 * host's own addresses, and only then releases the answer to dnsmasq.
 * Answers it cannot understand are dropped. Over TCP, each complete DNS
 * message in a segment is learned; a message split across segments passes
 * unlearned (nothing becomes reachable for it). Whatever dnsmasq tells the
 * bottle came from such an answer, or from its cache of them, which never
 * outlives their entries (rb-sentryd's TTL caps): replies to the bottle
 * need no trip through user space. */
#ifndef RB_LEARNER_H
#define RB_LEARNER_H

#include "learn.h"
#include "rb.h"

#include <stdint.h>

struct rb_learner;

struct rb_learner_stats {
	uint64_t replies, passed, dropped, added, never, host, unlearned_tcp;
};

struct rb_answers;

/* Adds what r may open to the answers sets of the current netns (opening
 * *answers first when it is NULL), skipping the host's own addresses, as
 * the learner does before it releases a reply. st (may be NULL) counts. On
 * failure *answers is closed (an apply may have replaced the sets). */
int rb_learn_apply(struct rb_answers **answers, const struct rb_learn_result *r,
		   struct rb_learner_stats *st, struct rb_err *err);

/* Forgets what an earlier allowlist opened, before a learner of the
 * narrower one c binds (rb_learn_conf_narrows): removes from the answers
 * sets of the current netns every element whose tag (the question that
 * added it) c no longer allows there, and the untagged ones
 * (rb_learn_tag_keeps), counted in *dropped; then empties conntrack, so
 * that every flow the bottle has to a former answer meets the policy again
 * at its next packet, and the flows to what is still allowed go on
 * (conntrack picks them up mid-stream, their answers still in the sets).
 * No policy yet is nothing to forget. Needs CAP_NET_ADMIN. */
int rb_learner_forget(const struct rb_learn_conf *c, size_t *dropped, struct rb_err *err);

/* Binds the queue (needs CAP_NET_ADMIN); -EBUSY-like errors when another
 * process holds it. restarted: an earlier learner filled the sets of this
 * netns (its entries' ends are unknown here, so none is shortened). */
int rb_learner_open(struct rb_learner **out, const struct rb_learn_conf *conf, uint16_t queue,
		    int restarted, struct rb_err *err);
/* Runs until an unrecoverable error (returned) or stop becomes non-zero. */
int rb_learner_run(struct rb_learner *l, volatile int *stop, struct rb_err *err);
const struct rb_learner_stats *rb_learner_stats(const struct rb_learner *l);
void rb_learner_close(struct rb_learner *l);

#endif
