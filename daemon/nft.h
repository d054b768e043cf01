/* The daemon's nftables table `inet smbreak`, changed over one libnl netlink
 * socket: every change is one atomic nfnetlink batch and every acknowledgement
 * is collected before the call returns.
 *
 * Synchronous by design: the kernel runs an nf_tables batch inside the sendmsg
 * that carries it, so when sendmsg returns every acknowledgement is already
 * queued on the socket; collecting them costs no round trip and no waiting on
 * the network. A call therefore costs the kernel's work on the batch (about
 * 0.16 s for 100,000 elements, some 50 microseconds for a break's rules); the
 * wait for acknowledgements is bounded (NFT_ACK_TIMEOUT_MS) only as a guard.
 * Callers on the DNS path batch learned addresses and commit them from a
 * deferred event, so no DNS answer waits on a commit.
 *
 * Errors: calls return 0 or a negative errno; the lines saying what failed and
 * the kernel's reason ("nft: add set element 203.0.113.7 to learned4 failed:
 * No such file or directory") are kept for the caller to log (nft_error).
 * The one thing logged here is a table found deleted behind the daemon's back
 * when a change is made (a warning: the change recreates it), since only this
 * module sees it; the daemon restores the table sooner (enforce_watch). */
#ifndef SMB_NFT_H
#define SMB_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inforce.h"
#include "nft_msg.h"
#include "value.h"
#include "whom.h"

#define NFT_ACK_TIMEOUT_MS 2000
#define NFT_ERROR_MAX      2048                   /* bytes of error text kept from one call */
#define NFT_LAN_MAX        8                      /* LAN interfaces (gateway mode) */
#define NFT_WHOS_MAX       (SMB_DEVICES_MAX * 72) /* device identities: MACs and ranges */

struct nft;

#define NFT_USAGE_MAX 16 /* allowances */

/* One allowance: its name (the log prefix names it), its lists, and whom
 * it is for: only their traffic counts (everyone: all of it). */
struct nft_usage {
	char name[VALUE_NAME_MAX + 1];
	uint64_t lists;
	struct whom whom; /* resolved uids (UINT32_MAX: no such user), devices */
};

struct nft_config {
	/* The lists in force: the reject rules of their sets go in with the table. */
	uint64_t blocking;
	uint64_t block_until_ns; /* wall-clock end of that break (ns since epoch), 0: none */
	/* Lists in force for some only: for each entry with users, reject rules
	 * that match its users' sockets (meta skuid) on the output hook. */
	struct inforce_some some[INFORCE_SOME_MAX];
	size_t n_some;
	/* The port-53 redirect to the forwarder: the machine's own queries go to
	 * dns4:dns_port and [dns6]:dns6_port, those it routes for its containers
	 * and VMs to routed_port of the address they arrive at (0: routed
	 * traffic is left alone, and that port is not guarded). */
	bool intercept;
	struct in_addr dns4;
	struct in6_addr dns6;
	uint16_t dns_port;
	uint16_t dns6_port;
	uint16_t routed_port;
	uint32_t mark; /* the forwarder's upstream sockets carry it; never redirected */
	/* The lists by index (bit i of a mask = lists[i]); their names name their sets. */
	size_t n_lists;
	char lists[SMB_LISTS_MAX][VALUE_NAME_MAX + 1];
	/* Their `addresses =` ranges (prefix.list: the index); copied. */
	const struct nft_prefix *ranges;
	size_t n_ranges;
	/* The allowances: traffic from the sets of their lists above usage_rate
	 * bytes/s is logged once a minute at most (nft_build_usage); for an
	 * allowance for some, only that of the connections of its users (opened
	 * from their sockets) or devices (opened from their MACs or ranges). */
	uint32_t usage_rate;
	size_t n_usage;
	struct nft_usage usage[NFT_USAGE_MAX];
	/* Gateway mode (n_lan > 0): the LAN interfaces, whose port-53 traffic to
	 * any address goes to routed_port; the identities of the devices
	 * (copied); and the lists in force for each device beyond `blocking`,
	 * whose reject rules sit in block_devices on the forward hook. */
	size_t n_lan;
	char lan[NFT_LAN_MAX][16];
	const struct nft_who *whos;
	size_t n_whos;
	uint64_t dev_lists[SMB_DEVICES_MAX];
	uint64_t dev_until_ns;
};

/* What is in the kernel's table now, read back from it. */
struct nft_counts {
	size_t learned4, learned6; /* elements of the learned and endpoints sets (an address
	                              of two lists counts twice; expired ones not counted) */
	size_t ranges4, ranges6;   /* merged ranges of the lists' `addresses =` */
	unsigned block_rules;      /* > 0: the reject rules are in force */
	unsigned intercept_rules;  /* > 0: port-53 traffic goes to the forwarder */
};

/* Size of the last batch sent, for benchmarks and debugging. */
struct nft_batch_stats {
	size_t bytes;
	size_t messages;
};

/* Opens the netlink socket (extended and capped acknowledgements on). The
 * table is not touched until nft_table_replace. */
int nft_new(struct nft **out);
/* Closes the socket; the table stays as it is (see nft_table_delete). NULL-safe. */
void nft_free(struct nft *nft);

/* Creates the table fresh in one transaction: a table left by a crash, a
 * restart or an older version is removed in the same batch. Sets, chains
 * and, per cfg, the ranges, the reject rules and the redirect. The learned
 * elements of the old table's sets of lists that cfg still has (by name),
 * and of its endpoints sets, are read back first and go into the new sets
 * in the same transaction, with the time they had left; with `carried`
 * they are handed to the caller too (*carried: malloc'ed, the caller frees
 * it; NULL when none), so that the forwarder knows them again. */
int nft_table_replace(struct nft *nft, const struct nft_config *cfg, struct nft_elem **carried,
                      size_t *n_carried);
/* Puts the table back as the daemon last made it (chains, the reject rules
 * and the redirect in force, the ranges), whatever is left of it, with the
 * learned elements v (the timeout floor applies): one transaction. */
int nft_table_restore(struct nft *nft, const struct nft_elem *v, size_t n);
/* The netlink port id the batches are sent from: the kernel's notifications
 * of the changes they make carry it. */
uint32_t nft_portid(const struct nft *nft);
/* A reload: new lists and ranges, one transaction. The learned sets of lists
 * that stay (by name) keep their elements, those of lists gone are deleted,
 * new lists get empty ones; the ranges are replaced; the reject rules stay
 * on for the lists in force that stay. The redirect is not touched. */
int nft_set_lists(struct nft *nft, const struct nft_config *cfg);
/* Takes cfg as what the table holds, changing nothing in the kernel: for a
 * process that works on a table another one made (the test driver). */
int nft_adopt(struct nft *nft, const struct nft_config *cfg);
/* Removes the table (clean stop). Succeeds when it is already gone. */
int nft_table_delete(struct nft *nft);
/* Stop during a strict break: the redirect goes (the forwarder is going away)
 * while the reject rules and the sets stay; learned elements expire by
 * their own timeouts and the rules stop matching at block_until_ns. */
int nft_table_leave(struct nft *nft);

/* Break start or end: the reject rules of the sets of `lists` (and of the
 * endpoints sets, when lists is not 0) go in, those of the others out, in one
 * small batch; the sets are not touched. until_ns: the break's wall-clock
 * end, 0 for none. */
int nft_set_blocking(struct nft *nft, uint64_t lists, uint64_t until_ns);
/* nft_set_blocking with the lists in force for some users as well (some:
 * n_some entries, copied): their rules match those users' sockets only. */
int nft_set_blocking_some(struct nft *nft, uint64_t lists, const struct inforce_some *some,
                          size_t n_some, uint64_t until_ns);
/* Gateway mode: the lists in force for each device beyond those for
 * everyone (dev_lists[i]: conf device i), as reject rules for the traffic
 * from its MACs and ranges, with the endpoints' and port 853's, in one
 * batch. until_ns as for nft_set_blocking. */
int nft_set_device_blocking(struct nft *nft, const uint64_t dev_lists[SMB_DEVICES_MAX],
                            uint64_t until_ns);
/* The port-53 redirect on or off (the forwarder turns it on when it listens). */
int nft_set_intercept(struct nft *nft, bool on);

/* Adds addresses with their timeouts to the learned sets of their lists (and
 * the endpoints sets), all in one transaction however many there are. An
 * address already there gets the new timeout (kernel 6.11 and later). The
 * timeout floor applies. */
int nft_elements_add(struct nft *nft, const struct nft_elem *v, size_t n);
/* Takes addresses out of the sets of their lists. Each must be there: the
 * kernel refuses the whole batch otherwise. */
int nft_elements_del(struct nft *nft, const struct nft_elem *v, size_t n);
/* Empties the learned and endpoints sets. */
int nft_elements_flush(struct nft *nft);
/* The elements of the learned and endpoints sets now, each with the time it
 * has left and its one list (an address of two lists comes twice); *v:
 * malloc'ed, the caller frees it. */
int nft_elements_read(struct nft *nft, struct nft_elem **v, size_t *n);
/* The strict holds: one element per list held strictly for everyone, in the
 * set NFT_SET_HOLD, its key the list's name hashed (nft_hold_key), timing
 * out on the kernel's clock when its strictness does. The table is where a
 * strict break is enforced, so it keeps the end too: a state file deleted
 * before a restart cannot take it (nft_old_holds). Replaces the holds; they
 * come back with the table when it is rebuilt. count <= NFT_HOLD_MAX. */
#define NFT_HOLD_MAX 64
uint32_t nft_hold_key(const char *list);
int nft_set_holds(struct nft *nft, const uint32_t *keys, const uint32_t *remaining_ms,
                  size_t count);
/* The holds of the table nft_table_replace replaced, with the time each had
 * left: up to max of them into keys and left_ms; returns how many. */
size_t nft_old_holds(const struct nft *nft, uint32_t *keys, uint32_t *left_ms, size_t max);
/* The same read of the table as it is now, before anything starts (a socket
 * of its own): how many, or a negative errno (no table: 0). */
int nft_read_holds(uint32_t *keys, uint32_t *left_ms, size_t max);
/* A strict break is on for remaining_ms more: from now on every element added
 * gets a timeout no shorter than what is left of it, and the elements already
 * in the learned sets that would expire sooner are extended to it (one
 * transaction). 0 clears the floor and touches no element. */
int nft_set_timeout_floor(struct nft *nft, uint32_t remaining_ms);

int nft_counts(struct nft *nft, struct nft_counts *out);

/* The error lines of the last call that failed, "" when none. */
const char *nft_error(const struct nft *nft);
void nft_last_batch(const struct nft *nft, struct nft_batch_stats *out);

#endif
