/* Domain matching: the builder collects entries in one arena, the finished
 * structure indexes them with an open-addressing table, and the lookup walks
 * a query from its full name to each parent suffix. See domains.h. */
#include "domains.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Entries in the arena: [len u8][name: len bytes][origin u16][line u32].
 * ORIGIN_MULTI marks a name that several (list, kind) pairs share: its line
 * field then indexes `multi`. ORIGIN_DEAD marks a duplicate dropped at finish. */
#define ENTRY_META   6
#define ORIGIN_MULTI 0xffffu
#define ORIGIN_DEAD  0xfffeu
#define NO_SOURCE    UINT32_MAX

#define HASH_MUL 0x100000001b3ull /* FNV-1a's prime: one multiply per byte */

/* A growable buffer in its own mapping: growing with mremap moves pages
 * instead of copying them, so a reload never holds two copies of an arena,
 * and untouched capacity is not resident. */
struct bigbuf {
	uint8_t *p;
	size_t len, cap;
};

struct origin {
	char *source;
	uint8_t list;
	bool allow;
	size_t count;
};

/* A name shared by several (list, kind) pairs, and the first source of each. */
struct multi {
	uint64_t block, allow;
	uint32_t first; /* index into sources, chained through next */
};

struct source {
	uint16_t origin;
	uint32_t line;
	uint32_t next;
};

struct domains_builder {
	struct bigbuf arena;
	size_t n;
	struct origin *origins;
	size_t n_origins;
	bool failed; /* an allocation failed; finish returns NULL */
};

struct domains {
	struct bigbuf arena;
	size_t n;
	uint8_t *ctrl; /* 0 empty, else a fingerprint of the hash */
	uint32_t *off; /* arena offset of each slot's entry */
	size_t n_slots;
	/* One bit per hash, about 4 bits an entry and small enough to stay in
	 * a core's L2 cache: most suffixes of a miss stop here, so a miss costs
	 * about the same with 1k entries as with 1M. */
	uint64_t *filter;
	uint64_t filter_mask; /* bits - 1 */
	uint64_t seed;
	unsigned min_labels, max_labels;
	struct origin *origins;
	size_t n_origins;
	struct multi *multi;
	size_t n_multi, cap_multi;
	struct source *sources;
	size_t n_sources, cap_sources;
};

/* Grows an array of `size`-byte items to hold one more; doubling keeps a
 * long run of merges linear. */
static int grow(void **p, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	void *np = realloc(*p, c * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = c;
	return 0;
}

static int bigbuf_reserve(struct bigbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : (1u << 20);
	while (cap < b->len + more)
		cap *= 2;
	void *p = b->p
	              ? mremap(b->p, b->cap, cap, MREMAP_MAYMOVE)
	              : mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/* Returns the unused tail of the mapping to the kernel. */
static void bigbuf_shrink(struct bigbuf *b)
{
	size_t page = 4096;
	size_t want = (b->len + page - 1) / page * page;
	if (!b->p || want >= b->cap)
		return;
	if (want == 0) {
		munmap(b->p, b->cap);
		b->p = NULL;
		b->cap = 0;
		return;
	}
	void *p = mremap(b->p, b->cap, want, 0);
	if (p != MAP_FAILED)
		b->cap = want;
}

static void bigbuf_free(struct bigbuf *b)
{
	if (b->p)
		munmap(b->p, b->cap);
	b->p = NULL;
	b->len = b->cap = 0;
}

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static inline size_t slot_of(const struct domains *d, uint64_t h)
{
	return (size_t)(((h >> 32) * (uint64_t)d->n_slots) >> 32);
}

static inline uint8_t fp_of(uint64_t h)
{
	uint8_t f = (uint8_t)h;
	return f ? f : 1;
}

static inline uint64_t filter_bit(const struct domains *d, uint64_t h)
{
	return (h >> 8) & d->filter_mask;
}

static inline bool filter_has(const struct domains *d, uint64_t h)
{
	uint64_t b = filter_bit(d, h);
	return d->filter[b >> 6] >> (b & 63) & 1;
}

/* The hash of a whole name, the same value the lookup computes for a suffix:
 * bytes are folded right to left, so each suffix's hash is a prefix of the walk. */
static uint64_t hash_name(uint64_t seed, const uint8_t *s, size_t len)
{
	uint64_t h = seed;
	for (size_t i = len; i-- > 0;)
		h = (h ^ s[i]) * HASH_MUL;
	return mix(h);
}

static inline uint16_t entry_origin(const uint8_t *e)
{
	uint16_t o;
	memcpy(&o, e + 1 + e[0], 2);
	return o;
}

static inline uint32_t entry_line(const uint8_t *e)
{
	uint32_t l;
	memcpy(&l, e + 1 + e[0] + 2, 4);
	return l;
}

static inline void entry_set(uint8_t *e, uint16_t origin, uint32_t line)
{
	memcpy(e + 1 + e[0], &origin, 2);
	memcpy(e + 1 + e[0] + 2, &line, 4);
}

static unsigned count_labels(const uint8_t *s, size_t len)
{
	unsigned n = 1;
	for (size_t i = 0; i < len; i++)
		n += s[i] == '.';
	return n;
}

/* ---- builder ---- */

struct domains_builder *domains_builder_new(void)
{
	return calloc(1, sizeof(struct domains_builder));
}

static void origins_free(struct origin *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(o[i].source);
	free(o);
}

void domains_builder_free(struct domains_builder *b)
{
	if (!b)
		return;
	bigbuf_free(&b->arena);
	origins_free(b->origins, b->n_origins);
	free(b);
}

int domains_builder_origin(struct domains_builder *b, unsigned list, bool allow, const char *source)
{
	if (list >= SMB_LISTS_MAX || b->n_origins >= DOMAINS_ORIGINS_MAX)
		return -E2BIG;
	struct origin *o = realloc(b->origins, (b->n_origins + 1) * sizeof(*o));
	if (!o)
		return -ENOMEM;
	b->origins = o;
	char *s = strdup(source ? source : "");
	if (!s)
		return -ENOMEM;
	o[b->n_origins] = (struct origin){.source = s, .list = (uint8_t)list, .allow = allow};
	return (int)b->n_origins++;
}

int domains_builder_add(struct domains_builder *b, const char *name, size_t len, uint32_t origin,
                        uint32_t line)
{
	char norm[DOMAINS_NAME_MAX + 1];
	size_t n;
	if (origin >= b->n_origins)
		return -EINVAL;
	if (domains_normalize(name, len, norm, &n, NULL) < 0)
		return -EINVAL;
	if (b->n >= DOMAINS_ENTRIES_MAX || b->arena.len + n + 1 + ENTRY_META > UINT32_MAX)
		return -E2BIG;
	if (bigbuf_reserve(&b->arena, n + 1 + ENTRY_META) < 0) {
		b->failed = true;
		return -ENOMEM;
	}
	uint8_t *e = b->arena.p + b->arena.len;
	e[0] = (uint8_t)n;
	memcpy(e + 1, norm, n);
	entry_set(e, (uint16_t)origin, line);
	b->arena.len += n + 1 + ENTRY_META;
	b->n++;
	b->origins[origin].count++;
	return 0;
}

static inline bool names_equal(const uint8_t *e, const uint8_t *q, size_t len)
{
	if (e[0] != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (e[1 + i] != lower(q[i]))
			return false;
	return true;
}

/* Finds the slot of a name, or the empty slot where it would go. */
static size_t probe(const struct domains *d, uint64_t h, const uint8_t *q, size_t len, bool *found)
{
	size_t s = slot_of(d, h);
	uint8_t fp = fp_of(h);
	for (;;) {
		uint8_t c = d->ctrl[s];
		if (c == 0) {
			*found = false;
			return s;
		}
		if (c == fp && names_equal(d->arena.p + d->off[s], q, len)) {
			*found = true;
			return s;
		}
		if (++s == d->n_slots)
			s = 0;
	}
}

/* Appends a source; returns its index or -ENOMEM. */
static long long source_add(struct domains *d, uint16_t origin, uint32_t line, uint32_t next)
{
	if (d->n_sources >= UINT32_MAX - 1)
		return -ENOMEM;
	if (grow((void **)&d->sources, d->n_sources, &d->cap_sources, sizeof(struct source)) < 0)
		return -ENOMEM;
	d->sources[d->n_sources] = (struct source){.origin = origin, .line = line, .next = next};
	return (long long)d->n_sources++;
}

/* Folds a duplicate entry (origin o, line l) into the kept entry e. The
 * sources of a shared name are chained newest first. */
static int merge(struct domains *d, uint8_t *e, uint16_t o, uint32_t l)
{
	const struct origin *no = &d->origins[o];
	uint64_t bit = 1ull << no->list;
	uint16_t eo = entry_origin(e);
	if (eo != ORIGIN_MULTI) {
		const struct origin *ko = &d->origins[eo];
		if (ko->list == no->list && ko->allow == no->allow)
			return 0; /* the first source of this (list, kind) stays */
		if (grow((void **)&d->multi, d->n_multi, &d->cap_multi, sizeof(struct multi)) < 0)
			return -ENOMEM;
		struct multi *nm = &d->multi[d->n_multi];
		*nm = (struct multi){0};
		*(ko->allow ? &nm->allow : &nm->block) |= 1ull << ko->list;
		*(no->allow ? &nm->allow : &nm->block) |= bit;
		long long first = source_add(d, eo, entry_line(e), NO_SOURCE);
		long long second = first < 0 ? first : source_add(d, o, l, (uint32_t)first);
		if (second < 0)
			return -ENOMEM;
		nm->first = (uint32_t)second;
		entry_set(e, ORIGIN_MULTI, (uint32_t)d->n_multi++);
		return 0;
	}
	struct multi *m = &d->multi[entry_line(e)];
	uint64_t *mask = no->allow ? &m->allow : &m->block;
	if (*mask & bit)
		return 0;
	long long i = source_add(d, o, l, m->first);
	if (i < 0)
		return -ENOMEM;
	*mask |= bit;
	m->first = (uint32_t)i;
	return 0;
}

/* Inserts every live entry of the arena; duplicates are merged and marked dead.
 * Returns the bytes of dead entries, or -ENOMEM. */
static long long index_all(struct domains *d)
{
	long long dead = 0;
	d->min_labels = UINT32_MAX;
	d->max_labels = 0;
	d->n = 0;
	if (!d->arena.p)
		return 0;
	uint8_t *p = d->arena.p, *end = d->arena.p + d->arena.len;
	while (p < end) {
		size_t sz = 1 + p[0] + ENTRY_META;
		uint16_t o = entry_origin(p);
		if (o == ORIGIN_DEAD) {
			dead += (long long)sz;
			p += sz;
			continue;
		}
		uint64_t h = hash_name(d->seed, p + 1, p[0]);
		bool found;
		size_t s = probe(d, h, p + 1, p[0], &found);
		if (found) {
			if (merge(d, d->arena.p + d->off[s], o, entry_line(p)) < 0)
				return -ENOMEM;
			entry_set(p, ORIGIN_DEAD, 0);
			dead += (long long)sz;
		} else {
			d->ctrl[s] = fp_of(h);
			d->off[s] = (uint32_t)(p - d->arena.p);
			uint64_t fb = filter_bit(d, h);
			d->filter[fb >> 6] |= 1ull << (fb & 63);
			d->n++;
			unsigned nl = count_labels(p + 1, p[0]);
			if (nl < d->min_labels)
				d->min_labels = nl;
			if (nl > d->max_labels)
				d->max_labels = nl;
		}
		p += sz;
	}
	return dead;
}

/* Slides the live entries down over the dead ones. */
static void compact(struct domains *d)
{
	if (!d->arena.p)
		return;
	uint8_t *r = d->arena.p, *w = d->arena.p, *end = d->arena.p + d->arena.len;
	while (r < end) {
		size_t sz = 1 + r[0] + ENTRY_META;
		if (entry_origin(r) != ORIGIN_DEAD) {
			memmove(w, r, sz);
			w += sz;
		}
		r += sz;
	}
	d->arena.len = (size_t)(w - d->arena.p);
}

static void *table_alloc(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int table_new(struct domains *d, size_t n)
{
	d->n_slots = n + n / 3 + 16; /* load <= 0.75 */
	d->ctrl = table_alloc(d->n_slots);
	d->off = table_alloc(d->n_slots * sizeof(uint32_t));
	uint64_t bits = 4096;
	while (bits < 4 * (uint64_t)n && bits < (1u << 22))
		bits *= 2;
	d->filter_mask = bits - 1;
	d->filter = table_alloc(bits / 8);
	return d->ctrl && d->off && d->filter ? 0 : -ENOMEM;
}

static void table_free(struct domains *d)
{
	if (d->filter)
		munmap(d->filter, (d->filter_mask + 1) / 8);
	d->filter = NULL;
	if (d->ctrl)
		munmap(d->ctrl, d->n_slots);
	if (d->off)
		munmap(d->off, d->n_slots * sizeof(uint32_t));
	d->ctrl = NULL;
	d->off = NULL;
}

static uint64_t make_seed(const void *salt)
{
	/* Per structure, so that names crafted to collide in one build do not
	 * collide in the next; not secret, only varied. */
	uint64_t t = (uint64_t)(uintptr_t)salt;
	return mix(t ^ (uint64_t)(uintptr_t)&make_seed ^ 0x9e3779b97f4a7c15ull);
}

struct domains *domains_builder_finish(struct domains_builder *b)
{
	struct domains *d = calloc(1, sizeof(*d));
	if (!d || b->failed)
		goto fail;
	d->arena = b->arena;
	b->arena = (struct bigbuf){0};
	d->origins = b->origins;
	d->n_origins = b->n_origins;
	b->origins = NULL;
	b->n_origins = 0;
	d->seed = make_seed(d);
	if (table_new(d, b->n) < 0)
		goto fail;
	long long dead = index_all(d);
	if (dead < 0)
		goto fail;
	/* Duplicates waste their bytes; re-index compactly when they are many. */
	if ((size_t)dead > d->arena.len / 16) {
		compact(d);
		table_free(d);
		if (table_new(d, d->n) < 0 || index_all(d) < 0)
			goto fail;
	}
	bigbuf_shrink(&d->arena);
	domains_builder_free(b);
	return d;
fail:
	domains_builder_free(b);
	domains_free(d);
	return NULL;
}

void domains_free(struct domains *d)
{
	if (!d)
		return;
	bigbuf_free(&d->arena);
	table_free(d);
	origins_free(d->origins, d->n_origins);
	free(d->multi);
	free(d->sources);
	free(d);
}

/* ---- lookup ---- */

/* Hashes of every suffix of a name, from the top label (index 0) down. A
 * query is not validated first, so it may have as many labels as bytes + 1
 * (all dots). */
struct suffixes {
	unsigned n;
	uint64_t h[DOMAINS_NAME_MAX + 2];
	uint8_t start[DOMAINS_NAME_MAX + 2];
};

static size_t trim(const char *name, size_t len)
{
	if (len > 0 && name[len - 1] == '.')
		len--;
	return len;
}

static void suffixes_of(const struct domains *d, const uint8_t *q, size_t len, struct suffixes *sx)
{
	uint64_t h = d->seed;
	sx->n = 0;
	for (size_t i = len; i-- > 0;) {
		uint8_t c = lower(q[i]);
		if (c == '.') {
			sx->h[sx->n] = mix(h);
			sx->start[sx->n] = (uint8_t)(i + 1);
			sx->n++;
		}
		h = (h ^ c) * HASH_MUL;
	}
	sx->h[sx->n] = mix(h);
	sx->start[sx->n] = 0;
	sx->n++;
}

bool domains_match(const struct domains *d, const char *name, size_t len, struct domains_match *m)
{
	const uint8_t *q = (const uint8_t *)name;
	struct suffixes sx;
	m->lists = m->block = m->allow = 0;
	m->labels = 0;
	m->labels_lists = 0;
	len = trim(name, len);
	if (len == 0 || len > DOMAINS_NAME_MAX || d->n == 0)
		return false;
	suffixes_of(d, q, len, &sx);
	unsigned lo = d->min_labels - 1, hi = d->max_labels < sx.n ? d->max_labels : sx.n;
	unsigned want[DOMAINS_NAME_MAX + 2], nw = 0, nf = 0;
	/* The block bits of each entry found, in want[]'s order (top down). */
	uint64_t found_block[DOMAINS_NAME_MAX + 2];
	/* Every probe is independent: start all the cache misses at once. */
	for (unsigned k = lo; k < hi; k++) {
		if (!filter_has(d, sx.h[k]))
			continue;
		__builtin_prefetch(&d->ctrl[slot_of(d, sx.h[k])]);
		want[nw++] = k;
	}
	for (unsigned i = 0; i < nw; i++) {
		unsigned k = want[i];
		bool found;
		size_t st = sx.start[k];
		size_t s = probe(d, sx.h[k], q + st, len - st, &found);
		if (!found)
			continue;
		const uint8_t *e = d->arena.p + d->off[s];
		uint16_t o = entry_origin(e);
		uint64_t block = 0;
		if (o == ORIGIN_MULTI) {
			const struct multi *mu = &d->multi[entry_line(e)];
			block = mu->block;
			m->allow |= mu->allow;
		} else {
			const struct origin * or = &d->origins[o];
			*(or->allow ? &m->allow : &block) |= 1ull << or->list;
		}
		m->block |= block;
		want[nf] = k;
		found_block[nf++] = block;
	}
	m->lists = m->block & ~m->allow;
	/* Only now is it known which lists block: the deepest entry of one of
	 * them. Suffix k has k + 1 labels. */
	for (unsigned i = nf; m->lists && i-- > 0;) {
		if (found_block[i] & m->lists) {
			m->labels = want[i] + 1;
			m->labels_lists = found_block[i] & m->lists;
			break;
		}
	}
	return m->lists != 0;
}

int domains_foreach(const struct domains *d, domains_entry_fn fn, void *ctx)
{
	for (size_t s = 0; s < d->n_slots; s++) {
		if (!d->ctrl[s])
			continue;
		const uint8_t *e = d->arena.p + d->off[s];
		uint16_t o = entry_origin(e);
		uint64_t block = 0, allow = 0;
		if (o == ORIGIN_DEAD)
			continue;
		if (o == ORIGIN_MULTI) {
			block = d->multi[entry_line(e)].block;
			allow = d->multi[entry_line(e)].allow;
		} else {
			*(d->origins[o].allow ? &allow : &block) |= 1ull << d->origins[o].list;
		}
		int r = fn(ctx, (const char *)e + 1, e[0], block, allow);
		if (r)
			return r;
	}
	return 0;
}

/* The first source of (list, kind) for an entry, or false. */
static bool entry_source(const struct domains *d, const uint8_t *e, unsigned list, bool allow,
                         uint32_t *origin, uint32_t *line)
{
	uint16_t o = entry_origin(e);
	if (o != ORIGIN_MULTI) {
		if (d->origins[o].list != list || d->origins[o].allow != allow)
			return false;
		*origin = o;
		*line = entry_line(e);
		return true;
	}
	bool hit = false;
	/* The chain is newest first; the last match in it is the first source. */
	for (uint32_t i = d->multi[entry_line(e)].first; i != NO_SOURCE; i = d->sources[i].next) {
		const struct source *s = &d->sources[i];
		if (d->origins[s->origin].list == list && d->origins[s->origin].allow == allow) {
			*origin = s->origin;
			*line = s->line;
			hit = true;
		}
	}
	return hit;
}

void domains_explain(const struct domains *d, const char *name, size_t len, unsigned list,
                     struct domains_why *why)
{
	const uint8_t *q = (const uint8_t *)name;
	struct suffixes sx;
	memset(why, 0, sizeof(*why));
	len = trim(name, len);
	if (len == 0 || len > DOMAINS_NAME_MAX || d->n == 0 || list >= SMB_LISTS_MAX)
		return;
	suffixes_of(d, q, len, &sx);
	/* Deepest first, so the first hit of each kind is the deepest. */
	for (unsigned k = sx.n; k-- > 0;) {
		bool found;
		size_t st = sx.start[k];
		size_t s = probe(d, sx.h[k], q + st, len - st, &found);
		if (!found)
			continue;
		const uint8_t *e = d->arena.p + d->off[s];
		for (int kind = 0; kind < 2; kind++) {
			struct domains_hit *hit = kind ? &why->allow : &why->block;
			if (hit->found || !entry_source(d, e, list, kind, &hit->origin, &hit->line))
				continue;
			hit->found = true;
			memcpy(hit->entry, e + 1, e[0]);
			hit->entry[e[0]] = '\0';
		}
	}
}

size_t domains_count(const struct domains *d)
{
	return d->n;
}

size_t domains_origin_count(const struct domains *d, uint32_t origin)
{
	return origin < d->n_origins ? d->origins[origin].count : 0;
}

size_t domains_memory(const struct domains *d)
{
	return sizeof(*d) + d->arena.cap + d->n_slots * (1 + sizeof(uint32_t)) +
	       (d->filter_mask + 1) / 8 + d->n_multi * sizeof(struct multi) +
	       d->n_sources * sizeof(struct source) + d->n_origins * sizeof(struct origin);
}

const char *domains_origin(const struct domains *d, uint32_t origin, unsigned *list, bool *allow)
{
	if (origin >= d->n_origins)
		return NULL;
	if (list)
		*list = d->origins[origin].list;
	if (allow)
		*allow = d->origins[origin].allow;
	return d->origins[origin].source;
}
