/* Denial log lines (denial.h). */
#include "denial.h"
#include "sbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static size_t slot_of(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr) * 2654435761u; /* Knuth's multiplicative hash */

	return (h >> 20) % RB_DENIAL_NAMES;
}

void rb_name_map_put(struct rb_name_map *m, struct in_addr a, const char *name)
{
	size_t i = slot_of(a);

	m->slot[i].addr = a;
	snprintf(m->slot[i].name, sizeof(m->slot[i].name), "%s", name);
}

const char *rb_name_map_get(const struct rb_name_map *m, struct in_addr a)
{
	size_t i = slot_of(a);

	if (m->slot[i].addr.s_addr == a.s_addr && m->slot[i].name[0])
		return m->slot[i].name;
	return NULL;
}

static int printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* A JSON string of printable ASCII: names are in rb_dns_name_read's form
 * (\DDD escapes), prefixes are checked; only '"' and '\\' need escaping. */
static void put_str(struct rb_sbuf *o, const char *key, const char *s)
{
	rb_sbuf_add(o, ",\"%s\":\"", key);
	for (; *s && !o->overflow; s++) {
		if (*s == '"' || *s == '\\')
			rb_sbuf_add(o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			rb_sbuf_add(o, "\\u%04x", (unsigned char)*s);
		else
			rb_sbuf_add(o, "%c", *s);
	}
	rb_sbuf_add(o, "\"");
}

static void put_time(struct rb_sbuf *o, const struct timeval *tv)
{
	struct tm tm;
	time_t t = tv->tv_sec;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	rb_sbuf_add(o, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)(tv->tv_usec / 1000) % 1000);
}

static int finish(struct rb_sbuf *o)
{
	rb_sbuf_add(o, "}\n");
	return o->overflow ? -ENOSPC : (int)o->off;
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return NULL;
	}
}

int rb_denial_packet_line(char *buf, size_t cap, const struct timeval *tv, const char *prefix,
			  const uint8_t *pkt, size_t len, const struct rb_name_map *names)
{
	struct rb_sbuf o = { buf, cap, 0, 0 };
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	struct in_addr s, d;
	size_t ihl;
	const char *pn, *name;

	if (cap == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (len < 20 || (pkt[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return -EBADMSG;
	memcpy(&s, pkt + 12, 4);
	memcpy(&d, pkt + 16, 4);
	inet_ntop(AF_INET, &s, src, sizeof(src));
	inet_ntop(AF_INET, &d, dst, sizeof(dst));
	put_time(&o, tv);
	pn = proto_name(pkt[9]);
	if (pn)
		rb_sbuf_add(&o, ",\"proto\":\"%s\"", pn);
	else
		rb_sbuf_add(&o, ",\"proto\":%u", pkt[9]);
	rb_sbuf_add(&o, ",\"src\":\"%s\",\"dst\":\"%s\"", src, dst);
	/* ports and ICMP types only from the first fragment */
	if ((pkt[6] & 0x1f) == 0 && pkt[7] == 0) {
		if ((pkt[9] == IPPROTO_TCP || pkt[9] == IPPROTO_UDP) && len >= ihl + 4)
			rb_sbuf_add(&o, ",\"port\":%u", (unsigned int)((pkt[ihl + 2] << 8) | pkt[ihl + 3]));
		else if (pkt[9] == IPPROTO_ICMP && len >= ihl + 1)
			rb_sbuf_add(&o, ",\"icmp_type\":%u", pkt[ihl]);
	}
	put_str(&o, "rule", prefix && !strncmp(prefix, "rb:", 3) && printable(prefix, 64) ?
				    prefix : "rb:?");
	name = names ? rb_name_map_get(names, d) : NULL;
	if (name)
		put_str(&o, "name", name);
	return finish(&o);
}

int rb_denial_name_line(char *buf, size_t cap, const struct timeval *tv, const char *name,
			uint16_t qtype)
{
	struct rb_sbuf o = { buf, cap, 0, 0 };

	if (cap == 0)
		return -ENOSPC;
	put_time(&o, tv);
	rb_sbuf_add(&o, ",\"proto\":\"dns\"");
	put_str(&o, "name", name);
	rb_sbuf_add(&o, ",\"qtype\":%u", qtype);
	put_str(&o, "rule", RB_DENIAL_REFUSED_RULE);
	return finish(&o);
}

int rb_denial_dropped_line(char *buf, size_t cap, const struct timeval *tv, uint64_t dropped,
			   uint64_t overruns)
{
	struct rb_sbuf o = { buf, cap, 0, 0 };

	if (cap == 0)
		return -ENOSPC;
	put_time(&o, tv);
	rb_sbuf_add(&o, ",\"dropped\":%llu,\"overruns\":%llu", (unsigned long long)dropped,
	    (unsigned long long)overruns);
	return finish(&o);
}
