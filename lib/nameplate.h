/* Nameplates: nameplates/<moniker>.mk, plain "NAME = value" lines.
 * The file is parsed here, never by make, so a hostile value cannot run
 * anything; RBRN_* variables in the environment override the file (make
 * exports command-line variables, which is how `make X RBRN_...=v` works). */
#ifndef RB_NAMEPLATE_H
#define RB_NAMEPLATE_H

#include "rb.h"

#include <stdio.h>

#define RB_NP_MAX_CIDRS 131072 /* 100,000 and more: one interval-set lookup on nft */
#define RB_NP_MAX_DOMAINS 1024
#define RB_NP_MAX_ARGS 64     /* RBRN_BOTTLE_COMMAND */
#define RB_NP_MAX_VOLUMES 32  /* RBRN_BOTTLE_VOLUMES */
#define RB_NP_PATH_MAX 256    /* paths of the workload, incl. the NUL */

/* HOSTPATH:PATH[:ro|:rw] of RBRN_BOTTLE_VOLUMES. */
struct rb_volume {
	char host[RB_NP_PATH_MAX];
	char ctr[RB_NP_PATH_MAX];
	int rw;
};

struct rb_nameplate {
	char moniker[RB_MONIKER_MAX + 1];
	char description[256];
	char sentry_image[256];
	char bottle_image[256];
	unsigned int bottle_uid;
	struct rb_cidr enclave_subnet;
	struct in_addr sentry_ip;
	struct in_addr bottle_ip;
	char uplink_network[64];
	int has_uplink_gateway;
	struct in_addr uplink_gateway;
	int has_uplink_dns_server;
	struct in_addr uplink_dns_server;
	int entry_enabled;
	uint16_t entry_port_workstation;
	uint16_t entry_port_enclave;
	int dns_enabled;
	int dns_global;
	int dns_intercept;
	int access_enabled;
	int access_global;
	struct rb_cidr *cidrs; /* RBRN_UPLINK_ALLOWED_CIDRS */
	size_t n_cidrs;
	char **domains; /* RBRN_UPLINK_ALLOWED_DOMAINS, lower case, no trailing dot */
	size_t n_domains;
	int uplink_dns_from_host; /* RBRN_UPLINK_DNS_SERVER was unset: the host's resolver */
	/* The bottle's workload (RBRN_BOTTLE_*). */
	char *command_text;   /* as given, NULL: the image's */
	char **argv;          /* its argv, n_args words */
	size_t n_args;
	char workdir[RB_NP_PATH_MAX];  /* "": the image's */
	struct rb_volume *volumes;
	size_t n_volumes;
	char env_file[RB_NP_PATH_MAX]; /* "": none */
	char memory[24];      /* podman's form, e.g. 2g */
	char cpus[16];        /* e.g. 1.5 */
	unsigned long pids;
	int tty;
};

/* rb_nameplate_load_flags: also check the workload's files on this host
 * (volumes' host paths exist and are canonical, the env file's permissions
 * and lines). Only the commands that start the bottle need that; stopping
 * one whose workspace is gone must still work. */
#define RB_NP_CHECK_FILES 1u

/* Parses path (NULL: environment only), applies RBRN_* from the environment,
 * validates every value. Touches nothing on the system. On error np is left
 * released and err names the variable and the value. */
int rb_nameplate_load(struct rb_nameplate *np, const char *path, struct rb_err *err);
int rb_nameplate_load_flags(struct rb_nameplate *np, const char *path, unsigned int flags,
			    struct rb_err *err);
/* Same, from a buffer (used by the fuzzer; env overrides not applied). */
int rb_nameplate_parse(struct rb_nameplate *np, const char *text, size_t len,
		       const char *origin, struct rb_err *err);
void rb_nameplate_free(struct rb_nameplate *np);

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
 * route. Needs podman; reads only. seen may be NULL. */
int rb_nameplate_check_host(const struct rb_nameplate *np, struct rb_host_nets *seen,
			    struct rb_err *err);
/* seen as shell assignments: RB_ENCLAVE_PRESENT, RB_UPLINK_PRESENT,
 * RB_UPLINK_BRIDGE, RB_UPLINK_GATEWAY. */
int rb_host_nets_print_env(const struct rb_host_nets *seen, FILE *out);

/* Writes every variable as a shell assignment, single-quoted, one a line:
 * RBRN_MONIKER='nsproto'. Used by mk/ via eval. Then two bash arrays:
 * RB_BOTTLE_RUN_ARGS, the podman run options of the workload (limits,
 * volumes, env file, workdir, tty), and RB_BOTTLE_ARGV, the command (empty:
 * the image's); each element single-quoted, so nothing is re-split. */
int rb_nameplate_print_env(const struct rb_nameplate *np, FILE *out);

/* Value parsers, shared by nameplate validation and the fuzzers. Return 0 or
 * -EINVAL. */
int rb_parse_ipv4(const char *s, struct in_addr *out);
int rb_parse_cidr(const char *s, struct rb_cidr *out); /* host bits must be zero */
int rb_parse_port(const char *s, uint16_t *out);       /* 1..65535 */
int rb_domain_valid(const char *s); /* 1: LDH labels, 1..63 each, <=253 total */
int rb_cidr_contains(const struct rb_cidr *c, struct in_addr a);
int rb_cidr_overlaps(const struct rb_cidr *a, const struct rb_cidr *b);

#endif
