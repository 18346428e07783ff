/* The xtables counters: every rule of every RB-* chain of filter and nat,
 * with its packet and byte counts, as libiptc reads them. */
#include "fw_xt.h"
#include "utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *verdict_name(const struct rb_fw_rule *r)
{
	switch (r->verdict) {
	case RB_FW_ACCEPT:
		return "ACCEPT";
	case RB_FW_DROP:
		return "DROP";
	case RB_FW_REJECT:
		return "REJECT";
	case RB_FW_DNAT:
		return "DNAT";
	case RB_FW_MASQUERADE:
		return "MASQUERADE";
	case RB_FW_QUEUE:
		return "NFQUEUE";
	case RB_FW_NFLOG:
		return "NFLOG";
	case RB_FW_JUMP:
		return r->jump;
	}
	return "";
}

int rb_xt_counters_read(struct rb_fw_counter **out, size_t *n, struct rb_err *err)
{
	static const char *const tables[] = { "filter", "nat" };
	cleanup_free struct rb_fw_counter *v = NULL;
	size_t k = 0, cap = 0;
	struct rb_fw_rule r;

	*out = NULL;
	*n = 0;
	for (size_t ti = 0; ti < N_ELEMENTS(tables); ti++) {
		cleanup_iptc struct xtc_handle *h = NULL;

		errno = 0;
		h = iptc_init(tables[ti]);
		if (!h)
			return rb_xt_fail(err, tables[ti], "read the table");
		for (const char *c = iptc_first_chain(h); c; c = iptc_next_chain(h)) {
			unsigned int idx = 0;

			if (!RB_FW_PREFIXED(c, RB_FW_CHAIN_PREFIX))
				continue;
			for (const struct ipt_entry *e = iptc_first_rule(c, h); e;
			     e = iptc_next_rule(e, h)) {
				struct rb_fw_counter *x;

				if (k == cap) {
					size_t ncap = cap ? cap * 2 : 64;

					x = realloc(v, ncap * sizeof(*v));
					if (!x)
						return rb_err_oom(err);
					v = x;
					cap = ncap;
				}
				x = &v[k++];
				memset(x, 0, sizeof(*x));
				snprintf(x->table, sizeof(x->table), "%s", tables[ti]);
				snprintf(x->chain, sizeof(x->chain), "%s", c);
				x->index = ++idx;
				rb_xt_entry_text(c, e, h, &r, x->text, sizeof(x->text));
				if (r.id[0])
					snprintf(x->id, sizeof(x->id), "rb:%s", r.id);
				snprintf(x->target, sizeof(x->target), "%s", verdict_name(&r));
				x->pkts = e->counters.pcnt;
				x->bytes = e->counters.bcnt;
			}
		}
	}
	*out = steal_pointer(&v);
	*n = k;
	return 0;
}

