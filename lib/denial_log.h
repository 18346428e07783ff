/* The denial log's loop (rb-sentryd's unprivileged child): reads NFLOG
 * records of the sentry's netns (group RB_FW_LOG_GROUP): the policy's
 * denials, and the resolver's replies to the bottle (rb:reply-udp/tcp,
 * read with the allowlist conf: which names answered which addresses, and
 * which names were refused); writes lib/denial.h lines into DIR/denials/denials.jsonl, rotated
 * to denials.jsonl.1 when it would pass max_bytes (so the log never holds
 * more than twice that), at most RB_DENIAL_RATE lines a second; what it
 * leaves out is counted and said once a second in a "dropped" line.
 * Opening binds the group (needs CAP_NET_ADMIN); run needs no privilege at
 * all, only write access to DIR. */
#ifndef RB_DENIAL_LOG_H
#define RB_DENIAL_LOG_H

#include "learn.h"
#include "rb.h"

#include <stddef.h>
#include <stdint.h>

struct rb_denial_log;

int rb_denial_log_open(struct rb_denial_log **out, uint16_t group, size_t max_bytes,
		       const struct rb_learn_conf *conf, struct rb_err *err);
/* After dropping privilege: makes (or reuses) DIR/denials, which must be
 * this uid's own and writable by nobody else (DIR itself is a sticky,
 * world-writable tmpfs in the sentry: rb-sentryd has no CAP_CHOWN to give
 * it away), and opens the log in it. */
int rb_denial_log_dir(struct rb_denial_log *d, const char *dir, struct rb_err *err);
int rb_denial_log_run(struct rb_denial_log *d, volatile int *stop, struct rb_err *err);
void rb_denial_log_close(struct rb_denial_log *d);

#endif
