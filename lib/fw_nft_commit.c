/* The nft commit: libnftables runs a buffer of commands as one netlink
 * batch, which the kernel commits all or nothing. Every call works in the
 * netns the calling thread is in when the context opens its socket. */
#include "fw_nft.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdlib.h>
#include <string.h>

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

int rb_nft_apply(const struct rb_fw_plan *plan, struct rb_err *err)
{
	char *text = NULL, name[64], what[96];
	int rc;

	rc = rb_nft_plan_text(plan, 1, &text);
	if (rc < 0)
		return rb_err_sys(err, -rc, "cannot build the nft ruleset");
	rb_nft_table_name(plan, name, sizeof(name));
	snprintf(what, sizeof(what), "commit table %s %s", RB_FW_NFT_FAMILY, name);
	rc = rb_nft_run(text, 0, NULL, what, err);
	free(text);
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

int rb_nft_queue_supported(void)
{
	static int known = -1;
	struct nft_ctx *ctx;

	if (known >= 0)
		return known;
	ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return 0;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	nft_ctx_set_dry_run(ctx, true);
	known = nft_run_cmd_from_buffer(ctx, "add table inet rb-probe-queue\n"
					     "add chain inet rb-probe-queue c\n"
					     "add rule inet rb-probe-queue c queue num 0\n") == 0;
	nft_ctx_free(ctx);
	return known;
}
