/* The filtering DNS forwarder: UDP and TCP listeners, a relay to the
 * upstreams with random ids and source ports, answers of our own for names
 * blocked by the lists in force, and the addresses of listed names handed to
 * enforcement for the nftables sets. */
#ifndef SMB_DNS_H
#define SMB_DNS_H

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf.h"
#include "domains.h"
#include "listenfd.h"
#include "nft_msg.h"
#include "proto.h"

/* Bounds, in one place. */
#define DNS_INFLIGHT_MAX 1024 /* queries relayed and not yet answered */
#define DNS_INFLIGHT_PER_IP                                                                        \
	512                      /* of those, from one client address: half, since                 \
	                             with systemd-resolved in front every query                    \
	                             comes from 127.0.0.53 */
#define DNS_UDP_RCVBUF (8 << 20) /* a listener rides out a busy moment of the loop */
/* A query waits at least this long for an answer to any of its tries (see
 * dns_policy.h), and a TCP exchange with an upstream this long. */
#define DNS_TIMEOUT_MS      1500
#define DNS_TCP_CLIENTS_MAX 64
#define DNS_TCP_IDLE_SECS   10
#define DNS_TCP_PENDING_MAX 16          /* queries of one TCP client in flight */
#define DNS_UDP_BATCH       64          /* datagrams read per wake-up, per listener */
#define DNS_ADDRS_MAX       65536       /* learned and shared addresses remembered */
#define DNS_SOCKET_MARK     0x736d6272u /* "smbr": the intercept rule skips it */
#define DNS_UDP_QUERY_MAX   4096        /* bytes of a UDP query read; the rest is cut */
/* Answers made during one batch of reads, up to this size, are queued and go
 * out in one sendmmsg at its end; bigger ones are sent at once. */
#define DNS_TX_PKT 1232

/* With `intercept = yes` the forwarder also listens on this port of [::1]
 * (the machine's own IPv6 queries, when `listen` has no IPv6 address) and of
 * the wildcard addresses (queries the machine routes for its containers and
 * VMs, redirected to the address they arrive at). A port of its own, so
 * that a resolver already on [::1]:53 (dnsmasq) is no obstacle, and below
 * 1024, so that no unprivileged program can take it first. */
#define DNS_INTERCEPT_PORT 153

/* Upstream UDP sockets: a pool of connected sockets per upstream instead of a
 * fresh one per query (socket, mark, connect and epoll cost more than the
 * query itself). A socket takes new queries until it has sent
 * DNS_UP_SOCK_USES or is found older than DNS_UP_SOCK_MS when picked, then
 * retires: it closes when its last query is done, and a new socket with a new
 * random source port takes its place. A spoofer still has to hit one of a
 * few short-lived ports and a random 16-bit id unique on it; at a low query
 * rate every query gets a port of its own, as with one socket per query. */
#define DNS_UP_SOCKS     16   /* sockets per upstream taking new queries */
#define DNS_UP_SOCK_USES 128  /* queries sent on one socket before it retires */
#define DNS_UP_SOCK_MS   1000 /* age at which a socket retires when next picked */
#define DNS_UP_BATCH     8    /* replies read from an upstream socket per recvmmsg */

struct dns;
struct lists_bypass;

/* Learned addresses to add to the sets, and shared ones to take out: called
 * once per event-loop turn at most, after the answers went out. */
typedef void (*dns_learn_fn)(void *arg, const struct nft_elem *add, size_t n_add,
                             const struct nft_elem *del, size_t n_del);

/* A blocked attempt at name (len bytes, no trailing dot), by service
 * ("facebook"), list name, or "doh" for the bypass hygiene rules: for the
 * per-day stats and the "blocked" event. */
typedef void (*dns_blocked_fn)(void *arg, const char *key, const char *name, size_t len);

/* With the bypass lists bp (lists_bypass_load; the caller's, kept until
 * dns_free), binds the listeners of conf
 * and, with `intercept = yes`, those at DNS_INTERCEPT_PORT (taking the
 * sockets systemd handed over for their addresses from `inherited`) and
 * finds the upstreams (upstream = auto reads the system's resolv.conf). conf
 * and domains must stay valid until the next dns_set_conf. */
int dns_new(struct event_base *base, const struct conf *c, const struct domains *d,
            const struct lists_bypass *bp, struct listenfd *inherited, dns_learn_fn learn,
            dns_blocked_fn blocked, void *arg, struct dns **out);
/* After a reload: new lists and upstreams (listen addresses need a restart). */
void dns_set_conf(struct dns *dns, const struct conf *c, const struct domains *d);
/* What is blocked now, for everyone and for some senders, and the sentence
 * the blocked answers carry in their Extended DNS Error ("break work until
 * 12:00"). */
struct inforce;
void dns_set_inforce(struct dns *dns, const struct inforce *in);
/* Whether the port-53 redirect may be on: there is an upstream to relay to,
 * and the listeners at DNS_INTERCEPT_PORT were bound at start (`intercept =
 * yes` then). */
bool dns_can_intercept(const struct dns *dns);
/* Whether there is an upstream to relay to at all. */
bool dns_has_upstream(const struct dns *dns);
/* Whether the loop should poll now rather than sleep: a fast upstream's
 * answer is due (dns_policy_poll_us). NULL-safe. */
bool dns_polling(const struct dns *dns);
/* smctl check ADDRESS: what the forwarder knows of an address (in a list's
 * `addresses =` range, in the sets of the lists of the names it answered, or
 * kept out as shared), as a reply's result and message; blocked now when one
 * of its lists is in `inforce` (or it is an endpoint's and a break is on),
 * the rule of the reject rules and of smctl check NAME. */
void dns_check_addr(const struct dns *dns, int family, const uint8_t *addr, uint64_t inforce,
                    struct proto_msg *reply);
/* The learned addresses carried over a restart (enforce_take_carried) go back
 * into the forwarder's table. */
void dns_learned_seed(struct dns *dns, const struct nft_elem *v, size_t n);
/* Learns the listed names of the hosts file at path (hosts.h) now and
 * whenever it changes, after a reload, and as a break starts. A file that
 * cannot be read or watched is logged, not fatal; -ENOMEM only. */
int dns_hosts_watch(struct dns *dns, const char *path);
/* The table of learned addresses, read-only: what the kernel's learned sets
 * mirror, for putting them back when they were changed by hand. */
struct addrset;
const struct addrset *dns_learned(const struct dns *dns);
/* A strict break in force until `until` (0: none): no learned address expires
 * before it, in the table as in the kernel's sets. */
void dns_set_floor(struct dns *dns, time_t until);
/* Why the forwarder answers a name itself during every break, whatever the
 * lists: the bypass hygiene rules. */
struct dns_bypass_why {
	struct domains_hit hit; /* the entry that matched (hit.origin is the forwarder's own) */
	const char *source;     /* bypass.list's path, or "built-in" */
	const char *rule;       /* "a DoH/DoT endpoint", "a DoH canary",
	                           "designated-resolver discovery" */
};

/* smctl check NAME: whether a bypass rule catches the name (normalised, as
 * domains_normalize writes it), and why. */
bool dns_bypass_explain(const struct dns *dns, const char *name, size_t len,
                        struct dns_bypass_why *why);
/* smctl check NAME: a name the forwarder answered blocked during a break
 * because its answer's CNAME chain reached a blocked name (CNAME cloaking),
 * among the last few such names seen. */
struct dns_cloak_why {
	char target[256]; /* the chain name that is listed (or an endpoint) */
	char chain[512];  /* "ig-cloak.example -> scontent.cdninstagram.com" */
	time_t seen;      /* when the answer came */
};
bool dns_cloak_explain(const struct dns *dns, const char *name, size_t len,
                       struct dns_cloak_why *why);
/* Gateway mode: the LAN's neighbours (address, MAC, device); NULL in host
 * mode or when the neighbour table cannot be read. */
struct neigh_tab;
const struct neigh_tab *dns_neighbours(const struct dns *dns);
/* Counters for smctl status. */
void dns_put_status(const struct dns *dns, struct proto_msg *reply);
void dns_free(struct dns *dns);

#endif
