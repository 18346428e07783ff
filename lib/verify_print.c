/* rb-verify's report: an aligned table for people, JSON for machines. */
#include "json.h"
#include "utils.h"
#include "verify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COLS_MAX 7
#define CELL_MAX 400

struct table {
	size_t ncols, nrows;
	char (*cells)[COLS_MAX][CELL_MAX]; /* row 0 is the header */
};

static int table_init(struct table *t, size_t ncols, size_t nrows)
{
	t->ncols = ncols;
	t->nrows = 0;
	t->cells = calloc(nrows + 1, sizeof(*t->cells));
	return t->cells ? 0 : -ENOMEM;
}

static char *cell(struct table *t, size_t row, size_t col)
{
	return t->cells[row][col];
}

/* Columns padded to their widest cell, two spaces apart; the last one is
 * not padded so lines carry no trailing blanks. */
static void table_print(const struct table *t, FILE *out)
{
	size_t w[COLS_MAX] = { 0 };

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r][c]);

			if (l > w[c])
				w[c] = l;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			if (c + 1 == t->ncols)
				fprintf(out, "%s\n", t->cells[r][c]);
			else
				fprintf(out, "%-*s  ", (int)w[c], t->cells[r][c]);
		}
	}
}

static const char *verdict_str(enum rb_probe_verdict v)
{
	switch (v) {
	case RB_VERDICT_OK:
		return "ok";
	case RB_VERDICT_FAIL:
		return "FAIL";
	case RB_VERDICT_UNTESTABLE:
		return "untestable";
	}
	return "?";
}

static void rule_str(const struct rb_verify_probe *vp, char *buf, size_t len)
{
	size_t off;

	if (!vp->has_rule && !vp->has_nat) {
		snprintf(buf, len, "-");
		return;
	}
	off = 0;
	if (vp->has_rule)
		off = (size_t)snprintf(buf, len, "%s %s %s", vp->rule.table, vp->rule.chain,
				       vp->rule.id[0] ? vp->rule.id : "(no id)");
	if (vp->has_nat && off < len)
		snprintf(buf + off, len - off, "%s%s %s %s", off ? " via " : "", vp->nat.table,
			 vp->nat.chain, vp->nat.id[0] ? vp->nat.id : "(no id)");
}

static void summary(const struct rb_verify_report *r, char *buf, size_t len)
{
	size_t total = r->n_checks + r->n_probes;
	int off = snprintf(buf, len, "%zu checks, %zu passed, %zu failed", total, r->passed,
			   r->failed);

	if (r->untestable && off > 0 && (size_t)off < len)
		snprintf(buf + off, len - (size_t)off, ", %zu not testable", r->untestable);
}

int rb_verify_print(const struct rb_verify_report *r, FILE *out)
{
	struct table t = { 0 };
	char line[160];
	int rc = 0;

	fprintf(out, "nameplate %s%s%s%s\n", r->moniker, r->nameplate[0] ? " (" : "",
		r->nameplate, r->nameplate[0] ? ")" : "");
	fprintf(out, "firewall: %s (%s)\n\n", r->backend[0] ? r->backend : "-", r->backend_why);
	if (table_init(&t, 5, r->n_checks) < 0)
		return -ENOMEM;
	snprintf(cell(&t, 0, 0), CELL_MAX, "CHECK");
	snprintf(cell(&t, 0, 1), CELL_MAX, "SUBJECT");
	snprintf(cell(&t, 0, 2), CELL_MAX, "RESULT");
	snprintf(cell(&t, 0, 3), CELL_MAX, "EXPECTED");
	snprintf(cell(&t, 0, 4), CELL_MAX, "OBSERVED");
	t.nrows = 1;
	for (size_t i = 0; i < r->n_checks; i++, t.nrows++) {
		const struct rb_verify_check *c = &r->checks[i];

		snprintf(cell(&t, t.nrows, 0), CELL_MAX, "%s", c->name);
		snprintf(cell(&t, t.nrows, 1), CELL_MAX, "%s", c->subject);
		snprintf(cell(&t, t.nrows, 2), CELL_MAX, "%s", c->ok ? "ok" : "FAIL");
		snprintf(cell(&t, t.nrows, 3), CELL_MAX, "%s", c->expect);
		snprintf(cell(&t, t.nrows, 4), CELL_MAX, "%s", c->observed);
	}
	table_print(&t, out);
	free(t.cells);

	if (r->n_probes > 0) {
		if (table_init(&t, 7, r->n_probes) < 0)
			return -ENOMEM;
		static const char *const head[] = { "PROBE", "TARGET", "EXPECT", "RESULT",
						    "OBSERVED", "RULE", "WHY" };
		for (size_t c = 0; c < 7; c++)
			snprintf(cell(&t, 0, c), CELL_MAX, "%s", head[c]);
		t.nrows = 1;
		for (size_t i = 0; i < r->n_probes; i++, t.nrows++) {
			const struct rb_verify_probe *vp = &r->probes[i];
			char obs[160];

			rb_probe_observed(&vp->probe, &vp->res, obs, sizeof(obs));
			snprintf(cell(&t, t.nrows, 0), CELL_MAX, "%s", rb_probe_kind_str(&vp->probe));
			rb_probe_target(&vp->probe, cell(&t, t.nrows, 1), CELL_MAX);
			snprintf(cell(&t, t.nrows, 2), CELL_MAX, "%s",
				 rb_probe_expect_str(vp->probe.expect));
			snprintf(cell(&t, t.nrows, 3), CELL_MAX, "%s", verdict_str(vp->verdict));
			snprintf(cell(&t, t.nrows, 4), CELL_MAX, "%s%s%s%s", obs,
				 vp->note[0] ? " [" : "", vp->note, vp->note[0] ? "]" : "");
			rule_str(vp, cell(&t, t.nrows, 5), CELL_MAX);
			snprintf(cell(&t, t.nrows, 6), CELL_MAX, "%s", vp->why);
		}
		fprintf(out, "\n");
		table_print(&t, out);
		free(t.cells);
	}

	if (r->n_run > 0) {
		if (table_init(&t, 6, r->n_run) < 0)
			return -ENOMEM;
		static const char *const head[] = { "COUNTERS", "CHAIN", "#", "RULE", "TARGET",
						    "PACKETS" };
		for (size_t c = 0; c < 6; c++)
			snprintf(cell(&t, 0, c), CELL_MAX, "%s", head[c]);
		t.nrows = 1;
		for (size_t i = 0; i < r->n_run; i++, t.nrows++) {
			const struct rb_verify_rule *u = &r->run[i];

			snprintf(cell(&t, t.nrows, 0), CELL_MAX, "%s", u->table);
			snprintf(cell(&t, t.nrows, 1), CELL_MAX, "%s", u->chain);
			snprintf(cell(&t, t.nrows, 2), CELL_MAX, "%u", u->index);
			snprintf(cell(&t, t.nrows, 3), CELL_MAX, "%s", u->id[0] ? u->id : "-");
			snprintf(cell(&t, t.nrows, 4), CELL_MAX, "%s", u->target);
			snprintf(cell(&t, t.nrows, 5), CELL_MAX, "%llu", (unsigned long long)u->pkts);
		}
		fprintf(out, "\n(counters moved in the sentry while the probes ran in parallel)\n");
		table_print(&t, out);
		free(t.cells);
	}
	summary(r, line, sizeof(line));
	fprintf(out, "\n%s\n", line);
	if (fflush(out) == EOF)
		rc = -EIO;
	return rc;
}

static void json_rule(struct rb_json *j, cJSON *parent, const char *key,
		      const struct rb_verify_rule *u, int full)
{
	cJSON *o = rb_json_obj(j, parent, key);

	rb_json_str(j, o, "table", u->table);
	rb_json_str(j, o, "chain", u->chain);
	rb_json_str(j, o, "id", u->id);
	rb_json_int(j, o, "index", u->index);
	rb_json_str(j, o, "target", u->target);
	if (full)
		rb_json_str(j, o, "text", u->text);
	rb_json_int(j, o, "packets", (int64_t)u->pkts);
	if (full)
		rb_json_int(j, o, "bytes", (int64_t)u->bytes);
}

static const char *outcome_str(enum rb_probe_outcome o)
{
	static const char *const s[] = {
		[RB_OUT_NONE] = "none",		  [RB_OUT_OPEN] = "open",
		[RB_OUT_REPLY] = "reply",	  [RB_OUT_ANSWER] = "answer",
		[RB_OUT_REFUSED] = "refused",	  [RB_OUT_UNREACHABLE] = "unreachable",
		[RB_OUT_TIMEOUT] = "timeout",	  [RB_OUT_CLOSED] = "closed",
		[RB_OUT_MALFORMED] = "malformed", [RB_OUT_UNTESTABLE] = "untestable",
		[RB_OUT_ERROR] = "error",
	};

	return (size_t)o < N_ELEMENTS(s) ? s[o] : "?";
}

int rb_verify_print_json(const struct rb_verify_report *r, FILE *out, struct rb_err *err)
{
	struct rb_json j;
	cJSON *arr, *o, *sum;
	char buf[CELL_MAX];
	int rc;

	if (rb_json_init(&j, 0) < 0)
		return rb_err_oom(err);
	rb_json_str(&j, j.root, "nameplate", r->nameplate);
	rb_json_str(&j, j.root, "moniker", r->moniker);
	rb_json_str(&j, j.root, "backend", r->backend);
	rb_json_str(&j, j.root, "backend_why", r->backend_why);

	arr = rb_json_arr(&j, j.root, "checks");
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct rb_verify_check *c = &r->checks[i];

		o = rb_json_obj(&j, arr, NULL);
		rb_json_str(&j, o, "name", c->name);
		rb_json_str(&j, o, "subject", c->subject);
		rb_json_str(&j, o, "expect", c->expect);
		rb_json_str(&j, o, "observed", c->observed);
		rb_json_bool(&j, o, "ok", c->ok);
	}

	arr = rb_json_arr(&j, j.root, "probes");
	for (size_t i = 0; i < r->n_probes; i++) {
		const struct rb_verify_probe *vp = &r->probes[i];
		cJSON *a;

		o = rb_json_obj(&j, arr, NULL);
		rb_json_str(&j, o, "kind", rb_probe_kind_str(&vp->probe));
		rb_probe_target(&vp->probe, buf, sizeof(buf));
		rb_json_str(&j, o, "target", buf);
		rb_probe_spec(&vp->probe, buf, sizeof(buf));
		rb_json_str(&j, o, "spec", buf);
		rb_json_str(&j, o, "expect", rb_probe_expect_str(vp->probe.expect));
		rb_probe_observed(&vp->probe, &vp->res, buf, sizeof(buf));
		rb_json_str(&j, o, "observed", buf);
		rb_json_str(&j, o, "outcome", outcome_str(vp->res.outcome));
		if (vp->probe.kind == RB_PROBE_DNS || vp->probe.kind == RB_PROBE_TCP_DNS) {
			if (vp->res.outcome == RB_OUT_ANSWER)
				rb_json_str(&j, o, "rcode", rb_dns_rcode_str(vp->res.rcode));
			else
				rb_json_null(&j, o, "rcode");
			a = rb_json_arr(&j, o, "answers");
			for (unsigned int k = 0; k < vp->res.n_addrs; k++) {
				char s[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &vp->res.addrs[k], s, sizeof(s));
				rb_json_str(&j, a, NULL, s);
			}
		}
		/* ok: null when the probe could not be run here (not a pass) */
		if (vp->verdict == RB_VERDICT_UNTESTABLE)
			rb_json_null(&j, o, "ok");
		else
			rb_json_bool(&j, o, "ok", vp->verdict == RB_VERDICT_OK);
		rb_json_str(&j, o, "verdict", vp->verdict == RB_VERDICT_OK     ? "ok"
					      : vp->verdict == RB_VERDICT_FAIL ? "fail"
									       : "untestable");
		rb_json_str(&j, o, "origin", vp->from_cli ? "cli" : "default");
		rb_json_str(&j, o, "why", vp->why);
		rb_json_str(&j, o, "note", vp->note[0] ? vp->note : NULL);
		rb_json_int(&j, o, "elapsed_ms", vp->res.elapsed_ms);
		if (vp->has_rule)
			json_rule(&j, o, "rule", &vp->rule, 0);
		else
			rb_json_null(&j, o, "rule");
		if (vp->has_nat)
			json_rule(&j, o, "nat", &vp->nat, 0);
		else
			rb_json_null(&j, o, "nat");
		a = rb_json_arr(&j, o, "rules");
		for (size_t k = 0; k < vp->n_rules; k++)
			json_rule(&j, a, NULL, &vp->rules[k], 1);
	}

	arr = rb_json_arr(&j, j.root, "counters");
	for (size_t i = 0; i < r->n_run; i++)
		json_rule(&j, arr, NULL, &r->run[i], 1);

	sum = rb_json_obj(&j, j.root, "summary");
	rb_json_int(&j, sum, "checks", (int64_t)(r->n_checks + r->n_probes));
	rb_json_int(&j, sum, "passed", (int64_t)r->passed);
	rb_json_int(&j, sum, "failed", (int64_t)r->failed);
	rb_json_int(&j, sum, "untestable", (int64_t)r->untestable);
	rb_json_bool(&j, j.root, "ok", r->ok);

	rc = rb_json_print(&j, out, 1, err);
	rb_json_free(&j);
	return rc;
}
