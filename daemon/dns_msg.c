/* DNS packet parsing and building for the forwarder (see dns_msg.h). Every
 * offset is checked against the packet length before the read it guards, and
 * compression pointers may only go strictly backwards from where the current
 * run of labels began, so a name can never loop. */
#include "dns_msg.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

/* A resource record's fixed part, found by rr_read. */
struct rr {
	size_t owner;
	uint16_t type;
	uint16_t rclass;
	uint32_t ttl;
	size_t rd_off;
	uint16_t rdlen;
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Reads the name at `off`: *end is where the bytes after it start (after the
 * first pointer if any); the expanded wire form goes to `wire` (room for
 * DNS_MSG_NAME_MAX bytes) unless it is NULL. */
static int name_read(const uint8_t *p, size_t len, size_t off, size_t *end, uint8_t *wire,
                     size_t *wire_len)
{
	size_t pos = off, floor = off, n = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EBADMSG;
		c = p[pos];
		if ((c & 0xc0) == 0xc0) {
			size_t target;

			if (len - pos < 2)
				return -EBADMSG;
			target = (size_t)(c & 0x3f) << 8 | p[pos + 1];
			/* Strictly below the start of the current run of labels:
			 * every hop lowers the floor, so no pointer can loop. */
			if (target >= floor || ++hops > DNS_MSG_PTR_HOPS)
				return -EBADMSG;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			pos = floor = target;
			continue;
		}
		if (c & 0xc0) /* the 0x40 and 0x80 label types were never deployed */
			return -EBADMSG;
		if (n + 1 + c > DNS_MSG_NAME_MAX || len - pos - 1 < c)
			return -EBADMSG;
		if (wire)
			memcpy(wire + n, p + pos, 1 + (size_t)c);
		n += 1 + (size_t)c;
		if (c == 0) {
			if (!jumped)
				*end = pos + 1;
			break;
		}
		pos += 1 + (size_t)c;
	}
	if (wire_len)
		*wire_len = n;
	return 0;
}

/* Wire form (already validated) to lowercase presentation form. */
static void name_pres(const uint8_t *w, size_t wlen, char *out, size_t *out_len)
{
	static const char digits[] = "0123456789";
	size_t i = 0, n = 0;

	while (i < wlen && w[i] != 0) {
		uint8_t l = w[i++];

		if (n > 0)
			out[n++] = '.';
		for (uint8_t k = 0; k < l; k++) {
			uint8_t c = lower(w[i++]);

			if (c == '.' || c == '\\') {
				out[n++] = '\\';
				out[n++] = (char)c;
			} else if (c < 0x21 || c > 0x7e) {
				out[n++] = '\\';
				out[n++] = digits[c / 100];
				out[n++] = digits[c / 10 % 10];
				out[n++] = digits[c % 10];
			} else {
				out[n++] = (char)c;
			}
		}
	}
	out[n] = '\0';
	*out_len = n;
}

static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	/* Length bytes are at most 63, below 'A', so lowering them is harmless. */
	for (size_t i = 0; i < alen; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

/* Reads one resource record at *off and moves *off past it. */
static int rr_read(const uint8_t *p, size_t len, size_t *off, struct rr *rr)
{
	size_t pos;
	int err;

	rr->owner = *off;
	err = name_read(p, len, *off, &pos, NULL, NULL);
	if (err < 0)
		return err;
	if (len - pos < 10)
		return -EBADMSG;
	rr->type = get16(p + pos);
	rr->rclass = get16(p + pos + 2);
	rr->ttl = get32(p + pos + 4);
	rr->rdlen = get16(p + pos + 8);
	rr->rd_off = pos + 10;
	if (len - rr->rd_off < rr->rdlen)
		return -EBADMSG;
	*off = rr->rd_off + rr->rdlen;
	return 0;
}

/* EDNS options: a sequence of (code, length, data) that must fill the RDATA. */
static int opt_options_check(const uint8_t *p, size_t off, size_t len)
{
	size_t end = off + len;

	while (off < end) {
		uint16_t olen;

		if (end - off < 4)
			return -EBADMSG;
		olen = get16(p + off + 2);
		off += 4;
		if (end - off < olen)
			return -EBADMSG;
		off += olen;
	}
	return 0;
}

/* The additional section from `off`: at most one OPT, owned by the root
 * (RFC 6891 6.1.1), whose options are well formed. */
static int parse_additional(const uint8_t *pkt, size_t len, size_t off, uint16_t arcount,
                            struct dns_msg_query *q)
{
	for (uint16_t i = 0; i < arcount; i++) {
		struct rr rr;
		int err = rr_read(pkt, len, &off, &rr);

		if (err < 0)
			return err;
		if (rr.type != DNS_MSG_T_OPT)
			continue;
		/* More than one OPT, or one not owned by the root, is FORMERR
		 * (answered with an OPT: salvage_opt). */
		if (q->has_edns || pkt[rr.owner] != 0) {
			q->has_edns = false;
			return -EBADMSG;
		}
		err = opt_options_check(pkt, rr.rd_off, rr.rdlen);
		if (err < 0)
			return err;
		q->has_edns = true;
		q->udp_size = rr.rclass;
		q->edns_version = (uint8_t)(rr.ttl >> 16);
		q->do_bit = (rr.ttl & 0x8000) != 0;
		q->opt_off = rr.rd_off;
		q->opt_len = rr.rdlen;
	}
	/* Read to the end first: a second OPT is FORMERR whatever the version. */
	return q->has_edns && q->edns_version != 0 ? -EPROTONOSUPPORT : 0;
}

/* For a FORMERR: whether the malformed message still carried an OPT where
 * its counts say the additional section is, read as far as its framing
 * allows. An answer to a query with an OPT carries one (RFC 6891 7), even a
 * FORMERR; the first OPT's size and DO bit are the client's. */
static void salvage_opt(const uint8_t *pkt, size_t len, struct dns_msg_query *q)
{
	uint8_t wire[DNS_MSG_NAME_MAX];
	size_t wlen, off = DNS_MSG_HDR_LEN;
	unsigned before = (unsigned)get16(pkt + 6) + get16(pkt + 8), ar = get16(pkt + 10);

	for (unsigned i = 0; i < get16(pkt + 4); i++) {
		if (name_read(pkt, len, off, &off, wire, &wlen) < 0 || len - off < 4)
			return;
		off += 4;
	}
	for (unsigned i = 0; i < before + ar; i++) {
		struct rr rr;

		if (rr_read(pkt, len, &off, &rr) < 0)
			return;
		if (i >= before && rr.type == DNS_MSG_T_OPT) {
			q->has_edns = true;
			q->udp_size = rr.rclass;
			q->edns_version = 0;
			q->do_bit = (rr.ttl & 0x8000) != 0;
			q->opt_off = rr.rd_off;
			q->opt_len = 0;
			return;
		}
	}
}

/* The question at `off` (name, type, class) into q; *end past it. */
static int parse_question(const uint8_t *pkt, size_t len, size_t off, struct dns_msg_query *q,
                          size_t *end)
{
	int err = name_read(pkt, len, off, &off, q->qname_wire, &q->qname_wire_len);

	if (err < 0)
		return err;
	if (len - off < 4)
		return -EBADMSG;
	q->qtype = get16(pkt + off);
	q->qclass = get16(pkt + off + 2);
	q->question_end = *end = off + 4;
	name_pres(q->qname_wire, q->qname_wire_len, q->qname, &q->qname_len);
	q->has_question = true;
	return 0;
}

/* A message of another opcode than QUERY (NOTIFY, UPDATE, STATUS, DSO...):
 * answered NOTIMP with its opcode and, where they can be read, its question
 * and its EDNS (RFC 6895 2.1: the answer's header matches the request's). */
static int parse_other(const uint8_t *pkt, size_t len, struct dns_msg_query *q)
{
	uint16_t qd = get16(pkt + 4);
	size_t off = DNS_MSG_HDR_LEN;

	if (qd == 1 && parse_question(pkt, len, off, q, &off) < 0)
		return -EOPNOTSUPP;
	if (qd > 1)
		return -EOPNOTSUPP;
	for (unsigned i = 0; i < (unsigned)get16(pkt + 6) + get16(pkt + 8); i++) {
		struct rr rr;
		if (rr_read(pkt, len, &off, &rr) < 0)
			return -EOPNOTSUPP;
	}
	parse_additional(pkt, len, off, get16(pkt + 10), q);
	return -EOPNOTSUPP;
}

static int parse_query(const uint8_t *pkt, size_t len, struct dns_msg_query *q)
{
	size_t off;
	int err;

	q->has_question = false;
	q->has_edns = false;
	q->id = 0;
	q->flags = 0;
	if (len < DNS_MSG_HDR_LEN)
		return -EINVAL;
	q->id = get16(pkt);
	q->flags = get16(pkt + 2);
	/* Answering a response could set two servers talking to each other forever. */
	if (q->flags & DNS_MSG_F_QR)
		return -EINVAL;
	if ((q->flags & DNS_MSG_OPCODE_MASK) != 0)
		return parse_other(pkt, len, q);
	uint16_t ns = get16(pkt + 8);
	if (get16(pkt + 4) != 1 || get16(pkt + 6) != 0 || ns > 1)
		return -EBADMSG;
	err = parse_question(pkt, len, DNS_MSG_HDR_LEN, q, &off);
	if (err < 0)
		return err;
	/* An IXFR carries the SOA the client has (RFC 1995 3); nothing else
	 * has an authority section in a query. */
	if (ns) {
		struct rr rr;
		if (q->qtype != DNS_MSG_T_IXFR || rr_read(pkt, len, &off, &rr) < 0 ||
		    rr.type != DNS_MSG_T_SOA)
			return -EBADMSG;
	}
	return parse_additional(pkt, len, off, get16(pkt + 10), q);
}

int dns_msg_query_parse(const uint8_t *pkt, size_t len, struct dns_msg_query *q)
{
	int err = parse_query(pkt, len, q);

	if (err == -EBADMSG && !q->has_edns)
		salvage_opt(pkt, len, q);
	return err;
}

int dns_msg_error_rcode(int err)
{
	switch (err) {
	case -EBADMSG:
		return DNS_MSG_R_FORMERR;
	case -EOPNOTSUPP:
		return DNS_MSG_R_NOTIMP;
	case -EPROTONOSUPPORT:
		return DNS_MSG_R_BADVERS;
	default:
		return -1;
	}
}

size_t dns_msg_reply_limit(const struct dns_msg_query *q, bool tcp)
{
	if (tcp)
		return 65535;
	if (!q->has_edns || q->udp_size < DNS_MSG_UDP_MIN)
		return DNS_MSG_UDP_MIN;
	return q->udp_size;
}

/* SVCB/HTTPS RDATA (RFC 9460 2.2): priority, an uncompressed target name,
 * then parameters in strictly increasing key order; the address hints must
 * hold whole addresses. */
static int svcb_check(const uint8_t *p, size_t off, size_t rdlen, size_t *params)
{
	size_t end = off + rdlen, n = 0;
	long prev = -1;

	if (rdlen < 3)
		return -EBADMSG;
	off += 2;
	for (;;) {
		uint8_t l;

		if (off >= end)
			return -EBADMSG;
		l = p[off];
		if (l & 0xc0 || n + 1 + l > DNS_MSG_NAME_MAX || end - off - 1 < l)
			return -EBADMSG;
		n += 1 + (size_t)l;
		off += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	*params = off;
	while (off < end) {
		uint16_t key, vlen;

		if (end - off < 4)
			return -EBADMSG;
		key = get16(p + off);
		vlen = get16(p + off + 2);
		off += 4;
		if ((long)key <= prev || end - off < vlen)
			return -EBADMSG;
		if ((key == 4 && (vlen == 0 || vlen % 4)) || (key == 6 && (vlen == 0 || vlen % 16)))
			return -EBADMSG;
		prev = key;
		off += vlen;
	}
	return 0;
}

/* The reply's one question at *off against q's: -EBADMSG when it cannot be
 * read, -ESRCH when it is another; *off past it. */
static int reply_question(const uint8_t *pkt, size_t len, const struct dns_msg_query *q,
                          size_t *off)
{
	uint8_t wire[DNS_MSG_NAME_MAX];
	size_t wlen;
	int err = name_read(pkt, len, *off, off, wire, &wlen);

	if (err < 0)
		return err;
	if (len - *off < 4)
		return -EBADMSG;
	if (!name_eq(wire, wlen, q->qname_wire, q->qname_wire_len) ||
	    get16(pkt + *off) != q->qtype || get16(pkt + *off + 2) != q->qclass)
		return -ESRCH;
	*off += 4;
	return 0;
}

int dns_msg_reply_check(const uint8_t *pkt, size_t len, const struct dns_msg_query *q, uint16_t id,
                        struct dns_msg_reply *r)
{
	size_t off;
	unsigned total;
	int err;

	if (!q->has_question)
		return -EINVAL;
	if (len < DNS_MSG_HDR_LEN)
		return -EBADMSG;
	r->flags = get16(pkt + 2);
	/* A BADVERS to a query of another EDNS version may leave the question
	 * out (RFC 6891 does not ask for it). */
	bool bare = get16(pkt + 4) == 0 && q->has_edns && q->edns_version != 0;
	if (!(r->flags & DNS_MSG_F_QR) || get16(pkt) != id || (r->flags >> 11 & 0xf) != 0 ||
	    (get16(pkt + 4) != 1 && !bare))
		return -ESRCH;
	r->rcode = r->flags & 0xf;
	r->tc = (r->flags & DNS_MSG_F_TC) != 0;
	r->ancount = get16(pkt + 6);
	r->nscount = get16(pkt + 8);
	r->arcount = get16(pkt + 10);
	off = DNS_MSG_HDR_LEN;
	if (!bare && (err = reply_question(pkt, len, q, &off)) < 0)
		return err;
	r->an_off = off;
	/* A truncated reply may stop in the middle of a record; only its
	 * header and question are used, to retry over TCP. */
	if (r->tc)
		return 0;

	total = (unsigned)r->ancount + r->nscount + r->arcount;
	for (unsigned i = 0; i < total; i++) {
		struct rr rr;

		/* The records' framing only: what their RDATA holds is the
		 * upstream's business, relayed as sent; extraction skips what it
		 * cannot read. */
		err = rr_read(pkt, len, &off, &rr);
		if (err < 0)
			return err;
	}
	return 0;
}

int dns_msg_xfr_check(const uint8_t *pkt, size_t len, uint16_t id)
{
	if (len < DNS_MSG_HDR_LEN || get16(pkt) != id)
		return -ESRCH;
	uint16_t flags = get16(pkt + 2);
	if (!(flags & DNS_MSG_F_QR) || (flags & DNS_MSG_OPCODE_MASK) != 0)
		return -ESRCH;
	return 0;
}

/* 0x8000_0000 and above mean zero (RFC 2181 8). */
static uint32_t ttl_norm(uint32_t ttl)
{
	return ttl & 0x80000000u ? 0 : ttl;
}

static void addr_add(struct dns_msg_learned *out, int family, const uint8_t *a, uint32_t ttl)
{
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < out->n_addrs; i++) {
		struct dns_msg_addr *x = &out->addrs[i];

		if (x->family == family && memcmp(x->addr, a, alen) == 0) {
			if (ttl > x->ttl)
				x->ttl = ttl;
			return;
		}
	}
	if (out->n_addrs == DNS_MSG_ADDRS_MAX) {
		out->n_dropped++;
		return;
	}
	out->addrs[out->n_addrs].family = family;
	memset(out->addrs[out->n_addrs].addr, 0, sizeof(out->addrs[0].addr));
	memcpy(out->addrs[out->n_addrs].addr, a, alen);
	out->addrs[out->n_addrs].ttl = ttl;
	out->n_addrs++;
}

/* The address hints of a checked SVCB/HTTPS RDATA; AliasMode (priority 0)
 * carries no parameters that apply. */
static void svcb_hints(const uint8_t *p, const struct rr *rr, uint32_t ttl,
                       struct dns_msg_learned *out)
{
	size_t off, end = rr->rd_off + rr->rdlen;

	if (svcb_check(p, rr->rd_off, rr->rdlen, &off) < 0 || get16(p + rr->rd_off) == 0)
		return;
	while (off < end) {
		uint16_t key = get16(p + off), vlen = get16(p + off + 2);

		off += 4;
		if (key == 4)
			for (size_t i = 0; i < vlen; i += 4)
				addr_add(out, AF_INET, p + off + i, ttl);
		else if (key == 6)
			for (size_t i = 0; i < vlen; i += 16)
				addr_add(out, AF_INET6, p + off + i, ttl);
		off += vlen;
	}
}

/* The CNAME chain of an answer, in wire form: the question name first. */
struct chain {
	uint8_t name[DNS_MSG_CHAIN_MAX][DNS_MSG_NAME_MAX];
	size_t len[DNS_MSG_CHAIN_MAX];
	uint32_t ttl[DNS_MSG_CHAIN_MAX]; /* lowest CNAME TTL on the way to each name */
	size_t n;
};

/* Follows the CNAMEs of class qclass from c's first name. One scan of the
 * answer section per link; a CNAME is the only record at its owner (RFC 1034
 * 3.6.2), so the first found is the link. */
static int chain_follow(const uint8_t *pkt, size_t len, const struct dns_msg_reply *r,
                        uint16_t qclass, struct chain *c)
{
	for (;;) {
		bool found = false;
		size_t off = r->an_off;

		for (unsigned i = 0; i < r->ancount && !found; i++) {
			uint8_t owner[DNS_MSG_NAME_MAX], target[DNS_MSG_NAME_MAX];
			size_t olen, tlen, end, n = c->n;
			struct rr rr;
			int err = rr_read(pkt, len, &off, &rr);

			if (err < 0)
				return err;
			if (rr.type != DNS_MSG_T_CNAME || rr.rclass != qclass)
				continue;
			if (name_read(pkt, len, rr.owner, &end, owner, &olen) < 0)
				return -EBADMSG;
			if (!name_eq(owner, olen, c->name[n - 1], c->len[n - 1]))
				continue;
			/* A target that is not one name filling the RDATA (a
			 * pointer may reach outside it) is no link to follow. */
			if (rr.rdlen == 0 ||
			    name_read(pkt, len, rr.rd_off, &end, target, &tlen) < 0 ||
			    end != rr.rd_off + rr.rdlen)
				continue;
			for (size_t k = 0; k < n; k++)
				if (name_eq(target, tlen, c->name[k], c->len[k]))
					return -ELOOP;
			if (n == DNS_MSG_CHAIN_MAX)
				return -ELOOP;
			memcpy(c->name[n], target, tlen);
			c->len[n] = tlen;
			c->ttl[n] =
			    ttl_norm(rr.ttl) < c->ttl[n - 1] ? ttl_norm(rr.ttl) : c->ttl[n - 1];
			c->n++;
			found = true;
		}
		if (!found)
			return 0;
	}
}

/* The addresses owned by a name of the chain (class IN): A and AAAA records,
 * SVCB and HTTPS hints, each with the TTL lowered to its chain name's. */
static int chain_addrs(const uint8_t *pkt, size_t len, const struct dns_msg_reply *r,
                       const struct chain *c, struct dns_msg_learned *out)
{
	size_t off = r->an_off;

	for (unsigned i = 0; i < r->ancount; i++) {
		uint8_t owner[DNS_MSG_NAME_MAX];
		size_t olen, end, k;
		uint32_t ttl;
		struct rr rr;
		int err = rr_read(pkt, len, &off, &rr);

		if (err < 0)
			return err;
		if (rr.rclass != DNS_MSG_C_IN ||
		    (rr.type != DNS_MSG_T_A && rr.type != DNS_MSG_T_AAAA &&
		     rr.type != DNS_MSG_T_SVCB && rr.type != DNS_MSG_T_HTTPS))
			continue;
		if (name_read(pkt, len, rr.owner, &end, owner, &olen) < 0)
			return -EBADMSG;
		for (k = 0; k < c->n; k++)
			if (name_eq(owner, olen, c->name[k], c->len[k]))
				break;
		if (k == c->n)
			continue;
		ttl = ttl_norm(rr.ttl) < c->ttl[k] ? ttl_norm(rr.ttl) : c->ttl[k];
		if (rr.type == DNS_MSG_T_A && rr.rdlen == 4)
			addr_add(out, AF_INET, pkt + rr.rd_off, ttl);
		else if (rr.type == DNS_MSG_T_AAAA && rr.rdlen == 16)
			addr_add(out, AF_INET6, pkt + rr.rd_off, ttl);
		else if (rr.type == DNS_MSG_T_SVCB || rr.type == DNS_MSG_T_HTTPS)
			svcb_hints(pkt, &rr, ttl, out);
	}
	return 0;
}

int dns_msg_extract(const uint8_t *pkt, size_t len, const struct dns_msg_reply *r,
                    struct dns_msg_learned *out)
{
	struct chain c;
	uint16_t qclass;
	size_t off;
	int err;

	out->n_names = 0;
	out->n_addrs = 0;
	out->n_dropped = 0;
	if (r->tc)
		return -EINVAL;
	err = name_read(pkt, len, DNS_MSG_HDR_LEN, &off, c.name[0], &c.len[0]);
	if (err < 0)
		return err;
	if (off != r->an_off - 4 || r->an_off > len)
		return -EBADMSG;
	qclass = get16(pkt + off + 2);
	c.ttl[0] = UINT32_MAX;
	c.n = 1;
	err = chain_follow(pkt, len, r, qclass, &c);
	if (err == 0 && qclass == DNS_MSG_C_IN)
		err = chain_addrs(pkt, len, r, &c, out);
	if (err < 0)
		return err;
	for (size_t k = 0; k < c.n; k++)
		name_pres(c.name[k], c.len[k], out->names[k].name, &out->names[k].len);
	out->n_names = c.n;
	return 0;
}

/* A bounded writer: once something does not fit it stops and remembers. */
struct out {
	uint8_t *b;
	size_t cap, n;
	bool over;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (n == 0) /* p may be NULL then, which memcpy does not allow */
		return;
	if (o->over || o->cap - o->n < n) {
		o->over = true;
		return;
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put16(struct out *o, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	put(o, b, 2);
}

static void put32(struct out *o, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	put(o, b, 4);
}

/* What one synthesised reply holds. */
struct reply_spec {
	int rcode;      /* 0..4095 */
	uint16_t atype; /* an A or AAAA record of zeros, or 0 for none */
	bool soa;
	size_t soa_owner; /* offset in the question name of the SOA's owner */
	uint32_t ttl;
	int ede;
	const char *text;
	size_t text_len;
};

/* How much of a reply is kept: everything, or with TC set only the question
 * and the OPT with or without its EDE, or the question alone. */
enum level { L_FULL, L_OPT_EDE, L_OPT, L_BARE };

static const uint8_t soa_mname[] = "\x07"
                                   "blocked"
                                   "\x07"
                                   "smbreak"
                                   "\x07"
                                   "invalid";
static const uint8_t soa_rname[] = "\x0a"
                                   "hostmaster";

static void write_reply(const struct dns_msg_query *q, const struct reply_spec *s, enum level lv,
                        struct out *o)
{
	static const uint8_t zeros[16];
	/* The opcode too: a NOTIMP to a NOTIFY says NOTIFY (RFC 6895 2.1). */
	uint16_t flags = DNS_MSG_F_QR | DNS_MSG_F_RA |
	                 (q->flags & (DNS_MSG_OPCODE_MASK | DNS_MSG_F_RD | DNS_MSG_F_CD));
	uint16_t rclass = q->has_question && q->qclass != DNS_MSG_C_ANY ? q->qclass : DNS_MSG_C_IN;
	bool full = lv == L_FULL;
	bool opt = q->has_edns && lv != L_BARE;
	bool ede = s->ede != DNS_MSG_EDE_NONE && (lv == L_FULL || lv == L_OPT_EDE);

	flags |= (uint16_t)(s->rcode & 0xf);
	if (!full)
		flags |= DNS_MSG_F_TC;
	put16(o, q->id);
	put16(o, flags);
	put16(o, q->has_question ? 1 : 0);
	put16(o, full && s->atype ? 1 : 0);
	put16(o, full && s->soa ? 1 : 0);
	put16(o, opt ? 1 : 0);
	if (q->has_question) {
		put(o, q->qname_wire, q->qname_wire_len);
		put16(o, q->qtype);
		put16(o, q->qclass);
	}
	if (full && s->atype) {
		put16(o, 0xc000 | DNS_MSG_HDR_LEN); /* the question name */
		put16(o, s->atype);
		put16(o, DNS_MSG_C_IN);
		put32(o, s->ttl);
		put16(o, s->atype == DNS_MSG_T_A ? 4 : 16);
		put(o, zeros, s->atype == DNS_MSG_T_A ? 4 : 16);
	}
	if (full && s->soa) {
		size_t mname;

		put16(o, (uint16_t)(0xc000 | (DNS_MSG_HDR_LEN + s->soa_owner)));
		put16(o, DNS_MSG_T_SOA);
		put16(o, rclass);
		put32(o, s->ttl);
		put16(o, sizeof(soa_mname) + sizeof(soa_rname) - 1 + 2 + 20);
		mname = o->n;
		put(o, soa_mname, sizeof(soa_mname)); /* the literal's NUL is the root */
		put(o, soa_rname, sizeof(soa_rname) - 1);
		put16(o, (uint16_t)(0xc000 | (mname + 8))); /* "smbreak.invalid." */
		put32(o, 1);                                /* serial */
		put32(o, 3600);                             /* refresh */
		put32(o, 600);                              /* retry */
		put32(o, 86400);                            /* expire */
		put32(o, s->ttl); /* minimum: the negative caching TTL (RFC 2308) */
	}
	if (opt) {
		put(o, "", 1); /* root owner */
		put16(o, DNS_MSG_T_OPT);
		put16(o, DNS_MSG_EDNS_SIZE);
		put32(o, (uint32_t)(s->rcode >> 4) << 24 | (q->do_bit ? 0x8000u : 0));
		if (ede) {
			put16(o, (uint16_t)(4 + 2 + s->text_len));
			put16(o, DNS_MSG_OPT_EDE);
			put16(o, (uint16_t)(2 + s->text_len));
			put16(o, (uint16_t)s->ede);
			put(o, s->text, s->text_len);
		} else {
			put16(o, 0);
		}
	}
}

static int build(const struct dns_msg_query *q, const struct reply_spec *s, uint8_t *buf,
                 size_t limit, size_t *len)
{
	if (limit > 65535)
		limit = 65535;
	for (enum level lv = L_FULL; lv <= L_BARE; lv++) {
		struct out o = {.b = buf, .cap = limit};

		write_reply(q, s, lv, &o);
		if (!o.over) {
			*len = o.n;
			return 0;
		}
	}
	return -ENOSPC;
}

static int spec_init(struct reply_spec *s, const struct dns_msg_query *q, int rcode, int ede,
                     const char *text)
{
	memset(s, 0, sizeof(*s));
	if (rcode < 0 || rcode > 4095 || (rcode > 15 && !q->has_edns))
		return -EINVAL;
	if (ede != DNS_MSG_EDE_NONE && (ede < 0 || ede > 65535))
		return -EINVAL;
	s->rcode = rcode;
	s->ede = ede;
	s->text = text;
	s->text_len = text ? strnlen(text, DNS_MSG_TEXT_MAX + 1) : 0;
	if (s->text_len > DNS_MSG_TEXT_MAX || (text && ede == DNS_MSG_EDE_NONE))
		return -EINVAL;
	return 0;
}

/* Where in the question name its last `labels` labels start (0, the whole
 * name, when it has no more labels than that or labels is 0). */
static size_t zone_offset(const struct dns_msg_query *q, unsigned labels)
{
	unsigned n = 0;
	size_t off = 0;

	for (size_t i = 0; i < q->qname_wire_len && q->qname_wire[i]; i += 1 + q->qname_wire[i])
		n++;
	if (labels == 0 || labels >= n)
		return 0;
	for (unsigned skip = n - labels; skip > 0; skip--)
		off += 1 + q->qname_wire[off];
	return off;
}

int dns_msg_build_blocked(const struct dns_msg_query *q, enum dns_msg_block mode, uint32_t ttl,
                          unsigned zone, const char *text, uint8_t *buf, size_t limit, size_t *len)
{
	struct reply_spec s;
	int rcode, err;

	if (!q->has_question)
		return -EINVAL;
	switch (mode) {
	case DNS_MSG_BLOCK_NXDOMAIN:
		rcode = DNS_MSG_R_NXDOMAIN;
		break;
	case DNS_MSG_BLOCK_NULL:
		rcode = DNS_MSG_R_NOERROR;
		break;
	case DNS_MSG_BLOCK_REFUSED:
		rcode = DNS_MSG_R_REFUSED;
		break;
	default:
		return -EINVAL;
	}
	err = spec_init(&s, q, rcode, DNS_MSG_EDE_BLOCKED, text);
	if (err < 0)
		return err;
	s.ttl = ttl_norm(ttl);
	if (mode == DNS_MSG_BLOCK_NULL && q->qclass == DNS_MSG_C_IN &&
	    (q->qtype == DNS_MSG_T_A || q->qtype == DNS_MSG_T_AAAA))
		s.atype = q->qtype;
	s.soa = mode != DNS_MSG_BLOCK_REFUSED && !s.atype;
	s.soa_owner = zone_offset(q, zone);
	return build(q, &s, buf, limit, len);
}

int dns_msg_build_empty(const struct dns_msg_query *q, uint32_t ttl, unsigned zone, int ede,
                        const char *text, uint8_t *buf, size_t limit, size_t *len)
{
	struct reply_spec s;
	int err;

	if (!q->has_question)
		return -EINVAL;
	err = spec_init(&s, q, DNS_MSG_R_NOERROR, ede, text);
	if (err < 0)
		return err;
	s.ttl = ttl_norm(ttl);
	s.soa = true;
	s.soa_owner = zone_offset(q, zone);
	return build(q, &s, buf, limit, len);
}

int dns_msg_build_error(const struct dns_msg_query *q, int rcode, int ede, const char *text,
                        uint8_t *buf, size_t limit, size_t *len)
{
	struct reply_spec s;
	int err;

	err = spec_init(&s, q, rcode, ede, text);
	if (err < 0)
		return err;
	return build(q, &s, buf, limit, len);
}

int dns_msg_set_id(uint8_t *pkt, size_t len, uint16_t id)
{
	if (len < 2)
		return -EINVAL;
	pkt[0] = (uint8_t)(id >> 8);
	pkt[1] = (uint8_t)id;
	return 0;
}
