/* rb-sentryd: PID 1 of the sentry container (lib/sentryd.h): dnsmasq
 * without capability, the learner and the denial log, each as its own uid;
 * or --parse, the learner's decision on one reply. Options, usage and exit
 * codes; rb-sentryd(8) is the prose. */
#include "args.h"
#include "learn.h"
#include "rb.h"
#include "sentryd.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char *prog = "rb-sentryd";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTIONS]\n"
		"       %s --parse FILE [--add] [--learner-conf FILE] [--ttl-min S]\n"
		"          [--ttl-max S] [--ttl-margin S]\n"
		"\n"
		"        --learner-conf FILE     the learner's (/etc/rb/learner.conf)\n"
		"        --dnsmasq-conf FILE     dnsmasq's (/etc/rb/dnsmasq.conf)\n"
		"        --dnsmasq PATH          dnsmasq (/usr/sbin/dnsmasq)\n"
		"        --dnsmasq-user U        dnsmasq's user, not root (dnsmasq)\n"
		"        --learner-user U        the learner's user, not root (rb-learn)\n"
		"        --log-user U            the denial log's user, not root (rb-log)\n"
		"        --log-dir DIR           the denial log's directory (/var/log/rb)\n"
		"        --log-max-bytes N       rotate the log at N bytes (524288)\n"
		"        --ttl-min S             an answer's shortest life (%d)\n"
		"        --ttl-max S             an answer's longest life (%d)\n"
		"        --ttl-margin S          how much longer than its TTL (%d)\n"
		"        --queue N               the learner's NFQUEUE queue (0)\n"
		"        --log-group N           the denial log's NFLOG group (1)\n"
		"        --parse FILE            decide on the DNS reply in FILE, print it\n"
		"        --add                   with --parse: open its answers here\n"
		"    -h, --help                  this help\n"
		"\n"
		"See rb-sentryd(8).\n",
		prog, prog, RB_LEARN_TTL_MIN, RB_LEARN_TTL_MAX, RB_LEARN_TTL_MARGIN);
}

int main(int argc, char **argv)
{
	enum { O_LCONF = 256, O_DCONF, O_DNSMASQ, O_DUSER, O_LUSER, O_LOGUSER, O_LOGDIR, O_LOGMAX,
	       O_TMIN, O_TMAX, O_TMARGIN, O_QUEUE, O_GROUP, O_PARSE, O_ADD };
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
		{ "ttl-margin", required_argument, NULL, O_TMARGIN },
		{ "queue", required_argument, NULL, O_QUEUE },
		{ "log-group", required_argument, NULL, O_GROUP },
		{ "parse", required_argument, NULL, O_PARSE },
		{ "add", no_argument, NULL, O_ADD },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const defaults[] = { "/etc/rb/learner.conf", "/etc/rb/dnsmasq.conf",
						"/usr/sbin/dnsmasq", "dnsmasq", "rb-learn",
						"rb-log", "/var/log/rb" };
	struct rb_sentryd_opts o = {
		.log_max = 512 * 1024,
		.ttl_min = RB_LEARN_TTL_MIN,
		.ttl_max = RB_LEARN_TTL_MAX,
		.ttl_margin = RB_LEARN_TTL_MARGIN,
		.queue = 0,
		.group = 1,
	};
	/* where each option's value goes, by its index in longopts */
	const char **slot[] = { &o.learner_conf, &o.dnsmasq_conf, &o.dnsmasq, &o.user[C_DNSMASQ],
				&o.user[C_LEARNER], &o.user[C_LOG], &o.log_dir };
	const char *given[O_ADD - O_LCONF + 1] = { 0 };
	static struct rb_learn_conf conf;
	struct rb_err err = { 0 };
	char key[32];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		unsigned long *n = NULL, lo = 0, hi = 0;

		switch (c) {
		case O_LCONF: case O_DCONF: case O_DNSMASQ: case O_DUSER: case O_LUSER:
		case O_LOGUSER: case O_LOGDIR:
			*slot[c - O_LCONF] = optarg;
			break;
		case O_PARSE: o.parse = optarg; break;
		case O_ADD: o.add = 1; break;
		case O_LOGMAX: n = &o.log_max; lo = 4096; hi = 64UL << 20; break;
		case O_TMIN: n = &o.ttl_min; lo = 1; hi = RB_LEARN_TTL_LIMIT; break;
		case O_TMAX: n = &o.ttl_max; lo = 1; hi = RB_LEARN_TTL_LIMIT; break;
		case O_TMARGIN: n = &o.ttl_margin; lo = RB_LEARN_TTL_MARGIN; hi = RB_LEARN_TTL_LIMIT - 1; break;
		case O_QUEUE: n = &o.queue; lo = 0; hi = 65535; break;
		case O_GROUP: n = &o.group; lo = 1; hi = 65535; break;
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			return rb_badopt(c, argv);
		}
		snprintf(key, sizeof(key), "--%s", longopts[c - O_LCONF].name);
		if (c != O_ADD && rb_setarg(&given[c - O_LCONF], key, optarg))
			return RB_EXIT_USAGE;
		if (n && rb_parse_ulong(optarg, lo, hi, n) < 0)
			return rb_invarg(optarg, "%s is not a number from %lu to %lu", key, lo, hi);
	}
	if (optind < argc)
		return rb_invarg(argv[optind], "unexpected argument");
	if (o.add && !o.parse)
		return rb_invarg("--add", "goes with --parse");
	if (o.ttl_min > o.ttl_max)
		return rb_invarg("--ttl-min", "%lu is above --ttl-max %lu", o.ttl_min, o.ttl_max);
	/* dnsmasq hands out at most ttl_max - ttl_margin: at least 1 s */
	if (o.ttl_margin >= o.ttl_max)
		return rb_invarg("--ttl-max", "%lu is not above --ttl-margin %lu", o.ttl_max,
				 o.ttl_margin);
	for (size_t i = 0; i < sizeof(slot) / sizeof(slot[0]); i++)
		if (!*slot[i])
			*slot[i] = defaults[i];
	if (!o.parse)
		return rb_sentryd_run(&o);
	rc = rb_sentryd_conf_load(&o, &conf, &err);
	if (rc < 0) {
		rb_learn_conf_free(&conf);
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	rc = rb_sentryd_parse(&o, &conf);
	rb_learn_conf_free(&conf);
	return rc;
}
