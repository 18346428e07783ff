/* A caller's fixed buffer filled by printf-style appends; the first append
 * that does not fit marks it overflowed and every later one is a no-op, so
 * a formatter checks once at the end instead of after every piece. */
#ifndef RB_SBUF_H
#define RB_SBUF_H

#include <stddef.h>

struct rb_sbuf {
	char *p;
	size_t len, off; /* size of p, bytes written */
	int overflow;
};

void rb_sbuf_add(struct rb_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
