/* The keys of smbreak.conf and their values: which section each belongs to,
 * the typed parse of each value (through value.c and domains_normalize, the
 * rules every other reader of the same values uses), duplicate and unknown
 * keys, continuation lines, and "did you mean". Called by conf.c for each key
 * line and continuation line inih reads; a break's values are conf_break.c's,
 * gateway mode's conf_device.c's. */
#include "conf_int.h"

#include "domains.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE 60u
#define DAY    86400u

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

/* A group name as useradd takes it by default: [a-z_][a-z0-9_-]*. */
static bool valid_group(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_GROUP_MAX || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* ---- "did you mean" ---- */

#define LEV_MAX 64

static unsigned levenshtein(const char *a, const char *b)
{
	unsigned row[LEV_MAX + 1], prev_diag, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la > LEV_MAX || lb > LEV_MAX)
		return UINT32_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev_diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = prev_diag + (lower(a[i - 1]) == b[j - 1] ? 0 : 1);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev_diag = tmp;
		}
	}
	return row[lb];
}

void conf_keys_best_try(struct best *b, const char *cand)
{
	size_t lw = strlen(b->word), lc = strlen(cand), shorter = lw < lc ? lw : lc;
	unsigned d = levenshtein(b->word, cand), score;

	/* A word that is the whole start of a candidate ("learn" of
	 * "learn_min") is a closer hint than two edits to a short one ("lan"). */
	if (lw >= 3 && lw < lc && strncmp(b->word, cand, lw) == 0 && d >= 2)
		score = 1;
	else if (d <= 2 && d < lw)
		score = d;
	else if (shorter >= 3 && strncmp(b->word, cand, shorter) == 0)
		score = 3;
	else
		return;
	if (!b->found || score < b->score) {
		b->found = cand;
		b->score = score;
	}
}

/* ---- the keys ---- */

static const struct {
	const char *name;
	enum sect sect;
	bool multi; /* takes a list of words, and so continuation lines */
} keys[K_COUNT] = {
    [K_LISTEN] = {"listen", SECT_DAEMON, true},
    [K_UPSTREAM] = {"upstream", SECT_DAEMON, true},
    [K_INTERCEPT] = {"intercept", SECT_DAEMON, false},
    [K_BLOCKED_ANSWER] = {"blocked_answer", SECT_DAEMON, false},
    [K_BLOCKED_TTL] = {"blocked_ttl", SECT_DAEMON, false},
    [K_LEARN_MIN] = {"learn_min", SECT_DAEMON, false},
    [K_LEARN_MAX] = {"learn_max", SECT_DAEMON, false},
    [K_PAUSE_DEFAULT] = {"pause_default", SECT_DAEMON, false},
    [K_CONTROL_GROUP] = {"control_group", SECT_DAEMON, false},
    [K_CACHE] = {"cache", SECT_DAEMON, false},
    [K_STALE_MAX] = {"stale_max", SECT_DAEMON, false},
    [K_SERVICES] = {"services", SECT_LIST, true},
    [K_DOMAINS] = {"domains", SECT_LIST, true},
    [K_FILES] = {"files", SECT_LIST, true},
    [K_ALLOW] = {"allow", SECT_LIST, true},
    [K_ADDRESSES] = {"addresses", SECT_LIST, true},
    [K_DAYS] = {"days", SECT_BREAK, true},
    [K_TIMES] = {"times", SECT_BREAK, true},
    [K_LISTS] = {"lists", SECT_BREAK, true},
    [K_STRICT] = {"strict", SECT_BREAK, false},
    [K_FROM] = {"from", SECT_BREAK, false},
    [K_UNTIL] = {"until", SECT_BREAK, false},
    [K_UNLOCK_DELAY] = {"unlock_delay", SECT_BREAK, false},
    /* [break] and [allowance] too: see key_in */
    [K_WARN] = {"warn", SECT_DAEMON, false},
    [K_PER_DAY] = {"per_day", SECT_ALLOWANCE, false},
    [K_ACTIVE_RATE] = {"active_rate", SECT_DAEMON, false},
    [K_USERS] = {"users", SECT_BREAK, true},
    [K_MODE] = {"mode", SECT_DAEMON, false},
    [K_LAN] = {"lan", SECT_DAEMON, true},
    [K_MAC] = {"mac", SECT_DEVICE, true},
    [K_DEV_ADDRESSES] = {"addresses", SECT_DEVICE, true},
    [K_DEVICES] = {"devices", SECT_BREAK, true},
};

/* Whether key k may appear in section sect: `warn` is set in [daemon] for
 * every break and in a [break] or [allowance] for that one; an [allowance]
 * takes the keys of a weekly break (days, times, lists, strict, whom)
 * besides its own. */
static bool key_in(int k, enum sect sect)
{
	if (keys[k].sect == sect || (k == K_WARN && sect != SECT_LIST))
		return true;
	return sect == SECT_ALLOWANCE && keys[k].sect == SECT_BREAK && k != K_FROM &&
	       k != K_UNTIL && k != K_UNLOCK_DELAY;
}

/* Ranges of the duration keys, in seconds. */
static const struct {
	enum key key;
	uint32_t min, max;
} dur_ranges[] = {
    {K_BLOCKED_TTL, 0, DAY},
    {K_LEARN_MIN, MINUTE, 7 * DAY},
    {K_LEARN_MAX, MINUTE, 7 * DAY},
    {K_PAUSE_DEFAULT, MINUTE, 7 * DAY},
    {K_UNLOCK_DELAY, 0, DAY},
    {K_PER_DAY, MINUTE, DAY},
    {K_WARN, 0, DAY},
    {K_STALE_MAX, 0, 7 * DAY},
};

/* The next word of *pp into st->tok; words are separated by whitespace, and
 * by commas too unless `spaces_only`. */
static bool next_word(struct parser *st, const char **pp, bool spaces_only)
{
	const char *p = *pp;
	size_t n = 0;

	while (conf_is_space(*p) || (!spaces_only && *p == ','))
		p++;
	if (!*p)
		return false;
	while (p[n] && !conf_is_space(p[n]) && (spaces_only || p[n] != ','))
		n++;
	memcpy(st->tok, p, n);
	st->tok[n] = '\0';
	*pp = p + n;
	return true;
}

bool conf_keys_word(struct parser *st, const char **pp)
{
	return next_word(st, pp, false);
}

static void value_listen(struct parser *st, const char *v, bool cont)
{
	struct conf *c = st->c;
	char q[QUOTE_SIZE];
	struct value_addr a;

	if (!cont)
		c->n_listen = 0;
	while (next_word(st, &v, false)) {
		int r = value_parse_addr(st->tok, DEFAULT_DNS_PORT, &a);
		bool dup = false;

		st->key_words[K_LISTEN]++;
		if (r == -ERANGE) {
			conf_err(st, st->lineno, "bad port in %s: ports go from 1 to 65535",
			         conf_quote(q, st->tok));
			continue;
		}
		if (r < 0) {
			conf_err(
			    st, st->lineno,
			    "bad address %s: use ip or ip:port, like 127.0.0.153:53 or [::1]:53",
			    conf_quote(q, st->tok));
			continue;
		}
		for (size_t i = 0; i < c->n_listen; i++)
			dup |= addr_eq(&c->listen[i], &a);
		if (dup)
			conf_err(st, st->lineno, "listen address %s is given twice",
			         conf_quote(q, st->tok));
		else if (c->n_listen == CONF_LISTEN_MAX)
			conf_err(st, st->lineno, "too many listen addresses (at most %d)",
			         CONF_LISTEN_MAX);
		else
			c->listen[c->n_listen++] = a;
	}
}

static void value_upstream(struct parser *st, const char *v)
{
	struct conf *c = st->c;
	char q[QUOTE_SIZE];
	struct value_addr a;

	st->upstream_line = st->key_line[K_UPSTREAM];
	while (next_word(st, &v, false)) {
		int r;

		st->key_words[K_UPSTREAM]++;
		if (strcmp(st->tok, "auto") == 0) {
			st->upstream_auto = true;
			continue;
		}
		r = value_parse_addr(st->tok, DEFAULT_DNS_PORT, &a);
		if (r == -ERANGE) {
			conf_err(st, st->lineno, "bad port in %s: ports go from 1 to 65535",
			         conf_quote(q, st->tok));
		} else if (r < 0) {
			conf_err(st, st->lineno,
			         "bad upstream %s: use auto, or ip[:port] like 9.9.9.9 or "
			         "[2620:fe::fe]:53",
			         conf_quote(q, st->tok));
		} else if (c->n_upstreams == CONF_UPSTREAMS_MAX) {
			conf_err(st, st->lineno, "too many upstream addresses (at most %d)",
			         CONF_UPSTREAMS_MAX);
		} else {
			struct value_addr *u = conf_grow(c->upstreams, c->n_upstreams, sizeof(*u));
			if (!u)
				return conf_oom(st);
			c->upstreams = u;
			u[c->n_upstreams++] = a;
		}
	}
}

static void value_duration(struct parser *st, enum key k, const char *v)
{
	char q[QUOTE_SIZE], lo[32], hi[32];
	uint32_t min = 0, max = 0, *dst = NULL;
	uint64_t secs;
	size_t digits = strspn(v, "0123456789");
	int r;

	for (size_t i = 0; i < sizeof(dur_ranges) / sizeof(dur_ranges[0]); i++)
		if (dur_ranges[i].key == k) {
			min = dur_ranges[i].min;
			max = dur_ranges[i].max;
		}
	switch (k) {
	case K_BLOCKED_TTL:
		dst = &st->c->blocked_ttl;
		break;
	case K_LEARN_MIN:
		dst = &st->c->learn_min;
		st->learn_min_line = st->lineno;
		break;
	case K_LEARN_MAX:
		dst = &st->c->learn_max;
		st->learn_max_line = st->lineno;
		break;
	case K_UNLOCK_DELAY:
		dst = &cur_break(st)->unlock_delay;
		break;
	case K_PER_DAY:
		dst = &st->c->allowances[st->sect_idx].per_day;
		break;
	case K_WARN:
		dst = st->sect == SECT_BREAK       ? &cur_break(st)->warn
		      : st->sect == SECT_ALLOWANCE ? &st->c->allowances[st->sect_idx].warn
		                                   : &st->c->warn;
		break;
	case K_STALE_MAX:
		dst = &st->c->stale_max;
		break;
	default:
		dst = &st->c->pause_default;
		break;
	}
	/* `warn = 0` reads as "off", which needs no unit. */
	if (k == K_WARN && strcmp(v, "0") == 0) {
		secs = 0;
		r = 0;
	} else {
		r = value_parse_duration(v, &secs);
	}
	if (r == -EINVAL) {
		if (digits > 0 && digits == strlen(v) && digits < 12)
			conf_err(st, st->lineno,
			         "bad duration %s: a duration needs a unit, like %ss or %sm",
			         conf_quote(q, v), v, v);
		else
			conf_err(
			    st, st->lineno,
			    "bad duration %s: use a number with a unit s, m, h or d, like 90s or "
			    "1h30m",
			    conf_quote(q, v));
	} else if (r < 0 || secs < min || secs > max) {
		value_format_duration(min, lo, sizeof(lo));
		value_format_duration(max, hi, sizeof(hi));
		conf_err(st, st->lineno, "%s %s is out of range (%s to %s)", keys[k].name,
		         conf_quote(q, v), lo, hi);
		r = -ERANGE;
	} else {
		*dst = (uint32_t)secs;
	}
	if (r < 0 && (k == K_LEARN_MIN || k == K_LEARN_MAX))
		st->learn_bad = true;
}

/* `cache = N`: answers kept, 0 for none. */
static void value_cache(struct parser *st, const char *v)
{
	char q[QUOTE_SIZE];

	if (value_parse_count(v, 0, CONF_CACHE_MAX, &st->c->cache) < 0)
		conf_err(st, st->lineno, "bad cache %s: use a number of answers from 0 (off) to %d",
		         conf_quote(q, v), CONF_CACHE_MAX);
}

static void value_bool(struct parser *st, enum key k, const char *v, bool *dst)
{
	char q[QUOTE_SIZE];

	if (value_parse_bool(v, dst) < 0)
		conf_err(st, st->lineno, "bad value %s for %s: use yes or no", conf_quote(q, v),
		         keys[k].name);
}

static void value_answer(struct parser *st, const char *v)
{
	static const char *const names[] = {[CONF_ANSWER_NXDOMAIN] = "nxdomain",
	                                    [CONF_ANSWER_NULL] = "null",
	                                    [CONF_ANSWER_REFUSED] = "refused"};
	char q[QUOTE_SIZE];
	struct best b = {.word = v};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(v, names[i]) == 0) {
			st->c->blocked_answer = (enum conf_answer)i;
			return;
		}
		conf_keys_best_try(&b, names[i]);
	}
	if (b.found)
		conf_err(
		    st, st->lineno,
		    "bad blocked_answer %s: use nxdomain, null or refused (did you mean '%s'?)",
		    conf_quote(q, v), b.found);
	else
		conf_err(st, st->lineno, "bad blocked_answer %s: use nxdomain, null or refused",
		         conf_quote(q, v));
}

static void value_group(struct parser *st, const char *v)
{
	char q[QUOTE_SIZE];

	if (!valid_group(v))
		conf_err(
		    st, st->lineno,
		    "bad group name %s: use a-z, 0-9, _ and -, starting with a letter or _ (at "
		    "most %d bytes)",
		    conf_quote(q, v), CONF_GROUP_MAX);
	else
		strcpy(st->c->control_group, v);
}

static void value_names(struct parser *st, enum key k, const char *v)
{
	struct conf_list *l = cur_list(st);
	char q[QUOTE_SIZE];

	while (next_word(st, &v, false)) {
		st->key_words[k]++;
		if (!value_valid_name(st->tok))
			conf_err(
			    st, st->lineno,
			    "bad service name %s: names use a-z, 0-9, _ and - (at most %d bytes)",
			    conf_quote(q, st->tok), VALUE_NAME_MAX);
		else
			conf_push_str(st, &l->services, &l->n_services, st->tok);
		if (!l->services_line)
			l->services_line = st->lineno;
	}
}

/* Names go through domains_normalize, the rule of list files and smctl too:
 * stored lowercased, without a trailing dot, IDNs as punycode. */
static void value_domains(struct parser *st, enum key k, const char *v)
{
	struct conf_list *l = cur_list(st);
	char q[QUOTE_SIZE], norm[DOMAINS_NAME_MAX + 1];

	while (next_word(st, &v, false)) {
		const char *why;
		size_t n;

		st->key_words[k]++;
		if (domains_normalize(st->tok, strlen(st->tok), norm, &n, &why) < 0)
			conf_err(st, st->lineno, "bad domain %s: %s", conf_quote(q, st->tok), why);
		else if (k == K_DOMAINS)
			conf_push_str(st, &l->domains, &l->n_domains, norm);
		else
			conf_push_str(st, &l->allow, &l->n_allow, norm);
		unsigned *line = k == K_DOMAINS ? &l->domains_line : &l->allow_line;
		if (!*line)
			*line = st->lineno;
	}
}

static void value_files(struct parser *st, const char *v)
{
	struct conf_list *l = cur_list(st);
	char q[QUOTE_SIZE];

	while (next_word(st, &v, true)) {
		st->key_words[K_FILES]++;
		if (st->tok[0] != '/')
			conf_err(st, st->lineno,
			         "files entry %s is not an absolute path (like "
			         "/etc/smbreak/lists.d/*.txt)",
			         conf_quote(q, st->tok));
		else if (strlen(st->tok) >= 4096)
			conf_err(st, st->lineno, "files entry is longer than 4095 bytes");
		else
			conf_push_str(st, &l->files, &l->n_files, st->tok);
	}
}

/* "ADDRESS/LEN" or a bare address; host bits set past the prefix are an
 * error that names the range meant, since a typo there would block another
 * range than the one written. */
bool conf_keys_range(struct parser *st, struct conf_range *rp)
{
	char q[QUOTE_SIZE], *slash = strchr(st->tok, '/');
	struct conf_range r = {.line = st->lineno};
	uint32_t len = 0;

	if (slash)
		*slash = '\0';
	if (value_parse_ip(st->tok, &r.family, r.addr) < 0) {
		if (slash)
			*slash = '/';
		conf_err(st, st->lineno,
		         "bad address %s: give an IPv4 or IPv6 address or range, like 192.0.2.0/24 "
		         "or 2001:db8::/32",
		         conf_quote(q, st->tok));
		return false;
	}
	unsigned max = r.family == AF_INET ? 32 : 128;
	if (slash)
		*slash = '/';
	if (slash && value_parse_count(slash + 1, 0, max, &len) < 0) {
		conf_err(st, st->lineno, "bad prefix length in %s: give 0 to %u after the '/'",
		         conf_quote(q, st->tok), max);
		return false;
	}
	r.len = (uint8_t)(slash ? len : max);
	for (unsigned bit = r.len; bit < max; bit++)
		if (r.addr[bit / 8] & (0x80u >> (bit % 8))) {
			char net[INET6_ADDRSTRLEN];
			for (unsigned b = r.len; b < max; b++)
				r.addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
			inet_ntop(r.family, r.addr, net, sizeof(net));
			conf_err(st, st->lineno,
			         "%s has bits set past its /%u prefix (did you mean %s/%u?)",
			         conf_quote(q, st->tok), r.len, net, r.len);
			return false;
		}
	*rp = r;
	return true;
}

static void value_range(struct parser *st, struct conf_list *l)
{
	char q[QUOTE_SIZE];
	struct conf_range r;

	if (!conf_keys_range(st, &r))
		return;
	if (l->n_addresses >= CONF_RANGES_MAX) {
		conf_err(st, st->lineno, "too many addresses in list %s (at most %d)",
		         conf_quote(q, l->name), CONF_RANGES_MAX);
		return;
	}
	struct conf_range *v = conf_grow(l->addresses, l->n_addresses, sizeof(*v));
	if (!v)
		return conf_oom(st);
	l->addresses = v;
	v[l->n_addresses++] = r;
}

static void value_addresses(struct parser *st, const char *v)
{
	struct conf_list *l = cur_list(st);

	while (next_word(st, &v, false)) {
		st->key_words[K_ADDRESSES]++;
		value_range(st, l);
	}
}

/* active_rate: bytes a second, with k (1000) or M (1000000) as a suffix. */
static void value_rate(struct parser *st, const char *v)
{
	char q[QUOTE_SIZE], num[16];
	size_t digits = strspn(v, "0123456789");
	uint32_t n, mult = 1;

	if (v[digits] == 'k' || v[digits] == 'K')
		mult = 1000;
	else if (v[digits] == 'M')
		mult = 1000000;
	if (digits == 0 || digits >= sizeof(num) || v[digits + (mult > 1)] != '\0') {
		conf_err(st, st->lineno,
		         "bad active_rate %s: give bytes a second, like 40k (k: 1000, M: 1000000)",
		         conf_quote(q, v));
		return;
	}
	memcpy(num, v, digits);
	num[digits] = '\0';
	if (value_parse_count(num, 1, UINT32_MAX, &n) < 0 || n > CONF_ACTIVE_RATE_MAX / mult ||
	    n * mult < CONF_ACTIVE_RATE_MIN) {
		conf_err(st, st->lineno, "active_rate %s is out of range (1k to 100M)",
		         conf_quote(q, v));
		return;
	}
	st->c->active_rate = n * mult;
}

/* One case per key: a switch that reads as the key table does, so it stays
 * whole though it passes a screen. */
static void apply_value(struct parser *st, enum key k, const char *v, bool cont)
{
	const char *hash;

	/* Only ';' starts a comment after a value; a '#' there would be read as
	 * part of it, so say so and ignore the rest of the line. */
	for (hash = v; (hash = strchr(hash, '#')); hash++) {
		if (hash == v || conf_is_space(hash[-1])) {
			size_t n = (size_t)(hash - v);
			conf_err(
			    st, st->lineno,
			    "'#' starts a comment only at the beginning of a line (after a value "
			    "use ';')");
			memcpy(st->val, v, n);
			while (n > 0 && conf_is_space(st->val[n - 1]))
				n--;
			st->val[n] = '\0';
			v = st->val;
			break;
		}
	}
	if (!keys[k].multi && !*v) {
		conf_err(st, st->lineno, "'%s' has no value (leave the key out to get the default)",
		         keys[k].name);
		return;
	}
	switch (k) {
	case K_LISTEN:
		value_listen(st, v, cont);
		break;
	case K_UPSTREAM:
		value_upstream(st, v);
		break;
	case K_INTERCEPT:
		value_bool(st, k, v, &st->c->intercept);
		break;
	case K_BLOCKED_ANSWER:
		value_answer(st, v);
		break;
	case K_BLOCKED_TTL:
	case K_LEARN_MIN:
	case K_LEARN_MAX:
	case K_PAUSE_DEFAULT:
		value_duration(st, k, v);
		break;
	case K_CONTROL_GROUP:
		value_group(st, v);
		break;
	case K_CACHE:
		value_cache(st, v);
		break;
	case K_STALE_MAX:
		value_duration(st, k, v);
		break;
	case K_SERVICES:
		value_names(st, k, v);
		break;
	case K_DOMAINS:
	case K_ALLOW:
		value_domains(st, k, v);
		break;
	case K_FILES:
		value_files(st, v);
		break;
	case K_ADDRESSES:
		value_addresses(st, v);
		break;
	case K_DAYS:
	case K_TIMES:
	case K_LISTS:
	case K_FROM:
	case K_UNTIL:
	case K_USERS:
		conf_break_value(st, k, v, cont);
		break;
	case K_STRICT:
		value_bool(st, k, v, &cur_break(st)->strict);
		break;
	case K_UNLOCK_DELAY:
	case K_PER_DAY:
		value_duration(st, k, v);
		break;
	case K_WARN:
		if (st->sect == SECT_BREAK)
			cur_break(st)->warn_set = true;
		value_duration(st, k, v);
		break;
	case K_ACTIVE_RATE:
		value_rate(st, v);
		break;
	case K_MODE:
	case K_LAN:
	case K_MAC:
	case K_DEV_ADDRESSES:
	case K_DEVICES:
		conf_device_value(st, k, v);
		break;
	case K_COUNT:
		break;
	}
}

static void unknown_key(struct parser *st, const char *name)
{
	static const char *const kinds[] = {[SECT_DAEMON] = "[daemon]",
	                                    [SECT_LIST] = "[list NAME]",
	                                    [SECT_BREAK] = "[break NAME]",
	                                    [SECT_ALLOWANCE] = "[allowance NAME]",
	                                    [SECT_DEVICE] = "[device NAME]"};
	char q[QUOTE_SIZE];
	struct best b = {.word = name};

	if (!conf_err_room(st)) {
		conf_err(st, st->lineno, "unknown key");
		return;
	}
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(name, keys[k].name) == 0 && !key_in(k, st->sect)) {
			conf_err(st, st->lineno,
			         "unknown key %s in %s ('%s' belongs in a %s section)",
			         conf_quote(q, name), st->sect_label, name, kinds[keys[k].sect]);
			return;
		}
	/* A key the name begins (learn: learn_min) beats one a few letters off
	 * (learn: warn): the word typed is more likely cut short than misspelt. */
	for (int k = 0; k < K_COUNT && !b.found; k++)
		if (key_in(k, st->sect) && strlen(name) >= 4 &&
		    strncmp(name, keys[k].name, strlen(name)) == 0)
			b.found = keys[k].name;
	for (int k = 0; k < K_COUNT && !b.found; k++)
		if (key_in(k, st->sect))
			conf_keys_best_try(&b, keys[k].name);
	if (b.found)
		conf_err(st, st->lineno, "unknown key %s in %s (did you mean '%s'?)",
		         conf_quote(q, name), st->sect_label, b.found);
	else
		conf_err(st, st->lineno, "unknown key %s in %s", conf_quote(q, name),
		         st->sect_label);
}

/* Whether a key name has the form of one; says why not. */
static bool key_name_ok(struct parser *st, const char *name)
{
	char q[QUOTE_SIZE];
	const char *s = st->line;

	if (!*name) {
		while (conf_is_space(*s))
			s++;
		conf_err(st, st->lineno, "missing key name before '%c'", *s);
		return false;
	}
	for (const char *p = name; *p; p++) {
		char ch = lower(*p);
		if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '-' ||
		      ch == '.')) {
			conf_err(st, st->lineno, "bad key name %s (a line is 'key = value')",
			         conf_quote(q, name));
			return false;
		}
	}
	return true;
}

void conf_keys_line(struct parser *st, const char *name, const char *value)
{
	char q[QUOTE_SIZE];
	int k;

	st->cur_key = -1;
	if (!key_name_ok(st, name)) {
		st->sect_rejected = true;
		return;
	}
	st->after_key = true;
	if (st->sect == SECT_SKIP)
		return;
	if (st->sect == SECT_NONE) {
		conf_err(st, st->lineno,
		         "key %s is outside any section (put it under [daemon], [list NAME] or "
		         "[break NAME])",
		         conf_quote(q, name));
		return;
	}
	for (k = 0; k < K_COUNT; k++)
		if (key_in(k, st->sect) && strcmp(name, keys[k].name) == 0)
			break;
	if (k == K_COUNT) {
		unknown_key(st, name);
		return;
	}
	if (st->key_line[k]) {
		conf_err(st, st->lineno,
		         "duplicate key '%s' in %s (first set on line %u; to continue a long "
		         "value, indent the next lines)",
		         name, st->sect_label, st->key_line[k]);
		return;
	}
	st->key_line[k] = st->lineno;
	st->cur_key = k;
	apply_value(st, (enum key)k, value, false);
}

void conf_keys_continue(struct parser *st, const char *value)
{
	char q[QUOTE_SIZE];
	const char *close = strchr(value, ']');

	if (st->cur_key < 0) {
		st->sect_rejected = true; /* more of a key we did not take */
		return;
	}
	/* "[break x]" indented after a key reads as more of its value; say so
	 * rather than complain about a strange value. IPv6 "[::1]" is fine. */
	if (value[0] == '[' && close && !memchr(value, ':', (size_t)(close - value))) {
		conf_err(st, st->lineno,
		         "indented %s continues the value of '%s' (start a section header at "
		         "the beginning of the line)",
		         conf_quote(q, value), keys[st->cur_key].name);
		st->cur_key = -1;
		st->sect_rejected = true;
		return;
	}
	if (!keys[st->cur_key].multi) {
		conf_err(st, st->lineno,
		         "'%s' takes one value, but this indented line continues it (remove the "
		         "indentation)",
		         keys[st->cur_key].name);
		return;
	}
	apply_value(st, (enum key)st->cur_key, value, true);
}
