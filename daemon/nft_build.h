/* The table's contents for a configuration, built into a batch (see
 * nft_build.c); used by nft.c only. */
#ifndef SMB_NFT_BUILD_H
#define SMB_NFT_BUILD_H

#include "nft.h"

enum nft_set_kind { NFT_KIND_LEARNED, NFT_KIND_RANGES };

/* The name of a set of list `list` (NFT_LIST_ENDPOINTS: the endpoints', kind
 * learned); out: NFT_SET_NAME_MAX bytes. */
void nft_build_set_name(const struct nft_config *c, char *out, enum nft_set_kind kind, int family,
                        unsigned list);
bool nft_build_has_ranges(const struct nft_config *c, unsigned list);
/* Every set of c: the learned and range sets of each list, the endpoints'. */
int nft_build_sets(struct nft_batch *b, const struct nft_config *c);
/* The block chain's rules for `lists` in force (and the endpoints' with any),
 * after the rule that lets local addresses through. */
int nft_build_block_rules(struct nft_batch *b, const struct nft_config *c, uint64_t lists,
                          uint64_t until_ns);
/* Elements into (add) or out of the learned sets of their lists. */
int nft_build_elems(struct nft_batch *b, const struct nft_config *c, const struct nft_elem *v,
                    size_t n, bool add, uint32_t min_timeout_ms);
/* Empties every learned set. */
int nft_build_flush(struct nft_batch *b, const struct nft_config *c);
/* A reload from lists o to lists c: the rules out, the sets of lists gone
 * deleted, new lists' sets made, every range set made again, and the rules
 * of `blocking` (indices of c) back in. */
int nft_build_relist(struct nft_batch *b, const struct nft_config *o, const struct nft_config *c,
                     uint64_t blocking, uint64_t until_ns);
/* The allowances' usage rules of c (nft_config.usage). old NULL: a table
 * made fresh, the base chains made too; else the table holds old's, taken
 * out first (nft_build_relist), and usage_output is made if old had none. */
int nft_build_usage(struct nft_batch *b, const struct nft_config *c, const struct nft_config *old);
/* A mask of o's lists as the same lists (by name) in c. */
uint64_t nft_build_remap(const struct nft_config *o, const struct nft_config *c, uint64_t lists);

/* Gateway mode: the LAN interfaces' port-53 redirects (intercept_routed). */
int nft_build_lan_redirects(struct nft_batch *b, const struct nft_config *c);
/* Gateway mode: block_devices and the chain of each device ("device0" ..,
 * made for SMB_DEVICES_MAX devices so a reload never adds or removes one). */
int nft_build_device_chains(struct nft_batch *b);
/* A device's chain name, out: NFT_SET_NAME_MAX bytes. */
void nft_build_device_chain(char *out, unsigned device);
/* The jumps of the devices with c->dev_lists and their chains' rules,
 * until c->dev_until_ns. */
int nft_build_device_rules(struct nft_batch *b, const struct nft_config *c);
/* Empties block_devices and the chains of the devices with c->dev_lists. */
int nft_build_device_flush(struct nft_batch *b, const struct nft_config *c);

#endif
