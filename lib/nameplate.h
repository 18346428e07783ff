/* Nameplates: nameplates/<moniker>.mk, plain "NAME = value" lines.
 * The file is parsed here, never by make, so a hostile value cannot run
 * anything; RBRN_* variables in the environment override the file (make
 * exports command-line variables, which is how `make X RBRN_...=v` works). */
#ifndef RB_NAMEPLATE_H
#define RB_NAMEPLATE_H

#include "addr.h"
#include "rb.h"

#include <stdio.h>

#define RB_NP_MAX_CIDRS 131072 /* 100,000 and more: one interval-set lookup on nft */
#define RB_NP_MAX_DOMAINS 1024
#define RB_NP_MAX_ARGS 64     /* RBRN_BOTTLE_COMMAND */
#define RB_NP_MAX_VOLUMES 32  /* RBRN_BOTTLE_VOLUMES */
#define RB_NP_PATH_MAX 256    /* paths of the workload, incl. the NUL */

/* Ported entries of RBRN_UPLINK_ALLOWED_CIDRS/_DOMAINS, ENTRY:PORTS[/PROTO]
 * (README "Ports"): PORTS is a comma-separated list of ports and ranges
 * (8000-8100), PROTO tcp (the default) or udp. */
#define RB_NP_MAX_PORT_ITEMS 16   /* ports and ranges written in one entry */
#define RB_NP_MAX_PORT_RANGES 16  /* ranges an entry holds after merging */
#define RB_NP_MAX_ENTRY_PORTS 256 /* ports one entry opens per protocol */
/* (CIDR, protocol, port) elements of all ported CIDRs: what the sets hold */
#define RB_NP_MAX_PORT_ELEMS 262144

struct rb_port_range {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t lo, hi;
};

/* Sorted by protocol then port; ranges of one protocol neither overlap nor
 * touch (22,23 is kept as 22-23), so equal sets of ports compare equal. */
struct rb_ports {
	unsigned int n;
	struct rb_port_range r[RB_NP_MAX_PORT_RANGES];
};

struct rb_cidr_ports {
	struct rb_cidr cidr;
	struct rb_ports ports;
};

struct rb_name_ports {
	char *name; /* lower case, no trailing dot */
	struct rb_ports ports;
};

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
	int dns_log; /* the resolver logs every question (podman logs of the sentry) */
	int access_enabled;
	int access_global;
	struct rb_cidr *cidrs; /* RBRN_UPLINK_ALLOWED_CIDRS */
	size_t n_cidrs;
	char **domains; /* RBRN_UPLINK_ALLOWED_DOMAINS, lower case, no trailing dot */
	size_t n_domains;
	/* The ported entries, one per CIDR or name with the union of the
	 * ports it was listed with. A CIDR or name also listed without ports
	 * is not here: all ports (TCP and UDP) is what it allows. */
	struct rb_cidr_ports *pcidrs; /* sorted like cidrs */
	size_t n_pcidrs;
	struct rb_name_ports *pdomains; /* sorted by name */
	size_t n_pdomains;
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

/* Where podman keeps what no bottle may mount (lib/podman.h). */
struct rb_podman_store;

/* The host a nameplate is loaded for, to check the workload's files on it
 * (volumes' host paths exist and are canonical, the env file's permissions
 * and lines, none inside podman's storage). Only the commands that start
 * the bottle need that; stopping one whose workspace is gone must still
 * work. lib/host_nets.h has the real one. */
struct rb_np_host {
	/* podman's storage paths; asked at most once, and only when a volume
	 * or an env file is set (podman info takes half a second) */
	int (*store)(struct rb_podman_store *out, struct rb_err *err);
};

/* Parses path (NULL: environment only), applies RBRN_* from the environment,
 * validates every value. Touches nothing on the system. On error np is left
 * released and err names the variable and the value. */
int rb_nameplate_load(struct rb_nameplate *np, const char *path, struct rb_err *err);
/* Same, and with host (not NULL) the workload's files are checked on it. */
int rb_nameplate_load_host(struct rb_nameplate *np, const char *path,
			   const struct rb_np_host *host, struct rb_err *err);
/* Same, from a buffer (used by the fuzzer; env overrides not applied). */
int rb_nameplate_parse(struct rb_nameplate *np, const char *text, size_t len,
		       const char *origin, struct rb_err *err);
void rb_nameplate_free(struct rb_nameplate *np);

/* Writes every variable as a shell assignment, single-quoted, one a line:
 * RBRN_MONIKER='nsproto'. Used by mk/ via eval. Then two bash arrays:
 * RB_BOTTLE_RUN_ARGS, the podman run options of the workload (limits,
 * volumes, env file, workdir, tty), and RB_BOTTLE_ARGV, the command (empty:
 * the image's); each element single-quoted, so nothing is re-split. */
int rb_nameplate_print_env(const struct rb_nameplate *np, FILE *out);

/* lib/nameplate_ports.c. Adds the ports of "PORTS[/PROTO]" (s, len bytes)
 * to p, which may hold ports already (the union is kept); -EINVAL with a
 * reason in why: a port outside 1..65535, an empty item, a bad range, an
 * unknown protocol, a DNS port (53, 853, 5353: the bottle's DNS goes only
 * through the sentry), more than RB_NP_MAX_PORT_ITEMS items, or more than
 * RB_NP_MAX_ENTRY_PORTS ports of one protocol or RB_NP_MAX_PORT_RANGES
 * ranges in p after the union. */
int rb_ports_parse(const char *s, size_t len, struct rb_ports *p, char *why, size_t wlen);
/* Adds every range of src to dst, with rb_ports_parse's limits. */
int rb_ports_union(struct rb_ports *dst, const struct rb_ports *src, char *why, size_t wlen);
/* The ports of proto as rb_ports_parse reads them back ("22,443",
 * "5000/udp": tcp is written without its name); "" when p has none. */
void rb_ports_format(const struct rb_ports *p, uint8_t proto, char *buf, size_t len);
int rb_ports_has(const struct rb_ports *p, uint8_t proto, uint16_t port);
/* Ports p opens, ranges counted port by port. */
size_t rb_ports_count(const struct rb_ports *p);
/* A port that a ported entry leaves closed for proto, preferring ones a
 * test world or a real host listens on (80, 443, 8443, 22); 0 if none. */
uint16_t rb_ports_refused(const struct rb_ports *p, uint8_t proto);
/* Every allowed name, with or without ports (domains, then pdomains):
 * what the sentry's resolver answers. */
size_t rb_np_n_names(const struct rb_nameplate *np);
const char *rb_np_name(const struct rb_nameplate *np, size_t i);
/* Writes "ENTRY:PORTS ENTRY:PORTS/udp", one word per protocol p has, each
 * preceded by a blank unless *first (which it clears). */
void rb_ports_put(FILE *out, const char *entry, const struct rb_ports *p, int *first);

#endif
