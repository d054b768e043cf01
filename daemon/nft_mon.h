/* What the nf_tables notifications (the NFNLGRP_NFTABLES group, as `nft
 * monitor` reads it) say about table inet smbreak: pure parsing, one datagram
 * at a time, so that enforcement can tell a change somebody else made to the
 * table from its own and put the table back. */
#ifndef SMB_NFT_MON_H
#define SMB_NFT_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFT_MON_COMM_MAX 16 /* a process name as the kernel gives it (TASK_COMM_LEN) */

/* The reader's state across datagrams: a transaction's messages can come in
 * several, and only its NFT_MSG_NEWGEN says it is over. */
struct nft_mon {
	uint32_t self; /* the port id the daemon's own batches are sent from */
	bool touched;  /* a message of the transaction under way was about the table */
	/* The last foreign transaction that changed the table: the process that
	 * committed it, as its NEWGEN says (pid 0, comm "": it did not say). */
	uint32_t pid;
	char comm[NFT_MON_COMM_MAX];
};

/* Reads one datagram of notifications. Returns how many transactions that
 * changed table inet smbreak and were not sent from m->self ended in it (the
 * last one's process in m->pid, m->comm), or -EBADMSG when a message is cut
 * short (those before it are counted in m, the rest is not read). Messages
 * from m->self, about other tables or families, and of other subsystems are
 * passed over. */
int nft_mon_feed(struct nft_mon *m, const void *buf, size_t len);

#endif
