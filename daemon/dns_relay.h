/* The forwarder's upstream side, internal to the dns module: the upstreams
 * (from the config or resolv.conf), pools of connected UDP sockets with
 * random ids, the queries in flight (slots) with their retransmissions on an
 * adaptive timer and failover to the next upstream, TCP when an answer to a
 * TCP client is truncated. dns.c fills in a slot's
 * client side and hands it over; the relay calls back with the answer. */
#ifndef SMB_DNS_RELAY_H
#define SMB_DNS_RELAY_H

#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"
#include "dns_msg.h"

#define DNS_PKT_MAX  65535
#define DNS_SLOT_PKT 512 /* query bytes kept in the slot; longer ones (TCP) on the heap */

struct dns_relay;
struct up_sock;
struct tcp_client;

/* UDP tries of one query waiting at once: a late answer to an earlier try
 * is as good as one to the latest. The oldest gives way to a new one. */
#define DNS_TRIES_MAX 6
/* A query goes unanswered at most this long, whatever the tries. */
#define DNS_QUERY_MAX_MS 2500

/* One UDP try of a query. */
struct dns_try {
	struct up_sock *sock;
	uint16_t id;
	unsigned t; /* its number, for dns_policy_try */
	size_t upstream;
	struct timeval sent;
};

/* A query in flight. */
struct dns_slot {
	struct dns_relay *relay;
	unsigned index;
	bool used;
	/* The client, filled in by dns.c before dns_relay_start. */
	uint64_t q_lists;      /* the lists that block the question name (block & ~allow) */
	bool q_endpoint;       /* the question name is among the DoH/DoT endpoints */
	uint64_t q_allow;      /* the lists whose allow entries free the question name */
	struct whom_id sender; /* who asked, as far as the breaks in force need */
	struct dns_msg_query q;
	uint16_t client_id;
	int udp_fd; /* the listener to answer from, -1 for TCP */
	struct sockaddr_storage client;
	socklen_t client_len;
	struct tcp_client *tc;
	unsigned ip_bucket;
	/* A zone transfer (AXFR, IXFR) from a TCP client: relayed over TCP
	 * from the start, every message of the upstream's stream passed on. */
	bool xfr;
	unsigned xfr_parts; /* messages of the stream passed on so far */
	/* The query as sent upstream: pkt_inline, or the heap for a long one. */
	uint8_t *pkt;
	size_t len;
	uint8_t pkt_inline[DNS_SLOT_PKT];
	/* The upstream tries, the relay's: UDP tries (each with its own id,
	 * any of them may answer), then TCP after a truncated answer. */
	unsigned sends;                      /* UDP tries sent, the next one's number */
	struct dns_try tries[DNS_TRIES_MAX]; /* those still waiting for an answer */
	unsigned n_tries;
	uint32_t refused;           /* upstreams (bits) that refused it: no more tries there */
	struct timeval start;       /* when the first try went */
	struct event timer;         /* the next try, or giving up */
	size_t upstream;            /* of the latest try; the TCP one's */
	struct bufferevent *up_bev; /* TCP to the upstream */
	uint16_t tcp_id;            /* the id of the query sent over TCP */
};

/* The client side's part. After answer and fail the relay frees the slot,
 * calling release first. */
struct dns_relay_hooks {
	/* Around the replies read from one upstream socket in one wake-up, so
	 * that the answers go out in one batch. */
	void (*batch)(void *arg, bool start);
	/* The upstream's answer to s passed the checks: send it to the client.
	 * pkt is the relay's buffer, still with the upstream's id. */
	void (*answer)(void *arg, struct dns_slot *s, uint8_t *pkt, size_t len,
	               const struct dns_msg_reply *rep);
	/* One message of a zone transfer's stream to pass on (s->xfr); pkt
	 * still has the upstream's id. The slot lives on until the upstream
	 * closes the connection or goes quiet. */
	void (*part)(void *arg, struct dns_slot *s, uint8_t *pkt, size_t len);
	/* No upstream answered s. */
	void (*fail)(void *arg, struct dns_slot *s);
	/* s is done: what the client side holds for it goes. */
	void (*release)(void *arg, struct dns_slot *s);
	void *arg;
};

int dns_relay_new(struct event_base *base, const struct dns_relay_hooks *hooks,
                  struct dns_relay **out);
/* Frees the queries in flight (release is called for each) and the sockets.
 * NULL-safe. */
void dns_relay_free(struct dns_relay *r);
/* The upstreams of c (upstream = auto reads the system's resolv.conf and logs
 * what it found); sockets to the old ones take no new query. */
void dns_relay_load(struct dns_relay *r, const struct conf *c);
bool dns_relay_has_upstream(const struct dns_relay *r);
/* Whether addr is one of the upstreams queries go to now. */
bool dns_relay_is_upstream(const struct dns_relay *r, int family, const uint8_t *addr);
/* Whether every slot is in flight. */
bool dns_relay_full(const struct dns_relay *r);
/* True while a fast upstream's answer is due and few queries are in flight:
 * the loop polls rather than sleeps (dns_policy_poll_us). */
bool dns_relay_polling(const struct dns_relay *r);
size_t dns_relay_in_flight(const struct dns_relay *r);
/* Replies dropped: late, forged, or not an answer to their query. */
uint64_t dns_relay_bad_replies(const struct dns_relay *r);
/* A free slot holding a copy of pkt, or NULL when the relay is full or the
 * heap is. The caller fills in the client side, then calls dns_relay_start. */
struct dns_slot *dns_relay_slot_new(struct dns_relay *r, const uint8_t *pkt, size_t len);
/* Sends s to the first upstream (over TCP for a transfer). */
void dns_relay_start(struct dns_slot *s);

#endif
