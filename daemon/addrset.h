/* The forwarder's memory of addresses: a bounded set of addresses with expiry
 * (the learned ones, from answers for listed names, and the shared ones, that
 * also answered names in no list, with the domains of those names as
 * witnesses), and the anonymous pages its big tables come from. Pure: no libevent, no I/O, no clock
 * reads (times are passed in). */
#ifndef SMB_ADDRSET_H
#define SMB_ADDRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ADDRSET_PROBES 16 /* slots looked at per hash */

struct addrset_entry {
	uint8_t family; /* 0: empty */
	bool endpoint;  /* learned from a DoH/DoT endpoint's name */
	uint8_t addr[16];
	time_t expires;
	uint64_t lists; /* the lists of the names it was learned for (bit i: list i) */
};

#define ADDRSET_WITNESSES   2  /* distinct domains remembered per address */
#define ADDRSET_WITNESS_MAX 48 /* bytes kept of each one's name, NUL included */

/* The registrable domains of names in no list that answered with an address.
 * A name longer than the field is cut, and two cut alike count once: that
 * errs toward blocking. */
struct addrset_witnesses {
	uint8_t n;
	char domain[ADDRSET_WITNESSES][ADDRSET_WITNESS_MAX];
};

/* A window of ADDRSET_PROBES slots per hash. The policy at the bound: when
 * the window is full, the entry closest to expiry gives way (the
 * soonest-expiring of the 16 go first), and the caller is told which, so
 * that the kernel's sets, which mirror the learned table, drop it too. */
struct addrset {
	struct addrset_entry *v;
	struct addrset_witnesses *w; /* per slot of v, in a set made with witnesses */
	size_t mask;
};

/* Zeroed memory straight from mmap: its pages stay unbacked until used, so an
 * idle daemon stays small. From malloc it could land on heap memory freed by
 * a list build, which calloc must clear, touching it all. NULL on ENOMEM. */
void *addrset_pages_new(size_t size);
/* NULL-safe. */
void addrset_pages_free(void *p, size_t size);

/* cap: a power of two; witnesses: the set keeps addrset_witness's domains.
 * Returns 0 or -ENOMEM. */
int addrset_init(struct addrset *s, size_t cap, bool witnesses);
/* NULL-safe, and safe on a set that init failed on or never saw. */
void addrset_free(struct addrset *s);

/* A hash of an address (AF_INET: 4 bytes, else 16), for the set and for
 * bucketing clients. */
size_t addrset_hash(int family, const uint8_t *a);
/* The entry of an address that has not expired at `now`, or NULL. */
const struct addrset_entry *addrset_find(const struct addrset *s, int family, const uint8_t *a,
                                         time_t now);
/* Remembers an address until `expires` for `lists` (and as an endpoint's):
 * an address held already keeps its lists and gains these, and a later
 * time extends it, an earlier one does not shorten it. Returns the entry as
 * it is now. *evicted: the unexpired entry that gave way for it, family 0
 * when none did. */
const struct addrset_entry *addrset_put(struct addrset *s, int family, const uint8_t *a,
                                        time_t expires, uint64_t lists, bool endpoint, time_t now,
                                        struct addrset_entry *evicted);
/* In a set made with witnesses: `domain` (len bytes) answered with the
 * address, which is held until `expires` at least (as addrset_put, with no
 * list). Returns its witnesses now: the distinct domains seen, up to
 * ADDRSET_WITNESSES. */
const struct addrset_witnesses *addrset_witness(struct addrset *s, int family, const uint8_t *a,
                                                const char *domain, size_t len, time_t expires,
                                                time_t now);
/* The witnesses of an entry of s; NULL when e is NULL or s keeps none. */
const struct addrset_witnesses *addrset_witnesses_of(const struct addrset *s,
                                                     const struct addrset_entry *e);
/* Forgets an address; returns whether it was held (unexpired) at `now`, and
 * then what it held in *old (may be NULL). */
bool addrset_take(struct addrset *s, int family, const uint8_t *a, time_t now,
                  struct addrset_entry *old);
/* A strict break holds until `until`: no entry expires before (the kernel's
 * elements are extended alike). */
void addrset_floor(struct addrset *s, time_t until, time_t now);
/* A reload moved the lists: bit i of every entry becomes bit map[i], or goes
 * when map[i] is 0xff; an entry left with no list and no endpoint is dropped. */
void addrset_remap(struct addrset *s, const uint8_t map[64]);

#endif
