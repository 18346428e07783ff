/* The DNS messages of one IPv4 packet as netfilter hands it over (dns.h). */
#include "dns.h"

#include <errno.h>
#include <netinet/in.h>

int rb_dns_packet_messages(const uint8_t *pkt, size_t len, rb_dns_msg_cb cb, void *ctx,
			   uint64_t *partial)
{
	size_t ihl, tot;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (size_t)(pkt[0] & 0x0f) * 4;
	tot = ((size_t)pkt[2] << 8) | pkt[3];
	if (ihl < 20 || tot < ihl || tot > len)
		return -EBADMSG;
	len = tot;
	/* OUTPUT and INPUT see datagrams whole (before fragmentation, after
	 * reassembly): a fragment here is nobody's */
	if ((pkt[6] & 0x3f) || pkt[7])
		return -EBADMSG;
	if (pkt[9] == IPPROTO_UDP) {
		size_t ulen;

		if (len - ihl < 8)
			return -EBADMSG;
		ulen = ((size_t)pkt[ihl + 4] << 8) | pkt[ihl + 5];
		if (ulen < 8 || ulen > len - ihl)
			return -EBADMSG;
		return cb(ctx, pkt + ihl + 8, ulen - 8) ? 1 : 0;
	}
	if (pkt[9] == IPPROTO_TCP) {
		size_t doff, off;

		if (len - ihl < 20)
			return -EBADMSG;
		doff = (size_t)(pkt[ihl + 12] >> 4) * 4;
		if (doff < 20 || doff > len - ihl)
			return -EBADMSG;
		off = ihl + doff;
		/* each complete length-prefixed message; the rest of a stream
		 * split across segments is counted, not read */
		while (len - off >= 2) {
			size_t m = ((size_t)pkt[off] << 8) | pkt[off + 1];

			if (m > len - off - 2) {
				if (partial)
					(*partial)++;
				return 1;
			}
			if (!cb(ctx, pkt + off + 2, m))
				return 0;
			off += 2 + m;
		}
		if (len - off == 1 && partial)
			(*partial)++;
		return 1;
	}
	return -EBADMSG;
}
