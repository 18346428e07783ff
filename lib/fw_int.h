/* Internal to lib/fw*.c, lib/ipset.c, lib/conntrack.c: the plan's data
 * model. A rule is kept abstract (fields, not bytes) so the same value is
 * printed in save syntax, encoded into an ipt_entry for libiptc, and compared
 * with what the kernel holds (decoded back into save syntax). */
#ifndef RB_FW_INT_H
#define RB_FW_INT_H

#include "fw.h"
#include "addr.h"

#include <net/if.h>
#include <stdint.h>
#include <stdio.h>

#define RB_FW_CHAIN_MAX 29 /* user chain names: 28 characters + NUL */

enum rb_fw_verdict {
	RB_FW_ACCEPT,
	RB_FW_DROP,
	RB_FW_REJECT,
	RB_FW_JUMP,
	RB_FW_DNAT,
	RB_FW_MASQUERADE,
	RB_FW_QUEUE, /* NFQUEUE --queue-num queue, no bypass */
	RB_FW_NFLOG, /* NFLOG --nflog-prefix log_prefix --nflog-group log_group */
};

enum rb_fw_reject {
	RB_FW_REJECT_PORT, /* icmp-port-unreachable */
	RB_FW_REJECT_TCP_RESET,
};

/* ctstate bits, in the order iptables prints them */
enum {
	RB_FW_CT_INVALID = 1 << 0,
	RB_FW_CT_NEW = 1 << 1,
	RB_FW_CT_RELATED = 1 << 2,
	RB_FW_CT_ESTABLISHED = 1 << 3,
	RB_FW_CT_DNAT = 1 << 4,
};

struct rb_fw_rule {
	struct rb_cidr src, dst; /* prefix 0: any */
	int inv_src, inv_dst;
	char in[IFNAMSIZ], out[IFNAMSIZ]; /* "": any */
	int inv_in, inv_out;
	uint8_t proto;     /* 0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint16_t dport;    /* tcp/udp; 0: any */
	uint16_t sport;    /* tcp/udp; 0: any */
	int icmp_type;     /* icmp; -1: any */
	unsigned int ctstate; /* RB_FW_CT_*; 0: no conntrack match */
	char set[32];      /* "": no set match; matched on dst */
	int set_port;      /* the set's elements are (address, protocol, port): matched
			    * on dst, the protocol and the dst port (dst,dst) */
	int dst_local;     /* 1: -m addrtype --dst-type LOCAL */
	int limit_in;      /* with dst_local: --limit-iface-in */
	unsigned int limit_rate, limit_burst; /* -m limit: per second; 0: no limit match */
	char id[48];       /* comment is "rb:<id>" */
	enum rb_fw_verdict verdict;
	char jump[RB_FW_CHAIN_MAX];
	enum rb_fw_reject reject;
	struct in_addr nat_ip;
	uint16_t nat_port;
	uint16_t queue;      /* RB_FW_QUEUE */
	uint16_t log_group;  /* RB_FW_NFLOG */
	char log_prefix[64]; /* RB_FW_NFLOG: "rb:<id>" of the rule it logs for */
};

struct rb_fw_chain {
	char name[RB_FW_CHAIN_MAX];
	int builtin;
	const char *policy; /* builtin: "DROP"/"ACCEPT" to set, NULL: leave */
	struct rb_fw_rule *rules; /* builtin: the rb jumps, inserted at 0 */
	size_t n_rules, cap_rules;
};

struct rb_fw_table {
	char name[16];
	struct rb_fw_chain *chains; /* builtins in hook order, then ours */
	size_t n_chains;
};

struct rb_fw_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t port;
};

struct rb_fw_set {
	char name[32];
	const char *type; /* "hash:net", "hash:ip", "hash:net,port", "hash:ip,port" */
	uint32_t timeout; /* 0: members stay; else the set is created with timeout */
	struct rb_cidr *members;
	struct rb_fw_port *ports; /* "...,port" types: the port of each member */
	size_t n_members;
};

/* 1 for the "...,port" types, whose elements are (address, protocol, port). */
int rb_fw_set_ported(const struct rb_fw_set *s);
/* Member i of s as ipset save prints it: "a.b.c.d/p", "a.b.c.d/p,tcp:443". */
void rb_fw_member_str(const struct rb_fw_set *s, size_t i, char *buf, size_t len);

struct rb_fw_sysctl {
	const char *key, *value;
};

/* The host chains of one moniker, by table. */
enum {
	RB_FW_HOST_FILTER, /* RB-H-<moniker>: enclave bridge hardening */
	RB_FW_HOST_ENTRY,  /* nat RB-E-<moniker>: entry port DNAT */
	RB_FW_HOST_EPOST,  /* nat RB-EPOST-<moniker>: masquerade for 127.0.0.1 */
	RB_FW_HOST_N,
};

struct rb_fw_plan {
	int host; /* 1: host plan (owns only host_chains) */
	char moniker[RB_FW_CHAIN_MAX]; /* host plan: whose chains (and nft table) */
	/* sentry plan: IPv6 is dropped by policy in filter INPUT/FORWARD/OUTPUT,
	 * not only turned off by sysctl (xtables: ip6tables policy DROP; nft:
	 * rb:ipv6 first in each filter hook of the inet table) */
	int ipv6_drop;
	char host_chains[RB_FW_HOST_N][RB_FW_CHAIN_MAX];
	struct rb_fw_table tables[2];
	size_t n_tables;
	struct rb_fw_set sets[5];
	size_t n_sets;
	int host_addrs_known; /* RB-HOST members were given (rb_fw_plan_host_addrs) */
	const struct rb_fw_sysctl *sysctls;
	size_t n_sysctls;
	/* host plan: route_localnet of the uplink bridge (name is dynamic) */
	struct rb_fw_sysctl host_sysctl;
	char host_sysctl_key[64];
};

/* fw_rules.c: the host chain names of moniker (RB_FW_HOST_*). */
void rb_fw_host_chain_names(const char *moniker, char names[RB_FW_HOST_N][RB_FW_CHAIN_MAX]);
/* fw_rules.c: a host plan that owns moniker's chains and lists the hooked
 * built-in chains with no rules: committing it removes them. */
int rb_fw_host_plan_empty(const char *moniker, struct rb_fw_plan **out);

/* fw_rules.c: "-A CHAIN ..." for r into buf; -ENOSPC if it does not fit. */
int rb_fw_rule_format(const char *chain, const struct rb_fw_rule *r, char *buf, size_t len);
/* The iptables-save quoting of a --comment value. */
void rb_fw_quote(const char *s, char *buf, size_t len);
/* 1 if the plan owns user chain `name` (may create, flush, delete it). */
int rb_fw_plan_owns(const struct rb_fw_plan *plan, const char *name);
const struct rb_fw_chain *rb_fw_table_chain(const struct rb_fw_table *t, const char *name);
/* The plan table ("filter" or "nat") an rb chain belongs to, by its name:
 * the nft backend keeps both in one inet table. */
const char *rb_fw_chain_table(const char *name);
/* fw_rules.c: a sentry plan that owns every sentry chain and wants none,
 * with filter policies ACCEPT: committing it (xtables) removes the sentry
 * policy, for when the other backend holds it. */
int rb_fw_sentry_plan_empty(struct rb_fw_plan **out);

/* fw_diff.c: what every backend's drift check shares. One difference
 * reported through cb (may be NULL); returns 1. */
typedef void (*rb_fw_diff_cb)(void *ctx, const char *table, const char *chain, const char *what);
int rb_fw_diff(rb_fw_diff_cb cb, void *ctx, const char *table, const char *chain, const char *fmt,
	       ...) __attribute__((format(printf, 5, 6)));
/* Live rule texts got[0..ng) against want[0..nw) as a shortest edit script
 * (LCS), so one inserted rule is reported once, not as a shift of every rule
 * after it. The number of differences, or -ENOMEM. */
int rb_fw_diff_rules(const char *table, const char *chain, char **got, size_t ng, char **want,
		     size_t nw, rb_fw_diff_cb cb, void *ctx);
void rb_fw_strv_free(char **v, size_t n);

/* ipset.c */
int rb_ipset_index(const char *name, uint16_t *index, struct rb_err *err);
int rb_ipset_name(uint16_t index, char *name, size_t len);
int rb_ipset_ensure(const struct rb_fw_set *set, struct rb_err *err);
/* rb_ipset_replace fills SET-new and swaps it in: one left over (an apply
 * killed in the middle) is rb's own, named by --check and removed by the
 * next apply or --remove. */
#define RB_IPSET_TMP_SUFFIX "-new"
int rb_ipset_replace(const struct rb_fw_set *set, struct rb_err *err);
/* Destroys ipset `name`; 0 also when there is none. */
int rb_ipset_destroy(const char *name, struct rb_err *err);
/* Members of `name` as "a.b.c.d/n" text (hash:ip members get /32), with
 * ",tcp:443" after it in a ",port" set, sorted. */
int rb_ipset_members(const char *name, char ***out, size_t *n, struct rb_err *err);
/* Members of `name` as `ipset save` prints them after "add NAME ", with
 * their extensions ("a.b.c.d,tcp:443 timeout 59 comment \"x\""), sorted.
 * Netlink only (CAP_NET_ADMIN): for a set the caller knows exists. */
int rb_ipset_member_lines(const char *name, char ***out, size_t *n, struct rb_err *err);
void rb_ipset_members_free(char **m, size_t n);

/* 1 if the kernel's ip_set answers in the current netns. */
int rb_ipset_usable(void);

/* conntrack.c: deletes every IPv4 and IPv6 conntrack entry of the netns. */
int rb_conntrack_flush(struct rb_err *err);

/* fw_lock.c: /run/xtables.lock, like iptables -w. */
int rb_flock(const char *path, int wait_ms, struct rb_err *err);
int rb_xtables_lock(struct rb_err *err);
void rb_xtables_unlock(int fd);

#endif
