/* Gateway mode: the kernel's neighbour table (ARP and NDP), read with
 * libnl-route into a cache kept current by netlink notifications in the
 * event loop, and mirrored into a neigh_tab for the per-query lookup of a
 * sender's device. */
#ifndef SMB_NEIGH_H
#define SMB_NEIGH_H

#include <event2/event.h>

#include "conf.h"
#include "neigh_tab.h"

struct neigh;

/* Subscribes to the neighbour notifications and reads the table once. c:
 * its devices, kept until the next neigh_set_conf. */
int neigh_new(struct event_base *base, const struct conf *c, struct neigh **out);
void neigh_free(struct neigh *n); /* NULL-safe */
void neigh_set_conf(struct neigh *n, const struct conf *c);
/* The table, for lookups (neigh_tab_device) and listing. */
const struct neigh_tab *neigh_table(const struct neigh *n);

#endif
