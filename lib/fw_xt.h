/* Internal to lib/fw_xt_*.c and lib/fw.c: the xtables backend (libiptc
 * into the legacy tables, libipset for the sets). */
#ifndef RB_FW_XT_H
#define RB_FW_XT_H

#include "fw_int.h"

#include <libiptc/libiptc.h>

/* fw_xt_codec.c: the entry for r, malloc'd. Set names are resolved to the
 * kernel's set index here, in the current netns. Matches are laid out in
 * the order rb_fw_rule_format prints them. */
int rb_xt_rule_encode(const struct rb_fw_rule *r, struct ipt_entry **out, struct rb_err *err);
/* The live entry e as rb's save-syntax text ("-A CHAIN ..."); parts rb does
 * not model are appended as " [..]", so such a rule never equals a plan
 * rule. Also returns the decoded rule. */
void rb_xt_entry_text(const char *chain, const struct ipt_entry *e, struct xtc_handle *h,
		      struct rb_fw_rule *r, char *buf, size_t len);
/* A failed libiptc or libip6tc call: fmt's text, then the library's words
 * for errno (words: iptc_strerror or ip6tc_strerror, which know their own
 * codes). Returns -errno, -EPROTO without one. */
int rb_xt_err(const char *(*words)(int), struct rb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, worded "cannot <what> in table "<table>"". */
int rb_xt_fail(struct rb_err *err, const char *table, const char *what);

/* fw_xt_commit.c: one table of the plan, one iptc_commit (none when nothing
 * changes); /run/xtables.lock is held around it. */
int rb_xt_commit_table(const struct rb_fw_plan *plan, const struct rb_fw_table *t,
		       struct rb_err *err);
/* The host chains of moniker and their jumps, from filter and nat. */
int rb_xt_host_remove(const char *moniker, struct rb_err *err);

/* fw_xt_check.c: the differences between t and the live table (>= 0). */
int rb_xt_check_table(const struct rb_fw_plan *plan, const struct rb_fw_table *t,
		      rb_fw_diff_cb cb, void *ctx, struct rb_err *err);

/* fw_xt_counters.c: every rule of every RB-* chain of filter and nat. */
int rb_xt_counters_read(struct rb_fw_counter **out, size_t *n, struct rb_err *err);

/* fw_xt6.c: policy (DROP, ACCEPT) on ip6tables filter INPUT/FORWARD/
 * OUTPUT, one ip6tc_commit; the check reports each chain at another one. */
int rb_xt6_policy_set(const char *policy, struct rb_err *err);
int rb_xt6_policy_check(const char *policy, rb_fw_diff_cb cb, void *ctx, struct rb_err *err);

/* 1 if the legacy table `table` (ip_tables_names, ip6: ip6_tables_names)
 * is instantiated in the current netns: only then can rb objects be in it,
 * and reading it would otherwise create it (or fail, without legacy). */
int rb_xt_table_present(const char *table, int ip6);
/* 1 if the legacy filter table of the current netns has chain `chain`. */
int rb_xt_has_chain(const char *chain);
/* modprobe ip_tables and ip6_tables where the kernel has them as modules
 * not loaded yet */
void rb_xt_modules_load(void);

#endif
