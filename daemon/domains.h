/* Domain matching: an immutable set of list entries (block and allow, from up
 * to 64 lists) built once per (re)load, and an allocation-free lookup that the
 * DNS forwarder calls on every query. Pure: no I/O, no logging, no libevent.
 *
 * Layout: one arena holds every entry as [len u8][name][origin u16][line u32];
 * an open-addressing table (linear probing, one fingerprint byte plus one
 * 32-bit arena offset per slot, load <= 0.75) indexes it, with a 4-bit-per-
 * entry filter in front that keeps most misses in a core's cache. A name matches an
 * entry if it equals it or is a subdomain of it on a label boundary; the
 * lookup hashes every suffix of the query in one right-to-left pass and probes
 * each, so a miss costs one probe per label whatever the size of the list.
 *
 * Allow entries belong to a list like block entries: an allow entry of list L
 * that matches the name (at any level, the name itself or a parent) frees the
 * name from list L's block entries, however deep those are. Other lists are
 * not affected. */
#ifndef SMB_DOMAINS_H
#define SMB_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value.h"

#define DOMAINS_NAME_MAX    253        /* bytes of a name, no trailing dot */
#define DOMAINS_LABEL_MAX   63         /* bytes of a label */
#define DOMAINS_INPUT_MAX   1024       /* bytes of a name as written (UTF-8 before punycode) */
#define DOMAINS_ORIGINS_MAX 65000      /* sources (services, files, config keys) */
#define DOMAINS_ENTRIES_MAX (1u << 24) /* entries, about 16.7 million */

struct domains;
struct domains_builder;

/* The result of a lookup: bit i stands for list i. */
struct domains_match {
	uint64_t lists; /* lists that block the name: block & ~allow */
	uint64_t block; /* lists with a block entry equal to the name or a parent */
	uint64_t allow; /* lists with an allow entry equal to the name or a parent */
	/* The deepest block entry of a list in `lists`: its labels (the name's
	 * last `labels` labels are the entry; 0 when nothing blocks) and the
	 * lists in `lists` it is a block entry of. A blocked answer's SOA is
	 * owned by it, without a second lookup. */
	unsigned labels;
	uint64_t labels_lists;
};

/* One matched entry, for explanations (smctl check). */
struct domains_hit {
	bool found;
	char entry[DOMAINS_NAME_MAX + 1]; /* the entry that matched, NUL-terminated */
	uint32_t origin;                  /* domains_origin() tells where it came from */
	uint32_t line;                    /* line in the origin, 0 when not from a file */
};

/* Why a name is or is not blocked by one list: the deepest block entry and the
 * deepest allow entry of that list that match it. Blocked = block.found &&
 * !allow.found. */
struct domains_why {
	struct domains_hit block;
	struct domains_hit allow;
};

struct domains_builder *domains_builder_new(void);
/* Frees a builder that was not finished (NULL-safe). */
void domains_builder_free(struct domains_builder *b);
/* Registers a source of entries: `list` (0 .. SMB_LISTS_MAX-1), whether its
 * entries are allow entries, and a description the caller chooses (a path,
 * "service facebook", "domains ="). Returns the origin id (>= 0), or -E2BIG
 * past DOMAINS_ORIGINS_MAX or for a list index out of range, or -ENOMEM. */
int domains_builder_origin(struct domains_builder *b, unsigned list, bool allow,
                           const char *source);
/* Adds one entry from `origin` (line 0 when not from a file). The name is
 * normalised as by domains_normalize. Returns 0, -EINVAL for a name that is
 * not valid (the builder is unchanged), -E2BIG past DOMAINS_ENTRIES_MAX or
 * -ENOMEM. The same name from several origins is kept once; the first origin
 * for each (list, kind) is the one explanations name. */
int domains_builder_add(struct domains_builder *b, const char *name, size_t len, uint32_t origin,
                        uint32_t line);
/* Indexes the entries and returns the finished structure; the builder is
 * consumed whatever the result. NULL only on ENOMEM. */
struct domains *domains_builder_finish(struct domains_builder *b);

void domains_free(struct domains *d);

/* Looks `name` up (presentation form, any case, an optional trailing dot, no
 * allocation). Fills *m and returns whether any list blocks the name. A name
 * that is empty, the root, or longer than DOMAINS_NAME_MAX matches nothing. */
bool domains_match(const struct domains *d, const char *name, size_t len, struct domains_match *m);
/* Explains the result for one list; slower than domains_match, for smctl check. */
void domains_explain(const struct domains *d, const char *name, size_t len, unsigned list,
                     struct domains_why *why);

/* Calls fn for every distinct entry, in no particular order: its name (not
 * NUL-terminated) and the lists it is a block and an allow entry of. A
 * non-zero return stops the walk and is returned. */
typedef int (*domains_entry_fn)(void *ctx, const char *name, size_t len, uint64_t block,
                                uint64_t allow);
int domains_foreach(const struct domains *d, domains_entry_fn fn, void *ctx);

/* Distinct entries (a name in several lists counts once). */
size_t domains_count(const struct domains *d);
/* Entries that came from one origin's first use (for the per-list load summary). */
size_t domains_origin_count(const struct domains *d, uint32_t origin);
/* Bytes held by the structure. */
size_t domains_memory(const struct domains *d);
/* Where an origin id came from; returns the source text, or NULL for an
 * unknown id. `list` and `allow` may be NULL. */
const char *domains_origin(const struct domains *d, uint32_t origin, unsigned *list, bool *allow);

/* Normalises a name as written in a list or the config: trailing dot removed,
 * ASCII lowercased, every non-ASCII label converted to punycode ("xn--...")
 * after lowercasing Latin, Greek and Cyrillic letters; then checked: labels of
 * [a-z0-9_-], 1..63 bytes, at most 253 bytes in all, top label not numeric
 * (so an address is refused), no '/' (a URL is refused). The one rule for a
 * name in the config, a list file and a control request alike.
 * `out` has room for DOMAINS_NAME_MAX + 1 bytes and is NUL-terminated.
 * Returns 0, or -EINVAL with a short reason in *why (a static string). */
int domains_normalize(const char *in, size_t len, char *out, size_t *outlen, const char **why);

/* RFC 3492 punycode of `n` code points (no "xn--" prefix). Returns the length
 * written (NUL-terminated), or -ERANGE when it does not fit in `cap` bytes or
 * the arithmetic would overflow, -EINVAL for a code point over U+10FFFF. */
int domains_punycode(const uint32_t *cps, size_t n, char *out, size_t cap);

#endif
