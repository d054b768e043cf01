/* Unit tests of the control protocol: round trips of every attribute kind and
 * nests, the builder's bounds, and the parser's refusals of every malformed
 * shape (headers, versions, lengths, padding, strings, depth). */
#include "check.h"
#include "proto.h"

#include <errno.h>
#include <stdlib.h>

/* A hand-built attribute appended to a raw buffer, for shapes the builder
 * refuses to make. Returns the new length. */
static size_t raw_attr(uint8_t *buf, size_t off, uint16_t len, uint16_t type, const void *val,
                       size_t vlen, size_t padded)
{
	memcpy(buf + off, &len, 2);
	memcpy(buf + off + 2, &type, 2);
	memset(buf + off + 4, 0, padded - 4);
	if (vlen)
		memcpy(buf + off + 4, val, vlen);
	return off + padded;
}

static const uint8_t *payload(const struct proto_msg *m)
{
	return m->buf + PROTO_HDR_LEN;
}

static size_t payload_len(const struct proto_msg *m)
{
	return m->len - PROTO_HDR_LEN;
}

static void test_names(void)
{
	CHECK_STR(proto_cmd_name(PROTO_CMD_STATUS), "status");
	CHECK_STR(proto_cmd_name(PROTO_CMD_LISTS), "lists");
	CHECK(proto_cmd_name(0) == NULL);
	CHECK(proto_cmd_name(PROTO_CMD_MAX_) == NULL);
	CHECK(proto_cmd_name(PROTO_REPLY) == NULL);
	for (uint16_t c = 1; c < PROTO_CMD_MAX_; c++)
		CHECK(proto_cmd_name(c) != NULL);
	CHECK(proto_cmd_changes_state(PROTO_CMD_PAUSE));
	CHECK(proto_cmd_changes_state(PROTO_CMD_RESUME));
	CHECK(proto_cmd_changes_state(PROTO_CMD_SKIP));
	CHECK(proto_cmd_changes_state(PROTO_CMD_RELOAD));
	CHECK(proto_cmd_changes_state(PROTO_CMD_CANCEL)); /* a plan dropped */
	CHECK_STR(proto_cmd_name(PROTO_CMD_CANCEL), "cancel");
	CHECK(!proto_cmd_changes_state(PROTO_CMD_STATUS));
	CHECK(!proto_cmd_changes_state(PROTO_CMD_WATCH));
	CHECK(!proto_cmd_changes_state(PROTO_CMD_CHECK));
	CHECK(!proto_cmd_changes_state(999));

	/* Every known type has a kind and a unique name. */
	for (uint16_t t = 1; t < PROTO_A_MAX_; t++) {
		CHECK(proto_attr_kind(t) != PROTO_K_NONE);
		CHECK(proto_attr_name(t) != NULL);
		for (uint16_t u = 1; u < t; u++)
			CHECK(strcmp(proto_attr_name(t), proto_attr_name(u)) != 0);
	}
	CHECK_INT(proto_attr_kind(0), PROTO_K_NONE);
	CHECK_INT(proto_attr_kind(PROTO_A_MAX_), PROTO_K_NONE);
	CHECK(proto_attr_name(PROTO_A_MAX_) == NULL);
	CHECK_STR(proto_attr_name(PROTO_A_BREAK), "breaks");
	CHECK(proto_attr_repeated(PROTO_A_BREAK));
	CHECK(proto_attr_repeated(PROTO_A_ERROR));
	CHECK(!proto_attr_repeated(PROTO_A_NEXT));
	CHECK(!proto_attr_repeated(PROTO_A_MAX_));
	CHECK_INT(proto_attr_kind(PROTO_A_DURATION), PROTO_K_U64);
	CHECK_INT(proto_attr_kind(PROTO_A_NOW), PROTO_K_I64);
	CHECK_INT(proto_attr_kind(PROTO_A_RESULT), PROTO_K_U32);
	CHECK_INT(proto_attr_kind(PROTO_A_STRICT), PROTO_K_FLAG);
	CHECK_INT(proto_attr_kind(PROTO_A_COUNTER), PROTO_K_NEST);
	/* Issue 18's: plans, cycles, unlock delays and the stats history. */
	CHECK_INT(proto_attr_kind(PROTO_A_AT), PROTO_K_STR);
	CHECK_INT(proto_attr_kind(PROTO_A_ID), PROTO_K_U32);
	CHECK_INT(proto_attr_kind(PROTO_A_UNLOCK_AT), PROTO_K_I64);
	CHECK_INT(proto_attr_kind(PROTO_A_CANCEL), PROTO_K_FLAG);
	CHECK_STR(proto_attr_name(PROTO_A_UNLOCK_DELAY), "unlock_delay");
	CHECK_STR(proto_attr_name(PROTO_A_EARLY), "ended_early");
	CHECK(!proto_attr_repeated(PROTO_A_CYCLES));
}

static void test_round_trip(void)
{
	static struct proto_msg m;
	struct proto_hdr h;
	struct proto_iter it, nit;
	struct proto_attr a;
	long nest;
	int n;

	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put_u32(&m, PROTO_A_RESULT, PROTO_RESULT_REFUSED), 0);
	CHECK_INT(proto_put_u64(&m, PROTO_A_DURATION, UINT64_C(0x123456789abcdef0)), 0);
	CHECK_INT(proto_put_i64(&m, PROTO_A_NOW, -1234567890123), 0);
	CHECK_INT(proto_put_str(&m, PROTO_A_MESSAGE, "paused\tuntil 12:00 \xc3\xa9"), 0);
	CHECK_INT(proto_put_flag(&m, PROTO_A_BLOCKING), 0);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	CHECK(nest >= PROTO_HDR_LEN);
	CHECK_INT(proto_put_str(&m, PROTO_A_NAME, "work"), 0);
	CHECK_INT(proto_put_i64(&m, PROTO_A_START, 1700000000), 0);
	CHECK_INT(proto_put_flag(&m, PROTO_A_ON), 0);
	CHECK_INT(proto_put_str(&m, PROTO_A_LIST, "social"), 0);
	CHECK_INT(proto_put_str(&m, PROTO_A_LIST, "news"), 0);
	proto_nest_end(&m, nest);
	CHECK_INT(proto_put_str(&m, PROTO_A_ERROR, ""), 0);
	n = proto_msg_finish(&m);
	CHECK_INT(n, (long long)m.len);
	CHECK_INT(n % 4, 0);

	CHECK_INT(proto_hdr_parse(m.buf, (size_t)n, &h), 0);
	CHECK_INT(h.version, PROTO_VERSION);
	CHECK_INT(h.type, PROTO_REPLY);
	CHECK_INT(h.len, n - PROTO_HDR_LEN);
	CHECK_INT(proto_validate(payload(&m), h.len), 0);

	proto_iter_init(&it, payload(&m), h.len);
	CHECK(proto_iter_next(&it, &a));
	CHECK_INT(a.type, PROTO_A_RESULT);
	CHECK_INT(proto_attr_u32(&a), PROTO_RESULT_REFUSED);
	CHECK(proto_iter_next(&it, &a));
	CHECK_INT(a.type, PROTO_A_DURATION);
	CHECK(proto_attr_u64(&a) == UINT64_C(0x123456789abcdef0));
	CHECK(proto_iter_next(&it, &a));
	CHECK_INT(proto_attr_i64(&a), -1234567890123);
	CHECK(proto_iter_next(&it, &a));
	CHECK_STR(proto_attr_str(&a), "paused\tuntil 12:00 \xc3\xa9");
	CHECK(proto_iter_next(&it, &a));
	CHECK_INT(a.type, PROTO_A_BLOCKING);
	CHECK_INT(a.len, 0);
	CHECK(proto_iter_next(&it, &a));
	CHECK_INT(a.type, PROTO_A_BREAK);
	proto_attr_nest(&a, &nit);
	CHECK(proto_iter_next(&nit, &a));
	CHECK_STR(proto_attr_str(&a), "work");
	CHECK(proto_iter_next(&nit, &a));
	CHECK_INT(proto_attr_i64(&a), 1700000000);
	CHECK(proto_iter_next(&nit, &a));
	CHECK_INT(a.type, PROTO_A_ON);
	CHECK(proto_iter_next(&nit, &a));
	CHECK_STR(proto_attr_str(&a), "social");
	CHECK(proto_iter_next(&nit, &a));
	CHECK_STR(proto_attr_str(&a), "news");
	CHECK(!proto_iter_next(&nit, &a));
	CHECK(proto_iter_next(&it, &a));
	CHECK_INT(a.type, PROTO_A_ERROR);
	CHECK_STR(proto_attr_str(&a), "");
	CHECK(!proto_iter_next(&it, &a));
	CHECK(!proto_iter_next(&it, &a));

	CHECK(proto_find(payload(&m), h.len, PROTO_A_MESSAGE, &a));
	CHECK_INT(a.type, PROTO_A_MESSAGE);
	CHECK(!proto_find(payload(&m), h.len, PROTO_A_NAME, &a)); /* only inside the nest */

	/* An empty request. */
	proto_msg_init(&m, PROTO_CMD_STATUS);
	CHECK_INT(proto_msg_finish(&m), PROTO_HDR_LEN);
	CHECK_INT(proto_hdr_parse(m.buf, PROTO_HDR_LEN, &h), 0);
	CHECK_INT(h.type, PROTO_CMD_STATUS);
	CHECK_INT(h.len, 0);
	CHECK_INT(proto_validate(NULL, 0), 0);
	proto_iter_init(&it, NULL, 0);
	CHECK(!proto_iter_next(&it, &a));
}

static void test_nests(void)
{
	static struct proto_msg m;
	long o[PROTO_NEST_MAX + 1];
	struct proto_iter it;
	struct proto_attr a;
	int depth;

	/* PROTO_NEST_MAX levels are fine and iterate back. */
	proto_msg_init(&m, PROTO_REPLY);
	for (int i = 0; i < PROTO_NEST_MAX; i++)
		CHECK((o[i] = proto_nest_start(&m, PROTO_A_BREAK)) > 0);
	CHECK_INT(proto_put_str(&m, PROTO_A_NAME, "deep"), 0);
	for (int i = PROTO_NEST_MAX - 1; i >= 0; i--)
		proto_nest_end(&m, o[i]);
	CHECK(proto_msg_finish(&m) > 0);
	CHECK_INT(proto_validate(payload(&m), payload_len(&m)), 0);
	proto_iter_init(&it, payload(&m), payload_len(&m));
	depth = 0;
	while (proto_iter_next(&it, &a) && a.type == PROTO_A_BREAK) {
		depth++;
		proto_attr_nest(&a, &it);
	}
	CHECK_INT(depth, PROTO_NEST_MAX);
	CHECK_INT(a.type, PROTO_A_NAME);
	CHECK_STR(proto_attr_str(&a), "deep");

	/* One more is refused by the builder... */
	proto_msg_init(&m, PROTO_REPLY);
	for (int i = 0; i < PROTO_NEST_MAX; i++)
		o[i] = proto_nest_start(&m, PROTO_A_BREAK);
	CHECK_INT(proto_nest_start(&m, PROTO_A_BREAK), -ELOOP);
	CHECK_INT(proto_msg_finish(&m), -ELOOP);

	/* ...and by the parser, when built by hand. */
	{
		uint8_t buf[64];
		size_t len = 0;
		uint16_t inner = 4 + 4 * (PROTO_NEST_MAX + 1);

		for (int i = 0; i <= PROTO_NEST_MAX; i++) {
			len =
			    raw_attr(buf, len, (uint16_t)(inner - 4 * i), PROTO_A_NEXT, NULL, 0, 4);
		}
		len = raw_attr(buf, len, 4, PROTO_A_ON, NULL, 0, 4);
		CHECK_INT(proto_validate(buf, len), -EPROTO);
		/* The same bytes one level shallower are fine. */
		CHECK_INT(proto_validate(buf + 4, len - 4), 0);
	}

	/* Unbalanced nests. */
	proto_msg_init(&m, PROTO_REPLY);
	proto_nest_start(&m, PROTO_A_BREAK);
	CHECK_INT(proto_msg_finish(&m), -EINVAL);
	proto_msg_init(&m, PROTO_REPLY);
	proto_nest_end(&m, PROTO_HDR_LEN);
	CHECK_INT(proto_msg_finish(&m), -EINVAL);

	/* An empty nest validates and iterates as nothing. */
	proto_msg_init(&m, PROTO_REPLY);
	proto_nest_end(&m, proto_nest_start(&m, PROTO_A_COUNTER));
	CHECK(proto_msg_finish(&m) > 0);
	CHECK_INT(proto_validate(payload(&m), payload_len(&m)), 0);

	/* A known scalar with a bad length inside a nest spoils the message. */
	{
		uint8_t buf[32];
		uint32_t v = 1;
		size_t len = raw_attr(buf, 0, 4 + 8, PROTO_A_COUNTER, NULL, 0, 4);

		len = raw_attr(buf, len, 4 + 4, PROTO_A_VALUE, &v, 4, 8); /* u64 with 4 bytes */
		CHECK_INT(proto_validate(buf, len), -EPROTO);
	}
}

static void test_overflow(void)
{
	static struct proto_msg m;
	static char big[PROTO_STR_MAX * 2];
	static uint8_t blob[70000];
	int rc = 0, puts = 0;
	long nest;

	memset(big, 'x', sizeof(big) - 1);
	proto_msg_init(&m, PROTO_REPLY);
	while ((rc = proto_put_str(&m, PROTO_A_ERROR, big)) == 0)
		puts++;
	CHECK_INT(rc, -EMSGSIZE);
	CHECK(m.len <= PROTO_MSG_MAX);
	CHECK(puts >= (PROTO_MSG_MAX - PROTO_HDR_LEN) / (PROTO_STR_MAX + 4) - 1);
	/* The builder stays failed, even for a put that would fit. */
	CHECK_INT(proto_put_flag(&m, PROTO_A_ON), -EMSGSIZE);
	CHECK_INT(proto_msg_finish(&m), -EMSGSIZE);

	/* Long strings are cut, and the cut is at a UTF-8 boundary. */
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put_str(&m, PROTO_A_MESSAGE, big), 0);
	CHECK(proto_msg_finish(&m) > 0);
	{
		struct proto_attr a;

		CHECK(proto_find(payload(&m), payload_len(&m), PROTO_A_MESSAGE, &a));
		CHECK_INT(a.len, PROTO_STR_MAX);
		CHECK_INT(strlen(proto_attr_str(&a)), PROTO_STR_MAX - 1);
	}
	memset(big, 'x', PROTO_STR_MAX - 2);
	memcpy(big + PROTO_STR_MAX - 2, "\xc3\xa9", 2); /* é straddles the cut */
	big[PROTO_STR_MAX] = 0;
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put_str(&m, PROTO_A_MESSAGE, big), 0);
	CHECK(proto_msg_finish(&m) > 0);
	{
		struct proto_attr a;

		CHECK(proto_find(payload(&m), payload_len(&m), PROTO_A_MESSAGE, &a));
		CHECK_INT(strlen(proto_attr_str(&a)), PROTO_STR_MAX - 2);
	}

	/* One attribute over the u16 length, or over the message. */
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put(&m, 999, blob, 65532), -EMSGSIZE);
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put(&m, 999, blob, PROTO_MSG_MAX - PROTO_HDR_LEN - 4 + 1), -EMSGSIZE);
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put(&m, 999, blob, PROTO_MSG_MAX - PROTO_HDR_LEN - 4), 0);
	CHECK_INT(proto_msg_finish(&m), PROTO_MSG_MAX);
	CHECK_INT(proto_validate(payload(&m), payload_len(&m)), 0);

	/* Exactly PROTO_MSG_MAX is fine, one more is not. */
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put(&m, 999, blob, 65000 - 4), 0);
	CHECK_INT(proto_put(&m, 999, blob, PROTO_MSG_MAX - PROTO_HDR_LEN - 65000 - 4), 0);
	CHECK_INT(m.len, PROTO_MSG_MAX);
	CHECK_INT(proto_msg_finish(&m), PROTO_MSG_MAX);
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put(&m, 999, blob, 65000 - 4), 0);
	CHECK_INT(proto_put(&m, 999, blob, PROTO_MSG_MAX - PROTO_HDR_LEN - 65000 - 3), -EMSGSIZE);

	/* The bound holds inside nests too, and a full nest still closes. */
	proto_msg_init(&m, PROTO_REPLY);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	CHECK_INT(proto_put(&m, 999, blob, 40000), 0);
	CHECK_INT(proto_put(&m, 999, blob, PROTO_MSG_MAX - PROTO_HDR_LEN - 4 - 40004 - 4), 0);
	CHECK_INT(m.len, PROTO_MSG_MAX);
	proto_nest_end(&m, nest);
	CHECK_INT(proto_msg_finish(&m), PROTO_MSG_MAX);
	CHECK_INT(proto_validate(payload(&m), payload_len(&m)), 0);
	proto_msg_init(&m, PROTO_REPLY);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	CHECK_INT(proto_put(&m, 999, blob, 40000), 0);
	CHECK_INT(proto_put(&m, 999, blob, PROTO_MSG_MAX - PROTO_HDR_LEN - 4 - 40004 - 3),
	          -EMSGSIZE);
	proto_nest_end(&m, nest);
	CHECK_INT(proto_msg_finish(&m), -EMSGSIZE);
}

static void test_headers(void)
{
	uint8_t buf[PROTO_HDR_LEN];
	struct proto_hdr h;
	uint16_t v = PROTO_VERSION, t = PROTO_CMD_STATUS;
	uint32_t len = 0;

	memcpy(buf, &v, 2);
	memcpy(buf + 2, &t, 2);
	memcpy(buf + 4, &len, 4);
	for (size_t n = 0; n < PROTO_HDR_LEN; n++)
		CHECK_INT(proto_hdr_parse(buf, n, &h), -EAGAIN);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), 0);

	/* Bad versions. */
	v = 0;
	memcpy(buf, &v, 2);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), -EPROTONOSUPPORT);
	v = PROTO_VERSION + 1;
	memcpy(buf, &v, 2);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), -EPROTONOSUPPORT);
	CHECK_INT(h.version, PROTO_VERSION + 1);
	/* The version is checked before the length. */
	len = UINT32_MAX;
	memcpy(buf + 4, &len, 4);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), -EPROTONOSUPPORT);

	/* Bad lengths. */
	v = PROTO_VERSION;
	memcpy(buf, &v, 2);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), -EMSGSIZE);
	len = PROTO_MSG_MAX - PROTO_HDR_LEN + 1;
	memcpy(buf + 4, &len, 4);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), -EMSGSIZE);
	len = PROTO_MSG_MAX - PROTO_HDR_LEN;
	memcpy(buf + 4, &len, 4);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), 0);
	CHECK_INT(h.len, PROTO_MSG_MAX - PROTO_HDR_LEN);
	/* Any type passes the header; the command is judged by the caller. */
	t = 0xffff;
	memcpy(buf + 2, &t, 2);
	CHECK_INT(proto_hdr_parse(buf, PROTO_HDR_LEN, &h), 0);
	CHECK_INT(h.type, 0xffff);
}

static void test_framing(void)
{
	uint8_t buf[64];
	uint32_t v32 = 7;
	uint64_t v64 = 7;
	size_t len;

	/* Truncated attribute headers. */
	len = raw_attr(buf, 0, 8, PROTO_A_RESULT, &v32, 4, 8);
	for (size_t n = 1; n < 8; n++)
		CHECK_INT(proto_validate(buf, n), -EPROTO);
	CHECK_INT(proto_validate(buf, len), 0);
	/* len below the header's own size. */
	for (uint16_t l = 0; l < 4; l++) {
		raw_attr(buf, 0, l, 999, NULL, 0, 4);
		CHECK_INT(proto_validate(buf, 4), -EPROTO);
	}
	/* len past the payload. */
	raw_attr(buf, 0, 12, 999, NULL, 0, 8);
	CHECK_INT(proto_validate(buf, 8), -EPROTO);
	/* Missing padding after the last attribute (len 5, padded 8). */
	raw_attr(buf, 0, 5, 999, "a", 1, 8);
	CHECK_INT(proto_validate(buf, 8), 0);
	CHECK_INT(proto_validate(buf, 5), -EPROTO);
	/* Non-zero padding. */
	buf[6] = 1;
	CHECK_INT(proto_validate(buf, 8), -EPROTO);

	/* Known types with the wrong length. */
	raw_attr(buf, 0, 4 + 8, PROTO_A_RESULT, &v64, 8, 12);
	CHECK_INT(proto_validate(buf, 12), -EPROTO);
	raw_attr(buf, 0, 4 + 4, PROTO_A_NOW, &v32, 4, 8);
	CHECK_INT(proto_validate(buf, 8), -EPROTO);
	raw_attr(buf, 0, 4 + 4, PROTO_A_DURATION, &v32, 4, 8);
	CHECK_INT(proto_validate(buf, 8), -EPROTO);
	raw_attr(buf, 0, 4 + 4, PROTO_A_STRICT, &v32, 4, 8);
	CHECK_INT(proto_validate(buf, 8), -EPROTO);
	raw_attr(buf, 0, 4 + 3, PROTO_A_RESULT, &v32, 3, 8);
	CHECK_INT(proto_validate(buf, 8), -EPROTO);

	/* Unknown types are skipped, whatever their value, but framed strictly. */
	len = raw_attr(buf, 0, 4 + 3, 999, "\x01\x02\x03", 3, 8);
	len = raw_attr(buf, len, 4 + 4, PROTO_A_RESULT, &v32, 4, 8);
	len = raw_attr(buf, len, 4, 0, NULL, 0, 4);
	len = raw_attr(buf, len, 4 + 8, 0xffff, &v64, 8, 12);
	CHECK_INT(proto_validate(buf, len), 0);
	{
		struct proto_iter it;
		struct proto_attr a;
		int n = 0, known = 0;

		proto_iter_init(&it, buf, len);
		while (proto_iter_next(&it, &a)) {
			n++;
			if (proto_attr_kind(a.type) != PROTO_K_NONE) {
				known++;
				CHECK_INT(proto_attr_u32(&a), 7);
			}
		}
		CHECK_INT(n, 4);
		CHECK_INT(known, 1);
		CHECK(proto_find(buf, len, PROTO_A_RESULT, &a));
	}

	/* The getters refuse values of the wrong size instead of overreading. */
	{
		struct proto_attr a = {PROTO_A_RESULT, 2, (const uint8_t *)"ab"};

		CHECK_INT(proto_attr_u32(&a), 0);
		CHECK(proto_attr_u64(&a) == 0);
		CHECK_INT(proto_attr_i64(&a), 0);
		CHECK_STR(proto_attr_str(&a), "");
		a.len = 0;
		CHECK_STR(proto_attr_str(&a), "");
	}

	/* The iterator stops at bad framing on unvalidated bytes. */
	{
		struct proto_iter it;
		struct proto_attr a;

		len = raw_attr(buf, 0, 8, PROTO_A_RESULT, &v32, 4, 8);
		raw_attr(buf, len, 200, 999, NULL, 0, 4);
		proto_iter_init(&it, buf, len + 4);
		CHECK(proto_iter_next(&it, &a));
		CHECK(!proto_iter_next(&it, &a));
	}
	CHECK_INT(proto_validate(buf, PROTO_MSG_MAX), -EPROTO);
}

static void test_strings(void)
{
	uint8_t buf[PROTO_STR_MAX + 64];
	static char s[PROTO_STR_MAX + 2];
	static struct proto_msg m;
	size_t len;

	/* Good ones: "a", tab, UTF-8, exactly PROTO_STR_MAX with the NUL. */
	len = raw_attr(buf, 0, 4 + 2, PROTO_A_NAME, "a", 2, 8);
	CHECK_INT(proto_validate(buf, len), 0);
	len = raw_attr(buf, 0, 4 + 4, PROTO_A_NAME, "a\tb", 4, 8);
	CHECK_INT(proto_validate(buf, len), 0);
	len = raw_attr(buf, 0, 4 + 4, PROTO_A_NAME, "\xc3\xa9!", 4, 8);
	CHECK_INT(proto_validate(buf, len), 0);
	memset(s, 'y', PROTO_STR_MAX - 1);
	s[PROTO_STR_MAX - 1] = 0;
	len =
	    raw_attr(buf, 0, 4 + PROTO_STR_MAX, PROTO_A_NAME, s, PROTO_STR_MAX, 4 + PROTO_STR_MAX);
	CHECK_INT(proto_validate(buf, len), 0);
	/* One byte longer. */
	s[PROTO_STR_MAX - 1] = 'y';
	s[PROTO_STR_MAX] = 0;
	len = raw_attr(buf, 0, 4 + PROTO_STR_MAX + 1, PROTO_A_NAME, s, PROTO_STR_MAX + 1,
	               4 + PROTO_STR_MAX + 4);
	CHECK_INT(proto_validate(buf, len), -EPROTO);

	/* Empty (not even the NUL). */
	len = raw_attr(buf, 0, 4, PROTO_A_NAME, NULL, 0, 4);
	CHECK_INT(proto_validate(buf, len), -EPROTO);
	/* Without a NUL. */
	len = raw_attr(buf, 0, 4 + 3, PROTO_A_NAME, "abc", 3, 8);
	CHECK_INT(proto_validate(buf, len), -EPROTO);
	/* With an embedded NUL. */
	len = raw_attr(buf, 0, 4 + 4, PROTO_A_NAME, "a\0b", 4, 8);
	CHECK_INT(proto_validate(buf, len), -EPROTO);
	/* With control characters. */
	len = raw_attr(buf, 0, 4 + 4, PROTO_A_MESSAGE, "a\nb", 4, 8);
	CHECK_INT(proto_validate(buf, len), -EPROTO);
	len = raw_attr(buf, 0, 4 + 4, PROTO_A_MESSAGE, "\x1b[m", 4, 8);
	CHECK_INT(proto_validate(buf, len), -EPROTO);
	len = raw_attr(buf, 0, 4 + 3, PROTO_A_MESSAGE, "\x7f!", 3, 8);
	CHECK_INT(proto_validate(buf, len), -EPROTO);
	len = raw_attr(buf, 0, 4 + 3, PROTO_A_MESSAGE, "\r!", 3, 8);
	CHECK_INT(proto_validate(buf, len), -EPROTO);

	/* The builder turns control characters into '?' so its output validates. */
	proto_msg_init(&m, PROTO_REPLY);
	CHECK_INT(proto_put_str(&m, PROTO_A_MESSAGE, "a\nb\x1b[1m\x7f\tc"), 0);
	CHECK(proto_msg_finish(&m) > 0);
	CHECK_INT(proto_validate(payload(&m), payload_len(&m)), 0);
	{
		struct proto_attr a;

		CHECK(proto_find(payload(&m), payload_len(&m), PROTO_A_MESSAGE, &a));
		CHECK_STR(proto_attr_str(&a), "a?b?[1m?\tc");
	}
}

/* Every prefix and every single-byte corruption of a valid message either
 * validates or is refused; none reads out of bounds (checked under ASan). */
static void test_mutations(void)
{
	static struct proto_msg m;
	uint8_t *copy;
	long nest;
	int n;

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_u32(&m, PROTO_A_RESULT, 0);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	proto_put_str(&m, PROTO_A_NAME, "night");
	proto_put_i64(&m, PROTO_A_END, 42);
	proto_nest_end(&m, nest);
	n = proto_msg_finish(&m);
	CHECK(n > 0);
	for (size_t cut = 0; cut < payload_len(&m); cut++) {
		/* A heap copy of exactly `cut` bytes makes any overread visible. */
		copy = malloc(cut ? cut : 1);
		memcpy(copy, payload(&m), cut);
		(void)proto_validate(copy, cut);
		free(copy);
	}
	copy = malloc(payload_len(&m));
	for (size_t i = 0; i < payload_len(&m); i++) {
		for (int b = 0; b < 8; b++) {
			struct proto_iter it;
			struct proto_attr a;

			memcpy(copy, payload(&m), payload_len(&m));
			copy[i] ^= (uint8_t)(1u << b);
			if (proto_validate(copy, payload_len(&m)) < 0)
				continue;
			proto_iter_init(&it, copy, payload_len(&m));
			while (proto_iter_next(&it, &a))
				if (proto_attr_kind(a.type) == PROTO_K_STR)
					CHECK(strlen(proto_attr_str(&a)) < a.len);
		}
	}
	free(copy);
}

int main(void)
{
	test_names();
	test_round_trip();
	test_nests();
	test_overflow();
	test_headers();
	test_framing();
	test_strings();
	test_mutations();
	CHECK_DONE();
}
