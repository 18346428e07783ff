/* The host's inventory (host_nets.h): podman's networks and the host's
 * routes, each checked against the nameplate's enclave subnet. */
#include "host_nets.h"
#include "utils.h"
#include "link.h"
#include "podman.h"
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct rb_np_host rb_host_podman = { .store = rb_podman_store_info };

/* Routes of the main table of this netns (what `ip route` shows). */
static int check_routes(const struct rb_nameplate *np, const char *skip_dev, struct rb_err *err)
{
	char sub[INET_ADDRSTRLEN], rt[INET_ADDRSTRLEN];
	cleanup_free struct rb_route *v = NULL;
	struct rb_nl nl;
	size_t n = 0;
	int rc;

	rc = rb_nl_open(&nl, err);
	if (rc < 0)
		return rb_err_wrap(err, rc, "cannot read the host's routes");
	rc = rb_route_list_main(&nl, &v, &n, err);
	rb_nl_close(&nl);
	if (rc < 0)
		return rb_err_wrap(err, rc, "cannot read the host's routes");
	for (size_t i = 0; i < n; i++) {
		const struct rb_route *r = &v[i];

		if (r->dst.prefix == 0) /* the default route */
			continue;
		if (skip_dev && skip_dev[0] && strcmp(r->dev, skip_dev) == 0)
			continue;
		if (!rb_cidr_overlaps(&r->dst, &np->enclave_subnet))
			continue;
		inet_ntop(AF_INET, &np->enclave_subnet.addr, sub, sizeof(sub));
		inet_ntop(AF_INET, &r->dst.addr, rt, sizeof(rt));
		return rb_err_config(err, "RBRN_ENCLAVE_SUBNET: \"%s/%u\": overlaps host route %s/%u%s%s",
				     sub, np->enclave_subnet.prefix, rt, r->dst.prefix,
				     r->dev[0] ? " dev " : " (unreachable or blackhole)", r->dev);
	}
	return 0;
}

/* The uplink network as podman has it. Without RBRN_UPLINK_GATEWAY the
 * sentry routes via the network's gateway, which only a routed (not
 * --internal) network has; the host's resolver, taken when
 * RBRN_UPLINK_DNS_SERVER is unset, must be reachable from it: through
 * podman's NAT, or inside an --internal network's own subnets. */
static int check_uplink_net(const struct rb_nameplate *np, const struct rb_podman_network *net,
			    struct rb_host_nets *seen, struct rb_err *err)
{
	char dns[INET_ADDRSTRLEN];
	size_t j;

	if (seen) {
		seen->uplink_present = 1;
		snprintf(seen->uplink_bridge, sizeof(seen->uplink_bridge), "%s", net->bridge);
		if (!np->has_uplink_gateway && !net->internal && net->has_gateway) {
			seen->has_uplink_gateway = 1;
			seen->uplink_gateway = net->gateway;
		}
	}
	if (!np->uplink_dns_from_host || !net->internal)
		return 0;
	for (j = 0; j < net->n_subnets; j++)
		if (rb_cidr_contains(&net->subnets[j], np->uplink_dns_server))
			return 0;
	inet_ntop(AF_INET, &np->uplink_dns_server, dns, sizeof(dns));
	return rb_err_config(err,
			     "RBRN_UPLINK_DNS_SERVER: \"\": not set, and the host's resolver %s is not "
			     "reachable from the --internal network \"%s\": set it",
			     dns, net->name);
}

int rb_nameplate_check_host(const struct rb_nameplate *np, struct rb_host_nets *seen,
			    struct rb_err *err)
{
	struct rb_podman_network *nets = NULL;
	char self[64], sub[INET_ADDRSTRLEN], other[INET_ADDRSTRLEN];
	const char *skip_dev = NULL;
	size_t n = 0, i, j;
	int rc;

	if (!np)
		return -EINVAL;
	snprintf(self, sizeof(self), "rb-%s-enclave", np->moniker);
	rc = rb_podman_network_list(&nets, &n, err);
	if (rc < 0)
		return rc;
	inet_ntop(AF_INET, &np->enclave_subnet.addr, sub, sizeof(sub));
	if (seen)
		memset(seen, 0, sizeof(*seen));
	for (i = 0; i < n; i++) {
		if (strcmp(nets[i].name, np->uplink_network) == 0) {
			rc = check_uplink_net(np, &nets[i], seen, err);
			if (rc < 0)
				goto out;
		}
		if (strcmp(nets[i].name, self) == 0) {
			if (seen)
				seen->enclave_present = 1;
			skip_dev = nets[i].bridge;
			continue;
		}
		for (j = 0; j < nets[i].n_subnets; j++) {
			if (!rb_cidr_overlaps(&nets[i].subnets[j], &np->enclave_subnet))
				continue;
			inet_ntop(AF_INET, &nets[i].subnets[j].addr, other, sizeof(other));
			rc = rb_err_config(err,
					   "RBRN_ENCLAVE_SUBNET: \"%s/%u\": overlaps podman network "
					   "\"%s\" (%s/%u)",
					   sub, np->enclave_subnet.prefix, nets[i].name, other,
					   nets[i].subnets[j].prefix);
			goto out;
		}
	}
	rc = check_routes(np, skip_dev, err);
out:
	free(nets);
	return rc;
}

int rb_host_nets_print_env(const struct rb_host_nets *seen, FILE *out)
{
	char gw[INET_ADDRSTRLEN] = "";

	if (!seen || !out)
		return -EINVAL;
	/* uplink_bridge passed rb_ifname_valid in lib/podman.c: no quoting issue */
	if (seen->has_uplink_gateway)
		inet_ntop(AF_INET, &seen->uplink_gateway, gw, sizeof(gw));
	fprintf(out,
		"RB_ENCLAVE_PRESENT=%d\nRB_UPLINK_PRESENT=%d\nRB_UPLINK_BRIDGE='%s'\n"
		"RB_UPLINK_GATEWAY='%s'\n",
		seen->enclave_present, seen->uplink_present, seen->uplink_bridge, gw);
	return ferror(out) ? -EIO : 0;
}
