/* Whether the sentry's learner answers, from outside it (rb-verify; the
 * shell twin is learner_health in mk/bottle.sh). A learner that is gone
 * leaves its queue unbound; one that hangs (stopped, or stuck in a loop)
 * keeps it bound while the upstream's answers wait in it for a verdict that
 * never comes. Both fail closed (nothing new opens), and both must be
 * named. The kernel's word on the queue is
 * /proc/net/netfilter/nfnetlink_queue of the reader's netns:
 *   queue portid waiting copy_mode copy_range dropped user_dropped id_seq 1
 * where every answer queued got an id (id_seq counts them), those the socket
 * could not take are user_dropped, and the rest have had a verdict or are
 * still waiting. */
#ifndef RB_LEARNER_HEALTH_H
#define RB_LEARNER_HEALTH_H

#include <stddef.h>
#include <sys/types.h>

struct rb_learner_queue {
	int bound;
	unsigned long waiting; /* answers queued with no verdict yet */
	unsigned long decided; /* replies that had a verdict, since it bound */
};

/* Parses that file's text for queue q: 0, or -ENOENT when nobody holds it. */
int rb_learner_queue_parse(const char *text, unsigned int q, struct rb_learner_queue *out);

/* In the sentry's netns: 1 when the learner answers, 0 when it does not,
 * with why (for the report) said in why. sentry_pid (rb-sentryd, in the
 * caller's PID namespace; 0 if unknown) lets it also see a stopped learner
 * when nothing waits. Replies waiting get up to wait_ms for a first
 * verdict: a live learner decides within milliseconds. */
int rb_learner_health(pid_t sentry_pid, unsigned int q, unsigned int wait_ms, char *why,
		      size_t len);

#endif
