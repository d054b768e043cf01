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
 * The one thing logged here is a table found deleted behind the daemon's back,
 * which the next change recreates (a warning), since only this module sees it. */
#ifndef SMB_NFT_H
#define SMB_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft_msg.h"

#define NFT_ACK_TIMEOUT_MS 2000
#define NFT_ERROR_MAX      2048 /* bytes of error text kept from one call */

struct nft;

struct nft_config {
	/* A break is on: the reject rules go in with the table. */
	bool blocking;
	uint64_t block_until_ns; /* wall-clock end of that break (ns since epoch), 0: none */
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
};

/* What is in the kernel's table now, read back from it. */
struct nft_counts {
	size_t learned4, learned6; /* addresses (expired ones not counted) */
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

/* Creates the table fresh in one transaction: a table left by a crash or an
 * older version is removed in the same batch. Sets, chains and, per cfg, the
 * reject rules and the redirect. */
int nft_table_replace(struct nft *nft, const struct nft_config *cfg);
/* Removes the table (clean stop). Succeeds when it is already gone. */
int nft_table_delete(struct nft *nft);
/* Stop during a strict break: the redirect goes (the forwarder is going away)
 * while the reject rules and the sets stay; learned elements expire by
 * their own timeouts and the rules stop matching at block_until_ns. */
int nft_table_leave(struct nft *nft);

/* Break start or end: the reject rules go in or out in one small batch; the
 * sets are not touched. until_ns: the break's wall-clock end, 0 for none. */
int nft_set_blocking(struct nft *nft, bool on, uint64_t until_ns);
/* The port-53 redirect on or off (the forwarder turns it on when it listens). */
int nft_set_intercept(struct nft *nft, bool on);

/* Adds addresses with their timeouts to learned4/learned6, all in one
 * transaction however many there are. An address already there gets the new
 * timeout (kernel 6.11 and later). The timeout floor applies. */
int nft_elements_add(struct nft *nft, const struct nft_elem *v, size_t n);
int nft_elements_del(struct nft *nft, const struct nft_elem *v, size_t n);
/* Empties learned4 and learned6. */
int nft_elements_flush(struct nft *nft);
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
