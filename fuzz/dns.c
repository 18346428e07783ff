/* libFuzzer target for the DNS response parser, the one parser in rb that
 * reads packets from the confined network.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Ilib -o build/fuzz-dns fuzz/dns.c lib/dns.c
 *   build/fuzz-dns -max_len=4096 -runs=2000000
 *
 * The first input byte picks the question the packet is parsed against, so
 * the fuzzer can reach the answer section with a matching question; the
 * name reader is also run from every offset. */
#include "dns.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a", "example.com", "api.anthropic.com", "x.y.z" };
	struct rb_dns_answer ans;
	char text[RB_DNS_TEXT_MAX];
	uint8_t q[RB_DNS_QUERY_MAX];
	const char *name;
	uint16_t id;

	if (size < 3)
		return 0;
	name = names[data[0] % 4];
	data++;
	size--;
	id = (uint16_t)((data[0] << 8) | data[1]);
	(void)rb_dns_response_parse(data, size, id, name, RB_DNS_TYPE_A, &ans);
	for (size_t off = 0; off < size && off < 512; off++) {
		size_t pos = off;

		if (rb_dns_name_read(data, size, &pos, text, sizeof(text)) == 0 &&
		    (pos > size || strlen(text) >= sizeof(text)))
			__builtin_trap();
	}
	/* Round trip: a query parsed as its own answer must echo the name. */
	if (rb_dns_query_build(q, sizeof(q), id, name, RB_DNS_TYPE_A) > 0) {
		q[2] |= 0x80;
		if (rb_dns_response_parse(q, sizeof(q), id, name, RB_DNS_TYPE_A, &ans) != 0)
			__builtin_trap();
	}
	return 0;
}
