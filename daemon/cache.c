/* The answer cache (see cache.h). An entry keeps the upstream's answer from
 * its question on, byte for byte at the offsets it had, less the header and
 * the OPT record, with where each record's TTL is: so compression pointers
 * stay valid, a hit is a copy, the client's name over the question (its 0x20
 * case) and the TTLs written counted down. The OPT is rebuilt per client
 * rather than patched: the upstream's carries the options of the client
 * whose query went upstream (its cookie, its padding), never another's. */
#include "cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define T_NS    2
#define T_CNAME 5
#define T_SOA   6
#define T_PTR   12
#define T_MX    15
#define T_SIG   24
#define T_SRV   33
#define T_OPT   41
#define T_TSIG  250
#define KEY_DO  1
#define KEY_CD  2
#define OPT_LEN 11 /* an OPT record with no options */
#define EDE_LEN 6  /* the EDE option with its info code, no text */

struct entry {
	struct entry *hnext;       /* the bucket's chain */
	struct entry *prev, *next; /* the use order, most recent first */
	uint64_t hash;
	time_t stored;
	uint32_t ttl; /* seconds fresh from `stored` */
	uint16_t qtype, qclass, flags;
	uint16_t an, ns, ar; /* record counts, the OPT left out */
	uint16_t n_ttls, body_len, name_len;
	uint8_t bits; /* KEY_DO, KEY_CD */
	bool learn;
	size_t size; /* bytes counted against the bound */
	/* uint16_t ttl_off[n_ttls], then the body: question and records */
	uint8_t data[];
};

struct cache {
	struct entry **buckets;
	size_t mask; /* buckets - 1 */
	struct entry *head, *tail;
	size_t max, bytes_max;
	uint32_t stale_max;
	uint64_t k0, k1; /* the hash key */
	struct cache_stats st;
};

static uint8_t lower(uint8_t b)
{
	return b >= 'A' && b <= 'Z' ? (uint8_t)(b | 0x20) : b;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint16_t *entry_ttls(struct entry *e)
{
	return (uint16_t *)e->data;
}

static uint8_t *entry_body(struct entry *e)
{
	return e->data + e->n_ttls * sizeof(uint16_t);
}

/* ---- the key ---- */

/* SipHash-1-3 of the key bytes: keyed, so that a flood of chosen names
 * cannot pile into one bucket. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1, v1 = ROTL(v1, 13), v1 ^= v0, v0 = ROTL(v0, 32);                          \
		v2 += v3, v3 = ROTL(v3, 16), v3 ^= v2;                                             \
		v0 += v3, v3 = ROTL(v3, 21), v3 ^= v0;                                             \
		v2 += v1, v1 = ROTL(v1, 17), v1 ^= v2, v2 = ROTL(v2, 32);                          \
	} while (0)

static uint64_t siphash(uint64_t k0, uint64_t k1, const uint8_t *in, size_t len)
{
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&m, in + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* DO only counts with EDNS: the parser leaves it unset without. */
static bool query_do(const struct dns_msg_query *q)
{
	return q->has_edns && q->do_bit;
}

static uint8_t key_bits(const struct dns_msg_query *q)
{
	return (uint8_t)((query_do(q) ? KEY_DO : 0) | (q->flags & DNS_MSG_F_CD ? KEY_CD : 0));
}

static uint64_t key_hash(const struct cache *c, const struct dns_msg_query *q)
{
	uint8_t k[DNS_MSG_NAME_MAX + 5];
	size_t n = q->qname_wire_len;

	for (size_t i = 0; i < n; i++)
		k[i] = lower(q->qname_wire[i]);
	wr16(k + n, q->qtype);
	wr16(k + n + 2, q->qclass);
	k[n + 4] = key_bits(q);
	return siphash(c->k0, c->k1, k, n + 5);
}

static bool key_eq(struct entry *e, uint64_t h, const struct dns_msg_query *q)
{
	const uint8_t *name = entry_body(e);

	if (e->hash != h || e->qtype != q->qtype || e->qclass != q->qclass ||
	    e->bits != key_bits(q) || e->name_len != q->qname_wire_len)
		return false;
	for (size_t i = 0; i < e->name_len; i++)
		if (lower(name[i]) != lower(q->qname_wire[i]))
			return false;
	return true;
}

/* ---- the table ---- */

static struct entry **bucket_of(struct cache *c, uint64_t h)
{
	return &c->buckets[h & c->mask];
}

static void lru_unlink(struct cache *c, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
}

static void lru_push(struct cache *c, struct entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static void entry_remove(struct cache *c, struct entry *e)
{
	struct entry **pp = bucket_of(c, e->hash);

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	lru_unlink(c, e);
	c->st.entries--;
	c->st.bytes -= e->size;
	free(e);
}

static struct entry *entry_find(struct cache *c, const struct dns_msg_query *q)
{
	uint64_t h = key_hash(c, q);

	for (struct entry *e = *bucket_of(c, h); e; e = e->hnext)
		if (key_eq(e, h, q))
			return e;
	return NULL;
}

/* Evicts, least recently used first, until `need` more bytes and one more
 * entry fit. False when they never would. */
static bool make_room(struct cache *c, size_t need)
{
	if (!c->max || need > c->bytes_max)
		return false;
	while (c->tail && (c->st.entries >= c->max || c->st.bytes + need > c->bytes_max)) {
		entry_remove(c, c->tail);
		c->st.evicted++;
	}
	return true;
}

static size_t buckets_for(size_t max)
{
	size_t n = 16;

	while (n < max)
		n <<= 1;
	return n;
}

int cache_set_limits(struct cache *c, size_t max, uint32_t stale_max)
{
	size_t n = buckets_for(max);

	if (n != c->mask + 1) {
		struct entry **b = calloc(n, sizeof(*b));
		if (!b)
			return -ENOMEM;
		free(c->buckets);
		c->buckets = b;
		c->mask = n - 1;
		for (struct entry *e = c->head; e; e = e->next) {
			struct entry **pp = bucket_of(c, e->hash);
			e->hnext = *pp;
			*pp = e;
		}
	}
	c->max = max;
	c->bytes_max = max * CACHE_BYTES_PER_ENTRY;
	c->stale_max = stale_max;
	while (c->tail && (c->st.entries > c->max || c->st.bytes > c->bytes_max)) {
		entry_remove(c, c->tail);
		c->st.evicted++;
	}
	return 0;
}

int cache_new(size_t max, uint32_t stale_max, uint64_t seed, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->k0 = seed;
	c->k1 = seed * 0x9e3779b97f4a7c15ull ^ 0x5bd1e995ull;
	c->mask = (size_t)-1; /* no buckets yet: set_limits makes them */
	if (cache_set_limits(c, max, stale_max) < 0) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

void cache_flush(struct cache *c)
{
	while (c->head)
		entry_remove(c, c->head);
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	cache_flush(c);
	free(c->buckets);
	free(c);
}

/* ---- storing ---- */

/* What a walk over an answer's records found. */
struct scan {
	size_t end;    /* just past the last record kept */
	size_t n_ttls; /* records kept, each with its TTL at ttl_off[] */
	uint16_t ttl_off[CACHE_BODY_MAX / 11];
	uint32_t ttl; /* the lowest TTL, capped */
	bool soa;     /* an SOA in the authority section */
	bool opt;     /* the last record was an OPT, left out */
	/* Offsets where a label of a name read so far starts: where a
	 * compression pointer may point. */
	uint8_t label[(DNS_MSG_HDR_LEN + CACHE_BODY_MAX + 7) / 8];
};

/* Skips the name at *pos. Every compression pointer must point back to
 * where a label of a name read before starts: so what it names is in the
 * bytes kept, whatever is left out after them, and in no TTL rewritten on
 * the way out (a pointer into a TTL would read a name that changes). */
static int skip_name(struct scan *s, const uint8_t *p, size_t len, size_t *pos)
{
	size_t i = *pos;

	for (;;) {
		if (i >= len)
			return -EBADMSG;
		uint8_t b = p[i];
		if ((b & 0xc0) == 0xc0) {
			if (i + 2 > len)
				return -EBADMSG;
			size_t to = (size_t)(b & 0x3f) << 8 | p[i + 1];
			if (to >= i || !(s->label[to / 8] & 1u << to % 8))
				return -EBADMSG;
			*pos = i + 2;
			return 0;
		}
		if (b & 0xc0)
			return -EBADMSG;
		s->label[i / 8] |= (uint8_t)(1u << i % 8);
		i += 1 + (size_t)b;
		if (!b) {
			*pos = i;
			return 0;
		}
	}
}

/* The names inside the RDATA of the types that compress them (RFC 1035,
 * 3597: no other type may) point back too. */
static int check_rdata(struct scan *s, const uint8_t *p, uint16_t type, size_t at, size_t rdlen)
{
	size_t pos = at, end = at + rdlen;
	int names = type == T_SOA ? 2 : 1;

	if (type == T_MX)
		pos += 2;
	else if (type == T_SRV) /* not to be compressed (RFC 2782), but some do */
		pos += 6;
	else if (type != T_NS && type != T_CNAME && type != T_PTR && type != T_SOA)
		return 0;
	for (int i = 0; i < names; i++)
		if (skip_name(s, p, end, &pos) < 0)
			return -EBADMSG;
	if (type == T_SOA && pos + 20 != end)
		return -EBADMSG;
	return 0;
}

/* The records after the question at pos: each parses, an OPT only last,
 * TTLs capped and their offsets noted; an SOA's TTL lowered to its minimum
 * (RFC 2308 5), in pkt, which is the caller's copy. */
static int scan_records(uint8_t *p, size_t len, size_t pos, unsigned an, unsigned ns, unsigned ar,
                        struct scan *s)
{
	unsigned total = an + ns + ar;

	s->ttl = CACHE_TTL_MAX;
	for (unsigned i = 0; i < total; i++) {
		size_t rec = pos;
		if (skip_name(s, p, len, &pos) < 0 || pos + 10 > len)
			return -EBADMSG;
		uint16_t type = rd16(p + pos);
		uint32_t ttl = rd32(p + pos + 4);
		size_t rdlen = rd16(p + pos + 8), rd = pos + 10;
		if (rd + rdlen > len)
			return -EBADMSG;
		if (type == T_OPT) {
			if (i != total - 1 || i < an + ns || p[rec] != 0)
				return -ENOTSUP;
			s->opt = true;
			return 0;
		}
		if (type == T_TSIG || type == T_SIG)
			return -ENOTSUP; /* signed for one client */
		if (check_rdata(s, p, type, rd, rdlen) < 0)
			return -EBADMSG;
		if (ttl > 0x7fffffffu) /* RFC 2181 8: as if 0 */
			ttl = 0;
		if (type == T_SOA && i >= an && i < an + ns) {
			uint32_t min = rd32(p + rd + rdlen - 4);
			ttl = min < ttl ? min : ttl;
			s->soa = true;
		}
		ttl = ttl < CACHE_TTL_MAX ? ttl : CACHE_TTL_MAX;
		wr32(p + pos + 4, ttl);
		s->ttl = ttl < s->ttl ? ttl : s->ttl;
		s->ttl_off[s->n_ttls++] = (uint16_t)(pos + 4 - DNS_MSG_HDR_LEN);
		pos = rd + rdlen;
		s->end = pos;
	}
	return 0;
}

/* The question of pkt is q's, written out uncompressed (nothing precedes it
 * to point to). Returns the offset past it, or -ESRCH. */
static int check_question(const uint8_t *p, size_t len, const struct dns_msg_query *q)
{
	size_t n = q->qname_wire_len, end = DNS_MSG_HDR_LEN + n + 4;

	if (len < end || rd16(p + 4) != 1)
		return -ESRCH;
	for (size_t i = 0; i < n; i++)
		if (lower(p[DNS_MSG_HDR_LEN + i]) != lower(q->qname_wire[i]))
			return -ESRCH;
	if (rd16(p + DNS_MSG_HDR_LEN + n) != q->qtype ||
	    rd16(p + DNS_MSG_HDR_LEN + n + 2) != q->qclass)
		return -ESRCH;
	return (int)end;
}

int cache_store(struct cache *c, const struct dns_msg_query *q, const uint8_t *pkt, size_t len,
                const struct dns_msg_reply *rep, bool learn, time_t now)
{
	uint8_t copy[DNS_MSG_HDR_LEN + CACHE_BODY_MAX];
	struct scan s;
	uint8_t rcode = rep->rcode;
	int qend;

	if (!q->has_question || rep->tc ||
	    (rcode != DNS_MSG_R_NOERROR && rcode != DNS_MSG_R_NXDOMAIN))
		return -ENOTSUP;
	if ((qend = check_question(pkt, len, q)) < 0)
		return qend;
	/* An OPT past the bound is left out anyway: only what is kept counts. */
	size_t n = len < sizeof(copy) ? len : sizeof(copy);
	memcpy(copy, pkt, n);
	memset(&s, 0, sizeof(s));
	s.end = (size_t)qend;
	size_t at = DNS_MSG_HDR_LEN;
	(void)skip_name(&s, copy, n, &at); /* q's name: it parses, and marks its labels */
	int r = scan_records(copy, n, (size_t)qend, rep->ancount, rep->nscount, rep->arcount, &s);
	if (r == -EBADMSG && n < len)
		return -E2BIG;
	if (r < 0)
		return r;
	if (!rep->ancount && !s.soa)
		return -ENOTSUP; /* a negative answer without an SOA is not cached (RFC 2308 5) */
	if (!s.ttl)
		return -ENOTSUP;
	size_t body = s.end - DNS_MSG_HDR_LEN;
	size_t size = sizeof(struct entry) + s.n_ttls * sizeof(uint16_t) + body;
	struct entry *old = entry_find(c, q);
	if (old)
		entry_remove(c, old);
	if (!make_room(c, size))
		return -E2BIG;
	struct entry *e = malloc(size);
	if (!e)
		return -ENOMEM;
	e->hash = key_hash(c, q);
	e->stored = now;
	e->ttl = s.ttl;
	e->qtype = q->qtype;
	e->qclass = q->qclass;
	e->flags = rep->flags;
	e->an = rep->ancount;
	e->ns = rep->nscount;
	e->ar = (uint16_t)(rep->arcount - s.opt);
	e->n_ttls = (uint16_t)s.n_ttls;
	e->body_len = (uint16_t)body;
	e->name_len = (uint16_t)q->qname_wire_len;
	e->bits = key_bits(q);
	e->learn = learn;
	e->size = size;
	memcpy(entry_ttls(e), s.ttl_off, s.n_ttls * sizeof(uint16_t));
	memcpy(entry_body(e), copy + DNS_MSG_HDR_LEN, body);
	struct entry **pp = bucket_of(c, e->hash);
	e->hnext = *pp;
	*pp = e;
	lru_push(c, e);
	c->st.entries++;
	c->st.bytes += size;
	c->st.stored++;
	return 0;
}

/* ---- serving ---- */

static size_t build(struct entry *e, const struct dns_msg_query *q, time_t now, bool stale,
                    uint8_t *buf, size_t size)
{
	size_t opt = q->has_edns ? OPT_LEN + (stale ? EDE_LEN : 0) : 0;
	size_t len = DNS_MSG_HDR_LEN + e->body_len + opt;
	uint16_t keep = DNS_MSG_F_QR | DNS_MSG_OPCODE_MASK | DNS_MSG_F_AA | DNS_MSG_F_RA | 0xf;
	uint16_t flags = (uint16_t)((e->flags & keep) | (q->flags & (DNS_MSG_F_RD | DNS_MSG_F_CD)));
	uint32_t elapsed = (uint32_t)(now - e->stored);
	const uint16_t *off = entry_ttls(e);

	if (len > size)
		return 0;
	/* AD only to a client that asked for it (RFC 6840 5.8). */
	if (q->flags & DNS_MSG_F_AD || query_do(q))
		flags |= e->flags & DNS_MSG_F_AD;
	wr16(buf, q->id);
	wr16(buf + 2, flags);
	wr16(buf + 4, 1);
	wr16(buf + 6, e->an);
	wr16(buf + 8, e->ns);
	wr16(buf + 10, (uint16_t)(e->ar + (opt ? 1 : 0)));
	uint8_t *b = buf + DNS_MSG_HDR_LEN;
	memcpy(b, entry_body(e), e->body_len);
	memcpy(b, q->qname_wire, e->name_len);
	for (size_t i = 0; i < e->n_ttls; i++)
		wr32(b + off[i], stale ? CACHE_STALE_TTL : rd32(b + off[i]) - elapsed);
	if (!opt)
		return len;
	b += e->body_len;
	b[0] = 0; /* root */
	wr16(b + 1, T_OPT);
	wr16(b + 3, DNS_MSG_EDNS_SIZE);
	wr32(b + 5, query_do(q) ? 0x8000u : 0);
	wr16(b + 9, (uint16_t)(opt - OPT_LEN));
	if (stale) {
		wr16(b + 11, DNS_MSG_OPT_EDE);
		wr16(b + 13, 2);
		wr16(b + 15, CACHE_EDE_STALE);
	}
	return len;
}

bool cache_answer(struct cache *c, const struct dns_msg_query *q, time_t now, bool stale,
                  uint8_t *buf, size_t size, struct cache_served *out)
{
	struct entry *e = q->has_question ? entry_find(c, q) : NULL;

	/* A clock that went back (it is the caller's, monotonic) counts as stored now. */
	if (e && now < e->stored)
		e->stored = now;
	bool fresh = e && now - e->stored < (time_t)e->ttl;

	if (e && !fresh && now - e->stored >= (time_t)e->ttl + (time_t)c->stale_max) {
		entry_remove(c, e);
		e = NULL;
	}
	if (!e || (!fresh && !stale)) {
		if (!stale)
			c->st.misses++;
		return false;
	}
	size_t len = build(e, q, now, !fresh, buf, size);
	if (!len)
		return false;
	lru_unlink(c, e);
	lru_push(c, e);
	if (fresh)
		c->st.hits++;
	else
		c->st.stale++;
	*out = (struct cache_served){len, !fresh, e->learn};
	return true;
}

void cache_get_stats(const struct cache *c, struct cache_stats *out)
{
	*out = c->st;
}
