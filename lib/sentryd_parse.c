/* rb-sentryd's --parse and the learner's configuration (lib/sentryd.h). */
#include "answers.h"
#include "file.h"
#include "learner.h"
#include "sentryd.h"
#include "rb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static const char *prog = "rb-sentryd";

int rb_sentryd_conf_load(const struct rb_sentryd_opts *o, struct rb_learn_conf *c, struct rb_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc = rb_file_read("learner configuration", o->learner_conf, 1 << 20, &text, &len,
			      err);

	if (rc < 0)
		return rc;
	rc = rb_learn_conf_parse(c, text, len, o->learner_conf, err);
	free(text);
	if (rc < 0)
		return rc;
	c->ttl_min = (uint32_t)o->ttl_min;
	c->ttl_max = (uint32_t)o->ttl_max;
	c->ttl_margin = (uint32_t)o->ttl_margin;
	return 0;
}

/* --parse: the decision on one reply, as the learner would take it (without
 * the host check, which needs the sentry's RB-HOST). */
int rb_sentryd_parse(const struct rb_sentryd_opts *o, const struct rb_learn_conf *c)
{
	static struct rb_learn_result r;
	struct rb_err err = { 0 };
	char *msg = NULL, a[INET_ADDRSTRLEN];
	size_t len = 0;
	int rc;

	if (rb_file_read("DNS reply", o->parse, 65535, &msg, &len, &err) < 0) {
		rb_err_print(prog, &err);
		return RB_EXIT_USAGE;
	}
	rc = rb_learn_decide(c, (const uint8_t *)msg, len, &r);
	free(msg);
	if (rc < 0) {
		printf("verdict drop (%s)\n", rb_errno_text(rc));
		return RB_EXIT_OK;
	}
	printf("verdict pass\nquestion %s type %u rcode %d\nallowed %d\nrefused %d\ncnames %u\n",
	       r.reply.qname, r.reply.qtype, r.reply.rcode, r.allowed, r.refused, r.reply.n_cnames);
	for (unsigned int i = 0; i < r.n_add; i++) {
		static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
		char spec[RB_NP_MAX_PORT_RANGES * 12 + 8];

		inet_ntop(AF_INET, &r.add[i].addr, a, sizeof(a));
		if (r.all)
			printf("add %s timeout %u\n", a, r.add[i].ttl);
		for (unsigned int k = 0; k < r.n_pmatch; k++) {
			for (size_t j = 0; j < 2; j++) {
				rb_ports_format(r.pmatch[k], protos[j], spec, sizeof(spec));
				if (spec[0])
					printf("add %s ports %s timeout %u\n", a, spec, r.add[i].ttl);
			}
		}
	}
	printf("never %u\n", r.n_never);
	if (o->add) {
		struct rb_answers *ans = NULL;
		struct rb_learner_stats st = { 0 };

		rc = rb_learn_apply(&ans, &r, &st, &err);
		rb_answers_close(ans);
		if (rc < 0) {
			rb_err_print(prog, &err);
			return rb_err_exit_code(&err);
		}
		printf("added %llu host %llu\n", (unsigned long long)st.added,
		       (unsigned long long)st.host);
	}
	return RB_EXIT_OK;
}

