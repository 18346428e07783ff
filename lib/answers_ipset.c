/* The answers sets on xtables: ipset RB-DNS (hash:ip with timeout), and
 * RB-DNS-PORT (hash:ip,port with timeout) for ported names, through
 * one libipset session kept open for the learner's life. Adds use the data
 * API, never libipset's text parser (see lib/ipset.c). */
#include "answers_int.h"
#include "fw.h"

#include <errno.h>
#include <libipset/data.h>
#include <libipset/nfproto.h>
#include <libipset/session.h>
#include <libipset/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rb_answers_ipset {
	struct ipset_session *s;
	const struct ipset_type *dns_type, *host_type;
	const struct ipset_type *port_type; /* NULL: the policy has no ported names */
};

/* libipset prints nothing the learner needs (no listings here) */
static int quiet(struct ipset_session *s, void *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int quiet(struct ipset_session *s, void *p, const char *fmt, ...)
{
	(void)s;
	(void)p;
	(void)fmt;
	return 0;
}

static const char *msg(struct rb_answers_ipset *a)
{
	const char *m = ipset_session_report_msg(a->s);

	return m && m[0] ? m : "ipset refused";
}

static int type_of(struct rb_answers_ipset *a, const char *set, const struct ipset_type **t,
		   struct rb_err *err)
{
	struct ipset_data *d = ipset_session_data(a->s);

	ipset_data_reset(d);
	ipset_session_report_reset(a->s);
	if (ipset_data_set(d, IPSET_SETNAME, set) < 0 ||
	    !(*t = ipset_type_get(a->s, IPSET_CMD_ADD)))
		return rb_err_set(err, -ENOENT, "ipset %s: %s", set, msg(a));
	return 0;
}

int rb_answers_ipset_open(struct rb_answers_ipset **out, struct rb_err *err)
{
	struct rb_answers_ipset *a;
	int rc;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return rb_err_oom(err);
	ipset_load_types();
	a->s = ipset_session_init(quiet, a);
	if (!a->s) {
		free(a);
		return rb_err_set(err, -ENOMEM, "cannot start libipset");
	}
	/* an element there already gets the new timeout */
	ipset_envopt_set(a->s, IPSET_ENV_EXIST);
	rc = type_of(a, RB_FW_SET_DNS, &a->dns_type, err);
	if (rc == 0)
		rc = type_of(a, RB_FW_SET_HOST, &a->host_type, err);
	if (rc == 0) {
		struct rb_err none;

		if (type_of(a, RB_FW_SET_DNS_PORT, &a->port_type, &none) < 0)
			a->port_type = NULL;
	}
	if (rc < 0) {
		rb_answers_ipset_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

static int elem(struct rb_answers_ipset *a, const char *set, const struct ipset_type *t,
		struct in_addr addr)
{
	struct ipset_data *d = ipset_session_data(a->s);
	uint8_t family = NFPROTO_IPV4;

	ipset_data_reset(d);
	ipset_session_report_reset(a->s);
	if (ipset_data_set(d, IPSET_SETNAME, set) < 0 || ipset_data_set(d, IPSET_OPT_TYPE, t) < 0 ||
	    ipset_data_set(d, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_data_set(d, IPSET_OPT_IP, &addr) < 0)
		return -EINVAL;
	return 0;
}

int rb_answers_ipset_add(struct rb_answers_ipset *a, struct in_addr addr, uint32_t timeout,
		   struct rb_err *err)
{
	struct ipset_data *d = ipset_session_data(a->s);

	if (elem(a, RB_FW_SET_DNS, a->dns_type, addr) < 0 ||
	    ipset_data_set(d, IPSET_OPT_TIMEOUT, &timeout) < 0)
		return rb_err_set(err, -EINVAL, "libipset refused an element of %s",
				  RB_FW_SET_DNS);
	/* commit waits for the kernel's acknowledgement */
	if (ipset_cmd(a->s, IPSET_CMD_ADD, 0) < 0 || ipset_commit(a->s) < 0)
		return rb_err_set(err, -EPROTO, "cannot add to ipset %s: %s", RB_FW_SET_DNS,
				  msg(a));
	return 0;
}

int rb_answers_ipset_add_ports(struct rb_answers_ipset *a, struct in_addr addr,
			       const struct rb_ports *p, uint32_t timeout, struct rb_err *err)
{
	struct ipset_data *d = ipset_session_data(a->s);

	if (!a->port_type)
		return rb_err_set(err, -ENOENT, "ipset %s does not exist", RB_FW_SET_DNS_PORT);
	/* one add per range (the kernel adds each port of it), one commit */
	for (unsigned int i = 0; i < p->n; i++) {
		uint8_t proto = p->r[i].proto;
		uint16_t lo = p->r[i].lo, hi = p->r[i].hi;

		if (elem(a, RB_FW_SET_DNS_PORT, a->port_type, addr) < 0 ||
		    ipset_data_set(d, IPSET_OPT_PROTO, &proto) < 0 ||
		    ipset_data_set(d, IPSET_OPT_PORT, &lo) < 0 ||
		    (hi != lo && ipset_data_set(d, IPSET_OPT_PORT_TO, &hi) < 0) ||
		    ipset_data_set(d, IPSET_OPT_TIMEOUT, &timeout) < 0)
			return rb_err_set(err, -EINVAL, "libipset refused an element of %s",
					  RB_FW_SET_DNS_PORT);
		if (ipset_cmd(a->s, IPSET_CMD_ADD, i + 1) < 0)
			return rb_err_set(err, -EPROTO, "cannot add to ipset %s: %s",
					  RB_FW_SET_DNS_PORT, msg(a));
	}
	if (ipset_commit(a->s) < 0)
		return rb_err_set(err, -EPROTO, "cannot add to ipset %s: %s", RB_FW_SET_DNS_PORT,
				  msg(a));
	return 0;
}

int rb_answers_ipset_host(struct rb_answers_ipset *a, struct in_addr addr, struct rb_err *err)
{
	if (elem(a, RB_FW_SET_HOST, a->host_type, addr) < 0)
		return rb_err_set(err, -EINVAL, "libipset refused an element of %s",
				  RB_FW_SET_HOST);
	if (ipset_cmd(a->s, IPSET_CMD_TEST, 0) == 0)
		return 1;
	if (ipset_session_report_type(a->s) == IPSET_NOTICE) /* "is NOT in set" */
		return 0;
	return rb_err_set(err, -EPROTO, "cannot test ipset %s: %s", RB_FW_SET_HOST, msg(a));
}

static int flush_one(struct rb_answers_ipset *a, const char *set, struct rb_err *err)
{
	struct ipset_data *d = ipset_session_data(a->s);

	ipset_data_reset(d);
	ipset_session_report_reset(a->s);
	if (ipset_data_set(d, IPSET_SETNAME, set) < 0 || ipset_cmd(a->s, IPSET_CMD_FLUSH, 0) < 0)
		return rb_err_set(err, -EPROTO, "cannot empty ipset %s: %s", set, msg(a));
	return 0;
}

int rb_answers_ipset_flush(struct rb_answers_ipset *a, struct rb_err *err)
{
	int rc = flush_one(a, RB_FW_SET_DNS, err);

	if (rc == 0 && a->port_type)
		rc = flush_one(a, RB_FW_SET_DNS_PORT, err);
	return rc;
}

void rb_answers_ipset_close(struct rb_answers_ipset *a)
{
	if (!a)
		return;
	if (a->s)
		ipset_session_fini(a->s);
	free(a);
}
