/* Finishes and locks down the plumbing Podman made for a nameplate (what
 * rb-net-create does). The bottle's only way out becomes the sentry, the enclave
 * bridge stops being a way into the host (no address, IPv6 off, ARP and
 * reverse-path shut), IPv6 goes off in both containers, and the sentry
 * routes through RBRN_UPLINK_GATEWAY when the nameplate names one.
 * Forwarding is turned off in the sentry (a container inherits the host's
 * ip_forward) and only rb-fw-apply turns it on, once the firewall is
 * committed: a half-built enclave forwards nothing. So after a stage
 * sentry, rb-fw-apply must run again.
 *
 * Everything is looked at before anything is touched: the containers'
 * attachments (podman inspect), the addresses inside their namespaces, and
 * that their enclave interfaces are ports of the enclave bridge. Each netns
 * is opened once and held, so a container that dies and whose PID is
 * reused in between cannot redirect the changes. */
#include "enclave.h"
#include "addr.h"
#include "utils.h"

#include "neigh.h"
#include "netns.h"
#include "podman.h"
#include "route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *ip4(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

void rb_enclave_ns_init(struct rb_enclave_ns *ns, const char *label)
{
	memset(ns, 0, sizeof(*ns));
	snprintf(ns->label, sizeof(ns->label), "%s", label);
	ns->fd = -1;
}

/* Pins the namespace: later entries go through the fd, not the PID. */
int rb_enclave_ns_open(struct rb_enclave_ns *ns, const char *path, struct rb_err *err)
{
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0 && strcmp(ns->label, path) == 0)
		return rb_err_sys(err, errno, "cannot open network namespace %s", path);
	if (ns->fd < 0)
		return rb_err_sys(err, errno, "cannot open the network namespace of %s (%s)",
				  ns->label, path);
	snprintf(ns->path, sizeof(ns->path), "/proc/self/fd/%d", ns->fd);
	return 0;
}

static void ns_close(struct rb_enclave_ns *ns)
{
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

/* Runs fn inside ns with a route socket opened there, and comes back.
 * What fails in there is said with the namespace's label in front. */
typedef int (*ns_fn)(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
		     struct rb_err *err);

static int in_ns(struct rb_enclave *p, struct rb_enclave_ns *ns, struct rb_enclave_side *s,
		 ns_fn fn, struct rb_err *err)
{
	struct rb_nl nl = { 0 };
	int saved = -1, rc;

	if (ns->fd >= 0) {
		rc = rb_netns_enter_path(ns->path, &saved, err);
		if (rc < 0)
			return rb_err_wrap(err, rc, "%s", ns->label);
	}
	rc = rb_nl_open(&nl, err);
	if (rc == 0)
		rc = fn(p, s, &nl, err);
	rb_nl_close(&nl);
	if (rc < 0)
		rb_err_wrap(err, rc, "%s", ns->label);
	return rb_netns_leave_after(&saved, rc, err);
}

/* ---- discovery: reads only ---- */

static int find_enclave_if(struct rb_enclave_side *s, struct rb_nl *nl,
			   const struct rb_nameplate *np, struct rb_err *err)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int rc;

	rc = rb_link_by_addr(nl, s->enclave_ip, &s->enclave, &s->enclave_prefix, err);
	if (rc == -ENOENT)
		return rb_err_set(err, -ENOENT, "no interface has %s %s", s->ip_var,
				  ip4(s->enclave_ip, a));
	if (rc < 0)
		return rc;
	if (s->enclave_prefix != np->enclave_subnet.prefix)
		return rb_err_set(err, -EINVAL, "%s/%u on %s, but RBRN_ENCLAVE_SUBNET is %s/%u",
				  ip4(s->enclave_ip, a), s->enclave_prefix, s->enclave.name,
				  ip4(np->enclave_subnet.addr, b), np->enclave_subnet.prefix);
	return 0;
}

static int discover_sentry(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
			   struct rb_err *err)
{
	const struct rb_nameplate *np = p->np;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct rb_link *links = NULL;
	struct rb_cidr local;
	size_t n = 0, i, hits = 0;
	unsigned int prefix;
	int rc, onlink;

	rc = find_enclave_if(s, nl, np, err);
	if (rc < 0)
		return rc;
	if (s->has_uplink_ip) {
		rc = rb_link_by_addr(nl, s->uplink_ip, &s->uplink, &prefix, err);
		if (rc < 0)
			return rc;
		if (s->uplink.ifindex == s->enclave.ifindex)
			return rb_err_set(err, -EINVAL, "the uplink address %s is on the enclave interface %s",
					  ip4(s->uplink_ip, a), s->enclave.name);
	}
	if (!np->has_uplink_gateway)
		return 0;
	ip4(np->uplink_gateway, a);
	if (s->has_uplink_ip) {
		rc = rb_addr_onlink(nl, s->uplink.ifindex, np->uplink_gateway, &onlink, &local, err);
		if (rc < 0)
			return rc;
		if (!onlink)
			return rb_err_set(err, -ENETUNREACH, "RBRN_UPLINK_GATEWAY %s is not on-link on the uplink interface %s (%s/%u)",
					  a, s->uplink.name, ip4(s->uplink_ip, b), prefix);
		return 0;
	}
	/* No podman to say which interface is the uplink: the one interface
	 * besides the enclave's on which the gateway is on-link. */
	rc = rb_link_list(nl, &links, &n, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		if (links[i].loopback || links[i].ifindex == s->enclave.ifindex)
			continue;
		rc = rb_addr_onlink(nl, links[i].ifindex, np->uplink_gateway, &onlink, &local, err);
		if (rc < 0)
			goto out;
		if (onlink) {
			s->uplink = links[i];
			hits++;
		}
	}
	if (hits == 0)
		rc = rb_err_set(err, -ENETUNREACH, "RBRN_UPLINK_GATEWAY %s is not on-link on any uplink interface",
				a);
	else if (hits > 1)
		rc = rb_err_set(err, -EINVAL, "RBRN_UPLINK_GATEWAY %s is on-link on more than one interface",
				a);
	else
		rc = 0;
out:
	free(links);
	return rc;
}

/* The bottle's one way out is its enclave interface: any other interface
 * that is up (a second network) is a way around the sentry. Asked of the
 * netns itself, so it holds whatever podman says. Down ones are left: the
 * kernel puts fallback tunnels (sit0, tunl0) into every netns, and the
 * bottle has no capability to raise them. */
static int discover_bottle(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
			   struct rb_err *err)
{
	struct rb_link *links = NULL;
	size_t n = 0, i;
	int rc;

	rc = find_enclave_if(s, nl, p->np, err);
	if (rc == 0)
		rc = rb_link_list(nl, &links, &n, err);
	for (i = 0; rc == 0 && i < n; i++)
		if (!links[i].loopback && links[i].up && links[i].ifindex != s->enclave.ifindex)
			rc = rb_err_set(err, -EINVAL, "interface %s is up besides the enclave interface %s: the bottle must be on the enclave only",
					links[i].name, s->enclave.name);
	free(links);
	return rc;
}

/* The container's enclave veth must end on the enclave bridge: catches a
 * stale or wrong bridge name before the bridge gets stripped. */
static int check_port(struct rb_nl *nl, const struct rb_link *br,
		      const struct rb_enclave_side *s, struct rb_err *err)
{
	struct rb_link peer;
	struct rb_err e = { 0 };
	int rc;

	if (s->enclave.peer <= 0 || s->enclave.peer == s->enclave.ifindex)
		return rb_err_set(err, -EINVAL, "%s of %s is not a veth: not a port of bridge %s",
				  s->enclave.name, s->ns.label, br->name);
	rc = rb_link_get_index(nl, s->enclave.peer, &peer, &e);
	if (rc < 0 || peer.master != br->ifindex)
		return rb_err_set(err, -EINVAL, "%s of %s is not a port of bridge %s",
				  s->enclave.name, s->ns.label, br->name);
	return 0;
}

static int discover_host(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
			 struct rb_err *err)
{
	struct rb_link br;
	int rc;

	(void)s;
	rc = rb_link_get(nl, p->bridge, &br, err);
	if (rc < 0)
		return rc;
	if (!br.is_bridge)
		return rb_err_set(err, -EINVAL, "%s is not a bridge", br.name);
	if (p->stages & RB_ENCLAVE_SENTRY) {
		rc = check_port(nl, &br, &p->sentry, err);
		if (rc < 0)
			return rc;
	}
	if (p->stages & RB_ENCLAVE_BOTTLE) {
		rc = check_port(nl, &br, &p->bottle, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- changes ---- */

static int harden_bridge(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
			 struct rb_err *err)
{
	struct rb_link br, *links = NULL;
	size_t n = 0, i, left = 0;
	int rc;

	(void)s;
	rc = rb_link_get(nl, p->bridge, &br, err);
	if (rc < 0)
		return rc;
	/* IPv6 first: with addr_gen_mode none no link-local can come back
	 * while the addresses go. */
	rc = rb_link_ipv6_off(br.name, err);
	if (rc == 0)
		rc = rb_addr_flush(nl, &br, err);
	if (rc == 0)
		rc = rb_link_ipv4_shut(br.name, err);
	if (rc == 0)
		rc = rb_addr_count(nl, br.ifindex, &left, err);
	if (rc < 0)
		return rc;
	if (left)
		return rb_err_set(err, -EBUSY, "bridge %s still has %zu address(es)", br.name, left);
	rc = rb_link_list(nl, &links, &n, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		if (links[i].master == br.ifindex)
			rc = rb_link_ipv6_off(links[i].name, err);
	free(links);
	return rc;
}

static int setup_sentry(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
			struct rb_err *err)
{
	struct rb_enclave_side now;
	int rc;

	/* The pinned netns is the one discovery saw; check it still holds the
	 * interfaces discovery found (an index can be reused). */
	now = *s;
	rc = discover_sentry(p, &now, nl, err);
	if (rc < 0)
		return rc;
	/* Closed until rb-fw-apply has committed the policy and turns it on;
	 * the container may have inherited forwarding from the host. */
	rc = rb_netns_forward_off(err);
	if (rc == 0)
		rc = rb_netns_ipv6_off(err);
	if (rc < 0 || !p->np->has_uplink_gateway)
		return rc;
	return rb_route_default_set(nl, now.uplink.ifindex, p->np->uplink_gateway, err);
}

static int setup_bottle(struct rb_enclave *p, struct rb_enclave_side *s, struct rb_nl *nl,
			struct rb_err *err)
{
	const struct rb_nameplate *np = p->np;
	struct rb_enclave_side now;
	int rc;

	now = *s;
	rc = discover_bottle(p, &now, nl, err);
	if (rc < 0)
		return rc;
	/* Not a router, and no redirect may bend its one route: forwarding
	 * first, since writing ip_forward resets conf/all/accept_redirects. */
	rc = rb_netns_forward_off(err);
	if (rc == 0)
		rc = rb_link_redirects_off("all", err);
	if (rc == 0)
		rc = rb_link_redirects_off("default", err);
	if (rc == 0)
		rc = rb_link_redirects_off(now.enclave.name, err);
	if (rc == 0)
		rc = rb_netns_ipv6_off(err);
	if (rc == 0)
		rc = rb_route_default_set(nl, now.enclave.ifindex, np->sentry_ip, err);
	if (rc == 0)
		rc = rb_route_prune(nl, now.enclave.ifindex, &np->enclave_subnet, np->sentry_ip, err);
	/* A sentry that restarted has a new MAC. */
	if (rc == 0)
		rc = rb_neigh_flush(nl, now.enclave.ifindex, err);
	return rc;
}

/* ---- podman ---- */

static const struct rb_podman_attachment *attached(const struct rb_podman_container *c,
						   const char *network)
{
	size_t i;

	for (i = 0; i < c->n_nets && i < RB_PODMAN_MAX_NETS; i++)
		if (strcmp(c->nets[i].network, network) == 0)
			return &c->nets[i];
	return NULL;
}

static int podman_container(const char *name, struct rb_podman_container *c,
			    struct rb_enclave_ns *ns, struct rb_err *err)
{
	char path[64];
	int rc;

	rc = rb_podman_container_inspect(name, c, err);
	if (rc < 0)
		return rc;
	/* initialized: mk/bottle.sh sets the bottle's network up before its
	 * command starts */
	if ((!c->running && !c->initialized) || c->pid <= 0)
		return rb_err_set(err, -ESRCH, "container %s is not running", name);
	rb_enclave_ns_init(ns, name);
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)c->pid);
	return rb_enclave_ns_open(ns, path, err);
}

static int ip_must_be(const char *ctr, const char *net, const struct rb_podman_attachment *at,
		      const char *var, struct in_addr want, struct rb_err *err)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (!at)
		return rb_err_set(err, -ENOENT, "%s is not attached to %s", ctr, net);
	if (at->ip.s_addr != want.s_addr)
		return rb_err_set(err, -EINVAL, "%s is attached to %s at %s, but %s is %s", ctr, net,
				  ip4(at->ip, a), var, ip4(want, b));
	return 0;
}

int rb_enclave_from_podman(struct rb_enclave *p, struct rb_err *err)
{
	const struct rb_nameplate *np = p->np;
	struct rb_podman_network net;
	struct rb_podman_container c;
	char enclave[96], name[96], a[INET_ADDRSTRLEN];
	size_t i;
	int rc, subnet_ok = 0;

	snprintf(enclave, sizeof(enclave), "rb-%s-enclave", np->moniker);
	memset(&net, 0, sizeof(net));
	rc = rb_podman_network_inspect(enclave, &net, err);
	if (rc < 0)
		return rc;
	if (!net.internal)
		return rb_err_set(err, -EINVAL, "podman network %s is not --internal", enclave);
	for (i = 0; i < net.n_subnets && i < N_ELEMENTS(net.subnets); i++)
		if (net.subnets[i].addr.s_addr == np->enclave_subnet.addr.s_addr &&
		    net.subnets[i].prefix == np->enclave_subnet.prefix)
			subnet_ok = 1;
	if (!subnet_ok)
		return rb_err_set(err, -EINVAL, "podman network %s does not have RBRN_ENCLAVE_SUBNET %s/%u",
				  enclave, ip4(np->enclave_subnet.addr, a),
				  np->enclave_subnet.prefix);
	if (!rb_ifname_valid(net.bridge))
		return rb_err_set(err, -EINVAL, "podman network %s: bridge \"%.32s\": %s", enclave,
				  net.bridge, RB_WHY_IFNAME);
	snprintf(p->bridge, sizeof(p->bridge), "%s", net.bridge);

	if (p->stages & RB_ENCLAVE_SENTRY) {
		const struct rb_podman_attachment *up;

		snprintf(name, sizeof(name), "rb-%s-sentry", np->moniker);
		memset(&c, 0, sizeof(c));
		rc = podman_container(name, &c, &p->sentry.ns, err);
		if (rc < 0)
			return rc;
		rc = ip_must_be(name, enclave, attached(&c, enclave), "RBRN_ENCLAVE_SENTRY_IP",
				np->sentry_ip, err);
		if (rc < 0)
			return rc;
		up = attached(&c, np->uplink_network);
		if (!up)
			return rb_err_set(err, -ENOENT, "%s is not attached to RBRN_UPLINK_NETWORK %s",
					  name, np->uplink_network);
		p->sentry.has_uplink_ip = 1;
		p->sentry.uplink_ip = up->ip;
	}
	if (p->stages & RB_ENCLAVE_BOTTLE) {
		snprintf(name, sizeof(name), "rb-%s-bottle", np->moniker);
		memset(&c, 0, sizeof(c));
		rc = podman_container(name, &c, &p->bottle.ns, err);
		if (rc < 0)
			return rc;
		rc = ip_must_be(name, enclave, attached(&c, enclave), "RBRN_ENCLAVE_BOTTLE_IP",
				np->bottle_ip, err);
		if (rc < 0)
			return rc;
		for (i = 0; i < c.n_nets && i < RB_PODMAN_MAX_NETS; i++)
			if (strcmp(c.nets[i].network, enclave) != 0)
				return rb_err_set(err, -EINVAL, "%s is attached to %s too; it must be on %s only",
						  name, c.nets[i].network, enclave);
	}
	return 0;
}

int rb_enclave_lock_down(struct rb_enclave *p, struct rb_err *err)
{
	int rc;

	/* Look at everything first: a mismatch stops us before any change. */
	if (p->stages & RB_ENCLAVE_SENTRY) {
		rc = in_ns(p, &p->sentry.ns, &p->sentry, discover_sentry, err);
		if (rc < 0)
			return rc;
	}
	if (p->stages & RB_ENCLAVE_BOTTLE) {
		rc = in_ns(p, &p->bottle.ns, &p->bottle, discover_bottle, err);
		if (rc < 0)
			return rc;
	}
	rc = in_ns(p, &p->host, NULL, discover_host, err);
	if (rc < 0)
		return rc;

	/* The host side first: the bridge is shut before either container's
	 * routes change. */
	rc = in_ns(p, &p->host, NULL, harden_bridge, err);
	if (rc == 0 && (p->stages & RB_ENCLAVE_SENTRY))
		rc = in_ns(p, &p->sentry.ns, &p->sentry, setup_sentry, err);
	if (rc == 0 && (p->stages & RB_ENCLAVE_BOTTLE))
		rc = in_ns(p, &p->bottle.ns, &p->bottle, setup_bottle, err);
	return rc;
}

void rb_enclave_init(struct rb_enclave *p, const struct rb_nameplate *np, unsigned int stages)
{
	memset(p, 0, sizeof(*p));
	p->np = np;
	p->stages = stages;
	rb_enclave_ns_init(&p->host, "the host");
	rb_enclave_ns_init(&p->sentry.ns, "");
	rb_enclave_ns_init(&p->bottle.ns, "");
	p->sentry.enclave_ip = np->sentry_ip;
	p->sentry.ip_var = "RBRN_ENCLAVE_SENTRY_IP";
	p->bottle.enclave_ip = np->bottle_ip;
	p->bottle.ip_var = "RBRN_ENCLAVE_BOTTLE_IP";
}

void rb_enclave_close(struct rb_enclave *p)
{
	ns_close(&p->host);
	ns_close(&p->sentry.ns);
	ns_close(&p->bottle.ns);
}
