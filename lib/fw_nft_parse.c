/* Reading nft's text listing of one table back into chains and rule
 * lines: what the drift check compares and the counters come from. */
#include "fw_nft.h"
#include "utils.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int strv_push(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = (char **)realloc((void *)*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = strndup(s, len);
	if (!nv[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

static struct rb_nft_chain *chain_new(struct rb_nft_table *t, const char *name, size_t len,
				      int set)
{
	struct rb_nft_chain *c = realloc(t->c, (t->n + 1) * sizeof(*c));

	if (!c)
		return NULL;
	t->c = c;
	c = &t->c[t->n];
	memset(c, 0, sizeof(*c));
	c->head = strdup("");
	if (!c->head)
		return NULL;
	t->n++;
	snprintf(c->name, sizeof(c->name), "%.*s", (int)len, name);
	c->set = set;
	return c;
}

static int head_add(struct rb_nft_chain *c, const char *s, size_t len)
{
	size_t o = strlen(c->head);
	char *h = realloc(c->head, o + len + 3);

	if (!h)
		return -ENOMEM;
	c->head = h;
	if (o) {
		memcpy(h + o, "; ", 2);
		o += 2;
	}
	memcpy(h + o, s, len);
	h[o + len] = '\0';
	return 0;
}

/* A base chain's "type ... priority P; ..." line with P as a number: nft
 * 1.0.6 (Debian 12) lists the numbers rb writes, nft 1.1 (Debian 13 and
 * later) lists them by their standard names (-100 as dstnat). */
static int type_add(struct rb_nft_chain *c, const char *s, size_t len)
{
	static const struct {
		const char *name, *num;
	} prio[] = { { "raw", "-300" },	  { "mangle", "-150" }, { "dstnat", "-100" },
		     { "filter", "0" },	  { "security", "50" }, { "srcnat", "100" } };
	char buf[256];
	const char *p = memmem(s, len, " priority ", 10);

	if (!p || len >= sizeof(buf))
		return head_add(c, s, len);
	p += 10;
	for (size_t i = 0; i < N_ELEMENTS(prio); i++) {
		size_t k = strlen(prio[i].name);

		if ((size_t)(s + len - p) > k && !strncmp(p, prio[i].name, k) && p[k] == ';') {
			int w = snprintf(buf, sizeof(buf), "%.*s%s%.*s", (int)(p - s), s, prio[i].num,
					 (int)(s + len - p - k), p + k);

			if (w < 0 || (size_t)w >= sizeof(buf))
				return head_add(c, s, len);
			return head_add(c, buf, (size_t)w);
		}
	}
	return head_add(c, s, len);
}

int rb_nft_table_parse(const char *text, struct rb_nft_table *t)
{
	struct rb_nft_chain *cur = NULL;
	int in_elements = 0, rc = 0;

	memset(t, 0, sizeof(*t));
	for (const char *l = text; l && *l && rc == 0;) {
		size_t n = strcspn(l, "\n"), k;
		const char *s = l;

		l += n;
		if (*l)
			l++;
		while (n && (*s == '\t' || *s == ' ')) {
			s++;
			n--;
		}
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (!n)
			continue;
		if (in_elements) {
			in_elements = s[n - 1] != '}';
			continue;
		}
		if (!cur && (!strncmp(s, "chain ", 6) || !strncmp(s, "set ", 4))) {
			int set = s[0] == 's';
			const char *name = s + (set ? 4 : 6);

			k = strcspn(name, " {");
			cur = chain_new(t, name, k, set);
			if (!cur)
				rc = -ENOMEM;
			continue;
		}
		if (!cur)
			continue; /* "table ... {" and its closing "}" */
		if (n == 1 && s[0] == '}') {
			cur = NULL;
			continue;
		}
		if (cur->set) {
			if (!strncmp(s, "elements = {", 12))
				in_elements = s[n - 1] != '}';
			else
				rc = head_add(cur, s, n);
		} else if (!strncmp(s, "type ", 5)) {
			rc = type_add(cur, s, n);
		} else {
			rc = strv_push(&cur->rules, &cur->n_rules, s, n);
		}
	}
	if (rc < 0)
		rb_nft_table_free(t);
	return rc;
}

void rb_nft_table_free(struct rb_nft_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->c[i].head);
		rb_fw_strv_free(t->c[i].rules, t->c[i].n_rules);
	}
	free(t->c);
	memset(t, 0, sizeof(*t));
}
