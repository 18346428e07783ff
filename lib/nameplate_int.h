/* Shared by the nameplate's source files (lib/nameplate*.c) only: the raw
 * values as read, and the helpers that turn a bad one into its message. */
#ifndef RB_NAMEPLATE_INT_H
#define RB_NAMEPLATE_INT_H

#include "nameplate.h"

#include <stdio.h>

enum np_var {
	V_MONIKER,
	V_DESCRIPTION,
	V_SENTRY_IMAGE,
	V_BOTTLE_IMAGE,
	V_BOTTLE_UID,
	V_ENCLAVE_SUBNET,
	V_SENTRY_IP,
	V_BOTTLE_IP,
	V_UPLINK_NETWORK,
	V_UPLINK_GATEWAY,
	V_UPLINK_DNS_SERVER,
	V_ENTRY_ENABLED,
	V_ENTRY_PORT_WORKSTATION,
	V_ENTRY_PORT_ENCLAVE,
	V_DNS_ENABLED,
	V_DNS_GLOBAL,
	V_DNS_INTERCEPT,
	V_DNS_LOG,
	V_ACCESS_ENABLED,
	V_ACCESS_GLOBAL,
	V_ALLOWED_CIDRS,
	V_ALLOWED_DOMAINS,
	V_BOTTLE_COMMAND,
	V_BOTTLE_WORKDIR,
	V_BOTTLE_VOLUMES,
	V_BOTTLE_ENV_FILE,
	V_BOTTLE_MEMORY,
	V_BOTTLE_CPUS,
	V_BOTTLE_PIDS,
	V_BOTTLE_TTY,
	V_COUNT
};

/* Raw values and where each came from, for the messages. */
struct np_raw {
	const char *origin; /* file name, or NULL */
	char *val[V_COUNT]; /* NULL: not set */
	unsigned int line[V_COUNT]; /* 0: from the environment */
	unsigned int flags; /* NP_* */
	const struct rb_np_host *host; /* with NP_CHECK_FILES */
};

/* np_raw.flags: check the workload's files on r->host */
#define NP_CHECK_FILES 1u

/* One message for a bad value: `origin:line: RBRN_X: "value": why`. */
int np_bad(const struct np_raw *r, int v, const char *val, size_t len, const char *why,
	   struct rb_err *err);
int np_bad_s(const struct np_raw *r, int v, const char *val, const char *why,
	     struct rb_err *err);
/* Same for a value a system call refused (a path that does not open):
 * `...: "value": why: strerror(errnum)`, without "why: " when why is NULL. */
int np_bad_sys(const struct np_raw *r, int v, const char *val, size_t len, const char *why,
	       int errnum, struct rb_err *err);
/* The value of v after defaults; "" for unset optional values. */
const char *np_value(const struct np_raw *r, int v);
int np_is_blank(char c);
/* Next blank-separated word of *p: start in *w, length returned, 0 at end. */
size_t np_next_word(const char **p, const char **w);
size_t np_count_words(const char *s);
int np_copy_str(char *dst, size_t size, const char *src);
int np_check_mode(const struct np_raw *r, int v, int *out, struct rb_err *err);
int np_unicast(struct in_addr a);
int np_check_ipv4(const struct np_raw *r, int v, struct in_addr *out, struct rb_err *err);
/* NAME='value' with the value single-quoted for sh. */
void np_put_quoted(FILE *out, const char *s);
void np_put_var(FILE *out, int v, const char *s);

/* lib/nameplate_workload.c: the RBRN_BOTTLE_* of the bottle's workload
 * (command, workdir, volumes, env file, limits, tty). */
int np_validate_workload(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err);
int np_print_workload(const struct rb_nameplate *np, FILE *out);
void np_free_workload(struct rb_nameplate *np);

/* lib/nameplate_uplink.c: RBRN_UPLINK_DNS_SERVER from the host's
 * resolv.conf when it is unset. */
int np_default_dns(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err);

#endif
