/* The end of each learned entry, as the learner made it (learn.h). */
#include "learn.h"

#include <arpa/inet.h>

static size_t slot_of(struct in_addr a)
{
	/* Fibonacci hashing: neighbouring addresses (a CDN's block) spread */
	return (size_t)(((uint32_t)ntohl(a.s_addr) * 2654435769u) >> 20) % RB_LEARN_EXPIRY_SLOTS;
}

uint32_t rb_learn_expiry_timeout(struct rb_learn_expiry *e, struct in_addr addr, uint32_t want,
				 uint64_t now_ms)
{
	size_t i = slot_of(addr);
	uint64_t until = now_ms + (uint64_t)want * 1000, have;

	if (e->slot[i].until_ms > now_ms && e->slot[i].addr.s_addr == addr.s_addr) {
		have = e->slot[i].until_ms;
	} else {
		/* unknown here: its entry, if any, ends by the floor */
		have = e->floor_ms;
		if (e->slot[i].until_ms > now_ms && e->slot[i].until_ms > e->floor_ms)
			e->floor_ms = e->slot[i].until_ms;
	}
	if (have > until) {
		/* whole seconds, rounded up: never a moment short */
		want = (uint32_t)((have - now_ms + 999) / 1000);
		until = have;
	}
	e->slot[i].addr = addr;
	e->slot[i].until_ms = until;
	return want;
}
