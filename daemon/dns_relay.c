/* The forwarder's upstream side (see dns_relay.h). A query goes out on a
 * connected UDP socket drawn at random from a small pool per upstream whose
 * sockets retire after a few queries or a second (so source ports stay random
 * and short-lived, and only that server can answer), with a random id unique
 * on that socket; the reply is matched by socket and id and checked against
 * the question. A try unanswered within its upstream's retransmission timeout
 * is followed by another, to the same upstream and then the next (dns_policy
 * decides which and how long to wait); an error fails over at once; a
 * truncated answer to a TCP client's query is asked again over TCP (a UDP
 * client gets it as it is and retries over TCP); when every upstream had its
 * tries the client side is told so. */
#include "dns_relay.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrset.h"
#include "dns.h"
#include "dns_policy.h"
#include "log.h"
#include "resolv.h"

#define DNS_RND_BYTES 256 /* random bytes fetched at once: one getrandom per ~100 queries */
/* Ids in flight on one upstream socket, by id: open addressing, linear
 * probing. A socket sends at most DNS_UP_SOCK_USES queries in its life, so
 * the table never holds more than that many entries, removed ones included,
 * and stays at most half full without ever being cleaned. */
#define UP_TAB      (2 * DNS_UP_SOCK_USES)
#define UP_TAB_GONE 0xffff

_Static_assert((UP_TAB & (UP_TAB - 1)) == 0, "UP_TAB is a power of two");
_Static_assert(CONF_UPSTREAMS_MAX <= 32, "an upstream's bit fits in dns_slot.refused");
_Static_assert(DNS_INFLIGHT_MAX < UP_TAB_GONE, "slot index + 1 fits below UP_TAB_GONE");

/* A pooled upstream UDP socket. */
struct up_sock {
	struct dns_relay *relay;
	size_t upstream; /* index in relay->up; meaningless once retired */
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
	struct dns_policy_rtt rtt;
	struct up_sock *socks[DNS_UP_SOCKS];
	size_t n_socks;
};

struct dns_relay {
	struct event_base *base;
	struct dns_relay_hooks hooks;
	struct dns_upstream up[CONF_UPSTREAMS_MAX];
	size_t n_up;

	struct dns_slot *slots; /* DNS_INFLIGHT_MAX of them */
	unsigned free_slots[DNS_INFLIGHT_MAX];
	size_t n_free;
	bool mark_warned;
	uint64_t bad_replies;
	uint64_t poll_until_ns; /* CLOCK_MONOTONIC: a fast upstream's answer is due
	                           (dns_policy_poll_us) */

	uint8_t rnd[DNS_RND_BYTES];
	size_t rnd_used;
	uint8_t buf[DNS_PKT_MAX]; /* one reply read from an upstream over TCP */
	/* Replies read from a UDP socket in one recvmmsg: a batch that comes
	 * back short says the socket is empty, so the answer goes out without
	 * one more read to learn that (it was on every relayed answer's path).
	 * Pages: only the bytes of replies read are ever touched. */
	uint8_t rx[DNS_UP_BATCH][DNS_PKT_MAX];
	struct iovec rx_iov[DNS_UP_BATCH];
	struct mmsghdr rx_msg[DNS_UP_BATCH];
};

/* Random bytes from a buffer refilled in one call: arc4random costs a
 * getrandom system call each time in this libc. */
static void rnd_take(struct dns_relay *r, void *out, size_t n)
{
	if (r->rnd_used + n > sizeof(r->rnd)) {
		arc4random_buf(r->rnd, sizeof(r->rnd));
		r->rnd_used = 0;
	}
	memcpy(out, r->rnd + r->rnd_used, n);
	/* Used bytes are not kept around for anyone to find later. */
	memset(r->rnd + r->rnd_used, 0, n);
	r->rnd_used += n;
}

static int upstream_socket(struct dns_relay *r, int family, int type)
{
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	uint32_t mark = DNS_SOCKET_MARK;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0 && !r->mark_warned) {
		log_warn("dns: cannot mark upstream sockets (%s); with intercept on, queries "
		         "could loop",
		         strerror(errno));
		r->mark_warned = true;
	}
	return fd;
}

/* ---- pooled upstream UDP sockets ---- */

/* The try of a slot that is on socket k with this id. */
static int slot_try(const struct dns_slot *s, const struct up_sock *k, uint16_t id)
{
	for (unsigned i = 0; i < s->n_tries; i++)
		if (s->tries[i].sock == k && s->tries[i].id == id)
			return (int)i;
	return -1;
}

/* The query in flight on k with this id, and which of its tries it is. */
static struct dns_slot *sock_find(struct up_sock *k, uint16_t id, int *try)
{
	for (size_t i = 0; i < UP_TAB; i++) {
		uint16_t v = k->tab[(id + i) & (UP_TAB - 1)];
		if (!v)
			return NULL;
		if (v != UP_TAB_GONE && (*try = slot_try(&k->relay->slots[v - 1], k, id)) >= 0)
			return &k->relay->slots[v - 1];
	}
	return NULL;
}

/* id must be unique on k (sock_find found nothing). */
static void sock_add(struct up_sock *k, struct dns_slot *s, uint16_t id)
{
	for (size_t i = 0; i < UP_TAB; i++) {
		uint16_t *v = &k->tab[(id + i) & (UP_TAB - 1)];
		if (!*v || *v == UP_TAB_GONE) {
			*v = (uint16_t)(s->index + 1);
			break;
		}
	}
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
	struct dns_upstream *u = &k->relay->up[k->upstream];

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
static void sock_retire_all(struct dns_relay *r)
{
	for (size_t i = 0; i < r->n_up; i++)
		while (r->up[i].n_socks)
			sock_retire(r->up[i].socks[0]);
}

/* ---- slots ---- */

/* Try i of s is over: off its socket (which may close with it). */
static void try_detach(struct dns_slot *s, unsigned i)
{
	struct up_sock *k = s->tries[i].sock;
	uint16_t id = s->tries[i].id;

	for (size_t j = 0; j < UP_TAB; j++) {
		uint16_t *v = &k->tab[(id + j) & (UP_TAB - 1)];
		if (*v == s->index + 1) {
			*v = UP_TAB_GONE;
			break;
		}
	}
	s->tries[i] = s->tries[--s->n_tries];
	k->inflight--;
	sock_close_if_done(k);
}

/* Every UDP try of the query is over, its timer stopped. */
static void slot_detach(struct dns_slot *s)
{
	event_del(&s->timer);
	while (s->n_tries)
		try_detach(s, s->n_tries - 1);
}

static void slot_free(struct dns_slot *s)
{
	struct dns_relay *r = s->relay;

	slot_detach(s);
	if (s->up_bev)
		bufferevent_free(s->up_bev);
	s->up_bev = NULL;
	r->hooks.release(r->hooks.arg, s);
	if (s->pkt != s->pkt_inline)
		free(s->pkt);
	s->used = false;
	r->free_slots[r->n_free++] = s->index;
}

static void relay_send(struct dns_slot *s);

/* No upstream answered: the client is told so. */
static void relay_fail(struct dns_slot *s)
{
	struct dns_relay *r = s->relay;

	r->hooks.fail(r->hooks.arg, s);
	slot_free(s);
}

static void relay_tcp(struct dns_slot *s);

/* The TCP exchange failed: over to the next upstream's UDP tries. A transfer
 * goes to the next upstream over TCP; once part of its stream went to the
 * client it ends here (the upstream closed or went quiet after its last
 * message; the client knows from the records whether it is whole). */
static void relay_tcp_next(struct dns_slot *s)
{
	struct dns_relay *r = s->relay;

	if (s->up_bev)
		bufferevent_free(s->up_bev);
	s->up_bev = NULL;
	s->refused |= 1u << s->upstream;
	if (!s->xfr) {
		relay_send(s);
		return;
	}
	if (s->xfr_parts) {
		slot_free(s);
		return;
	}
	while (++s->upstream < r->n_up)
		if (!(s->refused & 1u << s->upstream)) {
			relay_tcp(s);
			return;
		}
	relay_fail(s);
}

/* The socket reported an error (ECONNREFUSED: an ICMP port unreachable came
 * back). Which query caused it cannot be known, but they all went to the same
 * server: every one fails over, and the socket goes. */
static void sock_fail(struct up_sock *k, int err)
{
	struct dns_relay *r = k->relay;

	log_debug("dns: upstream %zu: %s; %u queries on the socket fail over", k->upstream,
	          strerror(err), k->inflight);
	k->hold++;
	sock_retire(k);
	for (size_t i = 0; i < UP_TAB && k->inflight; i++) {
		uint16_t v = k->tab[i];
		if (!v || v == UP_TAB_GONE)
			continue;
		struct dns_slot *s = &r->slots[v - 1];
		for (unsigned j = s->n_tries; j-- > 0;) {
			if (s->tries[j].sock != k)
				continue;
			s->refused |= 1u << s->tries[j].upstream;
			try_detach(s, j);
		}
		/* Nothing else waits for an answer: the next try goes now. */
		if (!s->n_tries) {
			event_del(&s->timer);
			relay_send(s);
		}
	}
	k->hold--;
	sock_close_if_done(k);
}

/* Checks a reply (to UDP try `try`, or -1: over TCP) and, when it is the
 * answer, hands it to the client side. */
static void relay_reply(struct dns_slot *s, int try, uint8_t *pkt, size_t len);

/* Replies on a pooled socket, each to the query in flight there with its id. */
static void on_up_read(evutil_socket_t fd, short what, void *arg)
{
	struct up_sock *k = arg;
	struct dns_relay *r = k->relay;
	int n = DNS_UP_BATCH;

	(void)what;
	k->hold++;
	r->hooks.batch(r->hooks.arg, true);
	/* Bounded (DNS_UDP_BATCH replies), so one busy socket cannot starve the rest. */
	for (int got = 0; n == DNS_UP_BATCH && got < DNS_UDP_BATCH; got += n) {
		for (int i = 0; i < DNS_UP_BATCH; i++) {
			r->rx_iov[i] = (struct iovec){r->rx[i], sizeof(r->rx[i])};
			r->rx_msg[i].msg_hdr =
			    (struct msghdr){.msg_iov = &r->rx_iov[i], .msg_iovlen = 1};
		}
		n = recvmmsg(fd, r->rx_msg, DNS_UP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				sock_fail(k, errno);
			break;
		}
		for (int i = 0; i < n; i++) {
			const uint8_t *p = r->rx[i];
			size_t len = r->rx_msg[i].msg_len;
			int try = -1;
			struct dns_slot *s =
			    len >= 2 ? sock_find(k, (uint16_t)(p[0] << 8 | p[1]), &try) : NULL;
			if (!s) {
				/* Late (the query timed out), or forged: it costs only itself. */
				r->bad_replies++;
				continue;
			}
			relay_reply(s, try, r->rx[i], len);
		}
	}
	r->hooks.batch(r->hooks.arg, false);
	k->hold--;
	sock_close_if_done(k);
}

static struct up_sock *sock_open(struct dns_relay *r, size_t upstream)
{
	struct dns_upstream *u = &r->up[upstream];
	struct up_sock *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->fd = upstream_socket(r, u->addr.ss.ss_family, SOCK_DGRAM);
	if (k->fd < 0 || connect(k->fd, (const struct sockaddr *)&u->addr.ss, u->addr.len) < 0 ||
	    event_assign(&k->ev, r->base, k->fd, EV_READ | EV_PERSIST, on_up_read, k) < 0 ||
	    event_add(&k->ev, NULL) < 0) {
		if (k->fd >= 0)
			close(k->fd);
		free(k);
		return NULL;
	}
	k->relay = r;
	k->upstream = upstream;
	event_base_gettimeofday_cached(r->base, &k->born);
	u->socks[u->n_socks++] = k;
	return k;
}

/* A socket of the upstream's pool for the next query: a new one while the
 * pool is not full, else one at random, replaced if it is too old. */
static struct up_sock *sock_pick(struct dns_relay *r, size_t upstream)
{
	struct dns_upstream *u = &r->up[upstream];
	struct up_sock *k;
	struct timeval now;
	uint8_t rb;

	if (u->n_socks < DNS_UP_SOCKS && (k = sock_open(r, upstream)))
		return k;
	if (!u->n_socks)
		return NULL;
	rnd_take(r, &rb, 1);
	k = u->socks[(rb * u->n_socks) >> 8];
	event_base_gettimeofday_cached(r->base, &now);
	long age_ms = (now.tv_sec - k->born.tv_sec) * 1000 + (now.tv_usec - k->born.tv_usec) / 1000;
	if (age_ms >= DNS_UP_SOCK_MS) {
		struct up_sock *fresh;
		sock_retire(k);
		if ((fresh = sock_open(r, upstream)))
			return fresh;
		return u->n_socks ? u->socks[0] : NULL;
	}
	return k;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long ms_since(const struct timeval *a, const struct timeval *now)
{
	return (now->tv_sec - a->tv_sec) * 1000 + (now->tv_usec - a->tv_usec) / 1000;
}

static void timer_ms(struct dns_slot *s, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(&s->timer, &tv);
}

static void on_slot_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct dns_slot *s = arg;
	struct dns_relay *r = s->relay;
	struct timeval now;

	(void)fd, (void)what;
	event_base_gettimeofday_cached(r->base, &now);
	if (ms_since(&s->start, &now) >= DNS_QUERY_MAX_MS) {
		log_debug("dns: no upstream answered %s", s->q.qname);
		relay_fail(s);
		return;
	}
	relay_send(s);
}

/* Room for one more try: the oldest waiting gives way. */
static void tries_make_room(struct dns_slot *s)
{
	unsigned oldest = 0;

	if (s->n_tries < DNS_TRIES_MAX)
		return;
	for (unsigned i = 1; i < s->n_tries; i++)
		if (s->tries[i].t < s->tries[oldest].t)
			oldest = i;
	try_detach(s, oldest);
}

/* Sends try s->sends over UDP and sets the timer for the one after it. When
 * every upstream has had its tries, a late answer is still waited for until
 * the query is DNS_TIMEOUT_MS old (the patience of the one fixed try there
 * used to be), then the query fails. */
static void relay_send(struct dns_slot *s)
{
	struct dns_relay *r = s->relay;
	struct timeval now;
	size_t u;

	event_base_gettimeofday_cached(r->base, &now);
	while (dns_policy_try(s->sends, r->n_up, &u)) {
		unsigned t = s->sends++;
		struct up_sock *k;
		uint16_t id;
		int any;

		if (s->refused & 1u << u || !(k = sock_pick(r, u)))
			continue;
		do
			rnd_take(r, &id, sizeof(id));
		while (sock_find(k, id, &any));
		dns_msg_set_id(s->pkt, s->len, id);
		if (send(k->fd, s->pkt, s->len, MSG_NOSIGNAL) < 0) {
			int e = errno;
			/* A full buffer or a local firewall's drop (EPERM) loses
			 * this try only, as the wire might; an error pending on the
			 * socket (a port unreachable for an earlier query) condemns
			 * the socket and the rest of this upstream's tries. */
			if (e != EAGAIN && e != EWOULDBLOCK && e != ENOBUFS && e != EINTR &&
			    e != EPERM) {
				s->refused |= 1u << u;
				sock_fail(k, e);
				/* An earlier try of this query on k made sock_fail go
				 * on with it (the timer is never pending here else). */
				if (!s->used || evtimer_pending(&s->timer, NULL))
					return;
			}
			continue;
		}
		tries_make_room(s);
		s->tries[s->n_tries++] = (struct dns_try){k, id, t, u, now};
		sock_add(k, s, id);
		s->upstream = u;
		if (k->uses >= DNS_UP_SOCK_USES)
			sock_retire(k);
		timer_ms(s, dns_policy_try_wait_ms(&r->up[u].rtt, t, r->n_up));
		uint32_t poll = dns_policy_poll_us(&r->up[u].rtt, dns_relay_in_flight(r));
		if (poll) {
			uint64_t until = mono_ns() + poll * 1000ull;
			if (until > r->poll_until_ns)
				r->poll_until_ns = until;
		}
		return;
	}
	long left = DNS_TIMEOUT_MS - ms_since(&s->start, &now);
	if (!s->n_tries || left <= 0) {
		relay_fail(s);
		return;
	}
	timer_ms(s, left);
}

/* ---- TCP to an upstream ---- */

/* A zone transfer's message: the first is checked as an answer, the rest
 * as part of its stream; a bad one ends the exchange (false: the connection
 * is gone). */
static bool relay_xfr_part(struct dns_slot *s, uint8_t *pkt, size_t len)
{
	struct dns_relay *r = s->relay;
	struct dns_msg_reply rep;
	int err = s->xfr_parts ? dns_msg_xfr_check(pkt, len, s->tcp_id)
	                       : dns_msg_reply_check(pkt, len, &s->q, s->tcp_id, &rep);

	if (err < 0) {
		log_debug("dns: bad transfer message from upstream %zu for %s: %s", s->upstream,
		          s->q.qname, strerror(-err));
		relay_tcp_next(s);
		return false;
	}
	s->xfr_parts++;
	r->hooks.part(r->hooks.arg, s, pkt, len);
	return true;
}

static void on_up_tcp_read(struct bufferevent *bev, void *arg)
{
	struct dns_slot *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t hdr[2];

	/* A transfer's messages may come several at a time. */
	while (evbuffer_get_length(in) >= 2) {
		evbuffer_copyout(in, hdr, 2);
		size_t len = (size_t)hdr[0] << 8 | hdr[1];
		if (evbuffer_get_length(in) < 2 + len)
			return;
		evbuffer_drain(in, 2);
		evbuffer_remove(in, s->relay->buf, len);
		if (!s->xfr) {
			relay_reply(s, -1, s->relay->buf, len);
			return;
		}
		if (!relay_xfr_part(s, s->relay->buf, len))
			return;
	}
}

static void on_up_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct dns_slot *s = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	relay_tcp_next(s); /* error, EOF or timeout before a whole answer */
}

/* The UDP answer was truncated: ask the same upstream over TCP. */
static void relay_tcp(struct dns_slot *s)
{
	struct dns_relay *r = s->relay;
	const struct value_addr *up = &r->up[s->upstream].addr;
	struct timeval tv = {DNS_TIMEOUT_MS / 1000, (DNS_TIMEOUT_MS % 1000) * 1000};
	uint8_t hdr[2] = {(uint8_t)(s->len >> 8), (uint8_t)s->len};
	int fd;

	slot_detach(s);
	rnd_take(r, &s->tcp_id, sizeof(s->tcp_id));
	dns_msg_set_id(s->pkt, s->len, s->tcp_id);
	fd = upstream_socket(r, up->ss.ss_family, SOCK_STREAM);
	if (fd < 0 || !(s->up_bev = bufferevent_socket_new(r->base, fd, BEV_OPT_CLOSE_ON_FREE))) {
		if (fd >= 0)
			close(fd);
		relay_tcp_next(s);
		return;
	}
	bufferevent_setcb(s->up_bev, on_up_tcp_read, NULL, on_up_tcp_event, s);
	bufferevent_set_timeouts(s->up_bev, &tv, &tv);
	bufferevent_enable(s->up_bev, EV_READ);
	bufferevent_write(s->up_bev, hdr, 2);
	bufferevent_write(s->up_bev, s->pkt, s->len);
	if (bufferevent_socket_connect(s->up_bev, (struct sockaddr *)&up->ss, up->len) < 0)
		relay_tcp_next(s);
}

static void relay_reply(struct dns_slot *s, int try, uint8_t *pkt, size_t len)
{
	struct dns_relay *r = s->relay;
	struct dns_msg_reply rep;
	bool tcp = try < 0;
	int err = dns_msg_reply_check(pkt, len, &s->q, tcp ? s->tcp_id : s->tries[try].id, &rep);

	if (err < 0 && !tcp) {
		/* Not the answer to this query, or broken: whoever sent it, the query
		 * keeps waiting for its answer or its timeout. */
		r->bad_replies++;
		log_debug("dns: reply from upstream %zu for %s dropped: %s", s->tries[try].upstream,
		          s->q.qname, strerror(-err));
		return;
	}
	if (err < 0) {
		log_debug("dns: bad reply from upstream %zu for %s: %s", s->upstream, s->q.qname,
		          strerror(-err));
		relay_tcp_next(s);
		return;
	}
	if (!tcp) {
		const struct dns_try *t = &s->tries[try];
		struct timeval now;
		event_base_gettimeofday_cached(r->base, &now);
		long us =
		    (now.tv_sec - t->sent.tv_sec) * 1000000L + (now.tv_usec - t->sent.tv_usec);
		if (t->upstream < r->n_up)
			dns_policy_rtt_sample(&r->up[t->upstream].rtt, us > 0 ? (uint32_t)us : 0);
		s->upstream = t->upstream;
	}
	/* A truncated answer goes to a UDP client as it is (the upstream's flags
	 * and OPT, no bigger than it chose to send), and the client retries over
	 * TCP itself; only a TCP client's query is asked again over TCP here. */
	if (rep.tc && !tcp && s->udp_fd < 0) {
		relay_tcp(s);
		return;
	}
	r->hooks.answer(r->hooks.arg, s, pkt, len, &rep);
	slot_free(s);
}

/* ---- the relay ---- */

struct dns_slot *dns_relay_slot_new(struct dns_relay *r, const uint8_t *pkt, size_t len)
{
	if (!r->n_free)
		return NULL;
	unsigned index = r->free_slots[r->n_free - 1];
	struct dns_slot *s = &r->slots[index];
	s->pkt = len <= sizeof(s->pkt_inline) ? s->pkt_inline : malloc(len);
	if (!s->pkt)
		return NULL;
	r->n_free--;
	s->relay = r;
	s->index = index;
	s->used = true;
	memcpy(s->pkt, pkt, len);
	s->len = len;
	return s;
}

void dns_relay_start(struct dns_slot *s)
{
	s->n_tries = 0;
	s->up_bev = NULL;
	s->sends = 0;
	s->refused = 0;
	s->upstream = 0;
	s->xfr_parts = 0;
	event_base_gettimeofday_cached(s->relay->base, &s->start);
	event_assign(&s->timer, s->relay->base, -1, 0, on_slot_timeout, s);
	if (s->xfr)
		relay_tcp(s);
	else
		relay_send(s);
}

bool dns_relay_has_upstream(const struct dns_relay *r)
{
	return r->n_up > 0;
}

bool dns_relay_polling(const struct dns_relay *r)
{
	size_t n = dns_relay_in_flight(r);

	/* once every answer is in (or a burst came), sleep at once */
	return n && n <= DNS_POLICY_POLL_INFLIGHT && mono_ns() < r->poll_until_ns;
}

bool dns_relay_full(const struct dns_relay *r)
{
	return r->n_free == 0;
}

size_t dns_relay_in_flight(const struct dns_relay *r)
{
	return DNS_INFLIGHT_MAX - r->n_free;
}

uint64_t dns_relay_bad_replies(const struct dns_relay *r)
{
	return r->bad_replies;
}

bool dns_relay_is_upstream(const struct dns_relay *r, int family, const uint8_t *addr)
{
	for (size_t i = 0; i < r->n_up; i++)
		if (dns_policy_addr_in(&r->up[i].addr, 1, family, addr))
			return true;
	return false;
}

void dns_relay_load(struct dns_relay *r, const struct conf *c)
{
	char desc[256];

	/* Sockets to the old upstreams take no new query. */
	sock_retire_all(r);

	if (!c->upstream_auto) {
		r->n_up = c->n_upstreams < CONF_UPSTREAMS_MAX ? c->n_upstreams : CONF_UPSTREAMS_MAX;
		for (size_t i = 0; i < r->n_up; i++) {
			r->up[i].addr = c->upstreams[i];
			dns_policy_rtt_init(&r->up[i].rtt);
		}
		return;
	}
	struct value_addr v[CONF_UPSTREAMS_MAX];
	struct resolv_report rep = {0};
	size_t n = 0;
	int err = resolv_load(NULL, c->listen, c->n_listen, v, CONF_UPSTREAMS_MAX, &n, &rep);
	for (size_t i = 0; i < rep.n_notes; i++) {
		resolv_note_format(&rep, &rep.notes[i], desc, sizeof(desc));
		log_info("dns: %s", desc);
	}
	resolv_describe(err, &rep, n, desc, sizeof(desc));
	if (err < 0) {
		log_error("dns: upstream = auto: %s; names that are not blocked get SERVFAIL",
		          desc);
		r->n_up = 0;
		return;
	}
	log_info("dns: upstream = auto: %s", desc);
	r->n_up = n;
	for (size_t i = 0; i < n; i++) {
		r->up[i].addr = v[i];
		dns_policy_rtt_init(&r->up[i].rtt);
	}
}

int dns_relay_new(struct event_base *base, const struct dns_relay_hooks *hooks,
                  struct dns_relay **out)
{
	/* From pages, as the context: most of it (the reply buffer, the slots)
	 * is never touched by an idle daemon. */
	struct dns_relay *r = addrset_pages_new(sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->base = base;
	r->hooks = *hooks;
	r->rnd_used = sizeof(r->rnd);
	r->slots = addrset_pages_new(DNS_INFLIGHT_MAX * sizeof(*r->slots));
	if (!r->slots) {
		addrset_pages_free(r, sizeof(*r));
		return -ENOMEM;
	}
	/* Slots are filled in when first used: pages of slots never used (most,
	 * most of the time) are never touched. */
	for (unsigned i = 0; i < DNS_INFLIGHT_MAX; i++)
		r->free_slots[r->n_free++] = DNS_INFLIGHT_MAX - 1 - i;
	*out = r;
	return 0;
}

void dns_relay_free(struct dns_relay *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i < DNS_INFLIGHT_MAX; i++)
		if (r->slots[i].used)
			slot_free(&r->slots[i]);
	sock_retire_all(r); /* with no query left, each closes at once */
	addrset_pages_free(r->slots, DNS_INFLIGHT_MAX * sizeof(*r->slots));
	addrset_pages_free(r, sizeof(*r));
}
