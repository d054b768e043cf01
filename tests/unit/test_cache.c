/* Unit tests of the answer cache at fixed instants with hand-built packets:
 * the key (case, type, DO, CD), TTLs counted down and capped, negative
 * answers by their SOA, the entry and byte bounds with LRU eviction,
 * serve-stale with EDE 3, the per-client header and OPT, and what is not
 * cached. Served answers are read back with dns_msg as the client would. */
#include "cache.h"
#include "check.h"
#include "pkt.h"
#include "dns_msg.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

static void hdr(struct pb *p, uint16_t id, uint16_t flags, uint16_t an, uint16_t ns, uint16_t ar)
{
	p->n = 0;
	b16(p, id);
	b16(p, flags);
	b16(p, 1);
	b16(p, an);
	b16(p, ns);
	b16(p, ar);
}

/* An A record owned by the question name (a pointer to offset 12). */
static void a_rr(struct pb *p, uint32_t ttl, uint8_t last)
{
	b16(p, 0xc00c);
	size_t rd = rr(p, DNS_MSG_T_A, DNS_MSG_C_IN, ttl);
	b32(p, 0xc0000200u | last);
	rd_end(p, rd);
}

static void soa_rr(struct pb *p, uint32_t ttl, uint32_t min)
{
	b16(p, 0xc00c);
	size_t rd = rr(p, DNS_MSG_T_SOA, DNS_MSG_C_IN, ttl);
	name(p, "ns.example");
	name(p, "host.example");
	for (int i = 0; i < 4; i++)
		b32(p, 1);
	b32(p, min);
	rd_end(p, rd);
}

static void opt(struct pb *p, bool do_bit, bool cookie)
{
	b8(p, 0);
	size_t rd = rr(p, DNS_MSG_T_OPT, 4096, do_bit ? 0x8000 : 0); /* UDP size 4096 */
	if (cookie) {
		b16(p, 10);
		b16(p, 8);
		b32(p, 0x01020304);
		b32(p, 0x05060708);
	}
	rd_end(p, rd);
}

/* A query for qname/qtype; edns: with an OPT (DO as asked); flags besides RD. */
static void query(struct dns_msg_query *q, uint16_t id, const char *qname, uint16_t qtype,
                  bool edns, bool do_bit, uint16_t flags)
{
	struct pb p;

	hdr(&p, id, DNS_MSG_F_RD | flags, 0, 0, edns);
	name(&p, qname);
	b16(&p, qtype);
	b16(&p, DNS_MSG_C_IN);
	if (edns)
		opt(&p, do_bit, false);
	int r = dns_msg_query_parse(p.b, p.n, q);
	CHECK_INT(r, 0);
}

/* The upstream's answer to q: one A per ttls[] entry (TTL ttls[i]). */
static void answer_a(struct pb *p, const struct dns_msg_query *q, const char *qname,
                     const uint32_t *ttls, size_t n, bool edns)
{
	hdr(p, 0x4242, DNS_MSG_F_QR | DNS_MSG_F_RD | DNS_MSG_F_RA, (uint16_t)n, 0, edns);
	name(p, qname);
	b16(p, q->qtype);
	b16(p, DNS_MSG_C_IN);
	for (size_t i = 0; i < n; i++)
		a_rr(p, ttls[i], (uint8_t)(i + 1));
	if (edns)
		opt(p, q->do_bit, true);
}

/* Checks p as the relay does, then stores it. */
static int store(struct cache *c, const struct dns_msg_query *q, const struct pb *p, time_t now)
{
	struct dns_msg_reply rep;
	int r = dns_msg_reply_check(p->b, p->n, q, (uint16_t)(p->b[0] << 8 | p->b[1]), &rep);

	return r < 0 ? r : cache_store(c, q, p->b, p->n, &rep, true, now);
}

/* Serves q at now and reads the answer back: its first address's TTL into *ttl. */
static bool serve(struct cache *c, const struct dns_msg_query *q, time_t now, bool stale,
                  uint8_t *buf, struct cache_served *sv, uint32_t *ttl)
{
	struct dns_msg_reply rep;
	struct dns_msg_learned l;

	if (!cache_answer(c, q, now, stale, buf, 65535, sv))
		return false;
	CHECK_INT(dns_msg_reply_check(buf, sv->len, q, q->id, &rep), 0);
	CHECK_INT(dns_msg_extract(buf, sv->len, &rep, &l), 0);
	*ttl = l.n_addrs ? l.addrs[0].ttl : 0;
	return true;
}

/* Offset past the header and question of an answer to q. */
static size_t after_question(const struct dns_msg_query *q)
{
	return DNS_MSG_HDR_LEN + q->qname_wire_len + 4;
}

static void test_hit_countdown_case(void)
{
	struct cache *c;
	struct dns_msg_query q, q2;
	struct pb p;
	struct cache_served sv;
	uint8_t buf[65535];
	uint32_t ttl, ttls[] = {300, 600};

	CHECK_INT(cache_new(100, 86400, 1, &c), 0);
	query(&q, 1, "www.example.com", DNS_MSG_T_A, false, false, 0);
	CHECK(!cache_answer(c, &q, 1000, false, buf, sizeof(buf), &sv));
	answer_a(&p, &q, "www.example.com", ttls, 2, false);
	CHECK_INT(store(c, &q, &p, 1000), 0);

	query(&q2, 0x7777, "WwW.eXample.COM", DNS_MSG_T_A, false, false, 0);
	CHECK(serve(c, &q2, 1000, false, buf, &sv, &ttl));
	CHECK_INT(ttl, 300);
	CHECK(!sv.stale);
	CHECK(sv.learn);
	CHECK_INT(buf[0] << 8 | buf[1], 0x7777);                        /* the client's id */
	CHECK(memcmp(buf + 12, q2.qname_wire, q2.qname_wire_len) == 0); /* its case */
	CHECK_INT(buf[11], 0);                                          /* no OPT: it sent none */
	CHECK(serve(c, &q2, 1100, false, buf, &sv, &ttl));
	CHECK_INT(ttl, 200);
	/* The second record counts down from its own TTL. */
	size_t second = after_question(&q2) + 16 + 6;
	CHECK_INT((uint32_t)buf[second] << 24 | buf[second + 1] << 16 | buf[second + 2] << 8 |
	              buf[second + 3],
	          500);
	CHECK(serve(c, &q2, 1299, false, buf, &sv, &ttl));
	CHECK_INT(ttl, 1);
	CHECK(!cache_answer(c, &q2, 1300, false, buf, sizeof(buf), &sv)); /* expired */

	struct cache_stats st;
	cache_get_stats(c, &st);
	CHECK_INT(st.hits, 3);
	CHECK_INT(st.misses, 2);
	CHECK_INT(st.entries, 1); /* kept, for serve-stale */
	cache_free(c);
}

static void test_key_bits(void)
{
	struct cache *c;
	struct dns_msg_query q, qdo, qcd, qaaaa, qrd0;
	struct pb p;
	struct cache_served sv;
	uint8_t buf[65535];
	uint32_t ttl, ttls[] = {60};

	CHECK_INT(cache_new(100, 0, 2, &c), 0);
	query(&q, 1, "a.example", DNS_MSG_T_A, true, false, 0);
	answer_a(&p, &q, "a.example", ttls, 1, true);
	CHECK_INT(store(c, &q, &p, 10), 0);
	query(&qdo, 2, "a.example", DNS_MSG_T_A, true, true, 0);
	query(&qcd, 3, "a.example", DNS_MSG_T_A, true, false, DNS_MSG_F_CD);
	query(&qaaaa, 4, "a.example", DNS_MSG_T_AAAA, true, false, 0);
	CHECK(!cache_answer(c, &qdo, 10, false, buf, sizeof(buf), &sv));
	CHECK(!cache_answer(c, &qcd, 10, false, buf, sizeof(buf), &sv));
	CHECK(!cache_answer(c, &qaaaa, 10, false, buf, sizeof(buf), &sv));
	/* The DO variant is an entry of its own, with DO echoed in our OPT. */
	answer_a(&p, &qdo, "a.example", ttls, 1, true);
	CHECK_INT(store(c, &qdo, &p, 10), 0);
	CHECK(serve(c, &qdo, 11, false, buf, &sv, &ttl));
	CHECK_INT(ttl, 59);
	CHECK_INT(buf[11], 1); /* one OPT */
	size_t o = sv.len - 11;
	CHECK_INT(buf[o + 3] << 8 | buf[o + 4], DNS_MSG_EDNS_SIZE);
	CHECK_INT(buf[o + 7], 0x80); /* DO */
	CHECK_INT(buf[o + 10], 0);   /* no options: the upstream's cookie is not passed on */
	/* RD as the client sent it. */
	query(&qrd0, 5, "a.example", DNS_MSG_T_A, true, false, 0);
	CHECK(serve(c, &qrd0, 11, false, buf, &sv, &ttl));
	CHECK(buf[2] & 0x01);
	/* A client without EDNS gets no OPT from an entry stored with one. */
	struct dns_msg_query qplain;
	query(&qplain, 6, "a.example", DNS_MSG_T_A, false, false, 0);
	CHECK(serve(c, &qplain, 11, false, buf, &sv, &ttl));
	CHECK_INT(buf[11], 0);
	cache_free(c);
}

static void test_ad_bit(void)
{
	struct cache *c;
	struct dns_msg_query q, qad;
	struct pb p;
	struct cache_served sv;
	uint8_t buf[65535];
	uint32_t ttl, ttls[] = {60};

	CHECK_INT(cache_new(100, 0, 3, &c), 0);
	query(&qad, 1, "ad.example", DNS_MSG_T_A, false, false, DNS_MSG_F_AD);
	answer_a(&p, &qad, "ad.example", ttls, 1, false);
	p.b[3] |= DNS_MSG_F_AD;
	CHECK_INT(store(c, &qad, &p, 0), 0);
	CHECK(serve(c, &qad, 0, false, buf, &sv, &ttl));
	CHECK(buf[3] & DNS_MSG_F_AD);
	query(&q, 2, "ad.example", DNS_MSG_T_A, false, false, 0);
	CHECK(serve(c, &q, 0, false, buf, &sv, &ttl));
	CHECK(!(buf[3] & DNS_MSG_F_AD));
	cache_free(c);
}

static void test_negative_and_caps(void)
{
	struct cache *c;
	struct dns_msg_query q;
	struct dns_msg_reply rep;
	struct pb p;
	struct cache_served sv;
	uint8_t buf[65535];
	uint32_t ttl;

	CHECK_INT(cache_new(100, 0, 4, &c), 0);
	/* NXDOMAIN: kept for min(SOA TTL, minimum) = 60. */
	query(&q, 9, "nx.example", DNS_MSG_T_A, false, false, 0);
	hdr(&p, 1, DNS_MSG_F_QR | DNS_MSG_F_RA | DNS_MSG_R_NXDOMAIN, 0, 1, 0);
	name(&p, "nx.example");
	b16(&p, DNS_MSG_T_A);
	b16(&p, DNS_MSG_C_IN);
	soa_rr(&p, 3600, 60);
	CHECK_INT(store(c, &q, &p, 100), 0);
	CHECK(serve(c, &q, 130, false, buf, &sv, &ttl));
	CHECK_INT(buf[3] & 0xf, DNS_MSG_R_NXDOMAIN);
	CHECK(!sv.learn || sv.learn); /* the caller's flag, passed through */
	size_t soa_ttl = after_question(&q) + 2 + 4;
	CHECK_INT(buf[soa_ttl + 2] << 8 | buf[soa_ttl + 3], 30);
	CHECK(!cache_answer(c, &q, 160, false, buf, sizeof(buf), &sv));

	/* NODATA without an SOA: not cached (RFC 2308 5). */
	hdr(&p, 1, DNS_MSG_F_QR | DNS_MSG_F_RA, 0, 0, 0);
	name(&p, "nx.example");
	b16(&p, DNS_MSG_T_A);
	b16(&p, DNS_MSG_C_IN);
	CHECK_INT(store(c, &q, &p, 100), -ENOTSUP);

	/* A TTL of 30 days is served as 7 days; one with the top bit set as 0. */
	struct dns_msg_query q2;
	uint32_t long_ttl[] = {30 * 86400}, bogus[] = {0x80000000u};
	query(&q2, 9, "long.example", DNS_MSG_T_A, false, false, 0);
	answer_a(&p, &q2, "long.example", long_ttl, 1, false);
	CHECK_INT(store(c, &q2, &p, 0), 0);
	CHECK(serve(c, &q2, 0, false, buf, &sv, &ttl));
	CHECK_INT(ttl, CACHE_TTL_MAX);
	CHECK(!cache_answer(c, &q2, CACHE_TTL_MAX, false, buf, sizeof(buf), &sv));
	answer_a(&p, &q2, "long.example", bogus, 1, false);
	CHECK_INT(store(c, &q2, &p, 0), -ENOTSUP);

	/* Not cached: SERVFAIL, truncated, TTL 0, another question. */
	uint32_t t0[] = {0}, t60[] = {60};
	answer_a(&p, &q2, "long.example", t0, 1, false);
	CHECK_INT(store(c, &q2, &p, 0), -ENOTSUP);
	answer_a(&p, &q2, "long.example", t60, 1, false);
	p.b[3] = (uint8_t)(p.b[3] | DNS_MSG_R_SERVFAIL);
	CHECK_INT(store(c, &q2, &p, 0), -ENOTSUP);
	answer_a(&p, &q2, "long.example", t60, 1, false);
	p.b[2] |= DNS_MSG_F_TC >> 8;
	CHECK_INT(store(c, &q2, &p, 0), -ENOTSUP);
	answer_a(&p, &q2, "other.example", t60, 1, false);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q2, 0x4242, &rep), -ESRCH);
	CHECK_INT(cache_store(c, &q2, p.b, p.n, &rep, false, 0), -ESRCH);
	cache_free(c);
}

static void test_unparseable(void)
{
	struct cache *c;
	struct dns_msg_query q;
	struct dns_msg_reply rep;
	struct pb p;
	uint32_t t60[] = {60};

	CHECK_INT(cache_new(100, 0, 5, &c), 0);
	query(&q, 9, "bad.example", DNS_MSG_T_A, false, false, 0);
	/* A forward compression pointer in a CNAME's target. */
	hdr(&p, 0x4242, DNS_MSG_F_QR, 1, 0, 0);
	name(&p, "bad.example");
	b16(&p, DNS_MSG_T_A);
	b16(&p, DNS_MSG_C_IN);
	b16(&p, 0xc00c);
	size_t rd = rr(&p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
	b16(&p, (uint16_t)(0xc000 | (p.n + 2)));
	rd_end(&p, rd);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q, 0x4242, &rep), 0);
	CHECK_INT(cache_store(c, &q, p.b, p.n, &rep, false, 0), -EBADMSG);
	/* A pointer into a TTL, which serving rewrites: what it names would change. */
	hdr(&p, 0x4242, DNS_MSG_F_QR, 2, 0, 0);
	name(&p, "bad.example");
	b16(&p, DNS_MSG_T_A);
	b16(&p, DNS_MSG_C_IN);
	size_t ttl_at = p.n + 2 + 4;
	a_rr(&p, 60, 1);
	b16(&p, 0xc00c);
	rd = rr(&p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
	b16(&p, (uint16_t)(0xc000 | ttl_at));
	rd_end(&p, rd);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q, 0x4242, &rep), 0);
	CHECK_INT(cache_store(c, &q, p.b, p.n, &rep, false, 0), -EBADMSG);
	/* An OPT that is not the last record. */
	answer_a(&p, &q, "bad.example", t60, 1, true);
	p.b[11] = 2;
	a_rr(&p, 60, 9);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q, 0x4242, &rep), 0);
	CHECK_INT(cache_store(c, &q, p.b, p.n, &rep, false, 0), -ENOTSUP);
	/* A record that runs past the packet (rep as if checked: the counts lie). */
	answer_a(&p, &q, "bad.example", t60, 1, false);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q, 0x4242, &rep), 0);
	rep.ancount = 2;
	CHECK_INT(cache_store(c, &q, p.b, p.n, &rep, false, 0), -EBADMSG);
	struct cache_stats st;
	cache_get_stats(c, &st);
	CHECK_INT(st.entries, 0);
	cache_free(c);
}

static void test_stale(void)
{
	struct cache *c;
	struct dns_msg_query q, qe;
	struct pb p;
	struct cache_served sv;
	uint8_t buf[65535];
	uint32_t ttl, t60[] = {60};

	CHECK_INT(cache_new(100, 3600, 6, &c), 0);
	query(&q, 1, "s.example", DNS_MSG_T_A, false, false, 0);
	answer_a(&p, &q, "s.example", t60, 1, false);
	CHECK_INT(store(c, &q, &p, 0), 0);
	/* Fresh: a stale lookup serves it fresh. */
	CHECK(serve(c, &q, 10, true, buf, &sv, &ttl));
	CHECK(!sv.stale);
	CHECK_INT(ttl, 50);
	/* Expired: no fresh hit, but stale with TTL 30 and EDE 3 in our OPT. */
	query(&qe, 2, "s.example", DNS_MSG_T_A, true, false, 0);
	CHECK(!cache_answer(c, &qe, 100, false, buf, sizeof(buf), &sv));
	CHECK(serve(c, &qe, 100, true, buf, &sv, &ttl));
	CHECK(sv.stale);
	CHECK_INT(ttl, CACHE_STALE_TTL);
	CHECK_INT(buf[sv.len - 2] << 8 | buf[sv.len - 1], CACHE_EDE_STALE);
	CHECK_INT(buf[sv.len - 6] << 8 | buf[sv.len - 5], DNS_MSG_OPT_EDE);
	CHECK(serve(c, &q, 60 + 3599, true, buf, &sv, &ttl));
	/* Past stale_max: gone. */
	CHECK(!cache_answer(c, &q, 60 + 3600, true, buf, sizeof(buf), &sv));
	struct cache_stats st;
	cache_get_stats(c, &st);
	CHECK_INT(st.stale, 2);
	CHECK_INT(st.entries, 0);
	cache_free(c);
}

static void put_name(struct cache *c, const char *n, time_t now, size_t answers)
{
	struct dns_msg_query q;
	struct pb p;
	uint32_t ttls[64];

	for (size_t i = 0; i < answers; i++)
		ttls[i] = 300;
	query(&q, 1, n, DNS_MSG_T_A, false, false, 0);
	answer_a(&p, &q, n, ttls, answers, false);
	CHECK_INT(store(c, &q, &p, now), 0);
}

static bool has(struct cache *c, const char *n, time_t now)
{
	struct dns_msg_query q;
	struct cache_served sv;
	uint8_t buf[65535];

	query(&q, 1, n, DNS_MSG_T_A, false, false, 0);
	return cache_answer(c, &q, now, false, buf, sizeof(buf), &sv);
}

static void test_bounds(void)
{
	struct cache *c;
	struct cache_stats st;
	char n[64];

	CHECK_INT(cache_new(3, 0, 7, &c), 0);
	put_name(c, "one.example", 0, 1);
	put_name(c, "two.example", 0, 1);
	put_name(c, "three.example", 0, 1);
	CHECK(has(c, "one.example", 1)); /* used: now the most recent */
	put_name(c, "four.example", 2, 1);
	CHECK(has(c, "one.example", 3));
	CHECK(!has(c, "two.example", 3));
	CHECK(has(c, "three.example", 3));
	CHECK(has(c, "four.example", 3));
	/* Storing a name again replaces its entry. */
	put_name(c, "four.example", 4, 2);
	cache_get_stats(c, &st);
	CHECK_INT(st.entries, 3);
	/* Bytes: one answer as big as the whole bound evicts everything else; a
	 * bigger one is not kept. */
	put_name(c, "big.example", 5, 40);
	cache_get_stats(c, &st);
	CHECK(st.bytes <= 3 * CACHE_BYTES_PER_ENTRY);
	CHECK(st.entries < 3);
	CHECK(has(c, "big.example", 6));
	struct dns_msg_query q;
	struct dns_msg_reply rep;
	struct pb p;
	uint32_t ttls[64];
	for (size_t i = 0; i < 64; i++)
		ttls[i] = 300;
	query(&q, 1, "huge.example", DNS_MSG_T_A, false, false, 0);
	answer_a(&p, &q, "huge.example", ttls, 64, false);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q, 0x4242, &rep), 0);
	CHECK_INT(cache_store(c, &q, p.b, p.n, &rep, false, 6), -E2BIG);

	/* A flood of names keeps both bounds. */
	CHECK_INT(cache_set_limits(c, 100, 0), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(n, sizeof(n), "r%d.flood.example", i);
		put_name(c, n, 10, 1 + i % 3);
	}
	cache_get_stats(c, &st);
	CHECK_INT(st.entries, 100);
	CHECK(st.bytes <= 100 * CACHE_BYTES_PER_ENTRY);
	CHECK(has(c, "r4999.flood.example", 11));
	CHECK(!has(c, "r0.flood.example", 11));
	/* A smaller bound evicts down to it; more buckets keep the entries. */
	CHECK_INT(cache_set_limits(c, 10, 0), 0);
	cache_get_stats(c, &st);
	CHECK_INT(st.entries, 10);
	CHECK(has(c, "r4999.flood.example", 11));
	CHECK_INT(cache_set_limits(c, 50000, 0), 0);
	CHECK(has(c, "r4999.flood.example", 11));
	cache_flush(c);
	cache_get_stats(c, &st);
	CHECK_INT(st.entries, 0);
	CHECK_INT(st.bytes, 0);
	cache_free(c);

	/* cache = 0 keeps nothing. */
	CHECK_INT(cache_new(0, 0, 8, &c), 0);
	struct cache_served sv;
	uint8_t buf[512];
	answer_a(&p, &q, "huge.example", ttls, 1, false);
	CHECK_INT(dns_msg_reply_check(p.b, p.n, &q, 0x4242, &rep), 0);
	CHECK_INT(cache_store(c, &q, p.b, p.n, &rep, false, 0), -E2BIG);
	CHECK(!cache_answer(c, &q, 0, false, buf, sizeof(buf), &sv));
	cache_free(c);
	cache_free(NULL);
}

/* An answer that does not fit the buffer is not served (the caller relays). */
static void test_small_buffer(void)
{
	struct cache *c;
	struct dns_msg_query q;
	struct cache_served sv;
	uint8_t buf[40];

	CHECK_INT(cache_new(10, 0, 9, &c), 0);
	put_name(c, "fits-not.example", 0, 4);
	query(&q, 1, "fits-not.example", DNS_MSG_T_A, false, false, 0);
	CHECK(!cache_answer(c, &q, 0, false, buf, sizeof(buf), &sv));
	cache_free(c);
}

int main(void)
{
	test_hit_countdown_case();
	test_key_bits();
	test_ad_bit();
	test_negative_and_caps();
	test_unparseable();
	test_stale();
	test_bounds();
	test_small_buffer();
	CHECK_DONE();
}
