#include "rb.h"

#include <stdarg.h>
#include <stdio.h>
#include <errno.h>

static void vset(struct rb_err *err, const char *fmt, va_list ap)
{
	if (!err)
		return;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int rb_err_set(struct rb_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	if (err)
		err->config = 0;
	return rc;
}

int rb_err_config(struct rb_err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, fmt, ap);
	va_end(ap);
	if (err)
		err->config = 1;
	return -EINVAL;
}

int rb_err_exit_code(const struct rb_err *err)
{
	return err && err->config ? RB_EXIT_USAGE : RB_EXIT_SYSTEM;
}
