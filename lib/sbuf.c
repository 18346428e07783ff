#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>

void rb_sbuf_add(struct rb_sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->off, b->len - b->off, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized): see err.c
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->off) {
		b->overflow = 1;
		return;
	}
	b->off += (size_t)n;
}
