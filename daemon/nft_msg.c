/* Pure building of nf_tables netlink messages: every message is made with
 * libnl's nlmsg_* / nla_* functions from the uapi definitions and copied into
 * the pages of a batch; nothing here touches a socket. Reading replies back is
 * in nft_msg_read.c. */
#include "nft_msg.h"
#include "nft_msg_int.h"

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

/* The nf_tables data types of nft(8), informational for the kernel but what
 * makes `nft list` print addresses. */
#define NFT_TYPE_IPADDR  7
#define NFT_TYPE_IP6ADDR 8

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

struct nl_msg *nft_msg_obj_new(int msg, uint16_t flags, size_t size)
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

int nft_msg_mb_finish(struct nft_batch *batch, struct mb *b)
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
	struct mb b = {nft_msg_obj_new(NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_TABLE_NAME, NFT_TABLE);
		put_be32(&b, NFTA_TABLE_FLAGS, 0);
	}
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_table_del(struct nft_batch *batch)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_DELTABLE, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m)
		put_str(&b, NFTA_TABLE_NAME, NFT_TABLE);
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_set_add(struct nft_batch *batch, const char *name, int family, uint32_t id,
                    bool interval, uint32_t size)
{
	int alen = addr_len(family);
	if (alen < 0)
		return -EINVAL;
	struct mb b = {nft_msg_obj_new(NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

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
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_set_del(struct nft_batch *batch, const char *name)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_DELSET, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_SET_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_NAME, name);
	}
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_chain_add(struct nft_batch *batch, const char *name)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_CHAIN_TABLE, NFT_TABLE);
		put_str(&b, NFTA_CHAIN_NAME, name);
	}
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_base_chain_add(struct nft_batch *batch, const char *name, const char *type,
                           unsigned hooknum, int priority)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, MSG_SMALL), 0};

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
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_chain_flush(struct nft_batch *batch, const char *name)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_DELRULE, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_RULE_TABLE, NFT_TABLE);
		put_str(&b, NFTA_RULE_CHAIN, name);
	}
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_chain_del(struct nft_batch *batch, const char *name)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_DELCHAIN, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_CHAIN_TABLE, NFT_TABLE);
		put_str(&b, NFTA_CHAIN_NAME, name);
	}
	return nft_msg_mb_finish(batch, &b);
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
	struct mb b = {nft_msg_obj_new(msg, flags, NFT_ELEMS_NEST_MAX + 512), 0};
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
	return nft_msg_mb_finish(batch, &b);
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
		struct mb b = {nft_msg_obj_new(NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		                               NFT_ELEMS_NEST_MAX + 512),
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
		int r = nft_msg_mb_finish(batch, &b);
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
	struct mb b = {nft_msg_obj_new(NFT_MSG_DELSETELEM, NLM_F_ACK, MSG_SMALL), 0};

	if (b.m) {
		put_str(&b, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_ELEM_LIST_SET, set);
	}
	return nft_msg_mb_finish(batch, &b);
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
	struct mb b = {nft_msg_obj_new(NFT_MSG_GETTABLE, NLM_F_ACK, MSG_SMALL), 0};
	if (b.m)
		put_str(&b, NFTA_TABLE_NAME, NFT_TABLE);
	return req_finish(&b, buf, seq);
}

int nft_msg_req_elems(void *buf, uint32_t seq, const char *set)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_GETSETELEM, NLM_F_DUMP | NLM_F_ACK, MSG_SMALL), 0};
	if (b.m) {
		put_str(&b, NFTA_SET_ELEM_LIST_TABLE, NFT_TABLE);
		put_str(&b, NFTA_SET_ELEM_LIST_SET, set);
	}
	return req_finish(&b, buf, seq);
}

int nft_msg_req_rules(void *buf, uint32_t seq, const char *chain)
{
	struct mb b = {nft_msg_obj_new(NFT_MSG_GETRULE, NLM_F_DUMP | NLM_F_ACK, MSG_SMALL), 0};
	if (b.m) {
		put_str(&b, NFTA_RULE_TABLE, NFT_TABLE);
		put_str(&b, NFTA_RULE_CHAIN, chain);
	}
	return req_finish(&b, buf, seq);
}
