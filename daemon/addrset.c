/* Bounded address sets with expiry for the forwarder (see addrset.h): open
 * addressing over a fixed table from anonymous pages, no allocation after
 * init, nothing that reads the clock. */
#include "addrset.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

void *addrset_pages_new(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void addrset_pages_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int addrset_init(struct addrset *s, size_t cap, bool witnesses)
{
	s->v = addrset_pages_new(cap * sizeof(*s->v));
	s->w = witnesses ? addrset_pages_new(cap * sizeof(*s->w)) : NULL;
	s->mask = cap - 1;
	return s->v && (s->w || !witnesses) ? 0 : -ENOMEM;
}

void addrset_free(struct addrset *s)
{
	if (!s)
		return;
	addrset_pages_free(s->v, (s->mask + 1) * sizeof(*s->v));
	addrset_pages_free(s->w, (s->mask + 1) * sizeof(*s->w));
	s->v = NULL;
	s->w = NULL;
}

size_t addrset_hash(int family, const uint8_t *a)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)family;
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

/* The entry itself, for the functions that change it. */
static struct addrset_entry *find(const struct addrset *s, int family, const uint8_t *a, time_t now)
{
	size_t h = addrset_hash(family, a), n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < ADDRSET_PROBES; i++) {
		struct addrset_entry *e = &s->v[(h + i) & s->mask];
		if (e->family == family && e->expires > now && memcmp(e->addr, a, n) == 0)
			return e;
	}
	return NULL;
}

const struct addrset_entry *addrset_find(const struct addrset *s, int family, const uint8_t *a,
                                         time_t now)
{
	return find(s, family, a, now);
}

const struct addrset_entry *addrset_put(struct addrset *s, int family, const uint8_t *a,
                                        time_t expires, uint64_t lists, bool endpoint, time_t now,
                                        struct addrset_entry *evicted)
{
	size_t h = addrset_hash(family, a), n = family == AF_INET ? 4 : 16;
	struct addrset_entry *victim = NULL, *e = find(s, family, a, now);

	evicted->family = 0;
	if (e) {
		if (expires > e->expires)
			e->expires = expires;
		e->lists |= lists;
		e->endpoint |= endpoint;
		return e;
	}
	for (size_t i = 0; i < ADDRSET_PROBES; i++) {
		e = &s->v[(h + i) & s->mask];
		if (!e->family || e->expires <= now) {
			victim = e;
			break;
		}
		if (!victim || e->expires < victim->expires)
			victim = e;
	}
	if (victim->family && victim->expires > now)
		*evicted = *victim;
	victim->family = (uint8_t)family;
	memset(victim->addr, 0, sizeof(victim->addr));
	memcpy(victim->addr, a, n);
	victim->expires = expires;
	victim->lists = lists;
	victim->endpoint = endpoint;
	if (s->w) /* a new address: the slot's old witnesses were another's */
		s->w[victim - s->v].n = 0;
	return victim;
}

const struct addrset_witnesses *addrset_witness(struct addrset *s, int family, const uint8_t *a,
                                                const char *domain, size_t len, time_t expires,
                                                time_t now)
{
	struct addrset_entry gone;
	const struct addrset_entry *e = addrset_put(s, family, a, expires, 0, false, now, &gone);
	struct addrset_witnesses *w = &s->w[e - s->v];
	char cut[ADDRSET_WITNESS_MAX];

	if (len >= sizeof(cut))
		len = sizeof(cut) - 1;
	memcpy(cut, domain, len);
	cut[len] = '\0';
	for (unsigned i = 0; i < w->n; i++)
		if (strcmp(w->domain[i], cut) == 0)
			return w;
	if (w->n < ADDRSET_WITNESSES)
		memcpy(w->domain[w->n++], cut, len + 1);
	return w;
}

const struct addrset_witnesses *addrset_witnesses_of(const struct addrset *s,
                                                     const struct addrset_entry *e)
{
	return e && s->w ? &s->w[e - s->v] : NULL;
}

bool addrset_take(struct addrset *s, int family, const uint8_t *a, time_t now,
                  struct addrset_entry *old)
{
	struct addrset_entry *e = find(s, family, a, now);

	if (!e)
		return false;
	if (old)
		*old = *e;
	e->expires = 0;
	return true;
}

void addrset_floor(struct addrset *s, time_t until, time_t now)
{
	for (size_t i = 0; i <= s->mask; i++) {
		struct addrset_entry *e = &s->v[i];
		if (e->family && e->expires > now && e->expires < until)
			e->expires = until;
	}
}

void addrset_remap(struct addrset *s, const uint8_t map[64])
{
	for (size_t i = 0; i <= s->mask; i++) {
		struct addrset_entry *e = &s->v[i];
		uint64_t lists = 0;
		if (!e->family || !e->lists)
			continue;
		for (unsigned b = 0; b < 64; b++)
			if (e->lists >> b & 1u && map[b] < 64)
				lists |= 1ull << map[b];
		e->lists = lists;
		if (!lists && !e->endpoint)
			e->expires = 0;
	}
}
