/* The xtables drift check: a table of the plan against what libiptc reads
 * back from the kernel, rule by rule, in rb's save syntax. */
#include "fw_xt.h"
#include "utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>


static int check_builtin(const struct rb_fw_plan *plan, const struct rb_fw_table *t,
			 const struct rb_fw_chain *c, struct xtc_handle *h, rb_fw_diff_cb cb, void *ctx)
{
	char want[512], got[512];
	struct rb_fw_rule r;
	unsigned int num = 0, pos = 0;
	int n = 0;

	if (c->policy) {
		struct xt_counters cnt;
		const char *pol = iptc_get_policy(c->name, &cnt, h);

		if (!pol || strcmp(pol, c->policy) != 0)
			n += rb_fw_diff(cb, ctx, t->name, c->name, "policy is %s, expected %s",
				  pol ? pol : "?", c->policy);
	}
	for (const struct ipt_entry *e = iptc_first_rule(c->name, h); e; e = iptc_next_rule(e, h)) {
		const char *tg = iptc_get_target(e, h);
		int ours = tg && rb_fw_plan_owns(plan, tg);

		pos++;
		/* another bottle's host jump may come before ours: each apply
		 * inserts at the top */
		if (num < c->n_rules && tg && !ours && RB_FW_PREFIXED(tg, RB_FW_CHAIN_PREFIX) &&
		    iptc_is_chain(tg, h))
			continue;
		rb_xt_entry_text(c->name, e, h, &r, got, sizeof(got));
		if (num < c->n_rules) {
			if (rb_fw_rule_format(c->name, &c->rules[num], want, sizeof(want)) < 0)
				want[0] = '\0';
			if (strcmp(want, got) != 0)
				n += rb_fw_diff(cb, ctx, t->name, c->name,
					  "rule %u is \"%s\", expected \"%s\"", pos, got, want);
			num++;
		} else if (ours) {
			n += rb_fw_diff(cb, ctx, t->name, c->name, "extra rb jump at rule %u: \"%s\"",
				  pos, got);
		}
	}
	for (; num < c->n_rules; num++) {
		if (rb_fw_rule_format(c->name, &c->rules[num], want, sizeof(want)) < 0)
			want[0] = '\0';
		n += rb_fw_diff(cb, ctx, t->name, c->name, "missing rule %u \"%s\"", num + 1, want);
	}
	return n;
}


static int check_user(const struct rb_fw_table *t, const struct rb_fw_chain *c,
		      struct xtc_handle *h, rb_fw_diff_cb cb, void *ctx)
{
	char **got = NULL, **want = NULL, buf[512];
	struct rb_fw_rule r;
	size_t ng = 0, nw = 0;
	int n = -ENOMEM;

	if (!iptc_is_chain(c->name, h))
		return rb_fw_diff(cb, ctx, t->name, c->name, "chain is missing");
	want = (char **)calloc(c->n_rules + 1, sizeof(*want));
	if (!want)
		goto out;
	for (; nw < c->n_rules; nw++) {
		if (rb_fw_rule_format(c->name, &c->rules[nw], buf, sizeof(buf)) < 0)
			buf[0] = '\0';
		want[nw] = strdup(buf);
		if (!want[nw])
			goto out;
	}
	for (const struct ipt_entry *e = iptc_first_rule(c->name, h); e; e = iptc_next_rule(e, h)) {
		char **ng_v = (char **)realloc((void *)got, (ng + 1) * sizeof(*got));

		if (!ng_v)
			goto out;
		got = ng_v;
		rb_xt_entry_text(c->name, e, h, &r, buf, sizeof(buf));
		got[ng] = strdup(buf);
		if (!got[ng])
			goto out;
		ng++;
	}
	n = rb_fw_diff_rules(t->name, c->name, got, ng, want, nw, cb, ctx);
out:
	rb_fw_strv_free(got, ng);
	rb_fw_strv_free(want, nw);
	return n;
}

int rb_xt_check_table(const struct rb_fw_plan *plan, const struct rb_fw_table *t, rb_fw_diff_cb cb,
		      void *ctx, struct rb_err *err)
{
	cleanup_iptc struct xtc_handle *h = NULL;
	int n = 0;

	errno = 0;
	h = iptc_init(t->name);
	if (!h)
		return rb_xt_fail(err, t->name, "read the table");
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct rb_fw_chain *c = &t->chains[i];

		int k = c->builtin ? check_builtin(plan, t, c, h, cb, ctx) :
				     check_user(t, c, h, cb, ctx);

		if (k < 0) {
			rb_err_oom(err);
			return k;
		}
		n += k;
	}
	for (const char *c = iptc_first_chain(h); c; c = iptc_next_chain(h)) {
		if (!iptc_builtin(c, h) && rb_fw_plan_owns(plan, c) && !rb_fw_table_chain(t, c))
			n += rb_fw_diff(cb, ctx, t->name, c, "unexpected rb chain");
	}
	/* built-in chains the plan does not list must not jump into ours */
	for (const char *c = iptc_first_chain(h); c; c = iptc_next_chain(h)) {
		if (rb_fw_table_chain(t, c))
			continue;
		for (const struct ipt_entry *e = iptc_first_rule(c, h); e; e = iptc_next_rule(e, h)) {
			const char *tg = iptc_get_target(e, h);

			if (tg && rb_fw_plan_owns(plan, tg) && !rb_fw_plan_owns(plan, c))
				n += rb_fw_diff(cb, ctx, t->name, c, "unexpected jump to %s", tg);
		}
	}
	return n;
}

