/* libFuzzer target for the DNS packet module: the input is one packet, taken
 * as a client's query (parsed, then every answer kind built from it and read
 * back) and as an upstream reply (checked against the query found in its own
 * question, then mined for addresses). The invariants the forwarder relies on
 * abort when broken. */
#include "dns_msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[65536];

/* A built reply must fit its limit and, when it has a question, answer the
 * query it was built for. */
static void check_built(const struct dns_msg_query *q, int err, size_t len, size_t limit)
{
	struct dns_msg_reply r;
	struct dns_msg_learned l;

	if (err == -ENOSPC)
		return;
	if (err < 0 || len > limit || len < DNS_MSG_HDR_LEN)
		abort();
	if (!q->has_question)
		return;
	if (dns_msg_reply_check(out, len, q, q->id, &r) != 0)
		abort();
	if (!r.tc && dns_msg_extract(out, len, &r, &l) != 0)
		abort();
}

static void as_query(const uint8_t *pkt, size_t size)
{
	struct dns_msg_query q;
	size_t len, limit;
	int err, rcode;

	err = dns_msg_query_parse(pkt, size, &q);
	if (err == 0) {
		if (!q.has_question || q.qname_wire_len > DNS_MSG_NAME_MAX ||
		    strlen(q.qname) != q.qname_len)
			abort();
		/* Odd sizes from the input itself, so truncation gets fuzzed too. */
		limit = size > 12 ? 12 + pkt[size - 1] * 2u : 512;
		for (int m = DNS_MSG_BLOCK_NXDOMAIN; m <= DNS_MSG_BLOCK_REFUSED; m++) {
			err = dns_msg_build_blocked(&q, (enum dns_msg_block)m, 60, 0, "blocked", out,
			                            limit, &len);
			check_built(&q, err, len, limit);
			limit = dns_msg_reply_limit(&q, m == DNS_MSG_BLOCK_REFUSED);
			err = dns_msg_build_blocked(&q, (enum dns_msg_block)m, 60, 0, NULL, out, limit,
			                            &len);
			check_built(&q, err, len, limit);
		}
		err = dns_msg_build_empty(&q, 5, 0, DNS_MSG_EDE_NONE, NULL, out, limit, &len);
		check_built(&q, err, len, limit);
		err = dns_msg_build_error(&q, DNS_MSG_R_SERVFAIL, DNS_MSG_EDE_NETWORK_ERROR, "x",
		                          out, limit, &len);
		check_built(&q, err, len, limit);
		return;
	}
	rcode = dns_msg_error_rcode(err);
	if (rcode < 0) {
		if (err != -EINVAL)
			abort();
		return;
	}
	limit = dns_msg_reply_limit(&q, false);
	err = dns_msg_build_error(&q, rcode, DNS_MSG_EDE_NONE, NULL, out, limit, &len);
	if (err < 0 || len > limit)
		abort();
	/* The rcode must come back out of the header and, if extended, the OPT. */
	if ((out[3] & 0xf) != (rcode & 0xf))
		abort();
}

static void as_reply(const uint8_t *pkt, size_t size)
{
	struct dns_msg_query q;
	struct dns_msg_reply r;
	struct dns_msg_learned l;
	uint8_t *qp;
	int err;

	if (size < DNS_MSG_HDR_LEN)
		return;
	/* The query this would answer: the same bytes with a query's header;
	 * parsing stops after the question and ignores the rest. */
	qp = malloc(size);
	if (!qp)
		return;
	memcpy(qp, pkt, size);
	qp[2] &= 0x07; /* QR and opcode clear */
	qp[4] = 0, qp[5] = 1;
	memset(qp + 6, 0, 6);
	err = dns_msg_query_parse(qp, size, &q);
	free(qp);
	if (err < 0)
		return;
	err = dns_msg_reply_check(pkt, size, &q, (uint16_t)(pkt[0] << 8 | pkt[1]), &r);
	if (err < 0) {
		/* Extraction stays in bounds even on a packet that failed the
		 * check (a caller's mistake), though what it finds is moot. */
		memset(&r, 0, sizeof(r));
		r.ancount = (uint16_t)(pkt[6] << 8 | pkt[7]);
		r.an_off = q.question_end;
		(void)dns_msg_extract(pkt, size, &r, &l);
		return;
	}
	err = dns_msg_extract(pkt, size, &r, &l);
	/* After a successful check only a loop or a truncated reply may fail. */
	if (err < 0 && err != -ELOOP && !(r.tc && err == -EINVAL))
		abort();
	if (err == 0) {
		if (l.n_names < 1 || l.n_names > DNS_MSG_CHAIN_MAX || l.n_addrs > DNS_MSG_ADDRS_MAX)
			abort();
		for (size_t i = 0; i < l.n_names; i++)
			if (strlen(l.names[i].name) != l.names[i].len)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size heap copy, so any overread trips ASan. */
	uint8_t *pkt = malloc(size ? size : 1);

	if (!pkt)
		return 0;
	memcpy(pkt, data, size);
	as_query(pkt, size);
	as_reply(pkt, size);
	free(pkt);
	return 0;
}
