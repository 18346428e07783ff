/* rb-net-create's jobs (lib/net_create.h). */
#include "net_create.h"
#include "enclave.h"
#include "addr.h"
#include "host_nets.h"

#include <errno.h>
#include <string.h>

int rb_net_create_stages_parse(const char *s, unsigned int *stages)
{
	if (!strcmp(s, "sentry"))
		*stages = RB_ENCLAVE_SENTRY;
	else if (!strcmp(s, "bottle"))
		*stages = RB_ENCLAVE_BOTTLE;
	else if (!strcmp(s, "all"))
		*stages = RB_ENCLAVE_SENTRY | RB_ENCLAVE_BOTTLE;
	else
		return -EINVAL;
	return 0;
}

int rb_net_create_named(const struct rb_net_create_opts *o)
{
	return o->ns_host || o->ns_sentry || o->ns_bottle || o->bridge;
}

/* A namespace named on the command line; flag is what to ask for when it
 * is missing. */
static int ns_from_flag(struct rb_enclave_ns *ns, const char *path, const char *flag,
			const char *stage, struct rb_err *err)
{
	if (!path)
		return rb_err_config(err, "%s is needed for stage %s", flag, stage);
	rb_enclave_ns_init(ns, path);
	return rb_enclave_ns_open(ns, path, err);
}

int rb_net_create_lock(const struct rb_nameplate *np, const struct rb_net_create_opts *o,
		       struct rb_err *err)
{
	struct rb_enclave p;
	unsigned int stages = o->stages;
	int rc;

	rb_enclave_init(&p, np, stages);
	if (!rb_net_create_named(o)) {
		rc = rb_enclave_from_podman(&p, err);
		goto lock;
	}
	if (!o->bridge)
		return rb_err_config(err, "--bridge is needed with --netns-*");
	if (rb_ifname_check("--bridge", o->bridge, err) < 0)
		return -EINVAL;
	snprintf(p.bridge, sizeof(p.bridge), "%s", o->bridge);
	rc = 0;
	if (o->ns_host)
		rc = ns_from_flag(&p.host, o->ns_host, "--netns-host", "", err);
	if (rc == 0 && (stages & RB_ENCLAVE_SENTRY))
		rc = ns_from_flag(&p.sentry.ns, o->ns_sentry, "--netns-sentry", "sentry", err);
	if (rc == 0 && (stages & RB_ENCLAVE_BOTTLE))
		rc = ns_from_flag(&p.bottle.ns, o->ns_bottle, "--netns-bottle", "bottle", err);
lock:
	if (rc == 0)
		rc = rb_enclave_lock_down(&p, err);
	rb_enclave_close(&p);
	return rc;
}

int rb_net_create_check(const struct rb_nameplate *np, int print_env, FILE *out,
			struct rb_err *err)
{
	struct rb_host_nets seen;
	int rc = rb_nameplate_check_host(np, &seen, err);

	if (rc < 0 || !print_env)
		return rc;
	rc = rb_nameplate_print_env(np, out);
	if (rc == 0)
		rc = rb_host_nets_print_env(&seen, out);
	if (rc == 0 && fflush(out) != 0)
		rc = -errno;
	if (rc < 0)
		return rb_err_sys(err, -rc, "cannot write the environment");
	return 0;
}
