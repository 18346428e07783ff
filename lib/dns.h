/* DNS on the wire, just enough for rb-verify's probes: build one A query,
 * parse the answer to it. Responses come from whatever answered inside the
 * bottle's network, so they are hostile input: every length, offset and
 * compression pointer is bounds-checked and pointer chains cannot loop. */
#ifndef RB_DNS_H
#define RB_DNS_H

#include "rb.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define RB_DNS_TYPE_A 1
#define RB_DNS_TYPE_CNAME 5
#define RB_DNS_CLASS_IN 1

#define RB_DNS_RCODE_NOERROR 0
#define RB_DNS_RCODE_SERVFAIL 2
#define RB_DNS_RCODE_NXDOMAIN 3
#define RB_DNS_RCODE_REFUSED 5

#define RB_DNS_MAX_ADDRS 8
/* A query for a 253-character name: header 12 + name 255 + type/class 4. */
#define RB_DNS_QUERY_MAX 271
/* Presentation form of a name read from a packet; bytes outside LDH are
 * written as \DDD, so the worst case is 4 bytes per wire byte. */
#define RB_DNS_TEXT_MAX 1024

struct rb_dns_answer {
	uint16_t id;
	int rcode;     /* 0..15 from the header */
	int truncated; /* TC bit: the UDP answer was cut short */
	int authoritative;
	unsigned int n_answers; /* RRs in the answer section */
	unsigned int n_addrs;   /* A records for the name (following CNAMEs) */
	struct in_addr addrs[RB_DNS_MAX_ADDRS];
	int more_addrs; /* more A records than addrs[] holds */
};

/* Writes a recursive query (RD set) for name/qtype into buf. name is text
 * form, optionally with a trailing dot: labels of 1..63 letters, digits,
 * '-' or '_', at most 253 characters in all.
 * Returns the length, or -EINVAL (bad name) / -ENOSPC (cap too small). */
int rb_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name,
		       uint16_t qtype);

/* Parses a response to the query (id, name, qtype) built above: the header
 * must be a response with that id, the question section must echo the
 * question, and A records are collected for the name and the names its
 * CNAMEs lead to. Returns 0 (see out->rcode for the DNS result), -EBADMSG
 * when the packet is malformed, -EPROTO when it is well formed but answers
 * another question. */
int rb_dns_response_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
			  uint16_t qtype, struct rb_dns_answer *out);

/* Reads the possibly compressed name at *off into text (presentation form,
 * lower case, no trailing dot, "." for the root) and advances *off past it.
 * Pointers must point strictly backwards and at most 128 of them are
 * followed, so a hostile packet cannot make it loop. 0 or -EBADMSG. */
int rb_dns_name_read(const uint8_t *msg, size_t len, size_t *off, char *text, size_t cap);

/* Any reply, as the sentry's learner reads it (lib/learn.h): the one
 * question, and the A records of the CNAME chain that starts at it, each
 * with the smallest TTL on its way (a CNAME's TTL bounds what it leads to). */
#define RB_DNS_REPLY_MAX_A 32
#define RB_DNS_REPLY_MAX_CNAMES 16

struct rb_dns_rr_a {
	struct in_addr addr;
	uint32_t ttl; /* RFC 2181 8: a TTL with the top bit set counts as 0 */
};

struct rb_dns_reply {
	uint16_t id;
	int rcode;
	int truncated;
	uint16_t qtype, qclass;
	char qname[RB_DNS_TEXT_MAX]; /* rb_dns_name_read's form */
	unsigned int n_cnames;       /* CNAMEs followed from qname */
	unsigned int n_a;
	struct rb_dns_rr_a a[RB_DNS_REPLY_MAX_A];
	int more_a; /* more A records on the chain than a[] holds */
};

/* Parses a reply (QR set, opcode QUERY, exactly one question) and walks the
 * answer section: every record is bounds-checked (names, the fixed part,
 * RDLENGTH, a CNAME's name filling its RDATA exactly, an A's RDLENGTH of 4)
 * even when it is not on the chain, so a reply with any lie in its answer
 * section is refused whole. More than RB_DNS_REPLY_MAX_CNAMES CNAMEs on the
 * chain is refused too. The authority and additional sections are not read
 * and give nothing. 0, or -EBADMSG (malformed) / -EPROTO (not a reply to
 * one standard query). */
int rb_dns_reply_parse(const uint8_t *msg, size_t len, struct rb_dns_reply *out);

/* "NOERROR", "NXDOMAIN", ... ("RCODE" for codes without a name). */
const char *rb_dns_rcode_str(int rcode);

/* The DNS messages of one IPv4 packet as netfilter hands it over (NFQUEUE
 * and NFLOG payloads start at the IP header): a UDP datagram's payload, or
 * each complete length-prefixed message in a TCP segment, given to cb in
 * turn; cb returns 1 to go on, 0 to stop. -EBADMSG when the packet is not
 * a whole IPv4 UDP or TCP packet with sane lengths, 0 when cb stopped, else
 * 1. A TCP message that does not end in this segment is not read:
 * *partial (may be NULL) is incremented. */
typedef int (*rb_dns_msg_cb)(void *ctx, const uint8_t *msg, size_t len);
int rb_dns_packet_messages(const uint8_t *pkt, size_t len, rb_dns_msg_cb cb, void *ctx,
			   uint64_t *partial);

#endif
