/* rb: common types shared by lib/ and cmd/.
 * lib/ functions return 0 or -errno and never exit; the one message a
 * failure deserves is written into struct rb_err by the code that failed,
 * callers add their context with rb_err_wrap, and cmd/ prints it with
 * rb_err_print and picks the exit code. */
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

/* crun's model: the message says what failed, errnum says why (the
 * errno the failure came with, 0: none), and ": strerror(errnum)" is added
 * once, when the error is printed. A caller that knows more context wraps
 * the message instead of replacing it ("sentry rbt-1: cannot ...: reason"). */
struct rb_err {
	int config; /* 1: the input was wrong (exit 1); 0: the system refused (exit 2) */
	int errnum; /* positive errno printed after msg, 0: none */
	char msg[512];
};

/* Formats msg (no errno) and returns rc (a -errno) so callers can
 * `return rb_err_set(...)`. */
int rb_err_set(struct rb_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A system call failed with errnum (positive, as in errno): formats msg,
 * keeps errnum for printing, returns -errnum. */
int rb_err_sys(struct rb_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A library refused with its own words (nl_geterror, iptc_strerror, ipset's
 * message): msg is fmt's text, ": ", why; returns rc. */
int rb_err_lib(struct rb_err *err, int rc, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Marks the failure as a configuration error (exit 1); returns -EINVAL. */
int rb_err_config(struct rb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, for a configuration error found by a failed system call (a file
 * named in the input that cannot be opened): errnum printed as above. */
int rb_err_config_sys(struct rb_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Puts the caller's context before the message ("context: msg"), keeping
 * errnum and the config flag; returns rc. A callee that set no message
 * leaves the context alone, with rc's errno as the reason. */
int rb_err_wrap(struct rb_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "out of memory", -ENOMEM. */
int rb_err_oom(struct rb_err *err);
/* The message as printed: msg, then ": strerror(errnum)" when there is one.
 * Returns buf; RB_ERR_TEXT bytes hold any. */
#define RB_ERR_TEXT 640
const char *rb_err_str(const struct rb_err *err, char *buf, size_t len);
/* "prog: message\n" on stderr. */
void rb_err_print(const char *prog, const struct rb_err *err);
/* errnum in words, for reports that are not failures of rb (what a probe
 * observed); failures go through struct rb_err. */
const char *rb_errno_text(int errnum);
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
