/* Unit tests of the DNS packet module with hand-built packets: query parsing
 * and each malformed shape, reply matching, CNAME chains and HTTPS hints,
 * compression and its loops, and the built answers byte for byte against
 * RFC layouts computed by hand, then decoded by dnspython as a second reader. */
#include "check.h"
#include "pkt.h"
#include "dns_msg.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void hdr(struct pb *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                uint16_t ar)
{
	p->n = 0;
	b16(p, id);
	b16(p, flags);
	b16(p, qd);
	b16(p, an);
	b16(p, ns);
	b16(p, ar);
}

static void ptr(struct pb *p, size_t off)
{
	b16(p, (uint16_t)(0xc000 | off));
}

static void question(struct pb *p, const char *qname, uint16_t qtype)
{
	name(p, qname);
	b16(p, qtype);
	b16(p, DNS_MSG_C_IN);
}

static void opt(struct pb *p, uint16_t size, uint32_t ttl)
{
	b8(p, 0);
	rd_end(p, rr(p, DNS_MSG_T_OPT, size, ttl));
}

static void a_rr(struct pb *p, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	size_t rd = rr(p, DNS_MSG_T_A, DNS_MSG_C_IN, ttl);

	b8(p, a);
	b8(p, b);
	b8(p, c);
	b8(p, d);
	rd_end(p, rd);
}

static void aaaa_rr(struct pb *p, uint32_t ttl, uint8_t last)
{
	size_t rd = rr(p, DNS_MSG_T_AAAA, DNS_MSG_C_IN, ttl);
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8};

	a[15] = last;
	bmem(p, a, 16);
	rd_end(p, rd);
}

static int parse(const struct pb *p, struct dns_msg_query *q)
{
	return dns_msg_query_parse(p->b, p->n, q);
}

static void query(struct pb *p, const char *qname, uint16_t qtype, bool edns)
{
	hdr(p, 0x1234, DNS_MSG_F_RD, 1, 0, 0, edns ? 1 : 0);
	question(p, qname, qtype);
	if (edns)
		opt(p, 1232, 0);
}

static char *hex(const uint8_t *b, size_t n)
{
	static char s[2 * 65536 + 1];

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * n] = '\0';
	return s;
}

static void test_query_basic(void)
{
	struct dns_msg_query q;
	struct pb p;

	query(&p, "WwW.ExAmple.COM", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(q.id, 0x1234);
	CHECK_INT(q.flags, DNS_MSG_F_RD);
	CHECK(q.has_question);
	CHECK_STR(q.qname, "www.example.com");
	CHECK_INT(q.qname_len, 15);
	CHECK_INT(q.qname_wire_len, 17);
	CHECK(memcmp(q.qname_wire, "\003WwW\007ExAmple\003COM", 17) == 0);
	CHECK_INT(q.qtype, DNS_MSG_T_A);
	CHECK_INT(q.qclass, DNS_MSG_C_IN);
	CHECK_INT(q.question_end, p.n);
	CHECK(!q.has_edns);
	CHECK_INT(dns_msg_reply_limit(&q, false), 512);
	CHECK_INT(dns_msg_reply_limit(&q, true), 65535);

	/* Trailing bytes after the records are ignored. */
	b32(&p, 0xdeadbeef);
	CHECK_INT(parse(&p, &q), 0);

	/* The root. */
	query(&p, "", DNS_MSG_T_SOA, false);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_STR(q.qname, "");
	CHECK_INT(q.qname_wire_len, 1);

	/* Bytes that would be ambiguous or unprintable in dotted form are escaped,
	 * so such a label can never pass for a listed name. */
	hdr(&p, 1, 0, 1, 0, 0, 0);
	bmem(&p, "\005a.B\\\001\003com\000", 11);
	b16(&p, 1);
	b16(&p, 1);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_STR(q.qname, "a\\.b\\\\\\001.com");

	/* A name of exactly 255 bytes is accepted: 3 labels of 63, one of 61. */
	{
		char big[256];

		memset(big, 'a', sizeof(big));
		big[63] = big[127] = big[191] = '.';
		big[253] = '\0';
		query(&p, big, DNS_MSG_T_A, false);
		CHECK_INT(parse(&p, &q), 0);
		CHECK_INT(q.qname_wire_len, 255);
		CHECK_INT(q.qname_len, 253);
		big[253] = 'a';
		big[254] = '\0';
		query(&p, big, DNS_MSG_T_A, false);
		CHECK_INT(parse(&p, &q), -EBADMSG);
	}
}

static void test_query_edns(void)
{
	struct dns_msg_query q;
	struct pb p;
	size_t rd;

	hdr(&p, 7, 0, 1, 0, 0, 2);
	question(&p, "example.org", DNS_MSG_T_AAAA);
	/* An unrelated additional record before the OPT is skipped. */
	name(&p, "x.example.org");
	rd = rr(&p, 250, 255, 0);
	bmem(&p, "tsig", 4);
	rd_end(&p, rd);
	b8(&p, 0);
	rd = rr(&p, DNS_MSG_T_OPT, 4096, 0x00008000);
	b16(&p, 10); /* cookie */
	b16(&p, 8);
	bmem(&p, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	rd_end(&p, rd);
	CHECK_INT(parse(&p, &q), 0);
	CHECK(q.has_edns);
	CHECK_INT(q.udp_size, 4096);
	CHECK(q.do_bit);
	CHECK_INT(q.edns_version, 0);
	CHECK_INT(q.opt_off, rd);
	CHECK_INT(q.opt_len, 12);
	CHECK_INT(dns_msg_reply_limit(&q, false), 4096);

	/* A UDP size below 512 means 512. */
	query(&p, "example.org", DNS_MSG_T_A, false);
	p.b[11] = 1;
	opt(&p, 100, 0);
	CHECK_INT(parse(&p, &q), 0);
	CHECK(!q.do_bit);
	CHECK_INT(dns_msg_reply_limit(&q, false), 512);

	/* Version 1: BADVERS, and the answer carries an OPT. */
	query(&p, "example.org", DNS_MSG_T_A, false);
	p.b[11] = 1;
	opt(&p, 1232, 0x00010000);
	CHECK_INT(parse(&p, &q), -EPROTONOSUPPORT);
	CHECK(q.has_edns);
	CHECK(q.has_question);
	CHECK_INT(q.edns_version, 1);
	CHECK_INT(dns_msg_error_rcode(-EPROTONOSUPPORT), DNS_MSG_R_BADVERS);
	/* Version 1 with a second OPT is FORMERR all the same. */
	opt(&p, 1232, 0);
	p.b[11] = 2;
	CHECK_INT(parse(&p, &q), -EBADMSG);
}

/* Each malformed query, with the error and what the caller can answer from. */
static void test_query_malformed(void)
{
	struct dns_msg_query q;
	struct pb p;
	size_t rd;

	query(&p, "example.com", DNS_MSG_T_A, false);
	CHECK_INT(dns_msg_query_parse(p.b, 11, &q), -EINVAL);
	CHECK(!q.has_question);
	CHECK_INT(dns_msg_query_parse(p.b, 0, &q), -EINVAL);
	CHECK_INT(dns_msg_error_rcode(-EINVAL), -1);

	/* A response is dropped, never answered. */
	p.b[2] |= 0x80;
	CHECK_INT(parse(&p, &q), -EINVAL);

	/* NOTIFY (opcode 4): NOTIMP, with its opcode, question and EDNS. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[2] |= 4 << 3;
	p.b[11] = 1;
	opt(&p, 1232, 0);
	CHECK_INT(parse(&p, &q), -EOPNOTSUPP);
	CHECK_INT(q.id, 0x1234);
	CHECK(q.has_question);
	CHECK(q.has_edns);
	CHECK_STR(q.qname, "example.com");
	CHECK_INT(dns_msg_error_rcode(-EOPNOTSUPP), DNS_MSG_R_NOTIMP);
	{
		uint8_t out[512];
		size_t n;
		CHECK_INT(dns_msg_build_error(&q, DNS_MSG_R_NOTIMP, DNS_MSG_EDE_NONE, NULL, out,
		                              sizeof(out), &n),
		          0);
		CHECK_INT(out[2] >> 3 & 0xf, 4); /* the opcode copied */
		CHECK_INT(out[3] & 0xf, DNS_MSG_R_NOTIMP);
		CHECK_INT(out[5], 1);  /* the question */
		CHECK_INT(out[11], 1); /* the OPT */
	}
	/* DSO (6) with no question, and UPDATE (5) with prerequisite and update
	 * records before the additional section: still their OPT. */
	hdr(&p, 0x1234, 6 << 11, 0, 0, 0, 0);
	CHECK_INT(parse(&p, &q), -EOPNOTSUPP);
	CHECK(!q.has_question);
	hdr(&p, 0x1234, 5 << 11, 1, 1, 1, 1);
	question(&p, "example.com", DNS_MSG_T_SOA);
	ptr(&p, DNS_MSG_HDR_LEN);
	a_rr(&p, 0, 192, 0, 2, 1);
	ptr(&p, DNS_MSG_HDR_LEN);
	a_rr(&p, 300, 192, 0, 2, 2);
	opt(&p, 1232, 0);
	CHECK_INT(parse(&p, &q), -EOPNOTSUPP);
	CHECK(q.has_question && q.has_edns);
	CHECK_INT(q.qtype, DNS_MSG_T_SOA);
	/* An unreadable question: NOTIMP from the header alone. */
	hdr(&p, 0x1234, 15 << 11, 1, 0, 0, 0);
	b8(&p, 70);
	CHECK_INT(parse(&p, &q), -EOPNOTSUPP);
	CHECK(!q.has_question);

	/* Counts: no question, two questions, an answer or authority record. */
	for (int i = 0; i < 4; i++) {
		query(&p, "example.com", DNS_MSG_T_A, false);
		if (i == 0)
			p.b[5] = 0;
		else if (i == 1)
			p.b[5] = 2;
		else
			p.b[5 + 2 * i - 2] = 1;
		CHECK_INT(parse(&p, &q), -EBADMSG);
		CHECK_INT(q.has_question, i == 3); /* the question of an A is read first */
	}
	CHECK_INT(dns_msg_error_rcode(-EBADMSG), DNS_MSG_R_FORMERR);

	/* An IXFR carries the client's SOA in its authority section (RFC 1995);
	 * anything else there, or for another type, is FORMERR. */
	for (int i = 0; i < 3; i++) {
		p.n = 0;
		hdr(&p, 0x1234, 0, 1, 0, 1, 0);
		question(&p, "example.com", i == 2 ? DNS_MSG_T_AXFR : DNS_MSG_T_IXFR);
		b16(&p, 0xc00c);
		size_t rdo = rr(&p, i == 1 ? DNS_MSG_T_A : DNS_MSG_T_SOA, DNS_MSG_C_IN, 0);
		b32(&p, 0);
		rd_end(&p, rdo);
		CHECK_INT(parse(&p, &q), i == 0 ? 0 : -EBADMSG);
	}

	/* The question cut short: in a label, before the root, in type/class. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	for (size_t cut = 12; cut < p.n; cut++) {
		CHECK_INT(dns_msg_query_parse(p.b, cut, &q), -EBADMSG);
		CHECK(!q.has_question);
	}

	/* Label types 0x40 and 0x80, and a 64-byte label. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[12] = 0x47;
	CHECK_INT(parse(&p, &q), -EBADMSG);
	p.b[12] = 0x87;
	CHECK_INT(parse(&p, &q), -EBADMSG);
	hdr(&p, 1, 0, 1, 0, 0, 0);
	b8(&p, 64);
	for (int i = 0; i < 64; i++)
		b8(&p, 'a');
	b8(&p, 0);
	b32(&p, 0x00010001);
	CHECK_INT(parse(&p, &q), -EBADMSG);

	/* A pointer in the question can only point into the header, forward, or
	 * at itself: all refused. */
	hdr(&p, 1, 0, 1, 0, 0, 0);
	ptr(&p, 12);
	b32(&p, 0x00010001);
	CHECK_INT(parse(&p, &q), -EBADMSG);
	hdr(&p, 1, 0, 1, 0, 0, 0);
	labels(&p, "a");
	ptr(&p, 14);
	b32(&p, 0x00010001);
	CHECK_INT(parse(&p, &q), -EBADMSG);
	/* A pointer cut in half. */
	hdr(&p, 1, 0, 1, 0, 0, 0);
	b8(&p, 0xc0);
	CHECK_INT(parse(&p, &q), -EBADMSG);

	/* Additional records: one cut short, one whose RDLENGTH overruns. */
	query(&p, "example.com", DNS_MSG_T_A, true);
	CHECK_INT(dns_msg_query_parse(p.b, p.n - 1, &q), -EBADMSG);
	CHECK(q.has_question);
	CHECK(!q.has_edns);
	p.b[p.n - 1] = 1;
	CHECK_INT(parse(&p, &q), -EBADMSG);
	/* An additional record announced but missing. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[11] = 1;
	CHECK_INT(parse(&p, &q), -EBADMSG);

	/* Two OPTs: FORMERR, answered with an OPT (RFC 6891 7) of the first's
	 * size. */
	query(&p, "example.com", DNS_MSG_T_A, true);
	p.b[11] = 2;
	opt(&p, 1400, 0);
	CHECK_INT(parse(&p, &q), -EBADMSG);
	CHECK(q.has_edns);
	CHECK_INT(q.udp_size, 1232);
	/* An OPT not owned by the root. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[11] = 1;
	ptr(&p, 12);
	rd_end(&p, rr(&p, DNS_MSG_T_OPT, 1232, 0));
	CHECK_INT(parse(&p, &q), -EBADMSG);
	CHECK(q.has_edns);
	/* An option longer than the OPT, and a 3-byte option header. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[11] = 1;
	b8(&p, 0);
	rd = rr(&p, DNS_MSG_T_OPT, 1232, 0);
	b16(&p, 15);
	b16(&p, 5);
	b32(&p, 0);
	rd_end(&p, rd);
	CHECK_INT(parse(&p, &q), -EBADMSG);
	CHECK(q.has_edns);
	/* No question but an OPT: FORMERR with an OPT; counts that run past
	 * the packet: none can be found. */
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[5] = 0;
	p.n = 12;
	p.b[11] = 1;
	opt(&p, 1232, 0x8000);
	CHECK_INT(parse(&p, &q), -EBADMSG);
	CHECK(q.has_edns);
	CHECK(q.do_bit);
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[5] = 2;
	p.b[11] = 1;
	opt(&p, 1232, 0);
	CHECK_INT(parse(&p, &q), -EBADMSG);
	CHECK(!q.has_edns);
	query(&p, "example.com", DNS_MSG_T_A, false);
	p.b[11] = 1;
	b8(&p, 0);
	rd = rr(&p, DNS_MSG_T_OPT, 1232, 0);
	b16(&p, 15);
	b8(&p, 0);
	rd_end(&p, rd);
	CHECK_INT(parse(&p, &q), -EBADMSG);
}

/* An answer to query(&..., "www.Example.com", A) with a CNAME chain:
 * www.example.com -> cdn.example.net -> edge.cdn.example.net, names compressed. */
static void chain_reply(struct pb *p, uint16_t id, uint16_t flags)
{
	size_t q, cdn;

	hdr(p, id, flags, 1, 6, 0, 0);
	q = name(p, "wWw.eXample.com");
	b16(p, DNS_MSG_T_A);
	b16(p, DNS_MSG_C_IN);
	/* An unrelated A first: owned by no chain name. */
	name(p, "other.example.com");
	a_rr(p, 300, 192, 0, 2, 99);
	ptr(p, q);
	{
		size_t rd = rr(p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 3600);

		labels(p, "cdn.example");
		b8(p, 3);
		bmem(p, "net", 3);
		b8(p, 0);
		rd_end(p, rd);
		cdn = rd;
	}
	ptr(p, cdn);
	{
		size_t rd = rr(p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 120);

		labels(p, "EDGE");
		ptr(p, cdn);
		rd_end(p, rd);
		/* The last link's A records own a name that is itself compressed. */
		ptr(p, rd);
		a_rr(p, 600, 192, 0, 2, 1);
		ptr(p, rd);
		a_rr(p, 30, 192, 0, 2, 2);
		ptr(p, rd);
		aaaa_rr(p, 0x80000000u, 1); /* RFC 2181: read as 0 */
	}
}

/* A BADVERS without the question answers a query of EDNS version 1, and
 * nothing else. */
static void test_reply_badvers(void)
{
	struct dns_msg_query q, q1;
	struct dns_msg_reply r;
	struct pb p, v, bad;

	query(&p, "www.Example.com", DNS_MSG_T_A, true);
	CHECK_INT(parse(&p, &q), 0);
	query(&v, "www.Example.com", DNS_MSG_T_A, false);
	v.b[11] = 1;
	opt(&v, 1232, 0x00010000);
	CHECK_INT(parse(&v, &q1), -EPROTONOSUPPORT);
	memset(&bad, 0, sizeof(bad));
	b16(&bad, 0x4242);
	b16(&bad, DNS_MSG_F_QR);
	b16(&bad, 0);
	b16(&bad, 0);
	b16(&bad, 0);
	b16(&bad, 1);
	opt(&bad, 1232, 0x01000000); /* extended rcode 1: BADVERS */
	CHECK_INT(dns_msg_reply_check(bad.b, bad.n, &q1, 0x4242, &r), 0);
	CHECK_INT(r.an_off, 12);
	CHECK_INT(dns_msg_reply_check(bad.b, bad.n, &q, 0x4242, &r), -ESRCH);
}

static void test_reply_check(void)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct pb p, a;

	query(&p, "www.Example.com", DNS_MSG_T_A, true);
	CHECK_INT(parse(&p, &q), 0);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR | DNS_MSG_F_RD | DNS_MSG_F_RA);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), 0);
	CHECK(!r.tc);
	CHECK_INT(r.rcode, 0);
	CHECK_INT(r.ancount, 6);
	CHECK_INT(r.an_off, 12 + 17 + 4);

	/* Not an answer to this query. */
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4243, &r), -ESRCH);
	chain_reply(&a, 0x4242, DNS_MSG_F_RD);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -ESRCH);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR | 2 << 11);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -ESRCH);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR);
	a.b[5] = 0;
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -ESRCH);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR);
	a.b[13] = 'v'; /* vWw */
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -ESRCH);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR);
	a.b[12 + 17 + 1] = DNS_MSG_T_AAAA;
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -ESRCH);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR);
	a.b[12 + 17 + 3] = 3;
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -ESRCH);
	CHECK_INT(dns_msg_reply_check(a.b, 11, &q, 0x4242, &r), -EBADMSG);

	/* Every cut inside the records is malformed... */
	chain_reply(&a, 0x4242, DNS_MSG_F_QR);
	for (size_t cut = 12; cut < a.n; cut++)
		CHECK(dns_msg_reply_check(a.b, cut, &q, 0x4242, &r) == -EBADMSG);
	/* ...unless TC says so: then only the question counts. */
	chain_reply(&a, 0x4242, DNS_MSG_F_QR | DNS_MSG_F_TC);
	CHECK_INT(dns_msg_reply_check(a.b, 40, &q, 0x4242, &r), 0);
	CHECK(r.tc);
	{
		struct dns_msg_learned l;

		CHECK_INT(dns_msg_extract(a.b, 40, &r, &l), -EINVAL);
	}

	/* A query with no question cannot be matched. */
	q.has_question = false;
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), -EINVAL);
}

/* A reply whose records are whole but whose RDATA is malformed passes (it is
 * relayed as sent) and teaches nothing. */
static void relayed_unlearned(const struct pb *a, const struct dns_msg_query *q, int line)
{
	struct dns_msg_reply r;
	struct dns_msg_learned l;
	int fails = check_failures;

	CHECK_INT(dns_msg_reply_check(a->b, a->n, q, 0x1234, &r), 0);
	CHECK_INT(dns_msg_extract(a->b, a->n, &r, &l), 0);
	CHECK_INT(l.n_addrs, 0);
	CHECK_INT(l.n_names, 1);
	if (check_failures != fails)
		fprintf(stderr, "  from line %d\n", line);
}

/* Malformed RDATA in the records extraction reads. */
static void test_reply_rdata(void)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct pb p, a;
	size_t rd;

	query(&p, "example.com", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);
	/* An A with 5 bytes. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_A, DNS_MSG_C_IN, 1);
	b32(&a, 0);
	b8(&a, 0);
	rd_end(&a, rd);
	relayed_unlearned(&a, &q, __LINE__);
	/* The same in the additional section is not read, so not checked. */
	a.b[7] = 0;
	a.b[11] = 1;
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), 0);
	/* An AAAA with 4. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_AAAA, DNS_MSG_C_IN, 1);
	b32(&a, 0);
	rd_end(&a, rd);
	relayed_unlearned(&a, &q, __LINE__);
	/* A CNAME with a byte after its name, and one with a forward pointer. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 1);
	ptr(&a, 12);
	b8(&a, 0);
	rd_end(&a, rd);
	relayed_unlearned(&a, &q, __LINE__);
	a.n -= 1;
	rd_end(&a, rd);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), 0);
	a.b[a.n - 1] = (uint8_t)a.n;
	relayed_unlearned(&a, &q, __LINE__);

	/* HTTPS: params out of order, a hint not a whole address, a compressed
	 * target, a param running past the RDATA. */
	for (int i = 0; i < 5; i++) {
		hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
		question(&a, "example.com", DNS_MSG_T_A);
		ptr(&a, 12);
		rd = rr(&a, DNS_MSG_T_HTTPS, DNS_MSG_C_IN, 1);
		b16(&a, 1);
		if (i == 2)
			ptr(&a, 12);
		else
			b8(&a, 0);
		if (i == 0) {
			b16(&a, 6);
			b16(&a, 16);
			bmem(&a, "0123456789abcdef", 16);
			b16(&a, 4);
			b16(&a, 4);
			b32(&a, 0x01020304);
		} else if (i == 1) {
			b16(&a, 4);
			b16(&a, 6);
			b32(&a, 0x01020304);
			b16(&a, 0);
		} else if (i == 3) {
			b16(&a, 1);
			b16(&a, 3);
			b16(&a, 0x0268);
		} else if (i == 4) {
			b16(&a, 4);
			b16(&a, 0);
		}
		rd_end(&a, rd);
		relayed_unlearned(&a, &q, __LINE__);
	}
}

/* Pointers: a loop of two, a pointer at itself, a long legal chain. */
static void test_compression(void)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct dns_msg_learned l;
	struct pb p, a;
	size_t rd, first;

	query(&p, "example.com", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);

	/* Owner at X = pointer to Y; Y (later in the packet, in the CNAME's
	 * RDATA) = "b" + pointer to X. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	first = a.n;
	ptr(&a, first + 12);
	rd = rr(&a, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 1);
	labels(&a, "b");
	ptr(&a, first);
	rd_end(&a, rd);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), -EBADMSG);
	/* A pointer at itself. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	ptr(&a, a.n);
	a_rr(&a, 1, 1, 2, 3, 4);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), -EBADMSG);
	/* Into its own labels: "x" then a pointer back to that "x". */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	first = labels(&a, "x");
	ptr(&a, first);
	a_rr(&a, 1, 1, 2, 3, 4);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), -EBADMSG);

	/* 40 records, each owner one label plus a pointer to the previous owner:
	 * the last name takes 40 hops, all backwards, and is fine. The CNAMEs
	 * are not on the chain from the question, so nothing is learnt. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 40, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	first = 12;
	for (int i = 0; i < 40; i++) {
		size_t here = labels(&a, "z");

		ptr(&a, first);
		first = here;
		a_rr(&a, 1, 10, 0, 0, (uint8_t)i);
	}
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), 0);
	CHECK_INT(dns_msg_extract(a.b, a.n, &r, &l), 0);
	CHECK_INT(l.n_names, 1);
	CHECK_INT(l.n_addrs, 0);
	/* Chained names longer than 255 bytes: 130 levels of "z.". */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 130, 0, 0);
	question(&a, "example.com", DNS_MSG_T_A);
	first = 12;
	for (int i = 0; i < 130; i++) {
		size_t here = labels(&a, "z");

		ptr(&a, first);
		first = here;
		a_rr(&a, 1, 10, 0, 0, (uint8_t)i);
	}
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), -EBADMSG);
}

static void test_extract_chain(void)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct dns_msg_learned l;
	struct pb p, a;

	query(&p, "www.Example.com", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);
	chain_reply(&a, 0x4242, DNS_MSG_F_QR);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x4242, &r), 0);
	CHECK_INT(dns_msg_extract(a.b, a.n, &r, &l), 0);
	CHECK_INT(l.n_names, 3);
	CHECK_STR(l.names[0].name, "www.example.com");
	CHECK_STR(l.names[1].name, "cdn.example.net");
	CHECK_STR(l.names[2].name, "edge.cdn.example.net");
	CHECK_INT(l.names[2].len, 20);
	CHECK_INT(l.n_addrs, 3);
	CHECK_INT(l.n_dropped, 0);
	CHECK_INT(l.addrs[0].family, AF_INET);
	CHECK(memcmp(l.addrs[0].addr, "\xc0\x00\x02\x01", 4) == 0);
	CHECK_INT(l.addrs[0].ttl, 120); /* lowered to the CNAME's */
	CHECK(memcmp(l.addrs[1].addr, "\xc0\x00\x02\x02", 4) == 0);
	CHECK_INT(l.addrs[1].ttl, 30);
	CHECK_INT(l.addrs[2].family, AF_INET6);
	CHECK(memcmp(l.addrs[2].addr, "\x20\x01\x0d\xb8", 4) == 0 && l.addrs[2].addr[15] == 1);
	CHECK_INT(l.addrs[2].ttl, 0);

	/* A loop: the last link points back at the first name. */
	{
		struct pb b;
		size_t rd, c2;

		hdr(&b, 1, DNS_MSG_F_QR, 1, 2, 0, 0);
		question(&b, "a.example", DNS_MSG_T_A);
		ptr(&b, 12);
		rd = rr(&b, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
		c2 = name(&b, "b.example");
		rd_end(&b, rd);
		ptr(&b, c2);
		rd = rr(&b, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
		name(&b, "A.EXAMPLE");
		rd_end(&b, rd);
		query(&p, "a.example", DNS_MSG_T_A, false);
		p.b[0] = 0, p.b[1] = 1;
		CHECK_INT(parse(&p, &q), 0);
		CHECK_INT(dns_msg_reply_check(b.b, b.n, &q, 1, &r), 0);
		CHECK_INT(dns_msg_extract(b.b, b.n, &r, &l), -ELOOP);
		CHECK_INT(l.n_names, 0);
		/* A CNAME to itself. */
		b.b[c2 + 1] = 'a';
		CHECK_INT(dns_msg_extract(b.b, b.n, &r, &l), -ELOOP);
	}

	/* Chains of DNS_MSG_CHAIN_MAX names pass, one more is refused. */
	for (int len = DNS_MSG_CHAIN_MAX; len <= DNS_MSG_CHAIN_MAX + 1; len++) {
		struct pb b;
		size_t owner = 12;

		hdr(&b, 1, DNS_MSG_F_QR, 1, (uint16_t)len, 0, 0);
		question(&b, "n0.example", DNS_MSG_T_A);
		for (int i = 1; i < len; i++) {
			char nm[32];
			size_t rd;

			ptr(&b, owner);
			rd = rr(&b, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
			snprintf(nm, sizeof(nm), "n%d.example", i);
			owner = name(&b, nm);
			rd_end(&b, rd);
		}
		ptr(&b, owner);
		a_rr(&b, 60, 10, 1, 1, 1);
		query(&p, "n0.example", DNS_MSG_T_A, false);
		p.b[0] = 0, p.b[1] = 1;
		CHECK_INT(parse(&p, &q), 0);
		CHECK_INT(dns_msg_reply_check(b.b, b.n, &q, 1, &r), 0);
		if (len == DNS_MSG_CHAIN_MAX) {
			CHECK_INT(dns_msg_extract(b.b, b.n, &r, &l), 0);
			CHECK_INT(l.n_names, DNS_MSG_CHAIN_MAX);
			CHECK_STR(l.names[DNS_MSG_CHAIN_MAX - 1].name, "n15.example");
			CHECK_INT(l.n_addrs, 1);
		} else {
			CHECK_INT(dns_msg_extract(b.b, b.n, &r, &l), -ELOOP);
		}
	}
}

static void test_extract_https(void)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct dns_msg_learned l;
	struct pb p, a;
	size_t rd;

	query(&p, "Example.com", DNS_MSG_T_HTTPS, true);
	CHECK_INT(parse(&p, &q), 0);
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 5, 0, 0);
	question(&a, "example.COM", DNS_MSG_T_HTTPS);
	/* ServiceMode: alpn, ipv4hint (two), ech, ipv6hint (one). */
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_HTTPS, DNS_MSG_C_IN, 300);
	b16(&a, 1);
	b8(&a, 0);
	b16(&a, 1);
	b16(&a, 3);
	bmem(&a, "\x02h2", 3);
	b16(&a, 4);
	b16(&a, 8);
	b32(&a, 0x68100001);
	b32(&a, 0x68100002);
	b16(&a, 5);
	b16(&a, 2);
	b16(&a, 0xabcd);
	b16(&a, 6);
	b16(&a, 16);
	bmem(&a, "\x26\x06\x47\x00\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rd_end(&a, rd);
	/* AliasMode with a target: nothing to learn from it. */
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_HTTPS, DNS_MSG_C_IN, 300);
	b16(&a, 0);
	name(&a, "svc.example.net");
	rd_end(&a, rd);
	/* SVCB for the name with a target: its hint counts too, and repeats
	 * an address with a longer TTL. */
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_SVCB, DNS_MSG_C_IN, 900);
	b16(&a, 2);
	name(&a, "pool.example.net");
	b16(&a, 4);
	b16(&a, 4);
	b32(&a, 0x68100002);
	rd_end(&a, rd);
	/* Another owner's hints are not ours. */
	name(&a, "example.org");
	rd = rr(&a, DNS_MSG_T_HTTPS, DNS_MSG_C_IN, 300);
	b16(&a, 1);
	b8(&a, 0);
	b16(&a, 4);
	b16(&a, 4);
	b32(&a, 0x0a0a0a0a);
	rd_end(&a, rd);
	/* Class CH is not learnt. */
	ptr(&a, 12);
	rd = rr(&a, DNS_MSG_T_A, 3, 300);
	b32(&a, 0x0b0b0b0b);
	rd_end(&a, rd);
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), 0);
	CHECK_INT(dns_msg_extract(a.b, a.n, &r, &l), 0);
	CHECK_INT(l.n_names, 1);
	CHECK_STR(l.names[0].name, "example.com");
	CHECK_INT(l.n_addrs, 3);
	CHECK(memcmp(l.addrs[0].addr, "\x68\x10\x00\x01", 4) == 0);
	CHECK_INT(l.addrs[0].ttl, 300);
	CHECK(memcmp(l.addrs[1].addr, "\x68\x10\x00\x02", 4) == 0);
	CHECK_INT(l.addrs[1].ttl, 900);
	CHECK_INT(l.addrs[2].family, AF_INET6);
	CHECK(memcmp(l.addrs[2].addr, "\x26\x06\x47\x00", 4) == 0);

	/* More addresses than the bound: kept up to it, the rest counted. */
	hdr(&a, 0x1234, DNS_MSG_F_QR, 1, 70, 0, 0);
	question(&a, "example.com", DNS_MSG_T_HTTPS);
	for (int i = 0; i < 70; i++) {
		ptr(&a, 12);
		a_rr(&a, 60, 10, 0, 0, (uint8_t)i);
	}
	CHECK_INT(dns_msg_reply_check(a.b, a.n, &q, 0x1234, &r), 0);
	CHECK_INT(dns_msg_extract(a.b, a.n, &r, &l), 0);
	CHECK_INT(l.n_addrs, DNS_MSG_ADDRS_MAX);
	CHECK_INT(l.n_dropped, 70 - DNS_MSG_ADDRS_MAX);
}

/* The synthetic SOA, owner the question name, TTL/minimum 60 (0x3c), mname
 * at offset 45 when the question is "Blocked.Example" (17 bytes): rname is
 * "hostmaster" + a pointer to offset 45 + 8 ("smbreak.invalid."). */
#define SOA_HEX                                                                                    \
	"c00c"                                                                                     \
	"0006"                                                                                     \
	"0001"                                                                                     \
	"0000003c"                                                                                 \
	"003a"                                                                                     \
	"07626c6f636b6564"                                                                         \
	"07736d627265616b"                                                                         \
	"07696e76616c6964"                                                                         \
	"00"                                                                                       \
	"0a686f73746d6173746572"                                                                   \
	"c035"                                                                                     \
	"00000001"                                                                                 \
	"00000e10"                                                                                 \
	"00000258"                                                                                 \
	"00015180"                                                                                 \
	"0000003c"
#define Q_HEX                                                                                      \
	"07426c6f636b6564"                                                                         \
	"074578616d706c65"                                                                         \
	"00"
#define TEXT "blocked by smbreak: break work until 12:00"
#define TEXT_HEX                                                                                   \
	"626c6f636b656420627920736d627265616b3a20627265616b20776f726b20756e74696c2031323a3030"

static void check_bytes(const uint8_t *got, size_t n, const char *want_hex, int line)
{
	const char *g = hex(got, n);

	check_count++;
	if (strcmp(g, want_hex) != 0) {
		check_failures++;
		fprintf(stderr, "test_dns_msg.c:%d: bytes\n got %s\nwant %s\n", line, g, want_hex);
	}
}

static const char *dnspython_script = "import sys, dns.message, dns.edns\n"
                                      "for line in open(sys.argv[1]):\n"
                                      "    m = dns.message.from_wire(bytes.fromhex(line.strip()))\n"
                                      "    print(m.to_text())\n"
                                      "    for o in m.options:\n"
                                      "        if o.otype == dns.edns.OptionType.EDE:\n"
                                      "            print('EDE', int(o.code), o.text)\n"
                                      "    print('--')\n";

/* The built packets decoded by dnspython (python3-dnspython), whose output
 * the caller compares. Returns NULL when dnspython is not installed or
 * failed (counted as a failed check). */
static char *dnspython(const char *hexes)
{
	char data[] = "/tmp/test_dns_msg.XXXXXX", script[] = "/tmp/test_dns_msg_py.XXXXXX";
	static char out[65536];
	char cmd[256];
	size_t n = 0;
	int st, dfd = mkstemp(data), sfd = mkstemp(script);
	FILE *pp;

	/* Both through files: no shell quoting of the script or the bytes. */
	if (dfd >= 0 && sfd >= 0 && write(dfd, hexes, strlen(hexes)) >= 0 &&
	    write(sfd, dnspython_script, strlen(dnspython_script)) >= 0) {
		snprintf(cmd, sizeof(cmd),
		         "/usr/bin/python3 -c 'import dns.message' 2>/dev/null || exit 77; "
		         "/usr/bin/python3 %s %s",
		         script, data);
		pp = popen(cmd, "r");
		if (pp) {
			n = fread(out, 1, sizeof(out) - 1, pp);
			out[n] = '\0';
			st = pclose(pp);
			/* 77: no dnspython; anything else failing is a decoding error. */
			if (st != 0) {
				if (!(WIFEXITED(st) && WEXITSTATUS(st) == 77)) {
					check_count++;
					check_failures++;
					fprintf(stderr,
					        "dnspython failed to decode (status %d):\n%s\n", st,
					        out);
				}
				n = 0;
			}
		}
	}
	if (dfd >= 0) {
		close(dfd);
		unlink(data);
	}
	if (sfd >= 0) {
		close(sfd);
		unlink(script);
	}
	return n ? out : NULL;
}

static void test_build(void)
{
	static char hexes[65536];
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct dns_msg_learned l;
	uint8_t buf[65536];
	struct pb p;
	size_t len;
	char *py;

	hexes[0] = '\0';
	/* NXDOMAIN with EDNS (DO set, cookie not echoed): SOA and EDE. */
	hdr(&p, 0xbeef, DNS_MSG_F_RD | DNS_MSG_F_CD, 1, 0, 0, 1);
	question(&p, "Blocked.Example", DNS_MSG_T_A);
	b8(&p, 0);
	{
		size_t rd = rr(&p, DNS_MSG_T_OPT, 4096, 0x8000);

		b16(&p, 10);
		b16(&p, 8);
		b32(&p, 1);
		b32(&p, 2);
		rd_end(&p, rd);
	}
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NXDOMAIN, 60, 0, TEXT, buf,
	                                dns_msg_reply_limit(&q, false), &len),
	          0);
	/* flags 0x8193: QR, RD, RA, CD, rcode 3; OPT: size 1232 (0x04d0), DO
	 * (0x8000), one option 15 of 2 + 42 bytes, info code 15. */
	check_bytes(buf, len,
	            "beef8193000100000001000"
	            "1" Q_HEX "00010001" SOA_HEX "00"
	            "0029"
	            "04d0"
	            "00008000"
	            "0030"
	            "000f"
	            "002c"
	            "000f" TEXT_HEX,
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");
	CHECK_INT(dns_msg_reply_check(buf, len, &q, 0xbeef, &r), 0);
	CHECK_INT(r.rcode, DNS_MSG_R_NXDOMAIN);

	/* The null address for A, and AAAA, without EDNS: no SOA, no OPT. */
	query(&p, "Blocked.Example", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, TEXT, buf, 512, &len), 0);
	check_bytes(buf, len,
	            "1234818000010001000000"
	            "00" Q_HEX "00010001"
	            "c00c"
	            "0001"
	            "0001"
	            "0000003c"
	            "0004"
	            "00000000",
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");
	CHECK_INT(dns_msg_reply_check(buf, len, &q, 0x1234, &r), 0);
	CHECK_INT(dns_msg_extract(buf, len, &r, &l), 0);
	CHECK_INT(l.n_addrs, 1);
	CHECK_INT(l.addrs[0].ttl, 60);
	query(&p, "Blocked.Example", DNS_MSG_T_AAAA, false);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, NULL, buf, 512, &len), 0);
	check_bytes(buf, len,
	            "1234818000010001000000"
	            "00" Q_HEX "001c0001"
	            "c00c"
	            "001c"
	            "0001"
	            "0000003c"
	            "0010"
	            "00000000000000000000000000000000",
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");

	/* Null mode for MX: no data, with the SOA; with EDNS and no text. */
	query(&p, "Blocked.Example", 15, true);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, NULL, buf, 512, &len), 0);
	check_bytes(buf, len,
	            "1234818000010000000100"
	            "01" Q_HEX "000f0001" SOA_HEX "00"
	            "0029"
	            "04d0"
	            "00000000"
	            "0006"
	            "000f"
	            "0002"
	            "000f",
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");

	/* REFUSED: no SOA, EDE kept. */
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_REFUSED, 60, 0, "x", buf, 512, &len), 0);
	check_bytes(buf, len,
	            "1234818500010000000000"
	            "01" Q_HEX "000f0001"
	            "00"
	            "0029"
	            "04d0"
	            "00000000"
	            "0007"
	            "000f"
	            "0003"
	            "000f"
	            "78",
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");

	/* Empty (HTTPS of a blocked name), and SERVFAIL with EDE 23 (Network
	 * Error), 0x20 case copied. */
	query(&p, "Blocked.Example", DNS_MSG_T_HTTPS, true);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(dns_msg_build_empty(&q, 60, 0, DNS_MSG_EDE_BLOCKED, TEXT, buf, 512, &len), 0);
	check_bytes(buf, len,
	            "1234818000010000000100"
	            "01" Q_HEX "00410001" SOA_HEX "00"
	            "0029"
	            "04d0"
	            "00000000"
	            "0030"
	            "000f"
	            "002c"
	            "000f" TEXT_HEX,
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");
	CHECK_INT(dns_msg_build_error(&q, DNS_MSG_R_SERVFAIL, DNS_MSG_EDE_NETWORK_ERROR, NULL, buf,
	                              512, &len),
	          0);
	check_bytes(buf, len,
	            "1234818200010000000000"
	            "01" Q_HEX "00410001"
	            "00"
	            "0029"
	            "04d0"
	            "00000000"
	            "0006"
	            "000f"
	            "0002"
	            "0017",
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");
	CHECK_INT(
	    dns_msg_build_error(&q, DNS_MSG_R_SERVFAIL, DNS_MSG_EDE_NONE, NULL, buf, 512, &len), 0);
	check_bytes(buf, len,
	            "1234818200010000000000"
	            "01" Q_HEX "00410001"
	            "00"
	            "0029"
	            "04d0"
	            "00000000"
	            "0000",
	            __LINE__);

	/* FORMERR for a query whose question did not parse: header only. */
	query(&p, "Blocked.Example", DNS_MSG_T_A, false);
	p.b[5] = 2;
	CHECK_INT(parse(&p, &q), -EBADMSG);
	CHECK_INT(
	    dns_msg_build_error(&q, DNS_MSG_R_FORMERR, DNS_MSG_EDE_NONE, NULL, buf, 512, &len), 0);
	check_bytes(buf, len, "123481810000000000000000", __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");

	/* BADVERS: 16 = extended rcode 1 in the OPT, 0 in the header. */
	query(&p, "Blocked.Example", DNS_MSG_T_A, false);
	p.b[11] = 1;
	opt(&p, 1232, 0x00018000);
	CHECK_INT(parse(&p, &q), -EPROTONOSUPPORT);
	CHECK_INT(dns_msg_build_error(&q, dns_msg_error_rcode(-EPROTONOSUPPORT), DNS_MSG_EDE_NONE,
	                              NULL, buf, 512, &len),
	          0);
	check_bytes(buf, len,
	            "1234818000010000000000"
	            "01" Q_HEX "00010001"
	            "00"
	            "0029"
	            "04d0"
	            "01008000"
	            "0000",
	            __LINE__);
	strcat(hexes, hex(buf, len));
	strcat(hexes, "\n");
	/* ...which needs EDNS. */
	query(&p, "Blocked.Example", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(
	    dns_msg_build_error(&q, DNS_MSG_R_BADVERS, DNS_MSG_EDE_NONE, NULL, buf, 512, &len),
	    -EINVAL);

	/* Bad arguments. */
	CHECK_INT(dns_msg_build_error(&q, -1, DNS_MSG_EDE_NONE, NULL, buf, 512, &len), -EINVAL);
	CHECK_INT(dns_msg_build_error(&q, 2, 70000, NULL, buf, 512, &len), -EINVAL);
	CHECK_INT(dns_msg_build_error(&q, 2, DNS_MSG_EDE_NONE, "text", buf, 512, &len), -EINVAL);
	CHECK_INT(dns_msg_build_blocked(&q, (enum dns_msg_block)7, 60, 0, NULL, buf, 512, &len),
	          -EINVAL);
	{
		char big[DNS_MSG_TEXT_MAX + 2];

		memset(big, 'x', sizeof(big));
		big[DNS_MSG_TEXT_MAX + 1] = '\0';
		CHECK_INT(
		    dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NXDOMAIN, 60, 0, big, buf, 512, &len),
		    -EINVAL);
		big[DNS_MSG_TEXT_MAX] = '\0';
		CHECK_INT(
		    dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NXDOMAIN, 60, 0, big, buf, 512, &len),
		    0);
	}
	q.has_question = false;
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NXDOMAIN, 60, 0, NULL, buf, 512, &len),
	          -EINVAL);
	CHECK_INT(dns_msg_build_empty(&q, 60, 0, DNS_MSG_EDE_NONE, NULL, buf, 512, &len), -EINVAL);

	py = dnspython(hexes);
	if (!py) {
		printf("dnspython not installed (python3-dnspython): second reader skipped\n");
		return;
	}
	{
		/* Expected decodings, one per packet in the order added above. */
		static const char *want[] = {
		    "id 48879\nopcode QUERY\nrcode NXDOMAIN\nflags QR RD RA CD\nedns 0\neflags DO\n"
		    "payload 1232\noption EDE 15: " TEXT "\n;QUESTION\nBlocked.Example. IN A\n"
		    ";ANSWER\n;AUTHORITY\nBlocked.Example. 60 IN SOA blocked.smbreak.invalid. "
		    "hostmaster.smbreak.invalid. 1 3600 600 86400 60\n;ADDITIONAL\n"
		    "EDE 15 " TEXT "\n--\n",
		    "id 4660\nopcode QUERY\nrcode NOERROR\nflags QR RD RA\n;QUESTION\n"
		    "Blocked.Example. IN A\n;ANSWER\nBlocked.Example. 60 IN A 0.0.0.0\n;AUTHORITY\n"
		    ";ADDITIONAL\n--\n",
		    "id 4660\nopcode QUERY\nrcode NOERROR\nflags QR RD RA\n;QUESTION\n"
		    "Blocked.Example. IN AAAA\n;ANSWER\nBlocked.Example. 60 IN AAAA "
		    "::\n;AUTHORITY\n"
		    ";ADDITIONAL\n--\n",
		    "id 4660\nopcode QUERY\nrcode NOERROR\nflags QR RD RA\nedns 0\npayload 1232\n"
		    "option EDE 15\n;QUESTION\nBlocked.Example. IN MX\n;ANSWER\n;AUTHORITY\n"
		    "Blocked.Example. 60 IN SOA blocked.smbreak.invalid. "
		    "hostmaster.smbreak.invalid. "
		    "1 3600 600 86400 60\n;ADDITIONAL\nEDE 15 None\n--\n",
		    "id 4660\nopcode QUERY\nrcode REFUSED\nflags QR RD RA\nedns 0\npayload 1232\n"
		    "option EDE 15: x\n;QUESTION\nBlocked.Example. IN MX\n;ANSWER\n;AUTHORITY\n"
		    ";ADDITIONAL\nEDE 15 x\n--\n",
		    "id 4660\nopcode QUERY\nrcode NOERROR\nflags QR RD RA\nedns 0\npayload 1232\n"
		    "option EDE 15: " TEXT "\n;QUESTION\nBlocked.Example. IN HTTPS\n;ANSWER\n"
		    ";AUTHORITY\nBlocked.Example. 60 IN SOA blocked.smbreak.invalid. "
		    "hostmaster.smbreak.invalid. 1 3600 600 86400 60\n;ADDITIONAL\n"
		    "EDE 15 " TEXT "\n--\n",
		    "id 4660\nopcode QUERY\nrcode SERVFAIL\nflags QR RD RA\nedns 0\npayload 1232\n"
		    "option EDE 23\n;QUESTION\nBlocked.Example. IN HTTPS\n;ANSWER\n;AUTHORITY\n"
		    ";ADDITIONAL\nEDE 23 None\n--\n",
		    "id 4660\nopcode QUERY\nrcode FORMERR\nflags QR RD RA\n;QUESTION\n;ANSWER\n"
		    ";AUTHORITY\n;ADDITIONAL\n--\n",
		    "id 4660\nopcode QUERY\nrcode BADVERS\nflags QR RD RA\nedns 0\neflags DO\n"
		    "payload 1232\n;QUESTION\nBlocked.Example. IN A\n;ANSWER\n;AUTHORITY\n"
		    ";ADDITIONAL\n--\n",
		};
		const char *at = py;

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			size_t wl = strlen(want[i]);

			check_count++;
			if (strncmp(at, want[i], wl) != 0) {
				check_failures++;
				fprintf(stderr,
				        "dnspython decoding %zu differs:\n got %.*s\nwant %s", i,
				        (int)wl, at, want[i]);
				break;
			}
			at += wl;
		}
		CHECK_STR(at, "");
	}
}

/* Answers that do not fit the client's size: TC with what fits. */
static void test_truncation(void)
{
	char big[254], text[DNS_MSG_TEXT_MAX + 1];
	struct dns_msg_query q;
	struct dns_msg_reply r;
	uint8_t buf[65536];
	struct pb p;
	size_t len;

	memset(big, 'a', sizeof(big));
	big[63] = big[127] = big[191] = '.';
	big[253] = '\0';
	memset(text, 't', sizeof(text));
	text[DNS_MSG_TEXT_MAX] = '\0';
	query(&p, big, DNS_MSG_T_A, true);
	CHECK_INT(parse(&p, &q), 0);
	/* 12 + 259 question + 16 answer + 11 + 4 + 2 + 255 OPT = 559 > 512... */
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, text, buf, 512, &len), 0);
	/* ...so TC, the question and an OPT without the EDE: 282. */
	CHECK_INT(len, 282);
	CHECK(buf[2] & 0x02);
	CHECK_INT(buf[7], 0); /* no answer */
	CHECK_INT(buf[11], 1);
	CHECK_INT(buf[281], 0); /* empty OPT RDATA */
	CHECK_INT(dns_msg_reply_check(buf, len, &q, 0x1234, &r), 0);
	CHECK(r.tc);
	/* A shorter text fits with the OPT but not the answer. */
	text[220] = '\0';
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, text, buf, 512, &len), 0);
	CHECK_INT(len, 271 + 11 + 6 + 220);
	CHECK(buf[2] & 0x02);
	CHECK_INT(buf[7], 0);
	/* Over TCP everything fits. */
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, text, buf,
	                                dns_msg_reply_limit(&q, true), &len),
	          0);
	CHECK_INT(len, 271 + 16 + 11 + 6 + 220);
	CHECK(!(buf[2] & 0x02));
	/* Room for the question alone, then not even that. */
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, text, buf, 280, &len), 0);
	CHECK_INT(len, 271);
	CHECK_INT(buf[11], 0);
	CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NULL, 60, 0, text, buf, 270, &len),
	          -ENOSPC);
}

/* The SOA of a blocked answer is owned by the list entry that matched: the
 * question name's last `zone` labels, by a pointer into the question. */
static void test_build_zone(void)
{
	struct pb p = {0};
	struct dns_msg_query q;
	struct dns_msg_reply r;
	uint8_t buf[512];
	size_t len;
	/* header 12, question 4 + 8 + 8 + 1 + 4 bytes: the SOA's owner at 37 */
	static const struct {
		unsigned zone;
		uint16_t owner;
	} cases[] = {{0, 0xc00c}, {2, 0xc010}, {1, 0xc018}, {3, 0xc00c}, {9, 0xc00c}};

	query(&p, "www.Blocked.Example", DNS_MSG_T_A, false);
	CHECK_INT(parse(&p, &q), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NXDOMAIN, 60, cases[i].zone, NULL,
		                                buf, sizeof(buf), &len),
		          0);
		CHECK(len > 39);
		CHECK_INT(buf[37] << 8 | buf[38], cases[i].owner);
		CHECK_INT(dns_msg_reply_check(buf, len, &q, 0x1234, &r), 0);
		CHECK_INT(dns_msg_build_empty(&q, 60, cases[i].zone, DNS_MSG_EDE_NONE, NULL, buf,
		                              sizeof(buf), &len),
		          0);
		CHECK_INT(buf[37] << 8 | buf[38], cases[i].owner);
	}
}

static void test_id(void)
{
	struct dns_msg_query q;
	struct pb p;

	query(&p, "Example.COM", DNS_MSG_T_A, false);
	CHECK_INT(dns_msg_set_id(p.b, p.n, 0xabcd), 0);
	CHECK_INT(p.b[0], 0xab);
	CHECK_INT(p.b[1], 0xcd);
	CHECK_INT(dns_msg_set_id(p.b, 1, 1), -EINVAL);
	CHECK_INT(parse(&p, &q), 0);
	CHECK_INT(q.id, 0xabcd);
}

/* The fuzz seeds in tests/fuzz/corpus/dns_msg are written by this test with
 * SMB_WRITE_SEEDS=dir, so they stay real shapes of the cases above. */
static void write_seed(const char *dir, const char *nm, const struct pb *p)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, nm);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(p->b, 1, p->n, f);
	fclose(f);
}

static void seeds(void)
{
	const char *dir = getenv("SMB_WRITE_SEEDS");
	struct pb p;
	size_t rd, first;

	if (!dir)
		return;
	hdr(&p, 0xbeef, DNS_MSG_F_RD, 1, 0, 0, 1);
	question(&p, "wWw.FaceBook.com", DNS_MSG_T_A);
	b8(&p, 0);
	rd = rr(&p, DNS_MSG_T_OPT, 1232, 0x8000);
	b16(&p, 10);
	b16(&p, 8);
	b32(&p, 0x01020304);
	b32(&p, 0x05060708);
	rd_end(&p, rd);
	write_seed(dir, "query-edns-cookie", &p);
	query(&p, "example.com", DNS_MSG_T_HTTPS, false);
	write_seed(dir, "query-https", &p);
	chain_reply(&p, 0x4242, DNS_MSG_F_QR | DNS_MSG_F_RD | DNS_MSG_F_RA);
	write_seed(dir, "reply-cname-chain", &p);
	chain_reply(&p, 0x4242, DNS_MSG_F_QR | DNS_MSG_F_TC);
	p.n = 50;
	write_seed(dir, "reply-truncated-tc", &p);
	chain_reply(&p, 0x4242, DNS_MSG_F_QR);
	p.n -= 7;
	write_seed(dir, "reply-truncated-record", &p);

	hdr(&p, 0x1234, DNS_MSG_F_QR, 1, 2, 0, 1);
	question(&p, "example.com", DNS_MSG_T_HTTPS);
	ptr(&p, 12);
	rd = rr(&p, DNS_MSG_T_HTTPS, DNS_MSG_C_IN, 300);
	b16(&p, 1);
	b8(&p, 0);
	b16(&p, 1);
	b16(&p, 3);
	bmem(&p, "\x02h2", 3);
	b16(&p, 4);
	b16(&p, 8);
	b32(&p, 0x68100001);
	b32(&p, 0x68100002);
	b16(&p, 6);
	b16(&p, 16);
	bmem(&p, "\x26\x06\x47\x00\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rd_end(&p, rd);
	ptr(&p, 12);
	rd = rr(&p, DNS_MSG_T_SVCB, DNS_MSG_C_IN, 900);
	b16(&p, 2);
	name(&p, "pool.example.net");
	b16(&p, 4);
	b16(&p, 4);
	b32(&p, 0x68100003);
	rd_end(&p, rd);
	opt(&p, 1232, 0);
	write_seed(dir, "reply-https-hints", &p);

	hdr(&p, 0x1234, DNS_MSG_F_QR, 1, 1, 0, 0);
	question(&p, "example.com", DNS_MSG_T_A);
	first = p.n;
	ptr(&p, first + 12);
	rd = rr(&p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 1);
	labels(&p, "b");
	ptr(&p, first);
	rd_end(&p, rd);
	write_seed(dir, "reply-pointer-loop", &p);

	hdr(&p, 1, DNS_MSG_F_QR, 1, 2, 0, 0);
	question(&p, "a.example", DNS_MSG_T_A);
	ptr(&p, 12);
	rd = rr(&p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
	first = name(&p, "b.example");
	rd_end(&p, rd);
	ptr(&p, first);
	rd = rr(&p, DNS_MSG_T_CNAME, DNS_MSG_C_IN, 60);
	name(&p, "A.EXAMPLE");
	rd_end(&p, rd);
	write_seed(dir, "reply-cname-loop", &p);

	{
		struct dns_msg_query q;
		size_t len;

		query(&p, "Blocked.Example", DNS_MSG_T_AAAA, true);
		if (parse(&p, &q) == 0 &&
		    dns_msg_build_blocked(&q, DNS_MSG_BLOCK_NXDOMAIN, 60, 0, TEXT, p.b, sizeof(p.b),
		                          &len) == 0) {
			p.n = len;
			write_seed(dir, "reply-blocked-nxdomain-ede", &p);
		}
	}
}

int main(void)
{
	test_query_basic();
	test_query_edns();
	test_query_malformed();
	test_reply_check();
	test_reply_badvers();
	test_reply_rdata();
	test_compression();
	test_extract_chain();
	test_extract_https();
	test_build();
	test_truncation();
	test_build_zone();
	test_id();
	seeds();
	CHECK_DONE();
}
