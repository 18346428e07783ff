/* Probes (see probe.h): SPEC parsing, the parallel probe engine, and the
 * prober child that runs it inside the bottle's netns as the bottle's uid. */
#include "probe.h"
#include "addr.h"
#include "utils.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

/* ---- SPEC parsing ---------------------------------------------------- */

/* ADDR at s: IPv4 up to the next ':' (or the end), or [IPv6%if]. *rest
 * points after the address (at ':' or '\0'). */
static int parse_addr(char *s, struct rb_probe *p, char **rest)
{
	if (*s == '[') {
		char *close = strchr(s, ']'), *pct;

		if (!close)
			return -EINVAL;
		*close = '\0';
		pct = strchr(s + 1, '%');
		if (pct) {
			*pct = '\0';
			if (!rb_ifname_valid(pct + 1))
				return -EINVAL;
			snprintf(p->ifname, sizeof(p->ifname), "%s", pct + 1);
		}
		if (inet_pton(AF_INET6, s + 1, &p->addr6) != 1)
			return -EINVAL;
		p->family = AF_INET6;
		*rest = close + 1;
		return 0;
	}
	{
		char *colon = strchr(s, ':');

		if (colon)
			*colon = '\0';
		if (rb_parse_ipv4(s, &p->addr4) < 0)
			return -EINVAL;
		p->family = AF_INET;
		if (colon) {
			*colon = ':';
			*rest = colon;
		} else {
			*rest = s + strlen(s);
		}
	}
	return 0;
}

static int name_ok(const char *name)
{
	uint8_t q[RB_DNS_QUERY_MAX];

	return rb_dns_query_build(q, sizeof(q), 0, name, RB_DNS_TYPE_A) > 0;
}

int rb_probe_parse(const char *spec, struct rb_probe *p, struct rb_err *err)
{
	char buf[RB_PROBE_SPEC_MAX], *kind, *target, *eq, *rest = NULL;
	const char *why = "expected KIND:TARGET[=pass|fail|nxdomain]";

	memset(p, 0, sizeof(*p));
	if (!spec || strlen(spec) >= sizeof(buf))
		return rb_err_config(err, "bad probe \"%.64s...\": too long", spec ? spec : "");
	snprintf(buf, sizeof(buf), "%s", spec);
	eq = strrchr(buf, '=');
	if (eq) {
		*eq = '\0';
		if (!strcmp(eq + 1, "pass"))
			p->expect = RB_EXPECT_PASS;
		else if (!strcmp(eq + 1, "fail"))
			p->expect = RB_EXPECT_FAIL;
		else if (!strcmp(eq + 1, "nxdomain"))
			p->expect = RB_EXPECT_NXDOMAIN;
		else {
			why = "expectation must be pass, fail or nxdomain";
			goto bad;
		}
	}
	kind = buf;
	target = strchr(buf, ':');
	if (!target)
		goto bad;
	*target++ = '\0';

	if (!strcmp(kind, "tcp") || !strcmp(kind, "udp")) {
		p->kind = kind[0] == 't' ? RB_PROBE_TCP : RB_PROBE_UDP;
		why = "expected tcp|udp:ADDR:PORT with ADDR an IPv4 address or [IPv6]";
		if (parse_addr(target, p, &rest) < 0 || *rest != ':')
			goto bad;
		why = RB_WHY_PORT;
		if (rb_parse_port(rest + 1, &p->port) < 0)
			goto bad;
	} else if (!strcmp(kind, "icmp")) {
		p->kind = RB_PROBE_ICMP;
		why = "expected icmp:IPV4 (ICMP probes are IPv4 only)";
		if (parse_addr(target, p, &rest) < 0 || *rest || p->family != AF_INET)
			goto bad;
	} else if (!strcmp(kind, "dns")) {
		p->kind = RB_PROBE_DNS;
		p->to_sentry = 1;
		p->family = AF_INET;
		p->port = 53;
		why = "expected dns:NAME with NAME a valid DNS name";
		if (!name_ok(target))
			goto bad;
		snprintf(p->name, sizeof(p->name), "%s", target);
	} else if (!strcmp(kind, "udp-dns") || !strcmp(kind, "tcp-dns")) {
		p->kind = kind[0] == 'u' ? RB_PROBE_DNS : RB_PROBE_TCP_DNS;
		p->port = 53;
		why = "expected udp-dns|tcp-dns:ADDR:NAME";
		if (parse_addr(target, p, &rest) < 0 || *rest != ':')
			goto bad;
		why = "expected udp-dns|tcp-dns:ADDR:NAME with NAME a valid DNS name";
		if (!name_ok(rest + 1))
			goto bad;
		snprintf(p->name, sizeof(p->name), "%s", rest + 1);
	} else {
		why = "KIND must be tcp, udp, icmp, dns, udp-dns or tcp-dns";
		goto bad;
	}
	if (p->expect == RB_EXPECT_NXDOMAIN && p->kind != RB_PROBE_DNS &&
	    p->kind != RB_PROBE_TCP_DNS) {
		why = "nxdomain is an expectation for DNS probes only";
		goto bad;
	}
	return 0;
bad:
	return rb_err_config(err, "bad probe \"%s\": %s", spec, why);
}

/* ---- text ------------------------------------------------------------ */

const char *rb_probe_kind_str(const struct rb_probe *p)
{
	switch (p->kind) {
	case RB_PROBE_TCP:
		return "tcp";
	case RB_PROBE_UDP:
		return "udp";
	case RB_PROBE_ICMP:
		return "icmp";
	case RB_PROBE_DNS:
		return p->to_sentry ? "dns" : "udp-dns";
	case RB_PROBE_TCP_DNS:
		return "tcp-dns";
	}
	return "?";
}

const char *rb_probe_expect_str(enum rb_probe_expect e)
{
	switch (e) {
	case RB_EXPECT_PASS:
		return "pass";
	case RB_EXPECT_FAIL:
		return "fail";
	case RB_EXPECT_NXDOMAIN:
		return "nxdomain";
	case RB_EXPECT_AUTO:
		break;
	}
	return "auto";
}

static void addr_str(const struct rb_probe *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "";

	if (p->family == AF_INET6) {
		inet_ntop(AF_INET6, &p->addr6, a, sizeof(a));
		snprintf(buf, len, "[%s%s%s]", a, p->ifname[0] ? "%" : "", p->ifname);
	} else {
		inet_ntop(AF_INET, &p->addr4, a, sizeof(a));
		snprintf(buf, len, "%s", a);
	}
}

void rb_probe_target(const struct rb_probe *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + IFNAMSIZ + 4];

	addr_str(p, a, sizeof(a));
	switch (p->kind) {
	case RB_PROBE_ICMP:
		snprintf(buf, len, "%s", a);
		break;
	case RB_PROBE_DNS:
	case RB_PROBE_TCP_DNS:
		snprintf(buf, len, "%s:%u %s", a, p->port, p->name);
		break;
	default:
		snprintf(buf, len, "%s:%u", a, p->port);
	}
}

void rb_probe_spec(const struct rb_probe *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN + IFNAMSIZ + 4], t[RB_PROBE_SPEC_MAX + 64];

	addr_str(p, a, sizeof(a));
	switch (p->kind) {
	case RB_PROBE_ICMP:
		snprintf(t, sizeof(t), "icmp:%s", a);
		break;
	case RB_PROBE_DNS:
	case RB_PROBE_TCP_DNS:
		if (p->to_sentry)
			snprintf(t, sizeof(t), "dns:%s", p->name);
		else
			snprintf(t, sizeof(t), "%s:%s:%s", rb_probe_kind_str(p), a, p->name);
		break;
	default:
		snprintf(t, sizeof(t), "%s:%s:%u", rb_probe_kind_str(p), a, p->port);
	}
	if (p->expect == RB_EXPECT_AUTO)
		snprintf(buf, len, "%s", t);
	else
		snprintf(buf, len, "%s=%s", t, rb_probe_expect_str(p->expect));
}

void rb_probe_observed(const struct rb_probe *p, const struct rb_probe_result *r, char *buf,
		       size_t len)
{
	(void)p;
	switch (r->outcome) {
	case RB_OUT_NONE:
		snprintf(buf, len, "not run");
		break;
	case RB_OUT_OPEN:
		snprintf(buf, len, "open");
		break;
	case RB_OUT_REPLY:
		snprintf(buf, len, "reply");
		break;
	case RB_OUT_ANSWER: {
		size_t off;

		if (r->n_addrs == 0) {
			snprintf(buf, len, "%s%s", rb_dns_rcode_str(r->rcode),
				 r->rcode == RB_DNS_RCODE_NOERROR ? " no address" : "");
			break;
		}
		off = (size_t)snprintf(buf, len, "%s", rb_dns_rcode_str(r->rcode));
		for (unsigned int i = 0; i < r->n_addrs && off < len; i++) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &r->addrs[i], a, sizeof(a));
			off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : " ", a);
		}
		break;
	}
	case RB_OUT_REFUSED:
		snprintf(buf, len, "refused");
		break;
	case RB_OUT_UNREACHABLE:
		snprintf(buf, len, "unreachable (%s)", rb_errno_text(r->err));
		break;
	case RB_OUT_TIMEOUT:
		snprintf(buf, len, "timeout");
		break;
	case RB_OUT_CLOSED:
		snprintf(buf, len, "closed without an answer");
		break;
	case RB_OUT_MALFORMED:
		snprintf(buf, len, "malformed answer (%s)", r->note);
		break;
	case RB_OUT_UNTESTABLE:
		snprintf(buf, len, "not testable: %s", r->note);
		break;
	case RB_OUT_ERROR:
		snprintf(buf, len, "error (%s)", rb_errno_text(r->err));
		break;
	}
}

int rb_probe_passed(const struct rb_probe *p, const struct rb_probe_result *r)
{
	switch (p->kind) {
	case RB_PROBE_TCP:
		return r->outcome == RB_OUT_OPEN;
	case RB_PROBE_UDP:
	case RB_PROBE_ICMP:
		return r->outcome == RB_OUT_REPLY;
	case RB_PROBE_DNS:
	case RB_PROBE_TCP_DNS:
		return r->outcome == RB_OUT_ANSWER && r->rcode == RB_DNS_RCODE_NOERROR &&
		       r->n_addrs > 0;
	}
	return 0;
}

enum rb_probe_verdict rb_probe_verdict(const struct rb_probe *p, const struct rb_probe_result *r)
{
	int passed = rb_probe_passed(p, r);

	if (r->outcome == RB_OUT_UNTESTABLE)
		return RB_VERDICT_UNTESTABLE;
	if (r->outcome == RB_OUT_ERROR || r->outcome == RB_OUT_NONE)
		return RB_VERDICT_FAIL;
	switch (p->expect) {
	case RB_EXPECT_PASS:
		return passed ? RB_VERDICT_OK : RB_VERDICT_FAIL;
	case RB_EXPECT_FAIL:
		return passed ? RB_VERDICT_FAIL : RB_VERDICT_OK;
	case RB_EXPECT_NXDOMAIN:
		return r->outcome == RB_OUT_ANSWER && r->rcode == RB_DNS_RCODE_NXDOMAIN
			       ? RB_VERDICT_OK
			       : RB_VERDICT_FAIL;
	case RB_EXPECT_AUTO:
		break;
	}
	return RB_VERDICT_FAIL;
}

/* ---- the engine ------------------------------------------------------ */

enum slot_state {
	S_DONE,
	S_CONNECT,  /* tcp, tcp-dns: waiting for the handshake */
	S_SEND,     /* tcp-dns: writing the query */
	S_RECV,     /* udp, icmp, dns, tcp-dns: waiting for the answer */
};

struct slot {
	int fd;
	enum slot_state state;
	uint16_t id;
	uint8_t q[RB_DNS_QUERY_MAX + 2];
	size_t qlen, qoff;
	uint8_t *tbuf; /* tcp-dns: length prefix + message */
	size_t tlen;
	struct timespec start;
};

static uint32_t ms_since(const struct timespec *t0)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
	return ms < 0 ? 0 : (uint32_t)ms;
}

static void classify(struct rb_probe_result *r, int e)
{
	r->err = e;
	switch (e) {
	case ECONNREFUSED:
		r->outcome = RB_OUT_REFUSED;
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case ENONET:
	case EACCES:
	case EPERM:
	case EADDRNOTAVAIL:
	case EAFNOSUPPORT:
	case EPROTO:
		r->outcome = RB_OUT_UNREACHABLE;
		break;
	case ETIMEDOUT:
		r->outcome = RB_OUT_TIMEOUT;
		break;
	case ECONNRESET:
	case EPIPE:
		r->outcome = RB_OUT_CLOSED;
		break;
	default:
		r->outcome = RB_OUT_ERROR;
	}
}

static void finish(struct slot *s, struct rb_probe_result *r)
{
	r->elapsed_ms = ms_since(&s->start);
	s->state = S_DONE;
}

static void fail(struct slot *s, struct rb_probe_result *r, int e)
{
	classify(r, e);
	finish(s, r);
}

/* ping sockets need the gid inside net.ipv4.ping_group_range of the netns. */
static int icmp_allowed(struct rb_probe_result *r)
{
	char buf[64] = "";
	unsigned long lo = 0, hi = 0;
	gid_t gid = getegid();
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "re");
	int ok = f && fgets(buf, sizeof(buf), f) && sscanf(buf, "%lu %lu", &lo, &hi) == 2;

	if (f)
		fclose(f);
	if (!ok) {
		snprintf(r->note, sizeof(r->note), "cannot read net.ipv4.ping_group_range");
		return 0;
	}
	if (gid < lo || gid > hi) {
		snprintf(r->note, sizeof(r->note), "net.ipv4.ping_group_range \"%lu %lu\" excludes gid %u",
			 lo, hi, (unsigned int)gid);
		return 0;
	}
	return 1;
}

static int sockaddr_of(const struct rb_probe *p, uint16_t port, struct sockaddr_storage *ss,
		       socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (p->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = p->addr6;
		s6->sin6_port = htons(port);
		if (p->ifname[0]) {
			s6->sin6_scope_id = if_nametoindex(p->ifname);
			if (s6->sin6_scope_id == 0)
				return -ENODEV;
		}
		*sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_addr = p->addr4;
		s4->sin_port = htons(port);
		*sl = sizeof(*s4);
	}
	return 0;
}

static void start_one(const struct rb_probe *p, struct slot *s, struct rb_probe_result *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int type = SOCK_STREAM, proto = 0, rc;

	clock_gettime(CLOCK_MONOTONIC, &s->start);
	s->fd = -1;
	s->state = S_DONE;
	if (p->kind == RB_PROBE_ICMP && !icmp_allowed(r)) {
		r->outcome = RB_OUT_UNTESTABLE;
		return;
	}
	rc = sockaddr_of(p, p->kind == RB_PROBE_ICMP ? 0 : p->port, &ss, &sl);
	if (rc < 0) {
		fail(s, r, -rc);
		return;
	}
	if (p->kind == RB_PROBE_UDP || p->kind == RB_PROBE_DNS)
		type = SOCK_DGRAM;
	if (p->kind == RB_PROBE_ICMP) {
		type = SOCK_DGRAM;
		proto = IPPROTO_ICMP;
	}
	s->fd = socket(p->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (s->fd < 0) {
		if (p->kind == RB_PROBE_ICMP && (errno == EACCES || errno == EPERM)) {
			r->err = errno;
			r->outcome = RB_OUT_UNTESTABLE;
			snprintf(r->note, sizeof(r->note), "ping socket refused (%s)",
				 rb_errno_text(errno));
			return;
		}
		fail(s, r, errno);
		return;
	}
	if (p->kind == RB_PROBE_DNS || p->kind == RB_PROBE_TCP_DNS) {
		uint16_t id = 0;

		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint16_t)(s->start.tv_nsec ^ getpid());
		s->id = id;
		/* tcp-dns: two length bytes first (RFC 1035 4.2.2) */
		rc = rb_dns_query_build(s->q + 2, sizeof(s->q) - 2, id, p->name, RB_DNS_TYPE_A);
		if (rc < 0) {
			fail(s, r, -rc);
			return;
		}
		s->q[0] = (uint8_t)(rc >> 8);
		s->q[1] = (uint8_t)(rc & 0xff);
		s->qlen = (size_t)rc + 2;
		s->qoff = p->kind == RB_PROBE_DNS ? 2 : 0;
	} else if (p->kind == RB_PROBE_ICMP) {
		struct icmphdr h;

		/* the kernel fills in the id and the checksum of ping sockets */
		memset(&h, 0, sizeof(h));
		h.type = ICMP_ECHO;
		h.un.echo.sequence = htons(1);
		memcpy(s->q, &h, sizeof(h));
		memcpy(s->q + sizeof(h), "rb-verify", 9);
		s->qlen = sizeof(h) + 9;
	} else if (p->kind == RB_PROBE_UDP) {
		memcpy(s->q, "rb-verify\n", 10);
		s->qlen = 10;
	}
	if (connect(s->fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno == EINPROGRESS) {
			s->state = S_CONNECT;
			return;
		}
		fail(s, r, errno);
		return;
	}
	if (p->kind == RB_PROBE_TCP) {
		r->outcome = RB_OUT_OPEN;
		finish(s, r);
		return;
	}
	if (p->kind == RB_PROBE_TCP_DNS) {
		s->state = S_SEND;
		return;
	}
	if (send(s->fd, s->q + s->qoff, s->qlen - s->qoff, MSG_NOSIGNAL) < 0) {
		fail(s, r, errno);
		return;
	}
	s->state = S_RECV;
}

static void dns_done(const struct rb_probe *p, struct slot *s, struct rb_probe_result *r,
		     const uint8_t *msg, size_t len)
{
	struct rb_dns_answer a;
	int rc = rb_dns_response_parse(msg, len, s->id, p->name, RB_DNS_TYPE_A, &a);

	if (rc == -EPROTO && p->kind == RB_PROBE_DNS)
		return; /* another question's answer: keep waiting for ours */
	if (rc < 0) {
		r->outcome = RB_OUT_MALFORMED;
		snprintf(r->note, sizeof(r->note), "%s",
			 rc == -EPROTO ? "answers another question" : "unparsable");
	} else {
		r->outcome = RB_OUT_ANSWER;
		r->rcode = a.rcode;
		r->n_addrs = a.n_addrs;
		memcpy(r->addrs, a.addrs, sizeof(r->addrs));
	}
	finish(s, r);
}

static void step(const struct rb_probe *p, struct slot *s, struct rb_probe_result *r,
		 short revents, uint8_t *buf, size_t buflen)
{
	int e = 0;
	socklen_t el = sizeof(e);
	ssize_t n;

	if (s->state == S_CONNECT) {
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			fail(s, r, e);
			return;
		}
		if (!(revents & POLLOUT))
			return;
		if (p->kind == RB_PROBE_TCP) {
			r->outcome = RB_OUT_OPEN;
			finish(s, r);
			return;
		}
		s->state = S_SEND;
	}
	if (s->state == S_SEND) {
		n = send(s->fd, s->q + s->qoff, s->qlen - s->qoff, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fail(s, r, errno);
			return;
		}
		s->qoff += (size_t)n;
		if (s->qoff == s->qlen)
			s->state = S_RECV;
		return;
	}
	if (s->state != S_RECV)
		return;
	if (p->kind == RB_PROBE_TCP_DNS) {
		size_t need;

		if (!s->tbuf) {
			s->tbuf = malloc(2 + 65535);
			if (!s->tbuf) {
				fail(s, r, ENOMEM);
				return;
			}
		}
		need = s->tlen < 2 ? 2 : 2 + (size_t)((s->tbuf[0] << 8) | s->tbuf[1]);
		n = recv(s->fd, s->tbuf + s->tlen, need - s->tlen, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fail(s, r, errno);
			return;
		}
		if (n == 0) {
			r->outcome = RB_OUT_CLOSED;
			finish(s, r);
			return;
		}
		s->tlen += (size_t)n;
		if (s->tlen >= 2 && s->tlen == 2 + (size_t)((s->tbuf[0] << 8) | s->tbuf[1]))
			dns_done(p, s, r, s->tbuf + 2, s->tlen - 2);
		return;
	}
	/* datagrams: read all that queued up, errors included */
	for (;;) {
		n = recv(s->fd, buf, buflen, 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				fail(s, r, errno);
			return;
		}
		if (p->kind == RB_PROBE_UDP) {
			r->outcome = RB_OUT_REPLY;
			finish(s, r);
			return;
		}
		if (p->kind == RB_PROBE_ICMP) {
			if ((size_t)n >= sizeof(struct icmphdr) && buf[0] == ICMP_ECHOREPLY) {
				r->outcome = RB_OUT_REPLY;
				finish(s, r);
				return;
			}
			continue;
		}
		dns_done(p, s, r, buf, (size_t)n);
		if (s->state == S_DONE)
			return;
	}
}

static void slot_close(const struct rb_probe *p, struct slot *s)
{
	if (s->fd >= 0) {
		if (p->kind == RB_PROBE_TCP || p->kind == RB_PROBE_TCP_DNS) {
			/* RST instead of FIN: no TIME_WAIT, no teardown packets
			 * trickling into the next probe's counter window */
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		}
		close(s->fd);
		s->fd = -1;
	}
	free(s->tbuf);
	s->tbuf = NULL;
}

int rb_probe_run(const struct rb_probe *p, size_t n, struct rb_probe_result *res,
		 int timeout_ms)
{
	struct slot *slots = NULL;
	struct pollfd *pfd = NULL;
	size_t *map = NULL, i;
	uint8_t *buf = NULL;
	struct timespec t0;
	int rc = 0;

	if (n == 0)
		return 0;
	if (n > RB_PROBE_BATCH_MAX || timeout_ms < 0)
		return -EINVAL;
	slots = calloc(n, sizeof(*slots));
	pfd = calloc(n, sizeof(*pfd));
	map = calloc(n, sizeof(*map));
	buf = malloc(65536);
	if (!slots || !pfd || !map || !buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		slots[i].fd = -1;
	memset(res, 0, n * sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		start_one(&p[i], &slots[i], &res[i]);

	for (;;) {
		size_t k = 0;
		uint32_t spent = ms_since(&t0);
		int ready;

		for (i = 0; i < n; i++) {
			if (slots[i].state == S_DONE)
				continue;
			pfd[k].fd = slots[i].fd;
			pfd[k].events = (slots[i].state == S_CONNECT || slots[i].state == S_SEND)
						? POLLOUT
						: POLLIN;
			pfd[k].revents = 0;
			map[k++] = i;
		}
		if (k == 0 || spent >= (uint32_t)timeout_ms)
			break;
		ready = poll(pfd, k, timeout_ms - (int)spent);
		if (ready < 0 && errno != EINTR) {
			rc = -errno;
			goto out;
		}
		for (size_t j = 0; ready > 0 && j < k; j++)
			if (pfd[j].revents)
				step(&p[map[j]], &slots[map[j]], &res[map[j]], pfd[j].revents, buf,
				     65536);
	}
	for (i = 0; i < n; i++) {
		if (slots[i].state != S_DONE) {
			res[i].outcome = RB_OUT_TIMEOUT;
			res[i].elapsed_ms = ms_since(&slots[i].start);
		}
	}
out:
	if (slots)
		for (i = 0; i < n; i++)
			slot_close(&p[i], &slots[i]);
	free(slots);
	free(pfd);
	free(map);
	free(buf);
	return rc;
}

/* ---- the prober child ------------------------------------------------ */

struct rb_prober {
	pid_t pid;
	int fd; /* our end of the socketpair */
};

struct batch_hdr {
	uint32_t n;
	int32_t timeout_ms;
};

/* The prober's first word: set up or not, and why (the parent wraps it). */
struct child_status {
	int32_t rc;
	struct rb_err err;
};

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	while (len > 0) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* timeout_ms < 0: wait forever. -EPIPE on EOF, -ETIMEDOUT. */
static int read_all(int fd, void *buf, size_t len, int timeout_ms)
{
	uint8_t *b = buf;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (len > 0) {
		ssize_t n;

		if (timeout_ms >= 0) {
			struct pollfd pf = { .fd = fd, .events = POLLIN };
			uint32_t spent = ms_since(&t0);
			int rc;

			if (spent >= (uint32_t)timeout_ms)
				return -ETIMEDOUT;
			rc = poll(&pf, 1, timeout_ms - (int)spent);
			if (rc < 0 && errno != EINTR)
				return -errno;
			if (rc <= 0)
				continue;
		}
		n = recv(fd, b, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int child_setup(const char *netns_path, uid_t uid, gid_t gid, struct child_status *st)
{
	{
		cleanup_close int fd = open(netns_path, O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			st->rc = rb_err_sys(&st->err, errno, "cannot open %s", netns_path);
			return -1;
		}
		if (setns(fd, CLONE_NEWNET) < 0) {
			st->rc = rb_err_sys(&st->err, errno, "cannot enter the netns %s",
					    netns_path);
			return -1;
		}
	}
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0) {
		st->rc = rb_err_sys(&st->err, errno, "cannot become uid %u gid %u",
				    (unsigned int)uid, (unsigned int)gid);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || setresuid(0, 0, 0) == 0 ||
	    getuid() != uid || geteuid() != uid) {
		st->rc = rb_err_set(&st->err, -EPERM, "could not drop privileges to uid %u",
				    (unsigned int)uid);
		return -1;
	}
	return 0;
}

static void child_main(int fd, const char *netns_path, uid_t uid, gid_t gid, pid_t parent)
{
	struct child_status st = { 0 };
	struct rb_probe *p = NULL;
	struct rb_probe_result *res = NULL;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
		_exit(1);
	/* nothing the parent had open (netns handles above all) stays with
	 * the process that runs as the bottle's uid */
	if (fd > 3)
		close_range(3, (unsigned int)fd - 1, 0);
	close_range((unsigned int)fd + 1, ~0U, 0);
	if (child_setup(netns_path, uid, gid, &st) < 0) {
		(void)write_all(fd, &st, sizeof(st));
		_exit(1);
	}
	if (write_all(fd, &st, sizeof(st)) < 0)
		_exit(1);
	p = calloc(RB_PROBE_BATCH_MAX, sizeof(*p));
	res = calloc(RB_PROBE_BATCH_MAX, sizeof(*res));
	if (!p || !res)
		_exit(1);
	for (;;) {
		struct batch_hdr h;
		int32_t rc;

		if (read_all(fd, &h, sizeof(h), -1) < 0)
			break;
		if (h.n > RB_PROBE_BATCH_MAX || h.timeout_ms < 0 ||
		    read_all(fd, p, h.n * sizeof(*p), -1) < 0)
			break;
		rc = rb_probe_run(p, h.n, res, h.timeout_ms);
		if (write_all(fd, &rc, sizeof(rc)) < 0 ||
		    write_all(fd, res, h.n * sizeof(*res)) < 0)
			break;
	}
	free(p);
	free(res);
	_exit(0);
}

int rb_prober_start(const char *netns_path, uid_t uid, gid_t gid, struct rb_prober **out,
		    struct rb_err *err)
{
	struct rb_prober *pr = NULL;
	struct child_status st;
	int sv[2] = { -1, -1 }, rc;
	pid_t parent = getpid();

	*out = NULL;
	if (uid == 0 || gid == 0)
		return rb_err_config(err, "refusing to run probes as uid/gid 0");
	pr = calloc(1, sizeof(*pr));
	if (!pr)
		return rb_err_oom(err);
	pr->fd = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = rb_err_sys(err, errno, "cannot create the prober socket");
		goto fail;
	}
	fflush(NULL); /* the child never flushes: _exit() */
	pr->pid = fork();
	if (pr->pid < 0) {
		rc = rb_err_sys(err, errno, "cannot fork the prober");
		goto fail;
	}
	if (pr->pid == 0) {
		close(sv[0]);
		child_main(sv[1], netns_path, uid, gid, parent);
	}
	close(sv[1]);
	sv[1] = -1;
	pr->fd = sv[0];
	sv[0] = -1;
	rc = read_all(pr->fd, &st, sizeof(st), 10000);
	if (rc < 0) {
		rc = rb_err_sys(err, -rc, "the prober did not start");
		goto fail;
	}
	if (st.rc < 0) {
		/* the child's words, checked as any other input */
		st.err.msg[sizeof(st.err.msg) - 1] = '\0';
		if (st.err.errnum < 0 || st.err.errnum > 4095)
			st.err.errnum = EIO;
		if (err)
			*err = st.err;
		rc = rb_err_wrap(err, st.rc, "prober");
		goto fail;
	}
	*out = pr;
	return 0;
fail:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	rb_prober_stop(pr);
	return rc;
}

int rb_prober_run(struct rb_prober *pr, const struct rb_probe *p, size_t n, int timeout_ms,
		  struct rb_probe_result *res, struct rb_err *err)
{
	struct batch_hdr h = { .n = (uint32_t)n, .timeout_ms = timeout_ms };
	int32_t crc = 0;
	int rc;

	if (n > RB_PROBE_BATCH_MAX || timeout_ms < 0)
		return rb_err_set(err, -EINVAL, "probe batch too large");
	if (n == 0)
		return 0;
	rc = write_all(pr->fd, &h, sizeof(h));
	if (rc == 0)
		rc = write_all(pr->fd, p, n * sizeof(*p));
	/* the child's own deadline is timeout_ms; the margin covers setup */
	if (rc == 0)
		rc = read_all(pr->fd, &crc, sizeof(crc), timeout_ms + 10000);
	if (rc == 0)
		rc = read_all(pr->fd, res, n * sizeof(*res), 10000);
	if (rc < 0) {
		int st = 0;

		if (waitpid(pr->pid, &st, WNOHANG) == pr->pid) {
			pr->pid = 0;
			if (WIFSIGNALED(st))
				return rb_err_set(err, -ECHILD, "the prober died of signal %d",
						  WTERMSIG(st));
			return rb_err_set(err, -ECHILD, "the prober exited with status %d",
					  WEXITSTATUS(st));
		}
		return rb_err_sys(err, -rc, "lost the prober");
	}
	if (crc < 0)
		return rb_err_sys(err, -crc, "the prober failed");
	return 0;
}

void rb_prober_stop(struct rb_prober *pr)
{
	if (!pr)
		return;
	if (pr->fd >= 0)
		close(pr->fd);
	if (pr->pid > 0) {
		kill(pr->pid, SIGKILL);
		while (waitpid(pr->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(pr);
}
