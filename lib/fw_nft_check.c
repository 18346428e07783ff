/* The nft drift check: the plan's table as the codec writes it against
 * the live table as `nft -s list table` prints it, chain by chain and rule
 * by rule; set contents compared as address intervals (the CIDR set merges
 * overlapping and adjacent members). */
#include "fw_nft.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

struct ival {
	uint32_t lo, hi;
};

struct ivals {
	struct ival *v;
	size_t n, cap;
};

static int iv_add(struct ivals *s, uint32_t lo, uint32_t hi)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct ival *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].lo = lo;
	s->v[s->n++].hi = hi;
	return 0;
}

static int iv_cmp(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorted, overlapping and adjacent intervals joined: the form nft's
 * auto-merge keeps, so both sides compare one to one. */
static void iv_merge(struct ivals *s)
{
	size_t u = 0;

	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof(*s->v), iv_cmp);
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[u].hi == UINT32_MAX || s->v[i].lo <= s->v[u].hi + 1) {
			if (s->v[i].hi > s->v[u].hi)
				s->v[u].hi = s->v[i].hi;
		} else {
			s->v[++u] = s->v[i];
		}
	}
	s->n = u + 1;
}

static void iv_str(const struct ival *iv, char *buf, size_t len)
{
	struct in_addr a = { htonl(iv->lo) }, b = { htonl(iv->hi) };
	char x[INET_ADDRSTRLEN], y[INET_ADDRSTRLEN];
	uint64_t size = (uint64_t)iv->hi - iv->lo + 1;
	unsigned int prefix = 32;

	inet_ntop(AF_INET, &a, x, sizeof(x));
	while (prefix > 0 && ((uint64_t)1 << (32 - prefix)) < size)
		prefix--;
	if (((uint64_t)1 << (32 - prefix)) == size && (iv->lo & (uint32_t)(size - 1)) == 0) {
		snprintf(buf, len, "%s/%u", x, prefix);
		return;
	}
	inet_ntop(AF_INET, &b, y, sizeof(y));
	snprintf(buf, len, "%s-%s", x, y);
}

/* The host bits of a /p: all but the first p bits. */
static uint32_t host_bits(unsigned int p)
{
	return ~rb_prefix_mask(p);
}

static int addr_of(const cJSON *j, uint32_t *v)
{
	struct in_addr a;

	if (!cJSON_IsString(j) || rb_parse_ipv4(j->valuestring, &a) < 0)
		return -EINVAL;
	*v = ntohl(a.s_addr);
	return 0;
}

/* One element of nft's JSON: "a.b.c.d", {"prefix": {...}}, {"range":
 * [a, b]}, or any of them wrapped in {"elem": {"val": ...}} (timeouts). */
static int elem_add(const cJSON *e, struct ivals *s)
{
	const cJSON *x;
	uint32_t lo, hi;

	if ((x = cJSON_GetObjectItemCaseSensitive(e, "elem")))
		return elem_add(cJSON_GetObjectItemCaseSensitive(x, "val"), s);
	if ((x = cJSON_GetObjectItemCaseSensitive(e, "prefix"))) {
		const cJSON *len = cJSON_GetObjectItemCaseSensitive(x, "len");

		if (addr_of(cJSON_GetObjectItemCaseSensitive(x, "addr"), &lo) < 0 ||
		    !cJSON_IsNumber(len) || len->valueint < 0 || len->valueint > 32)
			return -EINVAL;
		lo &= ~host_bits((unsigned int)len->valueint);
		hi = lo | host_bits((unsigned int)len->valueint);
		return iv_add(s, lo, hi);
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(e, "range"))) {
		if (cJSON_GetArraySize(x) != 2 || addr_of(cJSON_GetArrayItem(x, 0), &lo) < 0 ||
		    addr_of(cJSON_GetArrayItem(x, 1), &hi) < 0)
			return -EINVAL;
		return iv_add(s, lo, hi);
	}
	if (addr_of(e, &lo) < 0)
		return -EINVAL;
	return iv_add(s, lo, lo);
}

static int live_members(const char *table, const char *set, struct ivals *s, struct rb_err *err)
{
	char cmd[160], what[160], *out = NULL;
	const cJSON *arr, *it;
	cJSON *root = NULL;
	int rc;

	snprintf(cmd, sizeof(cmd), "list set %s %s %s", RB_FW_NFT_FAMILY, table, set);
	snprintf(what, sizeof(what), "read set %s", set);
	rc = rb_nft_run(cmd, NFT_CTX_OUTPUT_JSON, &out, what, err);
	if (rc < 0)
		return rc;
	root = cJSON_Parse(out);
	free(out);
	arr = cJSON_GetObjectItemCaseSensitive(root, "nftables");
	rc = rb_err_set(err, -EPROTO, "nft printed set %s in a form rb does not know", set);
	cJSON_ArrayForEach(it, arr) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "set"), *e;

		if (!st)
			continue;
		rc = 0;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(st, "elem")) {
			rc = elem_add(e, s);
			if (rc < 0) {
				rc = rb_err_set(err, rc, "nft printed an element of set %s that rb "
							 "does not know", set);
				break;
			}
		}
	}
	cJSON_Delete(root);
	return rc;
}

static int check_members(const char *table, const struct rb_fw_set *ps, rb_fw_diff_cb cb,
			 void *ctx, struct rb_err *err)
{
	struct ivals want = { 0 }, got = { 0 };
	char a[40];
	size_t i = 0, j = 0;
	int n = 0, rc;

	for (size_t k = 0; k < ps->n_members; k++) {
		uint32_t lo = ntohl(ps->members[k].addr.s_addr);
		unsigned int p = ps->members[k].prefix;
		lo &= ~host_bits(p);
		if (iv_add(&want, lo, lo | host_bits(p)) < 0) {
			rc = rb_err_oom(err);
			goto out;
		}
	}
	rc = live_members(table, ps->name, &got, err);
	if (rc < 0)
		goto out;
	iv_merge(&want);
	iv_merge(&got);
	while (i < want.n || j < got.n) {
		if (i < want.n && j < got.n && want.v[i].lo == got.v[j].lo &&
		    want.v[i].hi == got.v[j].hi) {
			i++;
			j++;
		} else if (j == got.n || (i < want.n && want.v[i].lo <= got.v[j].lo)) {
			iv_str(&want.v[i++], a, sizeof(a));
			n += rb_fw_diff(cb, ctx, "set", ps->name, "member %s is missing", a);
		} else {
			iv_str(&got.v[j++], a, sizeof(a));
			n += rb_fw_diff(cb, ctx, "set", ps->name, "unexpected member %s", a);
		}
	}
	rc = n;
out:
	free(want.v);
	free(got.v);
	return rc;
}

static const struct rb_nft_chain *find(const struct rb_nft_table *t, const char *name, int set)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->c[i].set == set && !strcmp(t->c[i].name, name))
			return &t->c[i];
	return NULL;
}

static const struct rb_fw_set *plan_set(const struct rb_fw_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_sets; i++)
		if (!strcmp(plan->sets[i].name, name))
			return &plan->sets[i];
	return NULL;
}

int rb_nft_check(const struct rb_fw_plan *plan, rb_fw_diff_cb cb, void *ctx, struct rb_err *err)
{
	struct rb_nft_table want = { 0 }, got = { 0 };
	char name[64], label[80], cmd[128], *text = NULL, *live = NULL;
	int n = 0, rc;

	rb_nft_table_name(plan, name, sizeof(name));
	snprintf(label, sizeof(label), "%s %s", RB_FW_NFT_FAMILY, name);
	/* first, as a fresh netns has no table: the apply that follows need
	 * not wait for a ruleset text built only to be compared */
	if (!rb_nft_table_exists(name)) {
		rc = rb_fw_diff(cb, ctx, label, "-", "table is missing");
		goto out;
	}
	rc = rb_nft_plan_text(plan, 0, &text);
	if (rc == 0)
		rc = rb_nft_table_parse(text, &want);
	if (rc < 0) {
		rc = rb_err_sys(err, -rc, "cannot build the nft ruleset");
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "list table %s %s", RB_FW_NFT_FAMILY, name);
	rc = rb_nft_run(cmd, NFT_CTX_OUTPUT_STATELESS, &live, "read the rb table", err);
	if (rc == 0)
		rc = rb_nft_table_parse(live, &got);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < want.n; i++) {
		const struct rb_nft_chain *w = &want.c[i], *g = find(&got, w->name, w->set);
		const struct rb_fw_set *ps = w->set ? plan_set(plan, w->name) : NULL;

		if (!g) {
			n += rb_fw_diff(cb, ctx, w->set ? "set" : rb_fw_chain_table(w->name), w->name,
					"%s is missing",
					w->set ? "set" : "chain");
			continue;
		}
		if (strcmp(w->head, g->head) != 0)
			n += rb_fw_diff(cb, ctx, w->set ? "set" : rb_fw_chain_table(w->name),
					w->name, "is \"%s\", expected \"%s\"", g->head, w->head);
		if (w->set) {
			/* the answers are the resolver's to fill; the host's
			 * addresses are the plan's only when it was given them */
			if (!ps || !strcmp(ps->name, RB_FW_SET_DNS) ||
			    !strcmp(ps->name, RB_FW_SET_DNS_PORT) ||
			    (!strcmp(ps->name, RB_FW_SET_HOST) && !plan->host_addrs_known))
				continue;
			rc = rb_fw_set_ported(ps) ? rb_nft_check_port_members(name, ps, cb, ctx, err) :
						    check_members(name, ps, cb, ctx, err);
		} else {
			rc = rb_fw_diff_rules(rb_fw_chain_table(w->name), w->name, g->rules, g->n_rules, w->rules,
					      w->n_rules, cb, ctx);
			if (rc < 0)
				rb_err_oom(err);
		}
		if (rc < 0)
			goto out;
		n += rc;
	}
	for (size_t i = 0; i < got.n; i++)
		if (!find(&want, got.c[i].name, got.c[i].set))
			n += rb_fw_diff(cb, ctx, got.c[i].set ? "set" : rb_fw_chain_table(got.c[i].name),
					got.c[i].name,
					"unexpected %s", got.c[i].set ? "set" : "chain");
	rc = n;
out:
	free(text);
	free(live);
	rb_nft_table_free(&want);
	rb_nft_table_free(&got);
	return rc;
}
