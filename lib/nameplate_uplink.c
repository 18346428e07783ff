/* The uplink's defaults taken from this host: RBRN_UPLINK_DNS_SERVER, when
 * unset, is the host's own resolver, if the sentry can reach it. */
#include "nameplate_int.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Where the host's resolvers are listed, in order: the stub's file first,
 * then systemd-resolved's list of its upstreams (the stub itself, on
 * 127.0.0.53, is loopback: the sentry cannot ask it). RB_RESOLV_CONF,
 * colon-separated, replaces the list (tests use fake files). */
#define RESOLV_CONF_DEFAULT "/etc/resolv.conf:/run/systemd/resolve/resolv.conf"

/* First usable IPv4 nameserver of one file: 1 found, 0 none (skipped
 * holds the first one refused, for the message), -errno unreadable. */
static int pick_from(const char *path, const struct rb_cidr *enclave, struct in_addr *out,
		     char *skipped, size_t size)
{
	char line[512];
	/* closed by hand: clang-analyzer 19+ does not follow cleanup_file */
	FILE *f = fopen(path, "re");
	int found = 0;

	if (!f)
		return -errno;
	while (!found && fgets(line, sizeof(line), f)) {
		char word[16], addr[64];
		struct in_addr a;

		if (sscanf(line, " %15s %63s", word, addr) != 2 || strcmp(word, "nameserver") != 0)
			continue;
		/* IPv6 resolvers: the sentry has no IPv6 */
		if (rb_parse_ipv4(addr, &a) < 0)
			continue;
		if (np_unicast(a) && !rb_cidr_contains(enclave, a)) {
			*out = a;
			found = 1;
		} else if (!skipped[0]) {
			snprintf(skipped, size, "%s", addr);
		}
	}
	fclose(f);
	return found;
}

int np_default_dns(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *env = getenv("RB_RESOLV_CONF");
	char list[1024], skipped[64] = "", why[1200];
	char *save = NULL, *path;
	int rc;

	snprintf(list, sizeof(list), "%s", env && env[0] ? env : RESOLV_CONF_DEFAULT);
	for (path = strtok_r(list, ":", &save); path; path = strtok_r(NULL, ":", &save)) {
		rc = pick_from(path, &np->enclave_subnet, &np->uplink_dns_server, skipped,
			       sizeof(skipped));
		if (rc == 1) {
			np->has_uplink_dns_server = 1;
			np->uplink_dns_from_host = 1;
			return 0;
		}
	}
	snprintf(list, sizeof(list), "%s", env && env[0] ? env : RESOLV_CONF_DEFAULT);
	if (skipped[0])
		snprintf(why, sizeof(why),
			 "not set, and the host's resolver %s (%s) is not one the sentry can reach "
			 "(loopback or not unicast): set it; required when RBRN_UPLINK_DNS_ENABLED=1",
			 skipped, list);
	else
		snprintf(why, sizeof(why),
			 "not set, and %s names no IPv4 resolver: set it; required when "
			 "RBRN_UPLINK_DNS_ENABLED=1",
			 list);
	return np_bad_s(r, V_UPLINK_DNS_SERVER, "", why, err);
}
