/* libFuzzer target for the address parsers: whatever rb_parse_ipv4 /
 * rb_parse_cidr / rb_parse_port accept is exactly the canonical text of the
 * value (no octal, no leading zeros, nothing trailing), the CIDR
 * predicates agree with each other, a mask and its prefix convert both
 * ways, and an interface name rb_ifname_valid takes is 1..15 of its set.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Ilib -o build/fuzz-cidr fuzz/cidr.c lib/addr.c lib/err.c
 *   build/fuzz-cidr -max_len=64 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const char *s, struct rb_cidr *c, int *have)
{
	char text[64];
	struct in_addr a, b, m;
	uint16_t port;
	unsigned int p;

	*have = 0;
	if (rb_parse_ipv4(s, &a) == 0) {
		inet_ntop(AF_INET, &a, text, sizeof(text));
		if (strcmp(text, s) != 0 || inet_pton(AF_INET, s, &b) != 1 || a.s_addr != b.s_addr)
			abort();
	}
	if (rb_parse_cidr(s, c) == 0) {
		uint32_t mask = c->prefix ? 0xffffffffu << (32 - c->prefix) : 0;

		inet_ntop(AF_INET, &c->addr, text, sizeof(text));
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%u", c->prefix);
		if (strcmp(text, s) != 0 || c->prefix > 32 || (ntohl(c->addr.s_addr) & ~mask))
			abort();
		if (!rb_cidr_contains(c, c->addr) || !rb_cidr_overlaps(c, c))
			abort();
		m.s_addr = htonl(rb_prefix_mask(c->prefix));
		if (rb_prefix_mask(c->prefix) != mask || rb_mask_prefix(m, &p) < 0 || p != c->prefix)
			abort();
		*have = 1;
	}
	/* an interface name: 1..15 of [A-Za-z0-9_.-], not . or .. */
	if (rb_ifname_valid(s) &&
	    (strlen(s) < 1 || strlen(s) > 15 || !strcmp(s, ".") || !strcmp(s, "..") ||
	     strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		     strlen(s)))
		abort();
	if (inet_pton(AF_INET, s, &m) == 1 && rb_mask_prefix(m, &p) == 0 &&
	    htonl(rb_prefix_mask(p)) != m.s_addr)
		abort();
	if (rb_parse_port(s, &port) == 0) {
		snprintf(text, sizeof(text), "%u", port);
		if (port == 0 || strcmp(text, s) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_cidr a, b;
	char *s, *nl;
	int ha, hb;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* Two values separated by a newline, so overlap gets pairs. */
	nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	one(s, &a, &ha);
	if (nl) {
		one(nl + 1, &b, &hb);
		if (ha && hb) {
			int o = rb_cidr_overlaps(&a, &b);

			if (o != rb_cidr_overlaps(&b, &a) ||
			    o != (rb_cidr_contains(&a, b.addr) || rb_cidr_contains(&b, a.addr)))
				abort();
		}
	}
	free(s);
	return 0;
}
