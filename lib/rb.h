/* rb: common types shared by lib/ and cmd/.
 * lib/ functions return 0 or -errno and never exit; the one message a
 * failure deserves is written into struct rb_err by the code that knows the
 * context, and cmd/ prints it as "prog: msg" and picks the exit code. */
#ifndef RB_H
#define RB_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Exit codes: docs/design.md, "Each command also runs alone". */
enum {
	RB_EXIT_OK = 0,
	RB_EXIT_USAGE = 1,     /* usage or configuration error */
	RB_EXIT_SYSTEM = 2,    /* kernel, podman or a library refused */
	RB_EXIT_VIOLATION = 3, /* rb-verify found a policy violation */
};

struct rb_err {
	int config; /* 1: the input was wrong (exit 1); 0: the system refused (exit 2) */
	char msg[512];
};

/* Formats msg and returns rc (a -errno) so callers can `return rb_err_set(...)`. */
int rb_err_set(struct rb_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, marks the failure as a configuration error (exit 1). */
int rb_err_config(struct rb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Exit code for a failed call: 1 for configuration errors, 2 otherwise. */
int rb_err_exit_code(const struct rb_err *err);

struct rb_cidr {
	struct in_addr addr; /* network byte order, host bits zero */
	unsigned int prefix; /* 0..32 */
};

#define RB_MONIKER_MAX 12
#define RB_NAME_MAX 253 /* a DNS name in text form */

/* Ends s at the first character of `at` ("\n": a line read by fgets).
 * strpbrk, not s[strcspn(s, at)]: the analyzers of newer clang-tidy take
 * that index for an unbounded one. */
static inline void rb_cut_at(char *s, const char *at)
{
	char *p = strpbrk(s, at);

	if (p)
		*p = '\0';
}

#endif
