/* libFuzzer target for the control protocol parser: the input is a stream of
 * bytes as a peer would send it; every message in it goes through header
 * parsing, validation and, when valid, a full walk of every attribute and
 * nest, with each value read by its kind. */
#include "proto.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(struct proto_iter *it, unsigned depth)
{
	struct proto_attr a;

	while (proto_iter_next(it, &a)) {
		struct proto_iter sub;
		const char *s;

		switch (proto_attr_kind(a.type)) {
		case PROTO_K_U32:
			(void)proto_attr_u32(&a);
			break;
		case PROTO_K_U64:
			(void)proto_attr_u64(&a);
			break;
		case PROTO_K_I64:
			(void)proto_attr_i64(&a);
			break;
		case PROTO_K_STR:
			s = proto_attr_str(&a);
			/* Validation promised exactly one NUL, at the end. */
			if (strlen(s) + 1 != a.len)
				abort();
			break;
		case PROTO_K_NEST:
			if (depth >= PROTO_NEST_MAX)
				abort();
			proto_attr_nest(&a, &sub);
			walk(&sub, depth + 1);
			break;
		case PROTO_K_FLAG:
			if (a.len != 0)
				abort();
			break;
		case PROTO_K_NONE:
			break;
		}
		(void)proto_attr_name(a.type);
		(void)proto_attr_repeated(a.type);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size > 0) {
		struct proto_hdr h;
		struct proto_iter it;
		struct proto_attr a;
		uint8_t *payload;

		if (proto_hdr_parse(data, size, &h) < 0)
			break;
		if (h.len > size - PROTO_HDR_LEN)
			break;
		/* An exact-size heap copy, so any overread trips ASan. */
		payload = malloc(h.len ? h.len : 1);
		if (!payload)
			break;
		memcpy(payload, data + PROTO_HDR_LEN, h.len);
		(void)proto_cmd_name(h.type);
		(void)proto_cmd_changes_state(h.type);
		if (proto_validate(payload, h.len) == 0) {
			proto_iter_init(&it, payload, h.len);
			walk(&it, 0);
			(void)proto_find(payload, h.len, PROTO_A_RESULT, &a);
		} else {
			/* The iterator must stay in bounds on bad bytes too. */
			proto_iter_init(&it, payload, h.len);
			while (proto_iter_next(&it, &a))
				;
		}
		free(payload);
		data += PROTO_HDR_LEN + h.len;
		size -= PROTO_HDR_LEN + h.len;
	}
	return 0;
}
