/* The one message a failure deserves, and the exit code it maps to. */
#include "rb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* NOLINT below: clang-tidy 14 run over several files at once loses track
 * of va_start after the first file and reports the va_list uninitialized
 * (a false positive; the same file alone is clean). */
int rb_err_set(struct rb_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	err->config = 0;
	return rc;
}

int rb_err_config(struct rb_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	err->config = 1;
	return -EINVAL;
}

int rb_err_exit_code(const struct rb_err *err)
{
	return err && err->config ? RB_EXIT_USAGE : RB_EXIT_SYSTEM;
}
