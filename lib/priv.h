/* Dropping privilege in rb-sentryd's children: each becomes its own
 * non-root uid with exactly the capabilities it needs (the learner:
 * CAP_NET_ADMIN; dnsmasq and the denial log: none), every other one gone
 * from the effective, permitted, inheritable, ambient AND bounding sets, and
 * no-new-privs, so nothing it executes or is tricked into can get one back. */
#ifndef RB_PRIV_H
#define RB_PRIV_H

#include "rb.h"

#include <stdint.h>
#include <sys/types.h>

/* user is a name from the passwd database or a number; uid 0 is refused. */
int rb_priv_lookup(const char *user, uid_t *uid, gid_t *gid, struct rb_err *err);

/* keep: bit mask of CAP_* numbers (1ULL << CAP_NET_ADMIN). Needs CAP_SETPCAP,
 * CAP_SETUID and CAP_SETGID; checks the result with capget. 0 or -errno. */
int rb_priv_drop(uid_t uid, gid_t gid, uint64_t keep, struct rb_err *err);

/* Signals pid, a child that rb_priv_drop made uid, from a root process
 * without CAP_KILL (the sentry's PID 1): as root while the child still is,
 * else with the effective uid of the child for the one kill(2). The caller
 * must be single-threaded with real uid 0. 0 or -errno. */
int rb_priv_kill_as(pid_t pid, uid_t uid, int sig);

#endif
