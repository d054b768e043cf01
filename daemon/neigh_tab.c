/* The address -> MAC -> device table of gateway mode: open addressing with
 * linear probing and backward-shift deletion, so a lookup is one hash and
 * a few comparisons however many neighbours there are (see neigh_tab.h). */
#include "neigh_tab.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

static size_t alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* FNV-1a over the family and the address. */
static size_t hash(int family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ (uint32_t)family;

	for (size_t i = 0; i < alen(family); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (NEIGH_SLOTS - 1);
}

static bool same(const struct neigh_entry *e, int family, const uint8_t *addr)
{
	return e->family == family && memcmp(e->addr, addr, alen(family)) == 0;
}

/* The slot holding addr, or the free slot where it would go. */
static size_t find(const struct neigh_tab *t, int family, const uint8_t *addr)
{
	size_t i = hash(family, addr);

	while (t->slot[i].family && !same(&t->slot[i], family, addr))
		i = (i + 1) & (NEIGH_SLOTS - 1);
	return i;
}

int neigh_tab_mac_device(const struct conf *c, const uint8_t mac[6])
{
	for (size_t i = 0; c && i < c->n_devices; i++)
		for (size_t j = 0; j < c->devices[i].n_macs; j++)
			if (memcmp(c->devices[i].macs[j], mac, 6) == 0)
				return (int)i;
	return -1;
}

void neigh_tab_init(struct neigh_tab *t, const struct conf *c)
{
	memset(t, 0, sizeof(*t));
	t->conf = c;
}

void neigh_tab_set_conf(struct neigh_tab *t, const struct conf *c)
{
	t->conf = c;
	for (size_t i = 0; i < NEIGH_SLOTS; i++)
		if (t->slot[i].family)
			t->slot[i].device = (int16_t)neigh_tab_mac_device(c, t->slot[i].mac);
}

int neigh_tab_put(struct neigh_tab *t, int family, const uint8_t *addr, const uint8_t mac[6],
                  int ifindex)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	struct neigh_entry *e = &t->slot[find(t, family, addr)];
	if (!e->family) {
		if (t->n >= NEIGH_MAX)
			return -ENOSPC;
		t->n++;
		e->family = (uint8_t)family;
		memset(e->addr, 0, sizeof(e->addr));
		memcpy(e->addr, addr, alen(family));
	}
	memcpy(e->mac, mac, 6);
	e->ifindex = ifindex;
	e->device = (int16_t)neigh_tab_mac_device(t->conf, mac);
	return 0;
}

/* Backward shift: the entries after the hole that would probe past it move
 * into it, so no tombstones slow later lookups. */
void neigh_tab_del(struct neigh_tab *t, int family, const uint8_t *addr)
{
	if (family != AF_INET && family != AF_INET6)
		return;
	size_t hole = find(t, family, addr), i = hole;
	if (!t->slot[hole].family)
		return;
	t->n--;
	for (;;) {
		i = (i + 1) & (NEIGH_SLOTS - 1);
		if (!t->slot[i].family)
			break;
		size_t home = hash(t->slot[i].family, t->slot[i].addr);
		/* i may move to hole when its home is not cyclically in (hole, i] */
		if (((i - home) & (NEIGH_SLOTS - 1)) >= ((i - hole) & (NEIGH_SLOTS - 1))) {
			t->slot[hole] = t->slot[i];
			hole = i;
		}
	}
	t->slot[hole].family = 0;
}

const struct neigh_entry *neigh_tab_get(const struct neigh_tab *t, int family, const uint8_t *addr)
{
	if (family != AF_INET && family != AF_INET6)
		return NULL;
	const struct neigh_entry *e = &t->slot[find(t, family, addr)];
	return e->family ? e : NULL;
}

static bool in_range(const struct conf_range *r, int family, const uint8_t *addr)
{
	if (r->family != family)
		return false;
	unsigned full = r->len / 8, rest = r->len % 8;
	if (memcmp(r->addr, addr, full) != 0)
		return false;
	return !rest || ((r->addr[full] ^ addr[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int neigh_tab_device(const struct neigh_tab *t, const struct sockaddr_storage *from)
{
	const struct conf *c = t->conf;
	const uint8_t *addr;
	int family = from->ss_family;

	if (family == AF_INET) {
		addr = (const uint8_t *)&((const struct sockaddr_in *)from)->sin_addr;
	} else if (family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)from)->sin6_addr;
		addr = a6->s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			family = AF_INET;
			addr += 12;
		}
	} else {
		return -1;
	}
	for (size_t i = 0; c && i < c->n_devices; i++)
		for (size_t j = 0; j < c->devices[i].n_addresses; j++)
			if (in_range(&c->devices[i].addresses[j], family, addr))
				return (int)i;
	const struct neigh_entry *e = neigh_tab_get(t, family, addr);
	return e ? e->device : -1;
}
