/* rb-fw-apply: writes the sentry's packet filter (and the host's part: the
 * hardening of the enclave bridge and the published entry port) from a
 * nameplate, or prints it (--dry-run), checks it (--check), shows its
 * counters, or prints the sentry's resolver configuration (--resolver-conf). */
#include "fw.h"
#include "learn.h"
#include "nameplate.h"
#include "netns.h"
#include "podman.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "rb-fw-apply";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s --nameplate FILE [--dry-run | --check | --counters]\n"
		"                   [--netns PATH | --pid PID] [--enclave-if IF --uplink-if IF]\n"
		"                   [--host | --no-host] [--bridge BR] [--uplink-bridge BR]\n"
		"                   [--sentry-uplink-ip IP] [--backend xtables|nft|auto]\n"
		"       %s --nameplate FILE --resolver-conf | --learner-conf\n"
		"       %s --nameplate FILE --host-only [--dry-run | --check] [--netns PATH]\n"
		"                   [--bridge BR] [--uplink-bridge BR] [--sentry-uplink-ip IP]\n"
		"       %s --nameplate FILE --remove [--host-only --netns PATH]\n"
		"\n"
		"Writes the sentry's policy into rb-owned chains (RB-*) of its netns, one\n"
		"atomic commit per table, forwarding off until the policy is whole; then\n"
		"flushes conntrack and turns forwarding on. The bottle may ping the sentry\n"
		"only. The host's own addresses (read where rb-fw-apply runs, before it\n"
		"enters the sentry, at each apply) are refused unless a CIDR names them.\n"
		"Targeting the sentry container also writes the host's part in this netns:\n"
		"RB-H-<moniker> (the enclave bridge carries bottle<->sentry only) and, with\n"
		"RBRN_ENTRY_ENABLED=1, the entry port: RB-E-<moniker> DNATs host port\n"
		"ENTRY_PORT_WORKSTATION to the sentry's uplink address, from the host (any\n"
		"of its addresses, 127.0.0.1 too) and from outside (the address of the\n"
		"interface a connection comes in on); RB-EPOST-<moniker> masquerades\n"
		"127.0.0.1, and route_localnet=1 on the uplink bridge (set if 0, never\n"
		"reset: others may need it).\n"
		"\n"
		"  -n, --nameplate FILE      nameplate (RBRN_* in the environment override it)\n"
		"      --dry-run             print the rules (iptables-save syntax), touch nothing\n"
		"      --check               compare the target with the plan, print the\n"
		"                            backend (a \"# backend\" line), then each\n"
		"                            difference; exit 3 if there is any\n"
		"      --counters            print the packet counters of every rb rule\n"
		"      --resolver-conf       print the sentry's dnsmasq configuration (no set:\n"
		"                            the learner fills the answers)\n"
		"      --learner-conf        print the configuration of the sentry's learner\n"
		"                            (rb-sentryd: which answers open egress)\n"
		"      --netns PATH          target this netns instead of rb-<moniker>-sentry\n"
		"      --pid PID             target the netns of PID\n"
		"      --enclave-if IF       enclave interface (default: the one holding the\n"
		"      --uplink-if IF        sentry IP) and uplink interface (default: the other)\n"
		"      --host                also write the host's part in this netns\n"
		"                            (default when targeting the sentry container)\n"
		"      --no-host             do not\n"
		"      --host-only           only the host's part, in --netns/--pid or here\n"
		"      --bridge BR           the enclave bridge (default: podman network\n"
		"                            rb-<moniker>-enclave)\n"
		"      --uplink-bridge BR    the uplink bridge (default: podman network\n"
		"                            RBRN_UPLINK_NETWORK)\n"
		"      --sentry-uplink-ip IP the sentry's uplink address the entry port is\n"
		"                            DNATed to (default: podman inspect rb-<moniker>-sentry;\n"
		"                            with --pid/--netns, the uplink interface's address)\n"
		"      --remove              delete the host's part of this moniker (chains\n"
		"                            and jumps in filter and nat, table inet rb-<moniker>)\n"
		"      --backend B           xtables (libiptc + ipset, legacy tables), nft\n"
		"                            (libnftables: table inet rb, one transaction) or\n"
		"                            auto (default, or $RB_FW_BACKEND): to apply, xtables\n"
		"                            when the kernel has legacy ip_tables and ip_set, else\n"
		"                            nft; to check or read counters, the one holding the\n"
		"                            policy. Applying one removes the other's rb objects.\n"
		"                            --dry-run prints the chosen backend's syntax; with nft\n"
		"                            that is the transaction itself (nft -c -f takes it)\n"
		"  -h, --help                this help\n"
		"\n"
		"Exit status: 0 ok, 1 usage or configuration error, 2 the system refused,\n"
		"3 --check found a difference.\n",
		prog, prog, prog, prog);
}

enum {
	OPT_DRY = 256,
	OPT_CHECK,
	OPT_COUNTERS,
	OPT_RESOLVER,
	OPT_LEARNER,
	OPT_NETNS,
	OPT_PID,
	OPT_ENCLAVE_IF,
	OPT_UPLINK_IF,
	OPT_HOST,
	OPT_NO_HOST,
	OPT_HOST_ONLY,
	OPT_BRIDGE,
	OPT_UPLINK_BRIDGE,
	OPT_SENTRY_UPLINK_IP,
	OPT_REMOVE,
	OPT_BACKEND,
};

struct opts {
	const char *nameplate, *netns, *enclave_if, *uplink_if, *bridge, *uplink_bridge;
	int has_sentry_uplink_ip;
	struct in_addr sentry_uplink_ip;
	pid_t pid;
	int dry_run, check, counters, resolver, learner, host, host_only, remove;
	enum rb_fw_backend backend; /* as given; AUTO until resolved */
};

/* Where the sentry's netns is: an explicit netns, a PID, or the container. */
struct target {
	int container; /* 1: rb-<moniker>-sentry */
	pid_t pid;
	const char *path;
	int has_uplink_ip; /* the container's uplink attachment, to cross-check */
	struct in_addr uplink_ip;
	int found_uplink_ip; /* what the sentry part found on the uplink interface */
	struct in_addr found_ip;
	enum rb_fw_backend backend; /* resolved: what the sentry part used */
	char why[64];
};

static int target_enter(const struct target *t, int *saved, struct rb_err *err)
{
	if (t->path)
		return rb_netns_enter_path(t->path, saved, err);
	return rb_netns_enter_pid(t->pid, saved, err);
}

static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* The sentry policy sets INPUT/OUTPUT/FORWARD to DROP and owns every RB-*
 * chain: written into the host's netns (--pid 1, a wrong --netns) it would
 * cut the host off. */
static int refuse_host_netns(int saved, struct rb_err *err)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), host;

	if (self < 0)
		return rb_err_sys(err, errno, "cannot open /proc/thread-self/ns/net");
	host = same_file(self, "/proc/1/ns/net") ||
	       (saved >= 0 && same_file(saved, "/proc/thread-self/ns/net"));
	close(self);
	if (host)
		return rb_err_config(err, "refusing to write the sentry policy into the host's "
					  "network namespace");
	return 0;
}

static int find_container(const struct rb_nameplate *np, struct target *t, struct rb_err *err)
{
	struct rb_podman_container c;
	char name[128];
	int rc;

	snprintf(name, sizeof(name), "rb-%s-sentry", np->moniker);
	memset(&c, 0, sizeof(c));
	rc = rb_podman_container_inspect(name, &c, err);
	if (rc < 0)
		return rc;
	if (!c.running || c.pid <= 0)
		return rb_err_set(err, -ESRCH, "container %s is not running", name);
	t->container = 1;
	t->pid = c.pid;
	for (size_t i = 0; i < c.n_nets && i < RB_PODMAN_MAX_NETS; i++) {
		if (!strcmp(c.nets[i].network, np->uplink_network)) {
			t->has_uplink_ip = 1;
			t->uplink_ip = c.nets[i].ip;
		}
	}
	if (!t->has_uplink_ip)
		return rb_err_set(err, -ENOENT, "container %s is not attached to network %s", name,
				  np->uplink_network);
	return 0;
}

/* Interfaces inside the target netns (the caller is inside it). */
static int ifaces_here(const struct rb_nameplate *np, const struct opts *o,
		       const struct target *t, struct rb_fw_ifaces *ifs, struct rb_err *err)
{
	int rc;

	if (o->enclave_if || o->uplink_if)
		rc = rb_fw_ifaces_lookup(o->enclave_if, o->uplink_if, ifs, err);
	else
		rc = rb_fw_ifaces_detect(np, ifs, err);
	if (rc == 0 && t->has_uplink_ip && ifs->uplink_ip.s_addr != t->uplink_ip.s_addr) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &ifs->uplink_ip, a, sizeof(a));
		inet_ntop(AF_INET, &t->uplink_ip, b, sizeof(b));
		rc = rb_err_set(err, -EEXIST, "uplink %s holds %s, but podman says %s", ifs->uplink,
				a, b);
	}
	return rc;
}

static void print_diff(void *ctx, const char *table, const char *chain, const char *what)
{
	int *n = ctx;

	printf("%s %s: %s\n", table, chain, what);
	(*n)++;
}

/* Builds the sentry plan inside the target netns (interfaces are found
 * there) and applies or checks it there. With --dry-run and explicit
 * interface names and no target, nothing is entered. *drift counts the
 * differences --check found. */
static int sentry_part(const struct rb_nameplate *np, const struct opts *o,
		       struct target *t, int enter, struct rb_fw_plan **plan, int *drift,
		       struct rb_err *err)
{
	struct rb_fw_ifaces ifs;
	struct in_addr *host = NULL;
	size_t n_host = 0;
	int saved = -1, rc;

	/* here, in the host's netns: the sentry's view has none of them */
	rc = rb_fw_host_addrs_read(&host, &n_host, err);
	if (rc < 0)
		return rc;
	if (enter) {
		rc = target_enter(t, &saved, err);
		if (rc < 0)
			return rc;
		rc = refuse_host_netns(saved, err);
		if (rc == 0)
			rc = ifaces_here(np, o, t, &ifs, err);
		if (rc == 0) {
			t->found_uplink_ip = 1;
			t->found_ip = ifs.uplink_ip;
		}
	} else {
		rc = rb_fw_ifaces_named(o->enclave_if, o->uplink_if, &ifs, err);
	}
	if (rc == 0)
		rc = rb_fw_plan_build(np, &ifs, plan, err);
	if (rc == 0)
		rc = rb_fw_plan_host_addrs(*plan, host, n_host, err);
	/* checking reads whatever holds the policy here; applying takes what
	 * the kernel offers */
	t->backend = rb_fw_backend_resolve(o->backend, NULL, o->check, t->why, sizeof(t->why));
	if (rc == 0 && rb_fw_plan_backend_fit(*plan, t->backend) && !o->check && !o->dry_run)
		fprintf(stderr, "%s: warning: this kernel's nftables has no queue: the learner "
				"cannot see DNS replies, allowed names open nothing\n", prog);
	if (rc == 0 && o->check) {
		printf("# backend %s (%s)\n", rb_fw_backend_name(t->backend), t->why);
		rc = rb_fw_check(*plan, t->backend, print_diff, drift, err);
		if (rc > 0)
			rc = 0;
	} else if (rc == 0 && !o->dry_run) {
		rc = rb_fw_apply(*plan, t->backend, err);
	}
	rc = rb_netns_leave_after(&saved, rc, err);
	free(host);
	return rc;
}

/* The bridge of podman network `name`, or `given` when the user named it. */
static int bridge_name(const char *name, const char *given, char *br, size_t len,
		       struct rb_err *err)
{
	struct rb_podman_network net;
	int rc;

	if (given) {
		snprintf(br, len, "%s", given);
		return 0;
	}
	memset(&net, 0, sizeof(net));
	rc = rb_podman_network_inspect(name, &net, err);
	if (rc < 0)
		return rc;
	if (!net.bridge[0])
		return rb_err_set(err, -ENOENT, "podman network %s has no bridge", name);
	snprintf(br, len, "%s", net.bridge);
	return 0;
}

/* Where the host DNATs the entry port to: --sentry-uplink-ip, the
 * container's attachment to the uplink network, or (--pid, --netns) the
 * address the sentry part found on the sentry's uplink interface. */
static int sentry_uplink(const struct rb_nameplate *np, const struct opts *o,
			 const struct target *t, struct in_addr *ip, struct rb_err *err)
{
	struct target c;
	int rc;

	if (o->has_sentry_uplink_ip) {
		*ip = o->sentry_uplink_ip;
		return 0;
	}
	if (t->has_uplink_ip) {
		*ip = t->uplink_ip;
		return 0;
	}
	if (t->found_uplink_ip) {
		*ip = t->found_ip;
		return 0;
	}
	memset(&c, 0, sizeof(c));
	rc = find_container(np, &c, err);
	if (rc == 0)
		*ip = c.uplink_ip;
	return rc;
}

/* A DNAT to one of the host's own addresses would lead the entry port back
 * to the host. It happens when the sentry holds an address the host uses
 * too: on Podman 5 an --internal network has no gateway unless created
 * with one, and IPAM gives the first container the address a user may
 * have put on the bridge. Checked in the netns the rules go to. */
static int entry_target_check(struct in_addr up, struct rb_err *err)
{
	struct in_addr *own = NULL;
	char a[INET_ADDRSTRLEN];
	size_t n = 0;
	int rc = rb_fw_host_addrs_read(&own, &n, err);

	for (size_t i = 0; rc == 0 && i < n; i++)
		if (own[i].s_addr == up.s_addr) {
			inet_ntop(AF_INET, &up, a, sizeof(a));
			rc = rb_err_config(err,
					   "the sentry's uplink address %s is also this host's: the "
					   "entry port would lead back to the host (give the uplink "
					   "network a --gateway of its own)",
					   a);
		}
	free(own);
	return rc;
}

/* Host rules go into this process's netns, or with --host-only into the
 * one --netns/--pid names (tests build a fake host in a netns). */
static int host_part(const struct rb_nameplate *np, const struct opts *o, const struct target *t,
		     int *drift, struct rb_err *err)
{
	struct rb_fw_plan *plan = NULL;
	struct in_addr up_ip = { 0 };
	char br[IFNAMSIZ + 1], up_br[IFNAMSIZ + 1] = "", name[96];
	int saved = -1, rc, elsewhere = o->host_only && (o->netns || o->pid);

	if (!o->remove) {
		snprintf(name, sizeof(name), "rb-%s-enclave", np->moniker);
		rc = bridge_name(name, o->bridge, br, sizeof(br), err);
		if (rc == 0 && np->entry_enabled)
			rc = bridge_name(np->uplink_network, o->uplink_bridge, up_br, sizeof(up_br),
					 err);
		if (rc == 0 && np->entry_enabled)
			rc = sentry_uplink(np, o, t, &up_ip, err);
		if (rc < 0)
			return rc;
		rc = rb_fw_host_plan_build(np, br, up_br, up_ip, &plan, err);
		if (rc < 0)
			return rc;
		if (o->dry_run) {
			printf("# host netns: bridge %s\n", br);
			rc = t->backend == RB_FW_BACKEND_NFT ? rb_fw_plan_print_nft(plan, stdout) :
							       rb_fw_plan_print(plan, stdout);
			if (rc < 0)
				rb_err_sys(err, -rc, "cannot write the plan");
			goto out;
		}
	}
	if (elsewhere) {
		rc = target_enter(t, &saved, err);
		if (rc < 0)
			goto out;
	}
	rc = 0;
	if (!o->remove && np->entry_enabled)
		rc = entry_target_check(up_ip, err);
	if (rc == 0 && o->remove) {
		rc = rb_fw_host_remove(np->moniker, err);
	} else if (rc == 0 && o->check) {
		char why[64];
		/* the host part is checked where it is, like the sentry's */
		enum rb_fw_backend b = rb_fw_backend_resolve(o->backend, np->moniker, 1, why, sizeof(why));
		if (o->host_only)
			printf("# backend %s (%s)\n", rb_fw_backend_name(b), why);
		rc = rb_fw_check(plan, b, print_diff, drift, err);
	} else if (rc == 0) {
		rc = rb_fw_apply(plan, t->backend, err);
	}
	if (rc > 0)
		rc = 0;
	rc = rb_netns_leave_after(&saved, rc, err);
out:
	rb_fw_plan_free(plan);
	return rc;
}

static int counters_part(const struct target *t, enum rb_fw_backend b, struct rb_err *err)
{
	struct rb_fw_counter *c = NULL;
	size_t n = 0;
	int saved = -1, rc;

	rc = target_enter(t, &saved, err);
	if (rc < 0)
		return rc;
	rc = rb_fw_counters_read(b, &c, &n, err);
	rc = rb_netns_leave_after(&saved, rc, err);
	for (size_t i = 0; rc == 0 && i < n; i++)
		printf("%s %s %u %" PRIu64 " %" PRIu64 " %s %s\n", c[i].table, c[i].chain,
		       c[i].index, c[i].pkts, c[i].bytes, c[i].id[0] ? c[i].id : "-", c[i].text);
	free(c);
	return rc;
}

static int parse_pid(const char *s, pid_t *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || v > 4194304)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}

static int usage_error(const char *msg, const char *arg)
{
	if (arg)
		fprintf(stderr, "%s: %s \"%s\"\n", prog, msg, arg);
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
	return RB_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nameplate", required_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, OPT_DRY },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "counters", no_argument, NULL, OPT_COUNTERS },
		{ "resolver-conf", no_argument, NULL, OPT_RESOLVER },
		{ "learner-conf", no_argument, NULL, OPT_LEARNER },
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
		{ "remove", no_argument, NULL, OPT_REMOVE },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rb_nameplate np;
	struct rb_err err = { 0 };
	cleanup_fw_plan struct rb_fw_plan *plan = NULL;
	struct target t;
	struct opts o;
	int c, rc, loaded = 0, drift = 0, exit_ok = RB_EXIT_OK;

	memset(&o, 0, sizeof(o));
	memset(&t, 0, sizeof(t));
	memset(&np, 0, sizeof(np));
	o.host = -1;
	if (rb_fw_backend_parse(getenv("RB_FW_BACKEND"), &o.backend) < 0)
		return usage_error("RB_FW_BACKEND: not xtables, nft or auto", getenv("RB_FW_BACKEND"));
	while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.nameplate = optarg;
			break;
		case OPT_DRY:
			o.dry_run = 1;
			break;
		case OPT_CHECK:
			o.check = 1;
			break;
		case OPT_COUNTERS:
			o.counters = 1;
			break;
		case OPT_RESOLVER:
			o.resolver = 1;
			break;
		case OPT_LEARNER:
			o.learner = 1;
			break;
		case OPT_NETNS:
			o.netns = optarg;
			break;
		case OPT_PID:
			if (parse_pid(optarg, &o.pid) < 0)
				return usage_error("--pid: bad PID", optarg);
			break;
		case OPT_ENCLAVE_IF:
			o.enclave_if = optarg;
			break;
		case OPT_UPLINK_IF:
			o.uplink_if = optarg;
			break;
		case OPT_HOST:
		case OPT_NO_HOST:
			if (o.host != -1 && o.host != (c == OPT_HOST))
				return usage_error("--host and --no-host exclude each other", NULL);
			o.host = c == OPT_HOST;
			break;
		case OPT_HOST_ONLY:
			o.host_only = 1;
			break;
		case OPT_BRIDGE:
			o.bridge = optarg;
			break;
		case OPT_UPLINK_BRIDGE:
			o.uplink_bridge = optarg;
			break;
		case OPT_SENTRY_UPLINK_IP:
			if (inet_pton(AF_INET, optarg, &o.sentry_uplink_ip) != 1 ||
			    !o.sentry_uplink_ip.s_addr)
				return usage_error("--sentry-uplink-ip: bad IPv4 address", optarg);
			o.has_sentry_uplink_ip = 1;
			break;
		case OPT_REMOVE:
			o.remove = 1;
			break;
		case OPT_BACKEND:
			if (rb_fw_backend_parse(optarg, &o.backend) < 0)
				return usage_error("--backend: not xtables, nft or auto", optarg);
			break;
		case 'h':
			usage(stdout);
			return RB_EXIT_OK;
		default:
			usage(stderr);
			return RB_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);
	if (!o.nameplate)
		return usage_error("--nameplate FILE is required", NULL);
	if (o.netns && o.pid)
		return usage_error("--netns and --pid exclude each other", NULL);
	if (!o.enclave_if != !o.uplink_if)
		return usage_error("--enclave-if and --uplink-if go together", NULL);
	if (o.dry_run + o.check + o.counters + o.resolver + o.learner + o.remove > 1)
		return usage_error("--dry-run, --check, --counters, --resolver-conf, "
				   "--learner-conf and --remove exclude each other", NULL);
	if (o.host_only && o.host == 0)
		return usage_error("--host-only and --no-host exclude each other", NULL);

	/* Nothing is touched before the whole nameplate is valid. */
	rc = rb_nameplate_load(&np, o.nameplate, &err);
	if (rc < 0)
		goto fail;
	loaded = 1;
	t.path = o.netns;
	t.pid = o.pid;
	/* applying, --dry-run and the resolver's set: what the kernel offers
	 * (global, so this netns answers for the sentry's too) */
	t.backend = rb_fw_backend_resolve(o.backend, NULL, 0, t.why, sizeof(t.why));
	if (o.dry_run)
		printf("# backend %s (%s)\n", rb_fw_backend_name(t.backend), t.why);

	if (o.resolver) {
		rc = rb_resolver_conf_write(&np, t.backend, stdout, &err);
		goto end;
	}
	if (o.learner) {
		rc = rb_learn_conf_write(&np, stdout, &err);
		goto end;
	}
	if (o.remove || o.host_only) {
		rc = host_part(&np, &o, &t, &drift, &err);
		goto end;
	}
	if (!o.netns && !o.pid && !(o.dry_run && o.enclave_if)) {
		rc = find_container(&np, &t, &err);
		if (rc < 0)
			goto fail;
	}
	if (o.counters) {
		rc = counters_part(&t, o.backend, &err);
		goto end;
	}
	rc = sentry_part(&np, &o, &t, o.netns || o.pid || t.container, &plan, &drift, &err);
	if (rc < 0)
		goto fail;
	if (o.dry_run) {
		rc = t.backend == RB_FW_BACKEND_NFT ? rb_fw_plan_print_nft(plan, stdout) :
						      rb_fw_plan_print(plan, stdout);
		if (rc < 0) {
			rb_err_sys(&err, -rc, "cannot write the plan");
			goto fail;
		}
	}
	if (o.host == 1 || (o.host == -1 && t.container))
		rc = host_part(&np, &o, &t, &drift, &err);
end:
	if (rc < 0)
		goto fail;
	if (drift)
		exit_ok = RB_EXIT_VIOLATION;
	rb_nameplate_free(&np);
	return exit_ok;
fail:
	if (!err.msg[0])
		rb_err_sys(&err, -rc, "failed");
	rb_err_print(prog, &err);
	if (loaded)
		rb_nameplate_free(&np);
	return rb_err_exit_code(&err);
}
