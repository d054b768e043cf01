/* Pure DNS packet work for the forwarder: parsing queries, checking upstream
 * replies against the query, pulling the addresses to learn out of an answer,
 * and building the answers the forwarder makes itself. RFC 1035, 3596, 6891
 * (EDNS), 8914 (Extended DNS Errors), 9460 (SVCB/HTTPS). No I/O, no logging,
 * no allocation; every read is bounded by the packet. */
#ifndef SMB_DNS_MSG_H
#define SMB_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MSG_HDR_LEN   12
#define DNS_MSG_NAME_MAX  255  /* wire form, root byte included (RFC 1035 3.1) */
#define DNS_MSG_PRES_MAX  1024 /* presentation form with \DDD escapes, NUL included */
#define DNS_MSG_PTR_HOPS  128  /* compression pointers followed for one name */
#define DNS_MSG_CHAIN_MAX 16   /* names in a CNAME chain, the question name included */
#define DNS_MSG_ADDRS_MAX 64   /* addresses kept from one answer */
#define DNS_MSG_UDP_MIN   512  /* reply size limit without EDNS */
#define DNS_MSG_EDNS_SIZE 1232 /* UDP payload size we advertise (the DNS flag day value) */
#define DNS_MSG_TEXT_MAX  255  /* EDE extra text bytes we accept from the caller */

#define DNS_MSG_T_A     1
#define DNS_MSG_T_CNAME 5
#define DNS_MSG_T_SOA   6
#define DNS_MSG_T_AAAA  28
#define DNS_MSG_T_OPT   41
#define DNS_MSG_T_SVCB  64
#define DNS_MSG_T_HTTPS 65
#define DNS_MSG_T_IXFR  251
#define DNS_MSG_T_AXFR  252
#define DNS_MSG_T_ANY   255
#define DNS_MSG_C_IN    1
#define DNS_MSG_C_ANY   255

#define DNS_MSG_R_NOERROR  0
#define DNS_MSG_R_FORMERR  1
#define DNS_MSG_R_SERVFAIL 2
#define DNS_MSG_R_NXDOMAIN 3
#define DNS_MSG_R_NOTIMP   4
#define DNS_MSG_R_REFUSED  5
#define DNS_MSG_R_BADVERS  16 /* extended: needs an OPT record to carry it */

/* Extended DNS Error info codes (RFC 8914) the forwarder uses. */
#define DNS_MSG_EDE_NONE          (-1)
#define DNS_MSG_EDE_OTHER         0
#define DNS_MSG_EDE_BLOCKED       15
#define DNS_MSG_EDE_PROHIBITED    18
#define DNS_MSG_EDE_NO_REACHABLE  22
#define DNS_MSG_EDE_NETWORK_ERROR 23
#define DNS_MSG_OPT_EDE           15 /* EDNS option code of an EDE */

/* Header flag bits, in the 16-bit flags word. */
#define DNS_MSG_F_QR        0x8000
#define DNS_MSG_F_AA        0x0400
#define DNS_MSG_F_TC        0x0200
#define DNS_MSG_F_RD        0x0100
#define DNS_MSG_F_RA        0x0080
#define DNS_MSG_F_AD        0x0020
#define DNS_MSG_F_CD        0x0010
#define DNS_MSG_OPCODE_MASK 0x7800

/* A parsed query. Which fields are valid depends on how far parsing got:
 * id and flags whenever the header was readable, the question fields when
 * has_question, the EDNS fields when has_edns. */
struct dns_msg_query {
	uint16_t id;
	uint16_t flags;
	bool has_question;
	uint16_t qtype;
	uint16_t qclass;
	/* The name as sent, compression expanded, case kept (0x20): answers copy it. */
	uint8_t qname_wire[DNS_MSG_NAME_MAX];
	size_t qname_wire_len;
	/* Presentation form for matching: ASCII lowercased, no trailing dot ("" is
	 * the root), '.' and '\' in labels and bytes outside 0x21..0x7e as \DDD. */
	char qname[DNS_MSG_PRES_MAX];
	size_t qname_len;
	size_t question_end; /* offset just past the question */
	bool has_edns;
	uint16_t udp_size; /* as sent; dns_msg_reply_limit applies the floor */
	uint8_t edns_version;
	bool do_bit;
	size_t opt_off; /* the OPT record's options (its RDATA) in the packet */
	size_t opt_len;
};

/* What dns_msg_reply_check learnt about an upstream reply. */
struct dns_msg_reply {
	uint16_t flags;
	uint8_t rcode; /* the header's 4 bits */
	bool tc;
	uint16_t ancount, nscount, arcount;
	size_t an_off; /* offset of the answer section */
};

struct dns_msg_name {
	char name[DNS_MSG_PRES_MAX]; /* presentation form as for dns_msg_query.qname */
	size_t len;
};

struct dns_msg_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint32_t ttl; /* seconds: the record's TTL, lowered to that of the CNAMEs leading to it */
};

/* The names and addresses of one answer, for learning. */
struct dns_msg_learned {
	/* The question name first, then each CNAME target in chain order. */
	struct dns_msg_name names[DNS_MSG_CHAIN_MAX];
	size_t n_names;
	/* Distinct addresses (a repeat keeps the higher TTL): A and AAAA records and
	 * the ipv4hint/ipv6hint of HTTPS and SVCB records owned by a chain name. */
	struct dns_msg_addr addrs[DNS_MSG_ADDRS_MAX];
	size_t n_addrs;
	size_t n_dropped; /* addresses found beyond DNS_MSG_ADDRS_MAX */
};

enum dns_msg_block {
	DNS_MSG_BLOCK_NXDOMAIN,
	DNS_MSG_BLOCK_NULL, /* 0.0.0.0 for A, :: for AAAA, NOERROR and no data otherwise */
	DNS_MSG_BLOCK_REFUSED,
};

/* Parses a query (validated in order: header, opcode, counts, question, the
 * authority SOA of an IXFR (RFC 1995: NSCOUNT 1), then each additional record
 * with at most one OPT). Returns 0, or:
 *   -EINVAL           shorter than a header, or QR set: drop it, answer nothing;
 *   -EBADMSG          malformed: answer FORMERR;
 *   -EOPNOTSUPP       an opcode other than QUERY: answer NOTIMP (the
 *                     question and EDNS are kept where they parse);
 *   -EPROTONOSUPPORT  EDNS version above 0; the query is otherwise whole
 *                     (question and OPT parsed): relay it, so the BADVERS
 *                     and the options it echoes are the upstream's, or
 *                     answer BADVERS.
 * dns_msg_error_rcode maps these; dns_msg_build_error then answers from
 * whatever part of *q was parsed. A FORMERR to a message that carried an
 * OPT where its counts put the additional section has has_edns set, so the
 * answer carries an OPT (RFC 6891 7). Trailing bytes after the records are
 * ignored. */
int dns_msg_query_parse(const uint8_t *pkt, size_t len, struct dns_msg_query *q);
/* The rcode to answer a dns_msg_query_parse error with, or -1: drop. */
int dns_msg_error_rcode(int err);

/* Largest reply the client takes: 65535 over TCP, otherwise its EDNS UDP size
 * (at least 512), 512 without EDNS. */
size_t dns_msg_reply_limit(const struct dns_msg_query *q, bool tcp);

/* Checks that `pkt` answers query `q` sent upstream with id `id`: header
 * readable, QR set, same id, opcode QUERY, one question equal to q's (name
 * case-insensitively, type, class; none at all is taken from a reply to a
 * query of another EDNS version, whose BADVERS may leave it out). Unless TC is set, every record
 * must then be whole (owner, fixed part, RDATA within the packet); what an RDATA holds is not
 * checked: a malformed HTTPS record is relayed as the upstream sent it, and dns_msg_extract skips
 * what it cannot read. Returns 0, -EBADMSG for a malformed packet, -ESRCH for one that is not an
 * answer to this query, -EINVAL if q has no question. */
int dns_msg_reply_check(const uint8_t *pkt, size_t len, const struct dns_msg_query *q, uint16_t id,
                        struct dns_msg_reply *r);

/* Checks a later message of a zone transfer's stream (RFC 5936 2.2: the
 * question may be left out): header readable, QR set, id `id`, opcode QUERY.
 * Returns 0 or -ESRCH. */
int dns_msg_xfr_check(const uint8_t *pkt, size_t len, uint16_t id);

/* Collects the names and addresses to learn from a reply that passed
 * dns_msg_reply_check (class IN records of the answer section only), starting
 * at the question name and following CNAMEs; a record whose RDATA does not
 * parse (an A of 5 bytes, a CNAME target running past its RDATA, an HTTPS
 * record with its keys out of order) adds nothing. Returns 0, -ELOOP if the chain
 * loops or is longer than DNS_MSG_CHAIN_MAX, -EINVAL for a truncated reply,
 * -EBADMSG if the packet is not the one checked. */
int dns_msg_extract(const uint8_t *pkt, size_t len, const struct dns_msg_reply *r,
                    struct dns_msg_learned *out);

/* The builders write a reply to query q (which must have its question) into
 * buf, at most `limit` bytes (see dns_msg_reply_limit; buf holds that many),
 * and set *len. The question is copied with its original case. When q had
 * EDNS the reply carries an OPT record (our UDP size, DO echoed) with the EDE
 * `ede` (DNS_MSG_EDE_NONE for none) and its extra text `text` (NULL or UTF-8,
 * at most DNS_MSG_TEXT_MAX bytes, not NUL-terminated on the wire). A reply
 * that does not fit is cut to header, question and what else fits of the OPT,
 * with TC set. Returns 0, -EINVAL for bad arguments, -ENOSPC if not even the
 * question fits. */

/* A blocked name: NXDOMAIN, the null address (NOERROR), or REFUSED, with EDE
 * 15 (Blocked). Negative answers (NXDOMAIN, or no data for another type) carry
 * a synthetic SOA with TTL and minimum `ttl`, so resolvers cache the refusal
 * no longer than that; addresses get `ttl` too. The SOA is owned by the
 * question name's last `zone` labels (the list entry that matched, so no
 * apex is claimed at a name said not to exist), or by the whole name when
 * `zone` is 0 or not fewer labels than it has. */
int dns_msg_build_blocked(const struct dns_msg_query *q, enum dns_msg_block mode, uint32_t ttl,
                          unsigned zone, const char *text, uint8_t *buf, size_t limit, size_t *len);
/* NOERROR with no data and the synthetic SOA (TTL `ttl`, owner as above). */
int dns_msg_build_empty(const struct dns_msg_query *q, uint32_t ttl, unsigned zone, int ede,
                        const char *text, uint8_t *buf, size_t limit, size_t *len);
/* An error answer with `rcode` (up to 4095; above 15 only when q had EDNS).
 * Works for a query that failed to parse too: the question is copied only if
 * it was parsed, the OPT record only if it was. */
int dns_msg_build_error(const struct dns_msg_query *q, int rcode, int ede, const char *text,
                        uint8_t *buf, size_t limit, size_t *len);

/* Rewrites the id of a packet in place: the relay's own id going upstream, the
 * client's coming back. Returns 0, or -EINVAL if there is no header. */
int dns_msg_set_id(uint8_t *pkt, size_t len, uint16_t id);

#endif
