/* What rb learns from podman. podman runs without a shell (fork/execvp),
 * its stdout is read whole (capped) and parsed with cJSON; its stderr only
 * feeds the error message. Every field used is type- and range-checked: a
 * PID, an interface name or a subnet from here ends up in setns(), netlink
 * requests and firewall rules. */
#include "podman.h"
#include "utils.h"
#include "addr.h"

#include <cjson/cJSON.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PODMAN_MAX_OUT (8u << 20)
#define PODMAN_MAX_ERR 4096
#define PODMAN_TIMEOUT_MS 120000
#define PODMAN_MAX_NETWORKS 4096 /* in one listing */
#define PODMAN_MAX_SUBNETS 64    /* per network, IPv6 included */
#define PID_LIMIT 4194304        /* PID_MAX_LIMIT on 64-bit Linux */

/* ---- running podman ---- */

struct run_out {
	char *out;
	size_t out_len;
	char err[PODMAN_MAX_ERR + 1];
	size_t err_len;
	int status;
};

static const char *podman_bin(void)
{
	const char *p = getenv("RB_PODMAN");

	return p && p[0] ? p : "podman";
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The child: stdin from /dev/null, stdout and stderr into the pipes. An
 * exec failure is reported through the close-on-exec status pipe. */
static void child(char *const argv[], int out_w, int err_w, int st_w)
{
	int e, devnull = open("/dev/null", O_RDONLY);

	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0) {
		e = errno;
		goto fail;
	}
	/* The caller may hold netns fds or netlink sockets without
	 * O_CLOEXEC; podman gets none of them. Marked, not closed, so the
	 * status pipe lives until exec. Best effort on old kernels. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execvp(argv[0], argv);
	e = errno;
fail:
	{
		ssize_t w = write(st_w, &e, sizeof(e));

		(void)w;
	}
	_exit(127);
}

/* Where one pipe's bytes go, NUL-terminated: stdout whole up to its cap
 * (more is an error: the JSON would be cut), stderr's first bytes only (it
 * feeds a message). */
struct sink {
	char *buf;
	size_t len, cap, max;
	int cut; /* 1: bytes past max are dropped; 0: they fail the call */
};

static int sink_add(struct sink *s, const char *p, size_t n)
{
	if (s->len + n > s->max) {
		if (!s->cut)
			return -EFBIG;
		n = s->max - s->len;
	}
	if (s->len + n + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 65536;
		char *q;

		while (ncap < s->len + n + 1)
			ncap *= 2;
		q = realloc(s->buf, ncap);
		if (!q)
			return -ENOMEM;
		s->buf = q;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return 0;
}

/* Reads both pipes until EOF, the cap, or the deadline. */
static int drain_pipes(const int fd[2], struct sink sk[2], const char *what, struct rb_err *err)
{
	long long deadline = now_ms() + PODMAN_TIMEOUT_MS;
	int fds[2] = { fd[0], fd[1] };

	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd pfd[2] = { { fds[0], POLLIN, 0 }, { fds[1], POLLIN, 0 } };
		long long left = deadline - now_ms();
		int i, n;

		if (left <= 0)
			return rb_err_set(err, -ETIMEDOUT, "%s: no answer after %d s", what,
					  PODMAN_TIMEOUT_MS / 1000);
		n = poll(pfd, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rb_err_sys(err, errno, "%s: poll", what);
		for (i = 0; i < 2; i++) {
			char buf[65536];
			ssize_t got;

			if (fds[i] < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(fds[i], buf, sizeof(buf));
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				fds[i] = -1;
				continue;
			}
			n = sink_add(&sk[i], buf, (size_t)got);
			if (n == -ENOMEM)
				return rb_err_oom(err);
			if (n < 0)
				return rb_err_set(err, -EFBIG, "%s: unexpected output: more than %zu bytes",
						  what, sk[i].max);
		}
	}
	return 0;
}

/* podman's stdout into ro->out (malloc'd), its stderr into ro->err. */
static int drain(int out_r, int err_r, struct run_out *ro, const char *what, struct rb_err *err)
{
	const int fd[2] = { out_r, err_r };
	struct sink sk[2] = {
		{ .max = PODMAN_MAX_OUT },
		{ .buf = ro->err, .cap = sizeof(ro->err), .max = PODMAN_MAX_ERR, .cut = 1 },
	};
	int rc;

	ro->err[0] = '\0';
	rc = drain_pipes(fd, sk, what, err);
	ro->out = sk[0].buf;
	ro->out_len = sk[0].len;
	ro->err_len = sk[1].len;
	return rc;
}

/* Runs podman with args (NULL-terminated, without argv[0]). A non-zero exit
 * is not an error here: the caller decides what it means. */
static int run_podman(const char *const args[], struct run_out *ro, const char *what,
		      struct rb_err *err)
{
	char *argv[16];
	int out_p[2] = { -1, -1 }, err_p[2] = { -1, -1 }, st_p[2] = { -1, -1 };
	int rc = 0, e = 0, n = 0;
	pid_t pid = -1;
	ssize_t got;
	size_t i;

	memset(ro, 0, sizeof(*ro));
	argv[n++] = (char *)podman_bin();
	for (i = 0; args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (pipe2(out_p, O_CLOEXEC) < 0 || pipe2(err_p, O_CLOEXEC) < 0 ||
	    pipe2(st_p, O_CLOEXEC) < 0) {
		rc = rb_err_sys(err, errno, "cannot run podman: pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		rc = rb_err_sys(err, errno, "cannot run podman: fork");
		goto out;
	}
	if (pid == 0)
		child(argv, out_p[1], err_p[1], st_p[1]);
	close_fd(&out_p[1]);
	close_fd(&err_p[1]);
	close_fd(&st_p[1]);
	do
		got = read(st_p[0], &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)sizeof(e)) {
		rc = rb_err_sys(err, e, "cannot run podman: %s", argv[0]);
		goto out;
	}
	rc = drain(out_p[0], err_p[0], ro, what, err);
	if (rc < 0)
		kill(pid, SIGKILL);
out:
	close_fd(&out_p[0]);
	close_fd(&out_p[1]);
	close_fd(&err_p[0]);
	close_fd(&err_p[1]);
	close_fd(&st_p[0]);
	close_fd(&st_p[1]);
	if (pid > 0) {
		int status = 0;
		pid_t w;

		do
			w = waitpid(pid, &status, 0);
		while (w < 0 && errno == EINTR);
		/* Without a status (SIGCHLD ignored by the caller) success is unknown. */
		if (w < 0 && rc == 0)
			rc = rb_err_sys(err, errno, "%s: waitpid", what);
		ro->status = status;
	}
	if (rc < 0) {
		free(ro->out);
		ro->out = NULL;
	}
	return rc;
}

/* A line podman logs through logrus at warning level or below
 * (`time="..." level=warning msg="..."`): Podman 5 on cgroup v1 writes one
 * before every error, so it is never the reason a call failed. */
static int is_log_noise(const char *line, size_t len)
{
	static const char *const levels[] = { "level=warning", "level=info", "level=debug" };
	size_t i, n;

	for (i = 0; i < N_ELEMENTS(levels); i++) {
		n = strlen(levels[i]);
		if (len >= n && memmem(line, len, levels[i], n))
			return 1;
	}
	return 0;
}

/* The line of podman's stderr that says why it failed, made safe to print:
 * the first "Error: " line, else the first line that is not log noise. */
static const char *err_line(const struct run_out *ro, char *buf, size_t size)
{
	const char *p = ro->err, *end = ro->err + ro->err_len, *pick = NULL, *eol;
	size_t i, len = 0, o = 0;

	for (; p < end; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		if ((size_t)(eol - p) >= 7 && !strncmp(p, "Error: ", 7)) {
			pick = p;
			len = (size_t)(eol - p);
			break;
		}
		if (!pick && eol > p && !is_log_noise(p, (size_t)(eol - p))) {
			pick = p;
			len = (size_t)(eol - p);
		}
		if (eol == end)
			break;
	}
	for (i = 0; pick && i < len && o + 5 < size && o < 300; i++) {
		unsigned char c = (unsigned char)pick[i];

		if (c >= 0x20 && c < 0x7f)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return o ? buf : "(no message)";
}

static int exit_failed(const struct run_out *ro, const char *what, struct rb_err *err)
{
	char line[400];

	if (WIFSIGNALED(ro->status))
		return rb_err_set(err, -ECHILD, "%s: killed by signal %d", what,
				  WTERMSIG(ro->status));
	return rb_err_set(err, -ECHILD, "%s: exit status %d: %s", what, WEXITSTATUS(ro->status),
			  err_line(ro, line, sizeof(line)));
}

/* podman says "no such container X" / "network not found"; older and newer
 * versions word it differently, so look for the few known phrases. */
static int says_not_found(const struct run_out *ro)
{
	static const char *const phrases[] = { "no such container", "no such object",
					       "network not found", "unable to find network",
					       "no such network" };
	size_t i;

	for (i = 0; i < N_ELEMENTS(phrases); i++)
		if (strcasestr(ro->err, phrases[i]))
			return 1;
	return 0;
}

/* ---- parsing ---- */

/* Every parse failure is -EPROTO with a message saying what was wrong. */
#define unexpected(err, fmt, ...) \
	(rb_err_set((err), -EPROTO, "unexpected output: " fmt, __VA_ARGS__), -EPROTO)

/* One JSON value and nothing after it. */
static cJSON *parse_json_value(const char *json, size_t len, struct rb_err *err)
{
	const char *end = NULL;
	cleanup_cjson cJSON *root = NULL;

	if (!json || len == 0) {
		rb_err_set(err, -EPROTO, "unexpected output: empty");
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		rb_err_set(err, -EPROTO, "unexpected output: not JSON");
		return NULL;
	}
	while (end && end < json + len && isspace((unsigned char)*end))
		end++;
	if (!end || end != json + len) {
		rb_err_set(err, -EPROTO, "unexpected output: data after the JSON value");
		return NULL;
	}
	return steal_pointer(&root);
}

static cJSON *parse_json(const char *json, size_t len, struct rb_err *err)
{
	cleanup_cjson cJSON *root = parse_json_value(json, len, err);

	if (!root)
		return NULL;
	if (!cJSON_IsArray(root)) {
		rb_err_set(err, -EPROTO, "unexpected output: not a JSON array");
		return NULL;
	}
	return steal_pointer(&root);
}

static int name_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return 0;
	return 1;
}

static int mac_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 17)
		return 0;
	for (i = 0; i < 17; i++) {
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A string member: NULL when absent or null, -EPROTO when another type. */
static int get_str(const cJSON *o, const char *key, const char **out, struct rb_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = NULL;
	if (!it || cJSON_IsNull(it))
		return 0;
	if (!cJSON_IsString(it) || !it->valuestring)
		return unexpected(err, "%s is not a string", key);
	*out = it->valuestring;
	return 0;
}

static int get_bool(const cJSON *o, const char *key, int required, int *out, struct rb_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	*out = 0;
	if (!it && !required)
		return 0;
	if (!it || !cJSON_IsBool(it))
		return unexpected(err, "%s is not a boolean", key);
	*out = cJSON_IsTrue(it) ? 1 : 0;
	return 0;
}

static int get_uint(const cJSON *o, const char *key, double max, unsigned long *out,
		    struct rb_err *err)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	double d;

	if (!it || !cJSON_IsNumber(it))
		return unexpected(err, "%s is not a number", key);
	d = it->valuedouble;
	if (!(d >= 0 && d <= max) || d != (double)(unsigned long)d)
		return unexpected(err, "%s is out of range", key);
	*out = (unsigned long)d;
	return 0;
}

static int parse_attachment(const cJSON *net, struct rb_podman_attachment *a, struct rb_err *err)
{
	const char *ip = NULL, *mac = NULL;
	unsigned long prefix = 0;

	if (!net->string || !name_ok(net->string, sizeof(a->network) - 1))
		return unexpected(err, "%s", "NetworkSettings.Networks: bad network name");
	snprintf(a->network, sizeof(a->network), "%s", net->string);
	if (!cJSON_IsObject(net))
		return unexpected(err, "network \"%s\" is not an object", a->network);
	if (get_str(net, "IPAddress", &ip, err) < 0 || get_str(net, "MacAddress", &mac, err) < 0 ||
	    get_uint(net, "IPPrefixLen", 32, &prefix, err) < 0)
		return -EPROTO;
	/* A stopped container keeps its networks with empty addresses. */
	if (ip && ip[0] && rb_parse_ipv4(ip, &a->ip) < 0)
		return unexpected(err, "network \"%s\": bad IPAddress", a->network);
	if (mac && mac[0] && !mac_ok(mac))
		return unexpected(err, "network \"%s\": bad MacAddress", a->network);
	if (mac && mac[0])
		snprintf(a->mac, sizeof(a->mac), "%s", mac);
	a->prefix = (unsigned int)prefix;
	return 0;
}

int rb_podman_parse_container(const char *json, size_t len, struct rb_podman_container *out,
			      struct rb_err *err)
{
	const cJSON *c, *state, *ns, *nets, *net;
	const char *name = NULL, *status = NULL;
	unsigned long pid = 0;
	cJSON *root;
	int rc = -EPROTO, n;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	root = parse_json(json, len, err);
	if (!root)
		return -EPROTO;
	n = cJSON_GetArraySize(root);
	if (n == 0) {
		rc = rb_err_set(err, -ENOENT, "no such container");
		goto out;
	}
	c = cJSON_GetArrayItem(root, 0);
	if (n != 1 || !cJSON_IsObject(c)) {
		rc = unexpected(err, "%s", "not one container object");
		goto out;
	}
	if (get_str(c, "Name", &name, err) < 0)
		goto out;
	if (name && name[0] == '/') /* Docker-compatible form */
		name++;
	if (!name || !name_ok(name, sizeof(out->name) - 1)) {
		rc = unexpected(err, "%s", "missing or bad Name");
		goto out;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	state = cJSON_GetObjectItemCaseSensitive(c, "State");
	if (!cJSON_IsObject(state)) {
		rc = unexpected(err, "%s", "State is not an object");
		goto out;
	}
	if (get_bool(state, "Running", 1, &out->running, err) < 0 ||
	    get_uint(state, "Pid", PID_LIMIT, &pid, err) < 0 ||
	    get_str(state, "Status", &status, err) < 0)
		goto out;
	/* `podman init`: namespaces made, the process not started yet */
	out->initialized = !out->running && status && !strcmp(status, "initialized");
	if ((out->running || out->initialized) && pid == 0) {
		rc = unexpected(err, "%s", "running but State.Pid is 0");
		goto out;
	}
	out->pid = out->running || out->initialized ? (pid_t)pid : 0;
	ns = cJSON_GetObjectItemCaseSensitive(c, "NetworkSettings");
	if (!cJSON_IsObject(ns)) {
		rc = unexpected(err, "%s", "NetworkSettings is not an object");
		goto out;
	}
	nets = cJSON_GetObjectItemCaseSensitive(ns, "Networks");
	if (nets && !cJSON_IsNull(nets) && !cJSON_IsObject(nets)) {
		rc = unexpected(err, "%s", "Networks is not an object");
		goto out;
	}
	cJSON_ArrayForEach(net, nets)
	{
		if (out->n_nets == RB_PODMAN_MAX_NETS) {
			rc = unexpected(err, "%s", "more than 16 networks");
			goto out;
		}
		if (parse_attachment(net, &out->nets[out->n_nets], err) < 0)
			goto out;
		out->n_nets++;
	}
	rc = 0;
out:
	cJSON_Delete(root);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

static int parse_subnet(const cJSON *s, struct rb_podman_network *nw, struct rb_err *err)
{
	const char *sub = NULL, *gw = NULL;
	struct rb_cidr c;

	if (!cJSON_IsObject(s))
		return unexpected(err, "network \"%s\": %s", nw->name,
				  "a subnet is not an object");
	if (get_str(s, "subnet", &sub, err) < 0 || get_str(s, "gateway", &gw, err) < 0)
		return -EPROTO;
	if (!sub)
		return unexpected(err, "network \"%s\": %s", nw->name,
				  "subnet without \"subnet\"");
	if (strchr(sub, ':')) /* IPv6: rb never forwards it */
		return 0;
	if (rb_parse_cidr(sub, &c) < 0)
		return unexpected(err, "network \"%s\": %s", nw->name,
				  "bad IPv4 subnet");
	if (nw->n_subnets == N_ELEMENTS(nw->subnets))
		return unexpected(err, "network \"%s\": %s", nw->name,
				  "more than 8 IPv4 subnets");
	nw->subnets[nw->n_subnets++] = c;
	if (gw && gw[0]) {
		struct in_addr g;

		if (rb_parse_ipv4(gw, &g) < 0 || !rb_cidr_contains(&c, g))
			return unexpected(err, "network \"%s\": %s", nw->name,
					  "bad IPv4 gateway");
		if (!nw->has_gateway) {
			nw->gateway = g;
			nw->has_gateway = 1;
		}
	}
	return 0;
}

static int parse_network(const cJSON *o, struct rb_podman_network *nw, struct rb_err *err)
{
	const char *name = NULL, *bridge = NULL;
	const cJSON *subs, *s;

	if (!cJSON_IsObject(o))
		return unexpected(err, "%s", "a network is not an object");
	if (get_str(o, "name", &name, err) < 0)
		return -EPROTO;
	if (!name || !name_ok(name, sizeof(nw->name) - 1))
		return unexpected(err, "%s", "missing or bad network name");
	snprintf(nw->name, sizeof(nw->name), "%s", name);
	if (get_str(o, "network_interface", &bridge, err) < 0 ||
	    get_bool(o, "internal", 0, &nw->internal, err) < 0)
		return -EPROTO;
	if (bridge && bridge[0] && !rb_ifname_valid(bridge))
		return unexpected(err, "network \"%s\": network_interface: %s", nw->name,
				  RB_WHY_IFNAME);
	if (bridge)
		snprintf(nw->bridge, sizeof(nw->bridge), "%s", bridge);
	subs = cJSON_GetObjectItemCaseSensitive(o, "subnets");
	if (!subs || cJSON_IsNull(subs))
		return 0;
	if (!cJSON_IsArray(subs) || cJSON_GetArraySize(subs) > PODMAN_MAX_SUBNETS)
		return unexpected(err, "network \"%s\": %s", nw->name,
				  "subnets is not an array of at most 64");
	cJSON_ArrayForEach(s, subs)
	{
		if (parse_subnet(s, nw, err) < 0)
			return -EPROTO;
	}
	return 0;
}

int rb_podman_parse_networks(const char *json, size_t len, struct rb_podman_network **out,
			     size_t *n, struct rb_err *err)
{
	struct rb_podman_network *nets = NULL;
	const cJSON *o;
	cJSON *root;
	size_t i = 0;
	int count, rc = 0;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	root = parse_json(json, len, err);
	if (!root)
		return -EPROTO;
	count = cJSON_GetArraySize(root);
	if (count > PODMAN_MAX_NETWORKS) {
		rc = unexpected(err, "%s", "more than 4096 networks");
		goto out;
	}
	if (count > 0) {
		nets = calloc((size_t)count, sizeof(*nets));
		if (!nets) {
			rc = rb_err_oom(err);
			goto out;
		}
	}
	cJSON_ArrayForEach(o, root)
	{
		if (!nets || i >= (size_t)count)
			break;
		rc = parse_network(o, &nets[i], err);
		if (rc < 0)
			goto out;
		i++;
	}
	*out = nets;
	*n = i;
	nets = NULL;
out:
	free(nets);
	cJSON_Delete(root);
	return rc;
}

/* A path of podman info's: absolute, printable, shorter than the buffer.
 * Empty (absent) only where optional. */
static int store_path(const cJSON *o, const char *key, int required, char *out,
		      struct rb_err *err)
{
	const char *s;
	size_t i, n;
	int rc = get_str(o, key, &s, err);

	out[0] = '\0';
	if (rc < 0)
		return rc;
	if (!s || !s[0]) {
		if (required)
			return unexpected(err, "no %s", key);
		return 0;
	}
	/* The API socket is a URL on Podman 5, a path on 4.3; any other URL
	 * is a remote connection, nothing of this host's to refuse. The
	 * storage paths are paths. */
	if (!required && strncmp(s, "unix://", 7) == 0)
		s += 7;
	else if (!required && s[0] != '/' && strstr(s, "://"))
		return 0;
	n = strlen(s);
	if (s[0] != '/' || n >= RB_PODMAN_PATH_MAX)
		return unexpected(err, "%s is not an absolute path", key);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return unexpected(err, "%s holds a control character", key);
	memcpy(out, s, n + 1);
	return 0;
}

int rb_podman_parse_info(const char *json, size_t len, struct rb_podman_store *out,
			 struct rb_err *err)
{
	const cJSON *store, *host, *sock;
	cJSON *root;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	root = parse_json_value(json, len, err);
	if (!root)
		return -EPROTO;
	store = cJSON_GetObjectItemCaseSensitive(root, "store");
	host = cJSON_GetObjectItemCaseSensitive(root, "host");
	sock = cJSON_IsObject(host) ? cJSON_GetObjectItemCaseSensitive(host, "remoteSocket") : NULL;
	if (!cJSON_IsObject(root) || !cJSON_IsObject(store)) {
		rc = unexpected(err, "%s", "no store object");
		goto out;
	}
	rc = store_path(store, "graphRoot", 1, out->graph_root, err);
	if (rc == 0)
		rc = store_path(store, "runRoot", 1, out->run_root, err);
	if (rc == 0)
		rc = store_path(store, "volumePath", 0, out->volume_path, err);
	if (rc == 0 && cJSON_IsObject(sock))
		rc = store_path(sock, "path", 0, out->socket, err);
out:
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	cJSON_Delete(root);
	return rc;
}

/* ---- the commands ---- */

/* Names given to podman come from nameplates or rb itself; checked anyway
 * so none can be read as an option. */
static int check_arg(const char *kind, const char *name, size_t max, struct rb_err *err)
{
	if (!name || !name_ok(name, max))
		return rb_err_config(err, "invalid podman %s name \"%.64s\"", kind, name ? name : "");
	return 0;
}

int rb_podman_container_inspect(const char *name, struct rb_podman_container *out,
				struct rb_err *err)
{
	const char *args[] = { "container", "inspect", "--", name, NULL };
	struct run_out ro;
	char what[200];
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = check_arg("container", name, sizeof(out->name) - 1, err);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "podman container inspect %s", name);
	rc = run_podman(args, &ro, what, err);
	if (rc < 0)
		return rc;
	if (ro.status != 0) {
		if (WIFEXITED(ro.status) && says_not_found(&ro))
			rc = rb_err_set(err, -ENOENT, "no such container \"%s\"", name);
		else
			rc = exit_failed(&ro, what, err);
		goto out;
	}
	rc = rb_podman_parse_container(ro.out, ro.out_len, out, err);
	if (rc == -ENOENT) {
		rc = rb_err_set(err, -ENOENT, "no such container \"%s\"", name);
		goto out;
	}
	if (rc < 0) {
		rc = rb_err_wrap(err, rc, "%s", what);
		goto out;
	}
	if (strcmp(out->name, name) != 0) {
		rc = rb_err_set(err, -EPROTO, "%s: unexpected output: container \"%s\"", what,
				out->name);
		memset(out, 0, sizeof(*out));
	}
out:
	free(ro.out);
	return rc;
}

int rb_podman_network_inspect(const char *name, struct rb_podman_network *out,
			      struct rb_err *err)
{
	const char *args[] = { "network", "inspect", "--", name, NULL };
	struct rb_podman_network *nets = NULL;
	struct run_out ro;
	char what[200];
	size_t n = 0;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = check_arg("network", name, sizeof(out->name) - 1, err);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "podman network inspect %s", name);
	rc = run_podman(args, &ro, what, err);
	if (rc < 0)
		return rc;
	if (ro.status != 0) {
		if (WIFEXITED(ro.status) && says_not_found(&ro))
			rc = rb_err_set(err, -ENOENT, "no such podman network \"%s\"", name);
		else
			rc = exit_failed(&ro, what, err);
		goto out;
	}
	rc = rb_podman_parse_networks(ro.out, ro.out_len, &nets, &n, err);
	if (rc < 0) {
		rc = rb_err_wrap(err, rc, "%s", what);
		goto out;
	}
	if (n == 0) {
		rc = rb_err_set(err, -ENOENT, "no such podman network \"%s\"", name);
		goto out;
	}
	if (n != 1 || strcmp(nets[0].name, name) != 0) {
		rc = rb_err_set(err, -EPROTO, "%s: unexpected output: %zu networks, first \"%s\"",
				what, n, nets[0].name);
		goto out;
	}
	*out = nets[0];
out:
	free(nets);
	free(ro.out);
	return rc;
}

int rb_podman_network_list(struct rb_podman_network **out, size_t *n, struct rb_err *err)
{
	const char *args[] = { "network", "ls", "--format", "json", NULL };
	const char *what = "podman network ls";
	struct run_out ro;
	int rc;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	rc = run_podman(args, &ro, what, err);
	if (rc < 0)
		return rc;
	if (ro.status != 0)
		rc = exit_failed(&ro, what, err);
	else if ((rc = rb_podman_parse_networks(ro.out, ro.out_len, out, n, err)) < 0)
		rc = rb_err_wrap(err, rc, "%s", what);
	free(ro.out);
	return rc;
}

int rb_podman_store_info(struct rb_podman_store *out, struct rb_err *err)
{
	const char *args[] = { "info", "--format", "json", NULL };
	const char *what = "podman info";
	struct run_out ro;
	int rc;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = run_podman(args, &ro, what, err);
	if (rc < 0)
		return rc;
	if (ro.status != 0)
		rc = exit_failed(&ro, what, err);
	else if ((rc = rb_podman_parse_info(ro.out, ro.out_len, out, err)) < 0)
		rc = rb_err_wrap(err, rc, "%s", what);
	free(ro.out);
	return rc;
}
