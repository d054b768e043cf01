/* The forwarder's memory of addresses: a bounded set of addresses with expiry
 * (the learned ones, from answers for listed names, and the shared ones, that
 * also answered a name in no list), and the anonymous pages its big tables
 * come from. Pure: no libevent, no I/O, no clock reads (times are passed in). */
#ifndef SMB_ADDRSET_H
#define SMB_ADDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ADDRSET_PROBES 16 /* slots looked at per hash */

struct addrset_entry {
	uint8_t family; /* 0: empty */
	uint8_t addr[16];
	time_t expires;
};

/* A window of ADDRSET_PROBES slots per hash; when the window is full, the
 * entry closest to expiry gives way. */
struct addrset {
	struct addrset_entry *v;
	size_t mask;
};

/* Zeroed memory straight from mmap: its pages stay unbacked until used, so an
 * idle daemon stays small. From malloc it could land on heap memory freed by
 * a list build, which calloc must clear, touching it all. NULL on ENOMEM. */
void *addrset_pages_new(size_t size);
/* NULL-safe. */
void addrset_pages_free(void *p, size_t size);

/* cap: a power of two. Returns 0 or -ENOMEM. */
int addrset_init(struct addrset *s, size_t cap);
/* NULL-safe, and safe on a set that init failed on or never saw. */
void addrset_free(struct addrset *s);

/* A hash of an address (AF_INET: 4 bytes, else 16), for the set and for
 * bucketing clients. */
size_t addrset_hash(int family, const uint8_t *a);
/* The entry of an address that has not expired at `now`, or NULL. */
const struct addrset_entry *addrset_find(const struct addrset *s, int family, const uint8_t *a,
                                         time_t now);
/* Remembers an address until `expires` (a later time than the one held
 * extends it, an earlier one does not shorten it). */
void addrset_put(struct addrset *s, int family, const uint8_t *a, time_t expires, time_t now);
/* Forgets an address; returns whether it was held (unexpired) at `now`. */
bool addrset_take(struct addrset *s, int family, const uint8_t *a, time_t now);

#endif
