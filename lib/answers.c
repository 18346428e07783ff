/* The answers set (answers.h): the backend whose rb objects are in the
 * sentry's netns decides which set is filled: nft when table inet rb is
 * there, else the ipset. */
#include "answers_int.h"
#include "fw.h"
#include "fw_nft.h"

#include "addr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rb_answers {
	struct rb_answers_ipset *ipset;
	struct rb_answers_nft *nft;
};

int rb_answers_open(struct rb_answers **out, struct rb_err *err)
{
	struct rb_answers *a;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return rb_err_oom(err);
	/* not rb_fw_backend_live: libiptc needs a raw socket (CAP_NET_RAW),
	 * which the learner does not hold; netlink is enough for both sets */
	if (rb_nft_table_exists(RB_FW_NFT_TABLE))
		rc = rb_answers_nft_open(&a->nft, err);
	else
		rc = rb_answers_ipset_open(&a->ipset, err);
	if (rc < 0) {
		free(a);
		return rc;
	}
	*out = a;
	return 0;
}

/* The tag as it may go into a command or a comment: a plain name (LDH
 * labels: no quote, brace or blank a hostile question could bring), short
 * enough for nft's element comments; else none. */
const char *rb_answers_tag(const char *tag)
{
	return tag && strlen(tag) <= RB_ANSWERS_TAG_MAX && rb_domain_valid(tag) ? tag : NULL;
}

int rb_answers_add(struct rb_answers *a, struct in_addr addr, uint32_t timeout, const char *tag,
		   struct rb_err *err)
{
	tag = rb_answers_tag(tag);
	return a->nft ? rb_answers_nft_add(a->nft, addr, timeout, tag, err) :
			rb_answers_ipset_add(a->ipset, addr, timeout, tag, err);
}

int rb_answers_add_ports(struct rb_answers *a, struct in_addr addr, const struct rb_ports *p,
			 uint32_t timeout, const char *tag, struct rb_err *err)
{
	tag = rb_answers_tag(tag);
	return a->nft ? rb_answers_nft_add_ports(a->nft, addr, p, timeout, tag, err) :
			rb_answers_ipset_add_ports(a->ipset, addr, p, timeout, tag, err);
}

int rb_answers_prune(struct rb_answers *a, rb_answers_keep_fn keep, const void *ctx, size_t *dropped,
		     struct rb_err *err)
{
	size_t none;

	if (!dropped)
		dropped = &none;
	*dropped = 0;
	return a->nft ? rb_answers_nft_prune(a->nft, keep, ctx, dropped, err) :
			rb_answers_ipset_prune(a->ipset, keep, ctx, dropped, err);
}

int rb_answers_host(struct rb_answers *a, struct in_addr addr, struct rb_err *err)
{
	return a->nft ? rb_answers_nft_host(a->nft, addr, err) :
			rb_answers_ipset_host(a->ipset, addr, err);
}

void rb_answers_close(struct rb_answers *a)
{
	if (!a)
		return;
	rb_answers_nft_close(a->nft);
	rb_answers_ipset_close(a->ipset);
	free(a);
}
