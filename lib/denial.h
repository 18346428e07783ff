/* The bottle's denial log: one JSON line per packet of the bottle that the
 * sentry rejected (an NFLOG record whose prefix is the deciding rule's
 * "rb:<id>", lib/fw.h) and per name the resolver refused by policy (seen by
 * the learner). Lines are bounded (RB_DENIAL_LINE_MAX) and carry the name
 * the bottle last resolved to the destination, when the learner saw one.
 *
 *   {"time":"2026-12-01T08:00:00.123Z","proto":"tcp","dst":"1.2.3.4","port":443,
 *    "rule":"rb:reject","name":"api.example.com"}
 *   {"time":"...","proto":"dns","name":"google.com","qtype":1,"rule":"rb:dns-refused"}
 *   {"time":"...","dropped":17}
 *
 * Everything here is pure (no system calls): the packet and the prefix come
 * from the bottle's traffic and are hostile input (fuzz/denial.c). */
#ifndef RB_DENIAL_H
#define RB_DENIAL_H

#include "dns.h"
#include "rb.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#define RB_DENIAL_LINE_MAX 512
#define RB_DENIAL_NAMES 4096 /* addresses whose name is remembered */
#define RB_DENIAL_REFUSED_RULE "rb:dns-refused"
#define RB_DENIAL_RATE 200  /* lines per second the log writes at most ... */
#define RB_DENIAL_BURST 400 /* ... after a burst of this many */
#define RB_DENIAL_DIR "denials"        /* under the log directory */
#define RB_DENIAL_FILE "denials.jsonl" /* rotated to denials.jsonl.1 */

/* The NFLOG prefix of the resolver's replies to the bottle (rb:reply-udp,
 * rb:reply-tcp in lib/fw_rules.c): read for names, never a line. */
#define RB_DENIAL_REPLY_PREFIX "rb:reply-"

/* The last name seen for each address: a fixed table (RB_DENIAL_NAMES
 * slots, a newer address takes an older one's slot), so a flood of answers
 * cannot grow it. */
struct rb_name_map {
	struct {
		struct in_addr addr;
		char name[RB_NAME_MAX + 1];
	} slot[RB_DENIAL_NAMES];
};
void rb_name_map_put(struct rb_name_map *m, struct in_addr a, const char *name);
const char *rb_name_map_get(const struct rb_name_map *m, struct in_addr a);

/* One line for an NFLOG record: prefix (must be "rb:" and printable, else
 * "rb:?"), pkt the IPv4 packet (as much as was copied), names may be NULL.
 * Returns the length written (without NUL, with '\n'), or -EBADMSG when pkt
 * is not an IPv4 packet. */
int rb_denial_packet_line(char *buf, size_t cap, const struct timeval *tv, const char *prefix,
			  const uint8_t *pkt, size_t len, const struct rb_name_map *names);
/* Lines for a refused name and for dropped lines. */
int rb_denial_name_line(char *buf, size_t cap, const struct timeval *tv, const char *name,
			uint16_t qtype);
/* dropped: lines the log left out (over RB_DENIAL_RATE/s, or a full
 * file system); overruns: times the kernel could not hand records over
 * (each lost one or more). */
int rb_denial_dropped_line(char *buf, size_t cap, const struct timeval *tv, uint64_t dropped,
			   uint64_t overruns);

#endif
