/* The nft commit: libnftables runs a buffer of commands as one netlink
 * batch, which the kernel commits all or nothing. Every call works in the
 * netns the calling thread is in when the context opens its socket. */
#include "fw_nft.h"

#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* nft's error text without the echo of the input: its first line. */
static void first_line(const char *s, char *buf, size_t len)
{
	size_t n;

	while (s && (*s == '\n' || *s == ' '))
		s++;
	if (!s || !*s) {
		snprintf(buf, len, "nft refused");
		return;
	}
	n = strcspn(s, "\n");
	snprintf(buf, len, "%.*s", (int)n, s);
}

int rb_nft_run(const char *cmds, unsigned int flags, char **out, const char *what,
	       struct rb_err *err)
{
	struct nft_ctx *ctx = NULL;
	char msg[512];
	int rc = 0;

	if (out)
		*out = NULL;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return rb_err_set(err, -ENOMEM, "cannot start libnftables");
	nft_ctx_output_set_flags(ctx, flags);
	if (nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
		rc = rb_err_set(err, -ENOMEM, "cannot start libnftables");
		goto out;
	}
	errno = 0;
	if (nft_run_cmd_from_buffer(ctx, cmds) != 0) {
		const char *e = nft_ctx_get_error_buffer(ctx);
		int code = errno ? errno : EPROTO;

		first_line(e, msg, sizeof(msg));
		if (strstr(msg, "No such file or directory"))
			code = ENOENT;
		rc = rb_err_set(err, -code, "cannot %s: %s", what, msg);
		goto out;
	}
	if (out) {
		*out = strdup(nft_ctx_get_output_buffer(ctx));
		if (!*out)
			rc = rb_err_oom(err);
	}
out:
	nft_ctx_free(ctx);
	return rc;
}

int rb_nft_apply(const struct rb_fw_plan *plan, const char *then, struct rb_err *err)
{
	char *text = NULL, name[64], what[96];
	int rc;

	rc = rb_nft_plan_text(plan, RB_NFT_TEXT_REPLACE | RB_NFT_TEXT_NO_INTERVALS, &text);
	if (rc < 0)
		return rb_err_sys(err, -rc, "cannot build the nft ruleset");
	if (then && *then) {
		char *all = NULL;

		rc = asprintf(&all, "%s%s", text, then);
		free(text);
		if (rc < 0)
			return rb_err_oom(err);
		text = all;
	}
	rb_nft_table_name(plan, name, sizeof(name));
	snprintf(what, sizeof(what), "commit table %s %s", RB_FW_NFT_FAMILY, name);
	rc = rb_nft_run(text, 0, NULL, what, err);
	free(text);
	/* the allowlist follows in a batch of its own (fw_nft_intervals.c) */
	for (size_t i = 0; rc == 0 && i < plan->n_sets; i++)
		if (rb_nft_set_intervals(&plan->sets[i]))
			rc = rb_nft_intervals_load(name, &plan->sets[i], err);
	return rc;
}

int rb_nft_table_exists(const char *name)
{
	char *out = NULL, want[96];
	struct rb_err tmp;
	int found = 0;

	/* the table list, not the table: a 100,000-element set stays unread */
	if (rb_nft_run("list tables", 0, &out, "list tables", &tmp) < 0)
		return 0;
	snprintf(want, sizeof(want), "table %s %s", RB_FW_NFT_FAMILY, name);
	for (char *l = out; l && *l;) {
		size_t n = strcspn(l, "\n");

		if (n == strlen(want) && !strncmp(l, want, n))
			found = 1;
		l += n;
		if (*l)
			l++;
	}
	free(out);
	return found;
}

int rb_nft_table_delete(const char *name, struct rb_err *err)
{
	char cmd[128], what[96];

	if (!rb_nft_table_exists(name))
		return 0;
	snprintf(cmd, sizeof(cmd), "delete table %s %s", RB_FW_NFT_FAMILY, name);
	snprintf(what, sizeof(what), "delete table %s %s", RB_FW_NFT_FAMILY, name);
	return rb_nft_run(cmd, 0, NULL, what, err);
}

/* Whether this kernel has nft's queue expression does not change while it
 * runs (short of a module installed later), and finding out costs a
 * transaction: on a loaded host as long as committing a small policy. So the
 * answer is kept for the boot in RB_NFT_QUEUE_CACHE, "BOOT_ID 0|1", and
 * probed again after a reboot or when the file is removed. */
#define RB_NFT_QUEUE_CACHE "/run/rb-nft-queue"
#define RB_BOOT_ID "/proc/sys/kernel/random/boot_id"

static int boot_id(char id[37])
{
	cleanup_close int fd = open(RB_BOOT_ID, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, id, 36) != 36)
		return -1;
	id[36] = '\0';
	return 0;
}

static int queue_cached(const char *id)
{
	cleanup_close int fd = open(RB_NFT_QUEUE_CACHE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[64];
	ssize_t n;

	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) != 39)
		return -1;
	buf[n] = '\0';
	if (memcmp(buf, id, 36) != 0 || buf[36] != ' ' || (buf[37] != '0' && buf[37] != '1') ||
	    buf[38] != '\n')
		return -1;
	return buf[37] == '1';
}

/* best effort: without the file the next run probes again */
static void queue_cache(const char *id, int known)
{
	char tmp[] = RB_NFT_QUEUE_CACHE ".XXXXXX", line[40];
	cleanup_close int fd = mkstemp(tmp);
	int n = snprintf(line, sizeof(line), "%s %d\n", id, known);

	if (fd < 0)
		return;
	if (fchmod(fd, 0644) < 0 || write(fd, line, (size_t)n) != n || rename(tmp, RB_NFT_QUEUE_CACHE) < 0)
		unlink(tmp);
}

int rb_nft_queue_supported(void)
{
	static int known = -1;
	struct nft_ctx *ctx;
	char id[37];
	int have_id;

	if (known >= 0)
		return known;
	have_id = boot_id(id) == 0;
	if (have_id && (known = queue_cached(id)) >= 0)
		return known;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return known = 0;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	nft_ctx_set_dry_run(ctx, true);
	known = nft_run_cmd_from_buffer(ctx, "add table inet rb-probe-queue\n"
					     "add chain inet rb-probe-queue c\n"
					     "add rule inet rb-probe-queue c queue num 0\n") == 0;
	nft_ctx_free(ctx);
	if (have_id)
		queue_cache(id, known);
	return known;
}
