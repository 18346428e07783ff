/* rb-verify: prove that a running bottle is confined the way its nameplate
 * says: the sentry's rules present and unchanged, forwarding on, the bottle
 * routed via the sentry with IPv6 off, and probes from inside the bottle,
 * as the bottle's uid, that pass or fail as the policy demands, each with
 * the sentry rule whose counter shows it decided. */
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
		"Usage: %s --nameplate FILE [--json] [--probe SPEC]... [--no-default-probes]\n"
		"       [--timeout MS] [--netns-bottle PATH --netns-sentry PATH]\n"
		"       [--backend xtables|nft|auto]\n"
		"\n"
		"Checks the sentry's rules, forwarding, the bottle's route and IPv6, then runs\n"
		"probes inside the bottle's netns as RBRN_BOTTLE_UID and names the sentry rule\n"
		"that decided each one. Needs root.\n"
		"\n"
		"  -n, --nameplate FILE    the nameplate (RBRN_* in the environment override it)\n"
		"  -j, --json              JSON report instead of the table\n"
		"  -p, --probe SPEC        an extra probe (repeatable), SPEC is\n"
		"                            tcp:ADDR:PORT  udp:ADDR:PORT  icmp:IPV4\n"
		"                            dns:NAME  udp-dns:ADDR:NAME  tcp-dns:ADDR:NAME\n"
		"                          ADDR is IPv4 or [IPv6] or [IPv6%%IFNAME], followed by an\n"
		"                          optional =pass, =fail or =nxdomain (DNS kinds); without\n"
		"                          it the expectation comes from the nameplate\n"
		"      --no-default-probes only the --probe probes\n"
		"  -t, --timeout MS        deadline for a parallel probe batch (default %d)\n"
		"      --netns-bottle PATH the bottle's netns (default: rb-M-bottle's, via podman)\n"
		"      --netns-sentry PATH the sentry's netns (default: rb-M-sentry's)\n"
		"      --backend B         read rules and counters from this firewall backend\n"
		"                          (default $RB_FW_BACKEND or auto: the one holding the\n"
		"                          policy); another one holding it is a failed check\n"
		"  -h, --help\n"
		"\n"
		"Exit: 0 every expectation holds, 1 usage or configuration error, 2 the system\n"
		"refused (podman, netns, kernel), 3 a check or probe found a policy violation.\n",
		prog, RB_VERIFY_TIMEOUT_MS);
}

static int parse_ms(const char *s, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !end || *end || end == s || v < 1 || v > 60000)
		return -EINVAL;
	*out = (int)v;
	return 0;
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
	int json = 0, c, rc, np_loaded = 0, ret = RB_EXIT_USAGE;
	size_t n_extra = 0;

	extra = calloc(RB_VERIFY_MAX_EXTRA, sizeof(*extra));
	if (!extra) {
		rb_err_oom(&err);
		rb_err_print(prog, &err);
		return RB_EXIT_SYSTEM;
	}
	if (rb_fw_backend_parse(getenv("RB_FW_BACKEND"), &vo.backend) < 0) {
		fprintf(stderr, "%s: RB_FW_BACKEND: not xtables, nft or auto\n", prog);
		goto out;
	}
	while ((c = getopt_long(argc, argv, "n:jp:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			vo.nameplate_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'p':
			if (n_extra == RB_VERIFY_MAX_EXTRA) {
				fprintf(stderr, "%s: at most %d --probe\n", prog, RB_VERIFY_MAX_EXTRA);
				goto out;
			}
			if (rb_probe_parse(optarg, &extra[n_extra], &err) < 0) {
				rb_err_print(prog, &err);
				goto out;
			}
			n_extra++;
			break;
		case 't':
			if (parse_ms(optarg, &vo.timeout_ms) < 0) {
				fprintf(stderr, "%s: bad --timeout \"%s\": milliseconds, 1-60000\n",
					prog, optarg);
				goto out;
			}
			break;
		case OPT_NO_DEFAULT:
			vo.default_probes = 0;
			break;
		case OPT_NETNS_BOTTLE:
			vo.netns_bottle = optarg;
			break;
		case OPT_NETNS_SENTRY:
			vo.netns_sentry = optarg;
			break;
		case OPT_BACKEND:
			if (rb_fw_backend_parse(optarg, &vo.backend) < 0) {
				fprintf(stderr, "%s: bad --backend \"%s\": xtables, nft or auto\n",
					prog, optarg);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			ret = RB_EXIT_OK;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		goto out;
	}
	if (!vo.nameplate_path) {
		fprintf(stderr, "%s: --nameplate FILE is required\n", prog);
		goto out;
	}
	if (!vo.netns_bottle != !vo.netns_sentry) {
		fprintf(stderr, "%s: --netns-bottle and --netns-sentry go together\n", prog);
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
