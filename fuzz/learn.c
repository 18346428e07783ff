/* libFuzzer target for what the sentry's learner (cmd/rb-sentryd.c) does
 * with an upstream answer before the sentry's resolver gets it (and the
 * denial log with a reply to the bottle): rb_learn_decide,
 * i.e. rb_dns_reply_parse (lying counts and lengths, compression loops,
 * 0-length labels, truncated records, CNAME chains) and the rules on what
 * may be learned. The first input byte picks the configuration. Traps on a
 * broken promise: an address that is not public, a timeout outside
 * [ttl_min, ttl_max], anything added for a name that is not allowed, an
 * unparseable reply that would pass; and, through the learner's table of
 * entry ends (rb_learn_expiry, on a clock the input moves forward), a
 * timeout shorter than the answer needs or longer than ttl_max. */
#include "learn.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char conf[] = "learn 1\nallow a\nallow example.com\nallow anthropic.com\n";
	static struct rb_learn_conf c;
	static struct rb_learn_expiry e;
	static uint64_t now_ms;
	static int ready;
	struct rb_learn_result r;
	int rc;

	if (!ready) {
		if (rb_learn_conf_parse(&c, conf, sizeof(conf) - 1, "fuzz", NULL) < 0)
			__builtin_trap();
		c.ttl_min = 5;
		c.ttl_max = 300;
		/* as after a restart: anything may live up to ttl_max */
		e.floor_ms = (uint64_t)c.ttl_max * 1000;
		ready = 1;
	}
	if (size < 1)
		return 0;
	c.learn = !(data[0] & 1);
	c.dns_global = !!(data[0] & 2);
	rc = rb_learn_decide(&c, data + 1, size - 1, &r);
	if (rc < 0 && (r.pass || r.n_add))
		__builtin_trap();
	if (r.n_add > r.reply.n_a || r.reply.n_a > RB_DNS_REPLY_MAX_A)
		__builtin_trap();
	if (r.n_add && (!r.allowed || !c.learn || !rb_learn_name_allowed(&c, r.reply.qname)))
		__builtin_trap();
	if (strnlen(r.reply.qname, sizeof(r.reply.qname)) >= sizeof(r.reply.qname))
		__builtin_trap();
	for (unsigned int i = 0; i < r.n_add; i++)
		if (!rb_learn_addr_public(r.add[i].addr) || r.add[i].ttl < c.ttl_min ||
		    r.add[i].ttl > c.ttl_max)
			__builtin_trap();
	now_ms += (uint64_t)data[0] * 997;
	for (unsigned int i = 0; i < r.n_add; i++) {
		uint32_t t = rb_learn_expiry_timeout(&e, r.add[i].addr, r.add[i].ttl, now_ms);

		if (t < r.add[i].ttl || t > c.ttl_max)
			__builtin_trap();
	}
	return 0;
}
