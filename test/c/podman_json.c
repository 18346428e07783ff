/* test/015-podman-json.bats's probe: calls lib/podman.c's inspect and list
 * functions (against the fake or the real podman, $RB_PODMAN) and prints
 * what they read, one field per word, or their one message and exit code.
 * Built by `make test-helpers` (part of make check) into $(BUILD)/test/. */
#include "podman.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void print_net(const struct rb_podman_network *n)
{
	char b[INET_ADDRSTRLEN];
	size_t j;

	printf("network=%s bridge=%s internal=%d gateway=%s\n", n->name, n->bridge, n->internal,
	       n->has_gateway ? ip(n->gateway, b) : "-");
	for (j = 0; j < n->n_subnets; j++)
		printf("subnet=%s/%u\n", ip(n->subnets[j].addr, b), n->subnets[j].prefix);
}

int main(int argc, char **argv)
{
	struct rb_err err = { 0 };
	char b[INET_ADDRSTRLEN];
	size_t i;

	if (argc == 3 && strcmp(argv[1], "container") == 0) {
		struct rb_podman_container c;

		if (rb_podman_container_inspect(argv[2], &c, &err) < 0)
			goto fail;
		printf("name=%s running=%d pid=%d\n", c.name, c.running, (int)c.pid);
		for (i = 0; i < c.n_nets; i++)
			printf("net=%s ip=%s/%u mac=%s\n", c.nets[i].network, ip(c.nets[i].ip, b),
			       c.nets[i].prefix, c.nets[i].mac);
	} else if (argc == 3 && strcmp(argv[1], "network") == 0) {
		struct rb_podman_network n;

		if (rb_podman_network_inspect(argv[2], &n, &err) < 0)
			goto fail;
		print_net(&n);
	} else if (argc == 2 && strcmp(argv[1], "networks") == 0) {
		struct rb_podman_network *nets = NULL;
		size_t n = 0;

		if (rb_podman_network_list(&nets, &n, &err) < 0)
			goto fail;
		for (i = 0; i < n; i++)
			print_net(&nets[i]);
		free(nets);
	} else {
		fprintf(stderr, "usage: probe container|network NAME | probe networks\n");
		return 1;
	}
	return 0;
fail:
	rb_err_print("probe", &err);
	return rb_err_exit_code(&err);
}
