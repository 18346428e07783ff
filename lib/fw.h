/* rb's packet filter: the sentry's policy and the host's enclave-bridge
 * hardening, written with libiptc (legacy xtables) into rb-owned chains
 * (RB-*), one atomic iptc_commit per table, plus the ipsets the rules match
 * (RB-CIDR: allowed CIDRs, RB-DNS: answers dnsmasq gave for allowed names),
 * the conntrack flush and the forwarding sysctls.
 *
 * Every function that touches the kernel works in the CURRENT network
 * namespace of the calling thread: enter the target first (lib/netns.h).
 *
 * Every rule rb writes carries `-m comment --comment "rb:<id>"`; the id says
 * which part of the policy the rule is (rb:est, rb:cidr, rb:never-private,
 * rb:dns-udp, rb:reject, ...) so counters can name the rule that decided. */
#ifndef RB_FW_H
#define RB_FW_H

#include "nameplate.h"
#include "rb.h"

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>

/* ipsets in the sentry's netns. */
#define RB_FW_SET_CIDR "RB-CIDR" /* hash:net, RBRN_UPLINK_ALLOWED_CIDRS */
#define RB_FW_SET_DNS "RB-DNS"   /* hash:ip, filled by dnsmasq --ipset */

/* The sentry's interfaces, as seen inside its netns. */
struct rb_fw_ifaces {
	char enclave[IFNAMSIZ]; /* holds RBRN_ENCLAVE_SENTRY_IP */
	char uplink[IFNAMSIZ];  /* the other non-loopback IPv4 interface */
	struct in_addr uplink_ip;
	struct rb_cidr uplink_subnet; /* uplink_ip's prefix, host bits zero */
};

/* Finds the enclave and uplink interfaces of the current netns by address
 * (getifaddrs): the one holding np->sentry_ip is the enclave side, the only
 * other non-loopback interface with an IPv4 address is the uplink.
 * -ENOENT when either is missing, -EEXIST when the uplink is ambiguous. */
int rb_fw_ifaces_detect(const struct rb_nameplate *np, struct rb_fw_ifaces *ifs,
			struct rb_err *err);

/* Fills ifs from interface names given by the caller (--enclave-if,
 * --uplink-if) without looking at the system: uplink_ip/uplink_subnet are
 * zero. Used for --dry-run without a sentry. -EINVAL (config) on a bad name. */
int rb_fw_ifaces_named(const char *enclave, const char *uplink, struct rb_fw_ifaces *ifs,
		       struct rb_err *err);

/* Same as rb_fw_ifaces_named but looks up the uplink address of the named
 * uplink interface in the current netns (getifaddrs); -ENOENT if either
 * interface does not exist or the uplink has no IPv4 address. */
int rb_fw_ifaces_lookup(const char *enclave, const char *uplink, struct rb_fw_ifaces *ifs,
			struct rb_err *err);

/* A plan: everything one apply writes (chains, rules, built-in chain
 * policies, jumps, ipset contents, sysctls). Built offline from a nameplate;
 * pure data, touches nothing. */
struct rb_fw_plan;

/* The sentry's policy (DESIGN.md): filter RB-INPUT/RB-FORWARD/RB-EGRESS/
 * RB-OUTPUT with INPUT/FORWARD/OUTPUT policy DROP, nat RB-PREROUTING/
 * RB-POSTROUTING, sets RB-CIDR/RB-DNS, ip_forward=1 and IPv6 off. */
int rb_fw_plan_build(const struct rb_nameplate *np, const struct rb_fw_ifaces *ifs,
		     struct rb_fw_plan **out, struct rb_err *err);

/* The host's hardening of the enclave bridge `bridge` (host netns): filter
 * chain RB-H-<moniker> jumped to from FORWARD and INPUT at position 0, so the
 * bridge carries nothing but bottle<->sentry and the host is unreachable from
 * it. Built-in policies and other chains are not touched. */
int rb_fw_host_plan_build(const struct rb_nameplate *np, const char *bridge,
			  struct rb_fw_plan **out, struct rb_err *err);

void rb_fw_plan_free(struct rb_fw_plan *plan);

/* Prints the plan in iptables-save syntax, one "*table ... COMMIT" block per
 * table, chains in the order iptables-legacy-save lists them, no counters
 * (":CHAIN POLICY [0:0]"). ipset contents and sysctls are printed first as
 * comment lines ("# ipset add RB-CIDR 1.2.3.0/24", "# sysctl k=v"). For a
 * sentry plan applied to an otherwise empty netns, the non-comment lines
 * equal `iptables-legacy-save` of that netns except for counters.
 * Returns 0 or -errno (write error). */
int rb_fw_plan_print(const struct rb_fw_plan *plan, FILE *out);

/* Applies the plan to the current netns, fail-closed:
 *  sentry plan: create missing sets (empty = deny); commit filter (built-in
 *  policies DROP, previous rb jumps removed, one jump at position 0 per
 *  built-in chain, RB-* chains rebuilt, stale RB-* chains deleted); fill the
 *  sets through a temporary set + atomic swap (RB-DNS starts empty again);
 *  commit nat; flush conntrack; then IPv6 off and ip_forward=1. ip_forward
 *  is set to 0 first, so a failure anywhere leaves the sentry not routing.
 *  RB-DNS is emptied: answers given under an older allowlist do not
 *  survive, the bottle's next lookups refill it.
 *  host plan: one commit of filter with RB-H-<moniker> and its jumps.
 * Chains and rules not owned by the plan are never touched. Takes
 * /run/xtables.lock around each commit. Idempotent. */
int rb_fw_apply(const struct rb_fw_plan *plan, struct rb_err *err);

/* Removes the host chain RB-H-<moniker> and every jump to it from the
 * filter table of the current netns. 0 also when there was nothing. */
int rb_fw_host_remove(const char *moniker, struct rb_err *err);

/* Drift: compares the current netns with the plan: built-in policies, the
 * rb jumps (one per hooked built-in chain, at the top; other bottles' host
 * jumps may come first), every rule of the plan's chains (as an edit
 * script: one inserted rule is one difference), no extra RB-* chains, the
 * RB-CIDR contents, RB-DNS present, and the sysctls (sentry plans).
 * cb (may be NULL) is called once per difference with table ("filter",
 * "nat", "ipset", "sysctl"), chain (or set / key) and a one-line
 * description. Returns the number of differences (>= 0) or -errno. */
int rb_fw_check(const struct rb_fw_plan *plan,
		void (*cb)(void *ctx, const char *table, const char *chain, const char *what),
		void *ctx, struct rb_err *err);

struct rb_fw_counter {
	char table[16];
	char chain[32];
	unsigned int index; /* 1-based rule number in the chain */
	char id[64];        /* the "rb:<id>" comment, "" if the rule has none */
	char text[256];     /* the rule in save syntax: "-A CHAIN ... -j X" */
	uint64_t pkts, bytes;
};

/* Reads every rule of every RB-* chain of filter and nat in the current
 * netns, in chain order. *out is malloc'd (free() it); *n may be 0. */
int rb_fw_counters_read(struct rb_fw_counter **out, size_t *n, struct rb_err *err);

/* 1 if addr is in the ipset `set` of the current netns, 0 if not, -ENOENT if
 * the set does not exist, other -errno on failure. */
int rb_fw_set_test(const char *set, struct in_addr addr, struct rb_err *err);

/* Writes the sentry's dnsmasq configuration for np (DESIGN.md: names not
 * allowed are answered NXDOMAIN locally and never forwarded; answers for
 * allowed names are added to RB-DNS). Needs np->has_uplink_dns_server when
 * any name is forwarded. 0 or -errno. */
int rb_resolver_conf_write(const struct rb_nameplate *np, FILE *out, struct rb_err *err);

#endif
