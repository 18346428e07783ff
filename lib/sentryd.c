/* rb-sentryd's supervision (lib/sentryd.h): PID 1 of the sentry container. It starts, each as its own
 * uid with no-new-privs and an emptied bounding set:
 *   dnsmasq       the bottle's resolver, with no capability at all (port 53
 *                 is bound thanks to net.ipv4.ip_unprivileged_port_start=53
 *                 in the sentry's netns);
 *   rb-learner    bound to NFQUEUE, sees every answer of the upstream
 *                 resolver to dnsmasq first and adds what it may open to
 *                 the answers set (lib/learner.h); keeps CAP_NET_ADMIN,
 *                 nothing else;
 *   rb-denials    the denial log (lib/denial_log.h), which also reads
 *                 copies of dnsmasq's replies to the bottle for names; no
 *                 capability once it has bound its NFLOG group.
 * If dnsmasq exits, everything stops (the container exits: DNS fails
 * closed). If the learner or the log exits, it stays down (upstream answers
 * are dropped while no learner is bound) until SIGHUP, which
 * `make bottle-reapply` sends after its apply: a restart that leaves the
 * policy, the answers set and conntrack, so the bottle's established
 * flows, alone. SIGHUP also empties dnsmasq's cache: an apply may have
 * replaced the answers sets (another backend), and every answer the
 * bottle gets next comes from upstream, through the learner, into them.
 * SIGUSR1 (reapply, after it rewrote both files in place) runs the
 * learner, the log and dnsmasq of the new configuration in this same
 * sentry. */
#include "args.h"
#include "denial_log.h"
#include "learner.h"
#include "priv.h"
#include "sentryd.h"
#include "utils.h"
#include "rb.h"

#include <errno.h>
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

static const char *const child_name[C_N] = { "dnsmasq", "rb-learner", "rb-denials" };

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
	return rb_parse_ulong(buf, 0, 65536, &v) == 0 && v <= 53;
}

static struct {
	uid_t uid;
	gid_t gid;
} ids[C_N];
static struct rb_learn_conf conf;
static unsigned int learner_starts; /* a learner after the first one is a restart */
static int forget_on_start;         /* the next learner empties the answers first */

static void die_child(const char *what, const struct rb_err *err)
{
	struct rb_err e = *err;

	rb_err_wrap(&e, -EIO, "%s", what);
	rb_err_print(prog, &e);
	_exit(RB_EXIT_SYSTEM);
}

static void run_dnsmasq(const struct rb_sentryd_opts *o)
{
	char conf_arg[4096], ttl[64], cttl[64];
	struct rb_err err = { 0 };

	if (rb_priv_drop(ids[C_DNSMASQ].uid, ids[C_DNSMASQ].gid, 0, &err) < 0)
		die_child("dnsmasq", &err);
	snprintf(conf_arg, sizeof(conf_arg), "--conf-file=%s", o->dnsmasq_conf);
	/* no answer the bottle holds, and no copy dnsmasq keeps, outlives its
	 * entry in the answers set: entries last TTL + margin (lib/learn.h) */
	snprintf(ttl, sizeof(ttl), "--max-ttl=%lu", o->ttl_max - o->ttl_margin);
	snprintf(cttl, sizeof(cttl), "--max-cache-ttl=%lu", o->ttl_max - o->ttl_margin);
	execl(o->dnsmasq, "dnsmasq", "--keep-in-foreground", conf_arg, ttl, cttl, (char *)NULL);
	rb_err_sys(&err, errno, "cannot run %s", o->dnsmasq);
	rb_err_print(prog, &err);
	_exit(RB_EXIT_SYSTEM);
}

static void run_learner(const struct rb_sentryd_opts *o)
{
	struct rb_learner *l = NULL;
	struct rb_err err = { 0 };
	int rc;

	prctl(PR_SET_NAME, "rb-learner", 0, 0, 0);
	if (forget_on_start) {
		size_t dropped;

		if (rb_learner_forget(&conf, &dropped, &err) < 0)
			die_child("learner", &err);
		fprintf(stderr, "%s: allowlist narrowed: %zu answers of names no longer allowed removed\n",
			prog, dropped);
	}
	rc = rb_learner_open(&l, &conf, (uint16_t)o->queue, learner_starts > 1, &err);
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

static void run_log(const struct rb_sentryd_opts *o)
{
	struct rb_denial_log *d = NULL;
	struct rb_err err = { 0 };
	int rc;

	prctl(PR_SET_NAME, "rb-denials", 0, 0, 0);
	rc = rb_denial_log_open(&d, (uint16_t)o->group, o->log_max, &conf, &err);
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

static pid_t spawn(int which, const struct rb_sentryd_opts *o)
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

/* Ends child c and reaps it. SIGKILL: a stopped or hung child must not
 * hold the reload up, and neither keeps anything a clean exit would save
 * (the queue unbinds when the learner's socket closes). */
static void stop_wait(int c, pid_t pid[C_N])
{
	if (!pid[c])
		return;
	if (rb_priv_kill_as(pid[c], ids[c].uid, SIGKILL) == 0)
		waitpid(pid[c], NULL, 0);
	pid[c] = 0;
}

/* SIGUSR1: the learner and dnsmasq of the rewritten files, in this sentry:
 * its netns, the policy and the bottle's flows stay. The old learner ends
 * first, so nothing more is learned under the old allowlist (replies wait
 * for no one and are dropped until the new learner binds); the new one,
 * when the allowlist narrowed, removes the answers of the names it lost and
 * empties conntrack before it binds (rb_learner_forget); dnsmasq comes last, and its new pid tells the
 * host that the reload is done. A file that does not parse changes
 * nothing. 0, or -1 when dnsmasq could not be started again. */
static int reload(const struct rb_sentryd_opts *o, pid_t pid[C_N])
{
	struct rb_learn_conf next;
	struct rb_err err = { 0 };

	if (rb_sentryd_conf_load(o, &next, &err) < 0) {
		rb_err_wrap(&err, -EINVAL, "reload refused, the running configuration stays");
		rb_err_print(prog, &err);
		return 0;
	}
	forget_on_start = rb_learn_conf_narrows(&conf, &next);
	stop_wait(C_LEARNER, pid);
	rb_learn_conf_free(&conf);
	conf = next;
	fprintf(stderr, "%s: reloading: learner%s, denial log, dnsmasq\n", prog,
		forget_on_start ? " (allowlist narrowed: what it lost closed, conntrack emptied)" : "");
	pid[C_LEARNER] = spawn(C_LEARNER, o);
	forget_on_start = 0;
	/* the log reads refused names with the allowlist it was started with */
	stop_wait(C_LOG, pid);
	pid[C_LOG] = spawn(C_LOG, o);
	stop_wait(C_DNSMASQ, pid);
	pid[C_DNSMASQ] = spawn(C_DNSMASQ, o);
	return pid[C_DNSMASQ] ? 0 : -1;
}

static int supervise(const struct rb_sentryd_opts *o)
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
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
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
		if (sig == SIGUSR1) {
			if (reload(o, pid) < 0)
				rc = RB_EXIT_SYSTEM;
			continue;
		}
		if (sig == SIGHUP) {
			for (int c = C_LEARNER; c < C_N; c++)
				if (!pid[c]) {
					fprintf(stderr, "%s: restarting %s\n", prog, child_name[c]);
					pid[c] = spawn(c, o);
				}
			/* dnsmasq's SIGHUP empties its cache (it re-reads no
			 * configuration): what it answers next is learned again */
			if (pid[C_DNSMASQ] &&
			    rb_priv_kill_as(pid[C_DNSMASQ], ids[C_DNSMASQ].uid, SIGHUP) < 0)
				fprintf(stderr, "%s: cannot empty dnsmasq's cache\n", prog);
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
					c == C_LEARNER ? ": upstream answers are dropped until SIGHUP (make bottle-reapply)" :
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

int rb_sentryd_run(const struct rb_sentryd_opts *o)
{
	struct rb_err err = { 0 };
	int rc;

	rc = rb_sentryd_conf_load(o, &conf, &err);
	if (rc < 0)
		goto fail;
	for (int i = 0; i < C_N; i++) {
		rc = rb_priv_lookup(o->user[i], &ids[i].uid, &ids[i].gid, &err);
		if (rc < 0)
			goto fail;
	}
	if (!unprivileged_port_ok()) {
		rb_err_config(&err, "dnsmasq gets no capability, so port 53 must be unprivileged "
				    "in this netns: net.ipv4.ip_unprivileged_port_start=53");
		goto fail;
	}
	rc = supervise(o);
	rb_learn_conf_free(&conf);
	return rc;
fail:
	rb_learn_conf_free(&conf);
	rb_err_print(prog, &err);
	return rb_err_exit_code(&err);
}
