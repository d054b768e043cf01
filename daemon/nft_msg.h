/* Pure building and reading of nf_tables netlink messages for the table
 * `inet smbreak`: batches of libnl messages made from the kernel's uapi headers
 * (nft_msg.c), and the few replies the daemon reads back (nft_msg_read.c). No
 * socket, no logging. */
#ifndef SMB_NFT_MSG_H
#define SMB_NFT_MSG_H

#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFT_TABLE "smbreak"
/* The sets, per list and family: addresses learned from the answers for the
 * list's names ("learned4_social", with timeouts) and the list's `addresses =`
 * ranges ("ranges4_social", intervals, only for a list that has some); and the
 * addresses of the DoH/DoT endpoints ("endpoints4", learned) and the shipped
 * resolver addresses ("resolvers4", intervals), blocked during every break. List names are
 * [a-z0-9_-], so no list's set takes another's name. */
#define NFT_SET_LEARNED   "learned"
#define NFT_SET_RANGES    "ranges"
#define NFT_SET_ENDPOINTS "endpoints"
#define NFT_SET_RESOLVERS "resolvers"
#define NFT_SET_HOLD      "hold" /* the strict holds (nft_set_holds) */
#define NFT_PORT_DOT      853    /* DNS over TLS (TCP) and over QUIC (UDP) */
#define NFT_SET_NAME_MAX  48     /* "learned4_" + a list name, NUL included */
/* The list index that stands for the endpoints in nft_elem_in and the
 * builders below (list indices are 0 .. SMB_LISTS_MAX-1). */
#define NFT_LIST_ENDPOINTS 64u
/* Each learned and endpoints set holds at most this many elements (the
 * kernel refuses more), the bound of the forwarder's own table: the daemon
 * takes out what its table evicts, so a set never fills (see addrset.h). */
#define NFT_LEARNED_MAX     65536u
#define NFT_CHAIN_BLOCK     "block"  /* regular: holds the rules only during a break */
#define NFT_CHAIN_REFUSE    "refuse" /* regular chain: TCP reset, ICMP admin-prohibited otherwise */
#define NFT_CHAIN_INTERCEPT "intercept" /* nat, hook output: port 53 to the forwarder */
/* The hooks of the block chain: the machine's own traffic and what it routes
 * for its containers and VMs jump to it, so both get the same rules at once. */
#define NFT_CHAIN_BLOCK_OUTPUT  "block_output"  /* filter, hook output */
#define NFT_CHAIN_BLOCK_FORWARD "block_forward" /* filter, hook forward */
/* nat, hook prerouting: routed port-53 traffic to the forwarder's port of its own */
#define NFT_CHAIN_INTERCEPT_ROUTED "intercept_routed"
/* filter, hook input: that port takes only what the redirect sends there */
#define NFT_CHAIN_GUARD "guard"
/* Allowances (usage.c): filter, hook prerouting, jumps from the lists' sets to
 * one chain per allowance, "usage_0" ..., whose one rule logs active use;
 * before them, the rules that label the connections of the devices of an
 * allowance for some devices. */
#define NFT_CHAIN_USAGE  "usage"
#define NFT_USAGE_GROUP  4761                 /* the NFLOG group of those logs */
#define NFT_USAGE_PREFIX "smbreak-allowance " /* then the allowance's name */
/* filter, hook output, only while an allowance names users: their sockets'
 * packets to its lists' addresses label their connections (see below) */
#define NFT_CHAIN_USAGE_OUT "usage_output"
/* The conntrack label bit of label slot i (0 .. NFT_USAGE_MAX-1, of 128
 * bits; from the top, so that the low bits other tools name in
 * connlabel.conf stay theirs): an allowance for some users or devices
 * counts only the traffic of connections so labelled (nft_build.c picks
 * each one's slot). */
#define NFT_USAGE_LABEL(i) (127u - (unsigned)(i))
#define NFT_LABEL_NONE     (-1) /* nft_msg_rule_usage_log: every connection counts */
#define NFT_CHAIN_NAME_MAX 32

/* regular, jumped to from block_forward after block (gateway mode): one rule
 * per MAC or range of a device with lists in force for it alone, jumping to
 * that device's chain ("device0" .. "device63") of reject rules, so a packet
 * meets one comparison per identity, not one per identity and list */
#define NFT_CHAIN_BLOCK_DEVICES "block_devices"
#define NFT_CHAIN_DEVICE        "device"

#define NFT_PRIO_FILTER 0
#define NFT_PRIO_DSTNAT (-100)

/* A batch is kept in fixed pages so that a big one never needs a realloc copy;
 * one sendmsg sends every page, because the kernel commits a transaction only
 * when its begin and end arrive in the same datagram. */
#define NFT_BATCH_PAGE (256u * 1024u)
/* Bound on one batch (pages * page size): 256 MiB, over 5 million elements. */
#define NFT_BATCH_PAGES_MAX 1024u
/* An attribute length is 16 bits, so the element list nest of one message
 * must stay below 64 KiB; elements are spread over as many messages as needed. */
#define NFT_ELEMS_NEST_MAX 65000u

/* One address with its own timeout, for the learned sets of its lists. */
struct nft_elem {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint32_t timeout_ms; /* 0: no timeout, the element stays until deleted */
	uint64_t lists;      /* bit i: it goes into the learned sets of list i */
	bool endpoint;       /* it goes into the endpoints sets too */
};

/* Whether e belongs in the sets of `list` (an index, or NFT_LIST_ENDPOINTS). */
bool nft_elem_in(const struct nft_elem *e, unsigned list);

/* "learned4_social", "ranges6_video", "endpoints4": the name of a set of
 * `kind` (NFT_SET_LEARNED, NFT_SET_RANGES, NFT_SET_ENDPOINTS) for a family and
 * list (NULL for the endpoints). out: NFT_SET_NAME_MAX bytes. */
void nft_set_name(char *out, const char *kind, int family, const char *list);

/* A CIDR range from a list's `addresses =`; len 32 or 128 is one address. */
struct nft_prefix {
	int family;
	uint8_t len;
	uint8_t addr[16];
	uint8_t list; /* the list it belongs to, for callers that keep several */
};

/* A range as an interval set holds it: [start, end), end_open when it runs
 * to the end of the address space (no end element). */
struct nft_interval {
	uint8_t start[16];
	uint8_t end[16];
	bool end_open;
};

/* The prefixes of one family of v, as sorted intervals with overlapping and
 * adjacent ones merged (an interval set refuses overlaps). out has room for
 * n; returns how many it holds, or -EINVAL for a bad family or length. */
int nft_prefixes_merge(const struct nft_prefix *v, size_t n, int family, struct nft_interval *out);

/* Where each message of a batch sits, so that an acknowledgement (matched on
 * its sequence number) can be traced back to what it was about. */
struct nft_batch_msg {
	uint32_t page;
	uint32_t off;
};

struct nft_batch {
	uint8_t **pages;
	size_t *page_len; /* bytes used in each page */
	size_t n_pages;
	struct nft_batch_msg *msgs; /* index: seq - seq_first */
	size_t n_msgs, cap_msgs;
	uint32_t seq_first; /* the batch begin message */
	size_t bytes;
	bool ended;
};

/* Starts a batch (writes the begin message with sequence number seq). */
int nft_batch_init(struct nft_batch *b, uint32_t seq);
/* Writes the end message; the batch is complete and can be sent. */
int nft_batch_end(struct nft_batch *b);
/* Frees the pages; the struct may be reused with nft_batch_init. NULL-safe. */
void nft_batch_release(struct nft_batch *b);
/* The message with this sequence number, or NULL when it is not in the batch. */
const struct nlmsghdr *nft_batch_find(const struct nft_batch *b, uint32_t seq);
/* Messages that ask for an acknowledgement (all but begin and end). */
size_t nft_batch_acks(const struct nft_batch *b);

/* Table and objects. Every message asks for an acknowledgement. */
int nft_msg_table_add(struct nft_batch *b);
int nft_msg_table_del(struct nft_batch *b);
/* A set of addresses; family: AF_INET or AF_INET6. With `interval` it holds
 * ranges and no timeouts, otherwise addresses with per-element timeouts and
 * at most `size` of them (0: no bound). id (> 0): its transaction id, which
 * rules name too, so they find it in the batch that creates it. */
int nft_msg_set_add(struct nft_batch *b, const char *name, int family, uint32_t id, bool interval,
                    uint32_t size);
int nft_msg_set_del(struct nft_batch *b, const char *name);
int nft_msg_chain_add(struct nft_batch *b, const char *name);
/* A base chain; type "filter" or "nat", hook NF_INET_LOCAL_OUT etc. */
int nft_msg_base_chain_add(struct nft_batch *b, const char *name, const char *type,
                           unsigned hooknum, int priority);
/* Deletes every rule of a chain. */
int nft_msg_chain_flush(struct nft_batch *b, const char *name);
int nft_msg_chain_del(struct nft_batch *b, const char *name);

/* Adds the elements of v of the set's family that belong to `list`
 * (nft_elem_in) to the set: the timeout of each is at least min_timeout_ms.
 * Spread over as many messages as the 64 KiB attribute limit needs; the
 * other elements are skipped. */
int nft_msg_elems_add(struct nft_batch *b, const char *set, int family, unsigned list,
                      const struct nft_elem *v, size_t n, uint32_t min_timeout_ms);
int nft_msg_elems_del(struct nft_batch *b, const char *set, int family, unsigned list,
                      const struct nft_elem *v, size_t n);
/* Adds merged intervals (nft_prefixes_merge) to an interval set. */
int nft_msg_intervals_add(struct nft_batch *b, const char *set, int family,
                          const struct nft_interval *v, size_t n);
/* Deletes every element of a set. */
int nft_msg_elems_flush(struct nft_batch *b, const char *set);

/* Rules. */
/* block chain: traffic of `family` to members of `set` (transaction id
 * set_id, 0: none) goes to the refuse chain; until_ns (wall clock, ns since the epoch) > 0 also
 * adds `meta time < until_ns`, so that rules left behind by a dead daemon stop at the break's end.
 */
int nft_msg_rule_block(struct nft_batch *b, int family, const char *set, uint32_t set_id,
                       uint64_t until_ns);
/* block chain: traffic of l4proto (IPPROTO_TCP/UDP) to `port`, any address,
 * goes to the refuse chain; until_ns as for nft_msg_rule_block. */
int nft_msg_rule_block_port(struct nft_batch *b, int l4proto, uint16_t port, uint64_t until_ns);
/* The same two for the local sockets of one user only (`meta skuid uid`),
 * connections opened before the rule included: a break for some users. */
int nft_msg_rule_block_uid(struct nft_batch *b, int family, const char *set, uint32_t set_id,
                           uint32_t uid, uint64_t until_ns);
int nft_msg_rule_block_port_uid(struct nft_batch *b, int l4proto, uint16_t port, uint32_t uid,
                                uint64_t until_ns);
/* block chain, first: traffic to the machine's own addresses is never
 * refused, so that the resets and ICMP errors the refuse chain sends back
 * reach the local sockets even when a name in a list resolves to a local address. */
int nft_msg_rule_local_return(struct nft_batch *b);
/* block chain, before that: a UDP datagram of a local socket to a local
 * address at `port` (the forwarder's) carries its sender's uid as its
 * mark, NFT_MARK_SENDER | uid, which the forwarder reads back with
 * SO_RCVMARK: who sent a query, at no cost per query (breaks for some
 * users). A uid of 2^31 or more loses its top bit, and so is not told.
 * until_ns as for nft_msg_rule_block: left behind, it stops with the break. */
#define NFT_MARK_SENDER 0x80000000u
int nft_msg_rule_mark_sender(struct nft_batch *b, uint16_t port, uint64_t until_ns);
/* refuse chain: TCP gets a reset, everything else ICMP(v6) admin-prohibited. */
int nft_msg_rule_refuse_tcp(struct nft_batch *b);
int nft_msg_rule_refuse_other(struct nft_batch *b);
/* intercept chain: packets carrying the daemon's socket mark are left alone. */
int nft_msg_rule_mark_accept(struct nft_batch *b, uint32_t mark);
/* intercept chain: loopback traffic (a local resolver's stub) is left alone. */
int nft_msg_rule_loopback_accept(struct nft_batch *b);
/* intercept chain: port-53 traffic of l4proto (IPPROTO_UDP/TCP) goes to addr:port;
 * addr is a struct in_addr or struct in6_addr after family. */
int nft_msg_rule_dnat53(struct nft_batch *b, int family, int l4proto, const void *addr,
                        uint16_t port);
/* A base chain's one rule: everything jumps to the regular chain `to`. */
int nft_msg_rule_jump(struct nft_batch *b, const char *chain, const char *to);
/* intercept_routed chain, first: traffic to the machine's own addresses (a
 * resolver it runs for its containers, such as libvirt's dnsmasq) is left alone. */
int nft_msg_rule_routed_local_accept(struct nft_batch *b);
/* intercept_routed chain: routed port-53 traffic of l4proto, IPv4 and IPv6,
 * goes to `port` of the address it arrived at (nat redirect). */
int nft_msg_rule_redirect53(struct nft_batch *b, int l4proto, uint16_t port);
/* guard chain: traffic of l4proto to `port` that arrives from another host
 * and was not redirected there is dropped, so the forwarder's wildcard
 * listener is no open resolver. */
int nft_msg_rule_guard(struct nft_batch *b, int l4proto, uint16_t port);
/* In the usage chain: traffic from an address of `set` (downloads, what a
 * scrolled feed or a video is) goes to chain `to`. */
int nft_msg_rule_usage_jump(struct nft_batch *b, int family, const char *set, uint32_t set_id,
                            const char *to);
/* In chain `chain`: above `rate` bytes/s (over a one-second bucket), at most
 * once a minute, log to NFT_USAGE_GROUP with `prefix`. label (0..127): only
 * packets of connections with that conntrack label bit count, NFT_LABEL_NONE:
 * every packet. */
int nft_msg_rule_usage_log(struct nft_batch *b, const char *chain, uint32_t rate,
                           const char *prefix, int label);
/* usage_output chain: a packet of user uid's socket to an address of `set`
 * sets label bit `label` of its connection (`ct label set`, which ORs the bit
 * in and leaves the others' bits alone). Only connections made while some
 * label rule is in the table carry labels (the kernel adds them then). */
int nft_msg_rule_usage_mark_uid(struct nft_batch *b, int family, const char *set, uint32_t set_id,
                                uint32_t uid, unsigned label);

/* Gateway mode. intercept_routed chain: port-53 traffic of l4proto arriving
 * on the interface `ifname` (matched by name, so it may not exist yet), to
 * any address the router's own included, goes to `port` of the address it
 * arrived at. */
int nft_msg_rule_lan_redirect53(struct nft_batch *b, const char *ifname, int l4proto,
                                uint16_t port);
/* One identity of a LAN device: a MAC (range.family 0) or an address range. */
struct nft_who {
	uint8_t device; /* its index in the configuration's devices */
	uint8_t mac[6];
	struct nft_prefix range;
};
/* block_devices chain: traffic from w jumps to `to`, the chain of w's device. */
int nft_msg_rule_who_jump(struct nft_batch *b, const struct nft_who *w, const char *to);
/* usage chain: a packet from w to an address of `set` (of `family`; a range
 * of w's is of the same family) sets label bit `label` of its connection, as
 * nft_msg_rule_usage_mark_uid does for a user's. */
int nft_msg_rule_usage_mark_who(struct nft_batch *b, const struct nft_who *w, int family,
                                const char *set, uint32_t set_id, unsigned label);
/* nft_msg_rule_block and nft_msg_rule_block_port in another chain (a device's). */
int nft_msg_rule_block_in(struct nft_batch *b, const char *chain, int family, const char *set,
                          uint32_t set_id, uint64_t until_ns);
int nft_msg_rule_block_port_in(struct nft_batch *b, const char *chain, int l4proto, uint16_t port,
                               uint64_t until_ns);

/* Single request messages (not batched) for reading state back. They are
 * written to buf (at least NFT_REQ_MAX bytes); the return value is the length. */
#define NFT_REQ_MAX 256
int nft_msg_req_table(void *buf, uint32_t seq);
int nft_msg_req_elems(void *buf, uint32_t seq, const char *set);
int nft_msg_req_rules(void *buf, uint32_t seq, const char *chain);

/* Reading replies. An element found in a set dump. */
struct nft_elem_info {
	int family;
	uint8_t addr[16];
	uint64_t timeout_ms;    /* 0 when the element has none */
	uint64_t expiration_ms; /* time left, 0 when none */
	bool interval_end;      /* the end element of a range */
};
/* Calls fn for every element of a NEWSETELEM message (a dump reply). Returns
 * the number of elements, or -EINVAL for a malformed message. */
int nft_msg_parse_elems(const struct nlmsghdr *h,
                        void (*fn)(const struct nft_elem_info *e, void *arg), void *arg);

/* Describes a sent message for an error line, such as "add set element
 * 203.0.113.7 to learned4"; bad_off is the kernel's extended-ack offset of the
 * offending attribute (0 when unknown) and picks the element. */
void nft_msg_describe(const struct nlmsghdr *h, uint32_t bad_off, char *out, size_t size);

#endif
