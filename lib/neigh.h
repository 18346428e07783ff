/* Neighbour (ARP) entries through rtnetlink (libnl-route-3), in the netns
 * the rb_nl socket was opened in. */
#ifndef RB_NEIGH_H
#define RB_NEIGH_H

#include "link.h"
#include "rb.h"

/* Deletes every IPv4 and IPv6 neighbour entry of ifindex, whatever its
 * state: the next packet asks again. A bottle whose sentry came back with a
 * new MAC would otherwise keep sending to the old one until the entry goes
 * stale, for seconds; and no entry set by hand survives. */
int rb_neigh_flush(struct rb_nl *nl, int ifindex, struct rb_err *err);

#endif
