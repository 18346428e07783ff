/* Strict parsers of the network's names and numbers (addr.h): no octal,
 * no leading zeros, no abbreviated forms inet_aton() would take, nothing
 * after the value. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

int rb_parse_uint_n(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 10 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
		if (v > max)
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int rb_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	if (!s || !out)
		return -EINVAL;
	return rb_parse_uint_n(s, strlen(s), max, out);
}

/* Dotted quad in the first len bytes of s. */
static int parse_ipv4_n(const char *s, size_t len, struct in_addr *out)
{
	uint32_t a = 0;
	size_t i = 0;
	int part;

	for (part = 0; part < 4; part++) {
		size_t start = i;
		unsigned long v;

		while (i < len && s[i] != '.')
			i++;
		if (rb_parse_uint_n(s + start, i - start, 255, &v) < 0)
			return -EINVAL;
		a = (a << 8) | (uint32_t)v;
		if (part < 3) {
			if (i >= len) /* fewer than four parts */
				return -EINVAL;
			i++; /* the dot */
		}
	}
	if (i != len)
		return -EINVAL;
	out->s_addr = htonl(a);
	return 0;
}

uint32_t rb_prefix_mask(unsigned int prefix)
{
	if (prefix >= 32)
		return 0xffffffffu;
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

int rb_mask_prefix(struct in_addr mask, unsigned int *prefix)
{
	uint32_t m = ntohl(mask.s_addr);
	unsigned int p = 0;

	while (p < 32 && (m & (0x80000000u >> p)))
		p++;
	if (m != rb_prefix_mask(p))
		return -EINVAL;
	*prefix = p;
	return 0;
}

int rb_parse_ipv4(const char *s, struct in_addr *out)
{
	if (!s || !out)
		return -EINVAL;
	return parse_ipv4_n(s, strlen(s), out);
}

int rb_parse_cidr(const char *s, struct rb_cidr *out)
{
	const char *slash;
	struct in_addr a;
	unsigned long p;

	if (!s || !out)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash || parse_ipv4_n(s, (size_t)(slash - s), &a) < 0)
		return -EINVAL;
	if (rb_parse_uint(slash + 1, 32, &p) < 0)
		return -EINVAL;
	if (ntohl(a.s_addr) & ~rb_prefix_mask((unsigned int)p))
		return -EINVAL;
	out->addr = a;
	out->prefix = (unsigned int)p;
	return 0;
}

void rb_cidr_why(const char *s, size_t len, char *why, size_t wlen)
{
	const char *slash = memchr(s, '/', len);
	struct in_addr a, net;
	unsigned long p;
	char ip[INET_ADDRSTRLEN];

	if (!slash) {
		snprintf(why, wlen, "%s: prefix missing", RB_WHY_CIDR);
		return;
	}
	if (parse_ipv4_n(s, (size_t)(slash - s), &a) < 0) {
		snprintf(why, wlen, "%s: bad address", RB_WHY_CIDR);
		return;
	}
	if (rb_parse_uint_n(slash + 1, len - (size_t)(slash + 1 - s), 32, &p) < 0) {
		snprintf(why, wlen, "%s: %s", RB_WHY_CIDR, RB_WHY_PREFIX);
		return;
	}
	net.s_addr = htonl(ntohl(a.s_addr) & rb_prefix_mask((unsigned int)p));
	inet_ntop(AF_INET, &net, ip, sizeof(ip));
	snprintf(why, wlen, "host bits are set (network is %s/%lu)", ip, p);
}

int rb_parse_port_n(const char *s, size_t len, uint16_t *out)
{
	unsigned long v;

	if (!s || !out || rb_parse_uint_n(s, len, 65535, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int rb_parse_port(const char *s, uint16_t *out)
{
	if (!s)
		return -EINVAL;
	return rb_parse_port_n(s, strlen(s), out);
}

int rb_ifname_valid(const char *s)
{
	size_t i, n;

	if (!s)
		return 0;
	n = strnlen(s, IF_NAMESIZE);
	if (n == 0 || n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int rb_ifname_check(const char *what, const char *s, struct rb_err *err)
{
	if (rb_ifname_valid(s))
		return 0;
	return rb_err_config(err, "%s: \"%.32s\": %s", what, s ? s : "", RB_WHY_IFNAME);
}

static int is_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-';
}

/* The name goes verbatim into a dnsmasq config (server=/NAME/...), so the
 * character set is the whole defence against injection: LDH only. No
 * trailing dot here; callers strip one first. */
int rb_domain_valid(const char *s)
{
	size_t i, label = 0, total;

	if (!s)
		return 0;
	total = strlen(s);
	if (total == 0 || total > RB_NAME_MAX)
		return 0;
	for (i = 0; i <= total; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!is_ldh(c) || (label == 0 && c == '-'))
			return 0;
		label++;
	}
	return 1;
}

int rb_cidr_contains(const struct rb_cidr *c, struct in_addr a)
{
	uint32_t m;

	if (!c || c->prefix > 32)
		return 0;
	m = rb_prefix_mask(c->prefix);
	return ((ntohl(a.s_addr) ^ ntohl(c->addr.s_addr)) & m) == 0;
}

int rb_cidr_overlaps(const struct rb_cidr *a, const struct rb_cidr *b)
{
	unsigned int p;
	uint32_t m;

	if (!a || !b || a->prefix > 32 || b->prefix > 32)
		return 0;
	/* Two prefixes overlap iff they agree on the shorter one's bits. */
	p = a->prefix < b->prefix ? a->prefix : b->prefix;
	m = rb_prefix_mask(p);
	return ((ntohl(a->addr.s_addr) ^ ntohl(b->addr.s_addr)) & m) == 0;
}
