/* Gateway mode in smbreak.conf: `mode` and `lan` in [daemon], the [device
 * NAME] sections (MACs and address ranges) and a break's `devices =`, with
 * the whole-file checks that tie them together (DESIGN.md section 9). Part
 * of the config parser (conf.c, conf_keys.c); pure. */
#include "conf_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_digit(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Six pairs of hex digits separated by ':' or '-' (one kind throughout), in
 * any case: how phones, routers and `ip link` print them. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	char sep = s[2];

	if (strlen(s) != 17 || (sep != ':' && sep != '-'))
		return false;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != sep))
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* An interface name the kernel would take: 1 to 15 bytes, no '/', no
 * whitespace, not "." or "..". */
static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || conf_is_space(s[i]) || (unsigned char)s[i] < 0x21)
			return false;
	return true;
}

int conf_find_device(const struct conf *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_devices; i++)
		if (strcmp(c->devices[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *conf_closest_device(const struct conf *c, const char *name)
{
	struct best best = {.word = name};

	for (size_t i = 0; c && name && i < c->n_devices; i++)
		conf_keys_best_try(&best, c->devices[i].name);
	return best.found;
}

void conf_device_open(struct parser *st, const char *name, unsigned line)
{
	struct conf *c = st->c;
	struct conf_device *d;
	int dup = conf_find_device(c, name);

	if (dup >= 0)
		conf_err(st, line, "duplicate section [device %s] (first on line %u)", name,
		         c->devices[dup].line);
	if (c->n_devices >= SMB_DEVICES_MAX) {
		conf_err(st, line, "too many [device] sections (at most %d)", SMB_DEVICES_MAX);
		return;
	}
	d = conf_grow(c->devices, c->n_devices, sizeof(*d));
	if (!d)
		return conf_oom(st);
	c->devices = d;
	d = &c->devices[c->n_devices];
	memset(d, 0, sizeof(*d));
	strcpy(d->name, name);
	d->line = line;
	st->sect = SECT_DEVICE;
	st->sect_idx = c->n_devices++;
	snprintf(st->sect_label, sizeof(st->sect_label), "[device %s]", name);
}

static void value_mode(struct parser *st, const char *v)
{
	static const char *const names[] = {
	    [CONF_MODE_HOST] = "host", [CONF_MODE_GATEWAY] = "gateway"};
	char q[QUOTE_SIZE];
	struct best b = {.word = v};

	st->mode_line = st->lineno;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			st->c->mode = (enum conf_mode)i;
			return;
		}
		conf_keys_best_try(&b, names[i]);
	}
	st->mode_bad = true;
	if (b.found)
		conf_err(st, st->lineno, "bad mode %s: use host or gateway (did you mean '%s'?)",
		         conf_quote(q, v), b.found);
	else
		conf_err(st, st->lineno, "bad mode %s: use host or gateway", conf_quote(q, v));
}

static void value_lan(struct parser *st, const char *v)
{
	struct conf *c = st->c;
	char q[QUOTE_SIZE];

	if (!st->lan_line)
		st->lan_line = st->lineno;
	while (conf_keys_word(st, &v)) {
		bool dup = false;

		st->key_words[K_LAN]++;
		for (size_t i = 0; i < c->n_lan; i++)
			dup |= strcmp(c->lan[i], st->tok) == 0;
		if (!valid_ifname(st->tok))
			conf_err(
			    st, st->lineno,
			    "bad interface name %s: 1 to %d bytes, no '/', ':' or spaces (like "
			    "br-lan)",
			    conf_quote(q, st->tok), CONF_IFNAME_MAX);
		else if (dup)
			conf_err(st, st->lineno, "lan interface %s is given twice",
			         conf_quote(q, st->tok));
		else if (c->n_lan == CONF_LAN_MAX)
			conf_err(st, st->lineno, "too many lan interfaces (at most %d)",
			         CONF_LAN_MAX);
		else
			strcpy(c->lan[c->n_lan++], st->tok);
	}
}

/* A MAC is one device's identity: the same MAC in two devices would make
 * their breaks each other's, so it is an error naming the first. */
static void value_mac(struct parser *st, const char *v)
{
	struct conf *c = st->c;
	struct conf_device *d = cur_device(st);
	char q[QUOTE_SIZE];
	uint8_t mac[6];

	while (conf_keys_word(st, &v)) {
		int other = -1;

		st->key_words[K_MAC]++;
		if (!parse_mac(st->tok, mac)) {
			conf_err(st, st->lineno,
			         "bad MAC address %s: write six pairs of hex digits, like "
			         "3c:22:fb:12:34:56",
			         conf_quote(q, st->tok));
			continue;
		}
		for (size_t i = 0; i < c->n_devices && other < 0; i++)
			for (size_t j = 0; j < c->devices[i].n_macs; j++)
				if (memcmp(c->devices[i].macs[j], mac, 6) == 0)
					other = (int)i;
		if (other >= 0 && &c->devices[other] == d)
			conf_err(st, st->lineno, "MAC %s is given twice", conf_quote(q, st->tok));
		else if (other >= 0)
			conf_err(st, st->lineno,
			         "MAC %s is already device '%s' (line %u): a MAC names one device",
			         conf_quote(q, st->tok), c->devices[other].name,
			         c->devices[other].line);
		else if (d->n_macs == CONF_MACS_MAX)
			conf_err(st, st->lineno, "too many MACs in device '%s' (at most %d)",
			         d->name, CONF_MACS_MAX);
		else
			memcpy(d->macs[d->n_macs++], mac, 6);
	}
}

static void value_dev_addresses(struct parser *st, const char *v)
{
	struct conf_device *d = cur_device(st);
	struct conf_range r;

	while (conf_keys_word(st, &v)) {
		st->key_words[K_DEV_ADDRESSES]++;
		if (!conf_keys_range(st, &r))
			continue;
		if (d->n_addresses >= CONF_DEV_ADDRS_MAX) {
			conf_err(st, st->lineno, "too many addresses in device '%s' (at most %d)",
			         d->name, CONF_DEV_ADDRS_MAX);
			continue;
		}
		struct conf_range *a = conf_grow(d->addresses, d->n_addresses, sizeof(*a));
		if (!a)
			return conf_oom(st);
		d->addresses = a;
		a[d->n_addresses++] = r;
	}
}

static void value_devices(struct parser *st, const char *v)
{
	struct break_aux *aux = cur_aux(st);
	char q[QUOTE_SIZE];

	while (conf_keys_word(st, &v)) {
		struct list_ref *r;

		st->key_words[K_DEVICES]++;
		if (!value_valid_name(st->tok)) {
			conf_err(
			    st, st->lineno,
			    "bad device name %s: names use a-z, 0-9, _ and - (at most %d bytes)",
			    conf_quote(q, st->tok), VALUE_NAME_MAX);
			continue;
		}
		r = conf_grow(aux->dev_refs, aux->n_dev_refs, sizeof(*r));
		if (!r)
			return conf_oom(st);
		aux->dev_refs = r;
		strcpy(r[aux->n_dev_refs].name, st->tok);
		r[aux->n_dev_refs++].line = st->lineno;
	}
}

void conf_device_value(struct parser *st, enum key k, const char *v)
{
	switch (k) {
	case K_MODE:
		value_mode(st, v);
		break;
	case K_LAN:
		value_lan(st, v);
		break;
	case K_MAC:
		value_mac(st, v);
		break;
	case K_DEV_ADDRESSES:
		value_dev_addresses(st, v);
		break;
	case K_DEVICES:
		value_devices(st, v);
		break;
	default:
		break;
	}
}

void conf_device_finish(struct parser *st)
{
	char q[QUOTE_SIZE];

	if (!st->sect_rejected && st->key_words[K_MAC] + st->key_words[K_DEV_ADDRESSES] == 0)
		conf_err(st, st->sect_line,
		         "device %s names no device (give it mac = or addresses =, like mac = "
		         "3c:22:fb:12:34:56)",
		         conf_quote(q, cur_device(st)->name));
}

/* A break's (or an allowance's: `kind`) `devices =` names into its whom,
 * with "did you mean". */
static void resolve_devices(struct parser *st, struct conf_break *b, const struct break_aux *aux,
                            const char *kind)
{
	struct conf *c = st->c;
	char q[QUOTE_SIZE], q2[QUOTE_SIZE];

	for (size_t j = 0; j < aux->n_dev_refs; j++) {
		const struct list_ref *r = &aux->dev_refs[j];
		int idx = conf_find_device(c, r->name);
		const char *best;

		if (idx >= 0) {
			b->whom.devices |= UINT64_C(1) << idx;
			continue;
		}
		best = conf_err_room(st) ? conf_closest_device(c, r->name) : NULL;
		if (best)
			conf_err(st, r->line,
			         "%s %s uses device %s, which is not defined (did you mean '%s'?)",
			         kind, conf_quote(q, b->name), conf_quote(q2, r->name), best);
		else
			conf_err(st, r->line,
			         "%s %s uses device %s, which is not defined (devices are [device "
			         "NAME] sections)",
			         kind, conf_quote(q, b->name), conf_quote(q2, r->name));
	}
}

void conf_device_check(struct parser *st)
{
	struct conf *c = st->c;
	bool gw = c->mode == CONF_MODE_GATEWAY;

	if (st->mode_bad)
		return;

	if (gw && c->n_lan == 0 && !st->lan_line)
		conf_err(st, st->mode_line,
		         "mode = gateway needs lan = (the LAN interfaces, like lan = br-lan)");
	if (!gw && st->lan_line)
		conf_err(st, st->lan_line, "lan = is for mode = gateway (add it to [daemon])");
	for (size_t i = 0; !gw && i < c->n_devices; i++)
		conf_err(st, c->devices[i].line,
		         "[device %s] needs mode = gateway in [daemon] (devices are told apart "
		         "only on a router)",
		         c->devices[i].name);
	for (size_t i = 0; i < c->n_breaks + c->n_allowances; i++) {
		bool brk = i < c->n_breaks;
		const struct break_aux *aux = brk ? &st->aux[i] : &st->allow_aux[i - c->n_breaks];
		struct conf_break *b = brk ? &c->breaks[i] : &c->allowances[i - c->n_breaks].b;
		if (aux->n_dev_refs && !gw)
			conf_err(st, aux->dev_refs[0].line,
			         "devices = needs mode = gateway in [daemon] (a break on this "
			         "machine alone needs no devices)");
		else
			resolve_devices(st, b, aux, brk ? "break" : "allowance");
	}
}

void conf_device_free(struct conf *c)
{
	for (size_t i = 0; c && i < c->n_devices; i++)
		free(c->devices[i].addresses);
	if (c)
		free(c->devices);
}
