/* The learned answers across a changed apply on nft: the transaction that
 * replaces table inet rb recreates RB-DNS and RB-DNS-PORT empty, so their
 * elements are read first and added back in that same transaction, each
 * for what is left of its timeout, rounded up (never a moment short). The
 * bottle's flows to the answers of names it still allows go on (lib/fw.c
 * says why this is the learner's set to prune, not the apply's), and so
 * does each element's tag, which that pruning reads. Every
 * element is read back from the kernel's JSON and checked before it goes
 * into the commands: nothing nft prints is pasted unread. */
#include "answers_int.h"
#include "fw_nft.h"
#include "utils.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <nftables/libnftables.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An answer never lasts longer than the learner's longest (lib/learn.h). */
#define CARRY_MAX_SECONDS 86400

static int ipv4_of(const cJSON *v, char *buf, size_t len)
{
	struct in_addr a;

	if (!cJSON_IsString(v) || inet_pton(AF_INET, v->valuestring, &a) != 1)
		return -EINVAL;
	inet_ntop(AF_INET, &a, buf, (socklen_t)len);
	return 0;
}

/* e->val, e->proto and e->port from an element's val. */
static int elem_val(const cJSON *val, int ported, struct rb_nft_answer *e)
{
	const cJSON *c, *p, *port;
	char a[INET_ADDRSTRLEN];

	if (!ported)
		return ipv4_of(val, e->val, sizeof(e->val));
	c = cJSON_GetObjectItemCaseSensitive(val, "concat");
	if (cJSON_GetArraySize(c) != 3 || ipv4_of(cJSON_GetArrayItem(c, 0), a, sizeof(a)) < 0)
		return -EINVAL;
	p = cJSON_GetArrayItem(c, 1);
	port = cJSON_GetArrayItem(c, 2);
	if (!cJSON_IsString(p) ||
	    (strcmp(p->valuestring, "tcp") != 0 && strcmp(p->valuestring, "udp") != 0) ||
	    !cJSON_IsNumber(port) || port->valuedouble < 1 || port->valuedouble > 65535 ||
	    port->valuedouble != (double)(int)port->valuedouble)
		return -EINVAL;
	e->proto = strcmp(p->valuestring, "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	e->port = (uint16_t)port->valuedouble;
	snprintf(e->val, sizeof(e->val), "%s . %s . %u", a, p->valuestring, e->port);
	return 0;
}

/* Seconds left of element e (a set element object, or a bare value of a
 * set whose default timeout is set_timeout); 0 when it is about to go. */
static long elem_left(const cJSON *e, long set_timeout)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(e, "expires");

	if (!cJSON_IsNumber(x))
		x = cJSON_GetObjectItemCaseSensitive(e, "timeout");
	if (!cJSON_IsNumber(x))
		return set_timeout;
	if (x->valuedouble < 0 || x->valuedouble > CARRY_MAX_SECONDS)
		return -1;
	/* nft prints whole seconds, rounded down */
	return (long)x->valuedouble + 1;
}

/* One listed element: a bare value, or an object with val, expires and
 * comment. A comment that is not a tag rb writes is read as none. */
static int elem_read(const cJSON *el, int ported, long set_timeout, struct rb_nft_answer *out)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(el, "elem"), *c;
	const char *tag;

	memset(out, 0, sizeof(*out));
	if (!e)
		e = el;
	out->left = elem_left(e, set_timeout);
	if (elem_val(cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "val") : e, ported,
		     out) < 0 ||
	    out->left < 0)
		return -EINVAL;
	c = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "comment") : NULL;
	tag = c && cJSON_IsString(c) ? rb_answers_tag(c->valuestring) : NULL;
	if (tag)
		snprintf(out->tag, sizeof(out->tag), "%s", tag);
	return 0;
}

int rb_nft_answers_each(const char *set, int ported, rb_nft_answer_fn fn, void *ctx,
			struct rb_err *err)
{
	char cmd[160], what[160], *text = NULL;
	const cJSON *it, *el;
	cJSON *root;
	int rc;

	snprintf(cmd, sizeof(cmd), "list set %s %s %s", RB_FW_NFT_FAMILY, RB_FW_NFT_TABLE, set);
	snprintf(what, sizeof(what), "read set %s", set);
	rc = rb_nft_run(cmd, NFT_CTX_OUTPUT_JSON, &text, what, err);
	if (rc < 0)
		return rc;
	root = cJSON_Parse(text);
	free(text);
	if (!root)
		return rb_err_set(err, -EPROTO, "nft printed set %s in a form rb does not know",
				  set);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(root, "nftables")) {
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "set");
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(st, "timeout");
		long set_timeout = cJSON_IsNumber(t) ? (long)t->valuedouble : 0;

		cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(st, "elem")) {
			struct rb_nft_answer e;

			if (elem_read(el, ported, set_timeout, &e) < 0) {
				rc = rb_err_set(err, -EPROTO, "nft printed an element of set %s that "
							     "rb does not know", set);
				goto out;
			}
			rc = fn(ctx, &e);
			if (rc < 0)
				goto out;
		}
	}
out:
	cJSON_Delete(root);
	return rc;
}

struct carry {
	FILE *f;
	const char *set;
	int n;
};

static int carry_one(void *p, const struct rb_nft_answer *e)
{
	struct carry *c = p;

	if (e->left == 0)
		return 0;
	if (!c->n++)
		fprintf(c->f, "add element %s %s %s { ", RB_FW_NFT_FAMILY, RB_FW_NFT_TABLE, c->set);
	else
		fprintf(c->f, ", ");
	fprintf(c->f, "%s timeout %lds", e->val, e->left);
	if (e->tag[0])
		fprintf(c->f, " comment \"%s\"", e->tag);
	return 0;
}

static int carry_set(FILE *f, const char *set, int ported, struct rb_err *err)
{
	struct carry c = { f, set, 0 };
	int rc = rb_nft_answers_each(set, ported, carry_one, &c, err);

	if (rc == -ENOENT)
		return 0; /* not there yet: nothing to carry */
	if (c.n)
		fprintf(f, " }\n");
	return rc;
}

int rb_nft_answers_carry(const struct rb_fw_plan *plan, char **out, struct rb_err *err)
{
	static const char *const sets[] = { RB_FW_SET_DNS, RB_FW_SET_DNS_PORT };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int rc = 0;

	*out = NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return rb_err_oom(err);
	/* only into a set the new plan has, and only from the rb table (asked
	 * once: each ask is a libnftables context and a cache dump) */
	if (rb_nft_table_exists(RB_FW_NFT_TABLE)) {
		for (size_t i = 0; rc == 0 && i < N_ELEMENTS(sets); i++) {
			int have = 0;

			for (size_t j = 0; j < plan->n_sets; j++)
				have |= !strcmp(plan->sets[j].name, sets[i]);
			if (have)
				rc = carry_set(f, sets[i], i == 1, err);
		}
	}
	if (fclose(f) != 0 && rc == 0)
		rc = rb_err_oom(err);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}
