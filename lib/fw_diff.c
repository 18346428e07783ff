/* What every backend's drift check shares: reporting one difference, and
 * the shortest edit script between live and wanted rule texts. */
#include "fw_int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rb_fw_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free((void *)v);
}

int rb_fw_diff(rb_fw_diff_cb cb, void *ctx, const char *table, const char *chain, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): see err.c
	va_end(ap);
	if (cb)
		cb(ctx, table, chain, what);
	return 1;
}

/* Live rules against wanted rules as a shortest edit script (LCS), so one
 * inserted rule is reported once, not as a shift of every rule after it. */
int rb_fw_diff_rules(const char *table, const char *chain, char **got, size_t ng, char **want,
		      size_t nw, rb_fw_diff_cb cb, void *ctx)
{
	unsigned int *l = calloc((ng + 1) * (nw + 1), sizeof(*l));
	size_t i = 0, j = 0;
	int n = 0;

	if (!l)
		return -ENOMEM;
#define L(a, b) l[(a) * (nw + 1) + (b)]
	for (size_t a = ng; a-- > 0;)
		for (size_t b = nw; b-- > 0;)
			L(a, b) = !strcmp(got[a], want[b]) ? L(a + 1, b + 1) + 1 :
				  L(a + 1, b) > L(a, b + 1)  ? L(a + 1, b) :
							       L(a, b + 1);
	while (i < ng || j < nw) {
		if (i < ng && j < nw && !strcmp(got[i], want[j])) {
			i++;
			j++;
		} else if (j < nw && (i == ng || L(i, j + 1) >= L(i + 1, j))) {
			n += rb_fw_diff(cb, ctx, table, chain, "missing rule %zu \"%s\"", j + 1, want[j]);
			j++;
		} else {
			n += rb_fw_diff(cb, ctx, table, chain, "unexpected rule %zu \"%s\"", i + 1, got[i]);
			i++;
		}
	}
#undef L
	free(l);
	return n;
}
