/* What nft_msg.c and nft_msg_rule.c share: the message builder with a
 * sticky error (every put is checked once, at the end), and the family
 * helpers. Internal to those two files. */
#ifndef SMB_NFT_MSG_INT_H
#define SMB_NFT_MSG_INT_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <string.h>

#include "nft_msg.h"

#define MSG_SMALL 4096

static inline int addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

static inline int nfproto(int family)
{
	return family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

/* ---- attribute helpers: an error sticks, so builders check once at the end ---- */

struct mb {
	struct nl_msg *m;
	int err;
};

static inline void put(struct mb *b, int type, size_t len, const void *data)
{
	if (!b->err && nla_put(b->m, type, (int)len, data) < 0)
		b->err = -EMSGSIZE;
}

static inline void put_str(struct mb *b, int type, const char *s)
{
	put(b, type, strlen(s) + 1, s);
}

static inline void put_be32(struct mb *b, int type, uint32_t v)
{
	uint32_t be = htonl(v);
	put(b, type, sizeof(be), &be);
}

static inline void put_be64(struct mb *b, int type, uint64_t v)
{
	uint64_t be = htobe64(v);
	put(b, type, sizeof(be), &be);
}

static inline struct nlattr *nest(struct mb *b, int type)
{
	struct nlattr *a = NULL;

	if (!b->err) {
		a = nla_nest_start(b->m, type | NLA_F_NESTED);
		if (!a)
			b->err = -EMSGSIZE;
	}
	return a;
}

static inline void nest_end(struct mb *b, struct nlattr *a)
{
	if (!b->err)
		nla_nest_end(b->m, a);
}

/* A new nf_tables message of type msg (NFT_MSG_*) for table inet smbreak,
 * with room for size bytes; NULL without memory. */
struct nl_msg *nft_msg_obj_new(int msg, uint16_t flags, size_t size);
/* Hands a built message to the batch, or frees it and returns its error. */
int nft_msg_mb_finish(struct nft_batch *batch, struct mb *b);

#endif
