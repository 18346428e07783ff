/* Internal to lib/fw_nft_*.c and lib/fw.c: the nftables backend. The plan
 * becomes one inet table per netns (sentry: "rb", host: "rb-<moniker>"),
 * written as nft text and sent through libnftables in one transaction;
 * the allowlist's CIDRs follow as netlink messages (fw_nft_intervals.c). */
#ifndef RB_FW_NFT_H
#define RB_FW_NFT_H

#include "answers.h"
#include "fw_int.h"

/* fw_nft_codec.c: r as `nft -s list` prints it back ("... counter accept
 * comment \"rb:id\""), so the drift check compares text with text. */
int rb_nft_rule_format(const struct rb_fw_rule *r, char *buf, size_t len);
/* Element j of a ported set as nft lists it ("1.2.3.0/24 . tcp . 443"). */
int rb_nft_port_elem(const struct rb_fw_set *s, size_t j, char *buf, size_t len);
/* The table the plan lives in: "rb" or "rb-<moniker>". */
void rb_nft_table_name(const struct rb_fw_plan *plan, char *buf, size_t len);
/* The whole table as nft text (sets, base chains, rb chains); with
 * RB_NFT_TEXT_REPLACE, preceded by the lines that make it replace the live
 * table in the same transaction; with RB_NFT_TEXT_NO_INTERVALS, the
 * plain interval sets (the allowlist's CIDRs) declared without elements,
 * which rb_nft_intervals_load sends. *out is malloc'd. */
#define RB_NFT_TEXT_REPLACE      1u
#define RB_NFT_TEXT_NO_INTERVALS 2u
int rb_nft_plan_text(const struct rb_fw_plan *plan, unsigned int how, char **out);
/* 1 for a set whose elements rb_nft_intervals_load sends: CIDRs without
 * ports, in an interval set. */
int rb_nft_set_intervals(const struct rb_fw_set *s);

/* fw_nft_intervals.c: the members of s into the existing, empty interval
 * set s->name of table inet `table`, in one batch of netlink messages. */
int rb_nft_intervals_load(const char *table, const struct rb_fw_set *s, struct rb_err *err);

/* fw_nft_commit.c: runs nft commands (one transaction per call) in the
 * current netns; *out (may be NULL) gets what nft printed, malloc'd.
 * what names the job in the error. flags: NFT_CTX_OUTPUT_*. */
int rb_nft_run(const char *cmds, unsigned int flags, char **out, const char *what,
	       struct rb_err *err);
/* Replaces the plan's table; then (may be NULL) are more commands of the
 * same transaction. */
int rb_nft_apply(const struct rb_fw_plan *plan, const char *then, struct rb_err *err);
/* fw_nft_carry.c: "add element" commands that put the learned answers of
 * table inet rb back, each for what is left of its timeout, into the sets
 * of plan that hold them; "" when there are none. *out is malloc'd. */
int rb_nft_answers_carry(const struct rb_fw_plan *plan, char **out, struct rb_err *err);
/* An element of RB-DNS or RB-DNS-PORT as listed: its value as nft takes
 * it back ("a.b.c.d", "a.b.c.d . tcp . 443"), protocol and port (0 for
 * RB-DNS), seconds left rounded up (0: about to go) and tag ("": none). */
struct rb_nft_answer {
	char val[96];
	uint8_t proto;
	uint16_t port;
	long left;
	char tag[RB_ANSWERS_TAG_MAX + 1];
};
typedef int (*rb_nft_answer_fn)(void *ctx, const struct rb_nft_answer *e);
/* fn for each element of answers set `set` of table inet rb, read back
 * from the kernel's JSON and checked; -ENOENT when there is no such set. */
int rb_nft_answers_each(const char *set, int ported, rb_nft_answer_fn fn, void *ctx,
			struct rb_err *err);
/* 1 if table inet `name` exists, 0 if not (also when the kernel has no
 * nf_tables at all). */
int rb_nft_table_exists(const char *name);
/* 1 if the kernel takes nft's queue statement (nft_queue), probed once
 * with a transaction that is checked and never committed. */
int rb_nft_queue_supported(void);
/* Deletes table inet `name` when it exists. */
int rb_nft_table_delete(const char *name, struct rb_err *err);

/* fw_nft_check.c: the differences between the plan and its live table. */
int rb_nft_check(const struct rb_fw_plan *plan, rb_fw_diff_cb cb, void *ctx, struct rb_err *err);

/* fw_nft_ports.c: the differences between a ported set of the plan and
 * the live one of table `table`. */
int rb_nft_check_port_members(const char *table, const struct rb_fw_set *ps, rb_fw_diff_cb cb,
			      void *ctx, struct rb_err *err);

/* fw_nft_counters.c: every rule of every RB-* chain of table inet rb. */
int rb_nft_counters_read(struct rb_fw_counter **out, size_t *n, struct rb_err *err);

/* fw_nft_parse.c: a table as `nft -s list table` prints it, split into
 * chains; sets keep only their header lines (type, flags), not elements. */
struct rb_nft_chain {
	char name[RB_FW_CHAIN_MAX + 16];
	char *head;  /* "type filter hook input priority filter; policy drop;" or "" */
	char **rules; /* rule lines, trimmed */
	size_t n_rules;
	int set;     /* 1: a set (head: its header lines joined by "; ") */
};
struct rb_nft_table {
	struct rb_nft_chain *c;
	size_t n;
};
int rb_nft_table_parse(const char *text, struct rb_nft_table *t);
void rb_nft_table_free(struct rb_nft_table *t);

#endif
