/* rb-sentryd: PID 1 of the sentry container. It starts, each as its own
 * uid with no-new-privs and an emptied bounding set:
 *   dnsmasq       the bottle's resolver, with no capability at all (port 53
 *                 is bound thanks to net.ipv4.ip_unprivileged_port_start=53
 *                 in the sentry's netns);
 *   rb-learner    bound to NFQUEUE, sees every reply of dnsmasq to the
 *                 bottle first and adds what it may open to the answers set
 *                 (lib/learner.h); keeps CAP_NET_ADMIN, nothing else;
 *   rb-denials    the denial log (lib/denial_log.h); no capability once it
 *                 has bound its NFLOG group.
 * If dnsmasq exits, everything stops (the container exits: DNS fails
 * closed). If the learner or the log exits, it stays down (replies to the
 * bottle are dropped while no learner is bound) until SIGHUP, which
 * `make bottle-reapply` sends: a restart that leaves the policy, the
 * answers set and conntrack, so the bottle's established flows, alone. */
#include "answers.h"
#include "denial_log.h"
#include "learn.h"
#include "learner.h"
#include "priv.h"
#include "utils.h"
#include "rb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *prog = "rb-sentryd";

enum { C_DNSMASQ, C_LEARNER, C_LOG, C_N };
static const char *const child_name[C_N] = { "dnsmasq", "rb-learner", "rb-denials" };

struct opts {
	const char *learner_conf, *dnsmasq_conf, *dnsmasq, *parse;
	int add; /* --parse --add */
	const char *user[C_N];
	const char *log_dir;
	unsigned long log_max;
	unsigned long ttl_min, ttl_max;
	unsigned long queue, group;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [--learner-conf FILE] [--dnsmasq-conf FILE] [--dnsmasq PATH]\n"
		"       [--dnsmasq-user U] [--learner-user U] [--log-user U] [--log-dir DIR]\n"
		"       [--log-max-bytes N] [--ttl-min S] [--ttl-max S] [--queue N] [--log-group N]\n"
		"       %s --parse FILE [--add] [--learner-conf FILE] [--ttl-min S] [--ttl-max S]\n"
		"\n"
		"The sentry's PID 1: runs dnsmasq without any capability, the learner that\n"
		"opens the answers of allowed names before the bottle gets them (NFQUEUE),\n"
		"and the denial log (NFLOG). SIGHUP restarts a learner or log that exited.\n"
		"--parse decides on one DNS reply read from FILE and prints the decision;\n"
		"with --add it also adds the answers to the sets of this netns, as the\n"
		"learner would (a kernel without nft_queue has no learner on nft).\n"
		"\n"
		"  --learner-conf FILE  rb-fw-apply --learner-conf output (/etc/rb/learner.conf)\n"
		"  --dnsmasq-conf FILE  rb-fw-apply --resolver-conf output (/etc/rb/dnsmasq.conf)\n"
		"  --dnsmasq PATH       (/usr/sbin/dnsmasq)\n"
		"  --dnsmasq-user U, --learner-user U, --log-user U\n"
		"                       names or uids, never root (dnsmasq, rb-learn, rb-log)\n"
		"  --log-dir DIR        a sticky world-writable directory; the log goes into\n"
		"                       DIR/denials/denials.jsonl (/var/log/rb)\n"
		"  --log-max-bytes N    rotate at N bytes (524288); at most 2N are kept\n"
		"  --ttl-min S, --ttl-max S\n"
		"                       an answer stays open for its TTL + %d s, clamped to\n"
		"                       [S, S] (%d, %d); dnsmasq hands out and caches no TTL\n"
		"                       above the maximum - %d, so every entry outlives the\n"
		"                       answer that made it by %d s at least\n"
		"  --queue N            NFQUEUE queue (0), --log-group N  NFLOG group (1)\n"
		"\n"
		"Exit: 0 stopped by SIGTERM, 1 usage or configuration error, 2 the system\n"
		"refused, or dnsmasq exited.\n",
		prog, prog, RB_LEARN_TTL_MARGIN, RB_LEARN_TTL_MIN, RB_LEARN_TTL_MAX,
		RB_LEARN_TTL_MARGIN, RB_LEARN_TTL_MARGIN);
}

static int num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end = NULL;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !end || *end || end == s || s[0] == '-' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Frees and closes by hand: neither cppcheck nor clang-analyzer 19+
 * follows the cleanup attributes for a FILE. */
static int read_file(const char *path, size_t max, char **out, size_t *len, struct rb_err *err)
{
	char *buf;
	size_t n = 0;
	int bad;
	FILE *f = fopen(path, "rb");

	*out = NULL;
	if (!f)
		return rb_err_config_sys(err, errno, "cannot open %s", path);
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return rb_err_oom(err);
	}
	n = fread(buf, 1, max + 1, f);
	bad = ferror(f) || n > max;
	fclose(f);
	if (bad) {
		free(buf);
		return rb_err_config(err, "%s: unreadable or longer than %zu bytes", path, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int load_conf(const struct opts *o, struct rb_learn_conf *c, struct rb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(o->learner_conf, 1 << 20, &text, &len, err);

	if (rc < 0)
		return rc;
	rc = rb_learn_conf_parse(c, text, len, o->learner_conf, err);
	free(text);
	if (rc < 0)
		return rc;
	c->ttl_min = (uint32_t)o->ttl_min;
	c->ttl_max = (uint32_t)o->ttl_max;
	return 0;
}

/* --parse: the decision on one reply, as the learner would take it (without
 * the host check, which needs the sentry's RB-HOST). */
static int parse_one(const struct opts *o, const struct rb_learn_conf *c)
{
	static struct rb_learn_result r;
	struct rb_err err = { 0 };
	char *msg = NULL, a[INET_ADDRSTRLEN];
	size_t len = 0;
	int rc;

	if (read_file(o->parse, 65535, &msg, &len, &err) < 0) {
		rb_err_print(prog, &err);
		return RB_EXIT_USAGE;
	}
	rc = rb_learn_decide(c, (const uint8_t *)msg, len, &r);
	free(msg);
	if (rc < 0) {
		printf("verdict drop (%s)\n", rb_errno_text(rc));
		return RB_EXIT_OK;
	}
	printf("verdict pass\nquestion %s type %u rcode %d\nallowed %d\nrefused %d\ncnames %u\n",
	       r.reply.qname, r.reply.qtype, r.reply.rcode, r.allowed, r.refused, r.reply.n_cnames);
	for (unsigned int i = 0; i < r.n_add; i++) {
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
		char spec[RB_NP_MAX_PORT_RANGES * 12 + 8];

		inet_ntop(AF_INET, &r.add[i].addr, a, sizeof(a));
		if (r.all)
			printf("add %s timeout %u\n", a, r.add[i].ttl);
		for (unsigned int k = 0; k < r.n_pmatch; k++) {
			for (size_t j = 0; j < 2; j++) {
				rb_ports_format(r.pmatch[k], protos[j], spec, sizeof(spec));
				if (spec[0])
					printf("add %s ports %s timeout %u\n", a, spec, r.add[i].ttl);
			}
		}
	}
	printf("never %u\n", r.n_never);
	if (o->add) {
		struct rb_answers *ans = NULL;
		struct rb_learner_stats st = { 0 };

		rc = rb_learn_apply(&ans, &r, &st, &err);
		rb_answers_close(ans);
		if (rc < 0) {
			rb_err_print(prog, &err);
			return rb_err_exit_code(&err);
		}
		printf("added %llu host %llu\n", (unsigned long long)st.added,
		       (unsigned long long)st.host);
	}
	return RB_EXIT_OK;
}

static volatile int stop_child;
static void on_stop(int sig)
{
	(void)sig;
	stop_child = 1;
}
static void on_signal(int sig)
{
	(void)sig;
}

/* In a child: signals back to normal, SIGTERM ends the loop. */
static void child_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int unprivileged_port_ok(void)
{
	char buf[32] = "";
	unsigned long v = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");

	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f))
		rb_cut_at(buf, "\n");
	fclose(f);
	return num(buf, 0, 65536, &v) == 0 && v <= 53;
}

static struct {
	uid_t uid;
	gid_t gid;
} ids[C_N];
static int names_pipe[2] = { -1, -1 };
static struct rb_learn_conf conf;
static unsigned int learner_starts; /* a learner after the first one is a restart */

static void die_child(const char *what, const struct rb_err *err)
{
	struct rb_err e = *err;

	rb_err_wrap(&e, -EIO, "%s", what);
	rb_err_print(prog, &e);
	_exit(RB_EXIT_SYSTEM);
}

static void run_dnsmasq(const struct opts *o)
{
	char conf_arg[4096], ttl[64], cttl[64];
	struct rb_err err = { 0 };

	close(names_pipe[0]);
	close(names_pipe[1]);
	if (rb_priv_drop(ids[C_DNSMASQ].uid, ids[C_DNSMASQ].gid, 0, &err) < 0)
		die_child("dnsmasq", &err);
	snprintf(conf_arg, sizeof(conf_arg), "--conf-file=%s", o->dnsmasq_conf);
	/* no answer the bottle holds, and no copy dnsmasq keeps, outlives its
	 * entry in the answers set: entries last TTL + margin (lib/learn.h) */
	snprintf(ttl, sizeof(ttl), "--max-ttl=%lu", o->ttl_max - RB_LEARN_TTL_MARGIN);
	snprintf(cttl, sizeof(cttl), "--max-cache-ttl=%lu", o->ttl_max - RB_LEARN_TTL_MARGIN);
	execl(o->dnsmasq, "dnsmasq", "--keep-in-foreground", conf_arg, ttl, cttl, (char *)NULL);
	rb_err_sys(&err, errno, "cannot run %s", o->dnsmasq);
	rb_err_print(prog, &err);
	_exit(RB_EXIT_SYSTEM);
}

static void run_learner(const struct opts *o)
{
	struct rb_learner *l = NULL;
	struct rb_err err = { 0 };
	int rc;

	prctl(PR_SET_NAME, "rb-learner", 0, 0, 0);
	close(names_pipe[0]);
	rc = rb_learner_open(&l, &conf, (uint16_t)o->queue, names_pipe[1], learner_starts > 1,
			     &err);
	if (rc < 0)
		die_child("learner", &err);
	if (rb_priv_drop(ids[C_LEARNER].uid, ids[C_LEARNER].gid, 1ULL << CAP_NET_ADMIN, &err) < 0)
		die_child("learner", &err);
	fprintf(stderr, "%s: learner bound to NFQUEUE %lu as uid %u (CAP_NET_ADMIN only)\n", prog,
		o->queue, (unsigned int)ids[C_LEARNER].uid);
	rc = rb_learner_run(l, &stop_child, &err);
	rb_learner_close(l);
	if (rc < 0)
		die_child("learner", &err);
	_exit(RB_EXIT_OK);
}

static void run_log(const struct opts *o)
{
	struct rb_denial_log *d = NULL;
	struct rb_err err = { 0 };
	int rc;

	prctl(PR_SET_NAME, "rb-denials", 0, 0, 0);
	close(names_pipe[1]);
	rc = rb_denial_log_open(&d, (uint16_t)o->group, o->log_max, names_pipe[0], &err);
	if (rc < 0)
		die_child("denial log", &err);
	if (rb_priv_drop(ids[C_LOG].uid, ids[C_LOG].gid, 0, &err) < 0 ||
	    rb_denial_log_dir(d, o->log_dir, &err) < 0)
		die_child("denial log", &err);
	rc = rb_denial_log_run(d, &stop_child, &err);
	rb_denial_log_close(d);
	if (rc < 0)
		die_child("denial log", &err);
	_exit(RB_EXIT_OK);
}

/* The log makes its own directory in --log-dir, which must let its uid do
 * that. podman gives the sentry's tmpfs mode 1777 at the first start, but
 * 4.3 forgets the mode when the container restarts (a root-owned 0755
 * tmpfs): PID 1 owns it, so it can give the mode back without a capability. */
static void log_dir_ready(const char *dir)
{
	struct rb_err err = { 0 };
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 &&
	    (st.st_mode & 07777) != 01777 && chmod(dir, 01777) < 0) {
		rb_err_sys(&err, errno, "cannot make %s sticky and writable", dir);
		rb_err_print(prog, &err);
	}
}

static pid_t spawn(int which, const struct opts *o)
{
	struct rb_err err = { 0 };
	pid_t pid;

	if (which == C_LOG)
		log_dir_ready(o->log_dir);
	if (which == C_LEARNER)
		learner_starts++;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rb_err_sys(&err, errno, "cannot start %s", child_name[which]);
		rb_err_print(prog, &err);
		return 0;
	}
	if (pid > 0)
		return pid;
	child_signals();
	if (which == C_DNSMASQ)
		run_dnsmasq(o);
	else if (which == C_LEARNER)
		run_learner(o);
	else
		run_log(o);
	_exit(RB_EXIT_SYSTEM);
}

static int supervise(const struct opts *o)
{
	pid_t pid[C_N] = { 0 };
	struct sigaction sa;
	sigset_t set;
	int rc = RB_EXIT_OK;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	/* handlers, not SIG_DFL: PID 1 never gets a signal it has no handler for */
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	pid[C_LOG] = spawn(C_LOG, o);
	pid[C_LEARNER] = spawn(C_LEARNER, o);
	pid[C_DNSMASQ] = spawn(C_DNSMASQ, o);
	if (!pid[C_DNSMASQ])
		rc = RB_EXIT_SYSTEM;
	while (rc == RB_EXIT_OK) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si), status;
		pid_t p;

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			for (int c = C_LEARNER; c < C_N; c++)
				if (!pid[c]) {
					fprintf(stderr, "%s: restarting %s\n", prog, child_name[c]);
					pid[c] = spawn(c, o);
				}
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			for (int c = 0; c < C_N; c++) {
				if (pid[c] != p)
					continue;
				pid[c] = 0;
				fprintf(stderr, "%s: %s exited (%s %d)%s\n", prog, child_name[c],
					WIFSIGNALED(status) ? "signal" : "status",
					WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
					c == C_DNSMASQ ? ": stopping" :
					c == C_LEARNER ? ": replies to the bottle are dropped until SIGHUP (make bottle-reapply)" :
							 ": denials are not logged until SIGHUP (make bottle-reapply)");
				if (c == C_DNSMASQ)
					rc = RB_EXIT_SYSTEM;
			}
		}
	}
	/* PID 1 has no CAP_KILL, and each child is its own uid by now */
	for (int c = 0; c < C_N; c++) {
		int k = pid[c] ? rb_priv_kill_as(pid[c], ids[c].uid, SIGTERM) : 0;

		if (k < 0) {
			struct rb_err err = { 0 };

			rb_err_sys(&err, -k, "cannot stop %s", child_name[c]);
			rb_err_print(prog, &err);
			pid[c] = 0;
		}
	}
	for (int c = 0; c < C_N; c++)
		if (pid[c])
			waitpid(pid[c], NULL, 0);
	return rc;
}

int main(int argc, char **argv)
{
	enum { O_LCONF = 256, O_DCONF, O_DNSMASQ, O_DUSER, O_LUSER, O_LOGUSER, O_LOGDIR, O_LOGMAX,
	       O_TMIN, O_TMAX, O_QUEUE, O_GROUP, O_PARSE, O_ADD };
	static const struct option longopts[] = {
		{ "learner-conf", required_argument, NULL, O_LCONF },
		{ "dnsmasq-conf", required_argument, NULL, O_DCONF },
		{ "dnsmasq", required_argument, NULL, O_DNSMASQ },
		{ "dnsmasq-user", required_argument, NULL, O_DUSER },
		{ "learner-user", required_argument, NULL, O_LUSER },
		{ "log-user", required_argument, NULL, O_LOGUSER },
		{ "log-dir", required_argument, NULL, O_LOGDIR },
		{ "log-max-bytes", required_argument, NULL, O_LOGMAX },
		{ "ttl-min", required_argument, NULL, O_TMIN },
		{ "ttl-max", required_argument, NULL, O_TMAX },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "log-group", required_argument, NULL, O_GROUP },
		{ "parse", required_argument, NULL, O_PARSE },
		{ "add", no_argument, NULL, O_ADD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.learner_conf = "/etc/rb/learner.conf",
		.dnsmasq_conf = "/etc/rb/dnsmasq.conf",
		.dnsmasq = "/usr/sbin/dnsmasq",
		.user = { "dnsmasq", "rb-learn", "rb-log" },
		.log_dir = "/var/log/rb",
		.log_max = 512 * 1024,
		.ttl_min = RB_LEARN_TTL_MIN,
		.ttl_max = RB_LEARN_TTL_MAX,
		.queue = 0,
		.group = 1,
	};
	struct rb_err err = { 0 };
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		unsigned long *n = NULL, lo = 0, hi = 0;

		switch (c) {
		case O_LCONF: o.learner_conf = optarg; break;
		case O_DCONF: o.dnsmasq_conf = optarg; break;
		case O_DNSMASQ: o.dnsmasq = optarg; break;
		case O_DUSER: o.user[C_DNSMASQ] = optarg; break;
		case O_LUSER: o.user[C_LEARNER] = optarg; break;
		case O_LOGUSER: o.user[C_LOG] = optarg; break;
		case O_LOGDIR: o.log_dir = optarg; break;
		case O_PARSE: o.parse = optarg; break;
		case O_ADD: o.add = 1; break;
		case O_LOGMAX: n = &o.log_max; lo = 4096; hi = 64UL << 20; break;
		case O_TMIN: n = &o.ttl_min; lo = 1; hi = RB_LEARN_TTL_LIMIT; break;
		case O_TMAX: n = &o.ttl_max; lo = RB_LEARN_TTL_MARGIN + 1; hi = RB_LEARN_TTL_LIMIT; break;
		case O_QUEUE: n = &o.queue; lo = 0; hi = 65535; break;
		case O_GROUP: n = &o.group; lo = 1; hi = 65535; break;
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			usage(stderr);
			return RB_EXIT_USAGE;
		}
		if (n && num(optarg, lo, hi, n) < 0) {
			fprintf(stderr, "%s: %s: \"%s\": a number from %lu to %lu\n", prog,
				longopts[c - O_LCONF].name, optarg, lo, hi);
			return RB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		return RB_EXIT_USAGE;
	}
	if (o.add && !o.parse) {
		fprintf(stderr, "%s: --add goes with --parse\n", prog);
		return RB_EXIT_USAGE;
	}
	if (o.ttl_min > o.ttl_max) {
		fprintf(stderr, "%s: --ttl-min %lu is above --ttl-max %lu\n", prog, o.ttl_min,
			o.ttl_max);
		return RB_EXIT_USAGE;
	}
	rc = load_conf(&o, &conf, &err);
	if (rc < 0)
		goto fail;
	if (o.parse) {
		rc = parse_one(&o, &conf);
		rb_learn_conf_free(&conf);
		return rc;
	}
	for (int i = 0; i < C_N; i++) {
		rc = rb_priv_lookup(o.user[i], &ids[i].uid, &ids[i].gid, &err);
		if (rc < 0)
			goto fail;
	}
	if (!unprivileged_port_ok()) {
		rb_err_config(&err, "dnsmasq gets no capability, so port 53 must be unprivileged "
				    "in this netns: net.ipv4.ip_unprivileged_port_start=53");
		goto fail;
	}
	/* learner -> log only: the log cannot talk back to the learner */
	if (pipe2(names_pipe, O_CLOEXEC) < 0 ||
	    fcntl(names_pipe[1], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(names_pipe[0], F_SETFL, O_NONBLOCK) < 0) {
		rb_err_sys(&err, errno, "cannot make a pipe");
		goto fail;
	}
	rc = supervise(&o);
	rb_learn_conf_free(&conf);
	return rc;
fail:
	rb_learn_conf_free(&conf);
	rb_err_print(prog, &err);
	return rb_err_exit_code(&err);
}
