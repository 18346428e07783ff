/* libFuzzer target for rb_dns_packet_messages (lib/dns_packet.c): how the
 * learner and the denial log find DNS messages in an IPv4 packet that
 * netfilter hands over (lying IP, UDP and TCP lengths, options, fragments,
 * a TCP stream of length-prefixed messages cut anywhere). Traps on a broken
 * promise: a message reaching the callback that is not inside the packet's
 * IP total length and after its headers, messages that overlap or go
 * backwards, a callback called after it said stop, a packet refused after
 * a message was handed over, a partial count without a cut message. */
#include "dns.h"

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const uint8_t *lo, *hi; /* where messages may be */
	const uint8_t *next;    /* the end of the last message */
	unsigned int calls, stop_at;
	int stopped;
};

static int on_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct seen *s = ctx;

	if (s->stopped || msg < s->lo || msg > s->hi || len > (size_t)(s->hi - msg) ||
	    msg < s->next)
		__builtin_trap();
	s->next = msg + len;
	if (++s->calls == s->stop_at) {
		s->stopped = 1;
		return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s = { 0 };
	uint64_t partial = 0;
	size_t tot, ihl, hdr;
	int rc, count;

	if (size < 1)
		return 0;
	/* the first byte: after how many messages the callback says stop
	 * (0: never), and whether partial messages are counted */
	s.stop_at = data[0] & 0x07;
	count = data[0] & 0x08;
	data++;
	size--;
	if (size >= 20) {
		tot = ((size_t)data[2] << 8) | data[3];
		ihl = (size_t)(data[0] & 0x0f) * 4;
		/* after the IP header and UDP's, or TCP's data offset and a length */
		hdr = ihl + 8;
		if (data[9] == IPPROTO_TCP && ihl + 12 < size)
			hdr = ihl + (size_t)(data[ihl + 12] >> 4) * 4 + 2;
		s.lo = data + (hdr < size ? hdr : size);
		s.hi = data + (tot < size ? tot : size);
	}
	s.next = s.lo;
	rc = rb_dns_packet_messages(data, size, on_msg, &s, count ? &partial : NULL);
	if (rc < 0 && s.calls)
		__builtin_trap();
	if (rc == 0 && !s.stopped)
		__builtin_trap();
	if (partial > 1 || (partial && (rc != 1 || data[9] != IPPROTO_TCP)))
		__builtin_trap();
	return 0;
}
