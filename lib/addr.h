/* The network's names and numbers, each checked in this one place (lib/addr.c)
 * and refused with one wording wherever it is read: IPv4 addresses, CIDRs
 * and prefix masks, ports and other decimal numbers, interface names, DNS
 * names. Every value ends up in packet filter rules, podman arguments or a
 * dnsmasq config, so the accepted syntax is the narrowest usual one. */
#ifndef RB_ADDR_H
#define RB_ADDR_H

#include "rb.h"

#include <stddef.h>
#include <stdint.h>

/* What a refused value is, after `"VALUE": ` in every message. */
#define RB_WHY_UINT "not a decimal number (digits, no sign, no leading zero)"
#define RB_WHY_IPV4 "not an IPv4 address (a.b.c.d, no leading zeros)"
#define RB_WHY_CIDR "not a CIDR (a.b.c.d/prefix)"
#define RB_WHY_PREFIX "prefix must be 0..32, no leading zero"
#define RB_WHY_PORT "not a port 1..65535 (no leading zero)"
#define RB_WHY_IFNAME "not an interface name (1..15 of A-Z a-z 0-9 _ . -, not . or ..)"

/* Decimal number without sign, leading zero or trailing junk: len bytes of
 * s, value at most max. 0 or -EINVAL. */
int rb_parse_uint_n(const char *s, size_t len, unsigned long max, unsigned long *out);
int rb_parse_uint(const char *s, unsigned long max, unsigned long *out);

int rb_parse_ipv4(const char *s, struct in_addr *out);
/* Host bits must be zero. rb_cidr_why says what is wrong with a string
 * rb_parse_cidr refused (the RB_WHY_CIDR text and a detail). */
int rb_parse_cidr(const char *s, struct rb_cidr *out);
void rb_cidr_why(const char *s, size_t len, char *why, size_t wlen);
/* 1..65535; rb_parse_port_n reads len bytes of s. */
int rb_parse_port(const char *s, uint16_t *out);
int rb_parse_port_n(const char *s, size_t len, uint16_t *out);

/* The mask of a /prefix in host byte order (0 for /0, all ones above 32). */
uint32_t rb_prefix_mask(unsigned int prefix);
/* The prefix of a netmask (network byte order); -EINVAL when it is not
 * contiguous ones then zeros. */
int rb_mask_prefix(struct in_addr mask, unsigned int *prefix);
int rb_cidr_contains(const struct rb_cidr *c, struct in_addr a);
int rb_cidr_overlaps(const struct rb_cidr *a, const struct rb_cidr *b);

/* 1: a name rb puts in rules and /proc/sys paths: 1..15 bytes of
 * [A-Za-z0-9_.-], not "." or "..". Narrower than the kernel (which takes
 * anything but '/', ':' and blanks): no iptables wildcard '+' or negation
 * '!', no '%' of an IPv6 scope, nothing a shell or a path gives a meaning. */
int rb_ifname_valid(const char *s);
/* 0, or the configuration error `what: "s": RB_WHY_IFNAME` (-EINVAL). */
int rb_ifname_check(const char *what, const char *s, struct rb_err *err);

/* 1: LDH labels, 1..63 each, <=253 total; no trailing dot. */
int rb_domain_valid(const char *s);

#endif
