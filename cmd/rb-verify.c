/* rb-verify: prove that a running bottle is confined the way its nameplate
 * says: the sentry's rules present and unchanged, forwarding on, the bottle
 * routed via the sentry with IPv6 off, and probes from inside the bottle,
 * as the bottle's uid, that pass or fail as the policy demands, each with
 * the sentry rule whose counter shows it decided. */
#include "args.h"
#include "nameplate.h"
#include "probe.h"
#include "rb.h"
#include "verify.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "rb-verify";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s --nameplate FILE [OPTIONS]\n"
		"SPEC := PROBE[=pass|=fail|=nxdomain]\n"
		"PROBE := { tcp | udp }:ADDR:PORT | icmp:IPV4 | dns:NAME |\n"
		"         { udp-dns | tcp-dns }:ADDR:NAME\n"
		"\n"
		"    -n, --nameplate FILE        the nameplate (required)\n"
		"    -j, --json                  a JSON report instead of the table\n"
		"    -p, --probe SPEC            one more probe (repeatable)\n"
		"        --no-default-probes     only the --probe probes\n"
		"    -t, --timeout MS            a probe batch's deadline (%d)\n"
		"        --netns-bottle PATH     the bottle's netns (with --netns-sentry)\n"
		"        --netns-sentry PATH     the sentry's netns (with --netns-bottle)\n"
		"        --backend B             xtables, nft or auto\n"
		"    -h, --help                  this help\n"
		"\n"
		"See rb-verify(8).\n",
		prog, RB_VERIFY_TIMEOUT_MS);
}

int main(int argc, char **argv)
{
	enum { OPT_NO_DEFAULT = 256, OPT_NETNS_BOTTLE, OPT_NETNS_SENTRY, OPT_BACKEND };
	static const struct option opts[] = {
		{ "nameplate", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "probe", required_argument, NULL, 'p' },
		{ "no-default-probes", no_argument, NULL, OPT_NO_DEFAULT },
		{ "timeout", required_argument, NULL, 't' },
		{ "netns-bottle", required_argument, NULL, OPT_NETNS_BOTTLE },
		{ "netns-sentry", required_argument, NULL, OPT_NETNS_SENTRY },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rb_verify_opts vo = { .timeout_ms = RB_VERIFY_TIMEOUT_MS, .default_probes = 1 };
	struct rb_nameplate np = { 0 };
	struct rb_verify_report *report = NULL;
	struct rb_probe *extra = NULL;
	struct rb_err err = { 0 };
	const char *timeout = NULL, *backend = NULL, *env = getenv("RB_FW_BACKEND");
	unsigned long ms;
	int json = 0, c, rc, np_loaded = 0, ret = RB_EXIT_USAGE;
	size_t n_extra = 0;

	extra = calloc(RB_VERIFY_MAX_EXTRA, sizeof(*extra));
	if (!extra) {
		rb_err_oom(&err);
		rb_err_print(prog, &err);
		return RB_EXIT_SYSTEM;
	}
	if (rb_fw_backend_parse(env, &vo.backend) < 0) {
		rb_invarg(env, "RB_FW_BACKEND is not xtables, nft or auto");
		goto out;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:jp:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (rb_setarg(&vo.nameplate_path, "--nameplate", optarg))
				goto out;
			break;
		case 'j':
			json = 1;
			break;
		case 'p':
			if (n_extra == RB_VERIFY_MAX_EXTRA) {
				rb_invarg(optarg, "more than %d --probe", RB_VERIFY_MAX_EXTRA);
				goto out;
			}
			if (rb_probe_parse(optarg, &extra[n_extra], &err) < 0) {
				rb_invarg(optarg, "%s", err.msg);
				goto out;
			}
			n_extra++;
			break;
		case 't':
			if (rb_setarg(&timeout, "--timeout", optarg))
				goto out;
			if (rb_parse_ulong(optarg, 1, 60000, &ms) < 0) {
				rb_invarg(optarg, "--timeout is not milliseconds from 1 to 60000");
				goto out;
			}
			vo.timeout_ms = (int)ms;
			break;
		case OPT_NO_DEFAULT:
			vo.default_probes = 0;
			break;
		case OPT_NETNS_BOTTLE:
			if (rb_setarg(&vo.netns_bottle, "--netns-bottle", optarg))
				goto out;
			break;
		case OPT_NETNS_SENTRY:
			if (rb_setarg(&vo.netns_sentry, "--netns-sentry", optarg))
				goto out;
			break;
		case OPT_BACKEND:
			if (rb_setarg(&backend, "--backend", optarg))
				goto out;
			if (rb_fw_backend_parse(optarg, &vo.backend) < 0) {
				rb_invarg(optarg, "--backend is not xtables, nft or auto");
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			ret = RB_EXIT_OK;
			goto out;
		default:
			rb_badopt(c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		rb_invarg(argv[optind], "unexpected argument");
		goto out;
	}
	if (!vo.nameplate_path) {
		rb_missarg("--nameplate");
		goto out;
	}
	if (!vo.netns_bottle != !vo.netns_sentry) {
		rb_missarg(vo.netns_bottle ? "--netns-sentry" : "--netns-bottle");
		goto out;
	}
	vo.extra = extra;
	vo.n_extra = n_extra;

	rc = rb_nameplate_load(&np, vo.nameplate_path, &err);
	if (rc < 0) {
		rb_err_print(prog, &err);
		ret = rb_err_exit_code(&err);
		goto out;
	}
	np_loaded = 1;
	if (geteuid() != 0) {
		fprintf(stderr, "%s: must run as root (enters network namespaces)\n", prog);
		ret = RB_EXIT_SYSTEM;
		goto out;
	}
	rc = rb_verify_run(&np, &vo, &report, &err);
	if (rc < 0) {
		rb_err_print(prog, &err);
		ret = rb_err_exit_code(&err);
		goto out;
	}
	if (json)
		rc = rb_verify_print_json(report, stdout, &err);
	else if (rb_verify_print(report, stdout) < 0)
		rc = rb_err_set(&err, -EIO, "cannot write the report");
	if (rc < 0) {
		rb_err_print(prog, &err);
		ret = RB_EXIT_SYSTEM;
		goto out;
	}
	ret = report->ok ? RB_EXIT_OK : RB_EXIT_VIOLATION;
out:
	rb_verify_free(report);
	if (np_loaded)
		rb_nameplate_free(&np);
	free(extra);
	return ret;
}
