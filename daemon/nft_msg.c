/* Pure building of nf_tables netlink messages: every message is made with
 * libnl's nlmsg_* / nla_* functions from the uapi definitions and copied into
 * the pages of a batch; nothing here touches a socket. Reading replies back is
 * in nft_msg_read.c. */
#include "nft_msg.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_SMALL 4096

/* The nf_tables data types of nft(8), informational for the kernel but what
 * makes `nft list` print addresses. */
#define NFT_TYPE_IPADDR  7
#define NFT_TYPE_IP6ADDR 8

static int addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

static int nfproto(int family)
{
	return family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
}

/* ---- batch pages ---- */

static int batch_reserve(struct nft_batch *b, size_t len, uint8_t **dst)
{
	if (len > NFT_BATCH_PAGE)
		return -EMSGSIZE;
	if (b->n_pages == 0 || b->page_len[b->n_pages - 1] + len > NFT_BATCH_PAGE) {
		if (b->n_pages == NFT_BATCH_PAGES_MAX)
			return -E2BIG;
		uint8_t **p = realloc(b->pages, (b->n_pages + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->pages = p;
		size_t *l = realloc(b->page_len, (b->n_pages + 1) * sizeof(*l));
		if (!l)
			return -ENOMEM;
		b->page_len = l;
		b->pages[b->n_pages] = malloc(NFT_BATCH_PAGE);
		if (!b->pages[b->n_pages])
			return -ENOMEM;
		b->page_len[b->n_pages] = 0;
		b->n_pages++;
	}
	*dst = b->pages[b->n_pages - 1] + b->page_len[b->n_pages - 1];
	return 0;
}

/* Copies the message into the batch with the next sequence number and frees it. */
static int batch_take(struct nft_batch *b, struct nl_msg *m)
{
	struct nlmsghdr *h = nlmsg_hdr(m);
	size_t len = NLMSG_ALIGN(h->nlmsg_len);
	uint8_t *dst;
	int r;

	if (b->ended) {
		r = -EINVAL;
		goto out;
	}
	if (b->n_msgs == b->cap_msgs) {
		size_t cap = b->cap_msgs ? b->cap_msgs * 2 : 16;
		struct nft_batch_msg *v = realloc(b->msgs, cap * sizeof(*v));
		if (!v) {
			r = -ENOMEM;
			goto out;
		}
		b->msgs = v;
		b->cap_msgs = cap;
	}
	r = batch_reserve(b, len, &dst);
	if (r < 0)
		goto out;
	h->nlmsg_seq = b->seq_first + (uint32_t)b->n_msgs;
	memcpy(dst, h, h->nlmsg_len);
	memset(dst + h->nlmsg_len, 0, len - h->nlmsg_len);
	b->msgs[b->n_msgs].page = (uint32_t)(b->n_pages - 1);
	b->msgs[b->n_msgs].off = (uint32_t)b->page_len[b->n_pages - 1];
	b->n_msgs++;
	b->page_len[b->n_pages - 1] += len;
	b->bytes += len;
out:
	nlmsg_free(m);
	return r;
}

static struct nl_msg *msg_new(uint16_t type, uint16_t flags, int family, uint16_t res_id,
                              size_t size)
{
	struct nfgenmsg g = {
	    .nfgen_family = (uint8_t)family,
	    .version = NFNETLINK_V0,
	    .res_id = htons(res_id),
	};
	struct nl_msg *m = nlmsg_alloc_size(size);

	if (!m)
		return NULL;
	if (!nlmsg_put(m, 0, 0, type, 0, NLM_F_REQUEST | flags) ||
	    nlmsg_append(m, &g, sizeof(g), NLMSG_ALIGNTO) < 0) {
		nlmsg_free(m);
		return NULL;
	}
	return m;
}

static struct nl_msg *obj_new(int msg, uint16_t flags, size_t size)
{
	return msg_new((NFNL_SUBSYS_NFTABLES << 8) | msg, flags, NFPROTO_INET, 0, size);
}

int nft_batch_init(struct nft_batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq_first = seq;
	struct nl_msg *m = msg_new(NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 64);
	if (!m)
		return -ENOMEM;
	return batch_take(b, m);
}

int nft_batch_end(struct nft_batch *b)
{
	struct nl_msg *m = msg_new(NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, 64);
	if (!m)
		return -ENOMEM;
	int r = batch_take(b, m);
	if (r == 0)
		b->ended = true;
	return r;
}

void nft_batch_release(struct nft_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n_pages; i++)
		free(b->pages[i]);
	free(b->pages);
	free(b->page_len);
	free(b->msgs);
	memset(b, 0, sizeof(*b));
}

const struct nlmsghdr *nft_batch_find(const struct nft_batch *b, uint32_t seq)
{
	uint32_t i = seq - b->seq_first;

	if (i >= b->n_msgs)
		return NULL;
	return (const struct nlmsghdr *)(b->pages[b->msgs[i].page] + b->msgs[i].off);
}

size_t nft_batch_acks(const struct nft_batch *b)
{
	size_t n = b->n_msgs;

	n -= n > 0;             /* begin */
	n -= b->ended && n > 0; /* end */
	return n;
}

/* ---- attribute helpers: an error sticks, so builders check once at the end ---- */

struct mb {
	struct nl_msg *m;
	int err;
};

static void put(struct mb *b, int type, size_t len, const void *data)
{
	if (!b->err && nla_put(b->m, type, (int)len, data) < 0)
		b->err = -EMSGSIZE;
}

static void put_str(struct mb *b, int type, const char *s)
{
	put(b, type, strlen(s) + 1, s);
}

static void put_be32(struct mb *b, int type, uint32_t v)
{
	uint32_t be = htonl(v);
	put(b, type, sizeof(be), &be);
}

static void put_be64(struct mb *b, int type, uint64_t v)
{
	uint64_t be = htobe64(v);
	put(b, type, sizeof(be), &be);
}

static struct nlattr *nest(struct mb *b, int type)
{
	struct nlattr *a = NULL;

	if (!b->err) {
		a = nla_nest_start(b->m, type | NLA_F_NESTED);
		if (!a)
			b->err = -EMSGSIZE;
	}
	return a;
}

static void nest_end(struct mb *b, struct nlattr *a)
{
	if (!b->err)
		nla_nest_end(b->m, a);
}

static int finish(struct nft_batch *batch, struct mb *b)
{
	if (!b->m)
		return -ENOMEM;
	if (b->err) {
		nlmsg_free(b->m);
		return b->err;
	}
	return batch_take(batch, b->m);
}

/* ---- table, chains, sets ---- */

int nft_msg_table_add(struct nft_batch *batch)
{
	struct mb b = {obj_new(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_TABLE_NAME, NFT_TABLE);
		put_be32(&b, NFTA_TABLE_FLAGS, 0);
	}
	return finish(batch, &b);
}

int nft_msg_table_del(struct nft_batch *batch)
{
	struct mb b = {obj_new(NFT_MSG_DELTABLE, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m)
		put_str(&b, NFTA_TABLE_NAME, NFT_TABLE);
	return finish(batch, &b);
}

int nft_msg_set_add(struct nft_batch *batch, const char *name, int family, uint32_t id,
                    bool interval, uint32_t size)
{
	int alen = addr_len(family);
	if (alen < 0)
		return -EINVAL;
	struct mb b = {obj_new(NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_SET_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_NAME, name);
		put_be32(&b, NFTA_SET_FLAGS, interval ? NFT_SET_INTERVAL : NFT_SET_TIMEOUT);
		put_be32(&b, NFTA_SET_KEY_TYPE, alen == 4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
		put_be32(&b, NFTA_SET_KEY_LEN, (uint32_t)alen);
		if (id)
			put_be32(&b, NFTA_SET_ID, id);
		if (size) {
			struct nlattr *d = nest(&b, NFTA_SET_DESC);
			put_be32(&b, NFTA_SET_DESC_SIZE, size);
			nest_end(&b, d);
		}
	}
	return finish(batch, &b);
}

int nft_msg_set_del(struct nft_batch *batch, const char *name)
{
	struct mb b = {obj_new(NFT_MSG_DELSET, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_SET_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_NAME, name);
	}
	return finish(batch, &b);
}

int nft_msg_chain_add(struct nft_batch *batch, const char *name)
{
	struct mb b = {obj_new(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_CHAIN_TABLE, NFT_TABLE);
		put_str(&b, NFTA_CHAIN_NAME, name);
	}
	return finish(batch, &b);
}

int nft_msg_base_chain_add(struct nft_batch *batch, const char *name, const char *type,
                           unsigned hooknum, int priority)
{
	struct mb b = {obj_new(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_CHAIN_TABLE, NFT_TABLE);
		put_str(&b, NFTA_CHAIN_NAME, name);
		struct nlattr *h = nest(&b, NFTA_CHAIN_HOOK);
		put_be32(&b, NFTA_HOOK_HOOKNUM, hooknum);
		put_be32(&b, NFTA_HOOK_PRIORITY, (uint32_t)priority);
		nest_end(&b, h);
		put_be32(&b, NFTA_CHAIN_POLICY, NF_ACCEPT);
		put_str(&b, NFTA_CHAIN_TYPE, type);
	}
	return finish(batch, &b);
}

int nft_msg_chain_flush(struct nft_batch *batch, const char *name)
{
	struct mb b = {obj_new(NFT_MSG_DELRULE, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_RULE_TABLE, NFT_TABLE);
		put_str(&b, NFTA_RULE_CHAIN, name);
	}
	return finish(batch, &b);
}

/* ---- set elements ---- */

static void put_key(struct mb *b, int type, const void *addr, int alen)
{
	struct nlattr *k = nest(b, type);
	put(b, NFTA_DATA_VALUE, (size_t)alen, addr);
	nest_end(b, k);
}

static size_t nest_len(const struct nl_msg *m, const struct nlattr *a)
{
	return (size_t)((const char *)nlmsg_tail(nlmsg_hdr((struct nl_msg *)m)) - (const char *)a);
}

/* Writes the elements of one family from v[*i] on into one message, up to the
 * attribute size limit; *i ends at the first element not written. */
static int elems_msg(struct nft_batch *batch, int msg, const char *set, int family, unsigned lst,
                     const struct nft_elem *v, size_t n, size_t *i, bool with_timeout,
                     uint32_t min_timeout_ms)
{
	int alen = addr_len(family);
	uint16_t flags = NLM_F_ACK | (msg == NFT_MSG_NEWSETELEM ? NLM_F_CREATE : 0);
	struct mb b = {obj_new(msg, flags, NFT_ELEMS_NEST_MAX + 512), 0};
	size_t count = 0;
	/* list elem, key nest, key value, timeout; all padded to 4 */
	size_t esz = 4 + 4 + 4 + (size_t)alen + (with_timeout ? 12 : 0);

	if (!b.m)
		return -ENOMEM;
	put_str(&b, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
	put_str(&b, NFTA_SET_ELEM_LIST_SET, set);
	struct nlattr *list = nest(&b, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (; *i < n && !b.err; (*i)++) {
		const struct nft_elem *e = &v[*i];
		if (e->family != family || !nft_elem_in(e, lst))
			continue;
		if (nest_len(b.m, list) + esz > NFT_ELEMS_NEST_MAX)
			break;
		struct nlattr *el = nest(&b, NFTA_LIST_ELEM);
		uint32_t t = e->timeout_ms;
		if (with_timeout && t != 0 && t < min_timeout_ms)
			t = min_timeout_ms;
		if (with_timeout && t != 0)
			put_be64(&b, NFTA_SET_ELEM_TIMEOUT, t);
		put_key(&b, NFTA_SET_ELEM_KEY, &e->addr, alen);
		nest_end(&b, el);
		count++;
	}
	nest_end(&b, list);
	if (count == 0 && !b.err) {
		nlmsg_free(b.m);
		return 0;
	}
	return finish(batch, &b);
}

static int elems(struct nft_batch *batch, int msg, const char *set, int family, unsigned lst,
                 const struct nft_elem *v, size_t n, bool with_timeout, uint32_t min_timeout_ms)
{
	size_t i = 0;

	if (addr_len(family) < 0)
		return -EINVAL;
	while (i < n) {
		int r =
		    elems_msg(batch, msg, set, family, lst, v, n, &i, with_timeout, min_timeout_ms);
		if (r < 0)
			return r;
	}
	return 0;
}

int nft_msg_elems_add(struct nft_batch *b, const char *set, int family, unsigned list,
                      const struct nft_elem *v, size_t n, uint32_t min_timeout_ms)
{
	return elems(b, NFT_MSG_NEWSETELEM, set, family, list, v, n, true, min_timeout_ms);
}

int nft_msg_elems_del(struct nft_batch *b, const char *set, int family, unsigned list,
                      const struct nft_elem *v, size_t n)
{
	return elems(b, NFT_MSG_DELSETELEM, set, family, list, v, n, false, 0);
}

int nft_msg_intervals_add(struct nft_batch *batch, const char *set, int family,
                          const struct nft_interval *v, size_t n)
{
	int alen = addr_len(family);
	size_t i = 0;
	/* a start and an end element per interval, and the end's flags */
	size_t esz = 2 * (4 + 4 + 4 + (size_t)alen) + 8;

	if (alen < 0)
		return -EINVAL;
	while (i < n) {
		struct mb b = {
		    obj_new(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, NFT_ELEMS_NEST_MAX + 512),
		    0};
		if (!b.m)
			return -ENOMEM;
		put_str(&b, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_ELEM_LIST_SET, set);
		struct nlattr *list = nest(&b, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (; i < n && !b.err; i++) {
			if (nest_len(b.m, list) + esz > NFT_ELEMS_NEST_MAX)
				break;
			struct nlattr *el = nest(&b, NFTA_LIST_ELEM);
			put_key(&b, NFTA_SET_ELEM_KEY, v[i].start, alen);
			nest_end(&b, el);
			if (!v[i].end_open) {
				el = nest(&b, NFTA_LIST_ELEM);
				put_be32(&b, NFTA_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
				put_key(&b, NFTA_SET_ELEM_KEY, v[i].end, alen);
				nest_end(&b, el);
			}
		}
		nest_end(&b, list);
		int r = finish(batch, &b);
		if (r < 0)
			return r;
	}
	return 0;
}

static int interval_cmp(const void *a, const void *b)
{
	return memcmp(((const struct nft_interval *)a)->start,
	              ((const struct nft_interval *)b)->start, 16);
}

/* [start, end) of one prefix: the host bits cleared in start, set in end,
 * then one added to end (end_open when that carries out of the address). */
static void prefix_interval(const struct nft_prefix *p, int alen, struct nft_interval *iv)
{
	memset(iv, 0, sizeof(*iv));
	memcpy(iv->start, p->addr, (size_t)alen);
	for (int bit = p->len; bit < alen * 8; bit++)
		iv->start[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	memcpy(iv->end, iv->start, (size_t)alen);
	for (int bit = p->len; bit < alen * 8; bit++)
		iv->end[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	int j = alen - 1;
	while (j >= 0 && iv->end[j] == 0xff)
		iv->end[j--] = 0;
	if (j < 0)
		iv->end_open = true;
	else
		iv->end[j]++;
}

int nft_prefixes_merge(const struct nft_prefix *v, size_t n, int family, struct nft_interval *out)
{
	int alen = addr_len(family);
	size_t k = 0;

	if (alen < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (v[i].family != family)
			continue;
		if (v[i].len > alen * 8)
			return -EINVAL;
		prefix_interval(&v[i], alen, &out[k++]);
	}
	if (k == 0)
		return 0;
	/* the unused tail bytes of 4-byte addresses are zero, so memcmp over 16 works */
	qsort(out, k, sizeof(*out), interval_cmp);
	size_t w = 0;
	for (size_t i = 1; i < k; i++) {
		struct nft_interval *cur = &out[w];
		if (cur->end_open)
			break;
		if (memcmp(out[i].start, cur->end, 16) <= 0) {
			if (out[i].end_open)
				cur->end_open = true;
			else if (memcmp(out[i].end, cur->end, 16) > 0)
				memcpy(cur->end, out[i].end, 16);
		} else {
			out[++w] = out[i];
		}
	}
	return (int)(w + 1);
}

bool nft_elem_in(const struct nft_elem *e, unsigned list)
{
	if (list == NFT_LIST_ENDPOINTS)
		return e->endpoint;
	return list < 64 && (e->lists >> list & 1u);
}

void nft_set_name(char *out, const char *kind, int family, const char *list)
{
	snprintf(out, NFT_SET_NAME_MAX, "%s%c%s%s", kind, family == AF_INET ? '4' : '6',
	         list ? "_" : "", list ? list : "");
}

int nft_msg_elems_flush(struct nft_batch *batch, const char *set)
{
	struct mb b = {obj_new(NFT_MSG_DELSETELEM, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_ELEM_LIST_SET, set);
	}
	return finish(batch, &b);
}

/* ---- rules ---- */

static struct nlattr *expr_begin(struct mb *b, const char *name, struct nlattr **data)
{
	struct nlattr *e = nest(b, NFTA_LIST_ELEM);
	put_str(b, NFTA_EXPR_NAME, name);
	*data = nest(b, NFTA_EXPR_DATA);
	return e;
}

static void expr_end(struct mb *b, struct nlattr *e, struct nlattr *data)
{
	nest_end(b, data);
	nest_end(b, e);
}

static void expr_meta(struct mb *b, uint32_t key, uint32_t dreg)
{
	struct nlattr *d, *e = expr_begin(b, "meta", &d);
	put_be32(b, NFTA_META_KEY, key);
	put_be32(b, NFTA_META_DREG, dreg);
	expr_end(b, e, d);
}

static void expr_cmp(struct mb *b, uint32_t op, uint32_t sreg, const void *data, size_t len)
{
	struct nlattr *d, *e = expr_begin(b, "cmp", &d);
	put_be32(b, NFTA_CMP_SREG, sreg);
	put_be32(b, NFTA_CMP_OP, op);
	struct nlattr *v = nest(b, NFTA_CMP_DATA);
	put(b, NFTA_DATA_VALUE, len, data);
	nest_end(b, v);
	expr_end(b, e, d);
}

static void expr_payload(struct mb *b, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nlattr *d, *e = expr_begin(b, "payload", &d);
	put_be32(b, NFTA_PAYLOAD_DREG, dreg);
	put_be32(b, NFTA_PAYLOAD_BASE, base);
	put_be32(b, NFTA_PAYLOAD_OFFSET, off);
	put_be32(b, NFTA_PAYLOAD_LEN, len);
	expr_end(b, e, d);
}

static void expr_lookup(struct mb *b, const char *set, uint32_t id, uint32_t sreg)
{
	struct nlattr *d, *e = expr_begin(b, "lookup", &d);
	put_be32(b, NFTA_LOOKUP_SREG, sreg);
	put_str(b, NFTA_LOOKUP_SET, set);
	/* finds the set when it is created in the same transaction */
	if (id)
		put_be32(b, NFTA_LOOKUP_SET_ID, id);
	expr_end(b, e, d);
}

static void expr_byteorder_hton(struct mb *b, uint32_t reg, uint32_t len, uint32_t size)
{
	struct nlattr *d, *e = expr_begin(b, "byteorder", &d);
	put_be32(b, NFTA_BYTEORDER_SREG, reg);
	put_be32(b, NFTA_BYTEORDER_DREG, reg);
	put_be32(b, NFTA_BYTEORDER_OP, NFT_BYTEORDER_HTON);
	put_be32(b, NFTA_BYTEORDER_LEN, len);
	put_be32(b, NFTA_BYTEORDER_SIZE, size);
	expr_end(b, e, d);
}

static void expr_verdict(struct mb *b, int code, const char *chain)
{
	struct nlattr *d, *e = expr_begin(b, "immediate", &d);
	put_be32(b, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
	struct nlattr *data = nest(b, NFTA_IMMEDIATE_DATA);
	struct nlattr *v = nest(b, NFTA_DATA_VERDICT);
	put_be32(b, NFTA_VERDICT_CODE, (uint32_t)code);
	if (chain)
		put_str(b, NFTA_VERDICT_CHAIN, chain);
	nest_end(b, v);
	nest_end(b, data);
	expr_end(b, e, d);
}

static void expr_immediate(struct mb *b, uint32_t dreg, const void *data, size_t len)
{
	struct nlattr *d, *e = expr_begin(b, "immediate", &d);
	put_be32(b, NFTA_IMMEDIATE_DREG, dreg);
	struct nlattr *v = nest(b, NFTA_IMMEDIATE_DATA);
	put(b, NFTA_DATA_VALUE, len, data);
	nest_end(b, v);
	expr_end(b, e, d);
}

static void expr_reject(struct mb *b, uint32_t type, uint8_t code)
{
	struct nlattr *d, *e = expr_begin(b, "reject", &d);
	put_be32(b, NFTA_REJECT_TYPE, type);
	put(b, NFTA_REJECT_ICMP_CODE, 1, &code);
	expr_end(b, e, d);
}

static void expr_dnat(struct mb *b, int family, uint32_t reg_addr, uint32_t reg_proto)
{
	struct nlattr *d, *e = expr_begin(b, "nat", &d);
	put_be32(b, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	put_be32(b, NFTA_NAT_FAMILY, (uint32_t)nfproto(family));
	put_be32(b, NFTA_NAT_REG_ADDR_MIN, reg_addr);
	put_be32(b, NFTA_NAT_REG_PROTO_MIN, reg_proto);
	put_be32(b, NFTA_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	expr_end(b, e, d);
}

static void expr_redir(struct mb *b, uint32_t reg_proto)
{
	struct nlattr *d, *e = expr_begin(b, "redir", &d);
	put_be32(b, NFTA_REDIR_REG_PROTO_MIN, reg_proto);
	put_be32(b, NFTA_REDIR_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
	expr_end(b, e, d);
}

static void expr_ct_status(struct mb *b, uint32_t dreg)
{
	struct nlattr *d, *e = expr_begin(b, "ct", &d);
	put_be32(b, NFTA_CT_KEY, NFT_CT_STATUS);
	put_be32(b, NFTA_CT_DREG, dreg);
	expr_end(b, e, d);
}

/* reg = reg & mask (host byte order, 32 bits, as ct status is kept) */
static void expr_and32(struct mb *b, uint32_t reg, uint32_t mask)
{
	uint32_t zero = 0;
	struct nlattr *d, *e = expr_begin(b, "bitwise", &d);
	put_be32(b, NFTA_BITWISE_SREG, reg);
	put_be32(b, NFTA_BITWISE_DREG, reg);
	put_be32(b, NFTA_BITWISE_LEN, sizeof(mask));
	struct nlattr *m = nest(b, NFTA_BITWISE_MASK);
	put(b, NFTA_DATA_VALUE, sizeof(mask), &mask);
	nest_end(b, m);
	struct nlattr *x = nest(b, NFTA_BITWISE_XOR);
	put(b, NFTA_DATA_VALUE, sizeof(zero), &zero);
	nest_end(b, x);
	expr_end(b, e, d);
}

static void expr_fib_daddr_type(struct mb *b, uint32_t dreg)
{
	struct nlattr *d, *e = expr_begin(b, "fib", &d);
	put_be32(b, NFTA_FIB_DREG, dreg);
	put_be32(b, NFTA_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
	put_be32(b, NFTA_FIB_FLAGS, NFTA_FIB_F_DADDR);
	expr_end(b, e, d);
}

static void cmp_u32(struct mb *b, uint32_t reg, uint32_t host_value)
{
	/* meta values such as nfproto and mark are compared in host byte order */
	expr_cmp(b, NFT_CMP_EQ, reg, &host_value, sizeof(host_value));
}

static void cmp_u8(struct mb *b, uint32_t reg, uint8_t value)
{
	expr_cmp(b, NFT_CMP_EQ, reg, &value, 1);
}

static struct nlattr *rule_begin(struct mb *b, const char *chain)
{
	put_str(b, NFTA_RULE_TABLE, NFT_TABLE);
	put_str(b, NFTA_RULE_CHAIN, chain);
	return nest(b, NFTA_RULE_EXPRESSIONS);
}

static struct mb rule_new(void)
{
	struct mb b = {obj_new(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, MSG_SMALL),
	               0};
	return b;
}

static void match_family(struct mb *b, int family)
{
	expr_meta(b, NFT_META_NFPROTO, NFT_REG_1);
	cmp_u8(b, NFT_REG_1, (uint8_t)nfproto(family));
}

/* meta l4proto l4proto th dport port: the destination port is at offset 2 in
 * both UDP and TCP. */
static void match_dport(struct mb *b, int l4proto, uint16_t port)
{
	uint16_t be = htons(port);

	expr_meta(b, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(b, NFT_REG_1, (uint8_t)l4proto);
	expr_payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1);
	expr_cmp(b, NFT_CMP_EQ, NFT_REG_1, &be, sizeof(be));
}

/* until_ns > 0: `meta time < until_ns`, so that rules left behind by a dead
 * daemon stop at the break's end. */
static void match_until(struct mb *b, uint64_t until_ns)
{
	if (!until_ns)
		return;
	uint64_t be = htobe64(until_ns);
	expr_meta(b, NFT_META_TIME_NS, NFT_REG_1);
	/* cmp compares bytes, so the host-order clock is turned big-endian */
	expr_byteorder_hton(b, NFT_REG_1, 8, 8);
	expr_cmp(b, NFT_CMP_LT, NFT_REG_1, &be, sizeof(be));
}

int nft_msg_rule_block(struct nft_batch *batch, int family, const char *set, uint32_t set_id,
                       uint64_t until_ns)
{
	int alen = addr_len(family);
	if (alen < 0)
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_BLOCK);
	match_family(&b, family);
	/* the destination address: offset 16 in IPv4, 24 in IPv6 */
	expr_payload(&b, NFT_PAYLOAD_NETWORK_HEADER, alen == 4 ? 16 : 24, (uint32_t)alen,
	             NFT_REG_1);
	expr_lookup(&b, set, set_id, NFT_REG_1);
	match_until(&b, until_ns);
	expr_verdict(&b, NFT_GOTO, NFT_CHAIN_REFUSE);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_block_port(struct nft_batch *batch, int l4proto, uint16_t port, uint64_t until_ns)
{
	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP)
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_BLOCK);
	match_dport(&b, l4proto, port);
	match_until(&b, until_ns);
	expr_verdict(&b, NFT_GOTO, NFT_CHAIN_REFUSE);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_local_return(struct nft_batch *batch)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_BLOCK);
	expr_fib_daddr_type(&b, NFT_REG_1);
	cmp_u32(&b, NFT_REG_1, RTN_LOCAL);
	expr_verdict(&b, NFT_RETURN, NULL);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_refuse_tcp(struct nft_batch *batch)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_REFUSE);
	expr_meta(&b, NFT_META_L4PROTO, NFT_REG_1);
	cmp_u8(&b, NFT_REG_1, IPPROTO_TCP);
	expr_reject(&b, NFT_REJECT_TCP_RST, 0);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_refuse_other(struct nft_batch *batch)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_REFUSE);
	/* icmpx admin-prohibited is ICMP code 13 for IPv4, ICMPv6 code 1 for IPv6 */
	expr_reject(&b, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_mark_accept(struct nft_batch *batch, uint32_t mark)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_INTERCEPT);
	expr_meta(&b, NFT_META_MARK, NFT_REG_1);
	cmp_u32(&b, NFT_REG_1, mark);
	expr_verdict(&b, NF_ACCEPT, NULL);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_loopback_accept(struct nft_batch *batch)
{
	char name[16] = "lo";
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_INTERCEPT);
	expr_meta(&b, NFT_META_OIFNAME, NFT_REG_1);
	expr_cmp(&b, NFT_CMP_EQ, NFT_REG_1, name, sizeof(name));
	expr_verdict(&b, NF_ACCEPT, NULL);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_dnat53(struct nft_batch *batch, int family, int l4proto, const void *addr,
                        uint16_t port)
{
	int alen = addr_len(family);
	uint16_t to_port = htons(port);

	if (alen < 0 || (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP))
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_INTERCEPT);
	match_family(&b, family);
	match_dport(&b, l4proto, 53);
	expr_immediate(&b, NFT_REG_1, addr, (size_t)alen);
	expr_immediate(&b, NFT_REG_2, &to_port, sizeof(to_port));
	expr_dnat(&b, family, NFT_REG_1, NFT_REG_2);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_jump(struct nft_batch *batch, const char *chain, const char *to)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, chain);
	expr_verdict(&b, NFT_JUMP, to);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_routed_local_accept(struct nft_batch *batch)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_INTERCEPT_ROUTED);
	expr_fib_daddr_type(&b, NFT_REG_1);
	cmp_u32(&b, NFT_REG_1, RTN_LOCAL);
	expr_verdict(&b, NF_ACCEPT, NULL);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_redirect53(struct nft_batch *batch, int l4proto, uint16_t port)
{
	uint16_t to_port = htons(port);

	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP)
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_INTERCEPT_ROUTED);
	match_dport(&b, l4proto, 53);
	expr_immediate(&b, NFT_REG_1, &to_port, sizeof(to_port));
	expr_redir(&b, NFT_REG_1);
	nest_end(&b, x);
	return finish(batch, &b);
}

int nft_msg_rule_guard(struct nft_batch *batch, int l4proto, uint16_t port)
{
	char lo[16] = "lo";
	uint32_t zero = 0;

	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP)
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_GUARD);
	match_dport(&b, l4proto, port);
	expr_meta(&b, NFT_META_IIFNAME, NFT_REG_1);
	expr_cmp(&b, NFT_CMP_NEQ, NFT_REG_1, lo, sizeof(lo));
	expr_ct_status(&b, NFT_REG_1);
	expr_and32(&b, NFT_REG_1, IPS_DST_NAT);
	expr_cmp(&b, NFT_CMP_EQ, NFT_REG_1, &zero, sizeof(zero));
	expr_verdict(&b, NF_DROP, NULL);
	nest_end(&b, x);
	return finish(batch, &b);
}

/* ---- requests ---- */

static int req_finish(struct mb *b, void *buf, uint32_t seq)
{
	if (!b->m)
		return -ENOMEM;
	if (b->err) {
		nlmsg_free(b->m);
		return b->err;
	}
	struct nlmsghdr *h = nlmsg_hdr(b->m);
	int len = (int)h->nlmsg_len;
	h->nlmsg_seq = seq;
	if (len > NFT_REQ_MAX) {
		nlmsg_free(b->m);
		return -EMSGSIZE;
	}
	memcpy(buf, h, (size_t)len);
	nlmsg_free(b->m);
	return len;
}

int nft_msg_req_table(void *buf, uint32_t seq)
{
	struct mb b = {obj_new(NFT_MSG_GETTABLE, NLM_F_ACK, MSG_SMALL), 0};
	if (b.m)
		put_str(&b, NFTA_TABLE_NAME, NFT_TABLE);
	return req_finish(&b, buf, seq);
}

int nft_msg_req_elems(void *buf, uint32_t seq, const char *set)
{
	struct mb b = {obj_new(NFT_MSG_GETSETELEM, NLM_F_DUMP | NLM_F_ACK, MSG_SMALL), 0};
	if (b.m) {
		put_str(&b, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_ELEM_LIST_SET, set);
	}
	return req_finish(&b, buf, seq);
}

int nft_msg_req_rules(void *buf, uint32_t seq, const char *chain)
{
	struct mb b = {obj_new(NFT_MSG_GETRULE, NLM_F_DUMP | NLM_F_ACK, MSG_SMALL), 0};
	if (b.m) {
		put_str(&b, NFTA_RULE_TABLE, NFT_TABLE);
		put_str(&b, NFTA_RULE_CHAIN, chain);
	}
	return req_finish(&b, buf, seq);
}
