/* The blocklist generator: see gen.h. The mix imitates public hosts-format
 * lists (ad, tracking and malware domains): mostly .com, many registrable
 * domains with one or two subdomain labels, random-looking labels with
 * digits and hyphens, a mean name length of about 21 bytes. */
#include "gen.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void gen_seed(struct gen *g, uint64_t seed)
{
	g->state = seed;
}

/* splitmix64: fast, and the same sequence on every machine. */
uint64_t gen_next(struct gen *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const struct {
	const char *tld;
	int weight;
} tlds[] = {
    {"com", 460},  {"net", 90}, {"org", 40}, {"info", 30},   {"ru", 40},    {"io", 25},
    {"de", 25},    {"xyz", 30}, {"top", 30}, {"cn", 25},     {"co.uk", 15}, {"com.br", 15},
    {"fr", 15},    {"jp", 15},  {"in", 15},  {"online", 15}, {"site", 15},  {"pl", 10},
    {"nl", 10},    {"us", 10},  {"biz", 10}, {"co", 10},     {"club", 10},  {"icu", 10},
    {"tk", 10},    {"me", 8},   {"cc", 8},   {"tv", 8},      {"it", 8},     {"es", 8},
    {"com.au", 6}, {"eu", 6},   {"pw", 6},   {"live", 6},    {"shop", 6},   {"app", 6},
};

static const char *const prefixes[] = {
    "www",     "ads",      "ad",     "adserver",  "track",   "tracking", "tracker",
    "cdn",     "api",      "static", "img",       "metrics", "pixel",    "analytics",
    "stats",   "m",        "t",      "click",     "go",      "log",      "events",
    "collect", "tag",      "tags",   "sync",      "banners", "media",    "mobile",
    "app",     "s",        "srv",    "telemetry", "beacon",  "counter",  "promo",
    "offers",  "delivery", "rtb",    "bid",       "px",      "data",     "secure",
};

static const char *const syllables[] = {
    "ad",   "ba",   "be",   "bi",    "bo",  "ca",  "co",   "da",    "de",    "di",   "do",
    "fa",   "fi",   "ga",   "go",    "ka",  "ki",  "la",   "le",    "li",    "lo",   "ma",
    "me",   "mi",   "mo",   "na",    "ne",  "no",  "pa",   "pe",    "pi",    "po",   "ra",
    "re",   "ri",   "ro",   "sa",    "se",  "si",  "so",   "ta",    "te",    "ti",   "to",
    "va",   "ve",   "vi",   "za",    "zo",  "net", "web",  "click", "media", "data", "track",
    "shop", "tech", "soft", "cloud", "ads", "trk", "link", "top",   "max",   "pro",
};

static size_t put(char *buf, size_t o, const char *s)
{
	size_t n = strlen(s);
	memcpy(buf + o, s, n);
	return o + n;
}

/* A random-looking label: letters and digits, sometimes a hyphen. */
static size_t random_label(struct gen *g, char *buf, size_t o, int min, int max)
{
	int len = min + (int)(gen_next(g) % (uint64_t)(max - min + 1));
	for (int i = 0; i < len; i++) {
		uint64_t r = gen_next(g);
		if (i > 0 && i < len - 1 && r % 23 == 0 && buf[o - 1] != '-')
			buf[o++] = '-';
		else
			buf[o++] = (r >> 8) % 4 == 0 ? (char)('0' + (r >> 16) % 10)
			                             : (char)('a' + (r >> 16) % 26);
	}
	return o;
}

/* A registrable label: pronounceable most of the time, random otherwise. */
static size_t reg_label(struct gen *g, char *buf, size_t o)
{
	uint64_t r = gen_next(g);
	if (r % 3 == 0)
		return random_label(g, buf, o, 6, 16);
	int n = 3 + (int)((r >> 8) % 3);
	for (int i = 0; i < n; i++)
		o = put(buf, o,
		        syllables[gen_next(g) % (sizeof(syllables) / sizeof(syllables[0]))]);
	if ((r >> 16) % 5 == 0)
		o += (size_t)sprintf(buf + o, "%d", (int)((r >> 24) % 100));
	return o;
}

size_t gen_name(struct gen *g, int labels, char *buf)
{
	if (labels == 0) {
		/* 2: 35%, 3: 40%, 4: 18%, 5: 7% */
		uint64_t r = gen_next(g) % 100;
		labels = r < 35 ? 2 : r < 75 ? 3 : r < 93 ? 4 : 5;
	}
	int total = 0;
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		total += tlds[i].weight;
	int pick = (int)(gen_next(g) % (uint64_t)total);
	size_t t = 0;
	while (pick >= tlds[t].weight)
		pick -= tlds[t++].weight;
	const char *tld = tlds[t].tld;
	int tld_labels = strchr(tld, '.') ? 2 : 1;
	if (labels < tld_labels + 1)
		labels = tld_labels + 1;
	size_t o = 0;
	for (int i = 0; i < labels - tld_labels - 1; i++) {
		uint64_t r = gen_next(g);
		if (r % 2 == 0)
			o = put(buf, o,
			        prefixes[(r >> 8) % (sizeof(prefixes) / sizeof(prefixes[0]))]);
		else
			o = random_label(g, buf, o, 2, 12);
		if (r % 7 == 0)
			o += (size_t)sprintf(buf + o, "%d", (int)((r >> 32) % 20));
		buf[o++] = '.';
	}
	o = reg_label(g, buf, o);
	buf[o++] = '.';
	o = put(buf, o, tld);
	buf[o] = '\0';
	return o;
}

static uint64_t fnv(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

char *gen_names(uint64_t seed, size_t n, size_t **offsets)
{
	struct gen g;
	gen_seed(&g, seed);
	size_t cap = n * 24 + 4096, len = 0;
	char *buf = malloc(cap);
	size_t *off = malloc(n * sizeof(size_t));
	/* Distinctness by a set of 64-bit hashes: a collision of two different
	 * names only drops one candidate, which does not bias the mix. */
	size_t slots = 1;
	while (slots < n * 2)
		slots *= 2;
	uint64_t *set = calloc(slots, sizeof(uint64_t));
	if (!buf || !off || !set)
		abort();
	for (size_t i = 0; i < n;) {
		char name[256];
		size_t nl = gen_name(&g, 0, name);
		uint64_t h = fnv(name, nl);
		size_t s = h & (slots - 1);
		bool dup = false;
		while (set[s]) {
			if (set[s] == h) {
				dup = true;
				break;
			}
			s = (s + 1) & (slots - 1);
		}
		if (dup)
			continue;
		set[s] = h;
		if (len + nl + 1 > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		memcpy(buf + len, name, nl + 1);
		off[i++] = len;
		len += nl + 1;
	}
	free(set);
	*offsets = off;
	return buf;
}

int gen_write_hosts(FILE *f, const char *names, const size_t *off, size_t n)
{
	fprintf(f, "# Title: generated blocklist for bench/domains\n"
	           "#\n# This hosts file is generated deterministically; it has the shape of\n"
	           "# the public unified hosts lists.\n#\n"
	           "# ===============================================================\n\n"
	           "127.0.0.1 localhost\n127.0.0.1 localhost.localdomain\n127.0.0.1 local\n"
	           "255.255.255.255 broadcasthost\n::1 localhost\n::1 ip6-localhost\n"
	           "::1 ip6-loopback\nfe80::1%%lo0 localhost\nff00::0 ip6-localnet\n"
	           "ff00::0 ip6-mcastprefix\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n"
	           "ff02::3 ip6-allhosts\n0.0.0.0 0.0.0.0\n\n"
	           "# Custom host records are listed here.\n\n# End of custom host records.\n");
	for (size_t i = 0; i < n; i++) {
		if (i % 5000 == 0)
			fprintf(f, "\n# Start of section %zu\n\n", i / 5000);
		fprintf(f, "0.0.0.0 %s\n", names + off[i]);
	}
	return ferror(f) ? -1 : 0;
}
