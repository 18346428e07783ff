/* rb-net-create: finish and lock down the plumbing Podman made for a
 * nameplate (lib/enclave.c), from podman inspect or from namespaces named
 * on the command line; or check a nameplate against this host. */
#include "enclave.h"
#include "nameplate.h"
#include "rb.h"
#include "seccomp.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "rb-net-create";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s --nameplate FILE [--stage sentry|bottle|all]\n"
		"       %s --nameplate FILE --check [--print-env]\n"
		"       %s --nameplate FILE --remove\n"
		"       %s --seccomp-profile BASE OUT\n"
		"\n"
		"Locks down the enclave Podman created for a nameplate (moniker M):\n"
		"  sentry  on the host, the enclave bridge of rb-M-enclave loses its\n"
		"          addresses, IPv6, proxy ARP and ARP replies, and gets strict\n"
		"          reverse-path filtering; its veth ports lose IPv6. In rb-M-sentry,\n"
		"          forwarding and IPv6 off and, with RBRN_UPLINK_GATEWAY, the default\n"
		"          route via it.\n"
		"  bottle  in rb-M-bottle, forwarding, ICMP redirects and IPv6 off, the\n"
		"          default route via RBRN_ENCLAVE_SENTRY_IP and no route but that and\n"
		"          the enclave's own, and an empty neighbour table (a restarted\n"
		"          sentry has a new MAC); the bridge ports are hardened again (the\n"
		"          bottle's is new).\n"
		"  all     both (the default). Running it again changes nothing.\n"
		"Forwarding in the sentry is turned off; rb-fw-apply turns it on once the\n"
		"firewall is committed, so run it after every --stage sentry.\n"
		"\n"
		"  -n, --nameplate FILE  nameplate (RBRN_* in the environment override it)\n"
		"  -s, --stage STAGE     sentry, bottle or all\n"
		"  -c, --check           validate the nameplate against this host, touch nothing\n"
		"      --policy-only     with --check: leave out the workload's files (volumes,\n"
		"                        env file), e.g. to stop a bottle whose workspace is gone\n"
		"  -p, --print-env       with --check: print the nameplate as shell assignments,\n"
		"                        then what the check saw: RB_ENCLAVE_PRESENT (0/1),\n"
		"                        RB_UPLINK_PRESENT (0/1), RB_UPLINK_BRIDGE and, with\n"
		"                        RBRN_UPLINK_GATEWAY unset, RB_UPLINK_GATEWAY: the\n"
		"                        uplink network's gateway (none when --internal)\n"
		"  -r, --remove          undo: nothing to do, the changes live in the\n"
		"                        containers' namespaces and on the enclave bridge,\n"
		"                        which go away with the containers and the network\n"
		"      --seccomp-profile BASE OUT\n"
		"                        write the bottle's seccomp profile to OUT (atomically):\n"
		"                        podman's profile BASE without user namespaces\n"
		"  -h, --help            this text\n"
		"\n"
		"For tests and scripts without podman, namespaces stand in for the containers\n"
		"(no podman is asked; the attachments are checked in the namespaces alone):\n"
		"      --netns-sentry PATH   netns of the sentry (e.g. /run/netns/NAME)\n"
		"      --netns-bottle PATH   netns of the bottle\n"
		"      --netns-host PATH     netns holding the bridge (default: this one)\n"
		"      --bridge NAME         the enclave bridge\n"
		"\n"
		"Exit: 0 done, 1 usage, nameplate or seccomp base error, 2 podman or the kernel\n"
		"refused.\n",
		prog, prog, prog, prog);
}

/* ---- main ---- */

struct opts {
	const char *nameplate;
	const char *stage;
	int check, print_env, remove, policy_only;
	const char *ns_host, *ns_sentry, *ns_bottle, *bridge;
	const char *seccomp_base;
};

/* A namespace named on the command line; flag is what to ask for when it
 * is missing. */
static int ns_from_flag(struct rb_enclave_ns *ns, const char *path, const char *flag,
			const char *stage, struct rb_err *err)
{
	if (!path)
		return rb_err_config(err, "%s is needed for stage %s", flag, stage);
	rb_enclave_ns_init(ns, path);
	return rb_enclave_ns_open(ns, path, err);
}

static int run(struct opts *o, const struct rb_nameplate *np, struct rb_err *err)
{
	struct rb_enclave p;
	unsigned int stages = RB_ENCLAVE_SENTRY | RB_ENCLAVE_BOTTLE;
	int rc, test_mode = o->ns_host || o->ns_sentry || o->ns_bottle || o->bridge;

	if (strcmp(o->stage, "sentry") == 0)
		stages = RB_ENCLAVE_SENTRY;
	else if (strcmp(o->stage, "bottle") == 0)
		stages = RB_ENCLAVE_BOTTLE;
	rb_enclave_init(&p, np, stages);
	if (!test_mode) {
		rc = rb_enclave_from_podman(&p, err);
		goto lock;
	}
	if (!o->bridge)
		return rb_err_config(err, "--bridge is needed with --netns-*");
	if (!rb_link_name_valid(o->bridge))
		return rb_err_config(err, "--bridge: invalid interface name \"%.32s\"", o->bridge);
	snprintf(p.bridge, sizeof(p.bridge), "%s", o->bridge);
	rc = 0;
	if (o->ns_host)
		rc = ns_from_flag(&p.host, o->ns_host, "--netns-host", "", err);
	if (rc == 0 && (stages & RB_ENCLAVE_SENTRY))
		rc = ns_from_flag(&p.sentry.ns, o->ns_sentry, "--netns-sentry", "sentry", err);
	if (rc == 0 && (stages & RB_ENCLAVE_BOTTLE))
		rc = ns_from_flag(&p.bottle.ns, o->ns_bottle, "--netns-bottle", "bottle", err);
lock:
	if (rc == 0)
		rc = rb_enclave_lock_down(&p, err);
	rb_enclave_close(&p);
	return rc;
}

/* The seccomp profile goes alone: it belongs to no nameplate (one for
 * every bottle), and one failure must leave OUT as it was. */
static int seccomp_main(const struct opts *o, int argc, char **argv)
{
	struct rb_err err = { 0 };

	if (argc != 1) {
		fprintf(stderr, "%s: --seccomp-profile BASE takes one OUT file (see --help)\n", prog);
		return RB_EXIT_USAGE;
	}
	if (o->nameplate || o->check || o->print_env || o->remove || o->policy_only ||
	    o->ns_host || o->ns_sentry || o->ns_bottle || o->bridge || strcmp(o->stage, "all") != 0) {
		fprintf(stderr, "%s: --seccomp-profile goes alone\n", prog);
		return RB_EXIT_USAGE;
	}
	if (rb_seccomp_bottle_write(o->seccomp_base, argv[0], &err) < 0) {
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
	struct opts o = { .stage = "all" };
	struct rb_nameplate np;
	struct rb_host_nets seen;
	struct rb_err err = { 0 };
	int c, rc, loaded = 0;

	while ((c = getopt_long(argc, argv, "n:s:cprh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': o.nameplate = optarg; break;
		case 's': o.stage = optarg; break;
		case 'c': o.check = 1; break;
		case 'p': o.print_env = 1; break;
		case 'r': o.remove = 1; break;
		case 'h': usage(stdout); return RB_EXIT_OK;
		case OPT_NS_HOST: o.ns_host = optarg; break;
		case OPT_NS_SENTRY: o.ns_sentry = optarg; break;
		case OPT_NS_BOTTLE: o.ns_bottle = optarg; break;
		case OPT_BRIDGE: o.bridge = optarg; break;
		case OPT_POLICY_ONLY: o.policy_only = 1; break;
		case OPT_SECCOMP: o.seccomp_base = optarg; break;
		default: usage(stderr); return RB_EXIT_USAGE;
		}
	}
	if (o.seccomp_base)
		return seccomp_main(&o, argc - optind, argv + optind);
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", prog, argv[optind]);
		return RB_EXIT_USAGE;
	}
	if (!o.nameplate) {
		fprintf(stderr, "%s: --nameplate FILE is required (see --help)\n", prog);
		return RB_EXIT_USAGE;
	}
	if (strcmp(o.stage, "sentry") != 0 && strcmp(o.stage, "bottle") != 0 &&
	    strcmp(o.stage, "all") != 0) {
		fprintf(stderr, "%s: --stage must be sentry, bottle or all, not \"%s\"\n", prog,
			o.stage);
		return RB_EXIT_USAGE;
	}
	if (o.print_env && !o.check) {
		fprintf(stderr, "%s: --print-env goes with --check\n", prog);
		return RB_EXIT_USAGE;
	}
	if (o.policy_only && !o.check) {
		fprintf(stderr, "%s: --policy-only goes with --check\n", prog);
		return RB_EXIT_USAGE;
	}
	if (o.check + o.remove > 1) {
		fprintf(stderr, "%s: --check and --remove exclude each other\n", prog);
		return RB_EXIT_USAGE;
	}

	/* Only a check before a start needs the workload's files. */
	rc = rb_nameplate_load_flags(&np, o.nameplate,
				     o.check && !o.policy_only ? RB_NP_CHECK_FILES : 0, &err);
	if (rc < 0)
		goto out;
	loaded = 1;
	if (o.check) {
		rc = rb_nameplate_check_host(&np, &seen, &err);
		if (rc == 0 && o.print_env) {
			rc = rb_nameplate_print_env(&np, stdout);
			if (rc == 0)
				rc = rb_host_nets_print_env(&seen, stdout);
			if (rc == 0 && fflush(stdout) != 0)
				rc = -errno;
			if (rc < 0)
				rb_err_sys(&err, -rc, "cannot write the environment");
		}
		goto out;
	}
	if (o.remove) {
		/* Everything rb-net-create changes lives in the containers'
		 * namespaces and on the enclave bridge and its ports: the
		 * kernel drops it with them. There is nothing on the host to
		 * take back. */
		rc = 0;
		goto out;
	}
	rc = run(&o, &np, &err);
out:
	if (loaded)
		rb_nameplate_free(&np);
	if (rc < 0) {
		rb_err_print(prog, &err);
		return rb_err_exit_code(&err);
	}
	return RB_EXIT_OK;
}
