/* ipsets of the sentry's netns with libipset: RB-CIDR (the allowlist),
 * RB-CIDR-PORT (its ported entries), RB-DNS (the learned answers of allowed
 * names) and RB-DNS-PORT (those of ported names). Sets are replaced by
 * filling a temporary set and swapping it in, which the kernel does
 * atomically, so a rule never sees a half-filled set. The set index that an
 * iptables rule carries is looked up with the SO_IP_SET socket option, as
 * iptables' libxt_set does. */
#include "fw_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libipset/data.h>
#include <libipset/nfproto.h>
#include <libipset/session.h>
#include <libipset/types.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SET_MAXELEM 262144u /* RB-DNS grows at run time */
#define SET_HASHSIZE_MIN 1024u /* the kernel's default */
#define SET_HASHSIZE_MAX (1u << 20)

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
		return rb_err_sys(err, -fd, "cannot talk to ipset in the kernel");
	memset(&req, 0, sizeof(req));
	req.op = IP_SET_OP_GET_BYNAME;
	req.version = version;
	snprintf(req.set.name, sizeof(req.set.name), "%s", name);
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &req, &len) < 0)
		rc = rb_err_sys(err, errno, "cannot look up ipset %s", name);
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

/* One libipset session. Every command is built with libipset's data API,
 * never its text parser: the parser resolves each address it reads with
 * gethostbyname2(), which re-reads /etc/resolv.conf every time (most of the
 * time of a large fill) and has no business running in a firewall. A
 * listing's output is collected in out. */
struct sess {
	struct ipset_session *s;
	char *out;
	size_t out_len, out_cap;
	char msg[256];
};

static int on_output(struct ipset_session *s, void *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int on_output(struct ipset_session *s, void *p, const char *fmt, ...)
{
	struct sess *x = p;
	va_list ap;
	int n;

	(void)s;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): see err.c
	va_end(ap);
	if (n < 0)
		return -1;
	if (x->out_len + (size_t)n + 1 > x->out_cap) {
		size_t cap = (x->out_cap ? x->out_cap * 2 : 4096) + (size_t)n;
		char *o = realloc(x->out, cap);

		if (!o)
			return -1;
		x->out = o;
		x->out_cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(x->out + x->out_len, x->out_cap - x->out_len, fmt, ap);
	va_end(ap);
	x->out_len += (size_t)n;
	return n;
}

static int sess_open(struct sess *x, struct rb_err *err)
{
	memset(x, 0, sizeof(*x));
	ipset_load_types();
	x->s = ipset_session_init(on_output, x);
	if (!x->s)
		return rb_err_set(err, -ENOMEM, "cannot start libipset");
	return 0;
}

static void sess_close(struct sess *x)
{
	if (x->s)
		ipset_session_fini(x->s);
	free(x->out);
}

/* Starts a command: no field or message of the last one may leak into it. */
static struct ipset_data *sess_begin(struct sess *x)
{
	struct ipset_data *d = ipset_session_data(x->s);

	ipset_data_reset(d);
	ipset_session_report_reset(x->s);
	return d;
}

/* What libipset said about the last failure, without its trailing newline.
 * A batched command's error starts "Error in line N: ", N being the lineno
 * the command was given: that goes to *line (0 if there is none). */
static const char *sess_msg(struct sess *x, uint32_t *line)
{
	static const char pre[] = "Error in line ";
	const char *m = ipset_session_report_msg(x->s);
	size_t len;

	if (line)
		*line = 0;
	if (strncmp(m, pre, sizeof(pre) - 1) == 0) {
		char *end;
		unsigned long n = strtoul(m + sizeof(pre) - 1, &end, 10);

		if (end[0] == ':' && end[1] == ' ') {
			if (line && n <= UINT32_MAX)
				*line = (uint32_t)n;
			m = end + 2;
		}
	}
	snprintf(x->msg, sizeof(x->msg), "%s", m[0] ? m : "ipset refused");
	len = strlen(x->msg);
	while (len && x->msg[len - 1] == '\n')
		x->msg[--len] = '\0';
	ipset_session_report_reset(x->s);
	return x->msg;
}

/* flush, destroy, save (name) or swap (name, name2). */
static int set_cmd(struct sess *x, enum ipset_cmd cmd, const char *name, const char *name2)
{
	struct ipset_data *d = sess_begin(x);

	if (ipset_data_set(d, IPSET_SETNAME, name) < 0 ||
	    (name2 && ipset_data_set(d, IPSET_OPT_SETNAME2, name2) < 0))
		return -EINVAL;
	return ipset_cmd(x->s, cmd, 0) < 0 ? -EPROTO : 0;
}

/* Creates an IPv4 set sized for n members: room for them (never less than
 * SET_MAXELEM) and a bucket per member, so the fill never has to grow the
 * hash (a bucket holds a few entries; growing rehashes the whole set).
 * *type: the libipset type the adds need. */
static int set_create(struct sess *x, const char *name, const char *typename, size_t n,
		      uint32_t timeout, const struct ipset_type **type, struct rb_err *err)
{
	struct ipset_data *d = sess_begin(x);
	const struct ipset_type *t = NULL;
	uint8_t family = NFPROTO_IPV4;
	uint32_t hashsize = SET_HASHSIZE_MIN, maxelem = SET_MAXELEM;
	bool with_comment = true;

	while (hashsize < n && hashsize < SET_HASHSIZE_MAX)
		hashsize <<= 1;
	if (n > maxelem)
		maxelem = n < UINT32_MAX ? (uint32_t)n : UINT32_MAX;
	if (ipset_data_set(d, IPSET_SETNAME, name) < 0 ||
	    ipset_data_set(d, IPSET_OPT_TYPENAME, typename) < 0 ||
	    ipset_data_set(d, IPSET_OPT_FAMILY, &family) < 0 ||
	    !(t = ipset_type_get(x->s, IPSET_CMD_CREATE)) ||
	    ipset_data_set(d, IPSET_OPT_HASHSIZE, &hashsize) < 0 ||
	    ipset_data_set(d, IPSET_OPT_MAXELEM, &maxelem) < 0 ||
	    (timeout && ipset_data_set(d, IPSET_OPT_TIMEOUT, &timeout) < 0) ||
	    /* sets with a timeout hold the learned answers, tagged (answers.h) */
	    (timeout && ipset_data_set(d, IPSET_OPT_CREATE_COMMENT, &with_comment) < 0) ||
	    ipset_cmd(x->s, IPSET_CMD_CREATE, 0) < 0)
		return rb_err_set(err, -EPROTO, "cannot create ipset %s (%s): %s", name, typename,
				  sess_msg(x, NULL));
	if (type)
		*type = t;
	return 0;
}


/* Adds set's members to `name`. libipset packs consecutive adds into one
 * netlink message per page, as `ipset restore` does; each carries its
 * index + 1 as lineno, which the kernel hands back with a refusal. A /32
 * goes without a prefix: in a hash:ip set a prefix means a range. */
static int set_fill(struct sess *x, const char *name, const struct ipset_type *type,
		    const struct rb_fw_set *set, struct rb_err *err)
{
	struct ipset_data *d = sess_begin(x);
	uint8_t family = NFPROTO_IPV4;
	uint32_t line;
	char c[64];
	const char *msg;
	size_t i;

	if (set->n_members >= UINT32_MAX)
		return rb_err_config(err, "ipset %s: too many members", set->name);
	for (i = 0; i < set->n_members; i++) {
		const struct rb_cidr *m = &set->members[i];
		uint8_t prefix = (uint8_t)m->prefix;

		if (m->prefix > 32) {
			rb_fw_member_str(set, i, c, sizeof(c));
			return rb_err_config(err, "cannot add %s to ipset %s: bad prefix", c,
					     set->name);
		}
		/* ipset_cmd() clears the fields after every command */
		if (ipset_data_set(d, IPSET_SETNAME, name) < 0 ||
		    ipset_data_set(d, IPSET_OPT_TYPE, type) < 0 ||
		    ipset_data_set(d, IPSET_OPT_FAMILY, &family) < 0 ||
		    ipset_data_set(d, IPSET_OPT_IP, &m->addr) < 0 ||
		    (m->prefix != 32 && ipset_data_set(d, IPSET_OPT_CIDR, &prefix) < 0) ||
		    (set->ports && (ipset_data_set(d, IPSET_OPT_PROTO, &set->ports[i].proto) < 0 ||
				    ipset_data_set(d, IPSET_OPT_PORT, &set->ports[i].port) < 0))) {
			rb_fw_member_str(set, i, c, sizeof(c));
			return rb_err_set(err, -EINVAL, "cannot add %s to ipset %s: libipset refused it",
					  c, set->name);
		}
		if (ipset_cmd(x->s, IPSET_CMD_ADD, (uint32_t)(i + 1)) < 0)
			goto refused;
	}
	if (ipset_commit(x->s) < 0)
		goto refused;
	return 0;
refused:
	msg = sess_msg(x, &line);
	if (line >= 1 && line <= set->n_members)
		i = line - 1;
	if (i >= set->n_members)
		return rb_err_set(err, -EPROTO, "cannot fill ipset %s: %s", set->name, msg);
	rb_fw_member_str(set, i, c, sizeof(c));
	return rb_err_set(err, -EPROTO, "cannot add %s to ipset %s: %s", c, set->name, msg);
}

int rb_ipset_ensure(const struct rb_fw_set *set, struct rb_err *err)
{
	uint16_t idx;
	struct rb_err tmp;
	struct sess x;
	int rc;

	rc = rb_ipset_index(set->name, &idx, &tmp);
	if (rc == 0)
		return 0;
	/* ENOPROTOOPT: ip_set is a module that nothing has loaded yet (a
	 * stock Debian kernel), so it has no sets; the create below goes
	 * through nfnetlink, which loads it (found by make check-vm) */
	if (rc != -ENOENT && rc != -ENOPROTOOPT) {
		*err = tmp;
		return rc;
	}
	rc = sess_open(&x, err);
	if (rc < 0)
		return rc;
	rc = set_create(&x, set->name, set->type, 0, set->timeout, NULL, err);
	sess_close(&x);
	return rc;
}

/* Fills a temporary set and swaps it in: the live set, which rules
 * reference, is never empty or half-filled. */
int rb_ipset_replace(const struct rb_fw_set *set, struct rb_err *err)
{
	char tmpname[IPSET_MAXNAMELEN];
	const struct ipset_type *type = NULL;
	struct sess x;
	int rc;

	if (snprintf(tmpname, sizeof(tmpname), "%s%s", set->name, RB_IPSET_TMP_SUFFIX) >=
	    (int)sizeof(tmpname))
		return rb_err_config(err, "ipset name %s is too long", set->name);
	rc = sess_open(&x, err);
	if (rc < 0)
		return rc;
	/* a temporary set left over from an interrupted apply is rb's own
	 * and may have another size or type: destroyed, never reused (a
	 * missing one is no error). A member listed twice is no error. */
	set_cmd(&x, IPSET_CMD_DESTROY, tmpname, NULL);
	ipset_envopt_set(x.s, IPSET_ENV_EXIST);
	rc = set_create(&x, tmpname, set->type, set->n_members, set->timeout, &type, err);
	if (rc < 0)
		goto out;
	rc = set_cmd(&x, IPSET_CMD_FLUSH, tmpname, NULL);
	if (rc < 0) {
		rc = rb_err_set(err, rc, "cannot flush ipset %s: %s", tmpname, sess_msg(&x, NULL));
		goto drop;
	}
	rc = set_fill(&x, tmpname, type, set, err);
	if (rc < 0)
		goto drop;
	rc = set_cmd(&x, IPSET_CMD_SWAP, tmpname, set->name);
	if (rc < 0) {
		rc = rb_err_set(err, rc, "cannot swap ipset %s into %s: %s", tmpname, set->name,
				sess_msg(&x, NULL));
		goto drop;
	}
	/* tmpname holds the old members now, referenced by nothing */
	if (set_cmd(&x, IPSET_CMD_DESTROY, tmpname, NULL) < 0)
		rc = rb_err_set(err, -EPROTO, "cannot destroy ipset %s: %s", tmpname,
				sess_msg(&x, NULL));
	goto out;
drop:
	/* the live set is as it was; no half-filled set is left behind */
	set_cmd(&x, IPSET_CMD_DESTROY, tmpname, NULL);
out:
	sess_close(&x);
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
	free((void *)m);
}

static int members(const char *name, int raw, char ***out, size_t *n, struct rb_err *err)
{
	struct sess x;
	char prefix[64], **v = NULL;
	size_t k = 0, cap = 0;
	int rc = 0;
	uint16_t idx;

	*out = NULL;
	*n = 0;
	/* -ENOENT for a set that is not there; the index lookup needs a raw
	 * socket (CAP_NET_RAW), which the learner, the caller of the raw
	 * listing, does not hold: it lists sets it knows exist */
	if (!raw) {
		rc = rb_ipset_index(name, &idx, err);
		if (rc < 0)
			return rc;
	}
	rc = sess_open(&x, err);
	if (rc < 0)
		return rc;
	ipset_session_output(x.s, IPSET_LIST_SAVE);
	if (set_cmd(&x, IPSET_CMD_SAVE, name, NULL) < 0) {
		rc = rb_err_set(err, -EPROTO, "cannot list ipset %s: %s", name, sess_msg(&x, NULL));
		goto out;
	}
	snprintf(prefix, sizeof(prefix), "add %s ", name);
	for (char *line = x.out, *next; line && *line; line = next) {
		char **nv, *m;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, prefix, strlen(prefix)) != 0)
			continue;
		m = line + strlen(prefix);
		if (!raw)
			rb_cut_at(m, " ");
		if (k == cap) {
			/* doubling: a set holds up to 65,536 members */
			cap = cap ? cap * 2 : 64;
			nv = (char **)realloc((void *)v, cap * sizeof(*v));
			if (!nv)
				goto nomem;
			v = nv;
		}
		if (raw) {
			v[k] = strdup(m);
			if (!v[k])
				goto nomem;
		} else {
			/* "a.b.c.d,tcp:443": the address gets its /32 before the port */
			const char *port = strchr(m, ',');
			int alen = port ? (int)(port - m) : (int)strlen(m);

			if (asprintf(&v[k], "%.*s%s%s", alen, m,
				     memchr(m, '/', (size_t)alen) ? "" : "/32", port ? port : "") < 0)
				goto nomem;
		}
		k++;
	}
	if (k > 1)
		qsort((void *)v, k, sizeof(*v), cmp_str);
	*out = v;
	*n = k;
	v = NULL;
	k = 0;
	goto out;
nomem:
	rc = rb_err_oom(err);
out:
	rb_ipset_members_free(v, k);
	sess_close(&x);
	return rc;
}

int rb_ipset_members(const char *name, char ***out, size_t *n, struct rb_err *err)
{
	return members(name, 0, out, n, err);
}

int rb_ipset_member_lines(const char *name, char ***out, size_t *n, struct rb_err *err)
{
	return members(name, 1, out, n, err);
}

int rb_fw_set_test(const char *set, struct in_addr addr, struct rb_err *err)
{
	struct ipset_data *d;
	struct sess x;
	char a[INET_ADDRSTRLEN];
	uint16_t idx;
	int rc;

	rc = rb_ipset_index(set, &idx, err);
	if (rc < 0)
		return rc;
	rc = sess_open(&x, err);
	if (rc < 0)
		return rc;
	d = sess_begin(&x);
	/* the set's type and family come from the kernel */
	if (ipset_data_set(d, IPSET_SETNAME, set) < 0 || !ipset_type_get(x.s, IPSET_CMD_TEST) ||
	    ipset_data_set(d, IPSET_OPT_IP, &addr) < 0) {
		rc = rb_err_set(err, -EPROTO, "cannot test ipset %s: %s", set, sess_msg(&x, NULL));
		goto out;
	}
	if (ipset_cmd(x.s, IPSET_CMD_TEST, 0) == 0)
		rc = 1;
	else if (ipset_session_report_type(x.s) == IPSET_NOTICE) /* "is NOT in set" */
		rc = 0;
	else {
		inet_ntop(AF_INET, &addr, a, sizeof(a));
		rc = rb_err_set(err, -EPROTO, "cannot test %s in ipset %s: %s", a, set,
				sess_msg(&x, NULL));
	}
out:
	sess_close(&x);
	return rc;
}

int rb_ipset_destroy(const char *name, struct rb_err *err)
{
	struct rb_err tmp;
	struct sess x;
	uint16_t idx;
	int rc;

	rc = rb_ipset_index(name, &idx, &tmp);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		*err = tmp;
		return rc;
	}
	rc = sess_open(&x, err);
	if (rc < 0)
		return rc;
	if (set_cmd(&x, IPSET_CMD_DESTROY, name, NULL) < 0)
		rc = rb_err_set(err, -EPROTO, "cannot destroy ipset %s: %s", name,
				sess_msg(&x, NULL));
	sess_close(&x);
	return rc;
}

int rb_ipset_usable(void)
{
	unsigned int version = 0;
	int fd = sockopt_open(&version);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}
