/* Internal to lib/answers*.c: one implementation per firewall backend. */
#ifndef RB_ANSWERS_INT_H
#define RB_ANSWERS_INT_H

#include "answers.h"

/* tag if it may go into a command or a comment (answers.h), else NULL */
const char *rb_answers_tag(const char *tag);

struct rb_answers_ipset;
int rb_answers_ipset_open(struct rb_answers_ipset **out, struct rb_err *err);
int rb_answers_ipset_add(struct rb_answers_ipset *a, struct in_addr addr, uint32_t timeout,
			 const char *tag, struct rb_err *err);
int rb_answers_ipset_add_ports(struct rb_answers_ipset *a, struct in_addr addr,
			       const struct rb_ports *p, uint32_t timeout, const char *tag,
			       struct rb_err *err);
int rb_answers_ipset_prune(struct rb_answers_ipset *a, rb_answers_keep_fn keep, const void *ctx,
			   size_t *dropped, struct rb_err *err);
int rb_answers_ipset_host(struct rb_answers_ipset *a, struct in_addr addr, struct rb_err *err);
void rb_answers_ipset_close(struct rb_answers_ipset *a);

struct rb_answers_nft;
int rb_answers_nft_open(struct rb_answers_nft **out, struct rb_err *err);
int rb_answers_nft_add(struct rb_answers_nft *a, struct in_addr addr, uint32_t timeout,
		       const char *tag, struct rb_err *err);
int rb_answers_nft_add_ports(struct rb_answers_nft *a, struct in_addr addr,
			     const struct rb_ports *p, uint32_t timeout, const char *tag,
			     struct rb_err *err);
int rb_answers_nft_prune(struct rb_answers_nft *a, rb_answers_keep_fn keep, const void *ctx,
			 size_t *dropped, struct rb_err *err);
int rb_answers_nft_host(struct rb_answers_nft *a, struct in_addr addr, struct rb_err *err);
void rb_answers_nft_close(struct rb_answers_nft *a);

#endif
