/* The forwarder's answer cache: upstream answers kept for their TTL (RFC
 * 1035, negative ones per RFC 2308), keyed on the question and the DO and CD
 * bits, bounded by entries and bytes with LRU eviction, and served again with
 * the client's id, 0x20 case and EDNS, TTLs counted down; expired entries
 * served stale (RFC 8767) when no upstream answers. Pure: no I/O, no clock
 * (the caller passes the instant, monotonic seconds). */
#ifndef SMB_CACHE_H
#define SMB_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns_msg.h"

#define CACHE_TTL_MAX   (7 * 86400) /* a longer TTL is capped to this (RFC 8767 4) */
#define CACHE_STALE_TTL 30          /* the TTL of a stale answer (RFC 8767 4) */
#define CACHE_BODY_MAX  4096        /* a bigger answer is relayed, not cached */
/* The byte bound: entries plus their answers stay under this many bytes per
 * entry allowed (3.2 MB at the default), so a few big answers cannot take
 * more memory than the count promises. */
#define CACHE_BYTES_PER_ENTRY 320
#define CACHE_EDE_STALE       3 /* Extended DNS Error "Stale Answer" (RFC 8914) */

struct cache;

struct cache_stats {
	uint64_t hits, misses, stale, stored, evicted;
	size_t entries, bytes;
};

/* What cache_answer served. */
struct cache_served {
	size_t len;
	bool stale; /* an expired entry, TTL 30 and EDE 3 */
	bool learn; /* the answer has addresses or a CNAME chain (cache_store's `learn`) */
};

/* A cache of at most max entries (max * CACHE_BYTES_PER_ENTRY bytes), keys
 * hashed with `seed` (random, so no one can aim names at one bucket);
 * stale_max seconds of serve-stale. 0 or -ENOMEM. max 0 makes a cache that
 * keeps nothing. */
int cache_new(size_t max, uint32_t stale_max, uint64_t seed, struct cache **out);
/* NULL-safe. */
void cache_free(struct cache *c);
/* A new bound (entries over it are evicted, oldest use first) and stale_max.
 * 0 or -ENOMEM with the cache unchanged. */
int cache_set_limits(struct cache *c, size_t max, uint32_t stale_max);
/* Every entry goes (the upstreams changed). */
void cache_flush(struct cache *c);

/* Keeps the upstream answer pkt to query q (which passed
 * dns_msg_reply_check as rep) at instant now, replacing an entry of the
 * same key. Kept: NOERROR and NXDOMAIN answers, not truncated, whose
 * question is q's, whose records all parse (owner names, compression
 * pointing back into what is kept) with an OPT only as the last record; a
 * negative one (no answer records) only with an SOA in its authority
 * section, for min(SOA TTL, SOA minimum). The entry's life is the lowest
 * TTL of its records, capped at CACHE_TTL_MAX; 0 keeps nothing. learn:
 * whether a hit must be learned from (see cache_served). Returns 0, or a
 * negative errno saying why it was not kept (-ENOTSUP: not cacheable,
 * -EBADMSG: records that do not parse, -ESRCH: not an answer to q,
 * -E2BIG: bigger than CACHE_BODY_MAX, -ENOMEM). */
int cache_store(struct cache *c, const struct dns_msg_query *q, const uint8_t *pkt, size_t len,
                const struct dns_msg_reply *rep, bool learn, time_t now);

/* Writes into buf (size bytes) the cached answer to q at instant now: q's id,
 * RD and case of the question, the stored flags (AD only when q set AD or
 * DO), every TTL counted down by the time since it was stored, and, when q
 * had EDNS, an OPT of our own (UDP size DNS_MSG_EDNS_SIZE, DO echoed): the
 * upstream's OPT answered another client's options. Fresh entries only,
 * unless `stale`: then an entry up to stale_max past its TTL too, served
 * with every TTL CACHE_STALE_TTL and EDE 3. Returns true with *out filled
 * in, false on a miss (counted unless stale; an entry past stale_max is
 * dropped) or when the answer does not fit size. */
bool cache_answer(struct cache *c, const struct dns_msg_query *q, time_t now, bool stale,
                  uint8_t *buf, size_t size, struct cache_served *out);

void cache_get_stats(const struct cache *c, struct cache_stats *out);

#endif
