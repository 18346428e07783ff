/* Usage errors in iproute2's words (lib/args.h). */
#include "args.h"
#include "addr.h"
#include "rb.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int rb_invarg(const char *arg, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "Error: argument \"%s\" is wrong: ", arg);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	fputc('\n', stderr);
	return RB_EXIT_USAGE;
}

int rb_duparg(const char *key, const char *arg)
{
	fprintf(stderr, "Error: duplicate \"%s\": \"%s\" is the second value.\n", key, arg);
	return RB_EXIT_USAGE;
}

int rb_missarg(const char *key)
{
	fprintf(stderr, "Error: argument \"%s\" is required.\n", key);
	return RB_EXIT_USAGE;
}

int rb_badopt(int c, char *const *argv)
{
	char opt[3] = "-?";
	const char *name = argv[optind - 1];

	/* a short option: argv may hold a cluster (-xn), name the letter */
	if (optopt > 0 && optopt < 128 && (name[0] != '-' || name[1] != '-')) {
		opt[1] = (char)optopt;
		name = opt;
	}
	if (c == ':')
		return rb_invarg(name, "needs a value");
	return rb_invarg(name, "unknown option (see --help)");
}

int rb_setarg(const char **slot, const char *opt, const char *val)
{
	if (*slot)
		return rb_duparg(opt, val);
	*slot = val;
	return 0;
}

int rb_parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	unsigned long v;

	if (rb_parse_uint(s, hi, &v) < 0 || v < lo)
		return -EINVAL;
	*out = v;
	return 0;
}

int rb_parse_pid(const char *s, pid_t *pid)
{
	unsigned long v;

	if (rb_parse_ulong(s, 1, 4194304, &v) < 0)
		return -EINVAL;
	*pid = (pid_t)v;
	return 0;
}
