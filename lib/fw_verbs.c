/* rb-fw-apply's verbs (lib/fw_verbs.h): the sentry's part in its netns,
 * the host's part here (or, with host_only, in the netns named), the
 * counters, and the sentry's configurations. */
#include "fw_verbs.h"
#include "learn.h"
#include "netns.h"
#include "sentry.h"

#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

static const char *const verb_names[RB_FW_VERB_N] = {
	[RB_FW_VERB_APPLY] = "apply",
	[RB_FW_VERB_SHOW] = "show",
	[RB_FW_VERB_CHECK] = "check",
	[RB_FW_VERB_COUNTERS] = "counters",
	[RB_FW_VERB_RESOLVER_CONF] = "resolver-conf",
	[RB_FW_VERB_LEARNER_CONF] = "learner-conf",
	[RB_FW_VERB_REMOVE] = "remove",
};

const char *rb_fw_verb_name(enum rb_fw_verb v)
{
	return (unsigned int)v < RB_FW_VERB_N ? verb_names[v] : NULL;
}

int rb_fw_verb_parse(const char *s, enum rb_fw_verb *v)
{
	for (unsigned int i = 0; i < RB_FW_VERB_N; i++)
		if (!strcmp(s, verb_names[i])) {
			*v = (enum rb_fw_verb)i;
			return 0;
		}
	return -EINVAL;
}

/* The sentry, and the backend its part used. */
struct target {
	struct rb_sentry s;
	enum rb_fw_backend backend;
	char why[64];
};

struct diff_ctx {
	FILE *out;
	int *n;
};

static void print_diff(void *ctx, const char *table, const char *chain, const char *what)
{
	struct diff_ctx *d = ctx;

	fprintf(d->out, "%s %s: %s\n", table, chain, what);
	(*d->n)++;
}

static int print_plan(const struct rb_fw_plan *plan, enum rb_fw_backend b, FILE *out,
		      struct rb_err *err)
{
	int rc = b == RB_FW_BACKEND_NFT ? rb_fw_plan_print_nft(plan, out) :
					  rb_fw_plan_print(plan, out);

	return rc < 0 ? rb_err_sys(err, -rc, "cannot write the plan") : 0;
}

/* Builds the sentry plan inside the target netns (interfaces are found
 * there) and applies or checks it there. Showing with explicit interface
 * names and no target enters nothing. */
static int sentry_part(const struct rb_nameplate *np, const struct rb_fw_verb_opts *o,
		       struct target *t, int enter, struct rb_fw_plan **plan, FILE *out,
		       struct rb_fw_verb_result *res, struct rb_err *err)
{
	struct rb_fw_ifaces ifs;
	struct in_addr *host = NULL;
	size_t n_host = 0;
	int saved = -1, rc, check = o->verb == RB_FW_VERB_CHECK;

	/* here, in the host's netns: the sentry's view has none of them */
	rc = rb_fw_host_addrs_read(&host, &n_host, err);
	if (rc < 0)
		return rc;
	if (enter) {
		rc = rb_sentry_enter(&t->s, &saved, err);
		if (rc < 0) {
			free(host);
			return rc;
		}
		rc = rb_sentry_refuse_host_netns(saved, err);
		if (rc == 0)
			rc = rb_sentry_ifaces(np, o->enclave_if, o->uplink_if, &t->s, &ifs, err);
	} else {
		rc = rb_fw_ifaces_named(o->enclave_if, o->uplink_if, &ifs, err);
	}
	if (rc == 0)
		rc = rb_fw_plan_build(np, &ifs, plan, err);
	if (rc == 0)
		rc = rb_fw_plan_host_addrs(*plan, host, n_host, err);
	/* checking reads whatever holds the policy here; applying takes what
	 * the kernel offers */
	t->backend = rb_fw_backend_resolve(o->backend, NULL, check, t->why, sizeof(t->why));
	if (rc == 0 && rb_fw_plan_backend_fit(*plan, t->backend) && o->verb == RB_FW_VERB_APPLY)
		res->no_queue = 1;
	if (rc == 0 && check) {
		struct diff_ctx d = { out, &res->drift };

		fprintf(out, "# backend %s (%s)\n", rb_fw_backend_name(t->backend), t->why);
		rc = rb_fw_check(*plan, t->backend, print_diff, &d, err);
		if (rc > 0)
			rc = 0;
	} else if (rc == 0 && o->verb == RB_FW_VERB_APPLY) {
		rc = rb_fw_apply(*plan, t->backend, err);
	}
	rc = rb_netns_leave_after(&saved, rc, err);
	free(host);
	return rc;
}

/* Host rules go into this process's netns, or with host_only into the one
 * netns/pid names (tests build a fake host in a netns). */
static int host_part(const struct rb_nameplate *np, const struct rb_fw_verb_opts *o,
		     const struct target *t, FILE *out, struct rb_fw_verb_result *res,
		     struct rb_err *err)
{
	cleanup_fw_plan struct rb_fw_plan *plan = NULL;
	struct in_addr up_ip = { 0 };
	char br[IFNAMSIZ + 1], up_br[IFNAMSIZ + 1] = "", name[96];
	int saved = -1, rc, remove = o->verb == RB_FW_VERB_REMOVE;
	int elsewhere = o->host_only && (o->netns || o->pid);

	if (!remove) {
		snprintf(name, sizeof(name), "rb-%s-enclave", np->moniker);
		rc = rb_sentry_bridge(name, o->bridge, br, sizeof(br), err);
		if (rc == 0 && np->entry_enabled)
			rc = rb_sentry_bridge(np->uplink_network, o->uplink_bridge, up_br,
					      sizeof(up_br), err);
		if (rc == 0 && np->entry_enabled)
			rc = rb_sentry_uplink_ip(np, o->sentry_uplink_ip, &t->s, &up_ip, err);
		if (rc < 0)
			return rc;
		rc = rb_fw_host_plan_build(np, br, up_br, up_ip, &plan, err);
		if (rc < 0)
			return rc;
		if (o->verb == RB_FW_VERB_SHOW) {
			fprintf(out, "# host netns: bridge %s\n", br);
			return print_plan(plan, t->backend, out, err);
		}
	}
	if (elsewhere) {
		rc = rb_sentry_enter(&t->s, &saved, err);
		if (rc < 0)
			return rc;
	}
	rc = 0;
	if (!remove && np->entry_enabled)
		rc = rb_sentry_entry_target_check(up_ip, err);
	if (rc == 0 && remove) {
		rc = rb_fw_host_remove(np->moniker, err);
	} else if (rc == 0 && o->verb == RB_FW_VERB_CHECK) {
		struct diff_ctx d = { out, &res->drift };
		char why[64];
		/* the host part is checked where it is, like the sentry's */
		enum rb_fw_backend b = rb_fw_backend_resolve(o->backend, np->moniker, 1, why, sizeof(why));

		if (o->host_only)
			fprintf(out, "# backend %s (%s)\n", rb_fw_backend_name(b), why);
		rc = rb_fw_check(plan, b, print_diff, &d, err);
	} else if (rc == 0) {
		rc = rb_fw_apply(plan, t->backend, err);
	}
	if (rc > 0)
		rc = 0;
	return rb_netns_leave_after(&saved, rc, err);
}

static int counters_part(const struct target *t, enum rb_fw_backend b, FILE *out,
			 struct rb_err *err)
{
	struct rb_fw_counter *c = NULL;
	size_t n = 0;
	int saved = -1, rc;

	rc = rb_sentry_enter(&t->s, &saved, err);
	if (rc < 0)
		return rc;
	rc = rb_fw_counters_read(b, &c, &n, err);
	rc = rb_netns_leave_after(&saved, rc, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		fprintf(out, "%s %s %u %" PRIu64 " %" PRIu64 " %s %s\n", c[i].table, c[i].chain,
			c[i].index, c[i].pkts, c[i].bytes, c[i].id[0] ? c[i].id : "-", c[i].text);
	free(c);
	return rc;
}

int rb_fw_verb_run(const struct rb_nameplate *np, const struct rb_fw_verb_opts *o, FILE *out,
		   struct rb_fw_verb_result *res, struct rb_err *err)
{
	cleanup_fw_plan struct rb_fw_plan *plan = NULL;
	struct target t;
	int rc, show = o->verb == RB_FW_VERB_SHOW;

	memset(&t, 0, sizeof(t));
	memset(res, 0, sizeof(*res));
	t.s.path = o->netns;
	t.s.pid = o->pid;
	/* applying, showing and the resolver's set: what the kernel offers
	 * (global, so this netns answers for the sentry's too) */
	t.backend = rb_fw_backend_resolve(o->backend, NULL, 0, t.why, sizeof(t.why));
	if (show)
		fprintf(out, "# backend %s (%s)\n", rb_fw_backend_name(t.backend), t.why);

	switch (o->verb) {
	case RB_FW_VERB_RESOLVER_CONF:
		return rb_resolver_conf_write(np, t.backend, out, err);
	case RB_FW_VERB_LEARNER_CONF:
		return rb_learn_conf_write(np, out, err);
	case RB_FW_VERB_REMOVE:
		return host_part(np, o, &t, out, res, err);
	default:
		break;
	}
	if (o->host_only)
		return host_part(np, o, &t, out, res, err);
	if (!o->netns && !o->pid && !(show && o->enclave_if)) {
		rc = rb_sentry_find_container(np, &t.s, err);
		if (rc < 0)
			return rc;
	}
	if (o->verb == RB_FW_VERB_COUNTERS)
		return counters_part(&t, o->backend, out, err);
	rc = sentry_part(np, o, &t, o->netns || o->pid || t.s.container, &plan, out, res, err);
	if (rc == 0 && show)
		rc = print_plan(plan, t.backend, out, err);
	if (rc == 0 && (o->host == 1 || (o->host == -1 && t.s.container)))
		rc = host_part(np, o, &t, out, res, err);
	return rc;
}
