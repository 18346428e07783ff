/* The answers sets on nftables: set RB-DNS of table inet rb (flags
 * timeout), and RB-DNS-PORT (address . protocol . port, timeout) for
 * ported names, through one libnftables context kept open for the
 * learner's life. */
#include "answers_int.h"
#include "fw.h"
#include "fw_nft.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rb_answers_nft {
	struct nft_ctx *ctx;
};

static int run(struct rb_answers_nft *a, const char *cmd, const char **emsg)
{
	int rc = nft_run_cmd_from_buffer(a->ctx, cmd);
	const char *e = nft_ctx_get_error_buffer(a->ctx);

	*emsg = e && e[0] ? e : "nft refused";
	return rc;
}

int rb_answers_nft_open(struct rb_answers_nft **out, struct rb_err *err)
{
	struct rb_answers_nft *a;
	const char *e;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return rb_err_oom(err);
	a->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!a->ctx || nft_ctx_buffer_output(a->ctx) < 0 || nft_ctx_buffer_error(a->ctx) < 0) {
		rc = rb_err_set(err, -ENOMEM, "cannot start libnftables");
	} else {
		/* one command a run: nft 1.0.6 fills its cache for the last
		 * "list set" of a buffer only, and the first then finds no set */
		rc = run(a, "list set " RB_FW_NFT_FAMILY " " RB_FW_NFT_TABLE " " RB_FW_SET_DNS "\n",
			 &e);
		if (rc == 0)
			rc = run(a, "list set " RB_FW_NFT_FAMILY " " RB_FW_NFT_TABLE " " RB_FW_SET_HOST
				 "\n", &e);
		if (rc != 0)
			rc = rb_err_set(err, -ENOENT, "nft sets %s/%s: %s", RB_FW_SET_DNS,
					RB_FW_SET_HOST, e);
	}
	/* one way out on failure: the analyzers do not follow a cleanup
	 * attribute into rb_answers_nft_close */
	if (rc < 0) {
		rb_answers_nft_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* ` comment "tag"` (the tag is a plain name: rb_answers_tag), or "" */
static void comment_of(const char *tag, char *buf, size_t len)
{
	if (tag)
		snprintf(buf, len, " comment \"%s\"", tag);
	else
		buf[0] = '\0';
}

int rb_answers_nft_add(struct rb_answers_nft *a, struct in_addr addr, uint32_t timeout,
		       const char *tag, struct rb_err *err)
{
	char ip[INET_ADDRSTRLEN], cmd[1024], c[RB_ANSWERS_TAG_MAX + 16];
	const char *e;

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	comment_of(tag, c, sizeof(c));
	/* one transaction: make sure it is there, then replace it, so that the
	 * newest answer's timeout and tag win (nft 1.0.6 has no "destroy", and
	 * an add of an element that exists keeps its old timeout) */
	snprintf(cmd, sizeof(cmd),
		 "add element %1$s %2$s %3$s { %4$s timeout %5$us%6$s }\n"
		 "delete element %1$s %2$s %3$s { %4$s }\n"
		 "add element %1$s %2$s %3$s { %4$s timeout %5$us%6$s }\n",
		 RB_FW_NFT_FAMILY, RB_FW_NFT_TABLE, RB_FW_SET_DNS, ip, timeout, c);
	if (run(a, cmd, &e) != 0)
		return rb_err_set(err, -EPROTO, "cannot add %s to nft set %s: %s", ip, RB_FW_SET_DNS,
				  e);
	return 0;
}

/* The elements of addr and p, "a . tcp . 22, a . tcp . 443", with
 * " timeout Ns" and the comment after each when timeout is not 0. */
static void port_elems(FILE *f, const char *ip, const struct rb_ports *p, uint32_t timeout,
		       const char *c)
{
	const char *sep = "";

	for (unsigned int i = 0; i < p->n; i++) {
		for (uint32_t port = p->r[i].lo; port <= p->r[i].hi; port++) {
			fprintf(f, "%s%s . %s . %u", sep, ip,
				p->r[i].proto == IPPROTO_UDP ? "udp" : "tcp", port);
			if (timeout)
				fprintf(f, " timeout %us%s", timeout, c);
			sep = ", ";
		}
	}
}

int rb_answers_nft_add_ports(struct rb_answers_nft *a, struct in_addr addr,
			     const struct rb_ports *p, uint32_t timeout, const char *tag,
			     struct rb_err *err)
{
	char ip[INET_ADDRSTRLEN], c[RB_ANSWERS_TAG_MAX + 16];
	cleanup_free char *cmd = NULL;
	const char *e;
	size_t len = 0;
	FILE *f;
	int rc;

	if (p->n == 0)
		return 0;
	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	comment_of(tag, c, sizeof(c));
	f = open_memstream(&cmd, &len);
	if (!f)
		return rb_err_oom(err);
	/* as rb_answers_nft_add: add, delete, add, so the newest timeout wins */
	for (int step = 0; step < 3; step++) {
		fprintf(f, "%s element %s %s %s { ", step == 1 ? "delete" : "add", RB_FW_NFT_FAMILY,
			RB_FW_NFT_TABLE, RB_FW_SET_DNS_PORT);
		port_elems(f, ip, p, step == 1 ? 0 : timeout, c);
		fprintf(f, " }\n");
	}
	if (fclose(f) != 0)
		return rb_err_oom(err);
	rc = run(a, cmd, &e);
	if (rc != 0)
		return rb_err_set(err, strstr(e, "No such file") ? -ENOENT : -EPROTO,
				  "cannot add %s to nft set %s: %s", ip, RB_FW_SET_DNS_PORT, e);
	return 0;
}

int rb_answers_nft_host(struct rb_answers_nft *a, struct in_addr addr, struct rb_err *err)
{
	char ip[INET_ADDRSTRLEN], cmd[256];
	const char *e;

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(cmd, sizeof(cmd), "get element %s %s %s { %s }\n", RB_FW_NFT_FAMILY,
		 RB_FW_NFT_TABLE, RB_FW_SET_HOST, ip);
	if (run(a, cmd, &e) == 0)
		return 1;
	/* the kernel says ENOENT for an element that is not there */
	if (strstr(e, "No such file or directory"))
		return 0;
	return rb_err_set(err, -EPROTO, "cannot look up %s in nft set %s: %s", ip, RB_FW_SET_HOST,
			  e);
}

struct prune {
	rb_answers_keep_fn keep;
	const void *ctx;
	char **vals;
	size_t n, cap;
};

static int prune_one(void *p, const struct rb_nft_answer *e)
{
	struct prune *x = p;
	char **v;

	if (x->keep(x->ctx, e->tag[0] ? e->tag : NULL, e->proto, e->port))
		return 0;
	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 64;
		v = (char **)realloc((void *)x->vals, x->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		x->vals = v;
	}
	x->vals[x->n] = strdup(e->val);
	if (!x->vals[x->n])
		return -ENOMEM;
	x->n++;
	return 0;
}

/* "delete element inet rb SET { v[0], ... }" of n values from v */
static char *delete_cmd(const char *set, char *const *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "delete element %s %s %s { ", RB_FW_NFT_FAMILY, RB_FW_NFT_TABLE, set);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", v[i]);
	fprintf(f, " }\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int prune_set(struct rb_answers_nft *a, const char *set, int ported,
		     rb_answers_keep_fn keep, const void *ctx, size_t *dropped, struct rb_err *err)
{
	struct prune x = { keep, ctx, NULL, 0, 0 };
	const char *e;
	int rc = rb_nft_answers_each(set, ported, prune_one, &x, err);

	if (rc == -ENOMEM)
		rc = rb_err_oom(err);
	if (rc == -ENOENT && ported) {
		/* a policy without ported names has no RB-DNS-PORT */
		memset(err, 0, sizeof(*err));
		rc = 0;
	}
	if (rc == 0 && x.n) {
		cleanup_free char *cmd = delete_cmd(set, x.vals, x.n);

		if (!cmd)
			rc = rb_err_oom(err);
		else if (run(a, cmd, &e) != 0) {
			/* one of them expired since the listing (nft 1.0.6 has no
			 * "destroy"): each alone, and a missing one is gone anyway */
			for (size_t i = 0; rc == 0 && i < x.n; i++) {
				cleanup_free char *one = delete_cmd(set, &x.vals[i], 1);

				if (!one)
					rc = rb_err_oom(err);
				else if (run(a, one, &e) != 0 && !strstr(e, "No such file"))
					rc = rb_err_set(err, -EPROTO, "cannot delete %s from nft set %s: %s",
							x.vals[i], set, e);
			}
		}
	}
	if (rc == 0)
		*dropped += x.n;
	for (size_t i = 0; i < x.n; i++)
		free(x.vals[i]);
	free((void *)x.vals);
	return rc;
}

int rb_answers_nft_prune(struct rb_answers_nft *a, rb_answers_keep_fn keep, const void *ctx,
			 size_t *dropped, struct rb_err *err)
{
	int rc = prune_set(a, RB_FW_SET_DNS, 0, keep, ctx, dropped, err);

	if (rc == 0)
		rc = prune_set(a, RB_FW_SET_DNS_PORT, 1, keep, ctx, dropped, err);
	return rc;
}

void rb_answers_nft_close(struct rb_answers_nft *a)
{
	if (!a)
		return;
	if (a->ctx)
		nft_ctx_free(a->ctx);
	free(a);
}
