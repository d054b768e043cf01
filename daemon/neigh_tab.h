/* The LAN's neighbours as the daemon knows them: address -> MAC -> device
 * (gateway mode), a bounded hash table fed from the kernel's neighbour
 * table (neigh.c) and asked once per DNS query. Pure: no netlink, no
 * libevent, so it is tested and timed with fixed inputs. */
#ifndef SMB_NEIGH_TAB_H
#define SMB_NEIGH_TAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "conf.h"

#define NEIGH_MAX   16384 /* neighbours kept; more are not learned until some go */
#define NEIGH_SLOTS 32768 /* hash slots, a power of two, twice NEIGH_MAX */

struct neigh_entry {
	uint8_t family; /* AF_INET, AF_INET6; 0: a free slot */
	uint8_t addr[16];
	uint8_t mac[6];
	int16_t device; /* index into conf->devices, -1: none */
	int ifindex;
};

struct neigh_tab {
	const struct conf *conf; /* the devices, the caller's */
	size_t n;
	struct neigh_entry slot[NEIGH_SLOTS];
};

/* An empty table for the devices of c (c may be NULL: no devices). */
void neigh_tab_init(struct neigh_tab *t, const struct conf *c);
/* New devices: every entry's device is found again. */
void neigh_tab_set_conf(struct neigh_tab *t, const struct conf *c);
/* addr (4 or 16 bytes after family) is at mac on ifindex now. 0, or
 * -ENOSPC when the table is full. */
int neigh_tab_put(struct neigh_tab *t, int family, const uint8_t *addr, const uint8_t mac[6],
                  int ifindex);
void neigh_tab_del(struct neigh_tab *t, int family, const uint8_t *addr);
const struct neigh_entry *neigh_tab_get(const struct neigh_tab *t, int family, const uint8_t *addr);
/* The configured device with mac, or -1. */
int neigh_tab_mac_device(const struct conf *c, const uint8_t mac[6]);
/* The device a packet from `from` comes from: a device whose `addresses =`
 * holds it, else the device of its MAC in the table; -1 when neither (a
 * sender not known yet gets the breaks for everyone). IPv4-mapped IPv6
 * addresses count as IPv4. */
int neigh_tab_device(const struct neigh_tab *t, const struct sockaddr_storage *from);

#endif
