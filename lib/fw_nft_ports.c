/* The nft drift check of a ported set (RB-CIDR-PORT): its elements,
 * (address, protocol, port), compared as the text nft lists them. The plan
 * never writes two that overlap, and nft merges none of a concatenation,
 * so both sides compare one to one. */
#include "fw_nft.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

/* A live element of a ported set as rb_nft_port_elem writes one: nft's
 * JSON {"concat": [addr or {"prefix": ...}, "tcp", 443 or {"range": ...}]}. */
static int port_elem_str(const cJSON *e, char *buf, size_t len)
{
	const cJSON *x, *a, *pr, *pt;
	char as[48], ps[16];

	if ((x = cJSON_GetObjectItemCaseSensitive(e, "elem")))
		return port_elem_str(cJSON_GetObjectItemCaseSensitive(x, "val"), buf, len);
	x = cJSON_GetObjectItemCaseSensitive(e, "concat");
	if (cJSON_GetArraySize(x) != 3)
		return -EINVAL;
	a = cJSON_GetArrayItem(x, 0);
	pr = cJSON_GetArrayItem(x, 1);
	pt = cJSON_GetArrayItem(x, 2);
	if (cJSON_IsString(a)) {
		snprintf(as, sizeof(as), "%s", a->valuestring);
	} else {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(a, "prefix");
		const cJSON *ad = cJSON_GetObjectItemCaseSensitive(p, "addr");
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(p, "len");

		if (!cJSON_IsString(ad) || !cJSON_IsNumber(l))
			return -EINVAL;
		snprintf(as, sizeof(as), "%s/%d", ad->valuestring, l->valueint);
	}
	if (cJSON_IsNumber(pt)) {
		snprintf(ps, sizeof(ps), "%d", pt->valueint);
	} else {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(pt, "range");

		if (cJSON_GetArraySize(r) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(r, 0)) ||
		    !cJSON_IsNumber(cJSON_GetArrayItem(r, 1)))
			return -EINVAL;
		snprintf(ps, sizeof(ps), "%d-%d", cJSON_GetArrayItem(r, 0)->valueint,
			 cJSON_GetArrayItem(r, 1)->valueint);
	}
	if (!cJSON_IsString(pr))
		return -EINVAL;
	snprintf(buf, len, "%s . %s . %s", as, pr->valuestring, ps);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The live elements of ported set `set`, as text, sorted. */
static int live_port_elems(const char *table, const char *set, char ***out, size_t *n,
			   struct rb_err *err)
{
	char cmd[160], what[160], *text = NULL, e[96], **v = NULL;
	const cJSON *it;
	cJSON *root;
	size_t k = 0;
	int rc;

	snprintf(cmd, sizeof(cmd), "list set %s %s %s", RB_FW_NFT_FAMILY, table, set);
	snprintf(what, sizeof(what), "read set %s", set);
	rc = rb_nft_run(cmd, NFT_CTX_OUTPUT_JSON, &text, what, err);
	if (rc < 0)
		return rc;
	root = cJSON_Parse(text);
	free(text);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "nftables")) {
		const cJSON *el, *elems = cJSON_GetObjectItemCaseSensitive(
					     cJSON_GetObjectItemCaseSensitive(it, "set"), "elem");
		char **nv;

		if (!elems)
			continue;
		nv = (char **)realloc((void *)v, ((size_t)cJSON_GetArraySize(elems) + k + 1) *
							 sizeof(*v));
		if (!nv) {
			rc = rb_err_oom(err);
			break;
		}
		v = nv;
		cJSON_ArrayForEach(el, elems) {
			if (port_elem_str(el, e, sizeof(e)) < 0) {
				rc = rb_err_set(err, -EPROTO, "nft printed an element of set %s that "
							     "rb does not know", set);
				break;
			}
			v[k] = strdup(e);
			if (!v[k]) {
				rc = rb_err_oom(err);
				break;
			}
			k++;
		}
		if (rc < 0)
			break;
	}
	cJSON_Delete(root);
	if (rc < 0) {
		rb_fw_strv_free(v, k);
		return rc;
	}
	if (k > 1)
		qsort((void *)v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	return 0;
}

int rb_nft_check_port_members(const char *table, const struct rb_fw_set *ps, rb_fw_diff_cb cb,
			      void *ctx, struct rb_err *err)
{
	char **want = NULL, **got = NULL, e[96];
	size_t nw = ps->n_members, ng = 0, i = 0, j = 0;
	int n = 0, rc;

	want = (char **)calloc(nw + 1, sizeof(*want));
	if (!want)
		return rb_err_oom(err);
	for (size_t k = 0; k < nw; k++) {
		rb_nft_port_elem(ps, k, e, sizeof(e));
		want[k] = strdup(e);
		if (!want[k]) {
			rc = rb_err_oom(err);
			goto out;
		}
	}
	if (nw > 1)
		qsort((void *)want, nw, sizeof(*want), cmp_str);
	rc = live_port_elems(table, ps->name, &got, &ng, err);
	if (rc < 0)
		goto out;
	while (i < nw || j < ng) {
		int c = i == nw ? 1 : j == ng ? -1 : strcmp(want[i], got[j]);

		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			n += rb_fw_diff(cb, ctx, "set", ps->name, "member %s is missing", want[i++]);
		} else {
			n += rb_fw_diff(cb, ctx, "set", ps->name, "unexpected member %s", got[j++]);
		}
	}
	rc = n;
out:
	rb_fw_strv_free(want, nw);
	rb_fw_strv_free(got, ng);
	return rc;
}

