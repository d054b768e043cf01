/* The forwarder's answer cache on the event layer: made, resized and flushed
 * as the configuration says, its clock, its counters. What is cached and how
 * an answer is served is cache.c's; when the forwarder asks it, dns.c's. */
#include "dns_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "log.h"

/* Monotonic, whole seconds: TTLs count down with it whatever the wall clock
 * does. */
time_t dns_cache_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec;
}

/* Whether a and b name the same upstreams. */
static bool same_upstreams(const struct conf *a, const struct conf *b)
{
	if (a->upstream_auto != b->upstream_auto || a->n_upstreams != b->n_upstreams)
		return false;
	for (size_t i = 0; i < a->n_upstreams; i++)
		if (a->upstreams[i].len != b->upstreams[i].len ||
		    memcmp(&a->upstreams[i].ss, &b->upstreams[i].ss, a->upstreams[i].len))
			return false;
	return true;
}

/* cache = N and stale_max of c; a change of upstream (old: the conf before,
 * NULL at start) flushes what the old ones answered. */
void dns_cache_configure(struct dns *dns, const struct conf *old, const struct conf *c)
{
	bool same_up = old && same_upstreams(old, c);
	uint64_t seed;

	if (!c->cache) {
		cache_free(dns->cache);
		dns->cache = NULL;
		return;
	}
	if (dns->cache && !same_up) {
		log_info("dns: upstream changed: the cache is flushed");
		cache_flush(dns->cache);
	}
	if (dns->cache && cache_set_limits(dns->cache, c->cache, c->stale_max) == 0)
		return;
	cache_free(dns->cache);
	dns->cache = NULL;
	arc4random_buf(&seed, sizeof(seed));
	if (cache_new(c->cache, c->stale_max, seed, &dns->cache) < 0)
		log_error("dns: no memory for a cache of %u answers: answers are not cached",
		          c->cache);
}

void dns_cache_put_status(const struct dns *dns, struct proto_msg *reply)
{
	struct cache_stats cs;

	if (!dns->cache)
		return;
	cache_get_stats(dns->cache, &cs);
	proto_put_counter(reply, "cache_hits", cs.hits);
	proto_put_counter(reply, "cache_misses", cs.misses);
	proto_put_counter(reply, "cache_entries", cs.entries);
	proto_put_counter(reply, "cache_stale", cs.stale);
	proto_put_counter(reply, "cache_bytes", cs.bytes);
}
