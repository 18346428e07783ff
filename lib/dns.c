/* DNS query building and response parsing (RFC 1035 sections 4.1 and 4.1.4).
 * Everything read from a response is bounds-checked against len before it
 * is touched; see dns.h for the rules on names and compression. */
#include "dns.h"
#include "utils.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255
#define DNS_MAX_HOPS 128

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
}

static int name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

/* Text name -> lower-case text without the trailing dot, validated. */
static int name_canon(const char *name, char *out, size_t cap)
{
	size_t n = strlen(name), label = 0, i;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > RB_NAME_MAX || n >= cap)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else if (name_char_ok(c)) {
			if (++label > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		out[i] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
	}
	if (label == 0)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

int rb_dns_query_build(uint8_t *buf, size_t cap, uint16_t id, const char *name,
		       uint16_t qtype)
{
	char canon[RB_NAME_MAX + 1];
	size_t pos = DNS_HDR_LEN, start = 0, i, need;
	int rc;

	if (!buf || !name)
		return -EINVAL;
	rc = name_canon(name, canon, sizeof(canon));
	if (rc < 0)
		return rc;
	/* labels: one length byte per label replaces each dot, plus one more
	 * length byte and the root byte: strlen + 2 */
	need = DNS_HDR_LEN + strlen(canon) + 2 + 4;
	if (cap < need)
		return -ENOSPC;
	memset(buf, 0, DNS_HDR_LEN);
	put16(buf, id);
	buf[2] = 0x01; /* RD */
	put16(buf + 4, 1); /* QDCOUNT */
	for (i = 0;; i++) {
		if (canon[i] == '.' || canon[i] == '\0') {
			size_t l = i - start;

			buf[pos++] = (uint8_t)l;
			memcpy(buf + pos, canon + start, l);
			pos += l;
			start = i + 1;
			if (canon[i] == '\0')
				break;
		}
	}
	buf[pos++] = 0;
	put16(buf + pos, qtype);
	put16(buf + pos + 2, RB_DNS_CLASS_IN);
	pos += 4;
	return (int)pos;
}

static int text_put(char *text, size_t cap, size_t *out, const char *s, size_t n)
{
	if (*out + n >= cap)
		return -EBADMSG;
	memcpy(text + *out, s, n);
	*out += n;
	text[*out] = '\0';
	return 0;
}

int rb_dns_name_read(const uint8_t *msg, size_t len, size_t *off, char *text, size_t cap)
{
	size_t pos = *off, end = 0, out = 0, lowest = *off;
	unsigned int hops = 0, wire = 1; /* the root byte */
	int jumped = 0;

	if (!text || cap < 2)
		return -EINVAL;
	text[0] = '\0';
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EBADMSG;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (pos + 1 >= len)
				return -EBADMSG;
			target = ((size_t)(c & 0x3f) << 8) | msg[pos + 1];
			/* Each pointer must land before every position this
			 * name has used so far: offsets strictly decrease, so
			 * no chain of pointers can come back to itself. */
			if (target >= lowest || ++hops > DNS_MAX_HOPS)
				return -EBADMSG;
			if (!jumped) {
				end = pos + 2;
				jumped = 1;
			}
			pos = target;
			lowest = target;
			continue;
		}
		if (c & 0xc0) /* 0x40 and 0x80: extended label types, obsolete */
			return -EBADMSG;
		if (c == 0) {
			if (!jumped)
				end = pos + 1;
			break;
		}
		if ((size_t)c + 1 > len - pos)
			return -EBADMSG;
		wire += (unsigned int)c + 1;
		if (wire > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (out > 0 && text_put(text, cap, &out, ".", 1) < 0)
			return -EBADMSG;
		for (size_t i = 1; i <= c; i++) {
			unsigned char b = msg[pos + i];
			char esc[5];

			if (name_char_ok(b)) {
				char lc = (char)((b >= 'A' && b <= 'Z') ? b + ('a' - 'A') : b);

				if (text_put(text, cap, &out, &lc, 1) < 0)
					return -EBADMSG;
			} else {
				/* '.', '\\' and binary bytes are escaped so a
				 * label can never pass for two labels */
				snprintf(esc, sizeof(esc), "\\%03u", b);
				if (text_put(text, cap, &out, esc, 4) < 0)
					return -EBADMSG;
			}
		}
		pos += (size_t)c + 1;
	}
	if (out == 0 && text_put(text, cap, &out, ".", 1) < 0)
		return -EBADMSG;
	*off = end;
	return 0;
}

int rb_dns_response_parse(const uint8_t *msg, size_t len, uint16_t id, const char *name,
			  uint16_t qtype, struct rb_dns_answer *out)
{
	char want[RB_NAME_MAX + 1], target[RB_DNS_TEXT_MAX], owner[RB_DNS_TEXT_MAX];
	size_t pos = DNS_HDR_LEN;
	unsigned int qd, an, i;
	int rc;

	if (!msg || !name || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	rc = name_canon(name, want, sizeof(want));
	if (rc < 0)
		return rc;
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	out->id = get16(msg);
	if (!(msg[2] & 0x80)) /* QR: this is a query, not an answer */
		return -EPROTO;
	if (out->id != id || ((msg[2] >> 3) & 0x0f) != 0)
		return -EPROTO;
	out->authoritative = !!(msg[2] & 0x04);
	out->truncated = !!(msg[2] & 0x02);
	out->rcode = msg[3] & 0x0f;
	qd = get16(msg + 4);
	an = get16(msg + 6);
	out->n_answers = an;

	/* Error answers (FORMERR, REFUSED) may come without the question. */
	if (qd == 0 && an == 0 && out->rcode != RB_DNS_RCODE_NOERROR)
		return 0;
	if (qd != 1)
		return -EPROTO;
	rc = rb_dns_name_read(msg, len, &pos, target, sizeof(target));
	if (rc < 0)
		return rc;
	if (len - pos < 4)
		return -EBADMSG;
	if (strcmp(target, want) != 0 || get16(msg + pos) != qtype ||
	    get16(msg + pos + 2) != RB_DNS_CLASS_IN)
		return -EPROTO;
	pos += 4;

	/* CNAMEs are followed in the order the answer lists them, the order
	 * resolvers write a chain in; the chain can be no longer than the
	 * answer section, so it ends. */
	for (i = 0; i < an; i++) {
		uint16_t type, klass, rdlen;
		size_t rdata;

		rc = rb_dns_name_read(msg, len, &pos, owner, sizeof(owner));
		if (rc < 0)
			return rc;
		if (len - pos < 10)
			return -EBADMSG;
		type = get16(msg + pos);
		klass = get16(msg + pos + 2);
		rdlen = get16(msg + pos + 8);
		pos += 10;
		if (rdlen > len - pos)
			return -EBADMSG;
		rdata = pos;
		pos += rdlen;
		if (klass != RB_DNS_CLASS_IN || strcmp(owner, target) != 0)
			continue;
		if (type == RB_DNS_TYPE_CNAME) {
			size_t npos = rdata;
			char next[RB_DNS_TEXT_MAX];

			rc = rb_dns_name_read(msg, len, &npos, next, sizeof(next));
			if (rc < 0)
				return rc;
			if (npos != pos) /* the name must fill RDATA exactly */
				return -EBADMSG;
			memcpy(target, next, sizeof(target));
		} else if (type == RB_DNS_TYPE_A && qtype == RB_DNS_TYPE_A) {
			if (rdlen != 4)
				return -EBADMSG;
			if (out->n_addrs < RB_DNS_MAX_ADDRS)
				memcpy(&out->addrs[out->n_addrs++], msg + rdata, 4);
			else
				out->more_addrs = 1;
		}
	}
	return 0;
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

int rb_dns_reply_parse(const uint8_t *msg, size_t len, struct rb_dns_reply *out)
{
	char target[RB_DNS_TEXT_MAX], owner[RB_DNS_TEXT_MAX];
	uint32_t chain_ttl = UINT32_MAX;
	size_t pos = DNS_HDR_LEN;
	unsigned int an;
	int rc;

	if (!msg || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	if (!(msg[2] & 0x80) || ((msg[2] >> 3) & 0x0f) != 0)
		return -EPROTO;
	out->id = get16(msg);
	out->truncated = !!(msg[2] & 0x02);
	out->rcode = msg[3] & 0x0f;
	if (get16(msg + 4) != 1)
		return -EPROTO;
	an = get16(msg + 6);
	rc = rb_dns_name_read(msg, len, &pos, out->qname, sizeof(out->qname));
	if (rc < 0)
		return rc;
	if (len - pos < 4)
		return -EBADMSG;
	out->qtype = get16(msg + pos);
	out->qclass = get16(msg + pos + 2);
	pos += 4;
	memcpy(target, out->qname, sizeof(target));

	for (unsigned int i = 0; i < an; i++) {
		uint16_t type, klass, rdlen;
		uint32_t ttl;
		size_t rdata;

		rc = rb_dns_name_read(msg, len, &pos, owner, sizeof(owner));
		if (rc < 0)
			return rc;
		if (len - pos < 10)
			return -EBADMSG;
		type = get16(msg + pos);
		klass = get16(msg + pos + 2);
		ttl = get32(msg + pos + 4);
		if (ttl & 0x80000000u)
			ttl = 0;
		rdlen = get16(msg + pos + 8);
		pos += 10;
		if (rdlen > len - pos)
			return -EBADMSG;
		rdata = pos;
		pos += rdlen;
		if (type == RB_DNS_TYPE_A && rdlen != 4)
			return -EBADMSG;
		if (type == RB_DNS_TYPE_CNAME) {
			size_t npos = rdata;
			char next[RB_DNS_TEXT_MAX];

			rc = rb_dns_name_read(msg, len, &npos, next, sizeof(next));
			if (rc < 0)
				return rc;
			if (npos != pos)
				return -EBADMSG;
			if (klass != RB_DNS_CLASS_IN || strcmp(owner, target) != 0)
				continue;
			if (++out->n_cnames > RB_DNS_REPLY_MAX_CNAMES)
				return -EBADMSG;
			if (ttl < chain_ttl)
				chain_ttl = ttl;
			memcpy(target, next, sizeof(target));
			continue;
		}
		if (type != RB_DNS_TYPE_A || klass != RB_DNS_CLASS_IN || strcmp(owner, target) != 0)
			continue;
		if (out->n_a == RB_DNS_REPLY_MAX_A) {
			out->more_a = 1;
			continue;
		}
		memcpy(&out->a[out->n_a].addr, msg + rdata, 4);
		out->a[out->n_a++].ttl = ttl < chain_ttl ? ttl : chain_ttl;
	}
	return 0;
}

const char *rb_dns_rcode_str(int rcode)
{
	static const char *const names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	};

	if (rcode >= 0 && rcode < (int)(N_ELEMENTS(names)))
		return names[rcode];
	return "RCODE";
}
