/* The filtering DNS forwarder on the daemon's event loop: the listeners and
 * the client side. A query is parsed once, answered here when a list in force
 * blocks its name or a bypass hygiene rule applies (dns_policy.c decides),
 * and otherwise handed to the relay (dns_relay.c), whose answer goes back to
 * the client. Listener reads and our own answers go in batches (recvmmsg,
 * sendmmsg). Relayed answers for listed names feed their addresses to
 * enforcement after the answer has gone out (the sets are in addrset.c).
 * The TCP clients' connections are dns_tcp.c's. */
#include "dns.h"
#include "dns_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addrset.h"
#include "cache.h"
#include "dns_msg.h"
#include "dns_policy.h"
#include "dns_relay.h"
#include "listenfd.h"
#include "lists.h"
#include "log.h"
#include "neigh.h"
#include "nft_msg.h"

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST 80 /* linux/netfilter_ipv6/ip6_tables.h */
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK 75 /* Linux 5.19 */
#endif

/* ---- learning ---- */

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;

	(void)fd, (void)what;
	if ((dns->n_add || dns->n_del) && dns->learn)
		dns->learn(dns->learn_arg, dns->add, dns->n_add, dns->del, dns->n_del);
	dns->n_add = dns->n_del = 0;
}

/* Whether an address may be learned (dns_policy_learnable), and is none of
 * the forwarder's own. */
static bool learnable(const struct dns *dns, int family, const uint8_t *addr)
{
	return dns_policy_learnable(family, addr) &&
	       !dns_policy_addr_in(dns->conf->listen, dns->conf->n_listen, family, addr) &&
	       !dns_relay_is_upstream(dns->relay, family, addr);
}

/* l without the addresses that may not be learned, into *keep; l itself
 * when it has none (the usual case: no copy). */
static const struct dns_msg_learned *
learnable_of(const struct dns *dns, const struct dns_msg_learned *l, struct dns_msg_learned *keep)
{
	size_t i = 0, n;

	while (i < l->n_addrs && learnable(dns, l->addrs[i].family, l->addrs[i].addr))
		i++;
	if (i == l->n_addrs)
		return l;
	*keep = *l;
	n = i;
	for (; i < l->n_addrs; i++)
		if (learnable(dns, l->addrs[i].family, l->addrs[i].addr))
			keep->addrs[n++] = l->addrs[i];
	keep->n_addrs = n;
	return keep;
}

/* An answer that passed: its addresses go into the sets of the lists of its
 * names (the question's and its CNAME chain's); when no name is listed,
 * outside breaks, the question's domain witnesses them as shared (see
 * dns_policy_learn). all: its names and addresses, extracted once by
 * answer_client; q_lists, q_endpoint: what the question name matched when
 * the query came in, so that its lookup in the lists is not made twice. */
void dns_learn_answer(struct dns *dns, const struct dns_msg_learned *all, uint64_t q_lists,
                      bool q_endpoint)
{
	struct dns_msg_learned keep;
	const struct dns_msg_learned *l = all;
	time_t now = time(NULL);

	if (l->n_addrs == 0)
		return;
	struct dns_policy_names names = {q_lists, q_endpoint, false};
	dns_policy_chain_names(dns->domains, dns->bypass, l, &names);
	/* only what goes into the sets is filtered: an unlisted answer's
	 * addresses are witnesses at most, and the common case pays nothing */
	if (names.lists || names.endpoint)
		l = learnable_of(dns, all, &keep);
	if (DNS_QUEUE_MAX - dns->n_add < l->n_addrs || DNS_QUEUE_MAX - dns->n_del < l->n_addrs)
		on_flush(-1, 0, dns);
	struct dns_policy_learn out = {dns->add, dns->del, dns->n_add, dns->n_del, 0, 0, 0};
	dns_policy_learn(&dns->learned, &dns->shared, l, names, dns->on, dns->conf->learn_min,
	                 dns->conf->learn_max, dns->floor, now, &out);
	dns->n.learned += out.learned;
	dns->n.shared += out.shared;
	dns->n.evicted += out.evicted;
	/* Once per loop turn: after every answer of this turn has been sent. */
	if (out.n_add != dns->n_add || out.n_del != dns->n_del)
		event_active(dns->flush_ev, 0, 0);
	dns->n_add = out.n_add;
	dns->n_del = out.n_del;
}

/* The learned addresses carried over a restart (enforce_take_carried): back
 * into the table, so that smctl check knows them and the bound counts them.
 * An entry that gives way to one is taken out of the kernel's sets too, as
 * is one that may not be learned (put there by an older smbreakd). */
void dns_learned_seed(struct dns *dns, const struct nft_elem *v, size_t n)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < n; i++) {
		struct addrset_entry gone = {0};
		const uint8_t *addr = (const uint8_t *)&v[i].addr;
		time_t expires = now + (time_t)((v[i].timeout_ms + 999) / 1000);
		if (learnable(dns, v[i].family, addr)) {
			addrset_put(&dns->learned, v[i].family, addr, expires, v[i].lists,
			            v[i].endpoint, now, &gone);
			if (!gone.family)
				continue;
			dns->n.evicted++;
		} else {
			gone.family = v[i].family;
			memcpy(gone.addr, addr, v[i].family == AF_INET ? 4 : 16);
			gone.lists = v[i].lists;
			gone.endpoint = v[i].endpoint;
		}
		if (dns->n_del == DNS_QUEUE_MAX)
			on_flush(-1, 0, dns);
		struct nft_elem *d = &dns->del[dns->n_del++];
		memset(d, 0, sizeof(*d));
		d->family = gone.family;
		memcpy(&d->addr, gone.addr, gone.family == AF_INET ? 4 : 16);
		d->lists = gone.lists;
		d->endpoint = gone.endpoint;
		event_active(dns->flush_ev, 0, 0);
	}
}

const struct addrset *dns_learned(const struct dns *dns)
{
	return &dns->learned;
}

void dns_set_floor(struct dns *dns, time_t until)
{
	time_t now = time(NULL);

	dns->floor = until > now ? until : 0;
	if (dns->floor)
		addrset_floor(&dns->learned, dns->floor, now);
}

/* A reload may move, add and drop lists: the learned entries follow their
 * lists by name (the kernel's sets are named by list, see nft_set_lists). */
static void learned_remap(struct dns *dns, const struct conf *old, const struct conf *c)
{
	uint8_t map[SMB_LISTS_MAX];
	bool same = old->n_lists == c->n_lists;

	for (size_t i = 0; i < SMB_LISTS_MAX; i++) {
		map[i] = 0xff;
		if (i >= old->n_lists)
			continue;
		for (size_t j = 0; j < c->n_lists; j++)
			if (strcmp(old->lists[i].name, c->lists[j].name) == 0)
				map[i] = (uint8_t)j;
		same &= map[i] == i;
	}
	if (!same)
		addrset_remap(&dns->learned, map);
}

/* ---- answering clients ---- */

/* Sends the queued answers: one sendmmsg per run of the same listener. A
 * full socket buffer drops the answers, as lost datagrams would be. */
static void tx_flush(struct dns *dns)
{
	size_t i = 0;

	while (i < dns->n_tx) {
		size_t end = i;
		while (end < dns->n_tx && dns->tx[end].fd == dns->tx[i].fd)
			end++;
		while (i < end) {
			int r = sendmmsg(dns->tx[i].fd, &dns->tx_msg[i], (unsigned)(end - i),
			                 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				i = end;
			else
				i += r > 0 ? (size_t)r : 1; /* the first failed: drop it, go on */
		}
	}
	dns->n_tx = 0;
}

static void send_udp(struct dns *dns, int fd, const uint8_t *pkt, size_t len,
                     const struct sockaddr_storage *to, socklen_t tolen)
{
	if (!dns->tx_open || len > DNS_TX_PKT) {
		(void)!sendto(fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		              (const struct sockaddr *)to, tolen);
		return;
	}
	if (dns->n_tx == DNS_UDP_BATCH)
		tx_flush(dns);
	size_t i = dns->n_tx++;
	struct tx_entry *e = &dns->tx[i];
	e->fd = fd;
	memcpy(&e->to, to, tolen);
	memcpy(e->pkt, pkt, len);
	dns->tx_iov[i].iov_len = len;
	dns->tx_msg[i].msg_hdr.msg_namelen = tolen;
}

/* Sends a complete answer, cut to a TC answer if a UDP client cannot take it. */
static void deliver(struct dns *dns, const struct dns_msg_query *q, int udp_fd,
                    const struct sockaddr_storage *to, socklen_t tolen, struct tcp_client *tc,
                    const uint8_t *pkt, size_t len)
{
	if (tc) {
		dns_tcp_send(tc, pkt, len);
		return;
	}
	if (len > dns_msg_reply_limit(q, false)) {
		size_t n;
		if (dns_msg_build_error(q, DNS_MSG_R_NOERROR, DNS_MSG_EDE_NONE, NULL, dns->buf,
		                        dns_msg_reply_limit(q, false), &n) < 0)
			return;
		dns->buf[2] |= DNS_MSG_F_TC >> 8;
		send_udp(dns, udp_fd, dns->buf, n, to, tolen);
		return;
	}
	send_udp(dns, udp_fd, pkt, len, to, tolen);
}

/* ---- the relay's hooks ---- */

static void on_relay_batch(void *arg, bool start)
{
	struct dns *dns = arg;

	if (!start)
		tx_flush(dns);
	dns->tx_open = start;
}

/* A blocked answer went out for `name`, blocked by `lists` (0: a bypass rule). */
static void count_blocked(struct dns *dns, const char *name, size_t len, uint64_t lists)
{
	dns->n.blocked++;
	if (dns->blocked) {
		char key[VALUE_NAME_MAX + 1];
		dns->blocked(dns->learn_arg,
		             dns_policy_blocked_key(dns->conf, dns->domains, name, len, lists, key,
		                                    sizeof(key)),
		             name, len);
	}
}

/* The answer dns_policy decided on (not RELAY), into dns->buf; its SOA owned
 * by the question name's last `zone` labels (0: the whole name). */
static int build_policy_answer(struct dns *dns, const struct dns_msg_query *q, bool tcp,
                               const struct dns_policy_answer *a, unsigned zone, size_t *len)
{
	size_t limit = dns_msg_reply_limit(q, tcp);

	if (a->action == DNS_POLICY_BLOCK)
		return dns_msg_build_blocked(q, a->mode, dns->conf->blocked_ttl, zone, dns->reason,
		                             dns->buf, limit, len);
	return dns_msg_build_empty(q, dns->conf->blocked_ttl, zone, DNS_MSG_EDE_BLOCKED,
	                           dns->reason, dns->buf, limit, len);
}

/* The labels of the list entry that blocks the question name: the deepest
 * one domains_match saw, unless only lists not in force have it, when the
 * (rare) explanation of a list in force names its own. 0 for a built-in
 * rule (the name itself). */
static unsigned blocked_zone(const struct dns *dns, const struct dns_msg_query *q,
                             const struct dns_policy_answer *a, const struct domains_match *m,
                             const struct domains_match *bm)
{
	struct domains_why why;
	unsigned labels = 1;

	if (!a->lists)
		return bm->labels;
	if (m->labels_lists & a->lists)
		return m->labels;
	domains_explain(dns->domains, q->qname, q->qname_len, (unsigned)__builtin_ctzll(a->lists),
	                &why);
	if (!why.block.found)
		return 0;
	for (const char *c = why.block.entry; *c; c++)
		labels += *c == '.';
	return labels;
}

/* The address the query's socket at fd was sent to, as the sender's socket
 * sees it: for TCP the destination it connected to before the intercept's
 * DNAT (SO_ORIGINAL_DST, from conntrack) when there is one, else fd's own. */
static bool query_local(int fd, bool tcp, struct sockaddr_storage *local)
{
	socklen_t len = sizeof(*local);

	if (getsockname(fd, (struct sockaddr *)local, &len) < 0)
		return false;
	if (tcp) {
		struct sockaddr_storage orig;
		bool v4 = local->ss_family == AF_INET;
		len = v4 ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (getsockopt(fd, v4 ? SOL_IP : SOL_IPV6,
		               v4 ? SO_ORIGINAL_DST : IP6T_SO_ORIGINAL_DST, &orig, &len) == 0) {
			orig.ss_family = local->ss_family;
			*local = orig;
		}
	}
	return true;
}

/* Who sent a query, as far as the breaks in force need to know: nobody in
 * particular unless a break is for some users or devices (inforce_lists_for
 * then gives the lists for everyone alone). In gateway mode a LAN sender is
 * its device, found by its address in the neighbour table. While a break
 * names users, a UDP query carries its
 * sender's uid as its mark (set on the output hook, read with SO_RCVMARK:
 * no cost per query); otherwise (TCP, a port the mark rule does not cover)
 * the kernel is asked (sockuid, sock_diag) for the local socket at `from`
 * talking to the address the query came to (for an intercepted TCP query,
 * the address it was sent to before the DNAT). A sender that cannot be told
 * (another machine; a local resolver such as systemd-resolved between)
 * gets the breaks for everyone; the address layer still cuts its user. */
static struct whom_id sender_id(const struct dns *dns, int udp_fd, const struct tcp_client *tc,
                                const struct sockaddr_storage *from)
{
	struct whom_id id = {.device = -1};

	if (!dns->in.n_some)
		return id;
	/* gateway mode: a LAN sender is its device, by the neighbour table */
	if (dns->neigh)
		id.device = neigh_tab_device(neigh_table(dns->neigh), from);
	if (!dns->by_user || id.device >= 0)
		return id;
	if (!tc && (dns->rx_mark & NFT_MARK_SENDER)) {
		id.have_uid = true;
		id.uid = dns->rx_mark & ~NFT_MARK_SENDER;
	} else if (dns->sockuid) {
		struct sockaddr_storage local;
		int fd = tc ? (tc->bev ? bufferevent_getfd(tc->bev) : -1) : udp_fd;
		if (fd >= 0 && query_local(fd, tc != NULL, &local) &&
		    sockuid_lookup(dns->sockuid, tc ? IPPROTO_TCP : IPPROTO_UDP, from, &local,
		                   &id.uid) == 0)
			id.have_uid = true;
	}
	return id;
}

/* CNAME cloaking: an answer whose chain reaches a name blocked now is
 * replaced by the blocked answer, built for the question as asked. Only
 * during a break, so relaying outside one reads the answer once. */
static bool answer_cloaked(struct dns *dns, struct dns_slot *s, const struct dns_msg_learned *l)
{
	size_t at = 0, n;

	if (!dns->on || l->n_names < 2)
		return false;
	uint64_t lists = inforce_lists_for(&dns->in, &s->sender);
	struct dns_policy_answer a = dns_policy_cloak(
	    &s->q, dns->domains, dns->bypass, l, s->q_allow, lists, dns->conf->blocked_answer, &at);
	if (a.action == DNS_POLICY_RELAY ||
	    build_policy_answer(dns, &s->q, s->tc != NULL, &a, 0, &n) < 0)
		return false;
	dns_policy_cloak_note(&dns->cloaks, l, at, time(NULL));
	count_blocked(dns, l->names[at].name, l->names[at].len, a.lists);
	dns_msg_set_id(dns->buf, n, s->client_id);
	deliver(dns, &s->q, s->udp_fd, &s->client, s->client_len, s->tc, dns->buf, n);
	return true;
}

/* An answer for the client of s, relayed or from the cache: learnt from,
 * checked for cloaking, sent. Whether it has addresses or a chain to learn
 * from (extracted), or a negative errno (nothing could be extracted). */
static int answer_client(struct dns *dns, struct dns_slot *s, uint8_t *pkt, size_t len,
                         const struct dns_msg_reply *rep)
{
	struct dns_msg_learned *l = &dns->scratch;
	int r = dns_msg_extract(pkt, len, rep, l);

	/* One parse serves both the learning and the cloaking check. */
	if (r == 0) {
		dns_learn_answer(dns, l, s->q_lists, s->q_endpoint);
		r = l->n_addrs || l->n_names > 1;
		if (answer_cloaked(dns, s, l))
			return r;
	}
	dns_msg_set_id(pkt, len, s->client_id);
	deliver(dns, &s->q, s->udp_fd, &s->client, s->client_len, s->tc, pkt, len);
	return r;
}

/* ---- the cache ---- */

/* A zone transfer streams; a query of another EDNS version is the
 * upstream's to answer BADVERS: neither comes from the cache or goes in. */
static bool cacheable(const struct dns_slot *s)
{
	return !s->xfr && !(s->q.has_edns && s->q.edns_version != 0);
}

/* Answers s from the cache, fresh or (`stale`: every upstream failed) up to
 * stale_max past its TTL. A hit is learnt from as a relayed answer is, so the
 * addresses of listed names stay in their sets for the TTL that is left. */
static bool answer_cached(struct dns *dns, struct dns_slot *s, bool stale)
{
	struct cache_served sv;
	struct dns_msg_reply rep;

	/* One too big for the client is relayed: the upstream's own TC answer,
	 * as without a cache, then the client's retry over TCP is a hit. */
	if (!dns->cache || !cacheable(s) ||
	    !cache_answer(dns->cache, &s->q, dns_cache_now(), stale, dns->buf,
	                  dns_msg_reply_limit(&s->q, s->tc != NULL), &sv))
		return false;
	if (!sv.learn || dns_msg_reply_check(dns->buf, sv.len, &s->q, s->q.id, &rep) < 0) {
		deliver(dns, &s->q, s->udp_fd, &s->client, s->client_len, s->tc, dns->buf, sv.len);
		return true;
	}
	answer_client(dns, s, dns->buf, sv.len, &rep);
	return true;
}

static void on_relay_answer(void *arg, struct dns_slot *s, uint8_t *pkt, size_t len,
                            const struct dns_msg_reply *rep)
{
	struct dns *dns = arg;

	/* An upstream that fails to resolve is no better than none (RFC 8767). */
	if (rep->rcode == DNS_MSG_R_SERVFAIL && answer_cached(dns, s, true))
		return;
	dns->n.relayed++;
	int learn = answer_client(dns, s, pkt, len, rep);
	/* Answers to queries without RD may be partial: not kept. */
	if (dns->cache && learn >= 0 && cacheable(s) && s->q.flags & DNS_MSG_F_RD)
		cache_store(dns->cache, &s->q, pkt, len, rep, learn > 0, dns_cache_now());
}

static void on_relay_part(void *arg, struct dns_slot *s, uint8_t *pkt, size_t len)
{
	(void)arg;
	dns_msg_set_id(pkt, len, s->client_id);
	dns_tcp_send(s->tc, pkt, len);
}

static void on_relay_fail(void *arg, struct dns_slot *s)
{
	struct dns *dns = arg;
	size_t n;
	bool tcp = s->tc != NULL;

	dns->n.failed++;
	if (answer_cached(dns, s, true))
		return;
	if (dns_msg_build_error(&s->q, DNS_MSG_R_SERVFAIL, DNS_MSG_EDE_NO_REACHABLE,
	                        "no upstream answered", dns->buf, dns_msg_reply_limit(&s->q, tcp),
	                        &n) == 0) {
		dns_msg_set_id(dns->buf, n, s->client_id);
		deliver(dns, &s->q, s->udp_fd, &s->client, s->client_len, s->tc, dns->buf, n);
	}
}

static void on_relay_release(void *arg, struct dns_slot *s)
{
	struct dns *dns = arg;

	if (s->tc)
		dns_tcp_release(s->tc);
	if (dns->per_ip[s->ip_bucket])
		dns->per_ip[s->ip_bucket]--;
}

/* ---- queries ---- */

static unsigned ip_bucket(const struct sockaddr_storage *ss)
{
	const uint8_t *a = ss->ss_family == AF_INET
	                       ? (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr
	                       : (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return (unsigned)(addrset_hash(ss->ss_family, a) % DNS_PER_IP_SLOTS);
}

static void answer_now(struct dns *dns, const struct dns_msg_query *q, int udp_fd,
                       const struct sockaddr_storage *from, socklen_t fromlen,
                       struct tcp_client *tc, int rcode, int ede, const char *text)
{
	size_t n;

	if (dns_msg_build_error(q, rcode, ede, text, dns->buf, dns_msg_reply_limit(q, tc != NULL),
	                        &n) == 0)
		deliver(dns, q, udp_fd, from, fromlen, tc, dns->buf, n);
}

/* Answers here what a break blocks; false when the query is to be relayed.
 * m, bm: what the name matched in the lists and the endpoints. */
static bool answer_blocked(struct dns *dns, const struct dns_msg_query *q, bool tcp,
                           const struct whom_id *sender, const struct domains_match *m,
                           const struct domains_match *bm, bool in_bypass, size_t *len)
{
	uint64_t lists = dns->on ? inforce_lists_for(&dns->in, sender) : 0;
	struct dns_policy_answer a =
	    dns_policy_answer(q, m, in_bypass, lists, dns->conf->blocked_answer);

	if (a.action == DNS_POLICY_RELAY ||
	    build_policy_answer(dns, q, tcp, &a, blocked_zone(dns, q, &a, m, bm), len) < 0)
		return false;
	count_blocked(dns, q->qname, q->qname_len, a.lists);
	return true;
}

/* The client's side of c into the relay's slot s, as the cache saw it. Not
 * *s = c: that would overwrite what dns_relay_slot_new set in the slot (its
 * relay, index and the copy of the query). */
static void slot_take_client(struct dns_slot *s, const struct dns_slot *c)
{
	s->q_lists = c->q_lists;
	s->q_endpoint = c->q_endpoint;
	s->q_allow = c->q_allow;
	s->sender = c->sender;
	s->q = c->q;
	s->client_id = c->client_id;
	s->udp_fd = c->udp_fd;
	memcpy(&s->client, &c->client, c->client_len);
	s->client_len = c->client_len;
	s->tc = c->tc;
	s->xfr = c->xfr;
}

void dns_handle_query(struct dns *dns, const uint8_t *pkt, size_t len, int udp_fd,
                      const struct sockaddr_storage *from, socklen_t fromlen, struct tcp_client *tc)
{
	struct dns_msg_query q;
	size_t n;
	int r = dns_msg_query_parse(pkt, len, &q);

	/* Another EDNS version goes upstream like any query, so its BADVERS and
	 * the options that echoes are the upstream's (RFC 6891 6.1.3); only a
	 * name blocked now gets a BADVERS made here. */
	bool badvers = r == -EPROTONOSUPPORT && q.has_question;

	dns->n.queries++;
	if (r < 0 && !badvers) {
		int rcode = dns_msg_error_rcode(r);
		dns->n.malformed++;
		if (rcode >= 0)
			answer_now(dns, &q, udp_fd, from, fromlen, tc, rcode, DNS_MSG_EDE_NONE,
			           NULL);
		return;
	}
	/* One lookup per query: for blocking now, and for learning from its answer. */
	struct domains_match m, bm;
	bool in_lists = domains_match(dns->domains, q.qname, q.qname_len, &m);
	bool in_bypass = domains_match(dns->bypass, q.qname, q.qname_len, &bm);
	/* The sender once, for the answer now and the CNAME check of the relayed one. */
	struct whom_id sender =
	    dns->on ? sender_id(dns, udp_fd, tc, from) : (struct whom_id){.device = -1};
	if (answer_blocked(dns, &q, tc != NULL, &sender, &m, &bm, in_bypass, &n)) {
		if (badvers)
			answer_now(dns, &q, udp_fd, from, fromlen, tc, DNS_MSG_R_BADVERS,
			           DNS_MSG_EDE_NONE, NULL);
		else
			deliver(dns, &q, udp_fd, from, fromlen, tc, dns->buf, n);
		return;
	}
	/* The client's side of the query, for the cache and then the relay. */
	struct dns_slot c = {.q_lists = in_lists ? m.lists : 0,
	                     .q_endpoint = in_bypass,
	                     .q_allow = m.allow,
	                     .q = q,
	                     .sender = sender,
	                     .client_id = q.id,
	                     .udp_fd = udp_fd,
	                     .client_len = fromlen,
	                     .tc = tc,
	                     .xfr = tc && (q.qtype == DNS_MSG_T_AXFR || q.qtype == DNS_MSG_T_IXFR)};
	memcpy(&c.client, from, fromlen);
	if (answer_cached(dns, &c, false))
		return;
	unsigned bucket = ip_bucket(from);
	bool up = dns_relay_has_upstream(dns->relay);
	if (!up && answer_cached(dns, &c, true))
		return;
	if (!up || dns_relay_full(dns->relay) || dns->per_ip[bucket] >= DNS_INFLIGHT_PER_IP) {
		dns->n.refused++;
		answer_now(dns, &q, udp_fd, from, fromlen, tc,
		           up ? DNS_MSG_R_REFUSED : DNS_MSG_R_SERVFAIL,
		           up ? DNS_MSG_EDE_OTHER : DNS_MSG_EDE_NO_REACHABLE,
		           up ? "too many queries in flight" : "no upstream configured");
		return;
	}
	struct dns_slot *s = dns_relay_slot_new(dns->relay, pkt, len);
	if (!s) {
		dns->n.refused++;
		return;
	}
	slot_take_client(s, &c);
	if (tc)
		tc->pending++;
	s->ip_bucket = bucket;
	dns->per_ip[bucket]++;
	dns_relay_start(s);
}

/* The SO_MARK of a datagram read with SO_RCVMARK, 0 without one. */
static uint32_t rx_mark(struct msghdr *h)
{
	uint32_t mark = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_MARK &&
		    c->cmsg_len == CMSG_LEN(sizeof(mark)))
			memcpy(&mark, CMSG_DATA(c), sizeof(mark));
	return mark;
}

void dns_on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct dns *dns = l->dns;

	(void)what;
	for (size_t i = 0; i < DNS_UDP_BATCH; i++)
		dns->rx_msg[i].msg_hdr.msg_namelen = sizeof(dns->rx_from[i]);
	/* A bounded batch per wake-up, so one busy listener cannot starve the rest.
	 * A datagram longer than its buffer is cut (MSG_TRUNC): the parser answers
	 * FORMERR unless what was cut is only bytes it ignores anyway. */
	for (size_t i = 0; i < DNS_UDP_BATCH && dns->rcvmark; i++)
		dns->rx_msg[i].msg_hdr.msg_controllen = sizeof(dns->rx_ctl[i]);
	int n = recvmmsg(fd, dns->rx_msg, DNS_UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	dns->tx_open = true;
	for (int i = 0; i < n; i++) {
		dns->rx_mark = dns->rcvmark ? rx_mark(&dns->rx_msg[i].msg_hdr) : 0;
		dns_handle_query(dns, dns->rx_buf[i], dns->rx_msg[i].msg_len, fd, &dns->rx_from[i],
		                 dns->rx_msg[i].msg_hdr.msg_namelen, NULL);
	}
	dns->rx_mark = 0;
	tx_flush(dns);
	dns->tx_open = false;
}

int dns_new(struct event_base *base, const struct conf *c, const struct domains *d,
            const struct lists_bypass *bp, struct listenfd *inherited, dns_learn_fn learn,
            dns_blocked_fn blocked, void *arg, struct dns **out)
{
	/* The context with its batch buffers, the address sets and the queues
	 * come from pages on purpose (see addrset_pages_new): an idle daemon
	 * touches little of them. */
	struct dns *dns = addrset_pages_new(sizeof(*dns));
	const struct dns_relay_hooks hooks = {on_relay_batch, on_relay_answer,  on_relay_part,
	                                      on_relay_fail,  on_relay_release, dns};
	int r = -ENOMEM;

	if (!dns)
		return -ENOMEM;
	dns->base = base;
	dns->hosts_ifd = -1;
	dns->conf = c;
	dns->domains = d;
	dns->bp = bp;
	dns->bypass = bp->names;
	dns->learn = learn;
	dns->blocked = blocked;
	dns->learn_arg = arg;
	for (size_t i = 0; i < DNS_UDP_BATCH; i++) {
		dns->rx_iov[i] = (struct iovec){dns->rx_buf[i], sizeof(dns->rx_buf[i])};
		dns->rx_msg[i].msg_hdr.msg_iov = &dns->rx_iov[i];
		dns->rx_msg[i].msg_hdr.msg_iovlen = 1;
		dns->rx_msg[i].msg_hdr.msg_name = &dns->rx_from[i];
		dns->tx_iov[i].iov_base = dns->tx[i].pkt;
		dns->tx_msg[i].msg_hdr.msg_iov = &dns->tx_iov[i];
		dns->tx_msg[i].msg_hdr.msg_iovlen = 1;
		dns->tx_msg[i].msg_hdr.msg_name = &dns->tx[i].to;
	}
	dns->add = addrset_pages_new(DNS_QUEUE_MAX * sizeof(*dns->add));
	dns->del = addrset_pages_new(DNS_QUEUE_MAX * sizeof(*dns->del));
	dns->flush_ev = event_new(base, -1, 0, on_flush, dns);
	if (!dns->add || !dns->del || !dns->flush_ev ||
	    addrset_init(&dns->learned, DNS_ADDRS_MAX, false) < 0 ||
	    addrset_init(&dns->shared, DNS_ADDRS_MAX, true) < 0 ||
	    dns_relay_new(base, &hooks, &dns->relay) < 0)
		goto fail;
	for (size_t i = 0; i < c->n_listen; i++) {
		r = dns_listen_on(dns, &c->listen[i], true, false, inherited);
		if (r < 0)
			goto fail;
	}
	if (c->intercept && (r = dns_listen_intercept(dns, inherited)) < 0)
		goto fail;
	dns_relay_load(dns->relay, c);
	dns_cache_configure(dns, NULL, c);
	/* without the neighbour table every LAN sender gets the breaks for
	 * everyone: a warning, not a reason to leave the LAN without DNS */
	if (c->mode == CONF_MODE_GATEWAY && neigh_new(base, c, &dns->neigh) < 0)
		log_warn("dns: the LAN's devices are not told apart: breaks for some devices "
		         "hold for their traffic, not their DNS");
	*out = dns;
	return 0;
fail:
	dns_free(dns);
	return r;
}

void dns_set_conf(struct dns *dns, const struct conf *c, const struct domains *d)
{
	/* what is queued was learned for the old lists' indices */
	on_flush(-1, 0, dns);
	learned_remap(dns, dns->conf, c);
	if (c->intercept && !dns->intercept_bound)
		log_warn("dns: intercept = yes takes a restart: the listeners at port %d are bound "
		         "at start",
		         DNS_INTERCEPT_PORT);
	dns_cache_configure(dns, dns->conf, c);
	if (c->mode != dns->conf->mode || c->n_lan != dns->conf->n_lan ||
	    memcmp(c->lan, dns->conf->lan, sizeof(c->lan)) != 0)
		log_warn("dns: mode and lan take a restart: the running ones stay until then");
	dns->conf = c;
	dns->domains = d;
	dns_relay_load(dns->relay, c);
	if (dns->neigh)
		neigh_set_conf(dns->neigh, c);
	dns_hosts_read(dns); /* the lists may name its names now */
}

const struct neigh_tab *dns_neighbours(const struct dns *dns)
{
	return dns->neigh ? neigh_table(dns->neigh) : NULL;
}

/* From the first break for some users on, the UDP listeners read each
 * datagram's mark (the sender's uid, see nft_msg_rule_mark_sender); kept
 * on after, a cmsg per datagram costing next to nothing. */
static void read_marks(struct dns *dns)
{
	int one = 1;

	for (size_t i = 0; i < DNS_UDP_BATCH; i++)
		dns->rx_msg[i].msg_hdr.msg_control = dns->rx_ctl[i];
	for (size_t i = 0; i < dns->n_listeners; i++)
		if (dns->listeners[i].udp >= 0 && setsockopt(dns->listeners[i].udp, SOL_SOCKET,
		                                             SO_RCVMARK, &one, sizeof(one)) < 0)
			log_debug("dns: no SO_RCVMARK (%s): the sender's user is asked of "
			          "sock_diag",
			          strerror(errno));
	dns->rcvmark = true;
}

void dns_set_inforce(struct dns *dns, const struct inforce *in)
{
	bool was_on = dns->on;
	time_t until = dns->in.until;

	dns->in = *in;
	dns->on = inforce_any(in);
	/* a break starts or moves on: the hosts file's lines are in the sets for it */
	if (dns->on && (!was_on || in->until != until))
		dns_hosts_read(dns);
	dns->by_user = false;
	for (size_t i = 0; i < in->n_some; i++)
		dns->by_user |= in->some[i].whom.n_uids > 0;
	if (dns->by_user && !dns->sockuid) {
		int r = sockuid_new(&dns->sockuid);
		if (r < 0)
			log_warn("dns: cannot ask the kernel who sends queries (sock_diag: %s); "
			         "breaks for some users apply at the address layer only",
			         strerror(-r));
	}
	if (dns->by_user) /* again each time: listeners come with reloads */
		read_marks(dns);
	snprintf(dns->reason, sizeof(dns->reason), "blocked by smbreak: %s", in->reason);
}

bool dns_has_upstream(const struct dns *dns)
{
	return dns_relay_has_upstream(dns->relay);
}

bool dns_polling(const struct dns *dns)
{
	return dns && dns_relay_polling(dns->relay);
}

bool dns_can_intercept(const struct dns *dns)
{
	return dns->intercept_bound && dns_relay_has_upstream(dns->relay);
}

bool dns_bypass_explain(const struct dns *dns, const char *name, size_t len,
                        struct dns_bypass_why *why)
{
	struct domains_why w;

	memset(why, 0, sizeof(*why));
	switch (dns_policy_builtin(name, len)) {
	case DNS_POLICY_RULE_CANARY:
		why->rule = "a DoH canary";
		break;
	case DNS_POLICY_RULE_DDR:
		why->rule = "designated-resolver discovery";
		break;
	case DNS_POLICY_RULE_NONE:
		why->rule = "a DoH/DoT endpoint";
		domains_explain(dns->bypass, name, len, LISTS_BYPASS_ENDPOINT, &w);
		if (!w.block.found) {
			why->rule = "a wildcard-IP service";
			domains_explain(dns->bypass, name, len, LISTS_BYPASS_WILDCARD, &w);
		}
		if (!w.block.found)
			return false;
		why->hit = w.block;
		why->source = domains_origin(dns->bypass, w.block.origin, NULL, NULL);
		return true;
	}
	why->hit.found = true;
	snprintf(why->hit.entry, sizeof(why->hit.entry), "%.*s", (int)len, name);
	why->source = "built-in";
	return true;
}

bool dns_cloak_explain(const struct dns *dns, const char *name, size_t len,
                       struct dns_cloak_why *why)
{
	const struct dns_policy_cloak_seen *e = dns_policy_cloak_find(&dns->cloaks, name, len);

	if (!e)
		return false;
	snprintf(why->target, sizeof(why->target), "%s", e->target);
	snprintf(why->chain, sizeof(why->chain), "%s", e->chain);
	why->seen = e->seen;
	return true;
}

void dns_check_addr(const struct dns *dns, int family, const uint8_t *addr, uint64_t inforce,
                    struct proto_msg *reply)
{
	time_t now = time(NULL);
	char text[INET6_ADDRSTRLEN], msg[DNS_POLICY_CHECK_MAX];
	const struct addrset_entry *sh = addrset_find(&dns->shared, family, addr, now);
	const struct dns_policy_addr_facts f = {addrset_find(&dns->learned, family, addr, now), sh,
	                                        addrset_witnesses_of(&dns->shared, sh), dns->bp};
	bool blocked =
	    dns_policy_check_addr(dns->conf, &f, family, addr, inforce, msg, sizeof(msg));

	inet_ntop(family, addr, text, sizeof(text));
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_str(reply, PROTO_A_MESSAGE, msg);
	proto_put_str(reply, PROTO_A_ADDRESS, text);
	if (blocked)
		proto_put_flag(reply, PROTO_A_BLOCKED);
}

void dns_put_status(const struct dns *dns, struct proto_msg *reply)
{
	proto_put_counter(reply, "queries", dns->n.queries);
	proto_put_counter(reply, "blocked", dns->n.blocked);
	proto_put_counter(reply, "relayed", dns->n.relayed);
	proto_put_counter(reply, "failures", dns->n.failed);
	proto_put_counter(reply, "refused", dns->n.refused);
	proto_put_counter(reply, "malformed", dns->n.malformed);
	proto_put_counter(reply, "bad_replies", dns_relay_bad_replies(dns->relay));
	proto_put_counter(reply, "in_flight", dns_relay_in_flight(dns->relay));
	proto_put_counter(reply, "learned", dns->n.learned);
	proto_put_counter(reply, "shared_kept_out", dns->n.shared);
	proto_put_counter(reply, "learned_max", DNS_ADDRS_MAX);
	proto_put_counter(reply, "evicted_at_bound", dns->n.evicted);
	proto_put_counter(reply, "tcp_rejected", dns->n.tcp_rejected);
	proto_put_counter(reply, "tcp_evicted", dns->n.tcp_evicted);
	dns_cache_put_status(dns, reply);
	if (dns->neigh) /* gateway mode: the LAN's neighbours the forwarder knows */
		proto_put_counter(reply, "neighbours", neigh_table(dns->neigh)->n);
}

void dns_free(struct dns *dns)
{
	if (!dns)
		return;
	dns_relay_free(dns->relay); /* the queries in flight release their clients */
	neigh_free(dns->neigh);
	dns_tcp_close_all(dns);
	for (size_t i = 0; i < dns->n_listeners; i++) {
		struct listener *l = &dns->listeners[i];
		if (l->udp_ev)
			event_free(l->udp_ev);
		if (l->udp >= 0)
			close(l->udp);
		if (l->tcp)
			evconnlistener_free(l->tcp);
	}
	if (dns->flush_ev)
		event_free(dns->flush_ev);
	sockuid_free(dns->sockuid);
	dns_hosts_free(dns);
	cache_free(dns->cache);
	addrset_free(&dns->learned);
	addrset_free(&dns->shared);
	addrset_pages_free(dns->add, DNS_QUEUE_MAX * sizeof(*dns->add));
	addrset_pages_free(dns->del, DNS_QUEUE_MAX * sizeof(*dns->del));
	addrset_pages_free(dns, sizeof(*dns));
}
