/* Unit tests of the forwarder's decisions at fixed inputs and times: the
 * built-in bypass rules, what a query is answered during a break and outside
 * one, which CNAME chains count as listed, what an answer adds to the sets
 * and takes out as shared, and the stats key of a blocked name. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "dns_policy.h"

static void test_builtin(void)
{
	static const struct {
		const char *name;
		enum dns_policy_rule rule;
	} cases[] = {
	    {"use-application-dns.net", DNS_POLICY_RULE_CANARY},
	    {"mask.icloud.com", DNS_POLICY_RULE_CANARY},
	    {"mask-h2.icloud.com", DNS_POLICY_RULE_CANARY},
	    {"www.use-application-dns.net", DNS_POLICY_RULE_NONE}, /* the name itself only */
	    {"mask.icloud.com.example", DNS_POLICY_RULE_NONE},
	    {"resolver.arpa", DNS_POLICY_RULE_DDR},
	    {"_dns.resolver.arpa", DNS_POLICY_RULE_DDR},
	    {"a.b.resolver.arpa", DNS_POLICY_RULE_DDR},
	    {"xresolver.arpa", DNS_POLICY_RULE_NONE},
	    {"resolver.arpa.example", DNS_POLICY_RULE_NONE},
	    {"dns.google", DNS_POLICY_RULE_NONE}, /* an endpoint: from bypass.list */
	    {"", DNS_POLICY_RULE_NONE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dns_policy_rule r = dns_policy_builtin(cases[i].name, strlen(cases[i].name));
		if (r != cases[i].rule)
			fprintf(stderr, "  %s\n", cases[i].name);
		CHECK_INT(r, cases[i].rule);
	}
}

static struct dns_msg_query query(const char *name, uint16_t qtype)
{
	struct dns_msg_query q = {0};

	q.has_question = true;
	q.qtype = qtype;
	q.qclass = DNS_MSG_C_IN;
	snprintf(q.qname, sizeof(q.qname), "%s", name);
	q.qname_len = strlen(name);
	return q;
}

static void test_answer(void)
{
	static const struct {
		const char *name;
		uint16_t qtype;
		uint64_t lists, inforce; /* what the name matched, what is in force */
		bool in_bypass;
		enum conf_answer blocked;
		enum dns_policy_action action;
		enum dns_msg_block mode;
		uint64_t key_lists;
	} cases[] = {
	    /* Outside a break everything is relayed, canaries and endpoints too. */
	    {"listed.example", DNS_MSG_T_A, 1, 0, false, CONF_ANSWER_NXDOMAIN, DNS_POLICY_RELAY,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	    {"use-application-dns.net", DNS_MSG_T_A, 0, 0, false, CONF_ANSWER_NXDOMAIN,
	     DNS_POLICY_RELAY, DNS_MSG_BLOCK_NXDOMAIN, 0},
	    {"dns.google", DNS_MSG_T_A, 0, 0, true, CONF_ANSWER_NXDOMAIN, DNS_POLICY_RELAY,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	    /* A list in force: the configured answer. */
	    {"listed.example", DNS_MSG_T_A, 1, 1, false, CONF_ANSWER_NXDOMAIN, DNS_POLICY_BLOCK,
	     DNS_MSG_BLOCK_NXDOMAIN, 1},
	    {"listed.example", DNS_MSG_T_AAAA, 1, 1, false, CONF_ANSWER_NULL, DNS_POLICY_BLOCK,
	     DNS_MSG_BLOCK_NULL, 1},
	    {"listed.example", 15 /* MX */, 3, 2, false, CONF_ANSWER_REFUSED, DNS_POLICY_BLOCK,
	     DNS_MSG_BLOCK_REFUSED, 2},
	    /* HTTPS and SVCB get no data whatever blocked_answer says. */
	    {"listed.example", DNS_MSG_T_HTTPS, 1, 1, false, CONF_ANSWER_NULL, DNS_POLICY_EMPTY,
	     DNS_MSG_BLOCK_NXDOMAIN, 1},
	    {"listed.example", DNS_MSG_T_SVCB, 1, 1, false, CONF_ANSWER_REFUSED, DNS_POLICY_EMPTY,
	     DNS_MSG_BLOCK_NXDOMAIN, 1},
	    /* Listed, but not in a list in force. */
	    {"listed.example", DNS_MSG_T_A, 2, 1, false, CONF_ANSWER_NXDOMAIN, DNS_POLICY_RELAY,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	    {"other.example", DNS_MSG_T_A, 0, 1, false, CONF_ANSWER_NXDOMAIN, DNS_POLICY_RELAY,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	    /* An endpoint is blocked like a listed name during any break. */
	    {"dns.google", DNS_MSG_T_A, 0, 4, true, CONF_ANSWER_NULL, DNS_POLICY_BLOCK,
	     DNS_MSG_BLOCK_NULL, 0},
	    {"dns.google", DNS_MSG_T_HTTPS, 0, 4, true, CONF_ANSWER_NULL, DNS_POLICY_EMPTY,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	    /* A canary says NXDOMAIN whatever blocked_answer says, listed or not. */
	    {"mask.icloud.com", DNS_MSG_T_A, 0, 1, false, CONF_ANSWER_NULL, DNS_POLICY_BLOCK,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	    {"use-application-dns.net", DNS_MSG_T_HTTPS, 1, 1, false, CONF_ANSWER_REFUSED,
	     DNS_POLICY_BLOCK, DNS_MSG_BLOCK_NXDOMAIN, 1},
	    /* Resolver discovery finds nothing, for any type. */
	    {"_dns.resolver.arpa", DNS_MSG_T_SVCB, 0, 1, false, CONF_ANSWER_NXDOMAIN,
	     DNS_POLICY_EMPTY, DNS_MSG_BLOCK_NXDOMAIN, 0},
	    {"resolver.arpa", DNS_MSG_T_A, 0, 1, false, CONF_ANSWER_NULL, DNS_POLICY_EMPTY,
	     DNS_MSG_BLOCK_NXDOMAIN, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dns_msg_query q = query(cases[i].name, cases[i].qtype);
		struct domains_match m = {.lists = cases[i].lists, .block = cases[i].lists};
		struct dns_policy_answer a = dns_policy_answer(&q, &m, cases[i].in_bypass,
		                                               cases[i].inforce, cases[i].blocked);
		int fails = check_failures;
		CHECK_INT(a.action, cases[i].action);
		if (a.action == DNS_POLICY_BLOCK)
			CHECK_INT(a.mode, cases[i].mode);
		if (a.action != DNS_POLICY_RELAY)
			CHECK_INT(a.lists, cases[i].key_lists);
		if (check_failures != fails)
			fprintf(stderr, "  case %zu: %s\n", i, cases[i].name);
	}
}

/* List 0: reddit.com from the catalog, own.example from `domains =`, with
 * free.own.example allowed; list 1: plain.example. */
static struct domains *lists_example(void)
{
	struct domains_builder *b = domains_builder_new();
	int o0 = domains_builder_origin(b, 0, false, "service reddit");
	int o1 = domains_builder_origin(b, 0, false, "domains =");
	int o2 = domains_builder_origin(b, 0, true, "allow =");
	int o3 = domains_builder_origin(b, 1, false, "domains =");

	CHECK(o0 >= 0 && o1 >= 0 && o2 >= 0 && o3 >= 0);
	CHECK_INT(domains_builder_add(b, "reddit.com", 10, (uint32_t)o0, 2), 0);
	CHECK_INT(domains_builder_add(b, "own.example", 11, (uint32_t)o1, 0), 0);
	CHECK_INT(domains_builder_add(b, "free.own.example", 16, (uint32_t)o2, 0), 0);
	CHECK_INT(domains_builder_add(b, "plain.example", 13, (uint32_t)o3, 0), 0);
	return domains_builder_finish(b);
}

static struct domains *bypass_example(void)
{
	struct domains_builder *b = domains_builder_new();
	int o = domains_builder_origin(b, 0, false, "bypass.list");

	int w = domains_builder_origin(b, LISTS_BYPASS_WILDCARD, false, "wildcard.list");

	CHECK_INT(domains_builder_add(b, "dns.google", 10, (uint32_t)o, 7), 0);
	CHECK_INT(domains_builder_add(b, "nip.io", 6, (uint32_t)w, 1), 0);
	CHECK_INT(domains_builder_add(b, "sslip.io", 8, (uint32_t)w, 2), 0);
	return domains_builder_finish(b);
}

static void chain(struct dns_msg_learned *l, const char *const *names, size_t n)
{
	memset(l, 0, sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		snprintf(l->names[i].name, sizeof(l->names[i].name), "%s", names[i]);
		l->names[i].len = strlen(names[i]);
	}
	l->n_names = n;
}

static void test_chain_listed(struct dns_msg_learned *l)
{
	struct domains *d = lists_example(), *bp = bypass_example();
	static const char *const q_only[] = {"reddit.com"};
	static const char *const to_cdn[] = {"reddit.com", "cdn.example"};
	static const char *const to_listed[] = {"a.example", "cdn.example", "x.plain.example"};
	static const char *const to_bypass[] = {"a.example", "edge.dns.google"};
	static const char *const to_allowed[] = {"a.example", "www.free.own.example"};
	static const char *const q_wild[] = {"10.0.0.1.nip.io"};
	static const char *const q_doh[] = {"dns.google"};
	static const char *const to_wild[] = {"alias.example", "www-1-2-3-4.sslip.io"};

	struct dns_policy_names n;
#define NAMES(q_lists, q_bypass) (n = (struct dns_policy_names){q_lists, q_bypass, false})

	/* The question name is the caller's (matched when the query came in). */
	chain(l, q_only, 1);
	NAMES(0, false);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(!n.lists && !n.endpoint && !n.wildcard);
	chain(l, to_cdn, 2);
	NAMES(1, false);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(n.lists == 1 && !n.endpoint);
	chain(l, to_listed, 3);
	NAMES(0, false);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(n.lists == 2 && !n.endpoint); /* list "plain" */
	chain(l, to_bypass, 2);
	NAMES(0, false);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(!n.lists && n.endpoint && !n.wildcard);
	chain(l, to_allowed, 2);
	NAMES(0, false);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(!n.lists && !n.endpoint);
	/* The question matched a bypass list: which one is found here. */
	chain(l, q_wild, 1);
	NAMES(0, true);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(!n.endpoint && n.wildcard);
	chain(l, q_doh, 1);
	NAMES(0, true);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(n.endpoint && !n.wildcard);
	chain(l, to_wild, 2);
	NAMES(0, false);
	dns_policy_chain_names(d, bp, l, &n);
	CHECK(!n.endpoint && n.wildcard);
#undef NAMES
	domains_free(d);
	domains_free(bp);
}

static void test_cloak(struct dns_msg_learned *l)
{
	struct domains *d = lists_example(), *bp = bypass_example();
	struct dns_msg_query q = query("ig-cloak.example", DNS_MSG_T_A);
	static const char *const to_listed[] = {"ig-cloak.example", "cdn.example",
	                                        "x.plain.example"};
	static const char *const to_bypass[] = {"ig-cloak.example", "edge.dns.google"};
	static const char *const to_allowed[] = {"ig-cloak.example", "www.free.own.example"};
	static const char *const to_two[] = {"ig-cloak.example", "own.example", "plain.example"};
	static const char *const unlisted[] = {"ig-cloak.example", "cdn.example"};
	struct dns_policy_answer a;
	size_t at = 0;

	/* Outside a break nothing is cloaked. */
	chain(l, to_listed, 3);
	a = dns_policy_cloak(&q, d, bp, l, 0, 0, CONF_ANSWER_NXDOMAIN, &at);
	CHECK_INT(a.action, DNS_POLICY_RELAY);
	/* The chain's list in force: the configured answer, the list for the stats. */
	a = dns_policy_cloak(&q, d, bp, l, 0, 2, CONF_ANSWER_NULL, &at);
	CHECK_INT(a.action, DNS_POLICY_BLOCK);
	CHECK_INT(a.mode, DNS_MSG_BLOCK_NULL);
	CHECK_INT(a.lists, 2);
	CHECK_INT(at, 2);
	/* Another list in force than the chain's. */
	a = dns_policy_cloak(&q, d, bp, l, 0, 1, CONF_ANSWER_NXDOMAIN, &at);
	CHECK_INT(a.action, DNS_POLICY_RELAY);
	/* The question's allow entry for that list frees it. */
	a = dns_policy_cloak(&q, d, bp, l, 2, 2, CONF_ANSWER_NXDOMAIN, &at);
	CHECK_INT(a.action, DNS_POLICY_RELAY);
	/* The first blocked name of the chain is named. */
	chain(l, to_two, 3);
	a = dns_policy_cloak(&q, d, bp, l, 0, 3, CONF_ANSWER_NXDOMAIN, &at);
	CHECK_INT(a.action, DNS_POLICY_BLOCK);
	CHECK_INT(at, 1);
	CHECK_INT(a.lists, 1);
	/* An endpoint in the chain, during any break; HTTPS gets no data. */
	chain(l, to_bypass, 2);
	q.qtype = DNS_MSG_T_HTTPS;
	a = dns_policy_cloak(&q, d, bp, l, 0, 4, CONF_ANSWER_NXDOMAIN, &at);
	CHECK_INT(a.action, DNS_POLICY_EMPTY);
	CHECK_INT(a.lists, 0);
	/* An allow entry in the chain, and a chain in no list. */
	chain(l, to_allowed, 2);
	CHECK_INT(dns_policy_cloak(&q, d, bp, l, 0, 1, CONF_ANSWER_NXDOMAIN, &at).action,
	          DNS_POLICY_RELAY);
	chain(l, unlisted, 2);
	CHECK_INT(dns_policy_cloak(&q, d, bp, l, 0, ~0ull, CONF_ANSWER_NXDOMAIN, &at).action,
	          DNS_POLICY_RELAY);
	domains_free(d);
	domains_free(bp);
}

static void test_cloak_seen(struct dns_msg_learned *l)
{
	static struct dns_policy_cloaks c;
	static const char *const three[] = {"a.example", "b.example", "listed.example"};
	static const char *const other[] = {"z.example", "listed.example"};
	const struct dns_policy_cloak_seen *e;
	char name[32];

	CHECK(!dns_policy_cloak_find(&c, "a.example", 9));
	chain(l, three, 3);
	dns_policy_cloak_note(&c, l, 2, 1000);
	e = dns_policy_cloak_find(&c, "a.example", 9);
	CHECK(e != NULL);
	if (e) {
		CHECK_STR(e->target, "listed.example");
		CHECK_STR(e->chain, "a.example -> b.example -> listed.example");
		CHECK_INT(e->seen, 1000);
	}
	CHECK(!dns_policy_cloak_find(&c, "a.exampl", 8));
	/* Seen again: its own entry, newer. */
	dns_policy_cloak_note(&c, l, 1, 2000);
	e = dns_policy_cloak_find(&c, "a.example", 9);
	CHECK(e && e->seen == 2000 && strcmp(e->chain, "a.example -> b.example") == 0);
	/* Bounded: DNS_POLICY_CLOAKS other names push the oldest out. */
	for (int i = 0; i < DNS_POLICY_CLOAKS; i++) {
		chain(l, other, 2);
		snprintf(l->names[0].name, sizeof(l->names[0].name), "n%d.example", i);
		l->names[0].len = strlen(l->names[0].name);
		dns_policy_cloak_note(&c, l, 1, 3000 + i);
	}
	CHECK(!dns_policy_cloak_find(&c, "a.example", 9));
	snprintf(name, sizeof(name), "n%d.example", DNS_POLICY_CLOAKS - 1);
	CHECK(dns_policy_cloak_find(&c, name, strlen(name)) != NULL);
	/* Nothing to note: the question itself, or past the chain. */
	chain(l, three, 3);
	dns_policy_cloak_note(&c, l, 0, 5000);
	dns_policy_cloak_note(&c, l, 3, 5000);
	CHECK(!dns_policy_cloak_find(&c, "a.example", 9));
}

static void test_retransmit(void)
{
	struct dns_policy_rtt r;
	size_t u = 99;
	static const size_t two[] = {0, 0, 1, 1, 0, 0};

	dns_policy_rtt_init(&r);
	CHECK_INT(r.rto_ms, DNS_POLICY_RTO_INIT);
	/* One upstream: six tries, waiting 1, 2, 4, 4, 4, 4 timeouts. */
	for (unsigned t = 0; t < 6; t++)
		CHECK(dns_policy_try(t, 1, &u) && u == 0);
	CHECK(!dns_policy_try(6, 1, &u));
	CHECK_INT(dns_policy_try_wait_ms(&r, 0, 1), 250);
	CHECK_INT(dns_policy_try_wait_ms(&r, 1, 1), 500);
	CHECK_INT(dns_policy_try_wait_ms(&r, 2, 1), 1000);
	CHECK_INT(dns_policy_try_wait_ms(&r, 5, 1), 1000);
	r.rto_ms = 600;
	CHECK_INT(dns_policy_try_wait_ms(&r, 5, 1), DNS_POLICY_RTO_MAX);
	r.rto_ms = 250;
	/* Two: twice each, then round again; a try's wait counts the earlier
	 * tries on its own upstream only. */
	for (unsigned t = 0; t < 6; t++)
		CHECK(dns_policy_try(t, 2, &u) && u == two[t]);
	CHECK(!dns_policy_try(6, 2, &u));
	CHECK_INT(dns_policy_try_wait_ms(&r, 2, 2), 250);
	CHECK_INT(dns_policy_try_wait_ms(&r, 3, 2), 500);
	CHECK_INT(dns_policy_try_wait_ms(&r, 4, 2), 1000);
	/* Four: each twice, no second round. */
	CHECK(dns_policy_try(7, 4, &u) && u == 3);
	CHECK(!dns_policy_try(8, 4, &u));
	CHECK(!dns_policy_try(0, 0, &u));
	/* Loopback round trips: the floor. */
	for (int i = 0; i < 10; i++)
		dns_policy_rtt_sample(&r, 80);
	CHECK_INT(r.rto_ms, DNS_POLICY_RTO_MIN);
	CHECK_INT(dns_policy_try_wait_ms(&r, 1, 1), 2 * DNS_POLICY_RTO_MIN);
	/* A steady 200 ms path: srtt 200, its variation decays: rto above 200. */
	dns_policy_rtt_init(&r);
	dns_policy_rtt_sample(&r, 200000);
	CHECK_INT(r.rto_ms, 600); /* 200 + 4 * 100 */
	for (int i = 0; i < 40; i++)
		dns_policy_rtt_sample(&r, 200000);
	CHECK(r.rto_ms >= 200 && r.rto_ms < 210);
	/* A jittery one keeps a margin; a very slow one stops at the ceiling. */
	for (int i = 0; i < 40; i++)
		dns_policy_rtt_sample(&r, i % 2 ? 100000 : 300000);
	CHECK(r.rto_ms > 450);
	for (int i = 0; i < 40; i++)
		dns_policy_rtt_sample(&r, 3000000);
	CHECK_INT(r.rto_ms, DNS_POLICY_RTO_MAX);
}

/* Polling for a fast upstream: only with few queries in flight, only for an
 * upstream measured at 100 us or less, for srtt + 4 rttvar at most 200 us. */
static void test_poll(void)
{
	struct dns_policy_rtt r;

	dns_policy_rtt_init(&r);
	CHECK_INT(dns_policy_poll_us(&r, 1), 0); /* never measured: sleep */
	dns_policy_rtt_sample(&r, 40);           /* srtt 40, rttvar 20 */
	CHECK_INT(dns_policy_poll_us(&r, 1), 120);
	CHECK_INT(dns_policy_poll_us(&r, DNS_POLICY_POLL_INFLIGHT), 120);
	CHECK_INT(dns_policy_poll_us(&r, DNS_POLICY_POLL_INFLIGHT + 1), 0); /* busy: sleep */
	CHECK_INT(dns_policy_poll_us(&r, 0), 0);
	for (int i = 0; i < 40; i++)
		dns_policy_rtt_sample(&r, 40); /* steady: the variation decays */
	CHECK(dns_policy_poll_us(&r, 1) >= 40 && dns_policy_poll_us(&r, 1) < 45);
	dns_policy_rtt_init(&r);
	dns_policy_rtt_sample(&r, 100); /* at the bound: srtt + 4 * 50, capped */
	CHECK_INT(dns_policy_poll_us(&r, 1), 2 * DNS_POLICY_POLL_RTT_US);
	dns_policy_rtt_init(&r);
	dns_policy_rtt_sample(&r, 101); /* over it */
	CHECK_INT(dns_policy_poll_us(&r, 1), 0);
	dns_policy_rtt_init(&r);
	dns_policy_rtt_sample(&r, 20000); /* a remote upstream, 20 ms */
	CHECK_INT(dns_policy_poll_us(&r, 1), 0);
}

static void addr(struct dns_msg_learned *l, const char *text, uint32_t ttl)
{
	struct dns_msg_addr *a = &l->addrs[l->n_addrs++];

	a->family = strchr(text, ':') ? AF_INET6 : AF_INET;
	inet_pton(a->family, text, a->addr);
	a->ttl = ttl;
}

static const struct addrset_entry *held(const struct addrset *s, const char *text, time_t now)
{
	uint8_t b[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;

	inet_pton(family, text, b);
	return addrset_find(s, family, b, now);
}

static void test_learn(struct dns_msg_learned *l)
{
	struct addrset learned, shared;
	struct nft_elem add[DNS_MSG_ADDRS_MAX], del[DNS_MSG_ADDRS_MAX];
	struct dns_policy_learn out = {add, del, 0, 0, 0, 0, 0};
	const struct dns_policy_names social = {1, false, false}, none = {0, false, false},
	                              wild = {0, false, true};
	const time_t t0 = 1700000000;
	char text[INET6_ADDRSTRLEN];

	CHECK_INT(addrset_init(&learned, 64, false), 0);
	CHECK_INT(addrset_init(&shared, 64, true), 0);
	/* A listed answer: TTLs clamped to 600..86400. */
	memset(l, 0, sizeof(*l));
	addr(l, "192.0.2.1", 5);
	addr(l, "2001:db8::1", 3600);
	addr(l, "192.0.2.2", 1000000);
	dns_policy_learn(&learned, &shared, l, social, false, 600, 86400, 0, t0, &out);
	CHECK_INT(out.n_add, 3);
	CHECK_INT(out.n_del, 0);
	CHECK_INT(out.learned, 3);
	CHECK_INT(add[0].family, AF_INET);
	CHECK_INT(add[0].timeout_ms, 600000);
	CHECK_STR(inet_ntop(AF_INET, &add[0].addr, text, sizeof(text)), "192.0.2.1");
	CHECK_INT(add[1].family, AF_INET6);
	CHECK_INT(add[1].timeout_ms, 3600000);
	CHECK_STR(inet_ntop(AF_INET6, &add[1].addr, text, sizeof(text)), "2001:db8::1");
	CHECK_INT(add[2].timeout_ms, 86400000);
	CHECK(held(&learned, "192.0.2.1", t0) &&
	      held(&learned, "192.0.2.1", t0)->expires == t0 + 600);
	CHECK(held(&learned, "192.0.2.2", t0)->expires == t0 + 86400);
	CHECK(!held(&shared, "192.0.2.1", t0));

	/* An unlisted answer with one of them, outside a break: one witness,
	 * not yet shared; the address stays in the sets. */
	static const char *const site_a[] = {"cdn.a-site.example"},
	                         *const site_a2[] = {"x.a-site.example"},
	                         *const site_b[] = {"www.b-site.co.uk"},
	                         *const wild_q[] = {"192.0.2.1.nip.io"};
	chain(l, site_a, 1);
	addr(l, "192.0.2.1", 300);
	addr(l, "198.51.100.7", 300);
	out = (struct dns_policy_learn){add, del, 0, 0, 0, 0, 0};
	dns_policy_learn(&learned, &shared, l, none, false, 600, 86400, 0, t0 + 10, &out);
	CHECK_INT(out.n_add, 0);
	CHECK_INT(out.n_del, 0);
	CHECK(held(&learned, "192.0.2.1", t0 + 10));
	CHECK(held(&shared, "192.0.2.1", t0 + 10)->expires == t0 + 10 + 86400);
	const struct addrset_witnesses *w =
	    addrset_witnesses_of(&shared, held(&shared, "192.0.2.1", t0 + 10));
	CHECK(w && w->n == 1 && strcmp(w->domain[0], "a-site.example") == 0);
	CHECK(!dns_policy_is_shared(w));
	/* The same domain again is no second witness. */
	chain(l, site_a2, 1);
	addr(l, "192.0.2.1", 300);
	dns_policy_learn(&learned, &shared, l, none, false, 600, 86400, 0, t0 + 10, &out);
	CHECK_INT(out.n_del, 0);
	CHECK_INT(w->n, 1);
	/* During a break another domain takes nothing out, and is no witness. */
	chain(l, site_b, 1);
	addr(l, "192.0.2.1", 300);
	dns_policy_learn(&learned, &shared, l, none, true, 600, 86400, 0, t0 + 12, &out);
	CHECK_INT(out.n_del, 0);
	CHECK_INT(w->n, 1);
	CHECK(held(&learned, "192.0.2.1", t0 + 12));
	/* Nor does a wildcard-IP service outside one. */
	chain(l, wild_q, 1);
	addr(l, "192.0.2.1", 300);
	dns_policy_learn(&learned, &shared, l, wild, false, 600, 86400, 0, t0 + 12, &out);
	CHECK_INT(out.n_del, 0);
	CHECK_INT(w->n, 1);
	/* A second registrable domain outside a break: shared, out of the sets. */
	chain(l, site_b, 1);
	addr(l, "192.0.2.1", 300);
	dns_policy_learn(&learned, &shared, l, none, false, 600, 86400, 0, t0 + 10, &out);
	CHECK_INT(out.n_del, 1);
	CHECK_STR(inet_ntop(AF_INET, &del[0].addr, text, sizeof(text)), "192.0.2.1");
	CHECK_INT(del[0].timeout_ms, 0);
	CHECK(!held(&learned, "192.0.2.1", t0 + 10));
	CHECK(w->n == 2 && strcmp(w->domain[1], "b-site.co.uk") == 0 && dns_policy_is_shared(w));
	/* A wildcard answer for a listed name teaches nothing either. */
	struct dns_policy_names wild_listed = {1, false, true};
	chain(l, wild_q, 1);
	addr(l, "203.0.113.99", 300);
	out = (struct dns_policy_learn){add, del, 0, 0, 0, 0, 0};
	dns_policy_learn(&learned, &shared, l, wild_listed, false, 600, 86400, 0, t0 + 10, &out);
	CHECK_INT(out.n_add, 0);
	CHECK(!held(&learned, "203.0.113.99", t0 + 10));

	/* Listed again: a shared address stays out, counted; the rest is learned. */
	memset(l, 0, sizeof(*l));
	addr(l, "192.0.2.1", 700);
	addr(l, "192.0.2.3", 700);
	out = (struct dns_policy_learn){add, del, 5, 0, 0, 0, 0}; /* appends after 5 */
	dns_policy_learn(&learned, &shared, l, social, false, 600, 86400, 0, t0 + 20, &out);
	CHECK_INT(out.n_add, 6);
	CHECK_INT(out.shared, 1);
	CHECK_INT(out.learned, 1);
	CHECK_STR(inet_ntop(AF_INET, &add[5].addr, text, sizeof(text)), "192.0.2.3");
	CHECK(!held(&learned, "192.0.2.1", t0 + 20));

	/* Once the shared mark has expired, the address is learned again. */
	memset(l, 0, sizeof(*l));
	addr(l, "192.0.2.1", 700);
	out = (struct dns_policy_learn){add, del, 0, 0, 0, 0, 0};
	dns_policy_learn(&learned, &shared, l, social, false, 600, 86400, 0, t0 + 10 + 86400, &out);
	CHECK_INT(out.n_add, 1);
	CHECK_INT(out.shared, 0);

	/* Learned for a second list: the element carries both, until the later
	 * end; a strict break's floor holds it longer; an endpoint's is marked. */
	memset(l, 0, sizeof(*l));
	addr(l, "192.0.2.1", 600);
	out = (struct dns_policy_learn){add, del, 0, 0, 0, 0, 0};
	struct dns_policy_names video = {2, false, false}, doh = {0, true, false};
	dns_policy_learn(&learned, &shared, l, video, false, 600, 86400, t0 + 20 + 86400 + 5000,
	                 t0 + 20 + 86400, &out);
	CHECK_INT(add[0].lists, 3);
	CHECK_INT(add[0].timeout_ms, 5000000);
	CHECK_INT(held(&learned, "192.0.2.1", t0 + 20 + 86400)->lists, 3);
	out = (struct dns_policy_learn){add, del, 0, 0, 0, 0, 0};
	dns_policy_learn(&learned, &shared, l, doh, false, 600, 86400, 0, t0 + 20 + 86400, &out);
	CHECK(add[0].endpoint && add[0].lists == 3);
	addrset_free(&learned);
	addrset_free(&shared);
}

static const struct lists_bypass no_bypass;

static bool check_addr(const struct conf *c, const struct addrset_entry *learned,
                       const struct addrset_entry *shared, const struct addrset_witnesses *w,
                       const uint8_t *a, uint64_t inforce, char *msg)
{
	const struct dns_policy_addr_facts f = {learned, shared, w, &no_bypass};

	return dns_policy_check_addr(c, &f, AF_INET, a, inforce, msg, DNS_POLICY_CHECK_MAX);
}

/* check ADDRESS says what the reject rules do: blocked only with a list of
 * the address in force; ranges named with their list and line. */
/* Which answer addresses may be learned at all, at their edges. */
static void test_learnable(void)
{
	static const struct {
		const char *text;
		bool learnable;
	} cases[] = {
	    {"0.0.0.0", false},
	    {"0.255.255.255", false},
	    {"1.0.0.0", true},
	    {"126.255.255.255", true},
	    {"127.0.0.1", false},
	    {"127.255.255.254", false},
	    {"128.0.0.0", true},
	    {"169.253.255.255", true},
	    {"169.254.0.1", false},
	    {"169.255.0.0", true},
	    {"10.0.0.1", true},
	    {"192.168.1.1", true},
	    {"223.255.255.255", true},
	    {"224.0.0.251", false},
	    {"239.255.255.250", false},
	    {"240.0.0.1", false},
	    {"255.255.255.255", false},
	    {"::", false},
	    {"::1", false},
	    {"::2", true},
	    {"2001:db8::1", true},
	    {"fe80::1", false},
	    {"febf:ffff::1", false},
	    {"fec0::1", true},
	    {"ff02::fb", false},
	    {"fd00::1", true},
	    {"::ffff:127.0.0.1", false},
	    {"::ffff:198.51.100.1", false},
	    {"::fffe:0:1", true},
	    {"64:ff9b::c633:6401", true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t a[16];
		int family = strchr(cases[i].text, ':') ? AF_INET6 : AF_INET;
		CHECK(inet_pton(family, cases[i].text, a) == 1);
		if (dns_policy_learnable(family, a) != cases[i].learnable)
			CHECK_STR(cases[i].text,
			          cases[i].learnable ? "learnable" : "not learnable");
	}

	/* The forwarder's own addresses, ports aside. */
	struct value_addr own[2] = {0};
	struct sockaddr_in *v4 = (struct sockaddr_in *)&own[0].ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&own[1].ss;
	uint8_t a[16];
	v4->sin_family = AF_INET;
	v4->sin_port = htons(53);
	inet_pton(AF_INET, "192.0.2.53", &v4->sin_addr);
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(5353);
	inet_pton(AF_INET6, "2001:db8::53", &v6->sin6_addr);
	inet_pton(AF_INET, "192.0.2.53", a);
	CHECK(dns_policy_addr_in(own, 2, AF_INET, a));
	CHECK(!dns_policy_addr_in(own, 1, AF_INET6, a)); /* the same bytes, another family */
	inet_pton(AF_INET, "192.0.2.54", a);
	CHECK(!dns_policy_addr_in(own, 2, AF_INET, a));
	inet_pton(AF_INET6, "2001:db8::53", a);
	CHECK(dns_policy_addr_in(own, 2, AF_INET6, a));
	CHECK(!dns_policy_addr_in(own, 1, AF_INET6, a));
	CHECK(!dns_policy_addr_in(own, 0, AF_INET, a));
}

static void test_check_addr(void)
{
	struct conf_range r = {AF_INET, 24, {203, 0, 113, 0}, 7};
	struct conf_list lists[2] = {{.name = "social"},
	                             {.name = "video", .addresses = &r, .n_addresses = 1}};
	struct conf c = {.path = "smbreak.conf", .lists = lists, .n_lists = 2};
	struct addrset_entry e = {
	    .family = AF_INET, .addr = {192, 0, 2, 1}, .expires = 1, .lists = 2};
	const uint8_t in_range[4] = {203, 0, 113, 9}, other[4] = {192, 0, 2, 1};
	char msg[DNS_POLICY_CHECK_MAX];

	CHECK(!check_addr(&c, &e, NULL, NULL, other, 1, msg));
	CHECK(strstr(msg, "in the sets of list video") != NULL);
	CHECK(strstr(msg, "blocked during breaks with its lists") != NULL);
	CHECK(check_addr(&c, &e, NULL, NULL, other, 2, msg));
	CHECK(strstr(msg, "it is blocked now") != NULL);
	e.lists = 0;
	e.endpoint = true;
	CHECK(check_addr(&c, &e, NULL, NULL, other, 1, msg));
	CHECK(!check_addr(&c, &e, NULL, NULL, other, 0, msg));
	CHECK(check_addr(&c, NULL, NULL, NULL, in_range, 2, msg));
	CHECK_STR(msg, "203.0.113.9 is in 203.0.113.0/24, an address range of list video "
	               "(smbreak.conf:7); it is blocked now");
	CHECK(!check_addr(&c, NULL, NULL, NULL, in_range, 1, msg));
	struct addrset_witnesses w = {1, {"a-site.example"}};
	CHECK(check_addr(&c, &e, &e, &w, other, 3, msg));
	CHECK(strstr(msg, "1 domain in no list (a-site.example) answered with it too") != NULL);
	CHECK(strstr(msg, "takes 2 distinct ones") != NULL);
	w = (struct addrset_witnesses){2, {"a-site.example", "b-site.example"}};
	CHECK(!check_addr(&c, NULL, &e, &w, other, 3, msg));
	CHECK(strstr(msg, "is shared: names in no list, of 2 registrable domains (a-site.example, "
	                  "b-site.example), answered with it outside breaks") != NULL);
	/* A shipped resolver address: blocked during any break, named with its line. */
	struct lists_resolver res = {AF_INET, {1, 1, 1, 1}, 12, "cloudflare-dns.com"};
	const struct lists_bypass bp = {NULL, &res, 1, "conf/bypass.list"};
	const struct dns_policy_addr_facts f = {NULL, NULL, NULL, &bp};
	CHECK(dns_policy_check_addr(&c, &f, AF_INET, res.addr, 2, msg, sizeof(msg)));
	CHECK_STR(msg, "1.1.1.1 is an address of the public resolver cloudflare-dns.com "
	               "(conf/bypass.list:12), blocked by address during every break; it is "
	               "blocked now");
	CHECK(!dns_policy_check_addr(&c, &f, AF_INET, res.addr, 0, msg, sizeof(msg)));
	CHECK(strstr(msg, "no break is on now") != NULL);
	CHECK(!check_addr(&c, NULL, NULL, NULL, other, 3, msg));
	CHECK(strstr(msg, "not in the sets") != NULL);
}

/* The registrable-domain heuristic: two labels, three under a country
 * code's generic second level. */
static void test_registrable(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
	    {"www.example.com", "example.com"},
	    {"example.com", "example.com"},
	    {"com", "com"},
	    {"a.b.c.example.org", "example.org"},
	    {"www.example.co.uk", "example.co.uk"},
	    {"example.co.uk", "example.co.uk"},
	    {"co.uk", "co.uk"},
	    {"x.shop.com.au", "shop.com.au"},
	    {"cdn.example.de", "example.de"},
	    {"foo.bar.github.io", "github.io"},
	    {"a.b.ne.jp", "b.ne.jp"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].name);
		CHECK_STR(cases[i].name + dns_policy_registrable(cases[i].name, len),
		          cases[i].want);
	}
}

static void test_blocked_key(void)
{
	struct domains *d = lists_example();
	char *services[] = {"reddit"};
	struct conf_list lists[2] = {{.name = "social", .services = services, .n_services = 1},
	                             {.name = "plain"}};
	struct conf c = {.lists = lists, .n_lists = 2};
	char key[VALUE_NAME_MAX + 1];

	CHECK_STR(dns_policy_blocked_key(&c, d, "www.reddit.com", 14, 1, key, sizeof(key)),
	          "reddit");
	CHECK_STR(dns_policy_blocked_key(&c, d, "own.example", 11, 1, key, sizeof(key)), "social");
	CHECK_STR(dns_policy_blocked_key(&c, d, "plain.example", 13, 2, key, sizeof(key)), "plain");
	/* Several lists: the first. */
	CHECK_STR(dns_policy_blocked_key(&c, d, "www.reddit.com", 14, 3, key, sizeof(key)),
	          "reddit");
	/* A bypass rule (no list), or a list the config no longer has. */
	CHECK_STR(dns_policy_blocked_key(&c, d, "dns.google", 10, 0, key, sizeof(key)), "doh");
	CHECK_STR(dns_policy_blocked_key(&c, d, "x.example", 9, 1u << 5, key, sizeof(key)), "doh");
	domains_free(d);
}

int main(void)
{
	/* Big (the chain's names): off the stack. */
	struct dns_msg_learned *l = malloc(sizeof(*l));

	if (!l)
		return 1;
	test_builtin();
	test_answer();
	test_chain_listed(l);
	test_cloak(l);
	test_cloak_seen(l);
	test_retransmit();
	test_poll();
	test_learn(l);
	test_blocked_key();
	test_check_addr();
	test_learnable();
	test_registrable();
	free(l);
	CHECK_DONE();
}
