/* The nft counters: every rule of every RB-* chain of table inet rb with
 * the packets and bytes of its counter statement, as nft lists them. */
#include "fw_nft.h"
#include "utils.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* "... counter packets P bytes B verdict ... comment "rb:id"": the counts,
 * the rule text without them (what `nft -s` prints), the verdict and id. */
static void rule_read(const char *line, struct rb_fw_counter *x)
{
	static const struct {
		const char *word, *target;
	} verdicts[] = {
		{ "accept", "ACCEPT" }, { "drop", "DROP" },	    { "reject", "REJECT" },
		{ "dnat", "DNAT" },	{ "masquerade", "MASQUERADE" }, { "queue", "NFQUEUE" },
		{ "log", "NFLOG" },
	};
	const char *c = strstr(line, "counter packets "), *v = NULL, *cm;
	size_t pre = c ? (size_t)(c - line) + strlen("counter") : strlen(line);

	if (c) {
		char *end;

		x->pkts = strtoull(c + strlen("counter packets "), &end, 10);
		if (!strncmp(end, " bytes ", 7))
			x->bytes = strtoull(end + 7, &end, 10);
		v = end;
	}
	snprintf(x->text, sizeof(x->text), "%.*s%s", (int)pre, line, v ? v : "");
	cm = strstr(x->text, " comment \"rb:");
	if (cm) {
		const char *id = cm + strlen(" comment \"");

		snprintf(x->id, sizeof(x->id), "%.*s", (int)strcspn(id, "\""), id);
	}
	for (v = v ? v : line; *v == ' '; v++)
		;
	if (!strncmp(v, "jump ", 5)) {
		snprintf(x->target, sizeof(x->target), "%.*s", (int)strcspn(v + 5, " "), v + 5);
		return;
	}
	for (size_t i = 0; i < N_ELEMENTS(verdicts); i++) {
		size_t n = strlen(verdicts[i].word);

		if (!strncmp(v, verdicts[i].word, n) && (v[n] == ' ' || !v[n]))
			snprintf(x->target, sizeof(x->target), "%s", verdicts[i].target);
	}
}

int rb_nft_counters_read(struct rb_fw_counter **out, size_t *n, struct rb_err *err)
{
	struct rb_nft_table t = { 0 };
	struct rb_fw_counter *v = NULL;
	size_t k = 0, total = 0;
	char *live = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	/* no table, no rb rule counted: as the xtables reader finds no RB-
	 * chain (rb-verify then names the backend that holds nothing) */
	if (!rb_nft_table_exists(RB_FW_NFT_TABLE))
		return 0;
	rc = rb_nft_run("list table " RB_FW_NFT_FAMILY " " RB_FW_NFT_TABLE, 0, &live,
			"read the rb table", err);
	if (rc == 0)
		rc = rb_nft_table_parse(live, &t);
	free(live);
	if (rc < 0)
		return rc == -ENOMEM ? rb_err_oom(err) : rc;
	for (size_t i = 0; i < t.n; i++)
		if (!t.c[i].set && RB_FW_PREFIXED(t.c[i].name, RB_FW_CHAIN_PREFIX))
			total += t.c[i].n_rules;
	v = calloc(total + 1, sizeof(*v));
	for (size_t i = 0; v && i < t.n; i++) {
		const struct rb_nft_chain *c = &t.c[i];

		if (c->set || !RB_FW_PREFIXED(c->name, RB_FW_CHAIN_PREFIX))
			continue;
		for (size_t j = 0; j < c->n_rules && k < total; j++) {
			struct rb_fw_counter *x = &v[k++];

			snprintf(x->table, sizeof(x->table), "%s", rb_fw_chain_table(c->name));
			snprintf(x->chain, sizeof(x->chain), "%.31s", c->name);
			x->index = (unsigned int)j + 1;
			rule_read(c->rules[j], x);
		}
	}
	rb_nft_table_free(&t);
	if (!v)
		return rb_err_oom(err);
	*out = v;
	*n = k;
	return 0;
}
