/* The sentry's dnsmasq configuration. Names not allowed are answered
 * NXDOMAIN by dnsmasq itself (address=/#/) and never forwarded; each allowed
 * name is forwarded upstream (server=/name/IP, which covers the name and its
 * subdomains) and its A answers land in RB-DNS (ipset=/name/RB-DNS, or
 * on the nft backend nftset=/name/4#inet#rb#RB-DNS).
 * cache-size=0 makes every lookup go upstream, so every answer passes the
 * ipset hook again and addresses that change between answers are added. */
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
	int forwards = np->dns_enabled && (np->dns_global || np->n_domains > 0);

	for (size_t i = 0; i < np->n_domains; i++)
		if (!conf_safe_name(np->domains[i]))
			return rb_err_config(err, "RBRN_UPLINK_ALLOWED_DOMAINS: bad name \"%s\"",
					     np->domains[i]);
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
	fprintf(out, "cache-size=0\n");
	fprintf(out, "log-queries\nlog-facility=-\n");
	fprintf(out, "pid-file=\n");
	/* never ask upstream about bare or private-reverse names */
	fprintf(out, "domain-needed\nbogus-priv\n");
	/* IPv6 is never forwarded: no AAAA answer could be used */
	fprintf(out, "filter-AAAA\n");
	if (np->dns_enabled && np->dns_global)
		fprintf(out, "server=%s\n", up);
	else
		fprintf(out, "address=/#/\n");
	for (size_t i = 0; np->dns_enabled && i < np->n_domains; i++) {
		if (!np->dns_global)
			fprintf(out, "server=/%s/%s\n", np->domains[i], up);
		if (np->access_enabled && !np->access_global && b == RB_FW_BACKEND_NFT)
			fprintf(out, "nftset=/%s/4#%s#%s#%s\n", np->domains[i], RB_FW_NFT_FAMILY,
				RB_FW_NFT_TABLE, RB_FW_SET_DNS);
		else if (np->access_enabled && !np->access_global)
			fprintf(out, "ipset=/%s/%s\n", np->domains[i], RB_FW_SET_DNS);
	}
	if (fflush(out) == EOF || ferror(out))
		return rb_err_set(err, -EIO, "cannot write the resolver configuration");
	return 0;
}
