/* What nft.c (the table's lifecycle and its changes) and nft_io.c (the
 * netlink socket, batches, acknowledgements and dumps) share: the handle and
 * the calls that talk to the kernel. Internal to those two files. */
#ifndef SMB_NFT_INT_H
#define SMB_NFT_INT_H

#include <linux/netlink.h>
#include <netlink/socket.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "nft.h"

struct nft {
	struct nl_sock *sk;
	int fd;
	uint32_t seq;
	int sndbuf;
	uint8_t *rbuf;
	/* what the table should hold, to rebuild it when it vanished */
	struct nft_config cfg;     /* cfg.ranges: the copy below */
	struct nft_prefix *ranges; /* owned */
	struct nft_who *whos;      /* owned: cfg.whos */
	bool have_table;
	bool have_cfg;              /* nft_table_replace was called: cfg is known */
	uint64_t floor_deadline_ns; /* CLOCK_BOOTTIME; 0: no floor */
	/* the strict holds (nft_set_holds), their ends on CLOCK_BOOTTIME */
	uint32_t hold_key[NFT_HOLD_MAX];
	uint64_t hold_deadline_ns[NFT_HOLD_MAX];
	size_t n_hold;
	/* those of the table replaced at start (nft_old_holds) */
	uint32_t old_key[NFT_HOLD_MAX], old_left_ms[NFT_HOLD_MAX];
	size_t n_old;
	char err[NFT_ERROR_MAX];
	size_t err_len;
	struct nft_batch_stats last;
};

static inline uint64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Adds a line to the error text of the current call (nft_error). */
void nft_io_err(struct nft *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fills a batch; 0 or a negative errno. */
typedef int (*build_fn)(struct nft *n, struct nft_batch *b, const void *arg);
/* Builds one batch with build, sends it (not when it changes nothing) and
 * collects every acknowledgement: 0, or the first error (lines in n->err). */
int nft_io_run(struct nft *n, build_fn build, const void *arg);
/* Asks the kernel whether the table exists: 1 yes, 0 no, negative on error. */
int nft_io_table_exists(struct nft *n);

typedef void (*dump_fn)(const struct nlmsghdr *h, void *arg);
/* Sends the dump request req makes for `name` and calls fn for every reply
 * message until the end; -ENOENT when the object is not there. */
int nft_io_dump(struct nft *n, int (*req)(void *buf, uint32_t seq, const char *name),
                const char *name, dump_fn fn, void *arg);

#endif
