/* Where a bottle's sentry is, seen from the host: its netns (the container
 * rb-<moniker>-sentry, a PID or a netns path), its interfaces, its uplink
 * address, and the bridges of the podman networks it sits on; and the
 * refusal to take the host's own netns for it. rb-fw-apply's targets. */
#ifndef RB_SENTRY_H
#define RB_SENTRY_H

#include "fw.h"
#include "nameplate.h"
#include "rb.h"

#include <stddef.h>
#include <sys/types.h>

struct rb_sentry {
	int container; /* 1: rb-<moniker>-sentry, found by podman inspect */
	pid_t pid;
	const char *path;  /* a netns path; else pid */
	int has_uplink_ip; /* the container's uplink attachment, to cross-check */
	struct in_addr uplink_ip;
	int found_uplink_ip; /* what rb_sentry_ifaces found on the uplink interface */
	struct in_addr found_ip;
};

/* The running container rb-<moniker>-sentry: its PID and its address on
 * the nameplate's uplink network. */
int rb_sentry_find_container(const struct rb_nameplate *np, struct rb_sentry *s,
			     struct rb_err *err);
/* Enters the sentry's netns; *saved as rb_netns_enter_*. */
int rb_sentry_enter(const struct rb_sentry *s, int *saved, struct rb_err *err);
/* A config error when the netns the caller is in is the host's (PID 1's,
 * or saved, the one it came from): the sentry policy sets INPUT, OUTPUT
 * and FORWARD to DROP and would cut the host off. */
int rb_sentry_refuse_host_netns(int saved, struct rb_err *err);
/* The sentry's interfaces, from inside its netns: named (enclave_if and
 * uplink_if, both or neither) or detected from the nameplate; the uplink
 * address must be podman's when s has it. Remembers the address found. */
int rb_sentry_ifaces(const struct rb_nameplate *np, const char *enclave_if,
		     const char *uplink_if, struct rb_sentry *s, struct rb_fw_ifaces *ifs,
		     struct rb_err *err);
/* The bridge of podman network `network`, or `given` when the user named
 * it; br holds IFNAMSIZ + 1. */
int rb_sentry_bridge(const char *network, const char *given, char *br, size_t len,
		     struct rb_err *err);
/* Where the host DNATs the entry port to: given (when not NULL), the
 * container's attachment to the uplink network, the address rb_sentry_ifaces
 * found, or the container's, looked up now. */
int rb_sentry_uplink_ip(const struct rb_nameplate *np, const struct in_addr *given,
			const struct rb_sentry *s, struct in_addr *ip, struct rb_err *err);
/* A config error when up is one of this netns's own addresses: the entry
 * port's DNAT would lead back to the host. */
int rb_sentry_entry_target_check(struct in_addr up, struct rb_err *err);

#endif
