/* The bottle's seccomp profile (see seccomp.h). The output is printed from
 * cJSON's tree, so what podman reads is what was checked here, except where
 * podman's reader (Go's encoding/json) sees another document in the same
 * text: it matches keys ignoring case, with Unicode folding (the Kelvin
 * sign is a k, the long s an s), and the last of two equal keys wins, where
 * cJSON keeps and prints both. A second "syscalls" would then be the rules
 * in force, untouched. Such keys are refused. */
#include "seccomp.h"
#include "utils.h"

#include "file.h"
#include "json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define BASE_MAX (1u << 20) /* podman's default is 16 KB */
#define KEYS_MAX 64         /* a profile or a rule has about ten */
#define NAME_MAX_LEN 64     /* syscall names are under 30 bytes */
/* cJSON keeps numbers as doubles: integers below 2^53 are exact, and one
 * above may have been rounded down to 2^53. */
#define EXACT_LIMIT 9007199254740992.0

/* -EINVAL in the macro itself: the analyzers see that it is an error. */
#define bad(err, origin, fmt, ...) \
	(rb_err_config((err), "seccomp profile \"%s\": " fmt, (origin), __VA_ARGS__), -EINVAL)

/* What the bottle must not get from the base's rules. */
static const char *const taken[] = { "clone", "clone3", "unshare" };

/* Where each call has its flags: clone has them second on s390. */
enum arches { ANY_ARCH, NOT_S390, ONLY_S390 };
static const struct flag_rule {
	const char *name;
	int arg;
	enum arches arches;
} flag_rules[] = {
	{ "clone", 0, NOT_S390 },
	{ "clone", 1, ONLY_S390 },
	{ "unshare", 0, ANY_ARCH },
};

/* Keys podman could read otherwise than cJSON (see the top), or so many
 * that comparing them pairwise would take long. */
static int keys_ok(const cJSON *obj, const char *where, const char *origin, struct rb_err *err)
{
	const cJSON *a, *b;
	size_t n = 0;

	for (a = obj->child; a; a = a->next) {
		const unsigned char *s = (const unsigned char *)a->string;

		if (!s)
			return bad(err, origin, "%s: a member without a key", where);
		if (++n > KEYS_MAX)
			return bad(err, origin, "%s: more than %d keys", where, KEYS_MAX);
		for (; *s; s++)
			if (*s < 0x20 || *s > 0x7e)
				return bad(err, origin, "%s: a key that is not printable ASCII", where);
		for (b = obj->child; b != a; b = b->next)
			if (strcasecmp(a->string, b->string) == 0)
				return bad(err, origin, "%s: keys \"%s\" and \"%s\" are the same to podman",
					   where, b->string, a->string);
	}
	return 0;
}

/* Every number must come out as it went in. */
static int numbers_ok(const cJSON *it, const char *origin, struct rb_err *err)
{
	int rc;

	for (; it; it = it->next) {
		if (cJSON_IsNumber(it)) {
			double d = it->valuedouble;

			if (!(d >= 0 && d < EXACT_LIMIT && d == (double)(long long)d))
				return bad(err, origin, "\"%s\": %.17g is not an integer below 2^53",
					   it->string ? it->string : "(array element)", d);
		}
		if (it->child) {
			rc = numbers_ok(it->child, origin, err);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

static int syscall_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int is_taken(const char *s)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(taken); i++)
		if (strcmp(s, taken[i]) == 0)
			return 1;
	return 0;
}

/* Checks one rule and drops the taken calls from its names; *empty when
 * none is left. */
static int rule_strip(cJSON *rule, size_t i, int *empty, const char *origin, struct rb_err *err)
{
	char where[48];
	cJSON *names, *n, *next;
	size_t j = 0;
	int rc;

	snprintf(where, sizeof(where), "syscalls[%zu]", i);
	if (!cJSON_IsObject(rule))
		return bad(err, origin, "%s is not an object", where);
	rc = keys_ok(rule, where, origin, err);
	if (rc < 0)
		return rc;
	/* podman adds "name" to "names": one more way in for clone */
	if (cJSON_GetObjectItem(rule, "name"))
		return bad(err, origin, "%s: \"name\" (rb reads \"names\" only)", where);
	names = cJSON_GetObjectItem(rule, "names");
	if (!cJSON_IsArray(names))
		return bad(err, origin, "%s: \"names\" is not an array", where);
	for (n = names->child; n; n = next, j++) {
		next = n->next;
		if (!cJSON_IsString(n) || !syscall_name_ok(n->valuestring))
			return bad(err, origin, "%s.names[%zu] is not a syscall name", where, j);
		if (is_taken(n->valuestring))
			cJSON_Delete(cJSON_DetachItemViaPointer(names, n));
	}
	*empty = names->child == NULL;
	return 0;
}

/* clone or unshare with CLONE_NEWUSER in r->arg: EPERM; without: allowed. */
static void add_flag_rules(struct rb_json *j, cJSON *syscalls, const struct flag_rule *r)
{
	static const char *const arches[] = { "s390", "s390x" };
	int newuser;

	for (newuser = 0; newuser <= 1; newuser++) {
		cJSON *rule = rb_json_obj(j, syscalls, NULL);
		cJSON *args, *arg, *filter, *list;
		size_t k;

		rb_json_str(j, rb_json_arr(j, rule, "names"), NULL, r->name);
		rb_json_str(j, rule, "action", newuser ? "SCMP_ACT_ERRNO" : "SCMP_ACT_ALLOW");
		if (newuser)
			rb_json_int(j, rule, "errnoRet", EPERM);
		args = rb_json_arr(j, rule, "args");
		arg = rb_json_obj(j, args, NULL);
		rb_json_int(j, arg, "index", r->arg);
		rb_json_int(j, arg, "value", CLONE_NEWUSER);
		rb_json_int(j, arg, "valueTwo", newuser ? CLONE_NEWUSER : 0);
		rb_json_str(j, arg, "op", "SCMP_CMP_MASKED_EQ");
		rb_json_str(j, rule, "comment",
			    newuser ? "rb: no user namespace in the bottle"
				    : "rb: allowed without CLONE_NEWUSER");
		if (r->arches == ANY_ARCH)
			continue;
		filter = rb_json_obj(j, rule, r->arches == ONLY_S390 ? "includes" : "excludes");
		list = rb_json_arr(j, filter, "arches");
		for (k = 0; k < N_ELEMENTS(arches); k++)
			rb_json_str(j, list, NULL, arches[k]);
	}
}

static void add_clone3_rule(struct rb_json *j, cJSON *syscalls)
{
	cJSON *rule = rb_json_obj(j, syscalls, NULL);

	rb_json_str(j, rb_json_arr(j, rule, "names"), NULL, "clone3");
	rb_json_str(j, rule, "action", "SCMP_ACT_ERRNO");
	rb_json_int(j, rule, "errnoRet", ENOSYS);
	rb_json_str(j, rule, "comment",
		    "rb: clone3's flags are out of seccomp's sight; the C library falls back to clone");
}

static int derive(cJSON *root, const char *origin, struct rb_err *err)
{
	struct rb_json j = { 0 };
	cJSON *syscalls, *rule, *next, *action;
	size_t i = 0, k;
	int rc, empty = 0;

	if (!cJSON_IsObject(root))
		return bad(err, origin, "%s", "not a JSON object");
	rc = keys_ok(root, "the profile", origin, err);
	if (rc == 0)
		rc = numbers_ok(root->child, origin, err);
	if (rc < 0)
		return rc;
	action = cJSON_GetObjectItem(root, "defaultAction");
	if (!cJSON_IsString(action) || strncmp(action->valuestring, "SCMP_ACT_", 9) != 0)
		return bad(err, origin, "%s", "\"defaultAction\" is not an SCMP_ACT_ action");
	syscalls = cJSON_GetObjectItem(root, "syscalls");
	if (!cJSON_IsArray(syscalls))
		return bad(err, origin, "%s", "\"syscalls\" is not an array");
	for (rule = syscalls->child; rule; rule = next, i++) {
		next = rule->next;
		rc = rule_strip(rule, i, &empty, origin, err);
		if (rc < 0)
			return rc;
		if (empty)
			cJSON_Delete(cJSON_DetachItemViaPointer(syscalls, rule));
	}
	for (k = 0; k < N_ELEMENTS(flag_rules); k++)
		add_flag_rules(&j, syscalls, &flag_rules[k]);
	add_clone3_rule(&j, syscalls);
	if (j.failed)
		return rb_err_oom(err);
	return 0;
}

int rb_seccomp_bottle(const char *base, size_t len, const char *origin, char **out,
		      struct rb_err *err)
{
	const char *end = NULL;
	cJSON *root;
	char *text = NULL;
	size_t n;
	int rc;

	*out = NULL;
	if (len > BASE_MAX)
		return bad(err, origin, "larger than %u bytes", BASE_MAX);
	root = cJSON_ParseWithLengthOpts(base, len, &end, 0);
	if (!root)
		return bad(err, origin, "%s", "not JSON");
	while (end && end < base + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (!end || end != base + len) {
		rc = bad(err, origin, "%s", "data after the JSON value");
		goto out;
	}
	rc = derive(root, origin, err);
	if (rc < 0)
		goto out;
	text = cJSON_Print(root);
	n = text ? strlen(text) : 0;
	*out = text ? malloc(n + 2) : NULL;
	if (!*out) {
		/* rc spelled out: the analyzer does not see rb_err_oom's value */
		rb_err_oom(err);
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*out, text, n);
	(*out)[n] = '\n';
	(*out)[n + 1] = '\0';
out:
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t put = write(fd, s, n);

		if (put < 0 && errno == EINTR)
			continue;
		if (put < 0)
			return -errno;
		s += put;
		n -= (size_t)put;
	}
	return 0;
}

/* Into a temporary file beside path, renamed over it when complete: a
 * reader (podman, a concurrent start) sees the old profile or the new one,
 * never part of one. */
static int write_atomic(const char *path, const char *text, struct rb_err *err)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char tmp[PATH_MAX];
	int fd, rc, len;

	if (*name == '\0')
		return rb_err_config(err, "\"%s\": not a file name for the seccomp profile", path);
	if (slash)
		len = snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path, name);
	else
		len = snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", name);
	if (len < 0 || (size_t)len >= sizeof(tmp))
		return rb_err_config(err, "\"%s\": path too long for the seccomp profile", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return rb_err_sys(err, errno, "cannot write seccomp profile \"%s\"", path);
	rc = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (rc == 0)
		rc = write_all(fd, text, strlen(text));
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(tmp);
		return rb_err_sys(err, -rc, "cannot write seccomp profile \"%s\"", path);
	}
	return 0;
}

int rb_seccomp_bottle_write(const char *base_path, const char *out_path, struct rb_err *err)
{
	char *base = NULL, *text = NULL;
	size_t len = 0;
	int rc;

	rc = rb_file_read("seccomp profile", base_path, BASE_MAX, &base, &len, err);
	if (rc == 0)
		rc = rb_seccomp_bottle(base, len, base_path, &text, err);
	if (rc == 0)
		rc = write_atomic(out_path, text, err);
	free(base);
	free(text);
	return rc;
}
