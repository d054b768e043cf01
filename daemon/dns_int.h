/* What dns.c (queries, answers, learning), dns_listen.c (binding the
 * listeners), dns_tcp.c (TCP clients) and dns_cache.c share: the
 * forwarder's context. Internal to the dns module. */
#ifndef SMB_DNS_INT_H
#define SMB_DNS_INT_H

#include <event2/listener.h>
#include <sys/socket.h>

#include "addrset.h"
#include "cache.h"
#include "dns.h"
#include "dns_msg.h"
#include "dns_policy.h"
#include "dns_relay.h"
#include "inforce.h"
#include "listenfd.h"
#include "lists.h"
#include "sockuid.h"

#define DNS_PER_IP_SLOTS 1024 /* buckets of the per-client in-flight counts */
#define DNS_QUEUE_MAX    4096 /* learned elements queued before a forced flush */

_Static_assert(DNS_QUEUE_MAX >= DNS_MSG_ADDRS_MAX, "one answer's elements fit in the queue");

struct tcp_client {
	struct dns *dns;
	struct tcp_client *prev, *next; /* open clients, for shutdown */
	struct bufferevent *bev;        /* NULL once the client is gone */
	unsigned pending;
	bool reading;
	struct timeval active; /* the last query read, or the accept */
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
	struct evconnlistener *tcp; /* NULL for a UDP-only one */
};

#define DNS_LISTENERS_MAX (CONF_LISTEN_MAX + 3)

struct dns {
	struct event_base *base;
	const struct conf *conf;
	const struct domains *domains;
	const struct lists_bypass *bp; /* the bypass lists, main's */
	const struct domains *bypass;  /* bp->names */
	struct inforce in;             /* what is in force, per sender (inforce_lists_for) */
	struct neigh *neigh;           /* gateway mode: the LAN's neighbours, who a sender is */
	bool on;                       /* anything is in force for anyone */
	bool by_user;                  /* some of it for some users: the sender's uid is asked */
	struct sockuid *sockuid;       /* asks it; opened at the first break for some users */
	bool rcvmark;                  /* the UDP listeners read marks (SO_RCVMARK) */
	uint32_t rx_mark;              /* the mark of the datagram being handled, 0: none */
	char reason[DNS_MSG_TEXT_MAX + 1];
	dns_learn_fn learn;
	dns_blocked_fn blocked;
	void *learn_arg;

	struct listener listeners[DNS_LISTENERS_MAX];
	size_t n_listeners;
	bool intercept_bound; /* the intercept listeners are up */
	struct dns_relay *relay;
	struct cache *cache; /* NULL with cache = 0 */
	uint16_t per_ip[DNS_PER_IP_SLOTS];
	unsigned n_tcp;
	struct tcp_client *tcp_clients;

	struct addrset learned, shared;
	time_t floor; /* a strict break's end: nothing learned expires before it */
	struct nft_elem *add, *del;
	size_t n_add, n_del;
	struct event *flush_ev;

	uint8_t buf[DNS_PKT_MAX];     /* our own answers */
	uint8_t tcp_buf[DNS_PKT_MAX]; /* one query read from a TCP client */
	struct dns_msg_learned scratch;
	struct dns_policy_cloaks cloaks; /* cloaked names seen, for smctl check */

	/* One batch of listener reads. */
	struct mmsghdr rx_msg[DNS_UDP_BATCH];
	struct iovec rx_iov[DNS_UDP_BATCH];
	struct sockaddr_storage rx_from[DNS_UDP_BATCH];
	uint8_t rx_buf[DNS_UDP_BATCH][DNS_UDP_QUERY_MAX];
	/* each datagram's mark: the sender's uid while a break names users */
	uint8_t rx_ctl[DNS_UDP_BATCH][CMSG_SPACE(sizeof(uint32_t))] __attribute__((aligned(8)));
	/* Answers queued while tx_open, sent at the end of the batch. */
	struct mmsghdr tx_msg[DNS_UDP_BATCH];
	struct iovec tx_iov[DNS_UDP_BATCH];
	struct tx_entry tx[DNS_UDP_BATCH];
	size_t n_tx;
	bool tx_open;

	/* the hosts file (dns_hosts.c) */
	char *hosts_path, *hosts_base; /* NULL until dns_hosts_watch */
	int hosts_ifd;                 /* inotify on its directory, -1: none */
	struct event *hosts_ev;
	size_t hosts_bad; /* lines with a bad address at the last read */

	struct {
		uint64_t queries, blocked, relayed, failed, refused, malformed, learned, shared,
		    evicted, tcp_rejected, tcp_evicted;
	} n;
};

/* dns.c: learns from an answer's names and addresses, given what the
 * question name matched (its lists, whether it is a bypass endpoint). */
void dns_learn_answer(struct dns *dns, const struct dns_msg_learned *l, uint64_t q_lists,
                      bool q_endpoint);

/* dns_hosts.c: reads the hosts file again; frees what dns_hosts_watch made. */
void dns_hosts_read(struct dns *dns);
void dns_hosts_free(struct dns *dns);

/* dns.c: the UDP listeners' callback. */
void dns_on_udp(evutil_socket_t fd, short what, void *arg);
/* One query of len bytes from a client: answered here, from the cache or
 * relayed. From a UDP listener udp_fd (tc NULL), or from the TCP client tc
 * (udp_fd -1), one of whose pending queries it is while it is relayed, until
 * the relay's release calls dns_tcp_release. */
void dns_handle_query(struct dns *dns, const uint8_t *pkt, size_t len, int udp_fd,
                      const struct sockaddr_storage *from, socklen_t fromlen,
                      struct tcp_client *tc);

/* dns_tcp.c: the TCP listeners' callback. */
void dns_on_tcp_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
                       int socklen, void *arg);
/* Writes one message to tc, length-prefixed; nothing once the client is gone. */
void dns_tcp_send(struct tcp_client *tc, const uint8_t *pkt, size_t len);
/* One of tc's queries is done; frees a client that left meanwhile. */
void dns_tcp_release(struct tcp_client *tc);
/* Closes every TCP client; one with queries in flight is freed by their release. */
void dns_tcp_close_all(struct dns *dns);

/* dns_listen.c: one `listen` address (UDP, and TCP when tcp), on a socket
 * systemd handed over where there is one; and the listeners at
 * DNS_INTERCEPT_PORT. 0 or a negative errno, logged. */
int dns_listen_on(struct dns *dns, const struct value_addr *a, bool tcp, bool intercept,
                  struct listenfd *inherited);
int dns_listen_intercept(struct dns *dns, struct listenfd *inherited);

/* dns_cache.c: the cache as the configuration c says (`cache`, `stale_max`);
 * old: the configuration before (NULL at start), whose upstreams' answers
 * are flushed when `upstream` changed. */
void dns_cache_configure(struct dns *dns, const struct conf *old, const struct conf *c);
/* The instant the cache counts TTLs with: monotonic seconds. */
time_t dns_cache_now(void);
/* Hits, misses, entries, stale answers and bytes, with the forwarder's counters. */
void dns_cache_put_status(const struct dns *dns, struct proto_msg *reply);

#endif
