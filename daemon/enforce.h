/* Enforcement: turns "these lists are in force until then" into kernel state.
 * Today that is the nftables table (per-list sets of learned addresses and
 * ranges, reject rules for the lists in force, a timeout floor for addresses
 * during a strict break); the DNS forwarder joins
 * it here. Owns the table's lifecycle: replaced whole at start, removed on a
 * clean stop, left in place (rules and sets) when stopping during a strict
 * break. */
#ifndef SMB_ENFORCE_H
#define SMB_ENFORCE_H

#include <event2/event.h>

#include "conf.h"
#include "inforce.h"
#include "lists.h"
#include "nft_msg.h"
#include "proto.h"

struct enforce;

/* Opens netlink and creates the table fresh (a stale one goes in the same
 * transaction, its learned elements carried into the new one; without one,
 * those a clean stop kept in state_dir go back in), with the port-53
 * redirect aimed at the first IPv4 and IPv6 `listen` addresses of c
 * ([::1]:DNS_INTERCEPT_PORT when there is no IPv6 one), and routed traffic
 * at DNS_INTERCEPT_PORT, but not yet on; bypass's resolver addresses
 * (kept, the caller's until enforce_free) are blocked during every break.
 * Fails when the kernel refuses, e.g. without CAP_NET_ADMIN; the failure is
 * logged here, with the kernel's reason, so the caller only stops. */
int enforce_new(const struct conf *c, uint32_t mark, const char *state_dir,
                const struct lists_bypass *bypass, struct enforce **out);
/* The learned addresses read back from the table replaced at start (a
 * restart, a crash), with the time each had left, handed over once: *v is
 * the caller's to free (NULL when none). The forwarder takes them back. */
void enforce_take_carried(struct enforce *e, struct nft_elem **v, size_t *n);
/* The strict holds of c's lists into the table: until[i] for list i (0:
 * none), as nft_set_holds keeps them. */
void enforce_set_holds(struct enforce *e, const struct conf *c, const time_t *until);
/* The holds the table replaced at start had, by c's lists: held[i], until
 * when list i was held (0: not); the latest end of those of no list of c
 * (0: none). */
time_t enforce_old_holds(const struct enforce *e, const struct conf *c, time_t *held);
/* The same from holds read some other way (nft_read_holds). */
time_t enforce_match_holds(const struct conf *c, const uint32_t *keys, const uint32_t *ms, size_t n,
                           time_t *held);
/* The forwarder's table of learned addresses (dns_learned), NULL while
 * there is none. */
struct addrset;
typedef const struct addrset *(*enforce_learned_fn)(void *arg);
/* Watches the table from now on: a change to it that smbreakd did not make
 * (`nft delete table inet smbreak`, `nft flush ruleset`, a chain or a set
 * flushed, a rule deleted) is seen on the nf_tables notifications and the
 * table put back in the same loop turn, as the daemon last made it (chains,
 * the reject rules and redirect in force, ranges) with the learned
 * addresses of `learned`; logged once per change and counted in status
 * (tamper_restores). Fails (logged) when the notifications cannot be read;
 * the daemon then runs without the watch. */
int enforce_watch(struct enforce *e, struct event_base *base, enforce_learned_fn learned,
                  void *arg);
/* After a reload: the sets follow the new lists (by name) and ranges. */
void enforce_set_conf(struct enforce *e, const struct conf *c);
/* Sends every port-53 query leaving the machine, or routed through it, to
 * the forwarder, or stops. */
int enforce_set_intercept(struct enforce *e, bool on);
/* Addresses learned from DNS answers, and shared ones to take out: one
 * transaction. */
void enforce_learn(struct enforce *e, const struct nft_elem *add, size_t n_add,
                   const struct nft_elem *del, size_t n_del);
/* The set in force changed (breaks' enforce hook): the addresses of the lists
 * in force are rejected, and only those (the endpoints' during any break). */
void enforce_apply(struct enforce *e, const struct inforce *in);
/* Appends counters for smctl status (addresses in the sets, rules in force). */
void enforce_put_status(struct enforce *e, struct proto_msg *reply);
/* Clean stop: removes the table, unless a strict break is on, keeping its
 * learned elements in the state directory for the next start. NULL-safe. */
void enforce_free(struct enforce *e);

#endif
