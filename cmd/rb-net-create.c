/* rb-net-create: finish and lock down the plumbing Podman made for a
 * nameplate, from podman inspect or from namespaces named on the command
 * line; check a nameplate against this host; or write the bottle's seccomp
 * profile (lib/net_create.h, lib/seccomp.h). Options, usage and exit codes;
 * rb-net-create(8) is the prose. */
#include "addr.h"
#include "args.h"
#include "enclave.h"
#include "host_nets.h"
#include "nameplate.h"
#include "net_create.h"
#include "rb.h"
#include "seccomp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char *prog = "rb-net-create";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s --nameplate FILE [--stage sentry|bottle|all] [NETNS]\n"
		"       %s --nameplate FILE --check [--print-env] [--policy-only]\n"
		"       %s --nameplate FILE --remove\n"
		"       %s --seccomp-profile BASE OUT\n"
		"NETNS := --bridge NAME [--netns-sentry PATH] [--netns-bottle PATH]\n"
		"         [--netns-host PATH]\n"
		"\n"
		"    -n, --nameplate FILE        the nameplate (required)\n"
		"    -s, --stage STAGE           sentry, bottle or all (all)\n"
		"    -c, --check                 check the nameplate here, touch nothing\n"
		"    -p, --print-env             with --check: print it and what was seen\n"
		"        --policy-only           with --check: not the workload's files\n"
		"    -r, --remove                undo (nothing is left to undo)\n"
		"        --seccomp-profile BASE  write BASE less user namespaces to OUT\n"
		"        --netns-sentry PATH     the sentry's netns, not the container's\n"
		"        --netns-bottle PATH     the bottle's netns, not the container's\n"
		"        --netns-host PATH       the netns holding the bridge (this one)\n"
		"        --bridge NAME           the enclave bridge\n"
		"    -h, --help                  this help\n"
		"\n"
		"See rb-net-create(8).\n",
		prog, prog, prog, prog);
}

/* The seccomp profile goes alone: it belongs to no nameplate (one for
 * every bottle), and one failure must leave OUT as it was. */
static int seccomp_main(const char *base, int argc, char **argv)
{
	struct rb_err err = { 0 };

	if (argc < 1)
		return rb_missarg("OUT");
	if (argc > 1)
		return rb_invarg(argv[1], "--seccomp-profile BASE takes one OUT file");
	if (rb_seccomp_bottle_write(base, argv[0], &err) < 0) {
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	return RB_EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_NS_HOST = 256, OPT_NS_SENTRY, OPT_NS_BOTTLE, OPT_BRIDGE, OPT_POLICY_ONLY,
	       OPT_SECCOMP };
	static const struct option longopts[] = {
		{ "nameplate", required_argument, NULL, 'n' },
		{ "stage", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'c' },
		{ "print-env", no_argument, NULL, 'p' },
		{ "remove", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "netns-host", required_argument, NULL, OPT_NS_HOST },
		{ "netns-sentry", required_argument, NULL, OPT_NS_SENTRY },
		{ "netns-bottle", required_argument, NULL, OPT_NS_BOTTLE },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ "policy-only", no_argument, NULL, OPT_POLICY_ONLY },
		{ "seccomp-profile", required_argument, NULL, OPT_SECCOMP },
		{ NULL, 0, NULL, 0 },
	};
	struct rb_net_create_opts o = { .stages = RB_ENCLAVE_SENTRY | RB_ENCLAVE_BOTTLE };
	const char *nameplate = NULL, *stage = NULL, *mode = NULL, *seccomp = NULL;
	int c, rc = 0, check = 0, print_env = 0, remove = 0, policy_only = 0;
	struct rb_nameplate np;
	struct rb_err err = { 0 };

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:s:cprh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': rc = rb_setarg(&nameplate, "--nameplate", optarg); break;
		case 's': rc = rb_setarg(&stage, "--stage", optarg); break;
		case 'c':
		case 'r':
			/* one mode: lock down (none), --check or --remove */
			if (mode && (c == 'c' ? !check : !remove))
				return rb_duparg(mode, argv[optind - 1]);
			mode = argv[optind - 1];
			check |= c == 'c';
			remove |= c == 'r';
			break;
		case 'p': print_env = 1; break;
		case 'h': usage(stdout); return RB_EXIT_OK;
		case OPT_NS_HOST: rc = rb_setarg(&o.ns_host, "--netns-host", optarg); break;
		case OPT_NS_SENTRY: rc = rb_setarg(&o.ns_sentry, "--netns-sentry", optarg); break;
		case OPT_NS_BOTTLE: rc = rb_setarg(&o.ns_bottle, "--netns-bottle", optarg); break;
		case OPT_BRIDGE: rc = rb_setarg(&o.bridge, "--bridge", optarg); break;
		case OPT_POLICY_ONLY: policy_only = 1; break;
		case OPT_SECCOMP: rc = rb_setarg(&seccomp, "--seccomp-profile", optarg); break;
		default: return rb_badopt(c, argv);
		}
		if (rc)
			return rc;
	}
	if (seccomp) {
		if (nameplate || mode || print_env || policy_only || stage ||
		    rb_net_create_named(&o))
			return rb_invarg("--seccomp-profile", "goes alone");
		return seccomp_main(seccomp, argc - optind, argv + optind);
	}
	if (optind < argc)
		return rb_invarg(argv[optind], "unexpected argument");
	if (!nameplate)
		return rb_missarg("--nameplate");
	if (stage && rb_net_create_stages_parse(stage, &o.stages) < 0)
		return rb_invarg(stage, "--stage is not sentry, bottle or all");
	if (print_env && !check)
		return rb_invarg("--print-env", "goes with --check");
	if (policy_only && !check)
		return rb_invarg("--policy-only", "goes with --check");
	if (rb_net_create_named(&o) && !check && !remove) {
		if (!o.bridge)
			return rb_missarg("--bridge");
		if (!rb_ifname_valid(o.bridge))
			return rb_invarg(o.bridge, "--bridge: %s", RB_WHY_IFNAME);
		if ((o.stages & RB_ENCLAVE_SENTRY) && !o.ns_sentry)
			return rb_missarg("--netns-sentry");
		if ((o.stages & RB_ENCLAVE_BOTTLE) && !o.ns_bottle)
			return rb_missarg("--netns-bottle");
	}

	/* Only a check before a start needs the workload's files. */
	rc = rb_nameplate_load_host(&np, nameplate, check && !policy_only ? &rb_host_podman : NULL,
				    &err);
	if (rc < 0) {
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	/* --remove: everything rb-net-create changes lives in the containers'
	 * namespaces and on the enclave bridge and its ports, which the kernel
	 * drops with them. There is nothing on the host to take back. */
	if (check)
		rc = rb_net_create_check(&np, print_env, stdout, &err);
	else if (!remove)
		rc = rb_net_create_lock(&np, &o, &err);
	rb_nameplate_free(&np);
	if (rc < 0) {
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	return RB_EXIT_OK;
}
