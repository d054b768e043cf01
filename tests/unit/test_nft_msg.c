/* Unit tests of the nf_tables message builders: the bytes of rules, chains and
 * set elements against what `nft --debug=mnl` (nftables 1.0.6) sends for the same
 * objects, batch framing and splitting, reading replies and the error
 * descriptions. */
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <stdlib.h>

#include "check.h"
#include "nft_msg.h"

/* Attribute nests copied from `nft --debug=mnl -f` of:
 *   add rule inet smbreak refuse meta l4proto tcp reject with tcp reset
 *   add rule inet smbreak refuse reject with icmpx admin-prohibited
 *   add rule inet smbreak block ip daddr @learned4 goto refuse
 *   add rule inet smbreak block ip6 daddr @learned6 goto refuse
 *   add rule inet smbreak intercept meta mark 0x00534d42 accept
 *   add rule inet smbreak intercept oifname "lo" accept
 *   add rule inet smbreak intercept meta nfproto ipv4 meta l4proto udp udp dport 53 dnat ip to
 * 127.0.0.153:53 add element inet smbreak learned4 { 203.0.113.7 timeout 10m } add element inet
 * smbreak learned6 { 2001:db8::5 timeout 30s } (the NFTA_RULE_EXPRESSIONS and
 * NFTA_SET_ELEM_LIST_ELEMENTS nests), and the hook nests of the two base chains. */
/* Set names as nft(8) wrote the reference messages with. */
#define S4 "learned4"
#define S6 "learned6"

static const char NFT_REFUSE_TCP[] =
    "7800048024000180090001006d6574610000000014000280080002000000001008000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c000380050001000600000024000180"
    "0b00010072656a65637400001400028008000100000000010500020000000000";
static const char NFT_REFUSE_OTHER[] =
    "28000480240001800b00010072656a65637400001400028008000100000000020500020003000000";
static const char NFT_BLOCK4[] =
    "f800048024000180090001006d6574610000000014000280080002000000000f08000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c000380050001000200000034000180"
    "0c0001007061796c6f616400240002800800010000000001080002000000000108000300000000100800040000"
    "000004340001800b0001006c6f6f6b757000002400028008000200000000010d0001006c6561726e656434000000"
    "0008000400000000013c0001800e000100696d6d6564696174650000002800028008000100000000001c000280"
    "1800028008000100fffffffc0b0002007265667573650000";
static const char NFT_BLOCK6[] =
    "f800048024000180090001006d6574610000000014000280080002000000000f08000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c000380050001000a00000034000180"
    "0c0001007061796c6f616400240002800800010000000001080002000000000108000300000000180800040000"
    "000010340001800b0001006c6f6f6b757000002400028008000200000000010d0001006c6561726e656436000000"
    "0008000400000000023c0001800e000100696d6d6564696174650000002800028008000100000000001c000280"
    "1800028008000100fffffffc0b0002007265667573650000";
static const char NFT_MARK[] =
    "8400048024000180090001006d6574610000000014000280080002000000000308000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c00038008000100424d530030000180"
    "0e000100696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000001";
static const char NFT_LOOPBACK[] =
    "9000048024000180090001006d6574610000000014000280080002000000000708000100000000013800018008"
    "000100636d70002c0002800800010000000001080002000000000018000380140001006c6f000000000000000000"
    "0000000000300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c000280"
    "0800010000000001";
static const char NFT_DNAT4_UDP[] =
    "9401048024000180090001006d6574610000000014000280080002000000000f08000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c000380050001000200000024000180"
    "090001006d6574610000000014000280080002000000001008000100000000012c00018008000100636d700020"
    "000280080001000000000108000200000000000c0003800500010011000000340001800c0001007061796c6f6164"
    "002400028008000100000000010800020000000002080003000000000208000400000000022c00018008000100"
    "636d700020000280080001000000000108000200000000000c00038006000100003500002c0001800e00010069"
    "6d6d6564696174650000001800028008000100000000010c000280080001007f0000992c0001800e000100696d"
    "6d6564696174650000001800028008000100000000020c000280060001000035000038000180080001006e6174"
    "002c00028008000100000000010800020000000002080003000000000108000500000000020800070000000002";
static const char NFT_ELEMS4[] = "200003801c0001800c00040000000000000927c00c00018008000100cb007107";
static const char NFT_ELEMS6[] =
    "2c000380280001800c0004000000000000007530180001801400010020010db8000000000000000000000005";
static const char NFT_HOOK_FILTER[] = "1400048008000100000000030800020000000000";
static const char NFT_HOOK_DSTNAT[] = "14000480080001000000000308000200ffffff9c";

/* From `nft --debug=mnl` of (the expressions nest; for the log rule the
 * label match before its limits):
 *   add rule inet smbreak usage_output meta skuid 4242 ip daddr @learned4 ct label set 127
 *   add rule inet smbreak usage iiftype ether ether saddr 3c:22:fb:12:34:56
 *       meta nfproto ipv4 ip daddr @learned4 ct label set 127
 *   add rule inet smbreak usage_0 ct label 126 limit rate over 40000 bytes/second ... */
static const char NFT_MARK_UID[] =
    "6401048024000180090001006d6574610000000014000280080002000000000a08000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c000380080001009210000024000180"
    "090001006d6574610000000014000280080002000000000f08000100000000012c00018008000100636d7000"
    "20000280080001000000000108000200000000000c0003800500010002000000340001800c0001007061796c"
    "6f61640024000280080001000000000108000200000000010800030000000010080004000000000434000180"
    "0b0001006c6f6f6b757000002400028008000200000000010d0001006c6561726e6564340000000008000400"
    "00000001380001800e000100696d6d6564696174650000002400028008000100000000011800028014000100"
    "0000000000000000000000000000008020000180070001006374000014000280080002000000000d08000400"
    "00000001";
static const char NFT_MARK_MAC[] =
    "c801048024000180090001006d6574610000000014000280080002000000000808000100000000012c000180"
    "08000100636d700020000280080001000000000108000200000000000c000380060001000100000034000180"
    "0c0001007061796c6f6164002400028008000100000000010800020000000000080003000000000608000400"
    "000000063000018008000100636d70002400028008000100000000010800020000000000100003800a000100"
    "3c22fb123456000024000180090001006d6574610000000014000280080002000000000f0800010000000001"
    "2c00018008000100636d700020000280080001000000000108000200000000000c0003800500010002000000"
    "340001800c0001007061796c6f61640024000280080001000000000108000200000000010800030000000010"
    "0800040000000004340001800b0001006c6f6f6b757000002400028008000200000000010d0001006c656172"
    "6e656434000000000800040000000001380001800e000100696d6d6564696174650000002400028008000100"
    "0000000118000280140001000000000000000000000000000000008020000180070001006374000014000280"
    "080002000000000d0800040000000001";
static const char NFT_LABEL_126[] =
    "20000180070001006374000014000280080002000000000d08000100000000015c0001800c00010062697477"
    "697365004c000280080001000000000108000200000000010800030000000010180004801400010000000000"
    "0000000000000000000000401800058014000100000000000000000000000000000000003800018008000100"
    "636d70002c000280080001000000000108000200000000011800038014000100000000000000000000000000"
    "00000000";
static char hexbuf[8192];

static const char *hex(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;
	for (i = 0; i < n && 2 * i + 2 < sizeof(hexbuf); i++)
		snprintf(hexbuf + 2 * i, 3, "%02x", b[i]);
	hexbuf[2 * i] = '\0';
	return hexbuf;
}

/* The hex of a string attribute as the kernel gets it: length, type, the
 * string with its NUL, padding. */
static const char *hex_attr_str(int type, const char *v)
{
	static char out[256];
	uint8_t a[64] = {0};
	uint16_t len = (uint16_t)(4 + strlen(v) + 1);

	memcpy(a, &len, 2);
	memcpy(a + 2, &(uint16_t){(uint16_t)type}, 2);
	memcpy(a + 4, v, strlen(v));
	snprintf(out, sizeof(out), "%s", hex(a, NLA_ALIGN(len)));
	return out;
}

static const struct nlattr *attr(const struct nlmsghdr *h, int type)
{
	int hl = (int)sizeof(struct nfgenmsg);
	return nla_find(nlmsg_attrdata(h, hl), nlmsg_attrlen(h, hl), type);
}

/* The hex of one top-level attribute of the last message of the batch. */
static const char *last_attr_hex(const struct nft_batch *b, int type)
{
	const struct nlmsghdr *h = nft_batch_find(b, b->seq_first + (uint32_t)b->n_msgs - 1);
	const struct nlattr *a = h ? attr(h, type) : NULL;
	return a ? hex(a, NLA_ALIGN(a->nla_len)) : "(none)";
}

static void test_framing(void)
{
	struct nft_batch b;

	CHECK_INT(nft_batch_init(&b, 100), 0);
	CHECK_INT(nft_msg_table_add(&b), 0);
	CHECK_INT(nft_msg_table_del(&b), 0);
	CHECK_INT(nft_batch_end(&b), 0);
	CHECK_INT(b.n_msgs, 4);
	CHECK_INT(nft_batch_acks(&b), 2);
	CHECK(nft_msg_table_add(&b) < 0); /* nothing after the end */

	const struct nlmsghdr *begin = nft_batch_find(&b, 100);
	CHECK(begin != NULL);
	CHECK_INT(begin->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	CHECK_INT(begin->nlmsg_len, 20);
	/* nfgenmsg: AF_UNSPEC, version 0, res_id = NFNL_SUBSYS_NFTABLES big-endian */
	CHECK_STR(hex(NLMSG_DATA(begin), 4), "0000000a");
	const struct nlmsghdr *t = nft_batch_find(&b, 101);
	CHECK_INT(t->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE);
	CHECK_INT(t->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK);
	CHECK_INT(t->nlmsg_seq, 101);
	/* the same bytes as nft's "add table inet smbreak" after the header */
	CHECK_STR(hex(NLMSG_DATA(t), t->nlmsg_len - NLMSG_HDRLEN),
	          "010000000c000100736d627265616b000800020000000000");
	CHECK_INT(nft_batch_find(&b, 102)->nlmsg_type,
	          (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE);
	CHECK_INT(nft_batch_find(&b, 103)->nlmsg_type, NFNL_MSG_BATCH_END);
	CHECK(nft_batch_find(&b, 104) == NULL);
	CHECK(nft_batch_find(&b, 99) == NULL);
	CHECK_INT(b.bytes, 20 + 40 + 32 + 20);
	nft_batch_release(&b);
	nft_batch_release(&b); /* twice is fine */
	nft_batch_release(NULL);
}

static void test_rules_match_nft(void)
{
	struct nft_batch b;
	struct in_addr dns;

	inet_pton(AF_INET, "127.0.0.153", &dns);
	nft_batch_init(&b, 1);
	CHECK_INT(nft_msg_rule_refuse_tcp(&b), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_REFUSE_TCP);
	CHECK_INT(nft_msg_rule_refuse_other(&b), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_REFUSE_OTHER);
	CHECK_INT(nft_msg_rule_block(&b, AF_INET, S4, 1, 0), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_BLOCK4);
	CHECK_INT(nft_msg_rule_block(&b, AF_INET6, S6, 2, 0), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_BLOCK6);
	CHECK_INT(nft_msg_rule_mark_accept(&b, 0x534d42), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_MARK);
	CHECK_INT(nft_msg_rule_loopback_accept(&b), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_LOOPBACK);
	CHECK_INT(nft_msg_rule_dnat53(&b, AF_INET, IPPROTO_UDP, &dns, 53), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_DNAT4_UDP);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN), "0e000200696e74657263657074000000");
	CHECK(nft_msg_rule_dnat53(&b, AF_INET, IPPROTO_ICMP, &dns, 53) < 0);
	/* routed interception and its guard: their chains, and only UDP or TCP;
	 * what they match is read back by nft in tests/system/nft_table.sh */
	CHECK_INT(nft_msg_rule_redirect53(&b, IPPROTO_TCP, 153), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_INTERCEPT_ROUTED));
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), hex("redir", 5)) != NULL);
	CHECK_INT(nft_msg_rule_guard(&b, IPPROTO_UDP, 153), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_GUARD));
	CHECK(nft_msg_rule_redirect53(&b, IPPROTO_ICMP, 153) < 0);
	CHECK(nft_msg_rule_guard(&b, IPPROTO_ICMP, 153) < 0);
	CHECK_INT(nft_msg_rule_jump(&b, NFT_CHAIN_BLOCK_FORWARD, NFT_CHAIN_BLOCK), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_BLOCK_FORWARD));
	CHECK(nft_msg_rule_block(&b, AF_UNIX, S4, 1, 0) < 0);
	/* a user's rule: the same with meta skuid (key 10) == uid first */
	CHECK_INT(nft_msg_rule_block_uid(&b, AF_INET, S4, 1, 4242, 0), 0);
	static char u[sizeof(hexbuf)]; /* hex() reuses hexbuf */
	snprintf(u, sizeof(u), "%s", last_attr_hex(&b, NFTA_RULE_EXPRESSIONS));
	CHECK(strstr(u, "0000000a") != NULL && strstr(u, "92100000") != NULL);
	CHECK(strstr(u, hex("lookup", 6)) != NULL);
	CHECK_INT(nft_msg_rule_block_port_uid(&b, IPPROTO_TCP, 853, 4242, 0), 0);
	CHECK(nft_msg_rule_block_port_uid(&b, IPPROTO_ICMP, 853, 4242, 0) < 0);
	CHECK(nft_msg_rule_block_uid(&b, AF_UNIX, S4, 1, 4242, 0) < 0);
	/* the sender's mark: skuid into a register, its top bit set, into the mark */
	CHECK_INT(nft_msg_rule_mark_sender(&b, 53, 0), 0);
	snprintf(u, sizeof(u), "%s", last_attr_hex(&b, NFTA_RULE_EXPRESSIONS));
	CHECK(strstr(u, hex("bitwise", 7)) != NULL && strstr(u, "ffffff7f") != NULL);
	CHECK(strstr(u, "00000080") != NULL && strstr(u, hex("fib", 3)) != NULL);

	/* the time guard adds meta time, byteorder and cmp lt before the goto */
	CHECK_INT(nft_msg_rule_block(&b, AF_INET, S4, 1, 0x0102030405060708ull), 0);
	const char *g = last_attr_hex(&b, NFTA_RULE_EXPRESSIONS);
	CHECK(strstr(g, hex("byteorder", 9)) != NULL);
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), "0102030405060708") != NULL);

	CHECK_INT(nft_msg_base_chain_add(&b, NFT_CHAIN_BLOCK, "filter", NF_INET_LOCAL_OUT,
	                                 NFT_PRIO_FILTER),
	          0);
	CHECK_STR(last_attr_hex(&b, NFTA_CHAIN_HOOK), NFT_HOOK_FILTER);
	CHECK_INT(nft_msg_base_chain_add(&b, NFT_CHAIN_INTERCEPT, "nat", NF_INET_LOCAL_OUT,
	                                 NFT_PRIO_DSTNAT),
	          0);
	CHECK_STR(last_attr_hex(&b, NFTA_CHAIN_HOOK), NFT_HOOK_DSTNAT);
	nft_batch_release(&b);
}

/* Gateway mode's rules: their chains, the MAC and the masked range they
 * compare, and what they refuse; what they match is read back by nft in
 * tests/system/gateway.sh. */
static void test_gateway_rules(void)
{
	static const uint8_t mac[6] = {0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56};
	struct nft_who w = {.device = 3};
	struct nft_batch b;

	memcpy(w.mac, mac, 6);
	nft_batch_init(&b, 1);
	CHECK_INT(nft_msg_rule_lan_redirect53(&b, "br-lan", IPPROTO_UDP, 153), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_INTERCEPT_ROUTED));
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), hex("br-lan", 6)) != NULL);
	CHECK(nft_msg_rule_lan_redirect53(&b, "br-lan", IPPROTO_ICMP, 153) < 0);
	CHECK(nft_msg_rule_lan_redirect53(&b, "a-name-too-long-x", IPPROTO_UDP, 153) < 0);

	CHECK_INT(nft_msg_rule_who_jump(&b, &w, "device3"), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_BLOCK_DEVICES));
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), "3c22fb123456") != NULL);
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), hex("device3", 7)) != NULL);
	/* a range: its family, the source masked to the prefix */
	w.range.family = AF_INET;
	w.range.len = 24;
	inet_pton(AF_INET, "192.168.7.0", w.range.addr);
	CHECK_INT(nft_msg_rule_who_jump(&b, &w, "device3"), 0);
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), hex("bitwise", 7)) != NULL);
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), "ffffff00") != NULL);
	CHECK(strstr(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), "c0a80700") != NULL);
	w.range.len = 33;
	CHECK(nft_msg_rule_who_jump(&b, &w, "device3") < 0);

	CHECK_INT(nft_msg_rule_block_in(&b, "device3", AF_INET6, S6, 2, 0), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN), hex_attr_str(NFTA_RULE_CHAIN, "device3"));
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_BLOCK6);
	CHECK_INT(nft_msg_rule_block_port_in(&b, "device3", IPPROTO_UDP, 853, 0), 0);
	CHECK(nft_msg_rule_block_port_in(&b, "device3", IPPROTO_ICMP, 853, 0) < 0);
	nft_batch_release(&b);
}

/* An allowance for some: the rules that label its users' and devices'
 * connections, and its log rule's label match, as nft(8) writes them (the
 * labels as the kernel keeps them: bit 127 is the last byte's top bit on a
 * little-endian machine, where the references were made); one for everyone
 * has no ct expression at all. */
static void test_usage_rules(void)
{
	static const uint8_t mac[6] = {0x3c, 0x22, 0xfb, 0x12, 0x34, 0x56};
	struct nft_who w = {.device = 3};
	struct nft_batch b;
	static char u[sizeof(hexbuf)];

	memcpy(w.mac, mac, 6);
	nft_batch_init(&b, 1);
	CHECK_INT(nft_msg_rule_usage_mark_uid(&b, AF_INET, S4, 1, 4242, NFT_USAGE_LABEL(0)), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_USAGE_OUT));
	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_MARK_UID);
	CHECK(nft_msg_rule_usage_mark_uid(&b, AF_UNIX, S4, 1, 4242, 0) < 0);
	CHECK(nft_msg_rule_usage_mark_uid(&b, AF_INET, S4, 1, 4242, 128) < 0);

	CHECK_INT(nft_msg_rule_usage_mark_who(&b, &w, AF_INET, S4, 1, NFT_USAGE_LABEL(0)), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_RULE_CHAIN),
	          hex_attr_str(NFTA_RULE_CHAIN, NFT_CHAIN_USAGE));
	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		CHECK_STR(last_attr_hex(&b, NFTA_RULE_EXPRESSIONS), NFT_MARK_MAC);
	/* a range: its own family's sets only, no second family match */
	w.range.family = AF_INET6;
	w.range.len = 64;
	inet_pton(AF_INET6, "fd00:77::", w.range.addr);
	CHECK(nft_msg_rule_usage_mark_who(&b, &w, AF_INET, S4, 1, 127) < 0);
	CHECK_INT(nft_msg_rule_usage_mark_who(&b, &w, AF_INET6, S6, 2, 127), 0);
	snprintf(u, sizeof(u), "%s", last_attr_hex(&b, NFTA_RULE_EXPRESSIONS));
	CHECK(strstr(u, "fd000077000000000000000000000000") != NULL);
	CHECK(strstr(u, "ffffffffffffffff0000000000000000") != NULL);
	CHECK(strstr(u, hex("lookup", 6)) != NULL);

	CHECK_INT(nft_msg_rule_usage_log(&b, "usage_0", 40000, "smbreak-allowance kids",
	                                 (int)NFT_USAGE_LABEL(1)),
	          0);
	snprintf(u, sizeof(u), "%s", last_attr_hex(&b, NFTA_RULE_EXPRESSIONS));
	/* after the nest's own header: the label match, then the limits */
	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		CHECK(strncmp(u + 8, NFT_LABEL_126, strlen(NFT_LABEL_126)) == 0);
	const char *limit = strstr(u, hex("limit", 5)); /* hex() reuses its buffer */
	CHECK(limit != NULL && limit > strstr(u, hex("cmp", 3)));
	CHECK_INT(
	    nft_msg_rule_usage_log(&b, "usage_0", 40000, "smbreak-allowance all", NFT_LABEL_NONE),
	    0);
	snprintf(u, sizeof(u), "%s", last_attr_hex(&b, NFTA_RULE_EXPRESSIONS));
	CHECK(strstr(u, hex("ct", 3)) == NULL && strstr(u, hex("limit", 5)) != NULL);
	CHECK(nft_msg_rule_usage_log(&b, "usage_0", 40000, "x", 128) < 0);
	nft_batch_release(&b);
}

static struct nft_elem elem(const char *s, uint32_t timeout_ms)
{
	struct nft_elem e;
	memset(&e, 0, sizeof(e));
	e.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	inet_pton(e.family, s, &e.addr);
	e.timeout_ms = timeout_ms;
	e.lists = 1;
	return e;
}

static void test_elements_match_nft(void)
{
	struct nft_batch b;
	struct nft_elem v[] = {elem("203.0.113.7", 600000), elem("2001:db8::5", 30000)};

	nft_batch_init(&b, 1);
	CHECK_INT(nft_msg_elems_add(&b, S4, AF_INET, 0, v, 2, 0), 0);
	CHECK_INT(b.n_msgs, 2); /* the IPv6 element is not for this set */
	CHECK_STR(last_attr_hex(&b, NFTA_SET_ELEM_LIST_ELEMENTS), NFT_ELEMS4);
	CHECK_INT(nft_msg_elems_add(&b, S6, AF_INET6, 0, v, 2, 0), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_SET_ELEM_LIST_ELEMENTS), NFT_ELEMS6);
	/* no element of the family: no message at all */
	CHECK_INT(nft_msg_elems_add(&b, S6, AF_INET6, 0, v, 1, 0), 0);
	CHECK_INT(b.n_msgs, 3);
	nft_batch_release(&b);
}

struct seen {
	size_t n4, n6, below_floor;
	uint32_t floor;
	uint64_t sum;
};

static void seen_elem(const struct nft_elem_info *e, void *arg)
{
	struct seen *s = arg;
	if (e->family == AF_INET)
		s->n4++;
	else
		s->n6++;
	if (e->timeout_ms < s->floor)
		s->below_floor++;
	s->sum += e->addr[e->family == AF_INET ? 3 : 15];
}

static void test_split_and_floor(void)
{
	enum { N = 100000 };
	struct nft_elem *v = calloc(N, sizeof(*v));
	struct nft_batch b;
	uint64_t want_sum = 0;

	for (size_t i = 0; i < N; i++) {
		v[i].timeout_ms = (uint32_t)(1000 + i);
		v[i].lists = 1;
		if (i % 2) {
			v[i].family = AF_INET6;
			v[i].addr.v6.s6_addr[0] = 0x20;
			v[i].addr.v6.s6_addr[15] = (uint8_t)i;
		} else {
			v[i].family = AF_INET;
			v[i].addr.v4.s_addr = htonl(0x0a000000u + (uint32_t)i);
		}
		want_sum += (uint8_t)i;
	}
	nft_batch_init(&b, 7);
	CHECK_INT(nft_msg_elems_add(&b, S4, AF_INET, 0, v, N, 50000), 0);
	CHECK_INT(nft_msg_elems_add(&b, S6, AF_INET6, 0, v, N, 50000), 0);
	CHECK_INT(nft_batch_end(&b), 0);
	CHECK(b.n_pages > 1);
	/* ~28 bytes an IPv4 element, ~40 an IPv6 one, under 65000 per message */
	CHECK(b.n_msgs >= 2 + (N / 2 * 28 + N / 2 * 40) / NFT_ELEMS_NEST_MAX);
	CHECK(b.n_msgs < 2 + 2 + (N / 2 * 28 + N / 2 * 40) / (NFT_ELEMS_NEST_MAX - 100));
	struct seen s = {.floor = 50000};
	for (uint32_t q = 8; q < 7 + b.n_msgs - 1; q++) {
		const struct nlmsghdr *h = nft_batch_find(&b, q);
		CHECK(h != NULL);
		CHECK_INT(h->nlmsg_seq, q);
		const struct nlattr *l = attr(h, NFTA_SET_ELEM_LIST_ELEMENTS);
		CHECK(l != NULL && l->nla_len <= NFT_ELEMS_NEST_MAX);
		CHECK(nft_msg_parse_elems(h, seen_elem, &s) > 0);
	}
	CHECK_INT(s.n4, N / 2);
	CHECK_INT(s.n6, N / 2);
	CHECK_INT(s.below_floor, 0);
	CHECK_INT(s.sum, want_sum);
	CHECK_INT(nft_batch_acks(&b), b.n_msgs - 2);
	nft_batch_release(&b);
	free(v);
}

static void test_describe(void)
{
	struct nft_batch b;
	char out[160];
	struct nft_elem v[] = {elem("192.0.2.1", 1000), elem("203.0.113.7", 1000),
	                       elem("192.0.2.3", 1000)};

	nft_batch_init(&b, 1);
	nft_msg_elems_add(&b, S4, AF_INET, 0, v, 3, 0);
	const struct nlmsghdr *h = nft_batch_find(&b, 2);
	/* find the offset of the second element as the kernel would report it */
	const struct nlattr *l = attr(h, NFTA_SET_ELEM_LIST_ELEMENTS);
	const struct nlattr *first = nla_data(l);
	uint32_t off2 =
	    (uint32_t)((const char *)first - (const char *)h) + NLA_ALIGN(first->nla_len);
	nft_msg_describe(h, off2, out, sizeof(out));
	CHECK_STR(out, "add set element 203.0.113.7 to learned4");
	nft_msg_describe(h, off2 + 8, out, sizeof(out)); /* inside it */
	CHECK_STR(out, "add set element 203.0.113.7 to learned4");
	nft_msg_describe(h, 0, out, sizeof(out));
	CHECK_STR(out, "add 3 set elements to learned4");

	nft_msg_elems_add(&b, S4, AF_INET, 0, v + 1, 1, 0);
	nft_msg_describe(nft_batch_find(&b, 3), 0, out, sizeof(out));
	CHECK_STR(out, "add set element 203.0.113.7 to learned4");
	nft_msg_elems_del(&b, S4, AF_INET, 0, v, 1);
	nft_msg_describe(nft_batch_find(&b, 4), 0, out, sizeof(out));
	CHECK_STR(out, "delete set element 192.0.2.1 from learned4");
	nft_msg_elems_flush(&b, S6);
	nft_msg_describe(nft_batch_find(&b, 5), 0, out, sizeof(out));
	CHECK_STR(out, "flush set learned6");
	nft_msg_chain_flush(&b, NFT_CHAIN_BLOCK);
	nft_msg_describe(nft_batch_find(&b, 6), 0, out, sizeof(out));
	CHECK_STR(out, "flush chain block");
	nft_msg_rule_refuse_tcp(&b);
	nft_msg_describe(nft_batch_find(&b, 7), 0, out, sizeof(out));
	CHECK_STR(out, "add rule to chain refuse");
	nft_msg_set_add(&b, S6, AF_INET6, 0, false, 0);
	nft_msg_describe(nft_batch_find(&b, 8), 0, out, sizeof(out));
	CHECK_STR(out, "add set learned6");
	nft_msg_table_del(&b);
	nft_msg_describe(nft_batch_find(&b, 9), 0, out, sizeof(out));
	CHECK_STR(out, "delete table inet smbreak");
	nft_msg_describe(nft_batch_find(&b, 1), 0, out, sizeof(out));
	CHECK_STR(out, "commit batch");
	nft_batch_release(&b);
}

static void test_sets_and_requests(void)
{
	struct nft_batch b;
	uint8_t req[NFT_REQ_MAX];

	nft_batch_init(&b, 1);
	CHECK_INT(nft_msg_set_add(&b, S4, AF_INET, 1, false, 0), 0);
	/* the same attributes as nft's "add set ... { type ipv4_addr; flags timeout; }"
	 * up to the set id (nft adds its own user data after it) */
	const struct nlmsghdr *h = nft_batch_find(&b, 2);
	CHECK_STR(hex(NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN),
	          "010000000c000100736d627265616b000d0002006c6561726e6564340000000008000300000000"
	          "100800040000000007080005000000000408000a0000000001");
	CHECK_INT(nft_msg_set_add(&b, S6, AF_INET6, 2, false, NFT_LEARNED_MAX), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_SET_DESC), "0c0009800800010000010000");
	CHECK_STR(last_attr_hex(&b, NFTA_SET_FLAGS), "0800030000000010");
	CHECK_STR(last_attr_hex(&b, NFTA_SET_KEY_LEN), "0800050000000010");
	CHECK(nft_msg_set_add(&b, "x", 0, 0, false, 0) < 0);
	CHECK_INT(nft_msg_set_add(&b, "ranges4_x", AF_INET, 0, true, 0), 0);
	CHECK_STR(last_attr_hex(&b, NFTA_SET_FLAGS), "0800030000000004");
	nft_batch_release(&b);

	int len = nft_msg_req_elems(req, 42, S6);
	CHECK(len > 0);
	const struct nlmsghdr *r = (const struct nlmsghdr *)req;
	CHECK_INT(r->nlmsg_seq, 42);
	CHECK_INT(r->nlmsg_type, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETSETELEM);
	CHECK(r->nlmsg_flags & NLM_F_DUMP);
	CHECK(nft_msg_req_rules(req, 1, NFT_CHAIN_BLOCK) > 0);
	CHECK(nft_msg_req_table(req, 1) > 0);
}

/* Per-list sets: an element goes to the sets of its lists only; names. */
static void test_lists(void)
{
	struct nft_batch b;
	struct nft_elem v[] = {elem("192.0.2.1", 1000), elem("192.0.2.2", 1000),
	                       elem("192.0.2.3", 1000)};
	char name[NFT_SET_NAME_MAX];

	v[1].lists = 2;
	v[2].lists = 0;
	v[2].endpoint = true;
	CHECK(nft_elem_in(&v[0], 0) && !nft_elem_in(&v[0], 1));
	CHECK(nft_elem_in(&v[1], 1) && !nft_elem_in(&v[1], NFT_LIST_ENDPOINTS));
	CHECK(nft_elem_in(&v[2], NFT_LIST_ENDPOINTS) && !nft_elem_in(&v[2], 0));
	nft_batch_init(&b, 1);
	CHECK_INT(nft_msg_elems_add(&b, "learned4_video", AF_INET, 1, v, 3, 0), 0);
	char out[160];
	nft_msg_describe(nft_batch_find(&b, 2), 0, out, sizeof(out));
	CHECK_STR(out, "add set element 192.0.2.2 to learned4_video");
	CHECK_INT(nft_msg_elems_add(&b, "learned4_news", AF_INET, 5, v, 3, 0), 0);
	CHECK_INT(b.n_msgs, 2); /* none of list 5: no message */
	nft_batch_release(&b);
	nft_set_name(name, NFT_SET_LEARNED, AF_INET6, "social");
	CHECK_STR(name, "learned6_social");
	nft_set_name(name, NFT_SET_RANGES, AF_INET, "video");
	CHECK_STR(name, "ranges4_video");
	nft_set_name(name, NFT_SET_ENDPOINTS, AF_INET, NULL);
	CHECK_STR(name, "endpoints4");
}

static struct nft_prefix prefix(const char *s, uint8_t len)
{
	struct nft_prefix p;
	memset(&p, 0, sizeof(p));
	p.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	inet_pton(p.family, s, p.addr);
	p.len = len;
	return p;
}

static const char *ntop4(const uint8_t *a)
{
	static char buf[4][INET_ADDRSTRLEN];
	static int k;
	k = (k + 1) % 4;
	return inet_ntop(AF_INET, a, buf[k], sizeof(buf[k]));
}

/* Overlapping and adjacent ranges merge; host bits do not matter; the last
 * range of the space has no end. */
static void test_prefixes_merge(void)
{
	struct nft_prefix v[] = {prefix("203.0.113.128", 25), prefix("198.51.100.7", 32),
	                         prefix("203.0.113.0", 25),   prefix("203.0.113.64", 26),
	                         prefix("2001:db8::", 32),    prefix("198.51.100.8", 32),
	                         prefix("255.255.255.0", 24)};
	struct nft_interval iv[7];

	CHECK_INT(nft_prefixes_merge(v, 7, AF_INET, iv), 3);
	CHECK_STR(ntop4(iv[0].start), "198.51.100.7");
	CHECK_STR(ntop4(iv[0].end), "198.51.100.9");
	CHECK_STR(ntop4(iv[1].start), "203.0.113.0");
	CHECK_STR(ntop4(iv[1].end), "203.0.114.0");
	CHECK_STR(ntop4(iv[2].start), "255.255.255.0");
	CHECK(iv[2].end_open);
	CHECK_INT(nft_prefixes_merge(v, 7, AF_INET6, iv), 1);
	v[0].len = 33;
	CHECK(nft_prefixes_merge(v, 7, AF_INET, iv) < 0);
	struct nft_batch b;
	nft_batch_init(&b, 1);
	CHECK_INT(nft_prefixes_merge(v + 1, 6, AF_INET, iv), 3);
	CHECK_INT(nft_msg_intervals_add(&b, "ranges4_x", AF_INET, iv, 3), 0);
	struct seen s = {0};
	/* a start and an end element per closed interval */
	CHECK_INT(nft_msg_parse_elems(nft_batch_find(&b, 2), NULL, &s), 5);
	nft_batch_release(&b);
}

int main(void)
{
	test_lists();
	test_prefixes_merge();
	test_framing();
	test_rules_match_nft();
	test_gateway_rules();
	test_usage_rules();
	test_elements_match_nft();
	test_split_and_floor();
	test_describe();
	test_sets_and_requests();
	CHECK_DONE();
}
