/* rb-fw-apply's verbs on a nameplate's sentry and host: apply, show (the
 * dry run), check, counters, resolver-conf, learner-conf, remove. The
 * command parses options into struct rb_fw_verb_opts and calls
 * rb_fw_verb_run; this is everything in between. */
#ifndef RB_FW_VERBS_H
#define RB_FW_VERBS_H

#include "fw.h"
#include "nameplate.h"
#include "rb.h"

#include <stdio.h>
#include <sys/types.h>

enum rb_fw_verb {
	RB_FW_VERB_APPLY,
	RB_FW_VERB_SHOW,
	RB_FW_VERB_CHECK,
	RB_FW_VERB_COUNTERS,
	RB_FW_VERB_RESOLVER_CONF,
	RB_FW_VERB_LEARNER_CONF,
	RB_FW_VERB_REMOVE,
	RB_FW_VERB_N,
};

/* "apply", "show", ...; NULL for a value out of range. */
const char *rb_fw_verb_name(enum rb_fw_verb v);
/* The verb named s: 0, or -EINVAL. */
int rb_fw_verb_parse(const char *s, enum rb_fw_verb *v);

struct rb_fw_verb_opts {
	enum rb_fw_verb verb;
	const char *netns;      /* the sentry's netns; else pid; else the container */
	pid_t pid;
	const char *enclave_if; /* with uplink_if: the sentry's interfaces by name */
	const char *uplink_if;
	const char *bridge;        /* the enclave bridge; else podman's */
	const char *uplink_bridge; /* the uplink bridge; else podman's */
	const struct in_addr *sentry_uplink_ip; /* the entry port's DNAT target; else found */
	int host;      /* 1 --host, 0 --no-host, -1 neither (host part with the container) */
	int host_only; /* the host part alone, in netns/pid when named */
	enum rb_fw_backend backend; /* as given; auto resolves per verb */
};

struct rb_fw_verb_result {
	int drift;    /* check: the differences printed */
	int no_queue; /* apply: this kernel's nftables has no queue, names open nothing */
};

/* Runs o->verb for np, printing what the verb prints (show, check,
 * counters, the configurations) on out. Validates nothing of o that the
 * command's usage checks cover; returns 0 or a -errno with err set. */
int rb_fw_verb_run(const struct rb_nameplate *np, const struct rb_fw_verb_opts *o, FILE *out,
		   struct rb_fw_verb_result *res, struct rb_err *err);

#endif
