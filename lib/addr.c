/* Strict parsers for the address-like values of a nameplate. Every value
 * ends up in iptables rules, podman arguments or a dnsmasq config, so the
 * accepted syntax is the narrowest that is still the usual one: no octal,
 * no leading zeros, no abbreviated forms inet_aton() would take, nothing
 * after the value. */
#include "nameplate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* Decimal number without sign, leading zeros or trailing junk: len digits
 * starting at s, value at most max. */
static int parse_dec(const char *s, size_t len, unsigned long max, unsigned long *out)
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
		if (parse_dec(s + start, i - start, 255, &v) < 0)
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

static uint32_t prefix_mask(unsigned int prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
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
	if (parse_dec(slash + 1, strlen(slash + 1), 32, &p) < 0)
		return -EINVAL;
	if (ntohl(a.s_addr) & ~prefix_mask((unsigned int)p))
		return -EINVAL;
	out->addr = a;
	out->prefix = (unsigned int)p;
	return 0;
}

int rb_parse_port(const char *s, uint16_t *out)
{
	unsigned long v;

	if (!s || !out)
		return -EINVAL;
	if (parse_dec(s, strlen(s), 65535, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
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
	m = prefix_mask(c->prefix);
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
	m = prefix_mask(p);
	return ((ntohl(a->addr.s_addr) ^ ntohl(b->addr.s_addr)) & m) == 0;
}
