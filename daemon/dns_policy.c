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

void dns_policy_chain_names(const struct domains *lists, const struct domains *bypass,
                            const struct dns_msg_learned *l, struct dns_policy_names *names)
{
	struct domains_match m;

	if (names->endpoint && l->n_names > 0) {
		/* only DoH names and wildcard-IP services get here: rare enough
		 * for a second lookup */
		names->endpoint = false;
		if (domains_match(bypass, l->names[0].name, l->names[0].len, &m)) {
			names->endpoint = m.lists >> LISTS_BYPASS_ENDPOINT & 1u;
			names->wildcard = m.lists >> LISTS_BYPASS_WILDCARD & 1u;
		}
	}
	for (size_t i = 1; i < l->n_names; i++) {
		if (domains_match(lists, l->names[i].name, l->names[i].len, &m))
			names->lists |= m.lists;
		if (domains_match(bypass, l->names[i].name, l->names[i].len, &m)) {
			names->endpoint |= m.lists >> LISTS_BYPASS_ENDPOINT & 1u;
			names->wildcard |= m.lists >> LISTS_BYPASS_WILDCARD & 1u;
		}
	}
}

/* Second levels that registries of country codes sell below. */
static bool generic_sld(const char *label, size_t len)
{
	static const char *const slds[] = {"ac",  "co",  "com", "edu", "gob", "go",  "gov",
	                                   "gv",  "ltd", "me",  "mil", "ne",  "net", "nhs",
	                                   "nom", "or",  "org", "plc", "sch"};

	for (size_t i = 0; i < sizeof(slds) / sizeof(slds[0]); i++)
		if (strlen(slds[i]) == len && memcmp(slds[i], label, len) == 0)
			return true;
	return false;
}

size_t dns_policy_registrable(const char *name, size_t len)
{
	size_t dots[3], n = 0;

	for (size_t i = len; i > 0 && n < 3; i--)
		if (name[i - 1] == '.')
			dots[n++] = i - 1;
	if (n < 2)
		return 0;
	/* dots[0] ends the second level, dots[1] the third */
	size_t tld = len - dots[0] - 1, sld = dots[0] - dots[1] - 1;
	if (tld == 2 && generic_sld(name + dots[1] + 1, sld))
		return n == 3 ? dots[2] + 1 : 0;
	return dots[1] + 1;
}

bool dns_policy_is_shared(const struct addrset_witnesses *w)
{
	return w && w->n >= DNS_POLICY_SHARED_MIN;
}

struct dns_policy_answer dns_policy_cloak(const struct dns_msg_query *q,
                                          const struct domains *lists, const struct domains *bypass,
                                          const struct dns_msg_learned *l, uint64_t q_allow,
                                          uint64_t inforce, enum conf_answer blocked, size_t *at)
{
	struct dns_policy_answer a = {DNS_POLICY_RELAY, DNS_MSG_BLOCK_NXDOMAIN, 0};
	struct domains_match m;

	if (!inforce)
		return a;
	for (size_t i = 1; i < l->n_names; i++) {
		const struct dns_msg_name *n = &l->names[i];
		domains_match(lists, n->name, n->len, &m);
		m.lists &= ~q_allow;
		bool in_bypass = domains_match(bypass, n->name, n->len, &(struct domains_match){0});
		if (!(m.lists & inforce) && !in_bypass)
			continue;
		/* Answered as the question would be if it were listed where the
		 * chain name is: the type decides between no data and the
		 * configured answer, exactly as for a listed question. */
		a = dns_policy_answer(q, &m, in_bypass, inforce, blocked);
		*at = i;
		return a;
	}
	return a;
}

/* Appends "sep name" to a chain text of `size` bytes if the whole name fits. */
static bool chain_put(char *buf, size_t size, size_t *off, const char *sep, const char *name)
{
	int n = snprintf(buf + *off, size - *off, "%s%s", sep, name);

	if (n < 0 || (size_t)n >= size - *off) {
		buf[*off] = '\0';
		return false;
	}
	*off += (size_t)n;
	return true;
}

void dns_policy_cloak_note(struct dns_policy_cloaks *c, const struct dns_msg_learned *l, size_t at,
                           time_t now)
{
	struct dns_policy_cloak_seen *e = NULL;
	size_t off = 0;

	if (at == 0 || at >= l->n_names || l->names[0].len > DNS_MSG_NAME_MAX ||
	    l->names[at].len > DNS_MSG_NAME_MAX)
		return;
	for (size_t i = 0; i < DNS_POLICY_CLOAKS && !e; i++)
		if (strcmp(c->e[i].name, l->names[0].name) == 0)
			e = &c->e[i];
	if (!e) {
		e = &c->e[c->next];
		c->next = (c->next + 1) % DNS_POLICY_CLOAKS;
	}
	memcpy(e->name, l->names[0].name, l->names[0].len + 1);
	memcpy(e->target, l->names[at].name, l->names[at].len + 1);
	e->seen = now;
	/* The question and the target always; the names between while they fit. */
	chain_put(e->chain, sizeof(e->chain), &off, "", e->name);
	for (size_t i = 1; i < at; i++)
		if (!chain_put(e->chain, sizeof(e->chain) - DNS_MSG_NAME_MAX - 8, &off, " -> ",
		               l->names[i].name)) {
			chain_put(e->chain, sizeof(e->chain), &off, " -> ", "...");
			break;
		}
	chain_put(e->chain, sizeof(e->chain), &off, " -> ", e->target);
}

const struct dns_policy_cloak_seen *dns_policy_cloak_find(const struct dns_policy_cloaks *c,
                                                          const char *name, size_t len)
{
	for (size_t i = 0; i < DNS_POLICY_CLOAKS; i++)
		if (c->e[i].seen && strlen(c->e[i].name) == len &&
		    memcmp(c->e[i].name, name, len) == 0)
			return &c->e[i];
	return NULL;
}

void dns_policy_rtt_init(struct dns_policy_rtt *r)
{
	r->srtt_us = r->rttvar_us = 0;
	r->rto_ms = DNS_POLICY_RTO_INIT;
}

static uint32_t rto_clamp(uint64_t ms)
{
	return ms < DNS_POLICY_RTO_MIN   ? DNS_POLICY_RTO_MIN
	       : ms > DNS_POLICY_RTO_MAX ? DNS_POLICY_RTO_MAX
	                                 : (uint32_t)ms;
}

void dns_policy_rtt_sample(struct dns_policy_rtt *r, uint32_t rtt_us)
{
	if (rtt_us == 0)
		rtt_us = 1; /* 0 means "not measured yet" */
	if (!r->srtt_us) {
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
	} else {
		uint32_t d = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;
		r->rttvar_us = (uint32_t)(((uint64_t)r->rttvar_us * 3 + d) / 4);
		r->srtt_us = (uint32_t)(((uint64_t)r->srtt_us * 7 + rtt_us) / 8);
	}
	r->rto_ms = rto_clamp(((uint64_t)r->srtt_us + 4 * (uint64_t)r->rttvar_us) / 1000);
}

uint32_t dns_policy_poll_us(const struct dns_policy_rtt *r, size_t inflight)
{
	if (!r->srtt_us || r->srtt_us > DNS_POLICY_POLL_RTT_US || inflight == 0 ||
	    inflight > DNS_POLICY_POLL_INFLIGHT)
		return 0;
	uint64_t us = (uint64_t)r->srtt_us + 4 * (uint64_t)r->rttvar_us;
	return us < 2 * DNS_POLICY_POLL_RTT_US ? (uint32_t)us : 2 * DNS_POLICY_POLL_RTT_US;
}

bool dns_policy_try(unsigned t, size_t n_up, size_t *upstream)
{
	size_t round = n_up * DNS_POLICY_TRIES_PER_UP;

	if (!n_up || (t >= round && t >= DNS_POLICY_TRIES_MIN))
		return false;
	*upstream = t % round / DNS_POLICY_TRIES_PER_UP;
	return true;
}

uint32_t dns_policy_try_wait_ms(const struct dns_policy_rtt *r, unsigned t, size_t n_up)
{
	size_t round = n_up ? n_up * DNS_POLICY_TRIES_PER_UP : 1;
	/* Earlier tries of the query on the same upstream. */
	size_t k = t / round * DNS_POLICY_TRIES_PER_UP + t % DNS_POLICY_TRIES_PER_UP;

	return rto_clamp((uint64_t)r->rto_ms << (k < 2 ? k : 2));
}

bool dns_policy_learnable(int family, const uint8_t *a)
{
	static const uint8_t zero[16];

	if (family == AF_INET)
		return a[0] != 0 && a[0] != 127 && !(a[0] == 169 && a[1] == 254) && a[0] < 224;
	if (family != AF_INET6)
		return false;
	if (memcmp(a, zero, 15) == 0 && a[15] <= 1) /* :: and ::1 */
		return false;
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) /* ff00::/8, fe80::/10 */
		return false;
	return !(memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff); /* ::ffff:0:0/96 */
}

bool dns_policy_addr_in(const struct value_addr *addrs, size_t n, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < n; i++) {
		const struct sockaddr_storage *ss = &addrs[i].ss;
		if (ss->ss_family != family)
			continue;
		const void *a = family == AF_INET
		                    ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
		                    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		if (memcmp(a, addr, family == AF_INET ? 4 : 16) == 0)
			return true;
	}
	return false;
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

/* An unlisted answer outside a break: the question's registrable domain
 * witnesses each address; one shared by enough domains leaves the sets. */
static void witness(struct addrset *learned, struct addrset *shared,
                    const struct dns_msg_learned *l, uint32_t ttl_max, time_t now,
                    struct dns_policy_learn *out)
{
	if (l->n_names == 0)
		return;
	const char *q = l->names[0].name;
	size_t off = dns_policy_registrable(q, l->names[0].len);

	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct dns_msg_addr *a = &l->addrs[i];
		struct addrset_entry old;
		const struct addrset_witnesses *w = addrset_witness(
		    shared, a->family, a->addr, q + off, l->names[0].len - off, now + ttl_max, now);
		if (dns_policy_is_shared(w) && addrset_take(learned, a->family, a->addr, now, &old))
			put_elem(&out->del[out->n_del++], a->family, a->addr, 0, old.lists,
			         old.endpoint);
	}
}

void dns_policy_learn(struct addrset *learned, struct addrset *shared,
                      const struct dns_msg_learned *l, struct dns_policy_names names, bool in_break,
                      uint32_t ttl_min, uint32_t ttl_max, time_t floor, time_t now,
                      struct dns_policy_learn *out)
{
	if (names.wildcard)
		return;
	if (!names.lists && !names.endpoint) {
		if (!in_break)
			witness(learned, shared, l, ttl_max, now, out);
		return;
	}
	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct dns_msg_addr *a = &l->addrs[i];
		uint32_t ttl = a->ttl;
		if (ttl < ttl_min)
			ttl = ttl_min;
		if (ttl > ttl_max)
			ttl = ttl_max;
		const struct addrset_entry *sh = addrset_find(shared, a->family, a->addr, now);
		if (dns_policy_is_shared(addrset_witnesses_of(shared, sh))) {
			out->shared++;
			continue;
		}
		time_t expires = now + ttl;
		learn_one(learned, a, names, expires > floor ? expires : floor, now, out);
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

/* "a.example, b.example" of the witnesses. */
static void witness_names(const struct addrset_witnesses *w, char *out, size_t size)
{
	size_t off = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < w->n && off < size; i++) {
		int n = snprintf(out + off, size - off, "%s%s", i ? ", " : "", w->domain[i]);
		if (n > 0)
			off += (size_t)n;
	}
}

/* Why a learned address is still in the sets although names in no list
 * answered with it too (f->witnesses: not enough of them to share it). */
static void still_in_msg(const struct dns_policy_addr_facts *f, char *msg, size_t size)
{
	char names[ADDRSET_WITNESSES * ADDRSET_WITNESS_MAX + 8];
	size_t off = strlen(msg);

	if (!f->witnesses || !f->witnesses->n || off >= size)
		return;
	witness_names(f->witnesses, names, sizeof(names));
	snprintf(msg + off, size - off,
	         "; %u domain%s in no list (%s) answered with it too, outside a break, and it "
	         "takes %d distinct ones to make it shared",
	         f->witnesses->n, f->witnesses->n == 1 ? "" : "s", names, DNS_POLICY_SHARED_MIN);
}

bool dns_policy_check_addr(const struct conf *c, const struct dns_policy_addr_facts *f, int family,
                           const uint8_t *addr, uint64_t inforce, char *msg, size_t size)
{
	char text[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN], names[128];
	const struct conf_range *range;
	const struct lists_resolver *res = lists_bypass_resolver(f->bypass, family, addr);
	size_t range_list = 0;
	uint64_t lists = ranges_of(c, family, addr, inforce, &range, &range_list);
	bool blocked, shared = dns_policy_is_shared(f->witnesses);

	lists |= f->learned ? f->learned->lists : 0;
	blocked = (lists & inforce) || (f->learned && f->learned->endpoint && inforce) ||
	          (res && inforce);
	inet_ntop(family, addr, text, sizeof(text));
	if (range) {
		inet_ntop(family, range->addr, net, sizeof(net));
		snprintf(
		    msg, size, "%s is in %s/%u, an address range of list %s (%s:%u); %s", text, net,
		    range->len, c->lists[range_list].name, c->path ? c->path : "?", range->line,
		    blocked ? "it is blocked now" : "it is blocked during breaks with the list");
	} else if (res) {
		snprintf(msg, size,
		         "%s is an address of the public resolver %s (%s:%u), blocked by address "
		         "during every break; %s",
		         text, res->name, f->bypass->path, res->line,
		         blocked ? "it is blocked now" : "no break is on now");
	} else if (shared) {
		witness_names(f->witnesses, names, sizeof(names));
		snprintf(msg, size,
		         "%s is shared: names in no list, of %u registrable domains (%s), answered "
		         "with it outside breaks, so it is kept out of the sets (names are still "
		         "blocked by DNS)",
		         text, f->witnesses->n, names);
	} else if (f->learned) {
		learned_msg(c, f->learned, text, blocked, msg, size);
		still_in_msg(f, msg, size);
	} else if (!dns_policy_learnable(family, addr)) {
		snprintf(msg, size,
		         "%s is not in the sets: a loopback, unspecified, link-local, multicast or "
		         "reserved address is never learned from an answer",
		         text);
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
