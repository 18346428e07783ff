/* The bottle's seccomp profile: podman's default (the base) except that
 * the bottle cannot create user namespaces. As root of one it could not
 * leave its netns, but it would reach nf_tables and other netlink code that
 * otherwise needs CAP_NET_ADMIN: kernel attack surface that untrusted code
 * has no use for. The base is read as hostile input. */
#ifndef RB_SECCOMP_H
#define RB_SECCOMP_H

#include "rb.h"

#include <stddef.h>

/* The profile derived from the base text (len bytes; origin names it in
 * messages): every rule loses clone, clone3 and unshare (a rule left
 * without names goes), then clone and unshare are allowed unless their
 * flags hold CLONE_NEWUSER (then EPERM), and clone3, whose flags sit in
 * memory seccomp cannot read, fails with ENOSYS so that the C library falls
 * back to clone. *out is malloc'd JSON text ending in a newline. A base
 * that is not a profile rb can carry over exactly is refused (-EINVAL,
 * configuration error) with what is wrong. */
int rb_seccomp_bottle(const char *base, size_t len, const char *origin, char **out,
		      struct rb_err *err);

/* The same from the file base_path into out_path, which is replaced
 * atomically (mode 0644) or, on any error, left as it was. */
int rb_seccomp_bottle_write(const char *base_path, const char *out_path, struct rb_err *err);

#endif
