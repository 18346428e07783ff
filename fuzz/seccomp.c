/* libFuzzer target for the bottle's seccomp profile (lib/seccomp.c): any
 * base it accepts must come out as JSON in which clone, clone3 and unshare
 * are named by rb's seven rules at the end and by no rule of the base; any
 * base it refuses must leave a message and no output.
 *
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *         -Ilib $(pkg-config --cflags libcjson) -o build/fuzz-seccomp \
 *         fuzz/seccomp.c lib/seccomp.c lib/json.c lib/file.c lib/err.c $(pkg-config --libs libcjson)
 *   build/fuzz-seccomp -max_len=8192 -dict=fuzz/seccomp.dict fuzz/corpus/seccomp */
#include "seccomp.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RB_RULES 7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int names_taken(const cJSON *rule)
{
	const cJSON *n;

	cJSON_ArrayForEach(n, cJSON_GetObjectItem(rule, "names"))
		if (cJSON_IsString(n) && (strcmp(n->valuestring, "clone") == 0 ||
					  strcmp(n->valuestring, "clone3") == 0 ||
					  strcmp(n->valuestring, "unshare") == 0))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char sentinel; /* a failure must set out to NULL */
	struct rb_err err = { 0 };
	char *out = &sentinel;
	const cJSON *syscalls, *rule;
	cJSON *root;
	int n, i = 0;

	if (rb_seccomp_bottle((const char *)data, size, "fuzz", &out, &err) < 0) {
		if (out || err.msg[0] == '\0')
			abort();
		return 0;
	}
	root = cJSON_Parse(out);
	/* keys as podman reads them: in any case */
	syscalls = cJSON_GetObjectItem(root, "syscalls");
	n = cJSON_GetArraySize(syscalls);
	if (!cJSON_IsArray(syscalls) || n < RB_RULES)
		abort();
	cJSON_ArrayForEach(rule, syscalls) {
		if (names_taken(rule) != (i >= n - RB_RULES))
			abort();
		i++;
	}
	cJSON_Delete(root);
	free(out);
	return 0;
}
