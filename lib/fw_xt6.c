/* The xtables backend's IPv6 policy: the sentry's ip6tables filter chains
 * (libip6tc) at policy DROP, so IPv6 is closed even where a sysctl turned
 * it back on. rb writes no IPv6 rules: the policy is the whole of it. */
#include "fw_xt.h"
#include "utils.h"

#include <errno.h>
#include <libiptc/libip6tc.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const filter6[] = { "INPUT", "FORWARD", "OUTPUT" };

/* A kernel booted without IPv6 has nothing to close. */
static int have_ipv6(void)
{
	return access("/proc/sys/net/ipv6", F_OK) == 0;
}

/* rb_xt6_policy_set with /run/xtables.lock held */
static int policy_set_locked(const char *policy, struct rb_err *err)
{
	cleanup_ip6tc struct xtc_handle *h = NULL;
	xt_chainlabel l = { 0 }, pol = { 0 };

	errno = 0;
	h = ip6tc_init("filter");
	if (!h)
		return rb_xt_err(ip6tc_strerror, err, "cannot read the ip6tables table \"filter\"");
	snprintf(pol, sizeof(pol), "%s", policy);
	for (size_t i = 0; i < N_ELEMENTS(filter6); i++) {
		memset(l, 0, sizeof(l));
		snprintf(l, sizeof(l), "%s", filter6[i]);
		errno = 0;
		if (!ip6tc_set_policy(l, pol, NULL, h))
			return rb_xt_err(ip6tc_strerror, err, "cannot set the ip6tables policy of %s", filter6[i]);
	}
	errno = 0;
	if (!ip6tc_commit(h))
		return rb_xt_err(ip6tc_strerror, err, "cannot commit the ip6tables table \"filter\"");
	return 0;
}

int rb_xt6_policy_set(const char *policy, struct rb_err *err)
{
	int lock, rc;

	if (!have_ipv6())
		return 0;
	lock = rb_xtables_lock(err);
	if (lock < 0)
		return lock;
	rc = policy_set_locked(policy, err);
	rb_xtables_unlock(lock);
	return rc;
}

int rb_xt6_policy_check(const char *policy, rb_fw_diff_cb cb, void *ctx, struct rb_err *err)
{
	cleanup_ip6tc struct xtc_handle *h = NULL;
	int n = 0;

	if (!have_ipv6())
		return 0;
	errno = 0;
	h = ip6tc_init("filter");
	if (!h)
		return rb_xt_err(ip6tc_strerror, err, "cannot read the ip6tables table \"filter\"");
	for (size_t i = 0; i < N_ELEMENTS(filter6); i++) {
		struct xt_counters cnt;
		const char *p = ip6tc_get_policy(filter6[i], &cnt, h);

		if (!p || strcmp(p, policy) != 0)
			n += rb_fw_diff(cb, ctx, "ip6 filter", filter6[i], "policy is %s, expected %s",
					p ? p : "?", policy);
	}
	return n;
}
