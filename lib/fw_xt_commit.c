/* The xtables commit: one table of a plan written with libiptc, in one
 * iptc_commit, touching only the chains and jumps the plan owns. */
#include "fw_xt.h"
#include "utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void label(xt_chainlabel l, const char *name)
{
	memset(l, 0, sizeof(xt_chainlabel));
	snprintf(l, sizeof(xt_chainlabel), "%s", name);
}

/* Names of the plan-owned user chains present in h (so deleting while
 * iterating is avoided). */
static int owned_chains(const struct rb_fw_plan *plan, struct xtc_handle *h, char ***out,
			size_t *n)
{
	char **v = NULL;
	size_t k = 0;

	for (const char *c = iptc_first_chain(h); c; c = iptc_next_chain(h)) {
		char **nv;

		if (iptc_builtin(c, h) || !rb_fw_plan_owns(plan, c))
			continue;
		nv = (char **)realloc((void *)v, (k + 1) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		v[k] = strdup(c);
		if (!v[k])
			goto nomem;
		k++;
	}
	*out = v;
	*n = k;
	return 0;
nomem:
	for (size_t i = 0; i < k; i++)
		free(v[i]);
	free((void *)v);
	return -ENOMEM;
}

/* Deletes every rule of builtin chain `chain` that jumps to a chain the plan
 * owns (a previous apply's jump), last first so numbers stay valid.
 * Returns how many it deleted. */
static int drop_jumps(const struct rb_fw_plan *plan, struct xtc_handle *h, const char *chain,
		      const char *table, struct rb_err *err)
{
	xt_chainlabel l = { 0 };
	unsigned int num = 0, del[256];
	size_t nd = 0;

	label(l, chain);
	for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
		const char *t = iptc_get_target(e, h);

		num++;
		if (t && rb_fw_plan_owns(plan, t) && iptc_is_chain(t, h)) {
			if (nd == N_ELEMENTS(del))
				return rb_err_set(err, -E2BIG, "too many rb jumps in %s/%s", table,
						  chain);
			del[nd++] = num;
		}
	}
	for (size_t i = nd; i > 0; i--) {
		errno = 0;
		if (!iptc_delete_num_entry(l, del[i - 1] - 1, h))
			return rb_xt_fail(err, table, "delete an old rb jump");
	}
	return (int)nd;
}

/* rb_xt_commit_table with /run/xtables.lock held */
static int commit_locked(const struct rb_fw_plan *plan, const struct rb_fw_table *t,
			 struct rb_err *err)
{
	cleanup_iptc struct xtc_handle *h = NULL;
	char **old = NULL;
	size_t n_old = 0;
	int rc, changed = 0;
	xt_chainlabel l = { 0 }, pol = { 0 };

	errno = 0;
	h = iptc_init(t->name);
	if (!h)
		return rb_xt_fail(err, t->name, "read the table");
	for (size_t i = 0; i < t->n_chains; i++) {
		if (!t->chains[i].builtin)
			continue;
		rc = drop_jumps(plan, h, t->chains[i].name, t->name, err);
		if (rc < 0)
			goto out;
		changed |= rc > 0;
	}
	rc = owned_chains(plan, h, &old, &n_old);
	if (rc < 0) {
		rb_err_oom(err);
		goto out;
	}
	changed |= n_old > 0;
	/* flush first: an owned chain may jump to another one */
	for (size_t i = 0; i < n_old; i++) {
		label(l, old[i]);
		errno = 0;
		if (!iptc_flush_entries(l, h)) {
			rc = rb_xt_fail(err, t->name, "flush an rb chain");
			goto out;
		}
	}
	for (size_t i = 0; i < n_old; i++) {
		if (rb_fw_table_chain(t, old[i]))
			continue;
		label(l, old[i]);
		errno = 0;
		if (!iptc_delete_chain(l, h)) {
			rc = rb_xt_err(iptc_strerror, err, "cannot delete stale chain %s in table \"%s\"", old[i],
				       t->name);
			goto out;
		}
	}
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct rb_fw_chain *c = &t->chains[i];

		if (c->builtin || iptc_is_chain(c->name, h))
			continue;
		changed = 1;
		label(l, c->name);
		errno = 0;
		if (!iptc_create_chain(l, h)) {
			rc = rb_xt_fail(err, t->name, "create an rb chain");
			goto out;
		}
	}
	for (size_t i = 0; i < t->n_chains; i++) {
		const struct rb_fw_chain *c = &t->chains[i];

		label(l, c->name);
		if (c->builtin && !iptc_is_chain(c->name, h)) {
			rc = rb_err_set(err, -ENOENT, "table \"%s\" has no chain %s", t->name,
					c->name);
			goto out;
		}
		for (size_t j = 0; j < c->n_rules; j++) {
			cleanup_free struct ipt_entry *e = NULL;
			int ok;

			rc = rb_xt_rule_encode(&c->rules[j], &e, err);
			if (rc < 0)
				goto out;
			errno = 0;
			/* builtins get the jumps in front, in plan order */
			ok = c->builtin ? iptc_insert_entry(l, e, (unsigned int)j, h) :
					  iptc_append_entry(l, e, h);
			changed = 1;
			if (!ok) {
				char what[96];

				snprintf(what, sizeof(what), "add rule rb:%s to %s",
					 c->rules[j].id, c->name);
				rc = rb_xt_fail(err, t->name, what);
				goto out;
			}
		}
		if (c->builtin && c->policy) {
			changed = 1;
			label(pol, c->policy);
			errno = 0;
			if (!iptc_set_policy(l, pol, NULL, h)) {
				rc = rb_xt_fail(err, t->name, "set a policy");
				goto out;
			}
		}
	}
	/* nothing of ours there and nothing to add (a removal that finds
	 * nothing): leave the table as it is */
	rc = 0;
	if (!changed)
		goto out;
	errno = 0;
	if (!iptc_commit(h)) {
		rc = rb_xt_err(iptc_strerror, err, "cannot commit table \"%s\"", t->name);
		goto out;
	}
out:
	rb_fw_strv_free(old, n_old);
	return rc;
}

int rb_xt_commit_table(const struct rb_fw_plan *plan, const struct rb_fw_table *t,
		       struct rb_err *err)
{
	int lock, rc;

	lock = rb_xtables_lock(err);
	if (lock < 0)
		return lock;
	rc = commit_locked(plan, t, err);
	rb_xtables_unlock(lock);
	return rc;
}

int rb_xt_host_remove(const char *moniker, struct rb_err *err)
{
	struct rb_fw_plan *p = NULL;
	int rc;

	rc = rb_fw_host_plan_empty(moniker, &p);
	if (rc < 0)
		return rb_err_oom(err);
	/* a plan that owns the chains and wants none of them: each commit
	 * drops the jumps and deletes the chains, other rules stay */
	for (size_t i = 0; rc == 0 && i < p->n_tables; i++)
		rc = rb_xt_commit_table(p, &p->tables[i], err);
	rb_fw_plan_free(p);
	return rc;
}

