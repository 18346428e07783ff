/* Internal to lib/answers*.c: one implementation per firewall backend. */
#ifndef RB_ANSWERS_INT_H
#define RB_ANSWERS_INT_H

#include "answers.h"

struct rb_answers_ipset;
int rb_answers_ipset_open(struct rb_answers_ipset **out, struct rb_err *err);
int rb_answers_ipset_add(struct rb_answers_ipset *a, struct in_addr addr, uint32_t timeout,
			 struct rb_err *err);
int rb_answers_ipset_add_ports(struct rb_answers_ipset *a, struct in_addr addr,
			       const struct rb_ports *p, uint32_t timeout, struct rb_err *err);
int rb_answers_ipset_host(struct rb_answers_ipset *a, struct in_addr addr, struct rb_err *err);
int rb_answers_ipset_flush(struct rb_answers_ipset *a, struct rb_err *err);
void rb_answers_ipset_close(struct rb_answers_ipset *a);

struct rb_answers_nft;
int rb_answers_nft_open(struct rb_answers_nft **out, struct rb_err *err);
int rb_answers_nft_add(struct rb_answers_nft *a, struct in_addr addr, uint32_t timeout,
		       struct rb_err *err);
int rb_answers_nft_add_ports(struct rb_answers_nft *a, struct in_addr addr,
			     const struct rb_ports *p, uint32_t timeout, struct rb_err *err);
int rb_answers_nft_host(struct rb_answers_nft *a, struct in_addr addr, struct rb_err *err);
int rb_answers_nft_flush(struct rb_answers_nft *a, struct rb_err *err);
void rb_answers_nft_close(struct rb_answers_nft *a);

#endif
