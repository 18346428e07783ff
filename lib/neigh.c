/* Neighbour entries (see neigh.h). */
#include "neigh.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>

int rb_neigh_flush(struct rb_nl *nl, int ifindex, struct rb_err *err)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	char dst[64];
	int rc;

	nl->syserr = 0;
	rc = rtnl_neigh_alloc_cache(nl->sk, &cache);
	if (rc < 0)
		return rb_nl_err(nl, rc, err, "cannot list neighbours");
	rc = 0;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)o;
		int family = rtnl_neigh_get_family(n);

		if (rtnl_neigh_get_ifindex(n) != ifindex || (family != AF_INET && family != AF_INET6))
			continue;
		nl->syserr = 0;
		rc = rtnl_neigh_delete(nl->sk, n, 0);
		if (rc >= 0)
			continue;
		/* gone meanwhile: garbage-collected, or the interface went */
		if (rb_nl_errno(nl, rc) == -ENOENT) {
			rc = 0;
			continue;
		}
		nl_addr2str(rtnl_neigh_get_dst(n), dst, sizeof(dst));
		rc = rb_nl_err(nl, rc, err, "cannot remove neighbour %s", dst);
		break;
	}
	nl_cache_free(cache);
	return rc;
}
