/* libFuzzer target for the nameplate parser and validator: any text that
 * rb_nameplate_parse() accepts must give a nameplate whose invariants hold
 * and whose --print-env output is safe to eval in sh.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Ilib -o build/fuzz-nameplate fuzz/nameplate.c lib/nameplate.c lib/nameplate_ports.c lib/nameplate_workload.c \
 *         lib/nameplate_uplink.c lib/addr.c lib/file.c lib/err.c
 *   build/fuzz-nameplate -max_len=8192 -dict=fuzz/nameplate.dict fuzz/corpus/nameplate */
#include "nameplate.h"
#include "nameplate_int.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* From i at a quote: one '...' word where a quote inside only appears as
 * '\'', no control character; returns the index after it. */
static size_t quoted_word(const char *buf, size_t len, size_t i)
{
	int quoted = 0;

	for (; i < len; i++) {
		char c = buf[i];

		if (c == '\'' && quoted) {
			quoted = 0;
		} else if (c == '\'') {
			quoted = 1;
		} else if (!quoted && c == '\\' && i + 1 < len && buf[i + 1] == '\'') {
			i++;
		} else if (!quoted) {
			return i;
		} else if ((unsigned char)c < 0x20 || c == 0x7f) {
			abort();
		}
	}
	if (quoted)
		abort();
	return i;
}

/* RB_X=('a' 'b' ...): the bash arrays of the workload. */
static size_t check_array(const char *buf, size_t len, size_t i)
{
	if (i + 1 >= len || buf[i] != '(')
		abort();
	for (i++; i < len && buf[i] != ')';) {
		if (buf[i] != '\'')
			abort();
		i = quoted_word(buf, len, i);
		if (i < len && buf[i] == ' ')
			i++;
	}
	if (i + 1 >= len || buf[i + 1] != '\n')
		abort();
	return i + 2;
}

/* Every line is NAME='...' where a quote inside only appears as '\'',
 * then the two arrays. */
static void check_env(const char *buf, size_t len)
{
	size_t i = 0, lines = 0;

	while (i < len) {
		int quoted = 0;

		if (strncmp(buf + i, "RB_BOTTLE_", 10) == 0) {
			i = strchr(buf + i, '=') - buf + 1;
			i = check_array(buf, len, i);
			lines++;
			continue;
		}
		if (strncmp(buf + i, "RBRN_", 5) != 0)
			abort();
		while (i < len && buf[i] != '=') {
			char c = buf[i++];

			if (!((c >= 'A' && c <= 'Z') || c == '_'))
				abort();
		}
		if (i + 1 >= len || buf[++i] != '\'')
			abort();
		for (; i < len; i++) {
			char c = buf[i];

			if (c == '\'' && quoted) {
				quoted = 0;
			} else if (c == '\'') {
				quoted = 1;
			} else if (!quoted && c == '\\' && i + 1 < len && buf[i + 1] == '\'') {
				i++;
			} else if (!quoted && c == '\n') {
				break;
			} else if (!quoted || (unsigned char)c < 0x20 || c == 0x7f) {
				abort(); /* text outside quotes, or a control char inside */
			}
		}
		if (i >= len || quoted)
			abort();
		i++;
		lines++;
	}
	/* every variable once, and RB_BOTTLE_ARGV and the other array */
	if (lines != V_COUNT + 2)
		abort();
}

static int has_dotdot(const char *p)
{
	size_t n = strlen(p);

	return strstr(p, "/../") || (n >= 3 && strcmp(p + n - 3, "/..") == 0);
}

static void check(const struct rb_nameplate *np)
{
	size_t i, j;

	if (!rb_cidr_contains(&np->enclave_subnet, np->sentry_ip) ||
	    !rb_cidr_contains(&np->enclave_subnet, np->bottle_ip) ||
	    np->sentry_ip.s_addr == np->bottle_ip.s_addr)
		abort();
	if (np->enclave_subnet.prefix < 16 || np->enclave_subnet.prefix > 29)
		abort();
	if (np->bottle_uid == 0 || np->bottle_uid > 65534 || strlen(np->moniker) < 2)
		abort();
	if (np->entry_enabled && (!np->entry_port_enclave || !np->entry_port_workstation))
		abort();
	if ((np->dns_global || np->dns_intercept) && !np->dns_enabled)
		abort();
	if (np->access_global && !np->access_enabled)
		abort();
	if (np->n_cidrs > RB_NP_MAX_CIDRS || np->n_domains > RB_NP_MAX_DOMAINS)
		abort();
	for (i = 0; i < np->n_cidrs; i++)
		if (rb_cidr_overlaps(&np->cidrs[i], &np->enclave_subnet))
			abort();
	/* What reaches a dnsmasq config: lower-case LDH and dots only. */
	for (i = 0; i < np->n_domains; i++) {
		const char *d = np->domains[i];

		if (!rb_domain_valid(d) || !strchr(d, '.'))
			abort();
		for (j = 0; d[j]; j++)
			if (!((d[j] >= 'a' && d[j] <= 'z') || (d[j] >= '0' && d[j] <= '9') ||
			      d[j] == '-' || d[j] == '.'))
				abort();
	}
	/* Ported entries: outside the enclave, valid names, canonical ports
	 * (sorted, disjoint), none of them DNS, within the limits. */
	for (i = 0; i < np->n_pcidrs + np->n_pdomains; i++) {
		const struct rb_ports *p = i < np->n_pcidrs ? &np->pcidrs[i].ports :
							      &np->pdomains[i - np->n_pcidrs].ports;

		if (i < np->n_pcidrs && rb_cidr_overlaps(&np->pcidrs[i].cidr, &np->enclave_subnet))
			abort();
		if (i >= np->n_pcidrs && !rb_domain_valid(np->pdomains[i - np->n_pcidrs].name))
			abort();
		if (p->n == 0 || p->n > RB_NP_MAX_PORT_RANGES)
			abort();
		for (j = 0; j < p->n; j++) {
			const struct rb_port_range *r = &p->r[j];

			if (!r->lo || r->lo > r->hi ||
			    (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP) ||
			    (j > 0 && p->r[j - 1].proto == r->proto && (uint32_t)p->r[j - 1].hi + 1 >= r->lo) ||
			    (r->lo <= 53 && r->hi >= 53) || (r->lo <= 853 && r->hi >= 853) ||
			    (r->lo <= 5353 && r->hi >= 5353))
				abort();
		}
	}
	for (i = 0; i < np->n_args; i++)
		for (j = 0; np->argv[i][j]; j++)
			if ((unsigned char)np->argv[i][j] < 0x20 || np->argv[i][j] == '$')
				abort();
	for (i = 0; i < np->n_volumes; i++)
		if (np->volumes[i].host[0] != '/' || has_dotdot(np->volumes[i].host) ||
		    has_dotdot(np->volumes[i].ctr) ||
		    (strncmp(np->volumes[i].host, "/etc", 4) == 0 &&
		     (np->volumes[i].host[4] == '/' || !np->volumes[i].host[4])) || strcmp(np->volumes[i].host, "/") == 0 ||
		    strchr(np->volumes[i].host, ':') || strchr(np->volumes[i].ctr, ':') ||
		    np->volumes[i].ctr[0] != '/')
			abort();
	if (np->pids < 8 || (np->tty != 0 && np->tty != 1) || !np->memory[0] || !np->cpus[0])
		abort();
	for (j = 0; np->description[j]; j++)
		if (np->description[j] == '$' || np->description[j] == '`' ||
		    (unsigned char)np->description[j] < 0x20)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_nameplate np;
	struct rb_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (rb_nameplate_parse(&np, (const char *)data, size, "fuzz", &err) < 0) {
		if (!err.msg[0] || !err.config)
			abort(); /* every refusal has a message and is exit 1 */
		return 0;
	}
	check(&np);
	f = open_memstream(&buf, &len);
	if (f) {
		if (rb_nameplate_print_env(&np, f) < 0)
			abort();
		fclose(f);
		check_env(buf, len);
		free(buf);
	}
	rb_nameplate_free(&np);
	return 0;
}
