/* The denial log's loop (denial_log.h), with libnetfilter_log. */
#include "denial_log.h"
#include "denial.h"
#include "dns.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <libnfnetlink/libnfnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define RECV_BUF (256 * 1024)
#define SOCK_BUF (4 * 1024 * 1024)
/* whole packets: the replies to the bottle are read to their last answer
 * (denials are rate-limited by their rules, replies by the bottle's own
 * queries and the socket's buffer) */
#define COPY_RANGE 0xffff

struct rb_denial_log {
	struct nflog_handle *h;
	struct nflog_g_handle *gh;
	int dirfd, fd;
	const struct rb_learn_conf *conf;
	struct timeval now; /* the record being read */
	size_t max_bytes, size;
	double tokens;
	struct timespec last;
	uint64_t dropped, overruns;
	struct rb_learn_result res;
	struct rb_name_map names; /* large: one allocation */
};

static double now_s(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	return (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
}

static int file_open(struct rb_denial_log *d, int trunc)
{
	struct stat st;
	int fd = openat(d->dirfd, RB_DENIAL_FILE,
			O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (trunc ? O_TRUNC : 0),
			0644);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = fd;
	d->size = (size_t)st.st_size;
	return 0;
}

static void write_line(struct rb_denial_log *d, const char *line, size_t n)
{
	if (d->size + n > d->max_bytes) {
		if (renameat(d->dirfd, RB_DENIAL_FILE, d->dirfd, RB_DENIAL_FILE ".1") < 0 ||
		    file_open(d, 1) < 0) {
			d->dropped++;
			return;
		}
	}
	if (write(d->fd, line, n) != (ssize_t)n) {
		d->dropped++;
		return;
	}
	d->size += n;
}

/* A token bucket: RB_DENIAL_RATE a second, RB_DENIAL_BURST at once. */
static void emit(struct rb_denial_log *d, const char *line, int n)
{
	struct timespec ts;
	double t = now_s(&ts), last = (double)d->last.tv_sec + (double)d->last.tv_nsec / 1e9;

	d->tokens += (t - last) * RB_DENIAL_RATE;
	if (d->tokens > RB_DENIAL_BURST)
		d->tokens = RB_DENIAL_BURST;
	d->last = ts;
	if (n <= 0 || d->tokens < 1) {
		d->dropped++;
		return;
	}
	d->tokens -= 1;
	write_line(d, line, (size_t)n);
}

/* One DNS message the resolver sent the bottle: its answers name their
 * addresses in later denial lines; a name the policy does not allow (the
 * resolver refused it) is a line of its own. */
static int reply_message(void *ctx, const uint8_t *msg, size_t len)
{
	struct rb_denial_log *d = ctx;
	struct rb_learn_result *r = &d->res;
	char line[RB_DENIAL_LINE_MAX];
	int n;

	if (rb_learn_decide(d->conf, msg, len, r) < 0 || !r->reply.qname[0])
		return 1;
	for (unsigned int i = 0; i < r->reply.n_a; i++)
		rb_name_map_put(&d->names, r->reply.a[i].addr, r->reply.qname);
	if (r->refused) {
		n = rb_denial_name_line(line, sizeof(line), &d->now, r->reply.qname, r->reply.qtype);
		emit(d, line, n);
	}
	return 1;
}

static int on_record(struct nflog_g_handle *gh, struct nfgenmsg *m, struct nflog_data *nfa,
		     void *data)
{
	struct rb_denial_log *d = data;
	char line[RB_DENIAL_LINE_MAX], *payload = NULL;
	const char *prefix = nflog_get_prefix(nfa);
	int len, n;

	(void)gh;
	(void)m;
	if (nflog_get_timestamp(nfa, &d->now) < 0)
		gettimeofday(&d->now, NULL);
	len = nflog_get_payload(nfa, &payload);
	if (len <= 0 || !payload)
		return 0;
	if (prefix && !strncmp(prefix, RB_DENIAL_REPLY_PREFIX, strlen(RB_DENIAL_REPLY_PREFIX))) {
		rb_dns_packet_messages((const uint8_t *)payload, (size_t)len, reply_message, d, NULL);
		return 0;
	}
	/* the line is written before emit reads it: two statements, not two
	 * arguments whose order of evaluation C leaves open */
	n = rb_denial_packet_line(line, sizeof(line), &d->now, prefix, (const uint8_t *)payload,
				  (size_t)len, &d->names);
	emit(d, line, n);
	return 0;
}

int rb_denial_log_open(struct rb_denial_log **out, uint16_t group, size_t max_bytes,
		       const struct rb_learn_conf *conf, struct rb_err *err)
{
	struct rb_denial_log *d;
	int rc;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return rb_err_oom(err);
	d->fd = d->dirfd = -1;
	d->conf = conf;
	d->max_bytes = max_bytes;
	d->tokens = RB_DENIAL_BURST;
	clock_gettime(CLOCK_MONOTONIC, &d->last);
	d->h = nflog_open();
	if (!d->h || nflog_bind_pf(d->h, AF_INET) < 0) {
		rb_err_sys(err, errno, "cannot open nfnetlink_log");
		rc = -EPERM;
		goto fail;
	}
	d->gh = nflog_bind_group(d->h, group);
	if (!d->gh) {
		rb_err_sys(err, errno, "cannot bind NFLOG group %u", group);
		rc = -EBUSY;
		goto fail;
	}
	if (nflog_set_mode(d->gh, NFULNL_COPY_PACKET, COPY_RANGE) < 0 ||
	    nflog_set_timeout(d->gh, 10) < 0 || nflog_set_qthresh(d->gh, 64) < 0) {
		rb_err_sys(err, errno, "cannot configure NFLOG group %u", group);
		rc = -EIO;
		goto fail;
	}
	nflog_callback_register(d->gh, on_record, d);
	nfnl_rcvbufsiz(nflog_nfnlh(d->h), SOCK_BUF);
	*out = d;
	return 0;
fail:
	rb_denial_log_close(d);
	return rc;
}

int rb_denial_log_dir(struct rb_denial_log *d, const char *dir, struct rb_err *err)
{
	struct stat st;
	cleanup_close int parent = -1;
	int rc;

	parent = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent < 0)
		return rb_err_sys(err, errno, "cannot open %s", dir);
	if (mkdirat(parent, RB_DENIAL_DIR, 0755) < 0 && errno != EEXIST)
		return rb_err_sys(err, errno, "cannot make %s/%s", dir, RB_DENIAL_DIR);
	d->dirfd = openat(parent, RB_DENIAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0)
		return rb_err_sys(err, errno, "cannot open %s/%s", dir, RB_DENIAL_DIR);
	/* made by this uid, or by nobody else's hand: nobody else may rename
	 * or replace the log in it */
	if (fstat(d->dirfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0022))
		return rb_err_set(err, -EPERM, "%s/%s: not this process's own directory", dir,
				  RB_DENIAL_DIR);
	rc = file_open(d, 0);
	if (rc < 0)
		return rb_err_sys(err, -rc, "cannot open %s/%s/%s", dir, RB_DENIAL_DIR, RB_DENIAL_FILE);
	return 0;
}

int rb_denial_log_run(struct rb_denial_log *d, volatile int *stop, struct rb_err *err)
{
	char *buf = malloc(RECV_BUF), line[RB_DENIAL_LINE_MAX];
	struct pollfd p[1];
	time_t said = time(NULL);
	int rc = 0;

	if (!buf)
		return rb_err_oom(err);
	p[0].fd = nflog_fd(d->h);
	p[0].events = POLLIN;
	while (!*stop) {
		int n = poll(p, 1, 1000);

		if (n < 0 && errno != EINTR) {
			rc = rb_err_sys(err, errno, "poll");
			break;
		}
		if (n > 0 && (p[0].revents & POLLIN)) {
			ssize_t r = recv(p[0].fd, buf, RECV_BUF, MSG_DONTWAIT);

			if (r > 0)
				nflog_handle_packet(d->h, buf, (int)r);
			else if (r < 0 && errno == ENOBUFS)
				d->overruns++;
		}
		if (time(NULL) != said && (d->dropped || d->overruns)) {
			struct timeval tv;
			int len;

			gettimeofday(&tv, NULL);
			len = rb_denial_dropped_line(line, sizeof(line), &tv, d->dropped, d->overruns);
			if (len > 0)
				write_line(d, line, (size_t)len);
			d->dropped = d->overruns = 0;
			said = time(NULL);
		}
	}
	free(buf);
	return rc;
}

void rb_denial_log_close(struct rb_denial_log *d)
{
	if (!d)
		return;
	if (d->gh)
		nflog_unbind_group(d->gh);
	if (d->h)
		nflog_close(d->h);
	if (d->fd >= 0)
		close(d->fd);
	if (d->dirfd >= 0)
		close(d->dirfd);
	free(d);
}
