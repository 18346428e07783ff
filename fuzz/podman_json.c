/* libFuzzer target for what rb reads from podman: the container, network
 * and info JSON parsers run on every input; whatever they accept must be
 * within the bounds the rest of rb relies on (PIDs, names, interface
 * names, prefixes, array sizes, absolute paths).
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Ilib $(pkg-config --cflags libcjson) -o build/fuzz-podman-json \
 *         fuzz/podman_json.c lib/podman.c lib/addr.c lib/err.c \
 *         $(pkg-config --libs libcjson)
 *   build/fuzz-podman-json -max_len=16384 -dict=fuzz/podman_json.dict fuzz/corpus/podman_json */
#include "podman.h"
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s, size_t size)
{
	size_t i, n = strnlen(s, size);

	if (n == 0 || n == size)
		abort();
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			abort();
}

static void check_cidr(const struct rb_cidr *c)
{
	uint32_t mask = c->prefix ? 0xffffffffu << (32 - c->prefix) : 0;

	if (c->prefix > 32 || (ntohl(c->addr.s_addr) & ~mask))
		abort();
}

/* A path podman info gave: "" where optional, else absolute and printable. */
static void check_path(const char *s, int required)
{
	size_t i, n = strnlen(s, RB_PODMAN_PATH_MAX);

	if (n == RB_PODMAN_PATH_MAX || (n == 0 && required) || (n && s[0] != '/'))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check_info(const char *data, size_t size, struct rb_err *err)
{
	struct rb_podman_store st;
	int rc = rb_podman_parse_info(data, size, &st, err);

	if (rc == 0) {
		check_path(st.graph_root, 1);
		check_path(st.run_root, 1);
		check_path(st.volume_path, 0);
		check_path(st.socket, 0);
	} else if (!err->msg[0] || rc != -EPROTO || st.graph_root[0]) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_podman_container c;
	struct rb_podman_network *nets = NULL;
	struct rb_err err = { 0 };
	size_t n = 0, i, j;
	int rc;

	rc = rb_podman_parse_container((const char *)data, size, &c, &err);
	if (rc == 0) {
		check_name(c.name, sizeof(c.name));
		if (c.n_nets > RB_PODMAN_MAX_NETS || (c.running && c.pid <= 0) ||
		    (!c.running && c.pid != 0) || c.pid > 4194304)
			abort();
		for (i = 0; i < c.n_nets; i++) {
			check_name(c.nets[i].network, sizeof(c.nets[i].network));
			if (c.nets[i].prefix > 32 || (c.nets[i].mac[0] && strlen(c.nets[i].mac) != 17))
				abort();
		}
	} else if (!err.msg[0] || (rc != -ENOENT && rc != -EPROTO && rc != -ENOMEM)) {
		abort();
	}

	err.msg[0] = '\0';
	rc = rb_podman_parse_networks((const char *)data, size, &nets, &n, &err);
	if (rc == 0) {
		for (i = 0; i < n; i++) {
			check_name(nets[i].name, sizeof(nets[i].name));
			if (nets[i].bridge[0])
				check_name(nets[i].bridge, sizeof(nets[i].bridge));
			if (nets[i].n_subnets > 8)
				abort();
			for (j = 0; j < nets[i].n_subnets; j++)
				check_cidr(&nets[i].subnets[j]);
			if (nets[i].has_gateway && !nets[i].n_subnets)
				abort();
		}
	} else if (!err.msg[0] || nets || n) {
		abort();
	}
	free(nets);

	err.msg[0] = '\0';
	check_info((const char *)data, size, &err);
	return 0;
}
