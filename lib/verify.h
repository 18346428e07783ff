/* rb-verify's orchestration: state checks in the sentry's and the bottle's
 * netns, probes from inside the bottle as the bottle's uid, and the counter
 * deltas that name the rule which decided each probe.
 *
 * Attribution. Probes first run all at once (one poll() deadline for the
 * batch), which gives the observed outcomes quickly. Counters cannot tell
 * parallel probes apart, so every probe is then sent once more ALONE, with
 * the sentry's RB-* counters read before and after it: the rules that moved
 * in that window are the probe's rules, and the first terminal rule of
 * RB-EGRESS/RB-FORWARD/RB-INPUT (conntrack ESTABLISHED rules aside) is the
 * deciding one. The solo run's outcome must agree with the parallel one.
 * Whatever else crosses the sentry in that window (the bottle's own
 * workload on a live system) is counted too: the deciding rule is exact in
 * a quiet enclave and a best effort in a busy one, and the report says
 * which rules moved so a reader can judge. */
#ifndef RB_VERIFY_H
#define RB_VERIFY_H

#include "fw.h"
#include "nameplate.h"
#include "probe.h"
#include "rb.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>

#define RB_VERIFY_TIMEOUT_MS 1500
#define RB_VERIFY_MAX_EXTRA 128
#define RB_VERIFY_MAX_CIDR_PROBES 32
#define RB_VERIFY_MAX_NAME_PROBES 32

struct rb_verify_opts {
	const char *nameplate_path; /* for the report */
	const char *netns_bottle;   /* NULL: /proc/PID/ns/net of rb-M-bottle */
	const char *netns_sentry;   /* NULL: /proc/PID/ns/net of rb-M-sentry */
	int timeout_ms;
	int default_probes;
	const struct rb_probe *extra; /* --probe, expectations may be AUTO */
	size_t n_extra;
	enum rb_fw_backend backend; /* AUTO: whichever holds the policy */
};

/* What the host adds to the nameplate (podman mode; zero in --netns mode). */
struct rb_verify_env {
	int has_uplink;
	struct rb_cidr uplink_subnet; /* the sentry's uplink network */
	int has_bridge;
	struct in_addr bridge_ip; /* the host's address on the enclave bridge */
	int has_bridge_ll;
	struct in6_addr bridge_ll; /* the bridge's IPv6 link-local address */
	char bottle_if[IFNAMSIZ];  /* the bottle's enclave interface */
	char icmp_ratelimit[16];   /* the sentry's net.ipv4.icmp_ratelimit */
	struct in_addr *host_addrs; /* the host's own addresses (podman mode) */
	size_t n_host_addrs;
	struct in_addr host_probe[2]; /* public ones, on an interface, to probe */
	size_t n_host_probe;
};

struct rb_verify_check {
	char name[32]; /* backend, fw, ip_forward, route, ipv6, address, resolver, counters */
	char subject[96];    /* what was looked at: "filter RB-EGRESS", ... */
	char expect[96];
	char observed[256];
	int ok;
};

struct rb_verify_rule {
	char table[16];
	char chain[32];
	char id[64];     /* the rule's comment, "rb:<id>"; "" if it has none */
	char target[32]; /* ACCEPT, REJECT, DNAT, RB-EGRESS, ... */
	unsigned int index; /* 1-based position in the chain */
	char text[256];     /* the rule in iptables-save syntax */
	uint64_t pkts, bytes;
};

struct rb_verify_probe {
	struct rb_probe probe; /* expect resolved, never AUTO */
	struct rb_probe_result res;
	enum rb_probe_verdict verdict;
	int from_cli;
	int resolve_then_connect; /* an allowed name: TCP 443 to its answer */
	char why[96]; /* why this probe, why this expectation */
	char note[160];
	int has_rule, has_nat;
	struct rb_verify_rule rule; /* the deciding filter rule */
	struct rb_verify_rule nat;  /* the nat rule it went through, if any */
	struct rb_verify_rule *rules; /* every rule that moved for it */
	size_t n_rules;
};

struct rb_verify_report {
	char nameplate[256];
	char moniker[RB_MONIKER_MAX + 1];
	char backend[16];     /* the firewall backend read: "xtables", "nft" */
	char backend_why[64]; /* how it was chosen */
	struct rb_verify_check *checks;
	size_t n_checks;
	struct rb_verify_probe *probes;
	size_t n_probes;
	struct rb_verify_rule *run; /* counters moved by the parallel run */
	size_t n_run;
	size_t passed, failed, untestable;
	int ok;
};

/* Runs every check and probe. 0 when the verification ran (the verdict is
 * in (*out)->ok), -errno when it could not run (err set: config -> exit 1,
 * else exit 2). *out is freed with rb_verify_free. */
int rb_verify_run(const struct rb_nameplate *np, const struct rb_verify_opts *opts,
		  struct rb_verify_report **out, struct rb_err *err);
void rb_verify_free(struct rb_verify_report *r);

/* The expectation the nameplate implies for p (p->expect ignored), and a
 * short reason. via_name: the allowed name the sentry answered p's address
 * for (NULL: none), whose ports, if it has any, p's must be one of. env may be NULL. Pure: used for --probe without "=EXPECT"
 * and for the defaults. */
enum rb_probe_expect rb_verify_expect(const struct rb_nameplate *np,
				      const struct rb_verify_env *env, const struct rb_probe *p,
				      const char *via_name, char *why, size_t len);
/* 1 for private, loopback, link-local, CGNAT, multicast and reserved
 * addresses: never reachable from the bottle unless a CIDR names them. */
int rb_verify_addr_private(struct in_addr a);
/* The default probe set for np (man/rb-verify.8): allowed names and CIDRs
 * must pass (a ported CIDR on its first port, and fail on a port it does
 * not list), other resolvers, unlisted, private, link-local and IPv6
 * addresses must fail, each expectation derived by rb_verify_expect. */
int rb_verify_default_probes(const struct rb_nameplate *np, const struct rb_verify_env *env,
			     struct rb_verify_probe **out, size_t *n);

/* Aligned table, one line per check and probe, the counters that moved,
 * and "N checks, N passed, N failed". */
int rb_verify_print(const struct rb_verify_report *r, FILE *out);
/* {"nameplate", "moniker", "checks", "probes", "counters", "summary", "ok"} */
int rb_verify_print_json(const struct rb_verify_report *r, FILE *out, struct rb_err *err);

#endif
