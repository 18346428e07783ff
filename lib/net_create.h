/* rb-net-create's jobs on a nameplate: check it against this host (and
 * print what it and the check saw), and lock an enclave down, from podman
 * or from namespaces named on the command line (lib/enclave.h). */
#ifndef RB_NET_CREATE_H
#define RB_NET_CREATE_H

#include "nameplate.h"
#include "rb.h"

#include <stdio.h>

struct rb_net_create_opts {
	unsigned int stages; /* RB_ENCLAVE_SENTRY and/or RB_ENCLAVE_BOTTLE */
	/* Namespaces standing in for the containers (tests, scripts without
	 * podman): with any of them or bridge, podman is not asked. */
	const char *ns_host, *ns_sentry, *ns_bottle, *bridge;
};

/* "sentry", "bottle" or "all": 0, or -EINVAL. */
int rb_net_create_stages_parse(const char *s, unsigned int *stages);
/* Whether o names namespaces instead of asking podman. */
int rb_net_create_named(const struct rb_net_create_opts *o);
/* Locks down o->stages of np's enclave. */
int rb_net_create_lock(const struct rb_nameplate *np, const struct rb_net_create_opts *o,
		       struct rb_err *err);
/* Checks np against this host; with print_env, prints np as shell
 * assignments and then what the check saw. */
int rb_net_create_check(const struct rb_nameplate *np, int print_env, FILE *out,
			struct rb_err *err);

#endif
