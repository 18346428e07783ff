/* The learner's decisions and its configuration file (lib/learn.h). */
#include "learn.h"
#include "addr.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int rb_learn_conf_write(const struct rb_nameplate *np, FILE *out, struct rb_err *err)
{
	int learn = np->dns_enabled && np->access_enabled && !np->access_global;

	fprintf(out, "# rb learner for nameplate %s (rb-fw-apply --learner-conf)\n", np->moniker);
	fprintf(out, "learn %d\n", learn);
	fprintf(out, "dns-global %d\n", np->dns_enabled && np->dns_global);
	for (size_t i = 0; i < np->n_domains; i++) {
		if (!rb_domain_valid(np->domains[i]))
			return rb_err_config(err, "RBRN_UPLINK_ALLOWED_DOMAINS: bad name \"%s\"",
					     np->domains[i]);
		fprintf(out, "allow %s\n", np->domains[i]);
	}
	for (size_t i = 0; i < np->n_pdomains; i++) {
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
		char spec[RB_NP_MAX_PORT_RANGES * 12 + 8];

		if (!rb_domain_valid(np->pdomains[i].name))
			return rb_err_config(err, "RBRN_UPLINK_ALLOWED_DOMAINS: bad name \"%s\"",
					     np->pdomains[i].name);
		for (size_t k = 0; k < 2; k++) {
			rb_ports_format(&np->pdomains[i].ports, protos[k], spec, sizeof(spec));
			if (spec[0])
				fprintf(out, "allow-ports %s %s\n", np->pdomains[i].name, spec);
		}
	}
	if (fflush(out) == EOF || ferror(out))
		return rb_err_set(err, -EIO, "cannot write the learner configuration");
	return 0;
}

void rb_learn_conf_free(struct rb_learn_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_allow; i++)
		free(c->allow[i]);
	free((void *)c->allow);
	for (size_t i = 0; i < c->n_ports; i++)
		free(c->ports[i].name);
	free(c->ports);
	memset(c, 0, sizeof(*c));
}

static void lower(char *p)
{
	for (; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

/* "allow-ports NAME SPEC": SPEC's ports are added to NAME's (one line per
 * protocol). */
static int allow_ports(struct rb_learn_conf *c, char *v, const char *origin, unsigned int lineno,
		       struct rb_err *err)
{
	char *spec = strchr(v, ' '), why[128];
	struct rb_name_ports *e = NULL, *np;

	if (spec)
		*spec++ = '\0';
	if (!spec || !rb_domain_valid(v))
		return rb_err_config(err, "%s:%u: allow-ports \"%s\": expected NAME PORTS", origin,
				     lineno, v);
	lower(v);
	for (size_t i = 0; i < c->n_ports; i++)
		if (!strcmp(c->ports[i].name, v))
			e = &c->ports[i];
	if (!e) {
		if (c->n_ports + c->n_allow >= RB_NP_MAX_DOMAINS)
			return rb_err_config(err, "%s:%u: more than %d names", origin, lineno,
					     RB_NP_MAX_DOMAINS);
		np = realloc(c->ports, (c->n_ports + 1) * sizeof(*np));
		if (!np)
			return rb_err_oom(err);
		c->ports = np;
		e = &c->ports[c->n_ports];
		memset(e, 0, sizeof(*e));
		e->name = strdup(v);
		if (!e->name)
			return rb_err_oom(err);
		c->n_ports++;
	}
	if (rb_ports_parse(spec, strlen(spec), &e->ports, why, sizeof(why)) < 0)
		return rb_err_config(err, "%s:%u: allow-ports %s \"%s\": %s", origin, lineno, v,
				     spec, why);
	return 0;
}

static int flag_parse(const char *v, int *out)
{
	if (!strcmp(v, "0") || !strcmp(v, "1")) {
		*out = v[0] == '1';
		return 0;
	}
	return -EINVAL;
}

int rb_learn_conf_parse(struct rb_learn_conf *c, const char *text, size_t len,
			const char *origin, struct rb_err *err)
{
	int have_learn = 0, rc = 0;
	unsigned int lineno = 0;
	size_t pos = 0;

	memset(c, 0, sizeof(*c));
	c->ttl_min = RB_LEARN_TTL_MIN;
	c->ttl_max = RB_LEARN_TTL_MAX;
	c->ttl_margin = RB_LEARN_TTL_MARGIN;
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char line[RB_NAME_MAX + 32], *v;

		lineno++;
		if (n >= sizeof(line)) {
			rc = rb_err_config(err, "%s:%u: line too long", origin, lineno);
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		if (memchr(line, '\0', n)) {
			rc = rb_err_config(err, "%s:%u: NUL byte", origin, lineno);
			break;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		v = strchr(line, ' ');
		if (!v || v[1] == '\0') {
			rc = rb_err_config(err, "%s:%u: \"%s\": expected DIRECTIVE VALUE", origin,
					   lineno, line);
			break;
		}
		*v++ = '\0';
		if (!strcmp(line, "learn")) {
			if (flag_parse(v, &c->learn) < 0)
				rc = rb_err_config(err, "%s:%u: learn \"%s\": 0 or 1", origin, lineno, v);
			have_learn = 1;
		} else if (!strcmp(line, "dns-global")) {
			if (flag_parse(v, &c->dns_global) < 0)
				rc = rb_err_config(err, "%s:%u: dns-global \"%s\": 0 or 1", origin,
						   lineno, v);
		} else if (!strcmp(line, "allow")) {
			char **a;

			if (!rb_domain_valid(v) || c->n_allow >= RB_NP_MAX_DOMAINS) {
				rc = rb_err_config(err, "%s:%u: allow \"%s\": not a name", origin, lineno,
						   v);
				break;
			}
			a = (char **)realloc((void *)c->allow, (c->n_allow + 1) * sizeof(*a));
			if (!a || !(a[c->n_allow] = strdup(v))) {
				if (a)
					c->allow = a;
				rc = rb_err_oom(err);
				break;
			}
			c->allow = a;
			lower(a[c->n_allow]);
			c->n_allow++;
		} else if (!strcmp(line, "allow-ports")) {
			rc = allow_ports(c, v, origin, lineno, err);
		} else {
			rc = rb_err_config(err, "%s:%u: unknown directive \"%s\"", origin, lineno, line);
		}
	}
	if (rc == 0 && !have_learn)
		rc = rb_err_config(err, "%s: no \"learn\" directive", origin);
	if (rc < 0)
		rb_learn_conf_free(c);
	return rc;
}

/* 1 if name is d or below it. */
static int name_under(const char *name, size_t n, const char *d)
{
	size_t l = strlen(d);

	return (n == l && !memcmp(name, d, n)) ||
	       (n > l + 1 && name[n - l - 1] == '.' && !memcmp(name + n - l, d, l));
}

/* What name matches: *all for an entry without ports; the number of
 * matching ported entries is returned, their ports put in pm (may be NULL)
 * up to RB_LEARN_MAX_PMATCH, which no name has more parents than. */
static unsigned int name_match(const struct rb_learn_conf *c, const char *name, int *all,
			       const struct rb_ports **pm)
{
	size_t n = strlen(name);
	unsigned int k = 0;

	*all = 0;
	for (size_t i = 0; i < c->n_allow && !*all; i++)
		*all = name_under(name, n, c->allow[i]);
	for (size_t i = 0; i < c->n_ports && k < RB_LEARN_MAX_PMATCH; i++) {
		if (!name_under(name, n, c->ports[i].name))
			continue;
		if (pm)
			pm[k] = &c->ports[i].ports;
		k++;
	}
	return k;
}

int rb_learn_name_allowed(const struct rb_learn_conf *c, const char *name)
{
	int all;
	unsigned int k = name_match(c, name, &all, NULL);

	return all || k > 0;
}

/* 1 if the ports of p are those of q, both protocols. */
static int ports_same(const struct rb_ports *p, const struct rb_ports *q)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	char a[RB_NP_MAX_PORT_RANGES * 12 + 8], b[sizeof(a)];

	for (size_t k = 0; k < N_ELEMENTS(protos); k++) {
		rb_ports_format(p, protos[k], a, sizeof(a));
		rb_ports_format(q, protos[k], b, sizeof(b));
		if (strcmp(a, b) != 0)
			return 0;
	}
	return 1;
}

int rb_learn_conf_narrows(const struct rb_learn_conf *old, const struct rb_learn_conf *c)
{
	int all;

	if (old->learn && !c->learn)
		return 1;
	/* an entry of old is kept when c allows its name and every name
	 * below it on all ports, or has the very same ported entry */
	for (size_t i = 0; i < old->n_allow; i++) {
		name_match(c, old->allow[i], &all, NULL);
		if (!all)
			return 1;
	}
	for (size_t i = 0; i < old->n_ports; i++) {
		int same = 0;

		name_match(c, old->ports[i].name, &all, NULL);
		for (size_t j = 0; j < c->n_ports && !all && !same; j++)
			same = !strcmp(c->ports[j].name, old->ports[i].name) &&
			       ports_same(&c->ports[j].ports, &old->ports[i].ports);
		if (!all && !same)
			return 1;
	}
	return 0;
}

int rb_learn_tag_keeps(const struct rb_learn_conf *c, const char *tag, uint8_t proto,
		       uint16_t port)
{
	size_t n;
	int all;

	if (!c->learn || !tag || !rb_domain_valid(tag))
		return 0;
	name_match(c, tag, &all, NULL);
	if (all)
		return 1;
	n = strlen(tag);
	for (size_t i = 0; port && i < c->n_ports; i++) {
		const struct rb_ports *p = &c->ports[i].ports;

		if (!name_under(tag, n, c->ports[i].name))
			continue;
		for (unsigned int j = 0; j < p->n; j++)
			if (p->r[j].proto == proto && p->r[j].lo <= port && port <= p->r[j].hi)
				return 1;
	}
	return 0;
}

int rb_learn_addr_public(struct in_addr a)
{
	static const struct {
		uint32_t net;
		unsigned int prefix;
	} never[] = {
		{ 0x00000000u, 8 },  { 0x0a000000u, 8 },  { 0x64400000u, 10 }, { 0x7f000000u, 8 },
		{ 0xa9fe0000u, 16 }, { 0xac100000u, 12 }, { 0xc0000000u, 24 }, { 0xc0a80000u, 16 },
		{ 0xc6120000u, 15 }, { 0xe0000000u, 4 },  { 0xf0000000u, 4 },
	};
	uint32_t h = ntohl(a.s_addr);

	for (size_t i = 0; i < N_ELEMENTS(never); i++) {
		uint32_t mask = rb_prefix_mask(never[i].prefix);

		if ((h & mask) == never[i].net)
			return 0;
	}
	return 1;
}

static uint32_t clamp(uint64_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

int rb_learn_decide(const struct rb_learn_conf *c, const uint8_t *msg, size_t len,
		    struct rb_learn_result *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rb_dns_reply_parse(msg, len, &out->reply);
	if (rc < 0)
		return rc;
	out->pass = 1;
	if (out->reply.qclass != RB_DNS_CLASS_IN)
		return 0;
	out->n_pmatch = name_match(c, out->reply.qname, &out->all, out->pmatch);
	out->allowed = out->all || out->n_pmatch > 0;
	if (!out->allowed) {
		/* the sentry answers such names itself, with NXDOMAIN */
		out->refused = !c->dns_global;
		return 0;
	}
	if (!c->learn)
		return 0;
	for (unsigned int i = 0; i < out->reply.n_a; i++) {
		const struct rb_dns_rr_a *r = &out->reply.a[i];

		if (!rb_learn_addr_public(r->addr)) {
			out->n_never++;
			continue;
		}
		out->add[out->n_add].addr = r->addr;
		out->add[out->n_add++].ttl =
			clamp((uint64_t)r->ttl + c->ttl_margin, c->ttl_min, c->ttl_max);
	}
	return 0;
}
