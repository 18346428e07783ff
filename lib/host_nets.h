/* The host's inventory a bottle is checked against before it starts:
 * podman's networks and the host's routes, read only. Kept apart from the
 * nameplate's parser (lib/nameplate.c), which needs neither podman nor a
 * netlink socket and is fuzzed alone. */
#ifndef RB_HOST_NETS_H
#define RB_HOST_NETS_H

#include "nameplate.h"
#include "rb.h"

#include <stdio.h>

/* What rb_nameplate_check_host saw of the nameplate's podman networks, so
 * that mk/bottle.sh need not ask podman again. */
struct rb_host_nets {
	int enclave_present;   /* rb-<moniker>-enclave exists */
	int uplink_present;    /* RBRN_UPLINK_NETWORK exists */
	char uplink_bridge[16]; /* its bridge (a valid interface name) or "" */
	/* RBRN_UPLINK_GATEWAY unset: the uplink network's own gateway, if it
	 * is routed (not --internal) */
	int has_uplink_gateway;
	struct in_addr uplink_gateway;
};

/* Checks the nameplate against this host: the enclave subnet overlaps no
 * existing podman network (other than rb-<moniker>-enclave itself) and no host
 * route of the main table in this netns (read through rtnetlink). Needs
 * podman; reads only. seen may be NULL. */
int rb_nameplate_check_host(const struct rb_nameplate *np, struct rb_host_nets *seen,
			    struct rb_err *err);
/* seen as shell assignments: RB_ENCLAVE_PRESENT, RB_UPLINK_PRESENT,
 * RB_UPLINK_BRIDGE, RB_UPLINK_GATEWAY. */
int rb_host_nets_print_env(const struct rb_host_nets *seen, FILE *out);

/* The workload's files checked against this host's podman (its storage
 * from `podman info`), for rb_nameplate_load_host. */
extern const struct rb_np_host rb_host_podman;

#endif
