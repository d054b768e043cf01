/* libFuzzer target for the answer cache: the input is an upstream reply,
 * checked against the query found in its own question as the relay does,
 * then stored; whatever is kept must come back, fresh and stale and for the
 * question in another letter case, as an answer that passes the same check
 * and whose addresses can be read. The invariants abort when broken. */
#include "cache.h"
#include "dns_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[65536];

/* Serves q at now and checks what comes back. */
static void serve(struct cache *c, const struct dns_msg_query *q, time_t now, bool stale, bool want)
{
	struct cache_served sv;
	struct dns_msg_reply r;
	struct dns_msg_learned l;

	if (!cache_answer(c, q, now, stale, out, sizeof(out), &sv)) {
		if (want)
			abort();
		return;
	}
	if (sv.len > sizeof(out) || dns_msg_reply_check(out, sv.len, q, q->id, &r) != 0)
		abort();
	int err = dns_msg_extract(out, sv.len, &r, &l);
	if (err < 0 && err != -ELOOP)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct cache *c;
	uint8_t *pkt;

	if (size < DNS_MSG_HDR_LEN || !(pkt = malloc(size)))
		return 0;
	/* The query this would answer: the same bytes with a query's header. */
	memcpy(pkt, data, size);
	pkt[2] &= 0x07;
	pkt[4] = 0, pkt[5] = 1;
	memset(pkt + 6, 0, 4);
	int err = dns_msg_query_parse(pkt, size, &q);
	memcpy(pkt, data, size); /* an exact-size heap copy: overreads trip ASan */
	if (err < 0 ||
	    dns_msg_reply_check(pkt, size, &q, (uint16_t)(pkt[0] << 8 | pkt[1]), &r) < 0 ||
	    cache_new(4, 60, 1, &c) < 0) {
		free(pkt);
		return 0;
	}
	bool kept = cache_store(c, &q, pkt, size, &r, true, 1000) == 0;
	serve(c, &q, 1000, false, kept);
	for (size_t i = 0; i < q.qname_wire_len; i++)
		if ((q.qname_wire[i] | 0x20) >= 'a' && (q.qname_wire[i] | 0x20) <= 'z')
			q.qname_wire[i] ^= 0x20;
	q.id ^= 0x5a5a;
	serve(c, &q, 1000, false, kept);
	serve(c, &q, 1000 + CACHE_TTL_MAX, true, false);
	cache_free(c);
	free(pkt);
	return 0;
}
