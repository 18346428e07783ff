/* rb-sentryd, the sentry's PID 1 (cmd/rb-sentryd.c parses its options):
 * the children it supervises (dnsmasq, the learner, the denial log), and
 * --parse, the learner's decision on one reply. These return exit codes
 * (RB_EXIT_*), not -errno: the sentry's PID 1 is their one caller, and a
 * child never returns. */
#ifndef RB_SENTRYD_H
#define RB_SENTRYD_H

#include "learn.h"

enum { C_DNSMASQ, C_LEARNER, C_LOG, C_N };

struct rb_sentryd_opts {
	const char *learner_conf, *dnsmasq_conf, *dnsmasq, *parse;
	int add; /* --parse --add */
	const char *user[C_N];
	const char *log_dir;
	unsigned long log_max;
	unsigned long ttl_min, ttl_max, ttl_margin;
	unsigned long queue, group;
};

/* The learner's configuration (o->learner_conf, with o's TTL bounds). */
int rb_sentryd_conf_load(const struct rb_sentryd_opts *o, struct rb_learn_conf *c,
			 struct rb_err *err);
/* --parse: prints the decision on the reply in o->parse; with o->add, adds
 * its answers to the sets of this netns. */
int rb_sentryd_parse(const struct rb_sentryd_opts *o, const struct rb_learn_conf *c);
/* Looks up the children's users, checks the netns, starts the children and
 * supervises them until SIGTERM or dnsmasq's end. */
int rb_sentryd_run(const struct rb_sentryd_opts *o);

#endif
