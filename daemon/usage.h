/* The kernel's reports of active use of an allowance: the NFLOG messages of
 * the usage rules (nft_build_usage), read from a netlink socket in the event
 * loop. The daemon wakes only when the kernel logs, at most once a minute
 * per allowance, and never on an idle machine. */
#ifndef SMB_USAGE_H
#define SMB_USAGE_H

#include <event2/event.h>

/* Called with the allowance a log names, once per message. */
typedef void (*usage_fn)(void *arg, const char *name);

struct usage;

/* Binds NFT_USAGE_GROUP on a NETLINK_NETFILTER socket (metadata only, no
 * packet bytes) and reads it on base. 0 or a negative errno (-EBUSY: another
 * process has the group). */
int usage_new(struct event_base *base, usage_fn fn, void *arg, struct usage **out);
void usage_free(struct usage *u);

/* The allowance an NFLOG message of the usage rules names, from a buffer of
 * len bytes of netlink messages: calls fn for each. Pure; for the tests. */
void usage_parse(const void *buf, size_t len, usage_fn fn, void *arg);

#endif
