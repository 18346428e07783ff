/* Probes: single network tests run from inside the bottle's netns as the
 * bottle's uid (TCP connect, UDP datagram, ICMP echo, DNS over UDP and TCP).
 *
 * A prober is a child process that entered the bottle's netns and dropped to
 * the bottle's uid/gid once; the parent (root) hands it batches of probes
 * over a pipe and gets the results back. A batch runs in parallel on
 * non-blocking sockets under one poll() deadline, so blocked egress, which
 * the sentry REJECTs, costs next to nothing, and even silent drops cost one
 * timeout for the whole batch rather than one per probe.
 *
 * SPEC grammar (rb-verify --probe):
 *   SPEC   := KIND ':' TARGET [ '=' EXPECT ]
 *   tcp:ADDR:PORT         TCP connect             pass = connected
 *   udp:ADDR:PORT         one datagram            pass = a datagram came back
 *   icmp:IPV4             ICMP echo (ping socket) pass = echo reply
 *   dns:NAME              A query to the sentry's resolver over UDP
 *   udp-dns:ADDR:NAME     A query to ADDR port 53 over UDP
 *   tcp-dns:ADDR:NAME     A query to ADDR port 53 over TCP
 *   ADDR   := IPV4 | '[' IPV6 [ '%' IFNAME ] ']'
 *   EXPECT := pass | fail | nxdomain
 * For DNS kinds pass = an answer with at least one address, nxdomain = an
 * answer with rcode NXDOMAIN, fail = no address (no answer or an error). No
 * EXPECT: rb-verify derives it from the nameplate. */
#ifndef RB_PROBE_H
#define RB_PROBE_H

#include "dns.h"
#include "rb.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/types.h>

#define RB_PROBE_BATCH_MAX 256
#define RB_PROBE_SPEC_MAX 320

enum rb_probe_kind {
	RB_PROBE_TCP,
	RB_PROBE_UDP,
	RB_PROBE_ICMP,
	RB_PROBE_DNS,     /* dns: (to the sentry) and udp-dns: */
	RB_PROBE_TCP_DNS, /* tcp-dns: */
};

enum rb_probe_expect {
	RB_EXPECT_AUTO, /* not given: derived from the nameplate */
	RB_EXPECT_PASS,
	RB_EXPECT_FAIL,
	RB_EXPECT_NXDOMAIN,
};

enum rb_probe_outcome {
	RB_OUT_NONE,        /* not run */
	RB_OUT_OPEN,        /* tcp: connected */
	RB_OUT_REPLY,       /* udp, icmp: something came back */
	RB_OUT_ANSWER,      /* dns: a response to our question (rcode, addrs) */
	RB_OUT_REFUSED,     /* ECONNREFUSED: TCP RST or ICMP port unreachable */
	RB_OUT_UNREACHABLE, /* no route, host/net unreachable, admin prohibited */
	RB_OUT_TIMEOUT,     /* nothing came back before the deadline */
	RB_OUT_CLOSED,      /* tcp-dns: the server closed before answering */
	RB_OUT_MALFORMED,   /* dns: the response could not be parsed */
	RB_OUT_UNTESTABLE,  /* icmp: the uid may not open a ping socket here */
	RB_OUT_ERROR,       /* anything else, see err */
};

struct rb_probe {
	enum rb_probe_kind kind;
	enum rb_probe_expect expect;
	int family; /* AF_INET or AF_INET6 */
	struct in_addr addr4;
	struct in6_addr addr6;
	char ifname[IFNAMSIZ]; /* IPv6 scope ("" none), resolved in the bottle */
	uint16_t port;         /* tcp, udp; 53 for DNS kinds */
	int to_sentry;         /* dns:NAME, the server is filled in later */
	char name[RB_NAME_MAX + 1];
};

struct rb_probe_result {
	enum rb_probe_outcome outcome;
	int err;   /* errno behind REFUSED/UNREACHABLE/ERROR/UNTESTABLE */
	int rcode; /* ANSWER */
	unsigned int n_addrs;
	struct in_addr addrs[RB_DNS_MAX_ADDRS];
	uint32_t elapsed_ms;
	char note[96]; /* why UNTESTABLE / MALFORMED */
};

/* Parses one SPEC. -EINVAL with a config error naming the spec. */
int rb_probe_parse(const char *spec, struct rb_probe *p, struct rb_err *err);

/* "tcp", "udp", "icmp", "udp-dns", "tcp-dns" (dns: probes print "dns"). */
const char *rb_probe_kind_str(const struct rb_probe *p);
const char *rb_probe_expect_str(enum rb_probe_expect e);
/* "160.79.104.10:443", "[2001:db8::1]:443", "8.8.8.8:53 example.com". */
void rb_probe_target(const struct rb_probe *p, char *buf, size_t len);
/* The spec that parses back into p (expectation included unless AUTO). */
void rb_probe_spec(const struct rb_probe *p, char *buf, size_t len);
/* "open", "refused (Connection refused)", "NXDOMAIN", "NOERROR 1.2.3.4", ... */
void rb_probe_observed(const struct rb_probe *p, const struct rb_probe_result *r, char *buf,
		       size_t len);
/* 1 when the outcome counts as "pass" for the probe's kind (tcp connected,
 * udp/icmp reply, dns answer with an address). */
int rb_probe_passed(const struct rb_probe *p, const struct rb_probe_result *r);

enum rb_probe_verdict {
	RB_VERDICT_OK,
	RB_VERDICT_FAIL,
	RB_VERDICT_UNTESTABLE,
};
/* Compares the outcome with p->expect (which must not be AUTO). An ERROR
 * outcome is FAIL whatever was expected: it proves nothing. */
enum rb_probe_verdict rb_probe_verdict(const struct rb_probe *p, const struct rb_probe_result *r);

/* Runs n probes in parallel in the calling process's netns and identity;
 * returns when all finished or timeout_ms passed. What the prober child
 * runs; 0 or -errno (only for failures that stop the whole batch). */
int rb_probe_run(const struct rb_probe *p, size_t n, struct rb_probe_result *res,
		 int timeout_ms);

struct rb_prober;

/* Forks the prober: it enters the netns at netns_path, drops every group
 * and becomes uid:gid with no_new_privs, then waits for batches. The parent
 * keeps its identity. uid must not be 0. */
int rb_prober_start(const char *netns_path, uid_t uid, gid_t gid, struct rb_prober **out,
		    struct rb_err *err);
/* Runs one batch (n <= RB_PROBE_BATCH_MAX) in the prober. */
int rb_prober_run(struct rb_prober *pr, const struct rb_probe *p, size_t n, int timeout_ms,
		  struct rb_probe_result *res, struct rb_err *err);
/* Ends the child and reaps it; NULL is fine. */
void rb_prober_stop(struct rb_prober *pr);

#endif
