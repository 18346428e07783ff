/* Finding a bottle's sentry from the host (lib/sentry.h). */
#include "sentry.h"
#include "netns.h"
#include "podman.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rb_sentry_enter(const struct rb_sentry *s, int *saved, struct rb_err *err)
{
	if (s->path)
		return rb_netns_enter_path(s->path, saved, err);
	return rb_netns_enter_pid(s->pid, saved, err);
}

static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* --pid 1 or a wrong --netns would put the sentry policy here. */
int rb_sentry_refuse_host_netns(int saved, struct rb_err *err)
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

int rb_sentry_find_container(const struct rb_nameplate *np, struct rb_sentry *s,
			     struct rb_err *err)
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
	s->container = 1;
	s->pid = c.pid;
	for (size_t i = 0; i < c.n_nets && i < RB_PODMAN_MAX_NETS; i++) {
		if (!strcmp(c.nets[i].network, np->uplink_network)) {
			s->has_uplink_ip = 1;
			s->uplink_ip = c.nets[i].ip;
		}
	}
	if (!s->has_uplink_ip)
		return rb_err_set(err, -ENOENT, "container %s is not attached to network %s", name,
				  np->uplink_network);
	return 0;
}

int rb_sentry_ifaces(const struct rb_nameplate *np, const char *enclave_if,
		     const char *uplink_if, struct rb_sentry *s, struct rb_fw_ifaces *ifs,
		     struct rb_err *err)
{
	int rc;

	if (enclave_if || uplink_if)
		rc = rb_fw_ifaces_lookup(enclave_if, uplink_if, ifs, err);
	else
		rc = rb_fw_ifaces_detect(np, ifs, err);
	if (rc == 0 && s->has_uplink_ip && ifs->uplink_ip.s_addr != s->uplink_ip.s_addr) {
		char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &ifs->uplink_ip, a, sizeof(a));
		inet_ntop(AF_INET, &s->uplink_ip, b, sizeof(b));
		rc = rb_err_set(err, -EEXIST, "uplink %s holds %s, but podman says %s", ifs->uplink,
				a, b);
	}
	if (rc == 0) {
		s->found_uplink_ip = 1;
		s->found_ip = ifs->uplink_ip;
	}
	return rc;
}

int rb_sentry_bridge(const char *network, const char *given, char *br, size_t len,
		     struct rb_err *err)
{
	struct rb_podman_network net;
	int rc;

	if (given) {
		snprintf(br, len, "%s", given);
		return 0;
	}
	memset(&net, 0, sizeof(net));
	rc = rb_podman_network_inspect(network, &net, err);
	if (rc < 0)
		return rc;
	if (!net.bridge[0])
		return rb_err_set(err, -ENOENT, "podman network %s has no bridge", network);
	snprintf(br, len, "%s", net.bridge);
	return 0;
}

int rb_sentry_uplink_ip(const struct rb_nameplate *np, const struct in_addr *given,
			const struct rb_sentry *s, struct in_addr *ip, struct rb_err *err)
{
	struct rb_sentry c;
	int rc;

	if (given) {
		*ip = *given;
		return 0;
	}
	if (s->has_uplink_ip) {
		*ip = s->uplink_ip;
		return 0;
	}
	if (s->found_uplink_ip) {
		*ip = s->found_ip;
		return 0;
	}
	memset(&c, 0, sizeof(c));
	rc = rb_sentry_find_container(np, &c, err);
	if (rc == 0)
		*ip = c.uplink_ip;
	return rc;
}

/* It happens when the sentry holds an address the host uses too: on
 * Podman 5 an --internal network has no gateway unless created with one,
 * and IPAM gives the first container the address a user may have put on
 * the bridge. */
int rb_sentry_entry_target_check(struct in_addr up, struct rb_err *err)
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
