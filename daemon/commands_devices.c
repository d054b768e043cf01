/* smctl devices (gateway mode): each configured device with its MACs, its
 * `addresses =`, the addresses the neighbour table has for it now and what
 * is blocked for it (and until when); then the LAN neighbours that are no
 * configured device, so a user can find a new phone's MAC. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "breaks_internal.h"
#include "neigh_tab.h"

#define DEVICE_ADDRS_SHOWN 32  /* neighbour addresses listed for one device */
#define STRANGERS_SHOWN    256 /* neighbours of no device listed */

static void fmt_mac(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void put_neigh_addr(struct proto_msg *reply, const struct neigh_entry *e)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(e->family, e->addr, a, sizeof(a));
	proto_put_str(reply, PROTO_A_ADDRESSES, a);
}

static void put_device(struct breaks *b, const struct neigh_tab *t, size_t i,
                       struct proto_msg *reply)
{
	const struct conf_device *d = &b->conf->devices[i];
	struct whom_id id = {.device = (int)i};
	uint64_t lists = inforce_lists_for(&b->pol.in, &id);
	char s[INET6_ADDRSTRLEN + 8];
	size_t shown = 0;
	long nest = proto_nest_start(reply, PROTO_A_DEVICE);

	if (nest < 0)
		return;
	proto_put_str(reply, PROTO_A_NAME, d->name);
	for (size_t j = 0; j < d->n_macs; j++) {
		fmt_mac(d->macs[j], s);
		proto_put_str(reply, PROTO_A_MAC, s);
	}
	for (size_t j = 0; j < d->n_addresses; j++) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(d->addresses[j].family, d->addresses[j].addr, a, sizeof(a));
		snprintf(s, sizeof(s), "%s/%u", a, d->addresses[j].len);
		proto_put_str(reply, PROTO_A_RANGES, s);
	}
	for (size_t k = 0; t && k < NEIGH_SLOTS && shown < DEVICE_ADDRS_SHOWN; k++)
		if (t->slot[k].family && t->slot[k].device == (int)i) {
			put_neigh_addr(reply, &t->slot[k]);
			shown++;
		}
	for (size_t l = 0; l < b->conf->n_lists && l < SMB_LISTS_MAX; l++)
		if (lists >> l & 1u)
			proto_put_str(reply, PROTO_A_INFORCE, b->conf->lists[l].name);
	if (lists && b->pol.in.end)
		proto_put_i64(reply, PROTO_A_END, (int64_t)b->pol.in.end);
	proto_nest_end(reply, nest);
}

/* Whether ifindex is one of the LAN interfaces (looked up now: a bridge
 * may have come up after the daemon). */
static bool on_lan(const struct conf *c, int ifindex)
{
	for (size_t i = 0; i < c->n_lan; i++)
		if ((int)if_nametoindex(c->lan[i]) == ifindex)
			return true;
	return false;
}

int breaks_cmd_devices(struct breaks *b, struct proto_msg *reply)
{
	const struct conf *c = b->conf;
	const struct neigh_tab *t = b->hooks.neighbours ? b->hooks.neighbours(b->hooks.arg) : NULL;
	size_t strangers = 0;
	char mac[18];

	if (c->mode != CONF_MODE_GATEWAY) {
		breaks_reply_result(reply, PROTO_RESULT_OK,
		                    "no devices: smbreakd runs in host mode (see mode = gateway "
		                    "in smbreak.conf(5))");
		return 0;
	}
	breaks_reply_result(reply, PROTO_RESULT_OK, "%zu %s configured%s", c->n_devices,
	                    c->n_devices == 1 ? "device" : "devices",
	                    t ? "" : "; the neighbour table cannot be read");
	for (size_t i = 0; i < c->n_devices; i++)
		put_device(b, t, i, reply);
	for (size_t k = 0; t && k < NEIGH_SLOTS && strangers < STRANGERS_SHOWN; k++) {
		const struct neigh_entry *e = &t->slot[k];
		if (!e->family || e->device >= 0 || !on_lan(c, e->ifindex))
			continue;
		long nest = proto_nest_start(reply, PROTO_A_NEIGHBOUR);
		if (nest < 0)
			break;
		put_neigh_addr(reply, e);
		fmt_mac(e->mac, mac);
		proto_put_str(reply, PROTO_A_MAC, mac);
		proto_nest_end(reply, nest);
		strangers++;
	}
	return 0;
}

int breaks_check_device(struct breaks *b, const uint8_t *payload, size_t len,
                        struct proto_msg *reply, uint64_t *lists)
{
	const struct conf *c = b->conf;
	struct proto_attr at;

	*lists = b->pol.in.lists;
	if (!proto_find(payload, len, PROTO_A_DEVICE_NAME, &at))
		return 0;
	const char *name = proto_attr_str(&at);
	int i = conf_find_device(c, name);
	if (c->mode != CONF_MODE_GATEWAY) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "--device needs gateway mode (mode = gateway in smbreak.conf)");
		return -EINVAL;
	}
	if (i < 0) {
		char known[512] = "";
		for (size_t k = 0; k < c->n_devices; k++)
			snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
			         k ? ", " : "", c->devices[k].name);
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "no device '%s' (devices: %s)", name,
		                    known[0] ? known : "none configured");
		return -EINVAL;
	}
	struct whom_id id = {.device = i};
	*lists = inforce_lists_for(&b->pol.in, &id);
	proto_put_str(reply, PROTO_A_DEVICE_NAME, name);
	return 0;
}

void breaks_status_devices(struct breaks *b, struct proto_msg *reply)
{
	const struct conf *c = b->conf;

	for (size_t i = 0; c->mode == CONF_MODE_GATEWAY && i < c->n_devices; i++) {
		struct whom_id id = {.device = (int)i};
		uint64_t extra = inforce_lists_for(&b->pol.in, &id) & ~b->pol.in.lists;
		if (!extra)
			continue;
		long nest = proto_nest_start(reply, PROTO_A_DEVICE);
		if (nest < 0)
			return;
		proto_put_str(reply, PROTO_A_NAME, c->devices[i].name);
		for (size_t l = 0; l < c->n_lists && l < SMB_LISTS_MAX; l++)
			if (extra >> l & 1u)
				proto_put_str(reply, PROTO_A_INFORCE, c->lists[l].name);
		if (b->pol.in.end)
			proto_put_i64(reply, PROTO_A_END, (int64_t)b->pol.in.end);
		proto_nest_end(reply, nest);
	}
}
