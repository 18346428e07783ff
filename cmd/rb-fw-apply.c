/* rb-fw-apply: writes the sentry's packet filter and the host's part of it
 * from a nameplate, shows it, checks it, reads its counters, prints the
 * sentry's resolver and learner configurations, or removes the host's part
 * (lib/fw_verbs.h). Options, usage and exit codes; rb-fw-apply(8) is the
 * prose. */
#include "addr.h"
#include "args.h"
#include "fw_verbs.h"
#include "nameplate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "rb-fw-apply";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTIONS] [VERB]\n"
		"VERB := { apply | show | check | counters | resolver-conf | learner-conf |\n"
		"          remove }\n"
		"\n"
		"    -n, --nameplate FILE        the nameplate (required)\n"
		"        --netns PATH            the sentry's netns, not rb-M-sentry's\n"
		"        --pid PID               the netns of PID, not rb-M-sentry's\n"
		"        --enclave-if IF         the sentry's enclave interface\n"
		"        --uplink-if IF          the sentry's uplink interface\n"
		"        --host                  also the host's part, here\n"
		"        --no-host               not the host's part\n"
		"        --host-only             the host's part only\n"
		"        --bridge BR             the enclave bridge\n"
		"        --uplink-bridge BR      the uplink bridge\n"
		"        --sentry-uplink-ip IP   the entry port's DNAT target\n"
		"        --backend B             xtables, nft or auto\n"
		"        --dry-run               show\n"
		"        --check                 check\n"
		"        --counters              counters\n"
		"        --resolver-conf         resolver-conf\n"
		"        --learner-conf          learner-conf\n"
		"        --remove                remove\n"
		"    -h, --help                  this help\n"
		"\n"
		"See rb-fw-apply(8).\n",
		prog);
}

enum {
	OPT_NETNS = 256,
	OPT_PID,
	OPT_ENCLAVE_IF,
	OPT_UPLINK_IF,
	OPT_HOST,
	OPT_NO_HOST,
	OPT_HOST_ONLY,
	OPT_BRIDGE,
	OPT_UPLINK_BRIDGE,
	OPT_SENTRY_UPLINK_IP,
	OPT_BACKEND,
	OPT_MODE, /* the old mode flags, one per verb from here */
};

/* The verb, named once: by a word or by its old flag. */
static int set_verb(struct rb_fw_verb_opts *o, const char **named, enum rb_fw_verb v,
		    const char *as)
{
	if (*named)
		return rb_duparg(*named, as);
	*named = as;
	o->verb = v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nameplate", required_argument, NULL, 'n' },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "enclave-if", required_argument, NULL, OPT_ENCLAVE_IF },
		{ "uplink-if", required_argument, NULL, OPT_UPLINK_IF },
		{ "host", no_argument, NULL, OPT_HOST },
		{ "no-host", no_argument, NULL, OPT_NO_HOST },
		{ "host-only", no_argument, NULL, OPT_HOST_ONLY },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ "uplink-bridge", required_argument, NULL, OPT_UPLINK_BRIDGE },
		{ "sentry-uplink-ip", required_argument, NULL, OPT_SENTRY_UPLINK_IP },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "dry-run", no_argument, NULL, OPT_MODE + RB_FW_VERB_SHOW },
		{ "check", no_argument, NULL, OPT_MODE + RB_FW_VERB_CHECK },
		{ "counters", no_argument, NULL, OPT_MODE + RB_FW_VERB_COUNTERS },
		{ "resolver-conf", no_argument, NULL, OPT_MODE + RB_FW_VERB_RESOLVER_CONF },
		{ "learner-conf", no_argument, NULL, OPT_MODE + RB_FW_VERB_LEARNER_CONF },
		{ "remove", no_argument, NULL, OPT_MODE + RB_FW_VERB_REMOVE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rb_fw_verb_opts o = { .verb = RB_FW_VERB_APPLY, .host = -1 };
	struct rb_fw_verb_result res;
	struct rb_nameplate np;
	struct rb_err err = { 0 };
	struct in_addr uplink_ip;
	const char *nameplate = NULL, *verb = NULL, *host = NULL, *pid = NULL, *ip = NULL;
	const char *backend = NULL, *env = getenv("RB_FW_BACKEND");
	int c, rc;

	memset(&np, 0, sizeof(np));
	if (rb_fw_backend_parse(env, &o.backend) < 0)
		return rb_invarg(env, "RB_FW_BACKEND is not xtables, nft or auto");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:h", longopts, NULL)) != -1) {
		rc = 0;
		switch (c) {
		case 'n':
			rc = rb_setarg(&nameplate, "--nameplate", optarg);
			break;
		case OPT_NETNS:
			rc = rb_setarg(&o.netns, "--netns", optarg);
			break;
		case OPT_PID:
			rc = rb_setarg(&pid, "--pid", optarg);
			if (rc == 0 && rb_parse_pid(optarg, &o.pid) < 0)
				return rb_invarg(optarg, "--pid is not a PID");
			break;
		case OPT_ENCLAVE_IF:
			rc = rb_setarg(&o.enclave_if, "--enclave-if", optarg);
			break;
		case OPT_UPLINK_IF:
			rc = rb_setarg(&o.uplink_if, "--uplink-if", optarg);
			break;
		case OPT_HOST:
		case OPT_NO_HOST:
			if (host && o.host != (c == OPT_HOST))
				return rb_duparg(host, argv[optind - 1]);
			host = argv[optind - 1];
			o.host = c == OPT_HOST;
			break;
		case OPT_HOST_ONLY:
			o.host_only = 1;
			break;
		case OPT_BRIDGE:
			rc = rb_setarg(&o.bridge, "--bridge", optarg);
			break;
		case OPT_UPLINK_BRIDGE:
			rc = rb_setarg(&o.uplink_bridge, "--uplink-bridge", optarg);
			break;
		case OPT_SENTRY_UPLINK_IP:
			rc = rb_setarg(&ip, "--sentry-uplink-ip", optarg);
			if (rc == 0 && (rb_parse_ipv4(optarg, &uplink_ip) < 0 || !uplink_ip.s_addr))
				return rb_invarg(optarg, "--sentry-uplink-ip: %s", RB_WHY_IPV4);
			o.sentry_uplink_ip = &uplink_ip;
			break;
		case OPT_BACKEND:
			rc = rb_setarg(&backend, "--backend", optarg);
			if (rc == 0 && rb_fw_backend_parse(optarg, &o.backend) < 0)
				return rb_invarg(optarg, "--backend is not xtables, nft or auto");
			break;
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			if (c < OPT_MODE || c >= OPT_MODE + RB_FW_VERB_N)
				return rb_badopt(c, argv);
			rc = set_verb(&o, &verb, (enum rb_fw_verb)(c - OPT_MODE), argv[optind - 1]);
			break;
		}
		if (rc)
			return rc;
	}
	for (; optind < argc; optind++) {
		enum rb_fw_verb v;

		if (rb_fw_verb_parse(argv[optind], &v) < 0)
			return rb_invarg(argv[optind], "not a verb: apply, show, check, counters, "
						       "resolver-conf, learner-conf or remove");
		rc = set_verb(&o, &verb, v, argv[optind]);
		if (rc)
			return rc;
	}
	if (!nameplate)
		return rb_missarg("--nameplate");
	if (o.netns && o.pid)
		return rb_invarg("--pid", "excludes --netns");
	if (o.enclave_if && !o.uplink_if)
		return rb_missarg("--uplink-if");
	if (o.uplink_if && !o.enclave_if)
		return rb_missarg("--enclave-if");
	if (o.host_only && o.host == 0)
		return rb_invarg("--host-only", "excludes --no-host");
	if (o.host_only && o.verb != RB_FW_VERB_APPLY && o.verb != RB_FW_VERB_SHOW &&
	    o.verb != RB_FW_VERB_CHECK && o.verb != RB_FW_VERB_REMOVE)
		return rb_invarg("--host-only", "goes with apply, show, check or remove, not %s",
				 rb_fw_verb_name(o.verb));

	/* Nothing is touched before the whole nameplate is valid. */
	rc = rb_nameplate_load(&np, nameplate, &err);
	if (rc < 0) {
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	rc = rb_fw_verb_run(&np, &o, stdout, &res, &err);
	rb_nameplate_free(&np);
	if (res.no_queue)
		fprintf(stderr, "%s: warning: this kernel's nftables has no queue: the learner "
				"cannot see DNS replies, allowed names open nothing\n", prog);
	if (rc == 0 && fflush(stdout) != 0)
		rc = rb_err_sys(&err, errno, "cannot write to stdout");
	if (rc < 0) {
		if (!err.msg[0])
			rb_err_sys(&err, -rc, "failed");
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	return res.drift ? RB_EXIT_VIOLATION : RB_EXIT_OK;
}
