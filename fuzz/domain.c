/* libFuzzer target for domain names, the values that end up in the
 * sentry's dnsmasq config: rb_domain_valid() against an independent
 * statement of the rule, and the whole nameplate path
 * (RBRN_UPLINK_ALLOWED_DOMAINS) never lets anything but lower-case LDH and
 * dots through.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Ilib -o build/fuzz-domain fuzz/domain.c lib/nameplate.c lib/nameplate_ports.c lib/nameplate_workload.c \
 *         lib/nameplate_uplink.c lib/addr.c lib/file.c lib/err.c
 *   build/fuzz-domain -max_len=600 */
#include "nameplate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RFC 1035 "preferred name syntax", letters either case. */
static int reference(const char *s)
{
	size_t n = strlen(s), i, label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		int digit = c >= '0' && c <= '9';

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if (letter || digit || (c == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && s[n - 1] != '-';
}

static const char base[] = "RBRN_MONIKER = fuzz\n"
			   "RBRN_ENCLAVE_SUBNET = 10.242.0.0/24\n"
			   "RBRN_ENCLAVE_SENTRY_IP = 10.242.0.2\n"
			   "RBRN_ENCLAVE_BOTTLE_IP = 10.242.0.3\n"
			   "RBRN_UPLINK_DNS_SERVER = 8.8.8.8\n"
			   "RBRN_UPLINK_DNS_ENABLED = 1\n"
			   "RBRN_UPLINK_ALLOWED_DOMAINS = ";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_nameplate np;
	struct rb_err err = { 0 };
	size_t i, j;
	char *s;

	s = malloc(sizeof(base) + size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (memchr(data, '\0', size) == NULL && rb_domain_valid(s) != reference(s))
		abort();

	memcpy(s, base, sizeof(base) - 1);
	memcpy(s + sizeof(base) - 1, data, size);
	if (rb_nameplate_parse(&np, s, sizeof(base) - 1 + size, "fuzz", &err) == 0) {
		for (i = 0; i < np.n_domains; i++) {
			const char *d = np.domains[i];

			if (!rb_domain_valid(d) || strlen(d) > 253)
				abort();
			for (j = 0; d[j]; j++)
				if (!((d[j] >= 'a' && d[j] <= 'z') || (d[j] >= '0' && d[j] <= '9') ||
				      d[j] == '-' || d[j] == '.'))
					abort();
		}
		rb_nameplate_free(&np);
	}
	free(s);
	return 0;
}
