/* Which backend: parsing the choice, what auto picks on this kernel, and
 * which backend's rb objects a netns holds. */
#include "fw_nft.h"
#include "fw_xt.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *rb_fw_backend_name(enum rb_fw_backend b)
{
	switch (b) {
	case RB_FW_BACKEND_XTABLES:
		return "xtables";
	case RB_FW_BACKEND_NFT:
		return "nft";
	case RB_FW_BACKEND_AUTO:
		break;
	}
	return "auto";
}

int rb_fw_backend_parse(const char *s, enum rb_fw_backend *b)
{
	if (!s || !s[0] || !strcmp(s, "auto"))
		*b = RB_FW_BACKEND_AUTO;
	else if (!strcmp(s, "xtables"))
		*b = RB_FW_BACKEND_XTABLES;
	else if (!strcmp(s, "nft"))
		*b = RB_FW_BACKEND_NFT;
	else
		return -EINVAL;
	return 0;
}

int rb_xt_table_present(const char *table, int ip6)
{
	FILE *f = fopen(ip6 ? "/proc/net/ip6_tables_names" : "/proc/net/ip_tables_names", "re");
	char line[64];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		rb_cut_at(line, "\n");
		found = !strcmp(line, table);
	}
	fclose(f);
	return found;
}

/* The file exists while the kernel has legacy ip_tables (built in or
 * loaded): without CONFIG_NETFILTER_XTABLES_LEGACY it never does. */
static int legacy_ip_tables(void)
{
	FILE *f = fopen("/proc/net/ip_tables_names", "re");

	if (!f)
		return 0;
	fclose(f);
	return 1;
}

enum rb_fw_backend rb_fw_backend_auto(char *why, size_t len)
{
	const char *w;
	enum rb_fw_backend b = RB_FW_BACKEND_NFT;

	if (!legacy_ip_tables()) {
		w = "no legacy ip_tables in the kernel";
	} else if (!rb_ipset_usable()) {
		w = "no ip_set in the kernel";
	} else {
		w = "legacy ip_tables and ip_set present";
		b = RB_FW_BACKEND_XTABLES;
	}
	if (why)
		snprintf(why, len, "auto: %s", w);
	return b;
}

int rb_xt_has_chain(const char *chain)
{
	struct xtc_handle *h;
	int found;

	if (!rb_xt_table_present("filter", 0))
		return 0;
	h = iptc_init("filter");
	if (!h)
		return 0;
	found = iptc_is_chain(chain, h);
	iptc_free(h);
	return found;
}

enum rb_fw_backend rb_fw_backend_live(const char *moniker)
{
	char table[64], chain[RB_FW_CHAIN_MAX];

	if (moniker) {
		snprintf(table, sizeof(table), "%s-%.12s", RB_FW_NFT_TABLE, moniker);
		snprintf(chain, sizeof(chain), RB_FW_CHAIN_HOST RB_FW_HOST_CHAIN_FMT, moniker);
	} else {
		snprintf(table, sizeof(table), "%s", RB_FW_NFT_TABLE);
		snprintf(chain, sizeof(chain), RB_FW_CHAIN_FORWARD);
	}
	if (rb_nft_table_exists(table))
		return RB_FW_BACKEND_NFT;
	if (rb_xt_has_chain(chain))
		return RB_FW_BACKEND_XTABLES;
	return RB_FW_BACKEND_AUTO;
}

/* modprobe -q NAME with the kernel's own modprobe path, as libxtables'
 * xtables_insmod does for the iptables commands; quiet on failure: the
 * libiptc call that needed the module then says what is missing. */
static void load_module(const char *name)
{
	char prog[PATH_MAX] = "/sbin/modprobe", q[] = "-q", mod[32], path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char *argv[] = { prog, q, mod, NULL }, *envp[] = { path, NULL };
	FILE *f = fopen("/proc/sys/kernel/modprobe", "re");
	pid_t pid;
	int st;

	if (!f) /* a kernel without modules: everything is built in or absent */
		return;
	if (!fgets(prog, sizeof(prog), f))
		prog[0] = '\0';
	fclose(f);
	rb_cut_at(prog, "\n");
	if (prog[0] != '/' || snprintf(mod, sizeof(mod), "%s", name) >= (int)sizeof(mod))
		return;
	if (posix_spawn(&pid, prog, NULL, NULL, argv, envp) != 0)
		return;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* libiptc reaches ip_tables through socket options that exist only once its
 * module is in, and loads nothing itself (the iptables commands load it
 * first; the kernel then loads iptable_filter, iptable_nat... on first use).
 * Done when xtables is asked for by name: auto picks by what is loaded. */
void rb_xt_modules_load(void)
{
	if (access("/proc/net/ip_tables_names", F_OK) != 0)
		load_module("ip_tables");
	if (access("/proc/net/ip6_tables_names", F_OK) != 0)
		load_module("ip6_tables");
}

enum rb_fw_backend rb_fw_backend_resolve(enum rb_fw_backend b, const char *moniker,
					 int want_live, char *why, size_t len)
{
	enum rb_fw_backend live;

	if (b != RB_FW_BACKEND_AUTO) {
		if (b == RB_FW_BACKEND_XTABLES)
			rb_xt_modules_load();
		if (why)
			snprintf(why, len, "chosen");
		return b;
	}
	if (want_live) {
		live = rb_fw_backend_live(moniker);
		if (live != RB_FW_BACKEND_AUTO) {
			if (why)
				snprintf(why, len, "auto: the one holding the policy");
			return live;
		}
	}
	return rb_fw_backend_auto(why, len);
}
