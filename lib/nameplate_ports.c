/* The ports of a ported allowlist entry (ENTRY:PORTS[/PROTO], nameplate.h):
 * parsed, merged into one canonical form, printed back. */
#include "nameplate.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bottle reaches resolvers only through the sentry (the policy rejects
 * these before any allowlist), so a ported entry that names one would
 * promise traffic that never flows. */
static const uint16_t dns_ports[] = { 53, 853, 5353 };

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static int cmp_range(const void *a, const void *b)
{
	const struct rb_port_range *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Adds [lo, hi] of proto and merges what overlaps or touches, so that
 * equal sets of ports have one form. */
static int add_range(struct rb_ports *p, uint8_t proto, uint16_t lo, uint16_t hi)
{
	struct rb_port_range v[RB_NP_MAX_PORT_RANGES + 1];
	unsigned int n = 0;

	if (p->n > RB_NP_MAX_PORT_RANGES)
		return -E2BIG;
	memcpy(v, p->r, p->n * sizeof(v[0]));
	v[p->n] = (struct rb_port_range){ proto, lo, hi };
	qsort(v, p->n + 1, sizeof(v[0]), cmp_range);
	for (unsigned int i = 0; i <= p->n; i++) {
		if (n > 0 && v[n - 1].proto == v[i].proto && (uint32_t)v[n - 1].hi + 1 >= v[i].lo) {
			if (v[i].hi > v[n - 1].hi)
				v[n - 1].hi = v[i].hi;
		} else {
			v[n++] = v[i];
		}
	}
	if (n > RB_NP_MAX_PORT_RANGES)
		return -E2BIG;
	memcpy(p->r, v, n * sizeof(v[0]));
	p->n = n;
	return 0;
}

static size_t count_proto(const struct rb_ports *p, uint8_t proto)
{
	size_t n = 0;

	for (unsigned int i = 0; i < p->n; i++)
		if (p->r[i].proto == proto)
			n += (size_t)p->r[i].hi - p->r[i].lo + 1;
	return n;
}

size_t rb_ports_count(const struct rb_ports *p)
{
	return count_proto(p, IPPROTO_TCP) + count_proto(p, IPPROTO_UDP);
}

static int add_checked(struct rb_ports *p, uint8_t proto, uint16_t lo, uint16_t hi, char *why,
		       size_t wlen)
{
	for (size_t i = 0; i < N_ELEMENTS(dns_ports); i++) {
		if (dns_ports[i] < lo || dns_ports[i] > hi)
			continue;
		snprintf(why, wlen, "port %u is DNS, which the bottle reaches only through the sentry",
			 dns_ports[i]);
		return -EINVAL;
	}
	if (add_range(p, proto, lo, hi) < 0) {
		snprintf(why, wlen, "more than %d ports or ranges", RB_NP_MAX_PORT_RANGES);
		return -EINVAL;
	}
	if (count_proto(p, proto) > RB_NP_MAX_ENTRY_PORTS) {
		snprintf(why, wlen,
			 "more than %d %s ports (an entry without ports allows them all)",
			 RB_NP_MAX_ENTRY_PORTS, proto_name(proto));
		return -EINVAL;
	}
	return 0;
}

int rb_ports_parse(const char *s, size_t len, struct rb_ports *p, char *why, size_t wlen)
{
	const char *slash = memchr(s, '/', len), *end, *item;
	uint8_t proto = IPPROTO_TCP;
	unsigned int items = 0;

	end = slash ? slash : s + len;
	if (slash) {
		size_t pl = len - (size_t)(slash + 1 - s);

		if (pl == 3 && !memcmp(slash + 1, "tcp", 3)) {
			proto = IPPROTO_TCP;
		} else if (pl == 3 && !memcmp(slash + 1, "udp", 3)) {
			proto = IPPROTO_UDP;
		} else {
			snprintf(why, wlen, "unknown protocol \"%.*s\": tcp or udp", (int)(pl > 16 ? 16 : pl),
				 slash + 1);
			return -EINVAL;
		}
	}
	if (end == s) {
		snprintf(why, wlen, "no ports after ':'");
		return -EINVAL;
	}
	for (item = s; item <= end; items++) {
		const char *comma = memchr(item, ',', (size_t)(end - item)), *dash;
		const char *ie = comma ? comma : end;
		uint16_t lo, hi;
		int rc;

		if (items >= RB_NP_MAX_PORT_ITEMS) {
			snprintf(why, wlen, "more than %d ports or ranges", RB_NP_MAX_PORT_ITEMS);
			return -EINVAL;
		}
		if (ie == item) {
			snprintf(why, wlen, "an empty port in the list");
			return -EINVAL;
		}
		dash = memchr(item, '-', (size_t)(ie - item));
		if (dash) {
			if (rb_parse_port_n(item, (size_t)(dash - item), &lo) < 0 ||
			    rb_parse_port_n(dash + 1, (size_t)(ie - dash - 1), &hi) < 0) {
				snprintf(why, wlen, "range \"%.*s\": not FIRST-LAST: %s",
					 (int)(ie - item > 16 ? 16 : ie - item), item, RB_WHY_PORT);
				return -EINVAL;
			}
			if (lo > hi) {
				snprintf(why, wlen, "range %u-%u: its first port is above its last", lo, hi);
				return -EINVAL;
			}
		} else if (rb_parse_port_n(item, (size_t)(ie - item), &lo) < 0) {
			snprintf(why, wlen, "\"%.*s\": %s", (int)(ie - item > 16 ? 16 : ie - item), item,
				 RB_WHY_PORT);
			return -EINVAL;
		} else {
			hi = lo;
		}
		rc = add_checked(p, proto, lo, hi, why, wlen);
		if (rc < 0)
			return rc;
		if (!comma)
			break;
		item = comma + 1;
	}
	return 0;
}

int rb_ports_union(struct rb_ports *dst, const struct rb_ports *src, char *why, size_t wlen)
{
	for (unsigned int i = 0; i < src->n; i++) {
		int rc = add_checked(dst, src->r[i].proto, src->r[i].lo, src->r[i].hi, why, wlen);

		if (rc < 0)
			return rc;
	}
	return 0;
}

void rb_ports_format(const struct rb_ports *p, uint8_t proto, char *buf, size_t len)
{
	size_t o = 0;
	int any = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (unsigned int i = 0; i < p->n && o < len; i++) {
		const struct rb_port_range *r = &p->r[i];
		int w;

		if (r->proto != proto)
			continue;
		if (r->lo == r->hi)
			w = snprintf(buf + o, len - o, "%s%u", any ? "," : "", r->lo);
		else
			w = snprintf(buf + o, len - o, "%s%u-%u", any ? "," : "", r->lo, r->hi);
		if (w < 0)
			break;
		o += (size_t)w;
		any = 1;
	}
	if (any && proto == IPPROTO_UDP && o < len)
		snprintf(buf + o, len - o, "/udp");
}

int rb_ports_has(const struct rb_ports *p, uint8_t proto, uint16_t port)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (p->r[i].proto == proto && p->r[i].lo <= port && port <= p->r[i].hi)
			return 1;
	return 0;
}

uint16_t rb_ports_refused(const struct rb_ports *p, uint8_t proto)
{
	static const uint16_t likely[] = { 80, 443, 8443, 22, 5000, 123 };

	for (size_t i = 0; i < N_ELEMENTS(likely); i++)
		if (!rb_ports_has(p, proto, likely[i]))
			return likely[i];
	for (uint32_t port = 1; port <= 65535; port++)
		if (!rb_ports_has(p, proto, (uint16_t)port))
			return (uint16_t)port;
	return 0;
}

void rb_ports_put(FILE *out, const char *entry, const struct rb_ports *p, int *first)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	/* RB_NP_MAX_PORT_RANGES ranges of "65535-65535," and "/udp" */
	char buf[RB_NP_MAX_PORT_RANGES * 12 + 8];

	for (size_t i = 0; i < 2; i++) {
		rb_ports_format(p, protos[i], buf, sizeof(buf));
		if (!buf[0])
			continue;
		fprintf(out, "%s%s:%s", *first ? "" : " ", entry, buf);
		*first = 0;
	}
}

size_t rb_np_n_names(const struct rb_nameplate *np)
{
	return np->n_domains + np->n_pdomains;
}

const char *rb_np_name(const struct rb_nameplate *np, size_t i)
{
	return i < np->n_domains ? np->domains[i] : np->pdomains[i - np->n_domains].name;
}
