/* The sentry's interfaces, and applying / checking a plan in the current
 * netns in the fail-closed order of man/rb-fw-apply.8. */
#include "fw_nft.h"
#include "utils.h"
#include "fw_xt.h"
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A name rb_ifname_valid refused stays "". */
static int ifname_copy(char *dst, const char *src)
{
	if (!rb_ifname_valid(src))
		return -EINVAL;
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* The subnet of address a with netmask m; /32 for a mask that is not one. */
static void subnet_of(struct in_addr a, struct in_addr m, struct rb_cidr *c)
{
	if (rb_mask_prefix(m, &c->prefix) < 0)
		c->prefix = 32;
	c->addr.s_addr = a.s_addr & htonl(rb_prefix_mask(c->prefix));
}

int rb_fw_ifaces_detect(const struct rb_nameplate *np, struct rb_fw_ifaces *ifs,
			struct rb_err *err)
{
	struct ifaddrs *ifa = NULL;
	int rc = 0;

	memset(ifs, 0, sizeof(*ifs));
	if (getifaddrs(&ifa) < 0)
		return rb_err_sys(err, errno, "cannot list interfaces");
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;
		const struct sockaddr_in *msk = (const void *)i->ifa_netmask;

		if (!sin || sin->sin_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
		    !rb_ifname_valid(i->ifa_name))
			continue;
		if (sin->sin_addr.s_addr == np->sentry_ip.s_addr) {
			ifname_copy(ifs->enclave, i->ifa_name);
			continue;
		}
		if (ifs->uplink[0] && strcmp(ifs->uplink, i->ifa_name) != 0) {
			rc = rb_err_set(err, -EEXIST,
					"the sentry has more than one uplink candidate (%s, %s)",
					ifs->uplink, i->ifa_name);
			goto out;
		}
		if (!ifs->uplink[0]) {
			ifname_copy(ifs->uplink, i->ifa_name);
			ifs->uplink_ip = sin->sin_addr;
			if (msk)
				subnet_of(sin->sin_addr, msk->sin_addr, &ifs->uplink_subnet);
		}
	}
	if (!ifs->enclave[0]) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &np->sentry_ip, a, sizeof(a));
		rc = rb_err_set(err, -ENOENT, "no interface holds RBRN_ENCLAVE_SENTRY_IP %s", a);
	} else if (!ifs->uplink[0]) {
		rc = rb_err_set(err, -ENOENT, "the sentry has no uplink interface with IPv4");
	} else if (!strcmp(ifs->enclave, ifs->uplink)) {
		rc = rb_err_set(err, -EEXIST, "enclave and uplink addresses are both on %s",
				ifs->enclave);
	}
out:
	freeifaddrs(ifa);
	return rc;
}

int rb_fw_ifaces_named(const char *enclave, const char *uplink, struct rb_fw_ifaces *ifs,
		       struct rb_err *err)
{
	memset(ifs, 0, sizeof(*ifs));
	if (rb_ifname_check("enclave interface", enclave, err) < 0 ||
	    rb_ifname_check("uplink interface", uplink, err) < 0)
		return -EINVAL;
	ifname_copy(ifs->enclave, enclave);
	ifname_copy(ifs->uplink, uplink);
	if (!strcmp(enclave, uplink))
		return rb_err_config(err, "enclave and uplink are the same interface \"%s\"",
				     enclave);
	return 0;
}

int rb_fw_ifaces_lookup(const char *enclave, const char *uplink, struct rb_fw_ifaces *ifs,
			struct rb_err *err)
{
	struct ifaddrs *ifa = NULL;
	int rc, have_enclave = 0;

	rc = rb_fw_ifaces_named(enclave, uplink, ifs, err);
	if (rc < 0)
		return rc;
	if (getifaddrs(&ifa) < 0)
		return rb_err_sys(err, errno, "cannot list interfaces");
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;
		const struct sockaddr_in *msk = (const void *)i->ifa_netmask;

		if (!i->ifa_name)
			continue;
		if (!strcmp(i->ifa_name, enclave))
			have_enclave = 1;
		if (!sin || sin->sin_family != AF_INET || strcmp(i->ifa_name, uplink) != 0 ||
		    ifs->uplink_ip.s_addr)
			continue;
		ifs->uplink_ip = sin->sin_addr;
		if (msk)
			subnet_of(sin->sin_addr, msk->sin_addr, &ifs->uplink_subnet);
	}
	freeifaddrs(ifa);
	if (!have_enclave)
		return rb_err_set(err, -ENOENT, "no interface %s", enclave);
	if (!ifs->uplink_ip.s_addr)
		return rb_err_set(err, -ENOENT, "uplink %s has no IPv4 address", uplink);
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

static int addrs_add(struct in_addr **v, size_t *n, size_t *cap, struct in_addr a)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct in_addr *nv = realloc(*v, ncap * sizeof(**v));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = a;
	return 0;
}

int rb_fw_host_addrs_read(struct in_addr **out, size_t *n, struct rb_err *err)
{
	struct ifaddrs *ifa = NULL;
	struct in_addr *v = NULL;
	size_t k = 0, cap = 0, u = 0;

	*out = NULL;
	*n = 0;
	if (getifaddrs(&ifa) < 0)
		return rb_err_sys(err, errno, "cannot list the host's addresses");
	for (const struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		const struct sockaddr_in *sin = (const void *)i->ifa_addr;
		const struct sockaddr_in *msk = (const void *)i->ifa_netmask;
		const struct sockaddr_in *brd = (const void *)i->ifa_broadaddr;
		unsigned int prefix;

		if (!sin || sin->sin_family != AF_INET || !sin->sin_addr.s_addr)
			continue;
		if (addrs_add(&v, &k, &cap, sin->sin_addr) < 0)
			goto nomem;
		/* A directed broadcast routed to the host is delivered to it
		 * too: the kernel adds the subnet's all-ones address to the local
		 * table for prefixes below /31, with or without a "brd". */
		if ((i->ifa_flags & IFF_BROADCAST) && brd && brd->sin_family == AF_INET &&
		    brd->sin_addr.s_addr && addrs_add(&v, &k, &cap, brd->sin_addr) < 0)
			goto nomem;
		if (msk && msk->sin_family == AF_INET && rb_mask_prefix(msk->sin_addr, &prefix) == 0 &&
		    prefix < 31) {
			struct in_addr b = { sin->sin_addr.s_addr | ~msk->sin_addr.s_addr };

			if (addrs_add(&v, &k, &cap, b) < 0)
				goto nomem;
		}
	}
	freeifaddrs(ifa);
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_addr);
	for (size_t i = 0; i < k; i++)
		if (u == 0 || v[u - 1].s_addr != v[i].s_addr)
			v[u++] = v[i];
	*out = v;
	*n = u;
	return 0;
nomem:
	freeifaddrs(ifa);
	free(v);
	return rb_err_oom(err);
}

/* Writes only what differs: the host's route_localnet stays untouched when
 * it is 1 already (and is never reset, see rb_fw_host_plan_build). */
static int sysctls_apply(const struct rb_fw_plan *plan, struct rb_err *err)
{
	for (size_t i = 0; i < plan->n_sysctls; i++) {
		const struct rb_fw_sysctl *s = &plan->sysctls[i];
		char val[64];
		int rc = rb_sysctl_get(s->key, val, sizeof(val), err);

		if (rc == 0) {
			rb_cut_at(val, "\n");
			if (!strcmp(val, s->value))
				continue;
			rc = rb_sysctl_set(s->key, s->value, err);
		}
		/* a kernel booted without IPv6 has nothing to turn off */
		if (rc == -ENOENT && !strncmp(s->key, "net.ipv6.", 9))
			continue;
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Two applies at once would share the temporary sets (RB-*-new) and could
 * leave a mix of both allowlists in force: a whole sentry apply holds this
 * lock (not xtables.lock, which each table commit takes on its own). */
#define RB_FW_LOCK_PATH "/run/rb-fw.lock"
#define RB_FW_LOCK_WAIT_MS 30000

static int apply_sentry(const struct rb_fw_plan *plan, enum rb_fw_backend b,
			struct rb_err *err);

/* Every ipset a sentry plan may hold: the port sets only with ported
 * entries, so an apply or a check looks for the ones its plan lacks. */
static const char *const sentry_sets[] = { RB_FW_SET_CIDR, RB_FW_SET_CIDR_PORT, RB_FW_SET_DNS,
					   RB_FW_SET_DNS_PORT, RB_FW_SET_HOST };

static const struct rb_fw_set *plan_set(const struct rb_fw_plan *plan, const char *name)
{
	for (size_t i = 0; i < plan->n_sets; i++)
		if (!strcmp(plan->sets[i].name, name))
			return &plan->sets[i];
	return NULL;
}

/* The temporary sets of replaces that were killed before their swap: rb's
 * own, referenced by no rule. */
static int destroy_tmp_sets(struct rb_err *err)
{
	char name[64];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < N_ELEMENTS(sentry_sets); i++) {
		snprintf(name, sizeof(name), "%s%s", sentry_sets[i], RB_IPSET_TMP_SUFFIX);
		rc = rb_ipset_destroy(name, err);
	}
	return rc;
}

/* The sentry policy of the xtables backend taken out, for when the nft
 * table holds it: filter policies back to ACCEPT (the nft table's drop
 * policies are in force by then), RB-* chains and jumps, the ip6tables
 * policy, the ipsets. Only tables the netns has: reading one would create
 * it, and a kernel without legacy xtables has none. */
static int xt_sentry_remove(struct rb_err *err)
{
	struct rb_fw_plan *p = NULL;
	int rc;

	rc = rb_fw_sentry_plan_empty(&p);
	if (rc < 0)
		return rb_err_oom(err);
	for (size_t i = 0; rc == 0 && i < p->n_tables; i++)
		if (rb_xt_table_present(p->tables[i].name, 0))
			rc = rb_xt_commit_table(p, &p->tables[i], err);
	rb_fw_plan_free(p);
	if (rc == 0 && rb_xt_table_present("filter", 1))
		rc = rb_xt6_policy_set("ACCEPT", err);
	for (size_t i = 0; rc == 0 && rb_ipset_usable() && i < N_ELEMENTS(sentry_sets); i++)
		rc = rb_ipset_destroy(sentry_sets[i], err);
	if (rc == 0 && rb_ipset_usable())
		rc = destroy_tmp_sets(err);
	return rc;
}

static int xt_host_remove(const char *moniker, struct rb_err *err)
{
	if (!rb_xt_table_present("filter", 0) && !rb_xt_table_present("nat", 0))
		return 0;
	return rb_xt_host_remove(moniker, err);
}

static int apply_host(const struct rb_fw_plan *plan, enum rb_fw_backend b, struct rb_err *err)
{
	char name[64];
	int rc = 0;

	rb_nft_table_name(plan, name, sizeof(name));
	/* the new backend's objects first, the old one's after: in between
	 * both are in force, which is never less closed than either */
	if (b == RB_FW_BACKEND_NFT) {
		rc = rb_nft_apply(plan, NULL, err);
		if (rc == 0)
			rc = xt_host_remove(plan->moniker, err);
	} else {
		for (size_t i = 0; rc == 0 && i < plan->n_tables; i++)
			rc = rb_xt_commit_table(plan, &plan->tables[i], err);
		if (rc == 0)
			rc = rb_nft_table_delete(name, err);
	}
	if (rc < 0)
		return rc;
	return sysctls_apply(plan, err);
}

int rb_fw_apply(const struct rb_fw_plan *plan, enum rb_fw_backend b, struct rb_err *err)
{
	int rc, lock;

	b = rb_fw_backend_resolve(b, NULL, 0, NULL, 0);
	if (plan->host)
		return apply_host(plan, b, err);
	/* an empty RB-HOST would let the bottle reach the host */
	if (!plan->host_addrs_known)
		return rb_err_config(err, "the host's addresses are not in the plan "
					  "(rb_fw_plan_host_addrs)");
	lock = rb_flock(RB_FW_LOCK_PATH, RB_FW_LOCK_WAIT_MS, err);
	if (lock < 0)
		return lock;
	rc = apply_sentry(plan, b, err);
	close(lock);
	return rc;
}

/* The learned answers (RB-DNS, RB-DNS-PORT) are the learner's: a changed
 * policy keeps them, each to the end of its own timeout, so that the
 * bottle's flows to the answers of names it still allows go on. Which
 * names it allows is the learner's configuration: `make bottle-reapply`
 * reloads the learner before this apply, and a learner whose allowlist
 * lost a name empties both sets itself (lib/learner.c). */
static int answers_set(const char *name)
{
	return !strcmp(name, RB_FW_SET_DNS) || !strcmp(name, RB_FW_SET_DNS_PORT);
}

static int apply_xtables(const struct rb_fw_plan *plan, struct rb_err *err)
{
	int rc;

	/* rules referencing a set need it to exist; empty denies */
	for (size_t i = 0; i < plan->n_sets; i++) {
		rc = rb_ipset_ensure(&plan->sets[i], err);
		if (rc < 0)
			return rc;
	}
	rc = rb_xt_commit_table(plan, &plan->tables[0], err);
	if (rc < 0)
		return rc;
	if (plan->ipv6_drop) {
		rc = rb_xt6_policy_set("DROP", err);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < plan->n_sets; i++) {
		if (answers_set(plan->sets[i].name))
			continue;
		rc = rb_ipset_replace(&plan->sets[i], err);
		if (rc < 0)
			return rc;
	}
	/* a port set of an earlier plan: no rule references it any more */
	for (size_t i = 0; i < N_ELEMENTS(sentry_sets); i++) {
		if (plan_set(plan, sentry_sets[i]))
			continue;
		rc = rb_ipset_destroy(sentry_sets[i], err);
		if (rc < 0)
			return rc;
	}
	rc = destroy_tmp_sets(err);
	if (rc < 0)
		return rc;
	for (size_t i = 1; i < plan->n_tables; i++) {
		rc = rb_xt_commit_table(plan, &plan->tables[i], err);
		if (rc < 0)
			return rc;
	}
	return rb_nft_table_delete(RB_FW_NFT_TABLE, err);
}

static int check_policy(const struct rb_fw_plan *plan, enum rb_fw_backend b, rb_fw_diff_cb cb,
			void *ctx, struct rb_err *err);

static int apply_sentry(const struct rb_fw_plan *plan, enum rb_fw_backend b,
			struct rb_err *err)
{
	struct rb_err e = { 0 };
	int rc;

	/* The policy already in force (a reapply: `rb-net-create --stage
	 * sentry` has turned forwarding off): its rules and sets stay, and so
	 * do conntrack and the learned answers that the bottle's flows live
	 * on; only forwarding comes back. What conntrack holds was accepted by
	 * these rules, since the apply that last changed them flushed it. If
	 * the look fails, the full apply below says why. */
	if (check_policy(plan, b, NULL, NULL, &e) == 0)
		return sysctls_apply(plan, err);

	/* A new netns inherits ip_forward from the host's (IPv4 devconf is
	 * copied from init_net): stop forwarding until the policy is whole. */
	rc = rb_sysctl_set("net.ipv4.ip_forward", "0", err);
	if (rc < 0)
		return rc;
	if (b == RB_FW_BACKEND_NFT) {
		cleanup_free char *carry = NULL;

		/* sets, filter and nat, and the learned answers back in their
		 * sets: one transaction; then the allowlist's CIDRs, forwarding
		 * still off (fw_nft_intervals.c) */
		rc = rb_nft_answers_carry(plan, &carry, err);
		if (rc == 0)
			rc = rb_nft_apply(plan, carry, err);
		if (rc == 0)
			rc = xt_sentry_remove(err);
	} else {
		rc = apply_xtables(plan, err);
	}
	if (rc < 0)
		return rc;
	rc = rb_conntrack_flush(err);
	if (rc < 0)
		return rc;
	return sysctls_apply(plan, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_set(const struct rb_fw_set *s, int known, rb_fw_diff_cb cb, void *ctx,
		     struct rb_err *err)
{
	char **live = NULL, **want = NULL, m[64], what[128];
	size_t n_live = 0, i = 0, j = 0, nw = s->n_members;
	int n = 0, rc;

	rc = rb_ipset_members(s->name, &live, &n_live, err);
	if (rc == -ENOENT) {
		if (cb)
			cb(ctx, "ipset", s->name, "set is missing");
		return 1;
	}
	if (rc < 0)
		return rc;
	/* the answers sets are the learner's to fill: only their existence
	 * is the plan's; so is RB-HOST's when the plan was built without the
	 * host's view */
	if (!strcmp(s->name, RB_FW_SET_DNS) || !strcmp(s->name, RB_FW_SET_DNS_PORT) ||
	    (!strcmp(s->name, RB_FW_SET_HOST) && !known))
		goto out;
	want = (char **)calloc(nw + 1, sizeof(*want));
	if (!want) {
		rc = rb_err_oom(err);
		goto out;
	}
	for (size_t k = 0; k < nw; k++) {
		rb_fw_member_str(s, k, m, sizeof(m));
		want[k] = strdup(m);
		if (!want[k]) {
			rc = rb_err_oom(err);
			goto out;
		}
	}
	if (nw > 1)
		qsort((void *)want, nw, sizeof(*want), cmp_str);
	while (i < nw || j < n_live) {
		int c = i == nw ? 1 : j == n_live ? -1 : strcmp(want[i], live[j]);

		if (c == 0) {
			i++;
			j++;
			continue;
		}
		if (c < 0)
			snprintf(what, sizeof(what), "member %s is missing", want[i++]);
		else
			snprintf(what, sizeof(what), "unexpected member %s", live[j++]);
		if (cb)
			cb(ctx, "ipset", s->name, what);
		n++;
	}
out:
	rb_ipset_members_free(live, n_live);
	rb_ipset_members_free(want, nw);
	return rc < 0 ? rc : n;
}

static int check_sysctls(const struct rb_fw_plan *plan, rb_fw_diff_cb cb, void *ctx,
			 struct rb_err *err)
{
	char val[64], what[160];
	int n = 0;

	for (size_t i = 0; i < plan->n_sysctls; i++) {
		const struct rb_fw_sysctl *s = &plan->sysctls[i];
		int rc = rb_sysctl_get(s->key, val, sizeof(val), err);

		if (rc == -ENOENT && !strncmp(s->key, "net.ipv6.", 9))
			continue;
		if (rc < 0)
			return rc;
		rb_cut_at(val, "\n");
		if (strcmp(val, s->value) != 0) {
			snprintf(what, sizeof(what), "is %s, expected %s", val, s->value);
			if (cb)
				cb(ctx, "sysctl", s->key, what);
			n++;
		}
	}
	return n;
}

/* The other backend's rb objects in a netns this one holds: never both. */
static int check_other(const struct rb_fw_plan *plan, enum rb_fw_backend b, rb_fw_diff_cb cb,
		       void *ctx)
{
	char name[64], chain[RB_FW_CHAIN_MAX];

	rb_nft_table_name(plan, name, sizeof(name));
	if (b == RB_FW_BACKEND_XTABLES)
		return rb_nft_table_exists(name) ?
			       rb_fw_diff(cb, ctx, RB_FW_NFT_FAMILY, name,
					  "table of the nft backend is there too") :
			       0;
	snprintf(chain, sizeof(chain), "%s",
		 plan->host ? plan->host_chains[RB_FW_HOST_FILTER] : RB_FW_CHAIN_FORWARD);
	if (rb_xt_has_chain(chain))
		return rb_fw_diff(cb, ctx, "filter", chain,
				  "chain of the xtables backend is there too");
	return 0;
}

/* Rules, sets and the other backend's absence: all but the sysctls. */
static int check_policy(const struct rb_fw_plan *plan, enum rb_fw_backend b, rb_fw_diff_cb cb,
			void *ctx, struct rb_err *err)
{
	int n = 0, rc;

	if (b == RB_FW_BACKEND_NFT) {
		rc = rb_nft_check(plan, cb, ctx, err);
		if (rc < 0)
			return rc;
		n += rc;
	} else {
		for (size_t i = 0; i < plan->n_tables; i++) {
			rc = rb_xt_check_table(plan, &plan->tables[i], cb, ctx, err);
			if (rc < 0)
				return rc;
			n += rc;
		}
		for (size_t i = 0; i < plan->n_sets; i++) {
			rc = check_set(&plan->sets[i], plan->host_addrs_known, cb, ctx, err);
			if (rc < 0)
				return rc;
			n += rc;
		}
		for (size_t i = 0; !plan->host && i < N_ELEMENTS(sentry_sets);
		     i++) {
			uint16_t idx;
			struct rb_err tmp;

			char name[64];

			if (!plan_set(plan, sentry_sets[i]) &&
			    rb_ipset_index(sentry_sets[i], &idx, &tmp) == 0)
				n += rb_fw_diff(cb, ctx, "ipset", sentry_sets[i], "unexpected set");
			snprintf(name, sizeof(name), "%s%s", sentry_sets[i], RB_IPSET_TMP_SUFFIX);
			if (rb_ipset_index(name, &idx, &tmp) == 0)
				n += rb_fw_diff(cb, ctx, "ipset", name,
						"left over from an interrupted apply");
		}
		if (plan->ipv6_drop) {
			rc = rb_xt6_policy_check("DROP", cb, ctx, err);
			if (rc < 0)
				return rc;
			n += rc;
		}
	}
	return n + check_other(plan, b, cb, ctx);
}

int rb_fw_check(const struct rb_fw_plan *plan, enum rb_fw_backend b, rb_fw_diff_cb cb, void *ctx,
		struct rb_err *err)
{
	int n, rc;

	b = rb_fw_backend_resolve(b, plan->host ? plan->moniker : NULL, 1, NULL, 0);
	n = check_policy(plan, b, cb, ctx, err);
	if (n < 0)
		return n;
	rc = check_sysctls(plan, cb, ctx, err);
	if (rc < 0)
		return rc;
	return n + rc;
}

int rb_fw_host_remove(const char *moniker, struct rb_err *err)
{
	char name[64];
	int rc;

	snprintf(name, sizeof(name), "%s-%.12s", RB_FW_NFT_TABLE, moniker);
	rc = xt_host_remove(moniker, err);
	if (rc == 0)
		rc = rb_nft_table_delete(name, err);
	return rc;
}

int rb_fw_counters_read(enum rb_fw_backend b, struct rb_fw_counter **out, size_t *n,
			struct rb_err *err)
{
	b = rb_fw_backend_resolve(b, NULL, 1, NULL, 0);
	if (b == RB_FW_BACKEND_NFT)
		return rb_nft_counters_read(out, n, err);
	return rb_xt_counters_read(out, n, err);
}

int rb_fw_plan_print_nft(const struct rb_fw_plan *plan, FILE *out)
{
	char *text = NULL;
	int rc;

	for (size_t i = 0; i < plan->n_sysctls; i++)
		fprintf(out, "# sysctl %s=%s\n", plan->sysctls[i].key, plan->sysctls[i].value);
	rc = rb_nft_plan_text(plan, RB_NFT_TEXT_REPLACE, &text);
	if (rc < 0)
		return rc;
	fputs(text, out);
	free(text);
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
}
