/* The one message a failure deserves, and the exit code it maps to. The
 * only place rb turns an errno into words. */
#include "rb.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

/* NOLINT below: clang-tidy 14 run over several files at once loses track
 * of va_start after the first file and reports the va_list uninitialized
 * (a false positive; the same file alone is clean). */
static void vfmt(struct rb_err *err, int config, int errnum, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vfmt(struct rb_err *err, int config, int errnum, const char *fmt, va_list ap)
{
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	err->config = config;
	err->errnum = errnum;
}

int rb_err_set(struct rb_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vfmt(err, 0, 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* An errnum of 0 would print "Success": a caller that lost errno still
 * failed. */
static int sys_errnum(int errnum)
{
	if (errnum < 0)
		errnum = -errnum;
	return errnum ? errnum : EIO;
}

int rb_err_sys(struct rb_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	errnum = sys_errnum(errnum);
	if (!err)
		return -errnum;
	va_start(ap, fmt);
	vfmt(err, 0, errnum, fmt, ap);
	va_end(ap);
	return -errnum;
}

int rb_err_lib(struct rb_err *err, int rc, const char *why, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vfmt(err, 0, 0, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (why && *why)
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s", why);
	return rc;
}

int rb_err_config(struct rb_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vfmt(err, 1, 0, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int rb_err_config_sys(struct rb_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vfmt(err, 1, sys_errnum(errnum), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int rb_err_wrap(struct rb_err *err, int rc, const char *fmt, ...)
{
	char ctx[sizeof(err->msg)];
	size_t clen, mlen, room = sizeof(err->msg) - 1;
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
	va_end(ap);
	if (!err->msg[0]) {
		memcpy(err->msg, ctx, sizeof(ctx));
		if (!err->errnum && rc < 0)
			err->errnum = -rc;
		return rc;
	}
	/* "ctx: msg", the end of msg cut when both do not fit */
	clen = strlen(ctx);
	if (clen + 2 > room)
		clen = room - 2;
	mlen = strlen(err->msg);
	if (clen + 2 + mlen > room)
		mlen = room - clen - 2;
	memmove(err->msg + clen + 2, err->msg, mlen);
	err->msg[clen + 2 + mlen] = '\0';
	memcpy(err->msg, ctx, clen);
	err->msg[clen] = ':';
	err->msg[clen + 1] = ' ';
	return rc;
}

int rb_err_oom(struct rb_err *err)
{
	return rb_err_set(err, -ENOMEM, "out of memory");
}

const char *rb_err_str(const struct rb_err *err, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (!err)
		snprintf(buf, len, "unknown error");
	else if (err->errnum)
		snprintf(buf, len, "%s: %s", err->msg, rb_errno_text(err->errnum));
	else
		snprintf(buf, len, "%s", err->msg);
	return buf;
}

void rb_err_print(const char *prog, const struct rb_err *err)
{
	char text[RB_ERR_TEXT];

	fprintf(stderr, "%s: %s\n", prog, rb_err_str(err, text, sizeof(text)));
}

const char *rb_errno_text(int errnum)
{
	return strerror(errnum < 0 ? -errnum : errnum);
}

int rb_err_exit_code(const struct rb_err *err)
{
	return err && err->config ? RB_EXIT_USAGE : RB_EXIT_SYSTEM;
}
