/* The answers sets on xtables: ipset RB-DNS (hash:ip with timeout), and
 * RB-DNS-PORT (hash:ip,port with timeout) for ported names, through
 * one libipset session kept open for the learner's life. Adds use the data
 * API, never libipset's text parser (see lib/ipset.c). */
#include "answers_int.h"
#include "fw.h"
#include "fw_int.h"

#include <arpa/inet.h>
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
	int untagged; /* the sets lack the comment extension (made before rb tagged) */
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

/* The tag, unless the sets cannot hold one. */
static int tag_put(struct rb_answers_ipset *a, const char *tag)
{
	return !tag || a->untagged ? 0 :
				     ipset_data_set(ipset_session_data(a->s), IPSET_OPT_ADT_COMMENT, tag);
}

static int add_one(struct rb_answers_ipset *a, struct in_addr addr, uint32_t timeout,
		   const char *tag, struct rb_err *err)
{
	struct ipset_data *d = ipset_session_data(a->s);

	if (elem(a, RB_FW_SET_DNS, a->dns_type, addr) < 0 ||
	    ipset_data_set(d, IPSET_OPT_TIMEOUT, &timeout) < 0 || tag_put(a, tag) < 0)
		return rb_err_set(err, -EINVAL, "libipset refused an element of %s",
				  RB_FW_SET_DNS);
	/* commit waits for the kernel's acknowledgement */
	if (ipset_cmd(a->s, IPSET_CMD_ADD, 0) < 0 || ipset_commit(a->s) < 0)
		return rb_err_set(err, -EPROTO, "cannot add to ipset %s: %s", RB_FW_SET_DNS,
				  msg(a));
	return 0;
}

/* 1 when an add refused with a tag is worth trying again without: a set
 * an older rb made has no comment extension, so nothing is tagged from now
 * on (such elements go at the next narrowing). */
static int retry_untagged(struct rb_answers_ipset *a, int rc, const char *tag,
			  struct rb_err *err)
{
	if (rc != -EPROTO || !tag || a->untagged)
		return 0;
	a->untagged = 1;
	memset(err, 0, sizeof(*err));
	return 1;
}

int rb_answers_ipset_add(struct rb_answers_ipset *a, struct in_addr addr, uint32_t timeout,
			 const char *tag, struct rb_err *err)
{
	int rc = add_one(a, addr, timeout, tag, err);

	if (retry_untagged(a, rc, tag, err))
		rc = add_one(a, addr, timeout, tag, err);
	return rc;
}

static int add_ports(struct rb_answers_ipset *a, struct in_addr addr, const struct rb_ports *p,
		     uint32_t timeout, const char *tag, struct rb_err *err)
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
		    ipset_data_set(d, IPSET_OPT_TIMEOUT, &timeout) < 0 || tag_put(a, tag) < 0)
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

int rb_answers_ipset_add_ports(struct rb_answers_ipset *a, struct in_addr addr,
			       const struct rb_ports *p, uint32_t timeout, const char *tag,
			       struct rb_err *err)
{
	int rc = add_ports(a, addr, p, timeout, tag, err);

	if (retry_untagged(a, rc, tag, err))
		rc = add_ports(a, addr, p, timeout, tag, err);
	return rc;
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

/* One `ipset save` member line of an answers set: "a.b.c.d timeout 59
 * comment \"tag\"", or "a.b.c.d,tcp:443 ..." in the ported one. The tag
 * is copied out when it is one rb writes. -EINVAL for anything else. */
static int member_read(const char *line, int ported, struct in_addr *addr, uint8_t *proto,
		       uint16_t *port, char *tag, size_t len)
{
	char ip[INET_ADDRSTRLEN], pr[4];
	const char *c = strstr(line, " comment \"");
	unsigned int pt = 0;
	int n = 0;

	tag[0] = '\0';
	*proto = 0;
	*port = 0;
	if (ported) {
		if (sscanf(line, "%15[0-9.],%3[a-z]:%5u%n", ip, pr, &pt, &n) != 3 || pt < 1 ||
		    pt > 65535 || (strcmp(pr, "tcp") != 0 && strcmp(pr, "udp") != 0))
			return -EINVAL;
		*proto = strcmp(pr, "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
		*port = (uint16_t)pt;
	} else if (sscanf(line, "%15[0-9.]%n", ip, &n) != 1) {
		return -EINVAL;
	}
	if ((line[n] != ' ' && line[n] != '\0') || inet_pton(AF_INET, ip, addr) != 1)
		return -EINVAL;
	if (c) {
		size_t l;

		c += strlen(" comment \"");
		l = strcspn(c, "\"");
		if (l < len && c[l] == '"') {
			memcpy(tag, c, l);
			tag[l] = '\0';
			if (!rb_answers_tag(tag))
				tag[0] = '\0';
		}
	}
	return 0;
}

static int prune_set(struct rb_answers_ipset *a, const char *set, const struct ipset_type *t,
		     rb_answers_keep_fn keep, const void *ctx, size_t *dropped, struct rb_err *err)
{
	struct ipset_data *d = ipset_session_data(a->s);
	char **lines = NULL, tag[RB_ANSWERS_TAG_MAX + 1];
	size_t n = 0;
	int rc = rb_ipset_member_lines(set, &lines, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct in_addr addr;
		uint8_t proto;
		uint16_t port;

		if (member_read(lines[i], t == a->port_type, &addr, &proto, &port, tag,
				sizeof(tag)) < 0) {
			rc = rb_err_set(err, -EPROTO, "ipset %s has a member rb does not know: %s",
					set, lines[i]);
			break;
		}
		if (keep(ctx, tag[0] ? tag : NULL, proto, port))
			continue;
		/* IPSET_ENV_EXIST: one that expired since the listing is no error */
		if (elem(a, set, t, addr) < 0 ||
		    (port && (ipset_data_set(d, IPSET_OPT_PROTO, &proto) < 0 ||
			      ipset_data_set(d, IPSET_OPT_PORT, &port) < 0))) {
			rc = rb_err_set(err, -EINVAL, "libipset refused an element of %s", set);
			break;
		}
		if (ipset_cmd(a->s, IPSET_CMD_DEL, 0) < 0 || ipset_commit(a->s) < 0)
			rc = rb_err_set(err, -EPROTO, "cannot delete from ipset %s: %s", set, msg(a));
		else
			(*dropped)++;
	}
	rb_ipset_members_free(lines, n);
	return rc;
}

int rb_answers_ipset_prune(struct rb_answers_ipset *a, rb_answers_keep_fn keep, const void *ctx,
			   size_t *dropped, struct rb_err *err)
{
	int rc = prune_set(a, RB_FW_SET_DNS, a->dns_type, keep, ctx, dropped, err);

	if (rc == 0 && a->port_type)
		rc = prune_set(a, RB_FW_SET_DNS_PORT, a->port_type, keep, ctx, dropped, err);
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
