/* What rb learns from podman: `podman inspect` / `podman network inspect`
 * JSON, read with cJSON. Podman's output is treated as hostile: every field
 * is type- and range-checked before use. The podman binary is $RB_PODMAN or
 * "podman"; it is run without a shell. */
#ifndef RB_PODMAN_H
#define RB_PODMAN_H

#include "rb.h"

#include <sys/types.h>

#define RB_PODMAN_MAX_NETS 16

struct rb_podman_attachment {
	char network[64];
	struct in_addr ip;
	unsigned int prefix;
	char mac[18];
};

struct rb_podman_container {
	char name[128];
	int running;
	int initialized; /* `podman init` done, not started: namespaces exist */
	pid_t pid;	 /* > 0 when running or initialized */
	size_t n_nets;
	struct rb_podman_attachment nets[RB_PODMAN_MAX_NETS];
};

struct rb_podman_network {
	char name[64];
	char bridge[16]; /* network_interface, a valid interface name */
	int internal;
	int has_gateway;
	struct in_addr gateway;
	size_t n_subnets;
	struct rb_cidr subnets[8];
};

/* Where podman keeps what no bottle may mount, from `podman info`: its
 * storage (every container's layers and files), its volumes, its run
 * state and its API socket. Absolute paths as podman reports them; "" for
 * the optional ones it does not report. */
#define RB_PODMAN_PATH_MAX 1024
struct rb_podman_store {
	char graph_root[RB_PODMAN_PATH_MAX];
	char run_root[RB_PODMAN_PATH_MAX];
	char volume_path[RB_PODMAN_PATH_MAX]; /* optional */
	char socket[RB_PODMAN_PATH_MAX];      /* optional; a unix:// URL's path */
};

/* -ENOENT (with err set) when there is no such container / network. */
int rb_podman_container_inspect(const char *name, struct rb_podman_container *out,
				struct rb_err *err);
int rb_podman_network_inspect(const char *name, struct rb_podman_network *out,
			      struct rb_err *err);
/* Every podman network on the host (IPv4 subnets only). *out is malloc'd. */
int rb_podman_network_list(struct rb_podman_network **out, size_t *n, struct rb_err *err);

int rb_podman_store_info(struct rb_podman_store *out, struct rb_err *err);

/* Pure parsers over JSON text (what the functions above run on podman's
 * output; the fuzzers call them directly). */
int rb_podman_parse_container(const char *json, size_t len, struct rb_podman_container *out,
			      struct rb_err *err);
int rb_podman_parse_networks(const char *json, size_t len, struct rb_podman_network **out,
			     size_t *n, struct rb_err *err);
int rb_podman_parse_info(const char *json, size_t len, struct rb_podman_store *out,
			 struct rb_err *err);

#endif
