/* The sentry's dnsmasq configuration. Names not allowed are answered
 * NXDOMAIN by dnsmasq itself (address=/#/) and never forwarded; each allowed
 * name is forwarded upstream (server=/name/IP, which covers the name and its
 * subdomains). dnsmasq fills no set and holds no capability: rb-sentryd's
 * learner reads every answer of the upstream resolver before dnsmasq gets
 * it and opens what it answers (lib/learn.h). dnsmasq may cache, and its
 * replies to the bottle, cached or not, pass no learner: rb-sentryd caps
 * the TTLs dnsmasq hands out and caches (max-ttl, max-cache-ttl) at the
 * learner's largest set timeout less its margin, so no cached answer
 * outlives its entry. */
#include "fw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

/* The nameplate validated the names already; this file is the last line
 * before a configuration file, so check again for anything that could end a
 * directive ('/', '#', newline, ...). */
static int conf_safe_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RB_NAME_MAX || s[0] == '.' || s[0] == '-' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
		if (c == '.' && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

int rb_resolver_conf_write(const struct rb_nameplate *np, enum rb_fw_backend b, FILE *out,
			   struct rb_err *err)
{
	char sentry[INET_ADDRSTRLEN], up[INET_ADDRSTRLEN] = "";
	size_t names = rb_np_n_names(np);
	int forwards = np->dns_enabled && (np->dns_global || names > 0);

	/* the same on both backends: dnsmasq fills no set */
	(void)b;
	for (size_t i = 0; i < names; i++)
		if (!conf_safe_name(rb_np_name(np, i)))
			return rb_err_config(err, "RBRN_UPLINK_ALLOWED_DOMAINS: bad name \"%s\"",
					     rb_np_name(np, i));
	if (forwards && !np->has_uplink_dns_server)
		return rb_err_config(err, "RBRN_UPLINK_DNS_SERVER is needed to resolve names");
	inet_ntop(AF_INET, &np->sentry_ip, sentry, sizeof(sentry));
	if (np->has_uplink_dns_server)
		inet_ntop(AF_INET, &np->uplink_dns_server, up, sizeof(up));

	fprintf(out, "# rb resolver for nameplate %s (rb-fw-apply --resolver-conf)\n",
		np->moniker);
	fprintf(out, "listen-address=%s\n", sentry);
	fprintf(out, "listen-address=127.0.0.1\n");
	fprintf(out, "bind-interfaces\n");
	fprintf(out, "no-resolv\nno-hosts\nno-poll\n");
	fprintf(out, "cache-size=1000\n");
	/* A line per question and answer is a write to the container's log
	 * pipe and a wakeup of conmon each: on a busy bottle it is most of
	 * the resolver's tail latency (bench/RESULTS.md), so it is asked for
	 * (refused names are in the denial log either way). */
	if (np->dns_log)
		fprintf(out, "log-queries\n");
	fprintf(out, "log-facility=-\n");
	fprintf(out, "pid-file=\n");
	/* never ask upstream about bare or private-reverse names */
	fprintf(out, "domain-needed\nbogus-priv\n");
	/* IPv6 is never forwarded: no AAAA answer could be used */
	fprintf(out, "filter-AAAA\n");
	if (np->dns_enabled && np->dns_global)
		fprintf(out, "server=%s\n", up);
	else
		fprintf(out, "address=/#/\n");
	/* a ported name resolves like any other: its ports are the firewall's */
	for (size_t i = 0; np->dns_enabled && !np->dns_global && i < names; i++)
		fprintf(out, "server=/%s/%s\n", rb_np_name(np, i), up);
	if (fflush(out) == EOF || ferror(out))
		return rb_err_set(err, -EIO, "cannot write the resolver configuration");
	return 0;
}
