/* The enclave Podman made for a nameplate, as rb-net-create finishes and
 * locks it down: the host holding the bridge, the sentry and the bottle,
 * each a network namespace held open from discovery to the end. */
#ifndef RB_ENCLAVE_H
#define RB_ENCLAVE_H

#include "link.h"
#include "nameplate.h"
#include "rb.h"

#include <net/if.h>
#include <netinet/in.h>

/* stages */
enum { RB_ENCLAVE_SENTRY = 1, RB_ENCLAVE_BOTTLE = 2 };

/* A network namespace rb-net-create works in. */
struct rb_enclave_ns {
	char label[160]; /* for messages: container name, netns path, "the host" */
	int fd;          /* held open from discovery to the end; -1: current netns */
	char path[40];   /* /proc/self/fd/<fd>, what rb_netns_enter_path gets */
};

struct rb_enclave_side {
	struct rb_enclave_ns ns;
	struct in_addr enclave_ip;
	const char *ip_var; /* the nameplate variable enclave_ip came from */
	int has_uplink_ip; /* podman told us the sentry's uplink address */
	struct in_addr uplink_ip;
	/* found in the netns */
	struct rb_link enclave;
	unsigned int enclave_prefix;
	struct rb_link uplink; /* sentry with RBRN_UPLINK_GATEWAY only */
};

struct rb_enclave {
	const struct rb_nameplate *np;
	unsigned int stages;
	struct rb_enclave_ns host;
	char bridge[IFNAMSIZ];
	struct rb_enclave_side sentry, bottle;
};

/* np must outlive p. stages: RB_ENCLAVE_SENTRY and/or RB_ENCLAVE_BOTTLE. */
void rb_enclave_init(struct rb_enclave *p, const struct rb_nameplate *np, unsigned int stages);
void rb_enclave_ns_init(struct rb_enclave_ns *ns, const char *label);
/* Pins the namespace at path: later entries go through the fd. */
int rb_enclave_ns_open(struct rb_enclave_ns *ns, const char *path, struct rb_err *err);
/* Bridge and namespaces from podman inspect of rb-M-enclave, rb-M-sentry,
 * rb-M-bottle, checked against the nameplate. */
int rb_enclave_from_podman(struct rb_enclave *p, struct rb_err *err);
/* Looks at everything first (a mismatch stops it before any change), then
 * hardens the bridge and sets up the stages' containers. */
int rb_enclave_lock_down(struct rb_enclave *p, struct rb_err *err);
void rb_enclave_close(struct rb_enclave *p);

#endif
