/* Nameplates: "NAME = value" files read by C, never by make.
 *
 * Parsing happens in three steps: the file's lines become raw strings, one
 * per known variable (parse_text), the environment replaces any of them
 * (apply_env, load only), and every value is validated and converted
 * (validate). Each step stops at the first problem and writes one message
 * naming where the value came from, the variable and the value. */
#include "nameplate.h"
#include "utils.h"
#include "nameplate_int.h"
#include "file.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NP_MAX_FILE (4u << 20) /* beyond 131072 CIDRs, small enough to read whole */
/* np_raw.flags: the nameplate is loaded for use on this host (not parsed
 * from a buffer by the fuzzer), so host defaults apply. */
#define NP_LOADED 0x100u
#define SHOW_MAX 96             /* bytes of a value quoted in a message */


/* man/rb-nameplate.5; def is what an unset or empty variable means. */
static const struct {
	const char *name;
	const char *def;
} np_vars[V_COUNT] = {
	[V_MONIKER] = { "RBRN_MONIKER", NULL },
	[V_DESCRIPTION] = { "RBRN_DESCRIPTION", "" },
	[V_SENTRY_IMAGE] = { "RBRN_SENTRY_IMAGE", "localhost/rb-sentry:latest" },
	[V_BOTTLE_IMAGE] = { "RBRN_BOTTLE_IMAGE", "localhost/rb-bottle:latest" },
	[V_BOTTLE_UID] = { "RBRN_BOTTLE_UID", "1000" },
	[V_ENCLAVE_SUBNET] = { "RBRN_ENCLAVE_SUBNET", NULL },
	[V_SENTRY_IP] = { "RBRN_ENCLAVE_SENTRY_IP", NULL },
	[V_BOTTLE_IP] = { "RBRN_ENCLAVE_BOTTLE_IP", NULL },
	[V_UPLINK_NETWORK] = { "RBRN_UPLINK_NETWORK", "podman" },
	[V_UPLINK_GATEWAY] = { "RBRN_UPLINK_GATEWAY", "" },
	[V_UPLINK_DNS_SERVER] = { "RBRN_UPLINK_DNS_SERVER", "" },
	[V_ENTRY_ENABLED] = { "RBRN_ENTRY_ENABLED", "0" },
	[V_ENTRY_PORT_WORKSTATION] = { "RBRN_ENTRY_PORT_WORKSTATION", "" },
	[V_ENTRY_PORT_ENCLAVE] = { "RBRN_ENTRY_PORT_ENCLAVE", "" },
	[V_DNS_ENABLED] = { "RBRN_UPLINK_DNS_ENABLED", "0" },
	[V_DNS_GLOBAL] = { "RBRN_UPLINK_DNS_GLOBAL", "0" },
	[V_DNS_INTERCEPT] = { "RBRN_UPLINK_DNS_INTERCEPT", "0" },
	[V_DNS_LOG] = { "RBRN_UPLINK_DNS_LOG", "0" },
	[V_ACCESS_ENABLED] = { "RBRN_UPLINK_ACCESS_ENABLED", "0" },
	[V_ACCESS_GLOBAL] = { "RBRN_UPLINK_ACCESS_GLOBAL", "0" },
	[V_ALLOWED_CIDRS] = { "RBRN_UPLINK_ALLOWED_CIDRS", "" },
	[V_ALLOWED_DOMAINS] = { "RBRN_UPLINK_ALLOWED_DOMAINS", "" },
	[V_BOTTLE_COMMAND] = { "RBRN_BOTTLE_COMMAND", "" },
	[V_BOTTLE_WORKDIR] = { "RBRN_BOTTLE_WORKDIR", "" },
	[V_BOTTLE_VOLUMES] = { "RBRN_BOTTLE_VOLUMES", "" },
	[V_BOTTLE_ENV_FILE] = { "RBRN_BOTTLE_ENV_FILE", "" },
	/* What keeps a runaway bottle (a fork or allocation loop, a build
	 * that eats every core) from taking the host: docs/workload.md "Limits". */
	[V_BOTTLE_MEMORY] = { "RBRN_BOTTLE_MEMORY", "2g" },
	[V_BOTTLE_CPUS] = { "RBRN_BOTTLE_CPUS", "1" },
	[V_BOTTLE_PIDS] = { "RBRN_BOTTLE_PIDS", "1024" },
	[V_BOTTLE_TTY] = { "RBRN_BOTTLE_TTY", "0" },
};


static void raw_free(struct np_raw *r)
{
	int v;

	for (v = 0; v < V_COUNT; v++) {
		free(r->val[v]);
		r->val[v] = NULL;
	}
}

static int var_lookup(const char *name, size_t len)
{
	int v;

	for (v = 0; v < V_COUNT; v++)
		if (strlen(np_vars[v].name) == len && memcmp(np_vars[v].name, name, len) == 0)
			return v;
	return -1;
}

/* Quotes s for a message: printable ASCII as is, the rest escaped, so a
 * hostile value cannot put control sequences on the user's terminal. */
static const char *show(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= SHOW_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
		} else if (c == '\t') {
			buf[o++] = '\\';
			buf[o++] = 't';
		} else if (c < 0x20 || c >= 0x7f) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return buf;
}

/* Where a value came from, as the prefix of its message. */
static const char *where(const struct np_raw *r, int v, char *buf, size_t size)
{
	if (r->val[v] && r->line[v] == 0)
		snprintf(buf, size, "environment: ");
	else if (r->val[v] && r->origin)
		snprintf(buf, size, "%s:%u: ", r->origin, r->line[v]);
	else if (r->origin)
		snprintf(buf, size, "%s: ", r->origin);
	else
		buf[0] = '\0';
	return buf;
}

/* One message for a bad value: `origin:line: RBRN_X: "value": why`. */
int np_bad(const struct np_raw *r, int v, const char *val, size_t len, const char *why,
	       struct rb_err *err)
{
	char w[300], q[SHOW_MAX * 4 + 8];

	return rb_err_config(err, "%s%s: \"%s\": %s", where(r, v, w, sizeof(w)), np_vars[v].name,
			     show(val, len, q, sizeof(q)), why);
}

int np_bad_s(const struct np_raw *r, int v, const char *val, const char *why,
		 struct rb_err *err)
{
	return np_bad(r, v, val, strlen(val), why, err);
}

int np_bad_sys(const struct np_raw *r, int v, const char *val, size_t len, const char *why,
	       int errnum, struct rb_err *err)
{
	char w[300], q[SHOW_MAX * 4 + 8];

	return rb_err_config_sys(err, errnum, "%s%s: \"%s\"%s%s", where(r, v, w, sizeof(w)),
				 np_vars[v].name, show(val, len, q, sizeof(q)), why ? ": " : "",
				 why ? why : "");
}

int np_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Step 1: the file's lines. Only what make would read as a plain recursive
 * or simple assignment of a known RBRN_ variable is accepted; anything else
 * (directives, rules, functions, continuation lines) is an error, because a
 * nameplate that means something different to make and to rb is a trap. */
static int parse_text(struct np_raw *r, const char *text, size_t len, struct rb_err *err)
{
	const char *o = r->origin ? r->origin : "nameplate";
	size_t pos = 0;
	unsigned int lineno = 0;

	while (pos < len) {
		const char *line = text + pos, *nl, *p, *end, *name, *val;
		size_t ll, nlen;
		int v;

		nl = memchr(line, '\n', len - pos);
		ll = nl ? (size_t)(nl - line) : len - pos;
		pos += ll + (nl ? 1 : 0);
		lineno++;
		if (ll > 0 && line[ll - 1] == '\r') /* CRLF files */
			ll--;
		end = line + ll;
		if (memchr(line, '\0', ll))
			return rb_err_config(err, "%s:%u: NUL byte in line", o, lineno);
		p = line;
		while (p < end && np_is_blank(*p))
			p++;
		if (p == end)
			continue;
		/* make reads a trailing backslash as a continuation line, even at
		 * the end of a comment (the next line is then comment too) */
		if (end[-1] == '\\')
			return rb_err_config(err, "%s:%u: continuation lines are not supported", o,
					     lineno);
		if (*p == '#')
			continue;
		name = p;
		while (p < end && (isalnum((unsigned char)*p) || *p == '_'))
			p++;
		nlen = (size_t)(p - name);
		while (p < end && np_is_blank(*p))
			p++;
		if (nlen == 0 || p == end || (*p != '=' && !(*p == ':' && p + 1 < end && p[1] == '='))) {
			char q[SHOW_MAX * 4 + 8];

			return rb_err_config(err, "%s:%u: \"%s\": not a NAME = value line", o, lineno,
					     show(line, (size_t)(end - line), q, sizeof(q)));
		}
		p += *p == ':' ? 2 : 1;
		if (nlen < 5 || memcmp(name, "RBRN_", 5) != 0)
			return rb_err_config(err, "%s:%u: %.*s: only RBRN_* variables belong in a nameplate",
					     o, lineno, (int)(nlen > 64 ? 64 : nlen), name);
		v = var_lookup(name, nlen);
		if (v < 0)
			return rb_err_config(err, "%s:%u: %.*s: unknown variable", o, lineno,
					     (int)(nlen > 64 ? 64 : nlen), name);
		if (r->val[v])
			return rb_err_config(err, "%s:%u: %s: already set on line %u", o, lineno,
					     np_vars[v].name, r->line[v]);
		/* A '#' starts a comment where make would see one and it is not
		 * glued to a value; "a#b" stays in the value and is rejected later. */
		while (p < end && np_is_blank(*p))
			p++;
		val = p;
		while (p < end && !(*p == '#' && (p == val || np_is_blank(p[-1]))))
			p++;
		while (p > val && np_is_blank(p[-1]))
			p--;
		r->val[v] = strndup(val, (size_t)(p - val));
		if (!r->val[v])
			return rb_err_oom(err);
		r->line[v] = lineno;
	}
	return 0;
}

/* Step 2 (load only): RBRN_* from the environment win over the file, the
 * way `make target RBRN_X=v` overrides. A set-but-empty variable counts: it
 * clears the file's value. An unknown RBRN_ name is most likely a typo that
 * would otherwise be ignored silently. */
static int apply_env(struct np_raw *r, struct rb_err *err)
{
	char **e;
	int v;

	for (e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t nlen = eq ? (size_t)(eq - *e) : strlen(*e);

		if (nlen < 5 || strncmp(*e, "RBRN_", 5) != 0)
			continue;
		if (var_lookup(*e, nlen) < 0) {
			char q[SHOW_MAX * 4 + 8];

			return rb_err_config(err, "environment: %s: unknown nameplate variable",
					     show(*e, nlen, q, sizeof(q)));
		}
	}
	for (v = 0; v < V_COUNT; v++) {
		const char *s = getenv(np_vars[v].name);
		size_t a, b;

		if (!s)
			continue;
		/* make strips blanks around a command-line value too */
		a = 0;
		b = strlen(s);
		while (a < b && np_is_blank(s[a]))
			a++;
		while (b > a && np_is_blank(s[b - 1]))
			b--;
		free(r->val[v]);
		r->val[v] = strndup(s + a, b - a);
		if (!r->val[v])
			return rb_err_oom(err);
		r->line[v] = 0;
	}
	return 0;
}

/* Characters any value but the description may hold: enough for names,
 * addresses, image references and lists, nothing a shell, make or a
 * resolver config gives a meaning to. */
static int plain_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '/' || c == ':' || c == '@' ||
	       c == '-' || c == '_' || c == ' ' || c == '\t';
}

/* Free text, single-quoted by print_env; still no control characters,
 * nothing make or a shell expands even outside quotes, no comment sign. */
static int text_char(char c)
{
	return c >= 0x20 && c < 0x7f && c != '$' && c != '`' && c != '\\' && c != '#';
}

static int check_chars(const struct np_raw *r, int v, const char *s, struct rb_err *err)
{
	const char *p;

	for (p = s; *p; p++) {
		char why[64];
		int ok = v == V_DESCRIPTION || v == V_BOTTLE_COMMAND ? text_char(*p) : plain_char(*p);

		/* the port lists of ported allowlist entries */
		if (*p == ',' && (v == V_ALLOWED_CIDRS || v == V_ALLOWED_DOMAINS))
			ok = 1;

		if (ok)
			continue;
		if (*p > 0x20 && *p < 0x7f)
			snprintf(why, sizeof(why), "character '%c' is not allowed", *p);
		else
			snprintf(why, sizeof(why), "character \\x%02x is not allowed",
				 (unsigned char)*p);
		return np_bad_s(r, v, s, why, err);
	}
	return 0;
}

/* The value of v after defaults; "" for unset optional values. */
const char *np_value(const struct np_raw *r, int v)
{
	if (r->val[v] && r->val[v][0])
		return r->val[v];
	return np_vars[v].def ? np_vars[v].def : "";
}

int np_check_mode(const struct np_raw *r, int v, int *out, struct rb_err *err)
{
	const char *s = np_value(r, v);

	if (strcmp(s, "0") == 0)
		*out = 0;
	else if (strcmp(s, "1") == 0)
		*out = 1;
	else
		return np_bad_s(r, v, s, "unknown mode, must be 0 or 1", err);
	return 0;
}

static int check_required(const struct np_raw *r, int v, struct rb_err *err)
{
	if (np_value(r, v)[0] == '\0')
		return np_bad_s(r, v, "", "required but not set", err);
	return 0;
}

static uint32_t host_order(struct in_addr a)
{
	return ntohl(a.s_addr);
}

/* 0/8, 127/8, 224/4 (multicast), 240/4 (incl. broadcast) are never a
 * gateway or a resolver the sentry can send to. */
int np_unicast(struct in_addr a)
{
	uint32_t h = host_order(a);

	return (h >> 24) != 0 && (h >> 24) != 127 && (h >> 28) < 14;
}

int np_check_ipv4(const struct np_raw *r, int v, struct in_addr *out, struct rb_err *err)
{
	const char *s = np_value(r, v);

	if (rb_parse_ipv4(s, out) < 0)
		return np_bad_s(r, v, s, RB_WHY_IPV4, err);
	return 0;
}

/* Explains what is wrong with a CIDR rb_parse_cidr refused. */
static int bad_cidr(const struct np_raw *r, int v, const char *s, size_t len, struct rb_err *err)
{
	char why[96];

	rb_cidr_why(s, len, why, sizeof(why));
	return np_bad(r, v, s, len, why, err);
}

static int rfc1918(const struct rb_cidr *c)
{
	static const struct {
		uint32_t net;
		unsigned int prefix;
	} priv[] = { { 0x0a000000, 8 }, { 0xac100000, 12 }, { 0xc0a80000, 16 } };
	size_t i;

	for (i = 0; i < N_ELEMENTS(priv); i++) {
		struct rb_cidr p = { { htonl(priv[i].net) }, priv[i].prefix };

		if (c->prefix >= p.prefix && rb_cidr_contains(&p, c->addr))
			return 1;
	}
	return 0;
}

/* An address a container on the enclave may have: inside the subnet, not
 * its network or broadcast address, not the first host (podman gives that
 * to the bridge as the network's gateway). */
static int check_enclave_ip(const struct np_raw *r, int v, const struct rb_cidr *sub,
			    struct in_addr *out, struct rb_err *err)
{
	const char *s = np_value(r, v);
	uint32_t h, net, bcast;

	if (check_required(r, v, err) < 0 || np_check_ipv4(r, v, out, err) < 0)
		return -EINVAL;
	h = host_order(*out);
	net = host_order(sub->addr);
	bcast = net | ~rb_prefix_mask(sub->prefix);
	if (!rb_cidr_contains(sub, *out))
		return np_bad_s(r, v, s, "not inside RBRN_ENCLAVE_SUBNET", err);
	if (h == net)
		return np_bad_s(r, v, s, "is the subnet's network address", err);
	if (h == bcast)
		return np_bad_s(r, v, s, "is the subnet's broadcast address", err);
	if (h == net + 1)
		return np_bad_s(r, v, s, "is the subnet's first address, which podman gives the bridge",
			     err);
	return 0;
}

static int check_port(const struct np_raw *r, int v, int required, uint16_t *out,
		      struct rb_err *err)
{
	const char *s = np_value(r, v);

	*out = 0;
	if (!s[0])
		return required ? np_bad_s(r, v, s, "required when RBRN_ENTRY_ENABLED=1", err) : 0;
	if (rb_parse_port(s, out) < 0)
		return np_bad_s(r, v, s, RB_WHY_PORT, err);
	return 0;
}

static int image_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 255 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '.' ||
		      c == '_' || c == '/' || c == ':' || c == '@' || c == '-'))
			return 0;
	}
	return 1;
}

/* podman's network name rule, capped to what struct rb_nameplate holds. */
static int netname_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

int np_copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

static int cidr_cmp(const void *a, const void *b)
{
	const struct rb_cidr *x = a, *y = b;
	uint32_t hx = ntohl(x->addr.s_addr), hy = ntohl(y->addr.s_addr);

	if (hx != hy)
		return hx < hy ? -1 : 1;
	return (x->prefix > y->prefix) - (x->prefix < y->prefix);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Next blank-separated word of *p: start in *w, length returned, 0 at end. */
size_t np_next_word(const char **p, const char **w)
{
	const char *s = *p;
	size_t n = 0;

	while (np_is_blank(*s))
		s++;
	*w = s;
	while (s[n] && !np_is_blank(s[n]))
		n++;
	*p = s + n;
	return n;
}

size_t np_count_words(const char *s)
{
	const char *w;
	size_t n = 0;

	while (np_next_word(&s, &w))
		n++;
	return n;
}

static int pcidr_cmp(const void *a, const void *b)
{
	return cidr_cmp(&((const struct rb_cidr_ports *)a)->cidr,
			&((const struct rb_cidr_ports *)b)->cidr);
}

static size_t count_ported(const char *s)
{
	const char *w;
	size_t n, k = 0;

	while ((n = np_next_word(&s, &w)) > 0)
		k += memchr(w, ':', n) != NULL;
	return k;
}

/* The ports part of entry w (n bytes) after its ':' at colon. */
static int entry_ports(const struct np_raw *r, int v, const char *w, size_t n, const char *colon,
		       struct rb_ports *p, struct rb_err *err)
{
	char why[128];

	memset(p, 0, sizeof(*p));
	if (rb_ports_parse(colon + 1, n - (size_t)(colon + 1 - w), p, why, sizeof(why)) < 0)
		return np_bad(r, v, w, n, why, err);
	return 0;
}

/* One CIDR of the list, with or without ports. */
static int cidr_entry(const struct np_raw *r, struct rb_nameplate *np, const char *w, size_t n,
		      struct rb_cidr *c, struct rb_cidr_ports *pc, int *ported,
		      struct rb_err *err)
{
	const char *colon = memchr(w, ':', n);
	size_t cl = colon ? (size_t)(colon - w) : n;
	char buf[64];

	*ported = colon != NULL;
	if (colon && cl == 0)
		return np_bad(r, V_ALLOWED_CIDRS, w, n, "no CIDR before ':'", err);
	if (cl >= sizeof(buf))
		return np_bad(r, V_ALLOWED_CIDRS, w, n, RB_WHY_CIDR, err);
	memcpy(buf, w, cl);
	buf[cl] = '\0';
	if (rb_parse_cidr(buf, c) < 0)
		return bad_cidr(r, V_ALLOWED_CIDRS, w, cl, err);
	if (rb_cidr_overlaps(c, &np->enclave_subnet))
		return np_bad(r, V_ALLOWED_CIDRS, w, n, "overlaps RBRN_ENCLAVE_SUBNET", err);
	if (!colon)
		return 0;
	pc->cidr = *c;
	return entry_ports(r, V_ALLOWED_CIDRS, w, n, colon, &pc->ports, err);
}

/* The ported CIDRs: one per CIDR, with the union of its ports; none that
 * is also listed without ports (which allows them all). */
static int merge_pcidrs(const struct np_raw *r, struct rb_nameplate *np, struct rb_cidr_ports *pc,
			size_t k, struct rb_err *err)
{
	size_t out = 0, elems = 0;
	char why[128];

	qsort(pc, k, sizeof(*pc), pcidr_cmp);
	for (size_t i = 0; i < k; i++) {
		if (out > 0 && cidr_cmp(&pc[out - 1].cidr, &pc[i].cidr) == 0) {
			if (rb_ports_union(&pc[out - 1].ports, &pc[i].ports, why, sizeof(why)) < 0) {
				char ip[INET_ADDRSTRLEN], e[64];

				inet_ntop(AF_INET, &pc[i].cidr.addr, ip, sizeof(ip));
				snprintf(e, sizeof(e), "%s/%u", ip, pc[i].cidr.prefix);
				return np_bad_s(r, V_ALLOWED_CIDRS, e, why, err);
			}
			continue;
		}
		if (np->n_cidrs && bsearch(&pc[i].cidr, np->cidrs, np->n_cidrs, sizeof(*np->cidrs),
					   cidr_cmp))
			continue;
		pc[out++] = pc[i];
	}
	for (size_t i = 0; i < out; i++)
		elems += rb_ports_count(&pc[i].ports) * (pc[i].cidr.prefix == 0 ? 2 : 1);
	if (elems > RB_NP_MAX_PORT_ELEMS) {
		snprintf(why, sizeof(why), "%zu (CIDR, port) pairs, at most %d allowed", elems,
			 RB_NP_MAX_PORT_ELEMS);
		return np_bad_s(r, V_ALLOWED_CIDRS, np_value(r, V_ALLOWED_CIDRS), why, err);
	}
	np->pcidrs = pc;
	np->n_pcidrs = out;
	return 0;
}

/* RBRN_UPLINK_ALLOWED_CIDRS: sorted, duplicates dropped. A CIDR touching
 * the enclave would open the bottle's own network (the sentry, the host's
 * bridge address) through the forward path, so it is refused. */
static int check_cidrs(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_ALLOWED_CIDRS), *p = s, *w;
	size_t n, i, out = 0, words = np_count_words(s), k = 0, nk = count_ported(s);
	struct rb_cidr *c;
	struct rb_cidr_ports *pc = NULL;
	int rc = 0;

	if (words == 0)
		return 0;
	c = calloc(words, sizeof(*c));
	if (nk)
		pc = calloc(nk, sizeof(*pc));
	if (!c || (nk && !pc)) {
		rc = rb_err_oom(err);
		goto fail;
	}
	for (i = 0; i < words && (n = np_next_word(&p, &w)) > 0;) {
		struct rb_cidr_ports one;
		int ported = 0;

		rc = cidr_entry(r, np, w, n, &c[i], &one, &ported, err);
		if (rc < 0)
			goto fail;
		if (!ported)
			i++;
		else if (pc && k < nk) /* counted by the same rule: always */
			pc[k++] = one;
	}
	words = i;
	qsort(c, words, sizeof(*c), cidr_cmp);
	for (i = 0; i < words; i++)
		if (out == 0 || cidr_cmp(&c[out - 1], &c[i]) != 0)
			c[out++] = c[i];
	if (out + k > RB_NP_MAX_CIDRS) {
		char why[80];

		snprintf(why, sizeof(why), "%zu CIDRs, at most %d allowed", out + k, RB_NP_MAX_CIDRS);
		rc = np_bad_s(r, V_ALLOWED_CIDRS, s, why, err);
		goto fail;
	}
	np->cidrs = c;
	np->n_cidrs = out;
	c = NULL;
	if (k && pc) {
		rc = merge_pcidrs(r, np, pc, k, err);
		if (rc < 0)
			goto fail;
		pc = NULL;
	}
fail:
	free(c);
	free(pc);
	return rc;
}

/* One name of RBRN_UPLINK_ALLOWED_DOMAINS, in place: one trailing dot
 * removed, lower-cased, then checked. */
static int check_domain(const struct np_raw *r, char *d, size_t n, struct rb_err *err)
{
	const char *last;
	size_t i;
	int digits = 1;

	if (n > 1 && d[n - 1] == '.')
		d[--n] = '\0';
	for (i = 0; i < n; i++)
		d[i] = (char)tolower((unsigned char)d[i]);
	if (!rb_domain_valid(d))
		return np_bad_s(r, V_ALLOWED_DOMAINS, d,
			     "not a domain name (letters, digits, '-' in dot-separated labels of "
			     "1..63, at most 253 in all)",
			     err);
	last = strrchr(d, '.');
	if (!last)
		return np_bad_s(r, V_ALLOWED_DOMAINS, d,
			     "a single label would allow a whole top-level domain", err);
	for (i = 1; last[i]; i++)
		if (!isdigit((unsigned char)last[i]))
			digits = 0;
	if (digits)
		return np_bad_s(r, V_ALLOWED_DOMAINS, d,
			     "looks like an address; addresses go in RBRN_UPLINK_ALLOWED_CIDRS", err);
	return 0;
}

static int pname_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rb_name_ports *)a)->name, ((const struct rb_name_ports *)b)->name);
}

static void free_pnames(struct rb_name_ports *pd, size_t n)
{
	for (size_t i = 0; pd && i < n; i++)
		free(pd[i].name);
	free(pd);
}

/* The ported names: one per name with the union of its ports; none that
 * is also listed without ports (which allows them all). pd[0..k) is
 * released here whatever happens. */
static int merge_pnames(const struct np_raw *r, struct rb_nameplate *np, struct rb_name_ports *pd,
			size_t k, struct rb_err *err)
{
	size_t out = 0;
	char why[128];

	qsort(pd, k, sizeof(*pd), pname_cmp);
	for (size_t i = 0; i < k; i++) {
		if (out > 0 && !strcmp(pd[out - 1].name, pd[i].name)) {
			if (rb_ports_union(&pd[out - 1].ports, &pd[i].ports, why, sizeof(why)) < 0) {
				int rc = np_bad_s(r, V_ALLOWED_DOMAINS, pd[i].name, why, err);

				/* [out, i) were moved down or freed already */
				for (size_t j = i; j < k; j++)
					free(pd[j].name);
				free_pnames(pd, out);
				return rc;
			}
			free(pd[i].name);
			continue;
		}
		if (np->n_domains && bsearch((const void *)&pd[i].name, (void *)np->domains, np->n_domains,
					     sizeof(*np->domains), str_cmp)) {
			free(pd[i].name);
			continue;
		}
		pd[out++] = pd[i];
	}
	if (np->n_domains + out > RB_NP_MAX_DOMAINS) {
		snprintf(why, sizeof(why), "%zu names, at most %d allowed", np->n_domains + out,
			 RB_NP_MAX_DOMAINS);
		free_pnames(pd, out);
		return np_bad_s(r, V_ALLOWED_DOMAINS, np_value(r, V_ALLOWED_DOMAINS), why, err);
	}
	np->pdomains = pd;
	np->n_pdomains = out;
	return 0;
}

/* One name of the list, with or without ports: *name is malloc'd. */
static int domain_entry(const struct np_raw *r, const char *w, size_t n, char **name,
			struct rb_ports *ports, int *ported, struct rb_err *err)
{
	const char *colon = memchr(w, ':', n);
	size_t nl = colon ? (size_t)(colon - w) : n;

	*name = NULL;
	*ported = colon != NULL;
	if (colon && nl == 0)
		return np_bad(r, V_ALLOWED_DOMAINS, w, n, "no name before ':'", err);
	if (nl > RB_NAME_MAX + 1)
		return np_bad(r, V_ALLOWED_DOMAINS, w, n, "longer than 253 characters", err);
	if (colon && entry_ports(r, V_ALLOWED_DOMAINS, w, n, colon, ports, err) < 0)
		return -EINVAL;
	*name = strndup(w, nl);
	if (!*name)
		return rb_err_oom(err);
	if (check_domain(r, *name, nl, err) < 0) {
		free(*name);
		*name = NULL;
		return -EINVAL;
	}
	return 0;
}

static int check_domains(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_ALLOWED_DOMAINS), *p = s, *w;
	size_t n, i, out = 0, words = np_count_words(s), k = 0, nk = count_ported(s);
	struct rb_name_ports *pd = NULL;
	char **d;
	int rc = 0;

	if (words == 0)
		return 0;
	d = (char **)calloc(words, sizeof(*d));
	if (nk)
		pd = calloc(nk, sizeof(*pd));
	if (!d || (nk && !pd)) {
		free((void *)d);
		free(pd);
		return rb_err_oom(err);
	}
	/* i < words: the same string, counted by the same rule, but said so
	 * for the analyzer */
	for (i = 0; i < words && (n = np_next_word(&p, &w)) > 0;) {
		struct rb_ports ports;
		char *name;
		int ported = 0;

		rc = domain_entry(r, w, n, &name, &ports, &ported, err);
		if (rc < 0)
			goto out;
		if (ported && pd && k < nk) {
			pd[k].name = name;
			pd[k++].ports = ports;
		} else if (ported) {
			free(name); /* never: nk counted the same words */
		} else {
			d[i++] = name;
		}
	}
	words = i;
	qsort((void *)d, words, sizeof(*d), str_cmp);
	for (i = 0; i < words; i++) {
		char *t = d[i];

		d[i] = NULL;
		if (out > 0 && strcmp(d[out - 1], t) == 0)
			free(t);
		else
			d[out++] = t;
	}
	if (out > RB_NP_MAX_DOMAINS) {
		char why[80];

		snprintf(why, sizeof(why), "%zu names, at most %d allowed", out, RB_NP_MAX_DOMAINS);
		rc = np_bad_s(r, V_ALLOWED_DOMAINS, s, why, err);
		goto out;
	}
	np->domains = d;
	np->n_domains = out;
	d = NULL;
	if (k && pd) {
		rc = merge_pnames(r, np, pd, k, err);
		pd = NULL;
		k = 0;
	}
out:
	if (d) {
		for (i = 0; i < words; i++)
			free(d[i]);
		free((void *)d);
	}
	free_pnames(pd, k);
	return rc;
}

/* podman reads these as network modes, not names; an uplink to another
 * bottle's enclave would join two bottles. */
static int uplink_name_reserved(const char *s)
{
	static const char *const modes[] = { "host",  "none",	      "private", "bridge",
					     "slirp4netns", "pasta", "ns",	    "container" };
	size_t i, n = strlen(s);

	for (i = 0; i < N_ELEMENTS(modes); i++)
		if (strcmp(s, modes[i]) == 0)
			return 1;
	return n > 11 && strncmp(s, "rb-", 3) == 0 && strcmp(s + n - 8, "-enclave") == 0;
}

static int validate_ids(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s;
	unsigned long uid;
	size_t i;

	if (check_required(r, V_MONIKER, err) < 0)
		return -EINVAL;
	s = np_value(r, V_MONIKER);
	for (i = 0; s[i]; i++)
		if (!(islower((unsigned char)s[i]) || (i > 0 && isdigit((unsigned char)s[i]))))
			break;
	if (s[i] || i < 2 || i > RB_MONIKER_MAX)
		return np_bad_s(r, V_MONIKER, s,
			     "must be a lower-case letter then 1..11 lower-case letters or digits",
			     err);
	np_copy_str(np->moniker, sizeof(np->moniker), s);

	if (np_copy_str(np->description, sizeof(np->description), np_value(r, V_DESCRIPTION)) < 0)
		return np_bad_s(r, V_DESCRIPTION, np_value(r, V_DESCRIPTION),
			     "longer than 255 characters", err);

	s = np_value(r, V_SENTRY_IMAGE);
	if (!image_ok(s))
		return np_bad_s(r, V_SENTRY_IMAGE, s,
			     "not an image reference ([a-z0-9][a-z0-9._/:@-]*, at most 255)", err);
	np_copy_str(np->sentry_image, sizeof(np->sentry_image), s);
	s = np_value(r, V_BOTTLE_IMAGE);
	if (!image_ok(s))
		return np_bad_s(r, V_BOTTLE_IMAGE, s,
			     "not an image reference ([a-z0-9][a-z0-9._/:@-]*, at most 255)", err);
	np_copy_str(np->bottle_image, sizeof(np->bottle_image), s);

	s = np_value(r, V_BOTTLE_UID);
	if (rb_parse_uint(s, 65534, &uid) < 0 || uid == 0)
		return np_bad_s(r, V_BOTTLE_UID, s, "must be a uid 1..65534 (never 0, root)", err);
	np->bottle_uid = (unsigned int)uid;
	return 0;
}

static int validate_enclave(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s;

	if (check_required(r, V_ENCLAVE_SUBNET, err) < 0)
		return -EINVAL;
	s = np_value(r, V_ENCLAVE_SUBNET);
	if (rb_parse_cidr(s, &np->enclave_subnet) < 0)
		return bad_cidr(r, V_ENCLAVE_SUBNET, s, strlen(s), err);
	if (np->enclave_subnet.prefix < 16 || np->enclave_subnet.prefix > 29)
		return np_bad_s(r, V_ENCLAVE_SUBNET, s, "prefix must be 16..29", err);
	if (!rfc1918(&np->enclave_subnet))
		return np_bad_s(r, V_ENCLAVE_SUBNET, s,
			     "must be private (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)",
			     err);
	if (check_enclave_ip(r, V_SENTRY_IP, &np->enclave_subnet, &np->sentry_ip, err) < 0 ||
	    check_enclave_ip(r, V_BOTTLE_IP, &np->enclave_subnet, &np->bottle_ip, err) < 0)
		return -EINVAL;
	if (np->sentry_ip.s_addr == np->bottle_ip.s_addr)
		return np_bad_s(r, V_BOTTLE_IP, np_value(r, V_BOTTLE_IP),
			     "same address as RBRN_ENCLAVE_SENTRY_IP", err);
	return 0;
}

/* An address the sentry sends to over the uplink. */
static int check_uplink_ip(const struct np_raw *r, int v, struct rb_nameplate *np, int *has,
			   struct in_addr *out, struct rb_err *err)
{
	const char *s = np_value(r, v);

	*has = 0;
	if (!s[0])
		return 0;
	if (np_check_ipv4(r, v, out, err) < 0)
		return -EINVAL;
	if (!np_unicast(*out))
		return np_bad_s(r, v, s, "not a unicast address", err);
	if (rb_cidr_contains(&np->enclave_subnet, *out))
		return np_bad_s(r, v, s, "inside RBRN_ENCLAVE_SUBNET, not on the uplink", err);
	*has = 1;
	return 0;
}

static int validate_uplink(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_UPLINK_NETWORK);

	if (!netname_ok(s))
		return np_bad_s(r, V_UPLINK_NETWORK, s,
			     "not a podman network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63)",
			     err);
	if (uplink_name_reserved(s))
		return np_bad_s(r, V_UPLINK_NETWORK, s,
			     "reserved: a podman network mode or a bottle's enclave", err);
	np_copy_str(np->uplink_network, sizeof(np->uplink_network), s);
	if (check_uplink_ip(r, V_UPLINK_GATEWAY, np, &np->has_uplink_gateway,
			    &np->uplink_gateway, err) < 0 ||
	    check_uplink_ip(r, V_UPLINK_DNS_SERVER, np, &np->has_uplink_dns_server,
			    &np->uplink_dns_server, err) < 0)
		return -EINVAL;
	return 0;
}

/* Mode combinations. GLOBAL and INTERCEPT refine an enabled service; set
 * on a disabled one they say the author expected traffic that will never
 * flow, so they are errors rather than silently ignored. Lists set while
 * their service is off are allowed: that fails closed. */
static int validate_modes(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	if (np_check_mode(r, V_ENTRY_ENABLED, &np->entry_enabled, err) < 0 ||
	    np_check_mode(r, V_DNS_ENABLED, &np->dns_enabled, err) < 0 ||
	    np_check_mode(r, V_DNS_GLOBAL, &np->dns_global, err) < 0 ||
	    np_check_mode(r, V_DNS_INTERCEPT, &np->dns_intercept, err) < 0 ||
	    np_check_mode(r, V_DNS_LOG, &np->dns_log, err) < 0 ||
	    np_check_mode(r, V_ACCESS_ENABLED, &np->access_enabled, err) < 0 ||
	    np_check_mode(r, V_ACCESS_GLOBAL, &np->access_global, err) < 0)
		return -EINVAL;
	if (check_port(r, V_ENTRY_PORT_WORKSTATION, np->entry_enabled,
		       &np->entry_port_workstation, err) < 0 ||
	    check_port(r, V_ENTRY_PORT_ENCLAVE, np->entry_enabled, &np->entry_port_enclave,
		       err) < 0)
		return -EINVAL;
	if (np->dns_global && !np->dns_enabled)
		return np_bad_s(r, V_DNS_GLOBAL, "1", "needs RBRN_UPLINK_DNS_ENABLED=1", err);
	if (np->dns_intercept && !np->dns_enabled)
		return np_bad_s(r, V_DNS_INTERCEPT, "1", "needs RBRN_UPLINK_DNS_ENABLED=1", err);
	if (np->dns_log && !np->dns_enabled)
		return np_bad_s(r, V_DNS_LOG, "1", "needs RBRN_UPLINK_DNS_ENABLED=1", err);
	if (np->access_global && !np->access_enabled)
		return np_bad_s(r, V_ACCESS_GLOBAL, "1", "needs RBRN_UPLINK_ACCESS_ENABLED=1", err);
	/* A nameplate read for use on this host asks the host's resolver;
	 * the fuzzer's parse has no host. */
	if (np->dns_enabled && !np->has_uplink_dns_server)
		return (r->flags & NP_LOADED) ? np_default_dns(r, np, err)
					      : np_bad_s(r, V_UPLINK_DNS_SERVER, "",
							 "required when RBRN_UPLINK_DNS_ENABLED=1", err);
	return 0;
}

/* Step 3. */
static int validate(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	int v;

	for (v = 0; v < V_COUNT; v++)
		if (r->val[v] && check_chars(r, v, r->val[v], err) < 0)
			return -EINVAL;
	if (validate_ids(r, np, err) < 0 || validate_enclave(r, np, err) < 0 ||
	    validate_uplink(r, np, err) < 0 || validate_modes(r, np, err) < 0)
		return -EINVAL;
	if (check_cidrs(r, np, err) < 0 || check_domains(r, np, err) < 0)
		return -EINVAL;
	return np_validate_workload(r, np, err);
}

static int finish(struct rb_nameplate *np, struct np_raw *r, int rc)
{
	raw_free(r);
	if (rc < 0)
		rb_nameplate_free(np);
	return rc;
}

int rb_nameplate_parse(struct rb_nameplate *np, const char *text, size_t len,
		       const char *origin, struct rb_err *err)
{
	struct np_raw r = { .origin = origin };
	int rc;

	if (!np)
		return -EINVAL;
	memset(np, 0, sizeof(*np));
	rc = parse_text(&r, text ? text : "", text ? len : 0, err);
	if (rc == 0)
		rc = validate(&r, np, err);
	return finish(np, &r, rc);
}

int rb_nameplate_load(struct rb_nameplate *np, const char *path, struct rb_err *err)
{
	return rb_nameplate_load_host(np, path, NULL, err);
}

int rb_nameplate_load_host(struct rb_nameplate *np, const char *path,
			   const struct rb_np_host *host, struct rb_err *err)
{
	struct np_raw r = { .origin = path,
			    .flags = NP_LOADED | (host ? NP_CHECK_FILES : 0),
			    .host = host };
	char *text = NULL;
	size_t len = 0;
	int rc = 0;

	if (!np)
		return -EINVAL;
	memset(np, 0, sizeof(*np));
	if (path)
		rc = rb_file_read("nameplate", path, NP_MAX_FILE, &text, &len, err);
	if (rc == 0 && text)
		rc = parse_text(&r, text, len, err);
	free(text);
	if (rc == 0)
		rc = apply_env(&r, err);
	if (rc == 0)
		rc = validate(&r, np, err);
	return finish(np, &r, rc);
}

void rb_nameplate_free(struct rb_nameplate *np)
{
	size_t i;

	if (!np)
		return;
	free(np->cidrs);
	for (i = 0; np->domains && i < np->n_domains; i++)
		free(np->domains[i]);
	free((void *)np->domains);
	free(np->pcidrs);
	free_pnames(np->pdomains, np->n_pdomains);
	np->pcidrs = NULL;
	np->n_pcidrs = 0;
	np->pdomains = NULL;
	np->n_pdomains = 0;
	np_free_workload(np);
	np->cidrs = NULL;
	np->n_cidrs = 0;
	np->domains = NULL;
	np->n_domains = 0;
}

/* Single quotes keep everything literal in sh; a quote inside becomes
 * '\'' (close, escaped quote, reopen). */
void np_put_quoted(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else
			fputc(*s, out);
	}
	fputc('\'', out);
}

void np_put_var(FILE *out, int v, const char *s)
{
	fputs(np_vars[v].name, out);
	fputc('=', out);
	np_put_quoted(out, s);
	fputc('\n', out);
}

static void put_ip(FILE *out, int v, int has, struct in_addr a)
{
	char ip[INET_ADDRSTRLEN] = "";

	if (has)
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
	np_put_var(out, v, ip);
}

static void put_uint(FILE *out, int v, unsigned long n, int has)
{
	char b[24] = "";

	if (has)
		snprintf(b, sizeof(b), "%lu", n);
	np_put_var(out, v, b);
}

int rb_nameplate_print_env(const struct rb_nameplate *np, FILE *out)
{
	char ip[INET_ADDRSTRLEN];
	size_t i;
	int first;

	if (!np || !out)
		return -EINVAL;
	np_put_var(out, V_MONIKER, np->moniker);
	np_put_var(out, V_DESCRIPTION, np->description);
	np_put_var(out, V_SENTRY_IMAGE, np->sentry_image);
	np_put_var(out, V_BOTTLE_IMAGE, np->bottle_image);
	put_uint(out, V_BOTTLE_UID, np->bottle_uid, 1);
	inet_ntop(AF_INET, &np->enclave_subnet.addr, ip, sizeof(ip));
	fprintf(out, "%s='%s/%u'\n", np_vars[V_ENCLAVE_SUBNET].name, ip, np->enclave_subnet.prefix);
	put_ip(out, V_SENTRY_IP, 1, np->sentry_ip);
	put_ip(out, V_BOTTLE_IP, 1, np->bottle_ip);
	np_put_var(out, V_UPLINK_NETWORK, np->uplink_network);
	put_ip(out, V_UPLINK_GATEWAY, np->has_uplink_gateway, np->uplink_gateway);
	put_ip(out, V_UPLINK_DNS_SERVER, np->has_uplink_dns_server, np->uplink_dns_server);
	put_uint(out, V_ENTRY_ENABLED, (unsigned long)np->entry_enabled, 1);
	put_uint(out, V_ENTRY_PORT_WORKSTATION, np->entry_port_workstation,
		 np->entry_port_workstation != 0);
	put_uint(out, V_ENTRY_PORT_ENCLAVE, np->entry_port_enclave, np->entry_port_enclave != 0);
	put_uint(out, V_DNS_ENABLED, (unsigned long)np->dns_enabled, 1);
	put_uint(out, V_DNS_GLOBAL, (unsigned long)np->dns_global, 1);
	put_uint(out, V_DNS_INTERCEPT, (unsigned long)np->dns_intercept, 1);
	put_uint(out, V_DNS_LOG, (unsigned long)np->dns_log, 1);
	put_uint(out, V_ACCESS_ENABLED, (unsigned long)np->access_enabled, 1);
	put_uint(out, V_ACCESS_GLOBAL, (unsigned long)np->access_global, 1);
	/* Lists are validated to [0-9./] and LDH names: no quoting issue. */
	fprintf(out, "%s='", np_vars[V_ALLOWED_CIDRS].name);
	for (i = 0; i < np->n_cidrs; i++) {
		inet_ntop(AF_INET, &np->cidrs[i].addr, ip, sizeof(ip));
		fprintf(out, "%s%s/%u", i ? " " : "", ip, np->cidrs[i].prefix);
	}
	first = np->n_cidrs == 0;
	for (i = 0; i < np->n_pcidrs; i++) {
		char e[INET_ADDRSTRLEN + 4];

		inet_ntop(AF_INET, &np->pcidrs[i].cidr.addr, ip, sizeof(ip));
		snprintf(e, sizeof(e), "%s/%u", ip, np->pcidrs[i].cidr.prefix);
		rb_ports_put(out, e, &np->pcidrs[i].ports, &first);
	}
	fprintf(out, "'\n%s='", np_vars[V_ALLOWED_DOMAINS].name);
	for (i = 0; i < np->n_domains; i++)
		fprintf(out, "%s%s", i ? " " : "", np->domains[i]);
	first = np->n_domains == 0;
	for (i = 0; i < np->n_pdomains; i++)
		rb_ports_put(out, np->pdomains[i].name, &np->pdomains[i].ports, &first);
	fputs("'\n", out);
	return np_print_workload(np, out);
}
