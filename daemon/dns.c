/* The filtering DNS forwarder on the daemon's event loop. A query is parsed
 * once, answered here when a list in force blocks its name (or a bypass
 * hygiene rule applies), and otherwise relayed: on a connected UDP socket
 * drawn at random from a small pool per upstream whose sockets retire after a
 * few queries or a second (so source ports stay random and short-lived, and
 * only that server can answer), with a random id unique on that socket, the
 * reply matched by socket and id and checked against the question, a timeout
 * and failover to the next upstream, TCP when the reply is truncated, and
 * SERVFAIL when every upstream failed. Listener reads and our own answers go
 * in batches (recvmmsg, sendmmsg). Relayed answers for listed names feed
 * their addresses to enforcement after the answer has gone out. */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event_struct.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_msg.h"
#include "listenfd.h"
#include "log.h"
#include "resolv.h"

#define DNS_PKT_MAX      65535
#define DNS_PER_IP_SLOTS 1024 /* buckets of the per-client in-flight counts */
#define DNS_ADDR_PROBES  16
#define DNS_QUEUE_MAX    4096 /* learned elements queued before a forced flush */
#define DNS_SLOT_PKT     512  /* query bytes kept in the slot; longer ones (TCP) on the heap */
#define DNS_RND_BYTES    256  /* random bytes fetched at once: one getrandom per ~100 queries */
/* Ids in flight on one upstream socket, by id: open addressing, linear
 * probing. A socket sends at most DNS_UP_SOCK_USES queries in its life, so
 * the table never holds more than that many entries, removed ones included,
 * and stays at most half full without ever being cleaned. */
#define UP_TAB      (2 * DNS_UP_SOCK_USES)
#define UP_TAB_GONE 0xffff

_Static_assert((UP_TAB & (UP_TAB - 1)) == 0, "UP_TAB is a power of two");
_Static_assert(DNS_INFLIGHT_MAX < UP_TAB_GONE, "slot index + 1 fits below UP_TAB_GONE");

/* Names that browsers and operating systems use to get around a filtering
 * resolver. During a break they are answered here: the canaries say "no DoH
 * here", the DoH/DoT endpoints are blocked like a listed name. */
static const char *const canary_nx[] = {"use-application-dns.net", "mask.icloud.com",
                                        "mask-h2.icloud.com"};
static const char *const doh_names[] = {
    "dns.google",
    "dns.google.com",
    "cloudflare-dns.com",
    "one.one.one.one",
    "1dot1dot1dot1.cloudflare-dns.com",
    "dns.quad9.net",
    "dns9.quad9.net",
    "dns10.quad9.net",
    "dns11.quad9.net",
    "doh.opendns.com",
    "dns.opendns.com",
    "dns.adguard-dns.com",
    "dns.adguard.com",
    "dns.nextdns.io",
    "doh.cleanbrowsing.org",
    "dns.mullvad.net",
    "doh.mullvad.net",
    "doh.dns.sb",
    "dns.alidns.com",
    "doh.pub",
    "dns.controld.com",
    "freedns.controld.com",
};

struct addr_entry {
	uint8_t family; /* 0: empty */
	uint8_t addr[16];
	time_t expires;
};

/* A bounded set of addresses with expiry: a window of DNS_ADDR_PROBES slots
 * per hash, the entry closest to expiry evicted when the window is full. */
struct addr_set {
	struct addr_entry *v;
	size_t mask;
};

/* A pooled upstream UDP socket. */
struct up_sock {
	struct dns *dns;
	size_t upstream; /* index in dns->up; meaningless once retired */
	int fd;
	struct event ev;
	struct timeval born;
	unsigned uses;        /* queries sent on it */
	unsigned inflight;    /* of those, not done yet */
	unsigned hold;        /* callers still using it: it is not freed under them */
	bool retired;         /* out of the pool: takes no new query */
	uint16_t tab[UP_TAB]; /* slot index + 1, UP_TAB_GONE or 0 (empty) */
};

struct dns_upstream {
	struct value_addr addr;
	struct up_sock *socks[DNS_UP_SOCKS];
	size_t n_socks;
};

struct tcp_client {
	struct dns *dns;
	struct tcp_client *prev, *next; /* open clients, for shutdown */
	struct bufferevent *bev;        /* NULL once the client is gone */
	unsigned pending;
	bool reading;
};

struct slot {
	struct dns *dns;
	unsigned index;
	bool used;
	bool q_listed; /* the question name is in a list or a hygiene rule */
	/* The client. */
	struct dns_msg_query q;
	uint8_t *pkt; /* pkt_inline, or the heap for a long one */
	size_t len;
	uint8_t pkt_inline[DNS_SLOT_PKT];
	uint16_t client_id;
	int udp_fd; /* the listener to answer from, -1 for TCP */
	struct sockaddr_storage client;
	socklen_t client_len;
	struct tcp_client *tc;
	unsigned ip_bucket;
	/* The upstream try. */
	size_t upstream;
	size_t tries;
	uint16_t up_id;
	struct up_sock *sock;       /* the UDP try's socket, NULL between tries */
	struct event timer;         /* the UDP try's timeout */
	struct bufferevent *up_bev; /* TCP retry of a truncated answer */
};

/* An answer queued for the batch's sendmmsg. */
struct tx_entry {
	int fd;
	struct sockaddr_storage to;
	uint8_t pkt[DNS_TX_PKT];
};

struct listener {
	struct dns *dns;
	int udp;
	struct event *udp_ev;
	struct evconnlistener *tcp;
};

struct dns {
	struct event_base *base;
	const struct conf *conf;
	const struct domains *domains;
	struct domains *hygiene;
	uint64_t inforce;
	char reason[DNS_MSG_TEXT_MAX + 1];
	dns_learn_fn learn;
	dns_blocked_fn blocked;
	void *learn_arg;

	struct listener listeners[CONF_LISTEN_MAX];
	size_t n_listeners;
	struct dns_upstream up[CONF_UPSTREAMS_MAX];
	size_t n_up;

	struct slot *slots; /* DNS_INFLIGHT_MAX of them */
	unsigned free_slots[DNS_INFLIGHT_MAX];
	size_t n_free;
	uint16_t per_ip[DNS_PER_IP_SLOTS];
	unsigned n_tcp;
	struct tcp_client *tcp_clients;

	struct addr_set learned, shared;
	struct nft_elem *add, *del;
	size_t n_add, n_del;
	struct event *flush_ev;
	bool mark_warned;

	uint8_t rnd[DNS_RND_BYTES];
	size_t rnd_used;

	uint8_t buf[DNS_PKT_MAX];
	struct dns_msg_learned scratch;

	/* One batch of listener reads. */
	struct mmsghdr rx_msg[DNS_UDP_BATCH];
	struct iovec rx_iov[DNS_UDP_BATCH];
	struct sockaddr_storage rx_from[DNS_UDP_BATCH];
	uint8_t rx_buf[DNS_UDP_BATCH][DNS_UDP_QUERY_MAX];
	/* Answers queued while tx_open, sent at the end of the batch. */
	struct mmsghdr tx_msg[DNS_UDP_BATCH];
	struct iovec tx_iov[DNS_UDP_BATCH];
	struct tx_entry tx[DNS_UDP_BATCH];
	size_t n_tx;
	bool tx_open;

	struct {
		uint64_t queries, blocked, relayed, failed, refused, malformed, bad_replies,
		    learned, shared, tcp_rejected;
	} n;
};

/* ---- memory ---- */

/* The big tables (the context with its batch buffers, the query slots, the
 * address sets and queues) come straight from mmap: their pages stay unbacked until
 * used, so an idle daemon stays small. From malloc they could land on heap
 * memory freed by a list build, which calloc must clear, touching it all. */
static void *pages_new(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void pages_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

/* ---- address sets ---- */

static int addr_set_init(struct addr_set *s, size_t cap)
{
	s->v = pages_new(cap * sizeof(*s->v));
	s->mask = cap - 1;
	return s->v ? 0 : -ENOMEM;
}

static size_t addr_hash(int family, const uint8_t *a)
{
	uint64_t h = 1469598103934665603ull ^ (uint64_t)family;
	size_t n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (size_t)(h ^ (h >> 29));
}

static struct addr_entry *addr_find(struct addr_set *s, int family, const uint8_t *a, time_t now)
{
	size_t h = addr_hash(family, a), n = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < DNS_ADDR_PROBES; i++) {
		struct addr_entry *e = &s->v[(h + i) & s->mask];
		if (e->family == family && e->expires > now && memcmp(e->addr, a, n) == 0)
			return e;
	}
	return NULL;
}

static void addr_put(struct addr_set *s, int family, const uint8_t *a, time_t expires, time_t now)
{
	size_t h = addr_hash(family, a), n = family == AF_INET ? 4 : 16;
	struct addr_entry *victim = NULL, *e = addr_find(s, family, a, now);

	if (e) {
		if (expires > e->expires)
			e->expires = expires;
		return;
	}
	for (size_t i = 0; i < DNS_ADDR_PROBES; i++) {
		e = &s->v[(h + i) & s->mask];
		if (!e->family || e->expires <= now) {
			victim = e;
			break;
		}
		if (!victim || e->expires < victim->expires)
			victim = e;
	}
	victim->family = (uint8_t)family;
	memset(victim->addr, 0, sizeof(victim->addr));
	memcpy(victim->addr, a, n);
	victim->expires = expires;
}

/* ---- learning ---- */

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct dns *dns = arg;

	(void)fd, (void)what;
	if ((dns->n_add || dns->n_del) && dns->learn)
		dns->learn(dns->learn_arg, dns->add, dns->n_add, dns->del, dns->n_del);
	dns->n_add = dns->n_del = 0;
}

static void queue_elem(struct dns *dns, bool add, const struct dns_msg_addr *a, uint32_t ttl)
{
	struct nft_elem *v = add ? dns->add : dns->del;
	size_t *n = add ? &dns->n_add : &dns->n_del;

	if (*n == DNS_QUEUE_MAX)
		on_flush(-1, 0, dns);
	struct nft_elem *e = &v[(*n)++];
	memset(e, 0, sizeof(*e));
	e->family = a->family;
	memcpy(&e->addr, a->addr, a->family == AF_INET ? 4 : 16);
	e->timeout_ms = ttl * 1000;
	/* Once per loop turn: after every answer of this turn has been sent. */
	event_active(dns->flush_ev, 0, 0);
}

static bool listed(const struct dns *dns, const char *name, size_t len)
{
	struct domains_match m;

	return domains_match(dns->domains, name, len, &m) ||
	       domains_match(dns->hygiene, name, len, &m);
}

/* An answer that passed: its addresses go into the sets when a name of its
 * CNAME chain is listed, and count as shared (never blocked) otherwise.
 * q_listed: what the question name (the chain's first) matched when the
 * query came in, so that its lookup in the lists is not made twice. */
static void learn_answer(struct dns *dns, const uint8_t *pkt, size_t len,
                         const struct dns_msg_reply *rep, bool q_listed)
{
	struct dns_msg_learned *l = &dns->scratch;
	time_t now = time(NULL);
	bool is_listed = q_listed;

	if (dns_msg_extract(pkt, len, rep, l) < 0 || l->n_addrs == 0)
		return;
	for (size_t i = 1; i < l->n_names && !is_listed; i++)
		is_listed = listed(dns, l->names[i].name, l->names[i].len);
	for (size_t i = 0; i < l->n_addrs; i++) {
		const struct dns_msg_addr *a = &l->addrs[i];
		if (is_listed) {
			uint32_t ttl = a->ttl;
			if (ttl < dns->conf->learn_min)
				ttl = dns->conf->learn_min;
			if (ttl > dns->conf->learn_max)
				ttl = dns->conf->learn_max;
			if (addr_find(&dns->shared, a->family, a->addr, now)) {
				dns->n.shared++;
				continue;
			}
			addr_put(&dns->learned, a->family, a->addr, now + ttl, now);
			queue_elem(dns, true, a, ttl);
			dns->n.learned++;
		} else {
			addr_put(&dns->shared, a->family, a->addr, now + dns->conf->learn_max, now);
			struct addr_entry *e = addr_find(&dns->learned, a->family, a->addr, now);
			if (e) {
				/* A shared address (CDN): blocking it would cut unlisted sites. */
				e->expires = 0;
				queue_elem(dns, false, a, 0);
			}
		}
	}
}

/* ---- answering clients ---- */

static void tcp_client_release(struct tcp_client *tc);

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

static void send_tcp(struct tcp_client *tc, const uint8_t *pkt, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (!tc->bev)
		return;
	bufferevent_write(tc->bev, hdr, 2);
	bufferevent_write(tc->bev, pkt, len);
}

/* Sends a complete answer, cut to a TC answer if a UDP client cannot take it. */
static void deliver(struct dns *dns, const struct dns_msg_query *q, int udp_fd,
                    const struct sockaddr_storage *to, socklen_t tolen, struct tcp_client *tc,
                    const uint8_t *pkt, size_t len)
{
	if (tc) {
		send_tcp(tc, pkt, len);
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

/* ---- the relay ---- */

/* Random bytes from a buffer refilled in one call: arc4random costs a
 * getrandom system call each time in this libc. */
static void rnd_take(struct dns *dns, void *out, size_t n)
{
	if (dns->rnd_used + n > sizeof(dns->rnd)) {
		arc4random_buf(dns->rnd, sizeof(dns->rnd));
		dns->rnd_used = 0;
	}
	memcpy(out, dns->rnd + dns->rnd_used, n);
	/* Used bytes are not kept around for anyone to find later. */
	memset(dns->rnd + dns->rnd_used, 0, n);
	dns->rnd_used += n;
}

static int upstream_socket(struct dns *dns, int family, int type)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	uint32_t mark = DNS_SOCKET_MARK;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 && !dns->mark_warned) {
		log_warn("dns: cannot mark upstream sockets (%s); with intercept on, queries "
		         "could loop",
		         strerror(errno));
		dns->mark_warned = true;
	}
	return fd;
}

/* -- pooled upstream UDP sockets -- */

static struct slot *sock_find(struct up_sock *k, uint16_t id)
{
	for (size_t i = 0; i < UP_TAB; i++) {
		uint16_t v = k->tab[(id + i) & (UP_TAB - 1)];
		if (!v)
			return NULL;
		if (v != UP_TAB_GONE && k->dns->slots[v - 1].up_id == id)
			return &k->dns->slots[v - 1];
	}
	return NULL;
}

/* s->up_id must be unique on k (sock_find found nothing). */
static void sock_add(struct up_sock *k, struct slot *s)
{
	for (size_t i = 0; i < UP_TAB; i++) {
		uint16_t *v = &k->tab[(s->up_id + i) & (UP_TAB - 1)];
		if (!*v || *v == UP_TAB_GONE) {
			*v = (uint16_t)(s->index + 1);
			break;
		}
	}
	s->sock = k;
	k->inflight++;
	k->uses++;
}

/* A socket out of its pool is only reachable from its queries: it goes with
 * the last of them. */
static void sock_close_if_done(struct up_sock *k)
{
	if (!k->retired || k->inflight || k->hold)
		return;
	event_del(&k->ev);
	close(k->fd);
	free(k);
}

/* Takes k out of its pool: no new query goes to it, and it closes once the
 * queries on it are done. */
static void sock_retire(struct up_sock *k)
{
	struct dns_upstream *u = &k->dns->up[k->upstream];

	if (k->retired)
		return;
	k->retired = true;
	for (size_t i = 0; i < u->n_socks; i++) {
		if (u->socks[i] == k) {
			u->socks[i] = u->socks[--u->n_socks];
			break;
		}
	}
	sock_close_if_done(k);
}

/* After a reload (the upstreams change) and at the end. */
static void sock_retire_all(struct dns *dns)
{
	for (size_t i = 0; i < dns->n_up; i++)
		while (dns->up[i].n_socks)
			sock_retire(dns->up[i].socks[0]);
}

/* The query's UDP try is over: off its socket, its timer stopped. */
static void slot_detach(struct slot *s)
{
	struct up_sock *k = s->sock;

	event_del(&s->timer);
	if (!k)
		return;
	for (size_t i = 0; i < UP_TAB; i++) {
		uint16_t *v = &k->tab[(s->up_id + i) & (UP_TAB - 1)];
		if (*v == s->index + 1) {
			*v = UP_TAB_GONE;
			break;
		}
	}
	s->sock = NULL;
	k->inflight--;
	sock_close_if_done(k);
}

static void slot_free(struct slot *s)
{
	struct dns *dns = s->dns;

	slot_detach(s);
	if (s->up_bev)
		bufferevent_free(s->up_bev);
	s->up_bev = NULL;
	if (s->tc)
		tcp_client_release(s->tc);
	if (dns->per_ip[s->ip_bucket])
		dns->per_ip[s->ip_bucket]--;
	if (s->pkt != s->pkt_inline)
		free(s->pkt);
	s->used = false;
	dns->free_slots[dns->n_free++] = s->index;
}

static void slot_answer(struct slot *s, uint8_t *pkt, size_t len)
{
	dns_msg_set_id(pkt, len, s->client_id);
	deliver(s->dns, &s->q, s->udp_fd, &s->client, s->client_len, s->tc, pkt, len);
	slot_free(s);
}

static void slot_fail(struct slot *s)
{
	struct dns *dns = s->dns;
	size_t n;
	bool tcp = s->tc != NULL;

	dns->n.failed++;
	if (dns_msg_build_error(&s->q, DNS_MSG_R_SERVFAIL, DNS_MSG_EDE_NO_REACHABLE,
	                        "no upstream answered", dns->buf, dns_msg_reply_limit(&s->q, tcp),
	                        &n) == 0) {
		dns_msg_set_id(dns->buf, n, s->client_id);
		deliver(dns, &s->q, s->udp_fd, &s->client, s->client_len, s->tc, dns->buf, n);
	}
	slot_free(s);
}

static void relay_try(struct slot *s);

static void relay_next(struct slot *s)
{
	slot_detach(s);
	if (s->up_bev) {
		bufferevent_free(s->up_bev);
		s->up_bev = NULL;
	}
	if (++s->tries >= s->dns->n_up) {
		slot_fail(s);
		return;
	}
	s->upstream = (s->upstream + 1) % s->dns->n_up;
	relay_try(s);
}

/* The socket reported an error (ECONNREFUSED: an ICMP port unreachable came
 * back). Which query caused it cannot be known, but they all went to the same
 * server: every one fails over, and the socket goes. */
static void sock_fail(struct up_sock *k, int err)
{
	struct dns *dns = k->dns;

	log_debug("dns: upstream %zu: %s; %u queries on the socket fail over", k->upstream,
	          strerror(err), k->inflight);
	k->hold++;
	sock_retire(k);
	for (size_t i = 0; i < UP_TAB && k->inflight; i++) {
		uint16_t v = k->tab[i];
		if (v && v != UP_TAB_GONE)
			relay_next(&dns->slots[v - 1]);
	}
	k->hold--;
	sock_close_if_done(k);
}

/* Checks a reply and, when it is the answer, learns from it and sends it on. */
static void relay_reply(struct slot *s, uint8_t *pkt, size_t len, bool tcp);

/* Replies on a pooled socket, each to the query in flight there with its id. */
static void on_up_read(evutil_socket_t fd, short what, void *arg)
{
	struct up_sock *k = arg;
	struct dns *dns = k->dns;

	(void)what;
	k->hold++;
	dns->tx_open = true;
	for (int i = 0; i < DNS_UDP_BATCH; i++) {
		ssize_t n = recv(fd, dns->buf, sizeof(dns->buf), 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				sock_fail(k, errno);
			break;
		}
		struct slot *s =
		    n >= 2 ? sock_find(k, (uint16_t)(dns->buf[0] << 8 | dns->buf[1])) : NULL;
		if (!s) {
			/* Late (the query timed out), or forged: it costs only itself. */
			dns->n.bad_replies++;
			continue;
		}
		relay_reply(s, dns->buf, (size_t)n, false);
	}
	tx_flush(dns);
	dns->tx_open = false;
	k->hold--;
	sock_close_if_done(k);
}

static struct up_sock *sock_open(struct dns *dns, size_t upstream)
{
	struct dns_upstream *u = &dns->up[upstream];
	struct up_sock *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->fd = upstream_socket(dns, u->addr.ss.ss_family, SOCK_DGRAM);
	if (k->fd < 0 || connect(k->fd, (const struct sockaddr *)&u->addr.ss, u->addr.len) < 0 ||
	    event_assign(&k->ev, dns->base, k->fd, EV_READ | EV_PERSIST, on_up_read, k) < 0 ||
	    event_add(&k->ev, NULL) < 0) {
		if (k->fd >= 0)
			close(k->fd);
		free(k);
		return NULL;
	}
	k->dns = dns;
	k->upstream = upstream;
	event_base_gettimeofday_cached(dns->base, &k->born);
	u->socks[u->n_socks++] = k;
	return k;
}

/* A socket of the upstream's pool for the next query: a new one while the
 * pool is not full, else one at random, replaced if it is too old. */
static struct up_sock *sock_pick(struct dns *dns, size_t upstream)
{
	struct dns_upstream *u = &dns->up[upstream];
	struct up_sock *k;
	struct timeval now;
	uint8_t r;

	if (u->n_socks < DNS_UP_SOCKS && (k = sock_open(dns, upstream)))
		return k;
	if (!u->n_socks)
		return NULL;
	rnd_take(dns, &r, 1);
	k = u->socks[(r * u->n_socks) >> 8];
	event_base_gettimeofday_cached(dns->base, &now);
	long age_ms = (now.tv_sec - k->born.tv_sec) * 1000 + (now.tv_usec - k->born.tv_usec) / 1000;
	if (age_ms >= DNS_UP_SOCK_MS) {
		struct up_sock *fresh;
		sock_retire(k);
		if ((fresh = sock_open(dns, upstream)))
			return fresh;
		return u->n_socks ? u->socks[0] : NULL;
	}
	return k;
}

static void on_slot_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;

	(void)fd, (void)what;
	log_debug("dns: upstream %zu timed out for %s", s->upstream, s->q.qname);
	relay_next(s);
}

static void relay_try(struct slot *s)
{
	struct dns *dns = s->dns;
	struct timeval tv = {DNS_TIMEOUT_MS / 1000, (DNS_TIMEOUT_MS % 1000) * 1000};
	struct up_sock *k = sock_pick(dns, s->upstream);

	if (!k) {
		relay_next(s);
		return;
	}
	do
		rnd_take(dns, &s->up_id, sizeof(s->up_id));
	while (sock_find(k, s->up_id));
	dns_msg_set_id(s->pkt, s->len, s->up_id);
	if (send(k->fd, s->pkt, s->len, MSG_NOSIGNAL) < 0) {
		int e = errno;
		/* A full buffer loses this query only; an error pending on the socket
		 * (a port unreachable for an earlier query) condemns the socket. */
		if (e != EAGAIN && e != EWOULDBLOCK && e != ENOBUFS && e != EINTR)
			sock_fail(k, e);
		relay_next(s);
		return;
	}
	sock_add(k, s);
	if (k->uses >= DNS_UP_SOCK_USES)
		sock_retire(k);
	evtimer_add(&s->timer, &tv);
}

static void on_up_tcp_read(struct bufferevent *bev, void *arg)
{
	struct slot *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];

	if (evbuffer_get_length(in) < 2)
		return;
	evbuffer_copyout(in, hdr, 2);
	size_t len = (size_t)hdr[0] << 8 | hdr[1];
	if (evbuffer_get_length(in) < 2 + len)
		return;
	evbuffer_drain(in, 2);
	evbuffer_remove(in, s->dns->buf, len);
	relay_reply(s, s->dns->buf, len, true);
}

static void on_up_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct slot *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	relay_next(s); /* error, EOF or timeout before a whole answer */
}

/* The UDP answer was truncated: ask the same upstream over TCP. */
static void relay_tcp(struct slot *s)
{
	struct dns *dns = s->dns;
	const struct value_addr *up = &dns->up[s->upstream].addr;
	struct timeval tv = {DNS_TIMEOUT_MS / 1000, (DNS_TIMEOUT_MS % 1000) * 1000};
	uint8_t hdr[2] = {(uint8_t)(s->len >> 8), (uint8_t)s->len};
	int fd;

	slot_detach(s);
	fd = upstream_socket(dns, up->ss.ss_family, SOCK_STREAM);
	if (fd < 0) {
		relay_next(s);
		return;
	}
	s->up_bev = bufferevent_socket_new(dns->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!s->up_bev) {
		close(fd);
		relay_next(s);
		return;
	}
	bufferevent_setcb(s->up_bev, on_up_tcp_read, NULL, on_up_tcp_event, s);
	bufferevent_set_timeouts(s->up_bev, &tv, &tv);
	bufferevent_enable(s->up_bev, EV_READ);
	bufferevent_write(s->up_bev, hdr, 2);
	bufferevent_write(s->up_bev, s->pkt, s->len);
	if (bufferevent_socket_connect(s->up_bev, (struct sockaddr *)&up->ss, up->len) < 0)
		relay_next(s);
}

static void relay_reply(struct slot *s, uint8_t *pkt, size_t len, bool tcp)
{
	struct dns_msg_reply rep;
	int r = dns_msg_reply_check(pkt, len, &s->q, s->up_id, &rep);

	if (r < 0 && !tcp) {
		/* Not the answer to this query, or broken: whoever sent it, the query
		 * keeps waiting for its answer or its timeout. */
		s->dns->n.bad_replies++;
		log_debug("dns: reply from upstream %zu for %s dropped: %s", s->upstream,
		          s->q.qname, strerror(-r));
		return;
	}
	if (r < 0) {
		log_debug("dns: bad reply from upstream %zu for %s: %s", s->upstream, s->q.qname,
		          strerror(-r));
		relay_next(s);
		return;
	}
	if (rep.tc && !tcp) {
		relay_tcp(s);
		return;
	}
	s->dns->n.relayed++;
	learn_answer(s->dns, pkt, len, &rep, s->q_listed);
	slot_answer(s, pkt, len);
}

static unsigned ip_bucket(const struct sockaddr_storage *ss)
{
	const uint8_t *a = ss->ss_family == AF_INET
	                       ? (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr
	                       : (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	return (unsigned)(addr_hash(ss->ss_family, a) % DNS_PER_IP_SLOTS);
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

/* ---- queries ---- */

static void answer_now(struct dns *dns, const struct dns_msg_query *q, int udp_fd,
                       const struct sockaddr_storage *from, socklen_t fromlen,
                       struct tcp_client *tc, int rcode, int ede, const char *text)
{
	size_t n;

	if (dns_msg_build_error(q, rcode, ede, text, dns->buf, dns_msg_reply_limit(q, tc != NULL),
	                        &n) == 0)
		deliver(dns, q, udp_fd, from, fromlen, tc, dns->buf, n);
}

static bool in_names(const char *name, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, v[i]) == 0)
			return true;
	return false;
}

/* What the stats count a blocked name under: the service whose entry matched,
 * else the list's name (the first list in force that blocks it). */
static void count_blocked(struct dns *dns, const struct dns_msg_query *q, uint64_t lists)
{
	char key[VALUE_NAME_MAX + 1];
	const char *k = "doh";

	if (!dns->blocked)
		return;
	unsigned i = lists ? (unsigned)__builtin_ctzll(lists) : SMB_LISTS_MAX;
	if (i < dns->conf->n_lists) {
		const struct conf_list *l = &dns->conf->lists[i];
		k = l->name;
		/* Which entry matched only matters to a list with services, and finding
		 * it costs as much again as the match itself. */
		if (l->n_services) {
			struct domains_why why;
			const char *src = NULL;
			domains_explain(dns->domains, q->qname, q->qname_len, i, &why);
			if (why.block.found)
				src = domains_origin(dns->domains, why.block.origin, NULL, NULL);
			if (src && strncmp(src, "service ", 8) == 0) {
				snprintf(key, sizeof(key), "%s", src + 8);
				k = key;
			}
		}
	}
	dns->blocked(dns->learn_arg, k);
}

/* Answers here what a break blocks; false when the query is to be relayed.
 * m, in_hygiene: what the name matched in the lists and the hygiene rules. */
static bool answer_blocked(struct dns *dns, const struct dns_msg_query *q, bool tcp,
                           const struct domains_match *m, bool in_hygiene, size_t *len)
{
	size_t limit = dns_msg_reply_limit(q, tcp);
	uint32_t ttl = dns->conf->blocked_ttl;
	int r;

	if (!dns->inforce)
		return false;
	if (in_names(q->qname, canary_nx, sizeof(canary_nx) / sizeof(canary_nx[0]))) {
		r = dns_msg_build_blocked(q, DNS_MSG_BLOCK_NXDOMAIN, ttl, dns->reason, dns->buf,
		                          limit, len);
	} else if (strcmp(q->qname, "resolver.arpa") == 0 ||
	           (q->qname_len > 14 &&
	            strcmp(q->qname + q->qname_len - 14, ".resolver.arpa") == 0)) {
		/* Discovery of designated resolvers (DDR): there are none. */
		r = dns_msg_build_empty(q, ttl, DNS_MSG_EDE_BLOCKED, dns->reason, dns->buf, limit,
		                        len);
	} else if ((m->lists & dns->inforce) || in_hygiene) {
		if (q->qtype == DNS_MSG_T_HTTPS || q->qtype == DNS_MSG_T_SVCB)
			r = dns_msg_build_empty(q, ttl, DNS_MSG_EDE_BLOCKED, dns->reason, dns->buf,
			                        limit, len);
		else
			r = dns_msg_build_blocked(q, block_mode(dns->conf->blocked_answer), ttl,
			                          dns->reason, dns->buf, limit, len);
	} else {
		return false;
	}
	if (r < 0)
		return false;
	dns->n.blocked++;
	count_blocked(dns, q, m->lists & dns->inforce);
	return true;
}

static void handle_query(struct dns *dns, const uint8_t *pkt, size_t len, int udp_fd,
                         const struct sockaddr_storage *from, socklen_t fromlen,
                         struct tcp_client *tc)
{
	struct dns_msg_query q;
	size_t n;
	int r = dns_msg_query_parse(pkt, len, &q);

	dns->n.queries++;
	if (r < 0) {
		int rcode = dns_msg_error_rcode(r);
		dns->n.malformed++;
		if (rcode >= 0)
			answer_now(dns, &q, udp_fd, from, fromlen, tc, rcode, DNS_MSG_EDE_NONE,
			           NULL);
		return;
	}
	/* One lookup per query: for blocking now, and for learning from its answer. */
	struct domains_match m, hm;
	bool in_lists = domains_match(dns->domains, q.qname, q.qname_len, &m);
	bool in_hygiene = domains_match(dns->hygiene, q.qname, q.qname_len, &hm);
	if (answer_blocked(dns, &q, tc != NULL, &m, in_hygiene, &n)) {
		deliver(dns, &q, udp_fd, from, fromlen, tc, dns->buf, n);
		return;
	}
	unsigned bucket = ip_bucket(from);
	if (!dns->n_up || !dns->n_free || dns->per_ip[bucket] >= DNS_INFLIGHT_PER_IP) {
		dns->n.refused++;
		answer_now(dns, &q, udp_fd, from, fromlen, tc,
		           dns->n_up ? DNS_MSG_R_REFUSED : DNS_MSG_R_SERVFAIL,
		           dns->n_up ? DNS_MSG_EDE_OTHER : DNS_MSG_EDE_NO_REACHABLE,
		           dns->n_up ? "too many queries in flight" : "no upstream configured");
		return;
	}
	unsigned index = dns->free_slots[dns->n_free - 1];
	struct slot *s = &dns->slots[index];
	s->pkt = len <= sizeof(s->pkt_inline) ? s->pkt_inline : malloc(len);
	if (!s->pkt) {
		dns->n.refused++;
		return;
	}
	dns->n_free--;
	s->dns = dns;
	s->index = index;
	s->used = true;
	s->q_listed = in_lists || in_hygiene;
	s->q = q;
	memcpy(s->pkt, pkt, len);
	s->len = len;
	s->client_id = q.id;
	s->udp_fd = udp_fd;
	memcpy(&s->client, from, fromlen);
	s->client_len = fromlen;
	s->tc = tc;
	if (tc)
		tc->pending++;
	s->ip_bucket = bucket;
	dns->per_ip[bucket]++;
	s->sock = NULL;
	s->up_bev = NULL;
	s->tries = 0;
	s->upstream = 0;
	event_assign(&s->timer, dns->base, -1, 0, on_slot_timeout, s);
	relay_try(s);
}

static void on_udp(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct dns *dns = l->dns;

	(void)what;
	for (size_t i = 0; i < DNS_UDP_BATCH; i++)
		dns->rx_msg[i].msg_hdr.msg_namelen = sizeof(dns->rx_from[i]);
	/* A bounded batch per wake-up, so one busy listener cannot starve the rest.
	 * A datagram longer than its buffer is cut (MSG_TRUNC): the parser answers
	 * FORMERR unless what was cut is only bytes it ignores anyway. */
	int n = recvmmsg(fd, dns->rx_msg, DNS_UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	dns->tx_open = true;
	for (int i = 0; i < n; i++)
		handle_query(dns, dns->rx_buf[i], dns->rx_msg[i].msg_len, fd, &dns->rx_from[i],
		             dns->rx_msg[i].msg_hdr.msg_namelen, NULL);
	tx_flush(dns);
	dns->tx_open = false;
}

/* ---- TCP clients ---- */

static void tcp_client_close(struct tcp_client *tc)
{
	struct dns *dns = tc->dns;

	if (tc->bev) {
		bufferevent_free(tc->bev);
		tc->bev = NULL;
		dns->n_tcp--;
		if (tc->prev)
			tc->prev->next = tc->next;
		else
			dns->tcp_clients = tc->next;
		if (tc->next)
			tc->next->prev = tc->prev;
	}
	if (!tc->pending)
		free(tc);
}

/* One of the client's queries is done; frees a client that left meanwhile. */
static void tcp_client_release(struct tcp_client *tc)
{
	tc->pending--;
	if (!tc->bev) {
		if (!tc->pending)
			free(tc);
		return;
	}
	if (!tc->reading && tc->pending < DNS_TCP_PENDING_MAX) {
		tc->reading = true;
		bufferevent_enable(tc->bev, EV_READ);
	}
}

static void on_tcp_read(struct bufferevent *bev, void *arg)
{
	struct tcp_client *tc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	static uint8_t pkt[DNS_PKT_MAX];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);

	getpeername(bufferevent_getfd(bev), (struct sockaddr *)&from, &fromlen);
	while (evbuffer_get_length(in) >= 2) {
		uint8_t hdr[2];
		evbuffer_copyout(in, hdr, 2);
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		if (len < DNS_MSG_HDR_LEN) {
			tcp_client_close(tc); /* not DNS: the connection goes */
			return;
		}
		if (evbuffer_get_length(in) < 2 + len)
			return;
		if (tc->pending >= DNS_TCP_PENDING_MAX) {
			tc->reading = false;
			bufferevent_disable(bev, EV_READ);
			return;
		}
		evbuffer_drain(in, 2);
		evbuffer_remove(in, pkt, len);
		handle_query(tc->dns, pkt, len, -1, &from, fromlen, tc);
		if (!tc->bev)
			return;
	}
}

static void on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev, (void)what;
	tcp_client_close(arg); /* EOF, error or idle timeout */
}

static void on_tcp_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
	struct listener *l = arg;
	struct dns *dns = l->dns;
	struct timeval idle = {DNS_TCP_IDLE_SECS, 0};
	struct tcp_client *tc;

	(void)lev, (void)sa, (void)salen;
	if (dns->n_tcp >= DNS_TCP_CLIENTS_MAX || !(tc = calloc(1, sizeof(*tc)))) {
		dns->n.tcp_rejected++;
		close(fd);
		return;
	}
	tc->dns = dns;
	tc->bev = bufferevent_socket_new(dns->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!tc->bev) {
		close(fd);
		free(tc);
		return;
	}
	dns->n_tcp++;
	tc->next = dns->tcp_clients;
	if (tc->next)
		tc->next->prev = tc;
	dns->tcp_clients = tc;
	tc->reading = true;
	bufferevent_setcb(tc->bev, on_tcp_read, NULL, on_tcp_event, tc);
	bufferevent_set_timeouts(tc->bev, &idle, &idle);
	bufferevent_enable(tc->bev, EV_READ | EV_WRITE);
}

/* ---- setup ---- */

static void set_rcvbuf(int fd, int type)
{
	/* Whatever holds the loop for a moment (a burst of learned addresses to
	 * commit, a slow disk under the state file), the queries of that time
	 * wait in this buffer instead of being dropped. */
	int size = DNS_UDP_RCVBUF;

	if (type == SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* The socket handed over by systemd for this address, else one of our own;
 * *inherited says which. */
static int bind_socket(struct listenfd *lf, const struct value_addr *a, int type, bool *inherited)
{
	int one = 1;
	int fd = listenfd_take(lf, a, type);

	*inherited = fd >= 0;
	if (fd >= 0) {
		set_rcvbuf(fd, type);
		return fd;
	}
	fd = socket(a->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Listen on 127.0.0.153 or a LAN address before it is configured. */
	setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof(one));
	set_rcvbuf(fd, type);
	if (a->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void load_upstreams(struct dns *dns, const struct conf *c)
{
	char desc[256];

	/* Sockets to the old upstreams take no new query. */
	sock_retire_all(dns);

	if (!c->upstream_auto) {
		dns->n_up =
		    c->n_upstreams < CONF_UPSTREAMS_MAX ? c->n_upstreams : CONF_UPSTREAMS_MAX;
		for (size_t i = 0; i < dns->n_up; i++)
			dns->up[i].addr = c->upstreams[i];
		return;
	}
	struct value_addr v[CONF_UPSTREAMS_MAX];
	struct resolv_report rep = {0};
	size_t n = 0;
	int r = resolv_load(NULL, c->listen, c->n_listen, v, CONF_UPSTREAMS_MAX, &n, &rep);
	for (size_t i = 0; i < rep.n_notes; i++) {
		resolv_note_format(&rep, &rep.notes[i], desc, sizeof(desc));
		log_info("dns: %s", desc);
	}
	resolv_describe(r, &rep, n, desc, sizeof(desc));
	if (r < 0) {
		log_error("dns: upstream = auto: %s; names that are not blocked get SERVFAIL",
		          desc);
		dns->n_up = 0;
		return;
	}
	log_info("dns: upstream = auto: %s", desc);
	dns->n_up = n;
	for (size_t i = 0; i < n; i++)
		dns->up[i].addr = v[i];
}

static int build_hygiene(struct domains **out)
{
	struct domains_builder *b = domains_builder_new();
	int o;

	if (!b)
		return -ENOMEM;
	o = domains_builder_origin(b, 0, false, "built-in DoH/DoT resolvers");
	for (size_t i = 0; o >= 0 && i < sizeof(doh_names) / sizeof(doh_names[0]); i++)
		domains_builder_add(b, doh_names[i], strlen(doh_names[i]), (uint32_t)o, 0);
	if (o < 0) {
		domains_builder_free(b);
		return o;
	}
	*out = domains_builder_finish(b);
	return *out ? 0 : -ENOMEM;
}

/* Says why a listener could not be had, with what to do where there is something. */
static void log_listen_error(const char *name, const char *proto, int err)
{
	if (err == -EACCES)
		log_error("dns: cannot listen on %s (%s): %s; under systemd, port 53 comes from "
		          "smbreakd.socket: add the address there too (`systemctl edit "
		          "smbreakd.socket`, ListenDatagram= and ListenStream=), or run smbreakd "
		          "with CAP_NET_BIND_SERVICE",
		          name, proto, strerror(-err));
	else
		log_error("dns: cannot listen on %s (%s): %s", name, proto, strerror(-err));
}

int dns_new(struct event_base *base, const struct conf *c, const struct domains *d,
            struct listenfd *inherited, dns_learn_fn learn, dns_blocked_fn blocked, void *arg,
            struct dns **out)
{
	struct dns *dns = pages_new(sizeof(*dns));
	char name[80];
	int r = -ENOMEM;

	if (!dns)
		return -ENOMEM;
	dns->base = base;
	dns->conf = c;
	dns->domains = d;
	dns->learn = learn;
	dns->blocked = blocked;
	dns->learn_arg = arg;
	dns->rnd_used = sizeof(dns->rnd);
	dns->slots = pages_new(DNS_INFLIGHT_MAX * sizeof(*dns->slots));
	if (!dns->slots)
		goto fail;
	/* Slots are filled in when first used: pages of slots never used (most,
	 * most of the time) are never touched. */
	for (unsigned i = 0; i < DNS_INFLIGHT_MAX; i++)
		dns->free_slots[dns->n_free++] = DNS_INFLIGHT_MAX - 1 - i;
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
	dns->add = pages_new(DNS_QUEUE_MAX * sizeof(*dns->add));
	dns->del = pages_new(DNS_QUEUE_MAX * sizeof(*dns->del));
	dns->flush_ev = event_new(base, -1, 0, on_flush, dns);
	if (!dns->add || !dns->del || !dns->flush_ev ||
	    addr_set_init(&dns->learned, DNS_ADDRS_MAX) < 0 ||
	    addr_set_init(&dns->shared, DNS_ADDRS_MAX) < 0 || build_hygiene(&dns->hygiene) < 0)
		goto fail;
	for (size_t i = 0; i < c->n_listen; i++) {
		struct listener *l = &dns->listeners[dns->n_listeners];
		int tfd;
		bool udp_inherited, tcp_inherited;

		value_addr_format(&c->listen[i], name, sizeof(name));
		l->dns = dns;
		l->udp = bind_socket(inherited, &c->listen[i], SOCK_DGRAM, &udp_inherited);
		if (l->udp < 0) {
			r = l->udp;
			log_listen_error(name, "UDP", r);
			goto fail;
		}
		dns->n_listeners++;
		tfd = bind_socket(inherited, &c->listen[i], SOCK_STREAM, &tcp_inherited);
		if (tfd < 0) {
			r = tfd;
			log_listen_error(name, "TCP", r);
			goto fail;
		}
		l->tcp = evconnlistener_new(base, on_tcp_accept, l, LEV_OPT_CLOSE_ON_FREE, -1, tfd);
		l->udp_ev = event_new(base, l->udp, EV_READ | EV_PERSIST, on_udp, l);
		if (!l->tcp || !l->udp_ev || event_add(l->udp_ev, NULL) < 0) {
			if (!l->tcp)
				close(tfd);
			r = -ENOMEM;
			goto fail;
		}
		log_info("dns: listening on %s (UDP and TCP%s)", name,
		         udp_inherited && tcp_inherited   ? ", from systemd"
		         : udp_inherited || tcp_inherited ? ", one from systemd"
		                                          : "");
	}
	load_upstreams(dns, c);
	*out = dns;
	return 0;
fail:
	dns_free(dns);
	return r;
}

void dns_set_conf(struct dns *dns, const struct conf *c, const struct domains *d)
{
	dns->conf = c;
	dns->domains = d;
	load_upstreams(dns, c);
}

void dns_set_inforce(struct dns *dns, uint64_t lists, const char *reason)
{
	dns->inforce = lists;
	snprintf(dns->reason, sizeof(dns->reason), "blocked by smbreak: %s", reason);
}

bool dns_has_upstream(const struct dns *dns)
{
	return dns->n_up > 0;
}

void dns_check_addr(const struct dns *dns, int family, const uint8_t *addr, bool blocking,
                    struct proto_msg *reply)
{
	struct dns *d = (struct dns *)dns; /* lookups do not change the sets */
	char text[INET6_ADDRSTRLEN], when[32];
	time_t now = time(NULL);
	const struct addr_entry *shared = addr_find(&d->shared, family, addr, now);
	const struct addr_entry *learned = addr_find(&d->learned, family, addr, now);
	char msg[256];

	inet_ntop(family, addr, text, sizeof(text));
	if (shared) {
		snprintf(msg, sizeof(msg),
		         "%s is shared: it also answered a name in no list, so it is kept out of "
		         "the sets (names are still blocked by DNS)",
		         text);
	} else if (learned) {
		struct tm tm;
		localtime_r(&learned->expires, &tm);
		strftime(when, sizeof(when), "%a %H:%M", &tm);
		snprintf(msg, sizeof(msg),
		         "%s is in the sets, learned from a listed name, until %s; %s", text, when,
		         blocking ? "it is blocked now" : "it is blocked during breaks");
	} else {
		snprintf(msg, sizeof(msg),
		         "%s is not in the sets: no answer for a listed name held it", text);
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_str(reply, PROTO_A_MESSAGE, msg);
	proto_put_str(reply, PROTO_A_DOMAIN, text);
	if (learned && !shared && blocking)
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
	proto_put_counter(reply, "bad_replies", dns->n.bad_replies);
	proto_put_counter(reply, "in_flight", DNS_INFLIGHT_MAX - dns->n_free);
	proto_put_counter(reply, "learned", dns->n.learned);
	proto_put_counter(reply, "shared_kept_out", dns->n.shared);
}

void dns_free(struct dns *dns)
{
	if (!dns)
		return;
	for (unsigned i = 0; dns->slots && i < DNS_INFLIGHT_MAX; i++)
		if (dns->slots[i].used)
			slot_free(&dns->slots[i]);
	sock_retire_all(dns); /* with no query left, each closes at once */
	while (dns->tcp_clients)
		tcp_client_close(dns->tcp_clients);
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
	domains_free(dns->hygiene);
	pages_free(dns->learned.v, (dns->learned.mask + 1) * sizeof(*dns->learned.v));
	pages_free(dns->shared.v, (dns->shared.mask + 1) * sizeof(*dns->shared.v));
	pages_free(dns->add, DNS_QUEUE_MAX * sizeof(*dns->add));
	pages_free(dns->del, DNS_QUEUE_MAX * sizeof(*dns->del));
	pages_free(dns->slots, DNS_INFLIGHT_MAX * sizeof(*dns->slots));
	pages_free(dns, sizeof(*dns));
}
