/* The forwarder's decisions (see dns_policy.h): answering during a break,
 * learning from relayed answers, the stats key of a blocked query. Called on
 * every query, so nothing here allocates or looks a name up twice. */
#include "dns_policy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Names that browsers and operating systems ask to find out whether they may
 * go around this resolver: answered NXDOMAIN, they say "no DoH here". */
static const char *const canaries[] = {"use-application-dns.net", "mask.icloud.com",
                                       "mask-h2.icloud.com"};

#define DDR_ZONE     "resolver.arpa"
#define DDR_SUFFIX   "." DDR_ZONE
#define DDR_SUFFIX_N (sizeof(DDR_SUFFIX) - 1)

enum dns_policy_rule dns_policy_builtin(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(canaries) / sizeof(canaries[0]); i++)
		if (strcmp(name, canaries[i]) == 0)
			return DNS_POLICY_RULE_CANARY;
	if (strcmp(name, DDR_ZONE) == 0 ||
	    (len > DDR_SUFFIX_N && strcmp(name + len - DDR_SUFFIX_N, DDR_SUFFIX) == 0))
		return DNS_POLICY_RULE_DDR;
	return DNS_POLICY_RULE_NONE;
}

static enum dns_msg_block block_mode(enum conf_answer a)
{
	switch (a) {
	case CONF_ANSWER_NULL:
		return DNS_MSG_BLOCK_NULL;
	case CONF_ANSWER_REFUSED:
		return DNS_MSG_BLOCK_REFUSED;
	case CONF_ANSWER_NXDOMAIN:
		break;
	}
	return DNS_MSG_BLOCK_NXDOMAIN;
}

struct dns_policy_answer dns_policy_answer(const struct dns_msg_query *q,
                                           const struct domains_match *m, bool in_bypass,
                                           uint64_t inforce, enum conf_answer blocked)
{
	struct dns_policy_answer a = {DNS_POLICY_RELAY, DNS_MSG_BLOCK_NXDOMAIN, m->lists & inforce};

	if (!inforce)
		return a;
	switch (dns_policy_builtin(q->qname, q->qname_len)) {
	case DNS_POLICY_RULE_CANARY:
		a.action = DNS_POLICY_BLOCK; /* NXDOMAIN whatever blocked_answer says */
		return a;
	case DNS_POLICY_RULE_DDR:
		a.action = DNS_POLICY_EMPTY; /* there are no designated resolvers */
		return a;
	case DNS_POLICY_RULE_NONE:
		break;
	}
	if (!a.lists && !in_bypass)
		return a;
	/* An HTTPS or SVCB record has no "null" form: no data says it all. */
	if (q->qtype == DNS_MSG_T_HTTPS || q->qtype == DNS_MSG_T_SVCB) {
		a.action = DNS_POLICY_EMPTY;
	} else {
		a.action = DNS_POLICY_BLOCK;
		a.mode = block_mode(blocked);
	}
	return a;
}

uint64_t dns_policy_chain_lists(const struct domains *lists, const struct domains *bypass,
                                const struct dns_msg_learned *l, bool *endpoint)
{
	struct domains_match m;
	uint64_t out = 0;

	*endpoint = false;
	for (size_t i = 1; i < l->n_names; i++) {
		if (domains_match(lists, l->names[i].name, l->names[i].len, &m))
			out |= m.lists;
		if (domains_match(bypass, l->names[i].name, l->names[i].len, &m))
			*endpoint = true;
	}
	return out;
}

static void put_elem(struct nft_elem *e, int family, const uint8_t *addr, uint32_t ttl,
                     uint64_t lists, bool endpoint)
{
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(&e->addr, addr, family == AF_INET ? 4 : 16);
	e->timeout_ms = ttl * 1000;
	e->lists = lists;
	e->endpoint = endpoint;
}

static void learn_one(struct addrset *learned, const struct dns_msg_addr *a,
                      struct dns_policy_names names, time_t expires, time_t now,
                      struct dns_policy_learn *out)
{
	struct addrset_entry gone;
	const struct addrset_entry *e = addrset_put(learned, a->family, a->addr, expires,
	                                            names.lists, names.endpoint, now, &gone);

	/* every list the address holds, all until the entry's end: the kernel's
	 * sets say what the table says */
	put_elem(&out->add[out->n_add++], a->family, a->addr, (uint32_t)(e->expires - now),
	         e->lists, e->endpoint);
	out->learned++;
	if (gone.family) {
		put_elem(&out->del[out->n_del++], gone.family, gone.addr, 0, gone.lists,
		         gone.endpoint);
		out->evicted++;
	}
}

void dns_policy_learn(struct addrset *learned, struct addrset *shared,
                      const struct dns_msg_learned *l, struct dns_policy_names names,
                      uint32_t ttl_min, uint32_t ttl_max, time_t floor, time_t now,
                      struct dns_policy_learn *out)
{
	bool listed = names.lists || names.endpoint;

	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct dns_msg_addr *a = &l->addrs[i];
		struct addrset_entry old, gone;
		if (listed) {
			uint32_t ttl = a->ttl;
			if (ttl < ttl_min)
				ttl = ttl_min;
			if (ttl > ttl_max)
				ttl = ttl_max;
			if (addrset_find(shared, a->family, a->addr, now)) {
				out->shared++;
				continue;
			}
			time_t expires = now + ttl;
			learn_one(learned, a, names, expires > floor ? expires : floor, now, out);
		} else {
			addrset_put(shared, a->family, a->addr, now + ttl_max, 0, false, now,
			            &gone);
			if (addrset_take(learned, a->family, a->addr, now, &old))
				put_elem(&out->del[out->n_del++], a->family, a->addr, 0, old.lists,
				         old.endpoint);
		}
	}
}

/* "social, video" of the lists of a mask, as much as fits. */
static void list_names(const struct conf *c, uint64_t lists, char *out, size_t size)
{
	size_t off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->n_lists && off < size; i++)
		if (lists >> i & 1u) {
			int w = snprintf(out + off, size - off, "%s%s", off ? ", " : "",
			                 c->lists[i].name);
			if (w > 0)
				off += (size_t)w;
		}
}

static bool range_has(const struct conf_range *r, int family, const uint8_t *addr)
{
	if (r->family != family)
		return false;
	for (unsigned bit = 0; bit < r->len; bit++) {
		uint8_t m = (uint8_t)(0x80u >> (bit % 8));
		if ((addr[bit / 8] & m) != (r->addr[bit / 8] & m))
			return false;
	}
	return true;
}

/* The lists whose `addresses =` hold addr, and the entry to name (one of a
 * list in force, when there is one). */
static uint64_t ranges_of(const struct conf *c, int family, const uint8_t *addr, uint64_t inforce,
                          const struct conf_range **first, size_t *first_list)
{
	uint64_t lists = 0;

	*first = NULL;
	for (size_t i = 0; i < c->n_lists; i++)
		for (size_t j = 0; j < c->lists[i].n_addresses; j++) {
			const struct conf_range *r = &c->lists[i].addresses[j];
			if (!range_has(r, family, addr))
				continue;
			lists |= 1ull << i;
			if (!*first || (!(inforce >> *first_list & 1u) && inforce >> i & 1u)) {
				*first = r;
				*first_list = i;
			}
		}
	return lists;
}

static void learned_msg(const struct conf *c, const struct addrset_entry *e, const char *text,
                        bool blocked, char *msg, size_t size)
{
	char when[32], names[128];
	struct tm tm;

	localtime_r(&e->expires, &tm);
	strftime(when, sizeof(when), "%a %H:%M", &tm);
	list_names(c, e->lists, names, sizeof(names));
	if (e->lists)
		snprintf(msg, size,
		         "%s is in the sets of list %s%s, learned from a listed name, until %s; %s",
		         text, names, e->endpoint ? " and of the DoH/DoT endpoints" : "", when,
		         blocked ? "it is blocked now"
		                 : "it is blocked during breaks with its lists");
	else
		snprintf(msg, size, "%s is in the sets of the DoH/DoT endpoints until %s; %s", text,
		         when, blocked ? "it is blocked now" : "it is blocked during every break");
}

bool dns_policy_check_addr(const struct conf *c, const struct addrset_entry *learned,
                           const struct addrset_entry *shared, int family, const uint8_t *addr,
                           uint64_t inforce, char *msg, size_t size)
{
	char text[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	const struct conf_range *range;
	size_t range_list = 0;
	uint64_t lists = ranges_of(c, family, addr, inforce, &range, &range_list);
	bool blocked;

	lists |= learned ? learned->lists : 0;
	blocked = (lists & inforce) || (learned && learned->endpoint && inforce);
	inet_ntop(family, addr, text, sizeof(text));
	if (range) {
		inet_ntop(family, range->addr, net, sizeof(net));
		snprintf(
		    msg, size, "%s is in %s/%u, an address range of list %s (%s:%u); %s", text, net,
		    range->len, c->lists[range_list].name, c->path ? c->path : "?", range->line,
		    blocked ? "it is blocked now" : "it is blocked during breaks with the list");
	} else if (shared) {
		snprintf(
		    msg, size,
		    "%s is shared: it also answered a name in no list, so it is kept out of the "
		    "sets (names are still blocked by DNS)",
		    text);
	} else if (learned) {
		learned_msg(c, learned, text, blocked, msg, size);
	} else {
		snprintf(msg, size, "%s is not in the sets: no answer for a listed name held it",
		         text);
	}
	return blocked;
}

const char *dns_policy_blocked_key(const struct conf *c, const struct domains *d, const char *name,
                                   size_t len, uint64_t lists, char *key, size_t size)
{
	unsigned i = lists ? (unsigned)__builtin_ctzll(lists) : SMB_LISTS_MAX;

	if (i >= c->n_lists)
		return "doh";
	const struct conf_list *l = &c->lists[i];
	/* Which entry matched only matters to a list with services, and finding
	 * it costs as much again as the match itself. */
	if (l->n_services) {
		struct domains_why why;
		const char *src = NULL;
		domains_explain(d, name, len, i, &why);
		if (why.block.found)
			src = domains_origin(d, why.block.origin, NULL, NULL);
		if (src && strncmp(src, "service ", 8) == 0) {
			snprintf(key, size, "%s", src + 8);
			return key;
		}
	}
	return l->name;
}
