/* ipsets of the sentry's netns with libipset: RB-CIDR (the allowlist) and
 * RB-DNS (what dnsmasq resolved for allowed names). Sets are replaced by
 * filling a temporary set and swapping it in, which the kernel does
 * atomically, so a rule never sees a half-filled set. The set index that an
 * iptables rule carries is looked up with the SO_IP_SET socket option, as
 * iptables' libxt_set does. */
#include "fw_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libipset/ipset.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SET_MAXELEM 262144u
#define TMP_SUFFIX "-new"

static int sockopt_open(unsigned int *version)
{
	struct ip_set_req_version v = { .op = IP_SET_OP_VERSION };
	socklen_t len = sizeof(v);
	int fd, e;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &v, &len) < 0) {
		e = errno ? errno : EIO;
		close(fd);
		return -e;
	}
	*version = v.version;
	return fd;
}

int rb_ipset_index(const char *name, uint16_t *index, struct rb_err *err)
{
	struct ip_set_req_get_set req;
	socklen_t len = sizeof(req);
	unsigned int version = 0;
	int fd, rc = 0;

	if (strlen(name) >= IPSET_MAXNAMELEN)
		return rb_err_config(err, "ipset name \"%s\" is too long", name);
	fd = sockopt_open(&version);
	if (fd < 0)
		return rb_err_set(err, fd, "cannot talk to ipset in the kernel: %s", strerror(-fd));
	memset(&req, 0, sizeof(req));
	req.op = IP_SET_OP_GET_BYNAME;
	req.version = version;
	snprintf(req.set.name, sizeof(req.set.name), "%s", name);
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &req, &len) < 0)
		rc = rb_err_set(err, -errno, "cannot look up ipset %s: %s", name, strerror(errno));
	else if (req.set.index == IPSET_INVALID_ID)
		rc = rb_err_set(err, -ENOENT, "ipset %s does not exist", name);
	else
		*index = req.set.index;
	close(fd);
	return rc;
}

int rb_ipset_name(uint16_t index, char *name, size_t len)
{
	struct ip_set_req_get_set req;
	socklen_t sl = sizeof(req);
	unsigned int version = 0;
	int fd, rc = 0;

	fd = sockopt_open(&version);
	if (fd < 0)
		return fd;
	memset(&req, 0, sizeof(req));
	req.op = IP_SET_OP_GET_BYINDEX;
	req.version = version;
	req.set.index = index;
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &req, &sl) < 0)
		rc = -errno;
	else if (!req.set.name[0] || strnlen(req.set.name, sizeof(req.set.name)) >= len)
		rc = -ENOENT;
	else
		snprintf(name, len, "%.*s", (int)sizeof(req.set.name), req.set.name);
	close(fd);
	return rc;
}

/* One libipset handle whose messages land in ctx instead of stderr, and
 * whose output (list/save) is collected in out. */
struct ictx {
	char msg[256];
	char *out;
	size_t out_len, out_cap;
};

static int on_custom_error(struct ipset *ipset, void *p, int status, const char *msg, ...)
	__attribute__((format(printf, 4, 5)));
static int on_custom_error(struct ipset *ipset, void *p, int status, const char *msg, ...)
{
	struct ictx *c = p;
	va_list ap;

	(void)ipset;
	va_start(ap, msg);
	vsnprintf(c->msg, sizeof(c->msg), msg, ap); // NOLINT(clang-analyzer-valist.Uninitialized): see err.c
	va_end(ap);
	return status ? -1 : 0;
}

static int on_standard_error(struct ipset *ipset, void *p)
{
	struct ictx *c = p;
	struct ipset_session *s = ipset_session(ipset);
	const char *m = ipset_session_report_msg(s);
	enum ipset_err_type type = ipset_session_report_type(s);

	if (m && m[0])
		snprintf(c->msg, sizeof(c->msg), "%s", m);
	ipset_session_report_reset(s);
	return type == IPSET_WARNING ? 0 : -1;
}

static int on_output(struct ipset_session *s, void *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int on_output(struct ipset_session *s, void *p, const char *fmt, ...)
{
	struct ictx *c = p;
	va_list ap;
	int n;

	(void)s;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): see err.c
	va_end(ap);
	if (n < 0)
		return -1;
	if (c->out_len + (size_t)n + 1 > c->out_cap) {
		size_t cap = (c->out_cap ? c->out_cap * 2 : 4096) + (size_t)n;
		char *o = realloc(c->out, cap);

		if (!o)
			return -1;
		c->out = o;
		c->out_cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(c->out + c->out_len, c->out_cap - c->out_len, fmt, ap);
	va_end(ap);
	c->out_len += (size_t)n;
	return n;
}

static struct ipset *ictx_open(struct ictx *c)
{
	struct ipset *is;

	memset(c, 0, sizeof(*c));
	ipset_load_types();
	is = ipset_init();
	if (!is)
		return NULL;
	ipset_custom_printf(is, on_custom_error, on_standard_error, on_output, c);
	return is;
}

/* Runs an `ipset restore` script in the current netns. */
static int run_script(const char *script, size_t len, const char *what, struct rb_err *err)
{
	struct ipset *is = NULL;
	struct ictx c;
	FILE *f = NULL;
	int rc = 0;

	is = ictx_open(&c);
	if (!is)
		return rb_err_set(err, -ENOMEM, "cannot start libipset");
	f = fmemopen((void *)script, len, "r");
	if (!f) {
		rc = rb_err_set(err, -errno, "fmemopen: %s", strerror(errno));
		goto out;
	}
	if (ipset_parse_stream(is, f) != 0)
		rc = rb_err_set(err, -EPROTO, "cannot %s: %s", what,
				c.msg[0] ? c.msg : "ipset refused");
out:
	if (f)
		fclose(f);
	ipset_fini(is);
	free(c.out);
	return rc;
}

struct script {
	char *p;
	size_t len;
	FILE *f;
};

int rb_ipset_ensure(const struct rb_fw_set *set, struct rb_err *err)
{
	char line[160];
	uint16_t idx;
	struct rb_err tmp;
	int rc;

	rc = rb_ipset_index(set->name, &idx, &tmp);
	if (rc == 0)
		return 0;
	if (rc != -ENOENT) {
		*err = tmp;
		return rc;
	}
	snprintf(line, sizeof(line), "create %s %s family inet hashsize 1024 maxelem %u\n",
		 set->name, set->type, SET_MAXELEM);
	return run_script(line, strlen(line), "create an ipset", err);
}

int rb_ipset_replace(const struct rb_fw_set *set, struct rb_err *err)
{
	char tmpname[IPSET_MAXNAMELEN], a[INET_ADDRSTRLEN];
	struct script s = { NULL, 0, NULL };
	int rc;

	if (snprintf(tmpname, sizeof(tmpname), "%s%s", set->name, TMP_SUFFIX) >=
	    (int)sizeof(tmpname))
		return rb_err_config(err, "ipset name %s is too long", set->name);
	s.f = open_memstream(&s.p, &s.len);
	if (!s.f)
		return rb_err_set(err, -errno, "open_memstream: %s", strerror(errno));
	/* a temporary set left over from an interrupted apply is reused */
	fprintf(s.f, "create %s %s family inet hashsize 1024 maxelem %u -exist\n", tmpname,
		set->type, SET_MAXELEM);
	fprintf(s.f, "flush %s\n", tmpname);
	for (size_t i = 0; i < set->n_members; i++) {
		inet_ntop(AF_INET, &set->members[i].addr, a, sizeof(a));
		if (set->members[i].prefix == 32)
			fprintf(s.f, "add %s %s -exist\n", tmpname, a);
		else
			fprintf(s.f, "add %s %s/%u -exist\n", tmpname, a, set->members[i].prefix);
	}
	fprintf(s.f, "swap %s %s\n", tmpname, set->name);
	fprintf(s.f, "destroy %s\n", tmpname);
	if (fclose(s.f) != 0) {
		s.f = NULL;
		rc = rb_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	s.f = NULL;
	rc = run_script(s.p, s.len, "fill an ipset", err);
out:
	free(s.p);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void rb_ipset_members_free(char **m, size_t n)
{
	if (!m)
		return;
	for (size_t i = 0; i < n; i++)
		free(m[i]);
	free(m);
}

int rb_ipset_members(const char *name, char ***out, size_t *n, struct rb_err *err)
{
	struct ipset *is = NULL;
	struct ictx c;
	char cmd[96], prefix[64], **v = NULL;
	size_t k = 0;
	int rc = 0;
	uint16_t idx;

	*out = NULL;
	*n = 0;
	rc = rb_ipset_index(name, &idx, err);
	if (rc < 0)
		return rc;
	is = ictx_open(&c);
	if (!is)
		return rb_err_set(err, -ENOMEM, "cannot start libipset");
	snprintf(cmd, sizeof(cmd), "save %s", name);
	if (ipset_parse_line(is, cmd) != 0) {
		rc = rb_err_set(err, -EPROTO, "cannot list ipset %s: %s", name,
				c.msg[0] ? c.msg : "ipset refused");
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "add %s ", name);
	for (char *line = c.out, *next; line && *line; line = next) {
		char **nv, *m;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		m = line + strlen(prefix);
		m[strcspn(m, " ")] = '\0';
		nv = realloc(v, (k + 1) * sizeof(*v));
		if (!nv)
			goto nomem;
		v = nv;
		if (asprintf(&v[k], strchr(m, '/') ? "%s" : "%s/32", m) < 0)
			goto nomem;
		k++;
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	v = NULL;
	k = 0;
	goto out;
nomem:
	rc = rb_err_set(err, -ENOMEM, "out of memory");
out:
	rb_ipset_members_free(v, k);
	ipset_fini(is);
	free(c.out);
	return rc;
}

int rb_fw_set_test(const char *set, struct in_addr addr, struct rb_err *err)
{
	struct ipset *is = NULL;
	struct ictx c;
	char cmd[96], a[INET_ADDRSTRLEN];
	uint16_t idx;
	int rc;

	rc = rb_ipset_index(set, &idx, err);
	if (rc < 0)
		return rc;
	is = ictx_open(&c);
	if (!is)
		return rb_err_set(err, -ENOMEM, "cannot start libipset");
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(cmd, sizeof(cmd), "test %s %s", set, a);
	/* "is NOT in set" comes back as an error report */
	rc = ipset_parse_line(is, cmd) == 0 ? 1 : 0;
	if (rc == 0 && !strstr(c.msg, "NOT in set"))
		rc = rb_err_set(err, -EPROTO, "cannot test ipset %s: %s", set,
				c.msg[0] ? c.msg : "ipset refused");
	ipset_fini(is);
	free(c.out);
	return rc;
}
