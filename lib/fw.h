/* rb's packet filter: the sentry's policy, and the host's part (the
 * enclave-bridge hardening and the published entry port), written with
 * libiptc (legacy xtables) into rb-owned chains (RB-*), one atomic
 * iptc_commit per table, plus the ipsets the rules match (RB-CIDR: allowed
 * CIDRs, RB-DNS: answers dnsmasq gave for allowed names, RB-HOST: the
 * host's own addresses), the conntrack flush and the sysctls.
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

/* Sets in the sentry's netns: ipsets (xtables backend) or sets of the
 * nft table RB_FW_NFT_FAMILY RB_FW_NFT_TABLE (nft backend), same names. */
#define RB_FW_SET_CIDR "RB-CIDR" /* hash:net / interval set, RBRN_UPLINK_ALLOWED_CIDRS */
#define RB_FW_SET_DNS "RB-DNS"   /* hash:ip timeout / timeout set, filled by rb-sentryd's learner */
#define RB_FW_SET_HOST "RB-HOST" /* hash:ip / plain set, the host's own addresses */
/* Only in a plan with ported entries (ENTRY:PORTS[/PROTO]): elements are
 * (address, protocol, port), one lookup per packet however many there are. */
#define RB_FW_SET_CIDR_PORT "RB-CIDR-PORT" /* hash:net,port / interval set */
#define RB_FW_SET_DNS_PORT "RB-DNS-PORT"   /* hash:ip,port timeout / timeout set, the learner's */

/* rb's chains, the same names on both backends (xtables chains of the
 * filter and nat tables, base and regular chains of the nft tables). Every
 * one starts with RB_FW_CHAIN_PREFIX; the host's are one per moniker, the
 * prefix then the moniker (RB_FW_HOST_CHAIN_FMT). */
#define RB_FW_CHAIN_PREFIX "RB-"
#define RB_FW_CHAIN_EGRESS "RB-EGRESS"           /* filter: the bottle's way out */
#define RB_FW_CHAIN_FORWARD "RB-FORWARD"         /* filter: jumped to from FORWARD */
#define RB_FW_CHAIN_INPUT "RB-INPUT"             /* filter: jumped to from INPUT */
#define RB_FW_CHAIN_OUTPUT "RB-OUTPUT"           /* filter: jumped to from OUTPUT */
#define RB_FW_CHAIN_PREROUTING "RB-PREROUTING"   /* nat: DNS intercept */
#define RB_FW_CHAIN_POSTROUTING "RB-POSTROUTING" /* nat: masquerade to the uplink */
#define RB_FW_CHAIN_HOST "RB-H-"                 /* + moniker: enclave bridge hardening */
#define RB_FW_CHAIN_ENTRY "RB-E-"                /* + moniker: nat, entry port DNAT */
#define RB_FW_CHAIN_EPOST "RB-EPOST-"            /* + moniker: nat, entry port masquerade */
/* The moniker part of a host chain's name (RB_MONIKER_MAX). */
#define RB_FW_HOST_CHAIN_FMT "%.12s"
/* 1 when name starts with prefix (a string literal). */
#define RB_FW_PREFIXED(name, prefix) (strncmp((name), (prefix), sizeof(prefix) - 1) == 0)

/* The nft backend's objects. Whatever fills the answers set (dnsmasq
 * --nftset, or rb-sentryd's learner) adds ipv4_addr elements, each with its
 * own timeout, to RB_FW_NFT_FAMILY RB_FW_NFT_TABLE RB_FW_SET_DNS. The host
 * part of moniker M lives in table RB_FW_NFT_FAMILY "rb-M". */
#define RB_FW_NFT_FAMILY "inet"
#define RB_FW_NFT_TABLE "rb"
#define RB_FW_NFT_SET_DNS_TYPE "ipv4_addr"
#define RB_FW_NFT_SET_DNS_FLAGS "timeout"
#define RB_FW_NFT_SET_PORT_TYPE "ipv4_addr . inet_proto . inet_service"

/* Which kernel interface holds the policy. One plan, two encoders:
 * xtables (libiptc + libipset into the legacy tables) and nft (libnftables,
 * one inet table per netns, one transaction). Never both on one sentry:
 * applying one removes the other's rb objects. */
enum rb_fw_backend {
	RB_FW_BACKEND_AUTO,
	RB_FW_BACKEND_XTABLES,
	RB_FW_BACKEND_NFT,
};

const char *rb_fw_backend_name(enum rb_fw_backend b);
/* "xtables", "nft", "auto" (or NULL/"": auto); -EINVAL otherwise. */
int rb_fw_backend_parse(const char *s, enum rb_fw_backend *b);
/* What auto picks in the current netns: xtables when the kernel has legacy
 * ip_tables and ip_set, nft otherwise. why (may be NULL) says which part
 * decided. */
enum rb_fw_backend rb_fw_backend_auto(char *why, size_t len);
/* The backend whose rb objects are in the current netns: for the sentry
 * (moniker NULL) table inet rb or chain RB-FORWARD, for the host part of
 * moniker table inet rb-<moniker> or chain RB-H-<moniker>. nft first when
 * both are there. RB_FW_BACKEND_AUTO when there is none. */
enum rb_fw_backend rb_fw_backend_live(const char *moniker);
/* b itself, or for AUTO: the live one (want_live) or else what auto picks;
 * why says how it was chosen. */
enum rb_fw_backend rb_fw_backend_resolve(enum rb_fw_backend b, const char *moniker,
					 int want_live, char *why, size_t len);

/* The learner (cmd/rb-sentryd.c) reads the upstream resolver's answers to
 * the sentry's resolver from this NFQUEUE queue; the denial log reads this
 * NFLOG group (the denials, and copies of the resolver's replies to the
 * bottle).
 * Each REJECT of the bottle's packets is preceded by an NFLOG rule with the
 * same matches, limited to RB_FW_LOG_RATE/s (burst RB_FW_LOG_BURST) per
 * rule, whose prefix is the REJECT's "rb:<id>". */
#define RB_FW_LEARN_QUEUE 0
#define RB_FW_LOG_GROUP 1
#define RB_FW_LOG_RATE 50
#define RB_FW_LOG_BURST 100
/* RB-DNS's own timeout (an add without one); the learner gives its own */
#define RB_FW_DNS_TIMEOUT 900

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

/* The sentry's policy (man/rb-fw-apply.8): filter RB-INPUT/RB-FORWARD/RB-EGRESS/
 * RB-OUTPUT with INPUT/FORWARD/OUTPUT policy DROP, nat RB-PREROUTING/
 * RB-POSTROUTING, sets RB-CIDR/RB-DNS/RB-HOST, ip_forward=1 and IPv6 off.
 * The plan owns every RB-* chain but the host's (RB-H-, RB-E-, RB-EPOST-).
 * RB-FORWARD: RELATED,ESTABLISHED accepted (rb:est), INVALID dropped; the
 * DNATed entry port to the bottle accepted (rb:entry); the bottle's own
 * packets from enclave to uplink go to RB-EGRESS; the rest from the
 * enclave is rejected, anything else dropped.
 * RB-EGRESS, in order: DNS ports (53, 853, 5353) rejected; ICMP rejected
 * (rb:icmp: the bottle pings only the sentry; errors of allowed flows come
 * back as RELATED); RB-CIDR accepted (rb:cidr), then RB-CIDR-PORT (rb:cidr-port,
 * address, protocol and destination port, with ported CIDRs); RB-HOST rejected
 * (rb:never-host, only with egress on); private, loopback, link-local,
 * multicast, reserved (rb:never-private) and the uplink subnet
 * (rb:never-uplink) rejected; then ACCESS_GLOBAL accepts the rest, or
 * RB-DNS is accepted (rb:dns-set), then RB-DNS-PORT (rb:dns-port, with ported
 * names); everything else rejected (rb:reject).
 * So an explicit CIDR is the only way to a host or private address.
 * RB-INPUT: lo, rb:est; from the bottle only DNS to the sentry (with DNS
 * on) and ping; the rest from the enclave rejected, anything else dropped.
 * RB-OUTPUT: lo, rb:est, DNS to RBRN_UPLINK_DNS_SERVER; the rest rejected.
 * RB-PREROUTING: the entry port DNATed to the bottle (rb:entry-dnat, from
 * the uplink only), DNS to other servers DNATed to the sentry with
 * DNS_INTERCEPT=1; RB-POSTROUTING: the bottle masqueraded on the uplink.
 * The plan's RB-HOST is empty and "unknown" until rb_fw_plan_host_addrs
 * fills it; rb_fw_apply refuses such a plan, rb_fw_check then checks only
 * that RB-HOST exists (rb-verify builds the plan inside the sentry). */
int rb_fw_plan_build(const struct rb_nameplate *np, const struct rb_fw_ifaces *ifs,
		     struct rb_fw_plan **out, struct rb_err *err);

/* The host's own IPv4 addresses: every address of every interface of the
 * CURRENT netns and, because the host takes directed broadcasts as its
 * own, each one's broadcast address and its subnet's all-ones address
 * (getifaddrs), sorted, without duplicates. Call it in the host's netns, before entering the
 * sentry's. *out is malloc'd (free() it); *n may be 0.
 * An address added to the host later is covered only by the next apply;
 * private ones (podman's gateways, 10.x, 192.168.x) are rejected anyway by
 * rb:never-private, so the gap matters for public addresses only. */
int rb_fw_host_addrs_read(struct in_addr **out, size_t *n, struct rb_err *err);

/* Makes addrs[0..n) the members of the plan's RB-HOST (a sentry plan). */
int rb_fw_plan_host_addrs(struct rb_fw_plan *plan, const struct in_addr *addrs, size_t n,
			  struct rb_err *err);

/* The host's part, in the host netns, never touching built-in policies or
 * chains and rules that are not this moniker's:
 *  filter RB-H-<moniker>, jumped to from INPUT and FORWARD at position 0:
 *  the enclave bridge `bridge` carries nothing but bottle<->sentry and the
 *  host is unreachable from it.
 *  With RBRN_ENTRY_ENABLED=1, the entry port, published the way netavark's
 *  -p would (podman ignores -p on an --internal uplink, and rb wants one
 *  mechanism for every uplink): nat RB-E-<moniker> DNATs tcp dport
 *  ENTRY_PORT_WORKSTATION to sentry_uplink:ENTRY_PORT_WORKSTATION (the
 *  sentry DNATs on to the bottle); it is jumped to from OUTPUT with
 *  -m addrtype --dst-type LOCAL (the host itself, any of its addresses)
 *  and from PREROUTING with --dst-type LOCAL --limit-iface-in (from
 *  outside, the address of the interface the connection comes in on):
 *  with bridge-nf-call-iptables the bottle's frames bridged to the sentry
 *  pass the host's PREROUTING too, and to the host's addresses they must
 *  reach the sentry and be refused there (rb:never-host), never be turned
 *  back into the entry path. nat RB-EPOST-<moniker>, jumped to from
 *  POSTROUTING, MASQUERADEs what 127.0.0.0/8 sent to sentry_uplink:WS, and
 *  net.ipv4.conf.<uplink_bridge>.route_localnet=1 lets such packets leave
 *  at all. The sysctl is written only when it is 0 and never reset: other
 *  bottles on the same uplink, or netavark's own published ports, may rely
 *  on it, and rb cannot tell. With entry off the nat part is empty (an
 *  apply deletes what an earlier one made); uplink_bridge and
 *  sentry_uplink are not used then.
 * Connections from other machines are forwarded by the host: its FORWARD
 * policy must let them through, as for podman's own published ports. */
int rb_fw_host_plan_build(const struct rb_nameplate *np, const char *bridge,
			  const char *uplink_bridge, struct in_addr sentry_uplink,
			  struct rb_fw_plan **out, struct rb_err *err);

/* Drops from a sentry plan what backend b's kernel cannot do: on nft
 * without nft_queue (a kernel built without CONFIG_NFT_QUEUE), the
 * learner's queue rules (rb:learn-udp, rb:learn-tcp). The resolver's
 * replies then reach the bottle unlearned: names open nothing (fail
 * closed), CIDRs work. Returns 1 when it dropped something, else 0. */
int rb_fw_plan_backend_fit(struct rb_fw_plan *plan, enum rb_fw_backend b);

void rb_fw_plan_free(struct rb_fw_plan *plan);

/* A plan freed when its variable goes out of scope (see utils.h). */
static inline void cleanup_fw_planp(struct rb_fw_plan **p)
{
	rb_fw_plan_free(*p);
}
#define cleanup_fw_plan __attribute__((cleanup(cleanup_fw_planp)))

/* Prints the plan in iptables-save syntax, one "*table ... COMMIT" block per
 * table, chains in the order iptables-legacy-save lists them, no counters
 * (":CHAIN POLICY [0:0]"). ipset contents and sysctls are printed first as
 * comment lines ("# ipset add RB-CIDR 1.2.3.0/24", "# sysctl k=v"). For a
 * sentry plan applied to an otherwise empty netns, the non-comment lines
 * equal `iptables-legacy-save` of that netns except for counters.
 * Returns 0 or -errno (write error). */
int rb_fw_plan_print(const struct rb_fw_plan *plan, FILE *out);

/* The nft backend's --dry-run: exactly the transaction rb_fw_apply sends
 * (`nft -c -f` takes it unchanged), sysctls as comment lines. */
int rb_fw_plan_print_nft(const struct rb_fw_plan *plan, FILE *out);

/* Applies the plan to the current netns, fail-closed:
 *  sentry plan: refused (config error) without rb_fw_plan_host_addrs;
 *  ip_forward=0 first, so a failure anywhere leaves the sentry not
 *  routing; create missing sets (empty = deny for RB-CIDR/RB-DNS); commit
 *  filter (built-in policies DROP, previous rb jumps removed, one jump at
 *  position 0 per built-in chain, RB-* chains rebuilt, stale RB-* chains
 *  deleted); fill every set through a temporary set + atomic swap; commit
 *  nat; flush conntrack; then IPv6 off and ip_forward=1. RB-DNS is
 *  emptied: answers given under an older allowlist do not survive, the
 *  bottle's next lookups refill it (dnsmasq runs with cache-size=0, so
 *  every answer passes its ipset hook).
 *  host plan: commit filter (RB-H-<moniker> and its jumps), commit nat
 *  (RB-E-/RB-EPOST-<moniker> and their jumps, or their removal), then
 *  route_localnet if it is 0.
 * Chains and rules not owned by the plan are never touched. Takes
 * /run/xtables.lock around each commit; a table with nothing to change is
 * not committed. Idempotent. */
int rb_fw_apply(const struct rb_fw_plan *plan, enum rb_fw_backend b, struct rb_err *err);

/* Removes the host chains of moniker (RB-H-, RB-E-, RB-EPOST-<moniker>)
 * and every jump to them from filter and nat of the current netns; one
 * commit per table that had any. 0 also when there was nothing.
 * route_localnet is left as it is (see rb_fw_host_plan_build). */
int rb_fw_host_remove(const char *moniker, struct rb_err *err);

/* Drift: compares the current netns with the plan: built-in policies, the
 * rb jumps (one per hooked built-in chain, at the top; other bottles' host
 * jumps may come first), every rule of the plan's chains (as an edit
 * script: one inserted rule is one difference), no extra chains the plan
 * owns, the RB-CIDR contents, RB-HOST's contents when the plan knows them
 * (else its existence), RB-DNS present, and the plan's sysctls.
 * cb (may be NULL) is called once per difference with table ("filter",
 * "nat", "ipset", "sysctl"), chain (or set / key) and a one-line
 * description. Returns the number of differences (>= 0) or -errno. */
int rb_fw_check(const struct rb_fw_plan *plan, enum rb_fw_backend b,
		void (*cb)(void *ctx, const char *table, const char *chain, const char *what),
		void *ctx, struct rb_err *err);

struct rb_fw_counter {
	char table[16];
	char chain[32];
	unsigned int index; /* 1-based rule number in the chain */
	char id[64];        /* the "rb:<id>" comment, "" if the rule has none */
	char text[256];     /* the rule in save syntax: "-A CHAIN ... -j X" (xtables),
			     * as `nft -s list` prints it (nft) */
	char target[32];    /* ACCEPT, DROP, REJECT, DNAT, MASQUERADE or a chain */
	uint64_t pkts, bytes;
};

/* Reads every rule of every RB-* chain of filter and nat in the current
 * netns, in chain order. *out is malloc'd (free() it); *n may be 0. */
int rb_fw_counters_read(enum rb_fw_backend b, struct rb_fw_counter **out, size_t *n,
			struct rb_err *err);

/* 1 if addr is in the ipset `set` of the current netns, 0 if not, -ENOENT if
 * the set does not exist, other -errno on failure. */
int rb_fw_set_test(const char *set, struct in_addr addr, struct rb_err *err);

/* Writes the sentry's dnsmasq configuration for np (docs/design.md: names not
 * allowed are answered NXDOMAIN locally and never forwarded; allowed names
 * are forwarded upstream; what their answers open is the learner's business,
 * lib/learn.h). Needs np->has_uplink_dns_server when any name is forwarded.
 * 0 or -errno. */
int rb_resolver_conf_write(const struct rb_nameplate *np, enum rb_fw_backend b, FILE *out,
			   struct rb_err *err);

#endif
