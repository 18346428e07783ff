/* The bottle's workload in a nameplate: RBRN_BOTTLE_COMMAND, _WORKDIR,
 * _VOLUMES, _ENV_FILE, _MEMORY, _CPUS, _PIDS, _TTY.
 *
 * Everything here ends up as arguments of `podman run` for the bottle, so
 * it is checked as hostile: the command becomes an argv (never a string a
 * shell reads), a volume can only bring in a canonical host path outside
 * the host's system, podman's and rb's own directories, and an env file's
 * values are read only to check their form, never shown. */
#include "nameplate_int.h"
#include "podman.h" /* struct rb_podman_store only */
#include "utils.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD_MAX 4096           /* bytes of RBRN_BOTTLE_COMMAND */
#define ENV_FILE_MAX (1u << 20) /* an env file is a few secrets, not data */
#define MEMORY_MIN (6ull << 20) /* podman's own minimum */
#define MEMORY_MAX (1ull << 40)
#define PIDS_MIN 8 /* a shell, podman exec and a command or two */
#define PIDS_MAX 4194304 /* the kernel's pid_max limit */

/* Host paths a bottle never gets, nor anything below them: the host's
 * configuration and kernel interfaces, podman's storage and socket
 * (/run/podman), rb's state (/run/rb). Their ancestors (/, /var, /var/lib)
 * are refused too: mounting one brings them all in. */
static const char *const host_refused[] = {
	"/etc", "/proc", "/sys", "/dev", "/run", "/var/run", "/boot", "/var/lib/containers",
};

/* The host's own directories that have no fixed place: podman's, where
 * `podman info` says they are (storage.conf and containers.conf can move
 * them anywhere), and rb's state directory, RB_RUN as mk/bottle.sh has it.
 * Learned once per nameplate, and only for a volume or an env file that
 * passed every other check: podman info takes half a second. The asking
 * is the loader's host (struct rb_np_host): the parser runs no podman. */
#define HOST_ROOTS_MAX 5
struct host_roots {
	int loaded;
	size_t n;
	struct {
		char path[PATH_MAX];
		const char *what;
	} r[HOST_ROOTS_MAX];
};

/* Inside the bottle: podman and the kernel own these. */
static const char *const ctr_refused[] = { "/proc", "/sys", "/dev" };

/* 1: a is b or below it. */
static int path_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (strcmp(b, "/") == 0)
		return 1;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static const char *refused_by(const char *p, const char *const *list, size_t n, int ancestors)
{
	size_t i;

	if (strcmp(p, "/") == 0)
		return "/";
	for (i = 0; i < n; i++)
		if (path_under(p, list[i]) || (ancestors && path_under(list[i], p)))
			return list[i];
	return NULL;
}

/* One argument: no control character (a JSON string could decode to one
 * if escapes were allowed; they are not, this is the second line). */
static int arg_ok(const char *a)
{
	for (; *a; a++)
		if ((unsigned char)*a < 0x20 || *a == 0x7f)
			return 0;
	return 1;
}

/* Kept canonical when it exists, since the paths compared with it are;
 * as given (without trailing slashes) when it does not exist yet. */
static void add_root(struct host_roots *h, const char *path, const char *what)
{
	size_t n;

	if (!path[0] || h->n == HOST_ROOTS_MAX)
		return;
	if (!realpath(path, h->r[h->n].path)) {
		n = strlen(path);
		while (n > 1 && path[n - 1] == '/')
			n--;
		if (n >= sizeof(h->r[h->n].path))
			return;
		memcpy(h->r[h->n].path, path, n);
		h->r[h->n].path[n] = '\0';
	}
	h->r[h->n++].what = what;
}

static int load_roots(const struct np_raw *r, int v, struct host_roots *h, struct rb_err *err)
{
	const char *run = getenv("RB_RUN");
	struct rb_podman_store st;
	int rc;

	if (!run || !run[0])
		run = "/run/rb"; /* mk/bottle.sh's default */
	if (run[0] != '/' || strlen(run) >= PATH_MAX || !arg_ok(run))
		return rb_err_config(err, "RB_RUN: not an absolute path of printable characters");
	memset(&st, 0, sizeof(st));
	rc = r->host && r->host->store ? r->host->store(&st, err) : -EINVAL;
	if (rc < 0)
		return rb_err_wrap(err, rc, "%s: cannot tell where podman keeps its storage",
				   v == V_BOTTLE_VOLUMES ? "RBRN_BOTTLE_VOLUMES" : "RBRN_BOTTLE_ENV_FILE");
	add_root(h, run, "rb's state directory (RB_RUN)");
	add_root(h, st.graph_root, "podman's storage (graphRoot)");
	add_root(h, st.run_root, "podman's run state (runRoot)");
	add_root(h, st.volume_path, "podman's volumes (volumePath)");
	add_root(h, st.socket, "podman's API socket");
	h->loaded = 1;
	return 0;
}

/* path (canonical) is in one of the roots, or holds one when ancestors. */
static int check_roots(const struct np_raw *r, int v, const char *show, size_t show_len,
		       const char *path, int ancestors, struct host_roots *h, struct rb_err *err)
{
	char why[PATH_MAX + 96];
	size_t i;

	if (!h->loaded) {
		int rc = load_roots(r, v, h, err);

		if (rc < 0)
			return rc;
	}
	for (i = 0; i < h->n; i++) {
		int in = path_under(path, h->r[i].path);

		if (!in && !(ancestors && path_under(h->r[i].path, path)))
			continue;
		snprintf(why, sizeof(why), "%s%s %s, %s: refused", ancestors ? "host path: " : "",
			 in ? "is in" : "holds", h->r[i].path, h->r[i].what);
		return np_bad(r, v, show, show_len, why, err);
	}
	return 0;
}

static int path_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '@' ||
	       c == '/';
}

/* An absolute path in plain form: no empty, "." or ".." components, no
 * trailing slash, only characters podman's -v and --env-file take as
 * they are. why gets the reason when it is not. */
static int path_ok(const char *s, size_t n, const char **why)
{
	size_t i;

	if (n == 0 || s[0] != '/') {
		*why = "not an absolute path";
		return 0;
	}
	if (n >= RB_NP_PATH_MAX) {
		*why = "longer than 255 characters";
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (!path_char(s[i])) {
			*why = "only letters, digits and . _ - @ / may be in a path";
			return 0;
		}
		if (s[i] != '/')
			continue;
		if (i + 1 < n && s[i + 1] == '/') {
			*why = "empty path component";
			return 0;
		}
		if ((i + 2 == n || (i + 2 < n && s[i + 2] == '/')) && s[i + 1] == '.') {
			*why = "\".\" path component";
			return 0;
		}
		if ((i + 3 == n || (i + 3 < n && s[i + 3] == '/')) && s[i + 1] == '.' &&
		    s[i + 2] == '.') {
			*why = "\"..\" path component";
			return 0;
		}
	}
	if (n > 1 && s[n - 1] == '/') {
		*why = "trailing slash";
		return 0;
	}
	return 1;
}

/* The host side of a volume or the env file, on this host: it exists,
 * realpath gives it back unchanged (no symlink anywhere in it), and it is
 * of the kind wanted. */
static int host_file_check(const struct np_raw *r, int v, const char *show, size_t show_len,
			   const char *path, int dir_ok, struct rb_err *err)
{
	char real[PATH_MAX], why[PATH_MAX + 64];
	struct stat st;

	if (!realpath(path, real))
		return np_bad_sys(r, v, show, show_len, path, errno, err);
	if (strcmp(real, path) != 0) {
		snprintf(why, sizeof(why), "%s is not canonical: it resolves to %s", path, real);
		return np_bad(r, v, show, show_len, why, err);
	}
	if (stat(path, &st) < 0)
		return np_bad_sys(r, v, show, show_len, path, errno, err);
	if (!S_ISREG(st.st_mode) && !(dir_ok && S_ISDIR(st.st_mode)))
		return np_bad(r, v, show, show_len,
			      dir_ok ? "not a directory or a regular file" : "not a regular file", err);
	return 0;
}

static void free_argv(char **argv, size_t n)
{
	size_t i;

	for (i = 0; argv && i < n; i++)
		free(argv[i]);
	free((void *)argv);
}

static int command_json(const struct np_raw *r, const char *s, char ***out, size_t *n,
			struct rb_err *err)
{
	cJSON *j = cJSON_ParseWithLength(s, strlen(s)), *it;
	char **argv = NULL;
	size_t k = 0;
	int count, rc = 0;

	if (!j || !cJSON_IsArray(j)) {
		rc = np_bad_s(r, V_BOTTLE_COMMAND, s, "not a JSON array of strings", err);
		goto out;
	}
	count = cJSON_GetArraySize(j);
	if (count < 1 || count > RB_NP_MAX_ARGS) {
		rc = np_bad_s(r, V_BOTTLE_COMMAND, s, "must hold 1..64 arguments", err);
		goto out;
	}
	argv = (char **)calloc((size_t)count + 1, sizeof(*argv));
	if (!argv) {
		rc = rb_err_oom(err);
		goto out;
	}
	cJSON_ArrayForEach(it, j) {
		if (!cJSON_IsString(it) || !arg_ok(it->valuestring)) {
			rc = np_bad_s(r, V_BOTTLE_COMMAND, s, "not a JSON array of strings", err);
			goto out;
		}
		argv[k] = strdup(it->valuestring);
		if (!argv[k++]) {
			rc = rb_err_oom(err);
			goto out;
		}
	}
	*out = argv;
	*n = k;
	argv = NULL;
out:
	free_argv(argv, k);
	cJSON_Delete(j);
	return rc;
}

static int command_words(const struct np_raw *r, const char *s, char ***out, size_t *n,
			 struct rb_err *err)
{
	size_t words = np_count_words(s), k = 0, len;
	const char *p = s, *w;
	char **argv;

	if (words > RB_NP_MAX_ARGS)
		return np_bad_s(r, V_BOTTLE_COMMAND, s, "must hold 1..64 arguments", err);
	argv = (char **)calloc(words + 1, sizeof(*argv));
	if (!argv)
		return rb_err_oom(err);
	while ((len = np_next_word(&p, &w)) > 0) {
		/* Nothing here reads quotes; a quoted word is a mistake that
		 * would run something other than what it shows. */
		if (memchr(w, '"', len) || memchr(w, '\'', len)) {
			free_argv(argv, k);
			return np_bad_s(r, V_BOTTLE_COMMAND, s,
					"quotes do not group words here: write a JSON array, "
					"[\"/bin/sh\", \"-c\", \"...\"]",
					err);
		}
		argv[k] = strndup(w, len);
		if (!argv[k++]) {
			free_argv(argv, k);
			return rb_err_oom(err);
		}
	}
	*out = argv;
	*n = k;
	return 0;
}

/* The argv the bottle runs instead of its image's CMD: either blank-
 * separated words, or a JSON array of strings for arguments with blanks. */
static int check_command(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_COMMAND);
	int rc;

	if (!s[0])
		return 0;
	if (strlen(s) > CMD_MAX)
		return np_bad_s(r, V_BOTTLE_COMMAND, s, "longer than 4096 characters", err);
	rc = s[0] == '[' ? command_json(r, s, &np->argv, &np->n_args, err)
			 : command_words(r, s, &np->argv, &np->n_args, err);
	if (rc < 0)
		return rc;
	if (np->n_args == 0 || !np->argv || np->argv[0][0] == '\0' || np->argv[0][0] == '-')
		return np_bad_s(r, V_BOTTLE_COMMAND, s,
				"the program must be a name or a path (not empty, not starting with -)",
				err);
	np->command_text = strdup(s);
	if (!np->command_text)
		return rb_err_oom(err);
	return 0;
}

static int check_workdir(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_WORKDIR), *why;

	if (!s[0])
		return 0;
	if (!path_ok(s, strlen(s), &why))
		return np_bad_s(r, V_BOTTLE_WORKDIR, s, why, err);
	np_copy_str(np->workdir, sizeof(np->workdir), s);
	return 0;
}

/* HOSTPATH:PATH[:ro|:rw] at w (n bytes). */
static int check_volume(const struct np_raw *r, const char *w, size_t n, struct rb_volume *vol,
			struct host_roots *roots, struct rb_err *err)
{
	const char *c1 = memchr(w, ':', n), *c2, *why, *ref, *end = w + n;
	size_t hl, cl;
	char msg[128];
	int rc;

	if (!c1)
		return np_bad(r, V_BOTTLE_VOLUMES, w, n, "not HOSTPATH:PATH[:ro|:rw]", err);
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	hl = (size_t)(c1 - w);
	cl = (size_t)((c2 ? c2 : end) - c1 - 1);
	if (c2) {
		size_t ml = (size_t)(end - c2 - 1);

		if (ml == 2 && memcmp(c2 + 1, "rw", 2) == 0)
			vol->rw = 1;
		else if (!(ml == 2 && memcmp(c2 + 1, "ro", 2) == 0))
			return np_bad(r, V_BOTTLE_VOLUMES, w, n,
				      "the mode after the second ':' must be ro or rw", err);
	}
	if (!path_ok(w, hl, &why)) {
		snprintf(msg, sizeof(msg), "host path: %s", why);
		return np_bad(r, V_BOTTLE_VOLUMES, w, n, msg, err);
	}
	if (!path_ok(c1 + 1, cl, &why)) {
		snprintf(msg, sizeof(msg), "bottle path: %s", why);
		return np_bad(r, V_BOTTLE_VOLUMES, w, n, msg, err);
	}
	memcpy(vol->host, w, hl);
	vol->host[hl] = '\0';
	memcpy(vol->ctr, c1 + 1, cl);
	vol->ctr[cl] = '\0';
	ref = refused_by(vol->host, host_refused, N_ELEMENTS(host_refused), 1);
	if (ref) {
		snprintf(msg, sizeof(msg), "host path: %s %s, refused (the host's system, podman's or rb's own)",
			 path_under(vol->host, ref) ? "is in" : "holds", ref);
		return np_bad(r, V_BOTTLE_VOLUMES, w, n, msg, err);
	}
	ref = refused_by(vol->ctr, ctr_refused, N_ELEMENTS(ctr_refused), 0);
	if (ref) {
		snprintf(msg, sizeof(msg), "bottle path: %s belongs to podman and the kernel", ref);
		return np_bad(r, V_BOTTLE_VOLUMES, w, n, msg, err);
	}
	if (!(r->flags & NP_CHECK_FILES))
		return 0;
	rc = host_file_check(r, V_BOTTLE_VOLUMES, w, n, vol->host, 1, err);
	if (rc < 0)
		return rc;
	return check_roots(r, V_BOTTLE_VOLUMES, w, n, vol->host, 1, roots, err);
}

static int check_volumes(const struct np_raw *r, struct rb_nameplate *np,
			 struct host_roots *roots, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_VOLUMES), *p = s, *w;
	size_t words = np_count_words(s), n, i, j;

	if (words == 0)
		return 0;
	if (words > RB_NP_MAX_VOLUMES)
		return np_bad_s(r, V_BOTTLE_VOLUMES, s, "more than 32 volumes", err);
	np->volumes = calloc(words, sizeof(*np->volumes));
	if (!np->volumes)
		return rb_err_oom(err);
	for (i = 0; (n = np_next_word(&p, &w)) > 0; i++) {
		int rc = check_volume(r, w, n, &np->volumes[i], roots, err);

		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(np->volumes[j].ctr, np->volumes[i].ctr) == 0)
				return np_bad(r, V_BOTTLE_VOLUMES, w, n,
					      "bottle path already mounted by an earlier volume", err);
		np->n_volumes = i + 1;
	}
	return 0;
}

/* The lines podman's --env-file reads: blank, # comment, NAME=value. A
 * bare NAME would copy the variable from rb's own environment into the
 * bottle, so it is refused. Messages give the line, never its value. */
static int env_lines_check(const struct np_raw *r, const char *path, const char *buf, size_t len,
			   struct rb_err *err)
{
	size_t pos = 0;
	unsigned int line = 0;
	char why[96];

	while (pos < len) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos, i = 0;

		pos += ll + (nl ? 1 : 0);
		line++;
		while (i < ll && (l[i] == ' ' || l[i] == '\t'))
			i++;
		if (i == ll || l[i] == '#')
			continue;
		if (!(isalpha((unsigned char)l[i]) || l[i] == '_'))
			goto bad;
		while (i < ll && (isalnum((unsigned char)l[i]) || l[i] == '_'))
			i++;
		if (i < ll && l[i] == '=' && !memchr(l, '\0', ll))
			continue;
bad:
		snprintf(why, sizeof(why), "line %u is not NAME=value (values are not shown)", line);
		return np_bad_s(r, V_BOTTLE_ENV_FILE, path, why, err);
	}
	return 0;
}

static int env_file_check(const struct np_raw *r, const char *path, struct host_roots *roots,
			  struct rb_err *err)
{
	struct stat st;
	char *buf = NULL;
	ssize_t got;
	int fd, rc;

	rc = host_file_check(r, V_BOTTLE_ENV_FILE, path, strlen(path), path, 0, err);
	if (rc == 0)
		rc = check_roots(r, V_BOTTLE_ENV_FILE, path, strlen(path), path, 0, roots, err);
	if (rc < 0)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return np_bad_sys(r, V_BOTTLE_ENV_FILE, path, strlen(path), NULL, errno, err);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = np_bad_s(r, V_BOTTLE_ENV_FILE, path, "not a regular file", err);
		goto out;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		rc = np_bad_s(r, V_BOTTLE_ENV_FILE, path,
			      "readable or writable by every user: it holds secrets (chmod o-rw)", err);
		goto out;
	}
	if ((size_t)st.st_size > ENV_FILE_MAX) {
		rc = np_bad_s(r, V_BOTTLE_ENV_FILE, path, "larger than 1 MiB", err);
		goto out;
	}
	buf = malloc(ENV_FILE_MAX + 1);
	if (!buf) {
		rc = rb_err_oom(err);
		goto out;
	}
	do
		got = read(fd, buf, ENV_FILE_MAX + 1);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		rc = np_bad_sys(r, V_BOTTLE_ENV_FILE, path, strlen(path), NULL, errno, err);
		goto out;
	}
	if ((size_t)got > ENV_FILE_MAX) {
		rc = np_bad_s(r, V_BOTTLE_ENV_FILE, path, "larger than 1 MiB", err);
		goto out;
	}
	rc = env_lines_check(r, path, buf, (size_t)got, err);
out:
	if (buf) {
		/* secrets do not linger in freed memory */
		explicit_bzero(buf, ENV_FILE_MAX + 1);
		free(buf);
	}
	close(fd);
	return rc;
}

static int check_env_file(const struct np_raw *r, struct rb_nameplate *np,
			  struct host_roots *roots, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_ENV_FILE), *why, *ref;
	char msg[128];

	if (!s[0])
		return 0;
	if (!path_ok(s, strlen(s), &why))
		return np_bad_s(r, V_BOTTLE_ENV_FILE, s, why, err);
	ref = refused_by(s, host_refused, N_ELEMENTS(host_refused), 0);
	if (ref) {
		snprintf(msg, sizeof(msg), "%s is refused (the host's system, podman's or rb's own)", ref);
		return np_bad_s(r, V_BOTTLE_ENV_FILE, s, msg, err);
	}
	np_copy_str(np->env_file, sizeof(np->env_file), s);
	if (r->flags & NP_CHECK_FILES)
		return env_file_check(r, s, roots, err);
	return 0;
}

/* N[b|k|m|g], the units podman takes, kept as given but in lower case. */
static int check_memory(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_MEMORY);
	unsigned long long v = 0, mul = 1;
	size_t i, n = strlen(s);
	char unit = n ? (char)tolower((unsigned char)s[n - 1]) : 0;
	int has_unit = unit == 'b' || unit == 'k' || unit == 'm' || unit == 'g';

	if (has_unit) {
		mul = unit == 'k' ? 1ull << 10 : unit == 'm' ? 1ull << 20 : unit == 'g' ? 1ull << 30 : 1;
		n--;
	}
	if (n == 0 || n > 13 || s[0] == '0')
		goto bad;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v > MEMORY_MAX / mul || v * mul < MEMORY_MIN)
		return np_bad_s(r, V_BOTTLE_MEMORY, s, "must be 6m..1024g", err);
	memcpy(np->memory, s, n);
	if (has_unit)
		np->memory[n++] = unit;
	np->memory[n] = '\0';
	return 0;
bad:
	return np_bad_s(r, V_BOTTLE_MEMORY, s,
			"not a size (a number, then b, k, m or g; e.g. 2g)", err);
}

/* CPUs as podman's --cpus takes them: 0.01 steps. */
static int check_cpus(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_CPUS), *dot = strchr(s, '.');
	size_t il = dot ? (size_t)(dot - s) : strlen(s), fl = dot ? strlen(dot + 1) : 0, i;
	unsigned long whole = 0, centi = 0;
	long online;

	if (il == 0 || il > 4 || (il > 1 && s[0] == '0') || (dot && (fl == 0 || fl > 2)))
		goto bad;
	for (i = 0; i < il; i++) {
		if (!isdigit((unsigned char)s[i]))
			goto bad;
		whole = whole * 10 + (unsigned long)(s[i] - '0');
	}
	for (i = 0; i < fl; i++) {
		if (!isdigit((unsigned char)dot[1 + i]))
			goto bad;
		centi += (unsigned long)(dot[1 + i] - '0') * (i == 0 ? 10 : 1);
	}
	if (whole == 0 && centi == 0)
		return np_bad_s(r, V_BOTTLE_CPUS, s, "must be more than 0", err);
	online = sysconf(_SC_NPROCESSORS_ONLN);
	if ((r->flags & NP_CHECK_FILES) && online > 0 &&
	    whole * 100 + centi > (unsigned long)online * 100) {
		char why[64];

		snprintf(why, sizeof(why), "more than the %ld CPUs of this host", online);
		return np_bad_s(r, V_BOTTLE_CPUS, s, why, err);
	}
	np_copy_str(np->cpus, sizeof(np->cpus), s);
	return 0;
bad:
	return np_bad_s(r, V_BOTTLE_CPUS, s, "not a number of CPUs (e.g. 1, 0.5, 2.25)", err);
}

int np_validate_workload(const struct np_raw *r, struct rb_nameplate *np, struct rb_err *err)
{
	const char *s = np_value(r, V_BOTTLE_PIDS);
	struct host_roots roots = { 0 };
	int rc;

	if (check_command(r, np, err) < 0 || check_workdir(r, np, err) < 0)
		return -EINVAL;
	/* podman info can fail for reasons of its own (exit 2, not 1) */
	rc = check_volumes(r, np, &roots, err);
	if (rc == 0)
		rc = check_env_file(r, np, &roots, err);
	if (rc < 0)
		return rc;
	if (check_memory(r, np, err) < 0 || check_cpus(r, np, err) < 0)
		return -EINVAL;
	if (rb_parse_uint(s, PIDS_MAX, &np->pids) < 0 || np->pids < PIDS_MIN)
		return np_bad_s(r, V_BOTTLE_PIDS, s, "must be a number of processes 8..4194304",
				err);
	return np_check_mode(r, V_BOTTLE_TTY, &np->tty, err);
}

static void put_elem(FILE *out, const char *s)
{
	fputc(' ', out);
	np_put_quoted(out, s);
}

int np_print_workload(const struct rb_nameplate *np, FILE *out)
{
	char pids[24];
	size_t i;

	snprintf(pids, sizeof(pids), "%lu", np->pids);
	np_put_var(out, V_BOTTLE_COMMAND, np->command_text ? np->command_text : "");
	np_put_var(out, V_BOTTLE_WORKDIR, np->workdir);
	/* validated to path characters: no quoting issue */
	fprintf(out, "RBRN_BOTTLE_VOLUMES='");
	for (i = 0; i < np->n_volumes; i++)
		fprintf(out, "%s%s:%s:%s", i ? " " : "", np->volumes[i].host, np->volumes[i].ctr,
			np->volumes[i].rw ? "rw" : "ro");
	fputs("'\n", out);
	np_put_var(out, V_BOTTLE_ENV_FILE, np->env_file);
	np_put_var(out, V_BOTTLE_MEMORY, np->memory);
	np_put_var(out, V_BOTTLE_CPUS, np->cpus);
	np_put_var(out, V_BOTTLE_PIDS, pids);
	np_put_var(out, V_BOTTLE_TTY, np->tty ? "1" : "0");

	/* The swap limit equals the memory limit: no swap on top of it. */
	fputs("RB_BOTTLE_RUN_ARGS=(", out);
	fputs("'--memory'", out);
	put_elem(out, np->memory);
	put_elem(out, "--memory-swap");
	put_elem(out, np->memory);
	put_elem(out, "--cpus");
	put_elem(out, np->cpus);
	put_elem(out, "--pids-limit");
	put_elem(out, pids);
	for (i = 0; i < np->n_volumes; i++) {
		char v[2 * RB_NP_PATH_MAX + 8];

		snprintf(v, sizeof(v), "%s:%s:%s", np->volumes[i].host, np->volumes[i].ctr,
			 np->volumes[i].rw ? "rw" : "ro");
		put_elem(out, "-v");
		put_elem(out, v);
	}
	if (np->env_file[0]) {
		put_elem(out, "--env-file");
		put_elem(out, np->env_file);
	}
	if (np->workdir[0]) {
		put_elem(out, "--workdir");
		put_elem(out, np->workdir);
	}
	/* A terminal for an interactive agent, and its input: without
	 * --interactive, make bottle-attach would show the agent's screen
	 * and nothing typed would reach it. */
	if (np->tty) {
		put_elem(out, "--interactive");
		put_elem(out, "--tty");
	}
	fputs(")\nRB_BOTTLE_ARGV=(", out);
	for (i = 0; i < np->n_args; i++) {
		if (i)
			fputc(' ', out);
		np_put_quoted(out, np->argv[i]);
	}
	fputs(")\n", out);
	return ferror(out) ? -EIO : 0;
}

void np_free_workload(struct rb_nameplate *np)
{
	free_argv(np->argv, np->n_args);
	np->argv = NULL;
	np->n_args = 0;
	free(np->command_text);
	np->command_text = NULL;
	free(np->volumes);
	np->volumes = NULL;
	np->n_volumes = 0;
}
