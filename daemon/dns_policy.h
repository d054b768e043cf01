/* The forwarder's decisions, apart from its sockets: what to answer a query
 * itself during a break (lists in force, the bypass hygiene rules), what a
 * relayed answer adds to the address sets and takes out of them as shared,
 * and what the stats count a blocked query under. Pure: no libevent, no I/O,
 * no clock reads, no allocation; the caller passes the lookups and the time. */
#ifndef SMB_DNS_POLICY_H
#define SMB_DNS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addrset.h"
#include "conf.h"
#include "dns_msg.h"
#include "domains.h"
#include "lists.h"
#include "nft_msg.h"

/* The bypass rules written in the code: names whose answer is part of a
 * protocol rather than a site. The DoH/DoT endpoints come from bypass.list. */
enum dns_policy_rule {
	DNS_POLICY_RULE_NONE,
	DNS_POLICY_RULE_CANARY, /* "no DoH here" (use-application-dns.net, mask.icloud.com) */
	DNS_POLICY_RULE_DDR,    /* discovery of designated resolvers (resolver.arpa) */
};

/* Which built-in rule a name (presentation form, lowercased, no trailing dot,
 * `len` bytes and NUL-terminated) falls under. */
enum dns_policy_rule dns_policy_builtin(const char *name, size_t len);

enum dns_policy_action {
	DNS_POLICY_RELAY, /* ask the upstreams */
	DNS_POLICY_BLOCK, /* a blocked answer of `mode`, with EDE 15 */
	DNS_POLICY_EMPTY, /* NOERROR with no data, with EDE 15 */
};

struct dns_policy_answer {
	enum dns_policy_action action;
	enum dns_msg_block mode; /* for DNS_POLICY_BLOCK */
	uint64_t lists;          /* the lists in force that block the name (0: a bypass rule) */
};

/* What to answer query q (which has its question). m: what its name matched
 * in the lists; in_bypass: whether it matched the DoH/DoT endpoints;
 * inforce: the lists blocked now (0: no break); blocked: the configured
 * answer for a blocked name. */
struct dns_policy_answer dns_policy_answer(const struct dns_msg_query *q,
                                           const struct domains_match *m, bool in_bypass,
                                           uint64_t inforce, enum conf_answer blocked);

/* What one answer changes: elements appended to add[] and del[] (the caller
 * leaves room for l->n_addrs in each), and counts of addresses learned, of
 * shared ones kept out and of learned ones evicted at the table's bound. */
struct dns_policy_learn {
	struct nft_elem *add, *del;
	size_t n_add, n_del;
	uint64_t learned, shared, evicted;
};

/* What an answer was for: the lists of its names (the question's and its
 * chain's domains match masks, block & ~allow), whether one is a DoH/DoT
 * endpoint, and whether one is a wildcard-IP service (nip.io and the like:
 * its addresses are whatever the name spells, so they teach nothing).
 * Neither lists nor endpoint: an unlisted answer. */
struct dns_policy_names {
	uint64_t lists;
	bool endpoint;
	bool wildcard;
};

/* Adds to *names what the answer's CNAME chain after the question name
 * matches in the lists and in the bypass lists (lists_bypass's names). The
 * question's own match comes in *names from the query (its endpoint flag
 * set for any bypass match): when set, the question is matched again here
 * to tell an endpoint from a wildcard-IP service. */
void dns_policy_chain_names(const struct domains *lists, const struct domains *bypass,
                            const struct dns_msg_learned *l, struct dns_policy_names *names);

/* The registrable domain of a name (lowercase, no trailing dot): its last
 * two labels, or three when the last is a two-letter country code and the
 * one before it a generic second level such as co, com, org or ac
 * (example.co.uk, example.com.au). A heuristic, not the public suffix list:
 * where it is wrong it mostly takes two sites for one (github.io), which
 * errs toward blocking. Returns its offset in name. */
size_t dns_policy_registrable(const char *name, size_t len);

/* Distinct registrable domains of names in no list that must answer with an
 * address, outside breaks, before it counts as shared. */
#define DNS_POLICY_SHARED_MIN 2
_Static_assert(DNS_POLICY_SHARED_MIN <= ADDRSET_WITNESSES, "the set keeps enough witnesses");

/* Whether a shared-set entry (with its witnesses) makes an address shared. */
bool dns_policy_is_shared(const struct addrset_witnesses *w);

/* Learns from a relayed answer at `now`. A listed answer's addresses go into
 * `learned` for their TTL clamped to ttl_min..ttl_max (and at least until
 * `floor`, a strict break's end, 0: none), with the answer's lists, and to
 * add[] with every list the address holds by then, unless they are shared.
 * An entry that gives way at the table's bound goes to del[]. An unlisted
 * answer outside a break (in_break false) makes the question's registrable
 * domain a witness of its addresses (in `shared`, made with witnesses, for
 * ttl_max); an address with DNS_POLICY_SHARED_MIN witnesses is shared, and
 * dropped from `learned` and sent to del[]: blocking a shared address (a
 * CDN's) would cut unlisted sites. During a break nothing here takes an
 * address out, so no query can unblock one; a wildcard-IP answer teaches
 * nothing at any time. */
void dns_policy_learn(struct addrset *learned, struct addrset *shared,
                      const struct dns_msg_learned *l, struct dns_policy_names names, bool in_break,
                      uint32_t ttl_min, uint32_t ttl_max, time_t floor, time_t now,
                      struct dns_policy_learn *out);

/* What the forwarder holds about an address, for smctl check: its entries
 * in the learned and shared tables (NULL when none) and the shared entry's
 * witnesses; the shipped resolver addresses of bypass.list. */
struct dns_policy_addr_facts {
	const struct addrset_entry *learned, *shared;
	const struct addrset_witnesses *witnesses;
	const struct lists_bypass *bypass;
};

/* smctl check ADDRESS: whether an address is blocked now and the sentence
 * that says why (into msg, DNS_POLICY_CHECK_MAX bytes), by the rule of the
 * reject rules: one of its lists in `inforce` (a list whose `addresses =`
 * range holds it, or whose names it answered: the learned entry), or an
 * endpoint's or a shipped resolver address during any break. */
#define DNS_POLICY_CHECK_MAX 640
bool dns_policy_check_addr(const struct conf *c, const struct dns_policy_addr_facts *f, int family,
                           const uint8_t *addr, uint64_t inforce, char *msg, size_t size);

/* What the stats count a blocked name under: the service whose entry matched,
 * else the name of the first list of `lists` (the lists in force that block
 * it), else "doh" for a bypass rule. Returns key or a static string; key has
 * room for VALUE_NAME_MAX + 1 bytes. */
const char *dns_policy_blocked_key(const struct conf *c, const struct domains *d, const char *name,
                                   size_t len, uint64_t lists, char *key, size_t size);

#endif
