/* The learner's loop (learner.h), with libnetfilter_queue. */
#include "learner.h"
#include "answers.h"
#include "dns.h"
#include "fw_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAXLEN 4096
#define RECV_BUF (128 * 1024)
#define SOCK_BUF (8 * 1024 * 1024)

struct rb_learner {
	const struct rb_learn_conf *conf;
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	struct rb_answers *answers;
	struct rb_learner_stats st;
	struct rb_learn_result res; /* large: kept off the stack */
	struct rb_learn_expiry expiry;
	char errmsg[512];
	time_t said; /* a failure is said at most once a second */
};

/* Why answers are dropped, on stderr (podman logs of the sentry). */
static void say(struct rb_learner *l, const char *msg)
{
	time_t now = time(NULL);

	snprintf(l->errmsg, sizeof(l->errmsg), "%s", msg);
	if (now == l->said)
		return;
	l->said = now;
	fprintf(stderr, "rb-learner: answer dropped: %s\n", msg);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* 1: the message may pass (its answers are in the set), 0: drop. */
static int learn_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct rb_learner *l = ctx;
	struct rb_learn_result *r = &l->res;
	struct rb_err err;
	uint64_t now;

	if (rb_learn_decide(l->conf, msg, len, r) < 0)
		return 0;
	now = r->n_add ? now_ms() : 0;
	for (unsigned int i = 0; i < r->n_add; i++)
		r->add[i].ttl = rb_learn_expiry_timeout(&l->expiry, r->add[i].addr, r->add[i].ttl, now);
	l->st.never += r->n_never;
	if (rb_learn_apply(&l->answers, r, &l->st, &err) < 0) {
		/* no policy yet, or the sets were replaced: nothing is released */
		char why[RB_ERR_TEXT];

		say(l, rb_err_str(&err, why, sizeof(why)));
		return 0;
	}
	return 1;
}

int rb_learn_apply(struct rb_answers **answers, const struct rb_learn_result *r,
		   struct rb_learner_stats *st, struct rb_err *err)
{
	int rc = 0;

	if (r->n_add == 0)
		return 0;
	if (!*answers) {
		rc = rb_answers_open(answers, err);
		if (rc < 0)
			return rc;
	}
	for (unsigned int i = 0; i < r->n_add && rc == 0; i++) {
		int h = rb_answers_host(*answers, r->add[i].addr, err);

		if (h < 0) {
			rc = h;
			break;
		}
		if (h) {
			if (st)
				st->host++;
			continue;
		}
		/* tagged with the question: the name the policy allowed */
		if (r->all)
			rc = rb_answers_add(*answers, r->add[i].addr, r->add[i].ttl,
					    r->reply.qname, err);
		/* a ported name's answer opens its ports only */
		for (unsigned int k = 0; k < r->n_pmatch && rc == 0; k++)
			rc = rb_answers_add_ports(*answers, r->add[i].addr, r->pmatch[k],
						  r->add[i].ttl, r->reply.qname, err);
		if (rc == 0 && st)
			st->added++;
	}
	if (rc < 0) {
		rb_answers_close(*answers);
		*answers = NULL;
	}
	return rc;
}

static int keeps(const void *ctx, const char *tag, uint8_t proto, uint16_t port)
{
	return rb_learn_tag_keeps(ctx, tag, proto, port);
}

int rb_learner_forget(const struct rb_learn_conf *c, size_t *dropped, struct rb_err *err)
{
	struct rb_answers *a = NULL;
	int rc = rb_answers_open(&a, err);

	*dropped = 0;
	if (rc == -ENOENT) {
		memset(err, 0, sizeof(*err));
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = rb_answers_prune(a, keeps, c, dropped, err);
	rb_answers_close(a);
	if (rc == 0)
		rc = rb_conntrack_flush(err);
	return rc;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	struct rb_learner *l = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	unsigned char *p = NULL;
	int n, ok;

	(void)msg;
	if (!ph)
		return -1;
	n = nfq_get_payload(nfa, &p);
	ok = n > 0 &&
	     rb_dns_packet_messages(p, (size_t)n, learn_message, l, &l->st.unlearned_tcp) == 1;
	l->st.replies++;
	if (ok)
		l->st.passed++;
	else
		l->st.dropped++;
	return nfq_set_verdict(qh, ntohl(ph->packet_id), ok ? NF_ACCEPT : NF_DROP, 0, NULL);
}

int rb_learner_open(struct rb_learner **out, const struct rb_learn_conf *conf, uint16_t queue,
		    int restarted, struct rb_err *err)
{
	struct rb_learner *l;
	int rc;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return rb_err_oom(err);
	l->conf = conf;
	/* the learner before this one may have made any entry up to ttl_max */
	if (restarted)
		l->expiry.floor_ms = now_ms() + (uint64_t)conf->ttl_max * 1000;
	l->h = nfq_open();
	if (!l->h) {
		rc = rb_err_sys(err, errno, "cannot open nfnetlink_queue");
		goto fail;
	}
	if (nfq_bind_pf(l->h, AF_INET) < 0) {
		rb_err_sys(err, errno, "cannot bind nfnetlink_queue to IPv4");
		rc = -EPERM;
		goto fail;
	}
	l->qh = nfq_create_queue(l->h, queue, on_packet, l);
	if (!l->qh) {
		rb_err_sys(err, errno, "cannot bind NFQUEUE %u (another learner?)", queue);
		rc = -EBUSY;
		goto fail;
	}
	/* no NFQA_CFG_F_FAIL_OPEN: a full queue drops, it never releases */
	if (nfq_set_mode(l->qh, NFQNL_COPY_PACKET, 0xffff) < 0 ||
	    nfq_set_queue_maxlen(l->qh, QUEUE_MAXLEN) < 0) {
		rb_err_sys(err, errno, "cannot configure NFQUEUE %u", queue);
		rc = -EIO;
		goto fail;
	}
	nfnl_rcvbufsiz(nfq_nfnlh(l->h), SOCK_BUF);
	*out = l;
	return 0;
fail:
	rb_learner_close(l);
	return rc;
}

int rb_learner_run(struct rb_learner *l, volatile int *stop, struct rb_err *err)
{
	char *buf = malloc(RECV_BUF);
	int fd = nfq_fd(l->h), rc = 0;

	if (!buf)
		return rb_err_oom(err);
	while (!*stop) {
		ssize_t n = recv(fd, buf, RECV_BUF, 0);

		if (n < 0) {
			/* ENOBUFS: the kernel could not hand us some packets; they
			 * were dropped (fail closed), go on */
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			rc = rb_err_sys(err, errno, "NFQUEUE");
			break;
		}
		nfq_handle_packet(l->h, buf, (int)n);
	}
	free(buf);
	return rc;
}

const struct rb_learner_stats *rb_learner_stats(const struct rb_learner *l)
{
	return &l->st;
}

void rb_learner_close(struct rb_learner *l)
{
	if (!l)
		return;
	if (l->qh)
		nfq_destroy_queue(l->qh);
	if (l->h)
		nfq_close(l->h);
	rb_answers_close(l->answers);
	free(l);
}
