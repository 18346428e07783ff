/* Command-line checks shared by the commands: one wording for usage errors,
 * iproute2's (utils.c: invarg, duparg, missarg), and the number parsers
 * their options need. Each error function prints its one line on stderr and
 * returns RB_EXIT_USAGE, so that main can `return rb_invarg(...)`. */
#ifndef RB_ARGS_H
#define RB_ARGS_H

#include <sys/types.h>

/* Error: argument "ARG" is wrong: WHY */
int rb_invarg(const char *arg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Error: duplicate "KEY": "ARG" is the second value. */
int rb_duparg(const char *key, const char *arg);
/* Error: argument "KEY" is required. */
int rb_missarg(const char *key);

/* getopt_long returned c, '?' or ':' (optstring starting with ':' and
 * opterr 0, so getopt prints nothing of its own): says which option, in
 * the words above. */
int rb_badopt(int c, char *const *argv);

/* A single-valued option: *slot takes val, or a second one is duparg.
 * Returns 0 or RB_EXIT_USAGE. */
int rb_setarg(const char **slot, const char *opt, const char *val);

/* Decimal s in [lo, hi] as rb_parse_uint reads it (lib/addr.h: no sign,
 * no leading zero, nothing around it): 0, or -EINVAL. */
int rb_parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out);
/* A PID (1 .. the kernel's PID_MAX_LIMIT). */
int rb_parse_pid(const char *s, pid_t *pid);

#endif
