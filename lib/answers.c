/* The answers set (answers.h): the backend whose rb objects are in the
 * sentry's netns decides which set is filled: nft when table inet rb is
 * there, else the ipset. */
#include "answers_int.h"
#include "fw.h"
#include "fw_nft.h"

#include <errno.h>
#include <stdlib.h>

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

int rb_answers_add(struct rb_answers *a, struct in_addr addr, uint32_t timeout,
		   struct rb_err *err)
{
	return a->nft ? rb_answers_nft_add(a->nft, addr, timeout, err) :
			rb_answers_ipset_add(a->ipset, addr, timeout, err);
}

int rb_answers_add_ports(struct rb_answers *a, struct in_addr addr, const struct rb_ports *p,
			 uint32_t timeout, struct rb_err *err)
{
	return a->nft ? rb_answers_nft_add_ports(a->nft, addr, p, timeout, err) :
			rb_answers_ipset_add_ports(a->ipset, addr, p, timeout, err);
}

int rb_answers_host(struct rb_answers *a, struct in_addr addr, struct rb_err *err)
{
	return a->nft ? rb_answers_nft_host(a->nft, addr, err) :
			rb_answers_ipset_host(a->ipset, addr, err);
}

int rb_answers_flush(struct rb_answers *a, struct rb_err *err)
{
	return a->nft ? rb_answers_nft_flush(a->nft, err) : rb_answers_ipset_flush(a->ipset, err);
}

void rb_answers_close(struct rb_answers *a)
{
	if (!a)
		return;
	rb_answers_nft_close(a->nft);
	rb_answers_ipset_close(a->ipset);
	free(a);
}
