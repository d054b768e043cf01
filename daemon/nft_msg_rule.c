/* Pure building of the nf_tables rules smbreakd installs: the expressions
 * (meta, payload, lookup, reject, nat, fib, ct, ...) and each rule of the
 * block, refuse, intercept and usage chains; the messages go into a batch
 * like the rest of nft_msg.c's. */
#include "nft_msg_int.h"

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>

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

/* reg = (reg & mask) ^ xor, 32 bits in host order (as ct status and marks are kept) */
static void expr_bitwise32(struct mb *b, uint32_t reg, uint32_t mask, uint32_t xor)
{
	struct nlattr *d, *e = expr_begin(b, "bitwise", &d);
	put_be32(b, NFTA_BITWISE_SREG, reg);
	put_be32(b, NFTA_BITWISE_DREG, reg);
	put_be32(b, NFTA_BITWISE_LEN, sizeof(mask));
	struct nlattr *m = nest(b, NFTA_BITWISE_MASK);
	put(b, NFTA_DATA_VALUE, sizeof(mask), &mask);
	nest_end(b, m);
	struct nlattr *x = nest(b, NFTA_BITWISE_XOR);
	put(b, NFTA_DATA_VALUE, sizeof(xor), &xor);
	nest_end(b, x);
	expr_end(b, e, d);
}

/* reg = reg & mask, len bytes (as the register holds them: a payload load in network byte
 * order, the conntrack labels as the kernel keeps them) */
static void expr_mask(struct mb *b, uint32_t reg, const uint8_t *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nlattr *d, *e = expr_begin(b, "bitwise", &d);
	put_be32(b, NFTA_BITWISE_SREG, reg);
	put_be32(b, NFTA_BITWISE_DREG, reg);
	put_be32(b, NFTA_BITWISE_LEN, len);
	struct nlattr *m = nest(b, NFTA_BITWISE_MASK);
	put(b, NFTA_DATA_VALUE, len, mask);
	nest_end(b, m);
	struct nlattr *x = nest(b, NFTA_BITWISE_XOR);
	put(b, NFTA_DATA_VALUE, len, zero);
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
	struct mb b = {
	    nft_msg_obj_new(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, MSG_SMALL),
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

/* `meta skuid == uid` when uid is given: the packet's local socket belongs
 * to that user (packets of sockets opened before the rule went in too). */
static void match_uid(struct mb *b, const uint32_t *uid)
{
	if (!uid)
		return;
	expr_meta(b, NFT_META_SKUID, NFT_REG_1);
	cmp_u32(b, NFT_REG_1, *uid);
}

/* The packet's source (src) or destination address, of family's length
 * alen, is in `set`; its family was matched before. */
static void match_addr_in(struct mb *b, int alen, const char *set, uint32_t set_id, bool src)
{
	/* the source address is at 12 in IPv4, 8 in IPv6; the destination 16 or 24 */
	uint32_t off = alen == 4 ? (src ? 12 : 16) : (src ? 8 : 24);
	expr_payload(b, NFT_PAYLOAD_NETWORK_HEADER, off, (uint32_t)alen, NFT_REG_1);
	expr_lookup(b, set, set_id, NFT_REG_1);
}

/* A rule of `chain` whose packets (of user *uid's sockets, when uid is
 * given) have their source (src) or destination address in `set`; the
 * caller adds its verdict and ends it (rule_end). */
static int rule_addr_in(struct mb *b, struct nlattr **x, const char *chain, int family,
                        const char *set, uint32_t set_id, bool src, const uint32_t *uid)
{
	int alen = addr_len(family);
	if (alen < 0)
		return -EINVAL;
	*b = rule_new();
	if (!b->m)
		return -ENOMEM;
	*x = rule_begin(b, chain);
	/* the uid first: other users' packets leave the rule at one compare */
	match_uid(b, uid);
	match_family(b, family);
	match_addr_in(b, alen, set, set_id, src);
	return 0;
}

static int rule_block(struct nft_batch *batch, const char *chain, int family, const char *set,
                      uint32_t set_id, const uint32_t *uid, uint64_t until_ns)
{
	struct mb b;
	struct nlattr *x;
	int r = rule_addr_in(&b, &x, chain, family, set, set_id, false, uid);
	if (r < 0)
		return r;
	match_until(&b, until_ns);
	expr_verdict(&b, NFT_GOTO, NFT_CHAIN_REFUSE);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_rule_block_in(struct nft_batch *batch, const char *chain, int family, const char *set,
                          uint32_t set_id, uint64_t until_ns)
{
	return rule_block(batch, chain, family, set, set_id, NULL, until_ns);
}

int nft_msg_rule_block(struct nft_batch *batch, int family, const char *set, uint32_t set_id,
                       uint64_t until_ns)
{
	return rule_block(batch, NFT_CHAIN_BLOCK, family, set, set_id, NULL, until_ns);
}

int nft_msg_rule_block_uid(struct nft_batch *batch, int family, const char *set, uint32_t set_id,
                           uint32_t uid, uint64_t until_ns)
{
	return rule_block(batch, NFT_CHAIN_BLOCK, family, set, set_id, &uid, until_ns);
}

static int rule_block_port(struct nft_batch *batch, const char *chain, int l4proto, uint16_t port,
                           const uint32_t *uid, uint64_t until_ns)
{
	if (l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP)
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, chain);
	match_uid(&b, uid);
	match_dport(&b, l4proto, port);
	match_until(&b, until_ns);
	expr_verdict(&b, NFT_GOTO, NFT_CHAIN_REFUSE);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_rule_block_port_in(struct nft_batch *batch, const char *chain, int l4proto,
                               uint16_t port, uint64_t until_ns)
{
	return rule_block_port(batch, chain, l4proto, port, NULL, until_ns);
}

int nft_msg_rule_block_port(struct nft_batch *batch, int l4proto, uint16_t port, uint64_t until_ns)
{
	return rule_block_port(batch, NFT_CHAIN_BLOCK, l4proto, port, NULL, until_ns);
}

int nft_msg_rule_block_port_uid(struct nft_batch *batch, int l4proto, uint16_t port, uint32_t uid,
                                uint64_t until_ns)
{
	return rule_block_port(batch, NFT_CHAIN_BLOCK, l4proto, port, &uid, until_ns);
}

int nft_msg_rule_mark_sender(struct nft_batch *batch, uint16_t port, uint64_t until_ns)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_BLOCK);
	match_dport(&b, IPPROTO_UDP, port);
	expr_fib_daddr_type(&b, NFT_REG_1);
	cmp_u32(&b, NFT_REG_1, RTN_LOCAL);
	match_until(&b, until_ns);
	expr_meta(&b, NFT_META_SKUID, NFT_REG_1);
	expr_bitwise32(&b, NFT_REG_1, ~NFT_MARK_SENDER, NFT_MARK_SENDER);
	struct nlattr *d, *e = expr_begin(&b, "meta", &d);
	put_be32(&b, NFTA_META_KEY, NFT_META_MARK);
	put_be32(&b, NFTA_META_SREG, NFT_REG_1);
	expr_end(&b, e, d);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_rule_jump(struct nft_batch *batch, const char *chain, const char *to)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, chain);
	expr_verdict(&b, NFT_JUMP, to);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
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
	return nft_msg_mb_finish(batch, &b);
}

/* port-53 traffic of l4proto to be_port (network byte order) of the address it arrived at */
static void redirect53_to(struct mb *b, int l4proto, uint16_t be_port)
{
	match_dport(b, l4proto, 53);
	expr_immediate(b, NFT_REG_1, &be_port, sizeof(be_port));
	expr_redir(b, NFT_REG_1);
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
	redirect53_to(&b, l4proto, to_port);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
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
	expr_bitwise32(&b, NFT_REG_1, IPS_DST_NAT, 0);
	expr_cmp(&b, NFT_CMP_EQ, NFT_REG_1, &zero, sizeof(zero));
	expr_verdict(&b, NF_DROP, NULL);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

static void expr_limit(struct mb *b, uint32_t type, uint64_t rate, uint64_t unit, uint32_t burst,
                       bool over)
{
	struct nlattr *d, *e = expr_begin(b, "limit", &d);
	put_be64(b, NFTA_LIMIT_RATE, rate);
	put_be64(b, NFTA_LIMIT_UNIT, unit);
	put_be32(b, NFTA_LIMIT_BURST, burst);
	put_be32(b, NFTA_LIMIT_TYPE, type);
	put_be32(b, NFTA_LIMIT_FLAGS, over ? NFT_LIMIT_F_INV : 0);
	expr_end(b, e, d);
}

static void expr_log(struct mb *b, uint16_t group, const char *prefix)
{
	struct nlattr *d, *e = expr_begin(b, "log", &d);
	uint16_t be = htons(group);
	put(b, NFTA_LOG_GROUP, sizeof(be), &be);
	put_str(b, NFTA_LOG_PREFIX, prefix);
	expr_end(b, e, d);
}

/* The 16 bytes of the conntrack labels with only `bit` set, laid out as
 * the kernel keeps them (a bitmap of unsigned longs) on any machine. */
static void label_bit(uint8_t out[16], unsigned bit)
{
	unsigned long w[16 / sizeof(unsigned long)] = {0};
	const unsigned per = 8 * sizeof(unsigned long);

	/* callers pass bit < 128; the modulo keeps any other in bounds */
	w[bit / per % (sizeof(w) / sizeof(w[0]))] = 1ul << (bit % per);
	memcpy(out, w, 16);
}

/* `ct label BIT`: the packet's connection carries the bit (a packet without
 * a connection, or one without labels, does not) */
static void match_label(struct mb *b, unsigned bit)
{
	static const uint8_t zero[16];
	uint8_t mask[16];

	label_bit(mask, bit);
	struct nlattr *d, *e = expr_begin(b, "ct", &d);
	put_be32(b, NFTA_CT_KEY, NFT_CT_LABELS);
	put_be32(b, NFTA_CT_DREG, NFT_REG_1);
	expr_end(b, e, d);
	expr_mask(b, NFT_REG_1, mask, sizeof(mask));
	expr_cmp(b, NFT_CMP_NEQ, NFT_REG_1, zero, sizeof(zero));
}

/* `ct label set BIT`: the kernel ORs the register into the labels, with the
 * register as the mask of what changes, so no other bit is touched */
static void expr_label_set(struct mb *b, unsigned bit)
{
	uint8_t v[16];

	label_bit(v, bit);
	expr_immediate(b, NFT_REG_1, v, sizeof(v));
	struct nlattr *d, *e = expr_begin(b, "ct", &d);
	put_be32(b, NFTA_CT_KEY, NFT_CT_LABELS);
	put_be32(b, NFTA_CT_SREG, NFT_REG_1);
	expr_end(b, e, d);
}

int nft_msg_rule_usage_jump(struct nft_batch *batch, int family, const char *set, uint32_t set_id,
                            const char *to)
{
	struct mb b;
	struct nlattr *x;
	int r = rule_addr_in(&b, &x, NFT_CHAIN_USAGE, family, set, set_id, true, NULL);
	if (r < 0)
		return r;
	expr_verdict(&b, NFT_JUMP, to);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

/* The byte limit matches once the traffic has emptied a bucket of one
 * second at `rate` (the kernel's size for a byte limit without burst), so a
 * keep-alive or a lone notification never does; the packet limit then lets
 * one log through a minute (burst 1: the kernel's default would be 5). */
int nft_msg_rule_usage_log(struct nft_batch *batch, const char *chain, uint32_t rate,
                           const char *prefix, int label)
{
	if (label > 127 || label < NFT_LABEL_NONE)
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, chain);
	/* before the limits: only the whom's bytes fill the byte bucket */
	if (label != NFT_LABEL_NONE)
		match_label(&b, (unsigned)label);
	expr_limit(&b, NFT_LIMIT_PKT_BYTES, rate, 1, 0, true);
	expr_limit(&b, NFT_LIMIT_PKTS, 1, 60, 1, false);
	expr_log(&b, NFT_USAGE_GROUP, prefix);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_rule_usage_mark_uid(struct nft_batch *batch, int family, const char *set,
                                uint32_t set_id, uint32_t uid, unsigned label)
{
	struct mb b;
	struct nlattr *x;

	if (label > 127)
		return -EINVAL;
	int r = rule_addr_in(&b, &x, NFT_CHAIN_USAGE_OUT, family, set, set_id, false, &uid);
	if (r < 0)
		return r;
	expr_label_set(&b, label);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

/* ---- gateway mode: the LAN's port 53, and rules for some devices ---- */

int nft_msg_rule_lan_redirect53(struct nft_batch *batch, const char *ifname, int l4proto,
                                uint16_t port)
{
	char name[16] = {0};
	uint16_t to_port = htons(port);

	if ((l4proto != IPPROTO_UDP && l4proto != IPPROTO_TCP) || strlen(ifname) >= sizeof(name))
		return -EINVAL;
	memcpy(name, ifname, strlen(ifname));
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_INTERCEPT_ROUTED);
	/* by name: an interface that does not exist yet matches once it does */
	expr_meta(&b, NFT_META_IIFNAME, NFT_REG_1);
	expr_cmp(&b, NFT_CMP_EQ, NFT_REG_1, name, sizeof(name));
	redirect53_to(&b, l4proto, to_port);
	nest_end(&b, x);
	return nft_msg_mb_finish(batch, &b);
}

/* The packet comes from the device w: `meta iiftype ether ether saddr MAC`
 * (on the router's own output there is no link-layer source, so no match),
 * or `ip saddr RANGE` / `ip6 saddr RANGE`. */
static int match_who(struct mb *b, const struct nft_who *w)
{
	if (w->range.family == 0) {
		uint16_t ether = 1; /* ARPHRD_ETHER, in host byte order as meta keeps it */
		expr_meta(b, NFT_META_IIFTYPE, NFT_REG_1);
		expr_cmp(b, NFT_CMP_EQ, NFT_REG_1, &ether, sizeof(ether));
		expr_payload(b, NFT_PAYLOAD_LL_HEADER, 6, 6, NFT_REG_1);
		expr_cmp(b, NFT_CMP_EQ, NFT_REG_1, w->mac, 6);
		return 0;
	}
	int alen = addr_len(w->range.family);
	if (alen < 0 || w->range.len > alen * 8)
		return -EINVAL;
	match_family(b, w->range.family);
	/* the source address: offset 12 in IPv4, 8 in IPv6 */
	expr_payload(b, NFT_PAYLOAD_NETWORK_HEADER, alen == 4 ? 12 : 8, (uint32_t)alen, NFT_REG_1);
	if (w->range.len < alen * 8) {
		uint8_t mask[16] = {0};
		for (unsigned bit = 0; bit < w->range.len; bit++)
			mask[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
		expr_mask(b, NFT_REG_1, mask, (uint32_t)alen);
	}
	expr_cmp(b, NFT_CMP_EQ, NFT_REG_1, w->range.addr, (size_t)alen);
	return 0;
}

int nft_msg_rule_who_jump(struct nft_batch *batch, const struct nft_who *w, const char *to)
{
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_BLOCK_DEVICES);
	int r = match_who(&b, w);
	expr_verdict(&b, NFT_JUMP, to);
	nest_end(&b, x);
	if (r < 0 && !b.err)
		b.err = r;
	return nft_msg_mb_finish(batch, &b);
}

int nft_msg_rule_usage_mark_who(struct nft_batch *batch, const struct nft_who *w, int family,
                                const char *set, uint32_t set_id, unsigned label)
{
	int alen = addr_len(family);

	if (alen < 0 || label > 127 || (w->range.family && w->range.family != family))
		return -EINVAL;
	struct mb b = rule_new();
	if (!b.m)
		return -ENOMEM;
	struct nlattr *x = rule_begin(&b, NFT_CHAIN_USAGE);
	int r = match_who(&b, w);
	/* a range matched its family already, a MAC has none */
	if (!w->range.family)
		match_family(&b, family);
	match_addr_in(&b, alen, set, set_id, false);
	expr_label_set(&b, label);
	nest_end(&b, x);
	if (r < 0 && !b.err)
		b.err = r;
	return nft_msg_mb_finish(batch, &b);
}
