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

/* CNAME cloaking: an unlisted name whose relayed answer's CNAME chain reaches
 * a name blocked now (a list in force, or the endpoints during any break) is
 * answered as that name would be, so a first-party alias of a listed CDN
 * cannot carry it through a break. q_allow: the lists whose allow entries
 * free the question name (their blocks of the chain do not count, as the
 * user said that name is fine). Returns the answer to make (DNS_POLICY_RELAY:
 * relay as is) and, when blocking, in *at the index in l->names of the first
 * name that blocks it. */
struct dns_policy_answer dns_policy_cloak(const struct dns_msg_query *q,
                                          const struct domains *lists, const struct domains *bypass,
                                          const struct dns_msg_learned *l, uint64_t q_allow,
                                          uint64_t inforce, enum conf_answer blocked, size_t *at);

/* The cloaked names seen lately, for smctl check: question name -> the chain
 * to the name that blocked it. A small ring: the newest replaces the oldest,
 * and a name seen again replaces its own entry. */
#define DNS_POLICY_CLOAKS      32
#define DNS_POLICY_CLOAK_CHAIN 512 /* "a.example -> b.example -> listed.example" */

struct dns_policy_cloak_seen {
	char name[DNS_MSG_NAME_MAX + 1];    /* the question name, presentation form */
	char target[DNS_MSG_NAME_MAX + 1];  /* the chain name that is blocked */
	char chain[DNS_POLICY_CLOAK_CHAIN]; /* the chain up to target, cut at a name */
	time_t seen;
};

struct dns_policy_cloaks {
	struct dns_policy_cloak_seen e[DNS_POLICY_CLOAKS];
	size_t next;
};

/* Records that l's question name reached l->names[at] (at >= 1) at `now`.
 * Names too long for an entry are not recorded. */
void dns_policy_cloak_note(struct dns_policy_cloaks *c, const struct dns_msg_learned *l, size_t at,
                           time_t now);
/* The entry for `name` (presentation form, lowercased), or NULL. */
const struct dns_policy_cloak_seen *dns_policy_cloak_find(const struct dns_policy_cloaks *c,
                                                          const char *name, size_t len);

/* Retransmission to the upstreams. A query goes to each upstream in turn,
 * DNS_POLICY_TRIES_PER_UP times each, and round again while it has had fewer
 * than DNS_POLICY_TRIES_MIN tries (one upstream gets 6 tries, two get 0, 0,
 * 1, 1, 0, 0). Each try waits its upstream's retransmission timeout, doubled
 * for each earlier try of the query there (at most 4 times): one lost
 * datagram costs a round trip, not a SERVFAIL, and a silent upstream is left
 * soon for the next. The timeout is estimated per upstream from the round
 * trips of its answers, as TCP does (RFC 6298) and Unbound does for DNS:
 * smoothed RTT plus four times its variation, within DNS_POLICY_RTO_MIN..MAX.
 * Each try has an id of its own, so the try an answer belongs to, and its
 * round trip, are known. */
#define DNS_POLICY_TRIES_PER_UP 2
#define DNS_POLICY_TRIES_MIN    6
#define DNS_POLICY_RTO_INIT     250  /* ms, before an upstream has answered */
#define DNS_POLICY_RTO_MIN      100  /* ms: below, a slow answer is asked twice for nothing */
#define DNS_POLICY_RTO_MAX      1500 /* ms, for one try */

struct dns_policy_rtt {
	uint32_t srtt_us, rttvar_us; /* 0 until the first answer */
	uint32_t rto_ms;
};

void dns_policy_rtt_init(struct dns_policy_rtt *r);
/* An answer came `rtt_us` microseconds after the try it answers was sent. */
void dns_policy_rtt_sample(struct dns_policy_rtt *r, uint32_t rtt_us);
/* Try number `t` (0, 1, ...) of a query to n_up upstreams: the index of the
 * upstream it goes to (in order from 0). False when the query has had all
 * its tries. */
bool dns_policy_try(unsigned t, size_t n_up, size_t *upstream);
/* How long try t waits for an answer before the next, from the estimate of
 * its upstream. */
uint32_t dns_policy_try_wait_ms(const struct dns_policy_rtt *r, unsigned t, size_t n_up);

/* Polling for a fast upstream's answer rather than sleeping. Waking an idle
 * CPU costs tens of microseconds where the CPU halts when idle (a virtual
 * machine's HLT exit and IPI, a deep C-state), which is more than a local
 * upstream (systemd-resolved, a local unbound or dnsmasq) takes to answer:
 * the wake-up, not the work, was most of the latency this daemon added on a
 * CPU of its own. So after a try to an upstream whose smoothed round trip is
 * at most DNS_POLICY_POLL_RTT_US, with at most DNS_POLICY_POLL_INFLIGHT
 * queries in flight, the loop polls for the answer for as long as it is
 * expected (srtt + 4 rttvar, at most twice DNS_POLICY_POLL_RTT_US). With
 * more in flight there is work to wake for anyway, and polling would take
 * CPU that the load needs; a remote upstream (milliseconds) is slept for. */
#define DNS_POLICY_POLL_RTT_US   100
#define DNS_POLICY_POLL_INFLIGHT 4
/* Microseconds to poll after a try to the upstream of r while `inflight`
 * queries (this one included) wait for answers; 0: sleep. */
uint32_t dns_policy_poll_us(const struct dns_policy_rtt *r, size_t inflight);

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

/* Whether an answer's address may go into the sets at all: not unspecified,
 * loopback, link-local, multicast, broadcast or reserved (IPv4 0/8, 127/8,
 * 169.254/16, 224/4, 240/4; IPv6 ::, ::1, fe80::/10, ff00::/8, and the
 * IPv4-mapped ::ffff:0:0/96, which no AAAA record should hold). A listed
 * name answered with one of them (a filtering upstream's 0.0.0.0 or ::, a
 * hosts file's 127.0.0.1) would otherwise have a break cut the machine's
 * own loopback or its link. */
bool dns_policy_learnable(int family, const uint8_t *addr);

/* Whether addr is one of addrs (their ports aside): the forwarder's own
 * listen and upstream addresses are never learned either, or a break would
 * cut DNS itself (a Pi-hole answering blocked names with its own address). */
bool dns_policy_addr_in(const struct value_addr *addrs, size_t n, int family, const uint8_t *addr);

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
