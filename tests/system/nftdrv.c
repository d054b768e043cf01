/* nftdrv: a command-line driver of the nft module (daemon/nft.h) for the system
 * tests. Commands come as arguments (one per argument, words separated by
 * spaces) or, with "-", one per line on stdin, all on the same nft object, so a
 * test can act between two changes ("sh CMD") as a user of the running daemon.
 *
 *   replace [lists=A,B] [range=LIST:CIDR]... [block[=A,B]] [until=S] [intercept]
 *           [dns4=A] [dns6=A] [port=N] [routed=N] [mark=N]
 *   relist [lists=A,B] [range=LIST:CIDR]...   (a reload: nft_set_lists)
 *   block on [lists=A,B] [until=S] | block off     intercept on|off   leave   delete
 *   add ADDR[,TIMEOUT_S][@LIST[+LIST]] ...   del ADDR[@LIST...] ...   flush
 *   floor SECONDS                      counts
 *   gen N [TIMEOUT_S] [LISTS]   add N generated addresses, half IPv4 half IPv6,
 *                               spread over the first LISTS lists (default 1)
 *   sh COMMAND           run a shell command
 *   sleep SECONDS        wait in this process (a daemon busy between changes)
 *
 * The lists default to one, "social"; an element goes to the first list
 * unless @LIST names others (@endpoints: the endpoints sets), and block to
 * every list. until=S is S seconds from now. Failures print the module's error lines on
 * stderr; the exit status is 1 when any command failed. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "nft.h"

#define MAX_WORDS 64

static int parse_addr(const char *s, int *family, void *addr)
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* The lists of the last replace or relist, for the names in commands. */
static struct nft_config lists_cfg = {.n_lists = 1, .lists = {"social"}};
static struct nft_prefix ranges[MAX_WORDS];

static int list_index(const char *name)
{
	for (size_t i = 0; i < lists_cfg.n_lists; i++)
		if (strcmp(lists_cfg.lists[i], name) == 0)
			return (int)i;
	return -1;
}

/* "a,b" to a mask of lists_cfg's indices (an unknown name: -1). */
static int64_t parse_mask(char *s, char sep)
{
	uint64_t m = 0;
	char *save = NULL, d[2] = {sep, 0};

	for (char *t = strtok_r(s, d, &save); t; t = strtok_r(NULL, d, &save)) {
		int i = list_index(t);
		if (i < 0)
			return -1;
		m |= 1ull << i;
	}
	return (int64_t)m;
}

static uint64_t all_lists(void)
{
	return lists_cfg.n_lists >= 64 ? ~0ull : (1ull << lists_cfg.n_lists) - 1;
}

/* lists= and range= words into c; 1 when the word was one of them. */
static int parse_lists_word(struct nft_config *c, char *w, int *r)
{
	if (strncmp(w, "lists=", 6) == 0) {
		char *save = NULL;
		c->n_lists = 0;
		for (char *t = strtok_r(w + 6, ",", &save); t && c->n_lists < SMB_LISTS_MAX;
		     t = strtok_r(NULL, ",", &save))
			snprintf(c->lists[c->n_lists++], sizeof(c->lists[0]), "%s", t);
		lists_cfg.n_lists = c->n_lists;
		memcpy(lists_cfg.lists, c->lists, sizeof(c->lists));
		return 1;
	}
	if (strncmp(w, "range=", 6) == 0 && c->n_ranges < MAX_WORDS) {
		char *colon = strchr(w + 6, ':'), *slash;
		struct nft_prefix *p = &ranges[c->n_ranges];
		int i;
		memset(p, 0, sizeof(*p));
		if (!colon || !(slash = strchr(colon, '/')) ||
		    (*colon = 0, *slash = 0, i = list_index(w + 6)) < 0 ||
		    parse_addr(colon + 1, &p->family, p->addr) < 0) {
			*r = -EINVAL;
			return 1;
		}
		p->len = (uint8_t)atoi(slash + 1);
		p->list = (uint8_t)i;
		c->ranges = ranges;
		c->n_ranges++;
		return 1;
	}
	return 0;
}

static uint64_t until_from_now(const char *secs)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec + strtoull(secs, NULL, 10)) * 1000000000ull +
	       (uint64_t)ts.tv_nsec;
}

static int parse_elems(char **w, int n, struct nft_elem *v, uint32_t default_timeout_ms)
{
	for (int i = 0; i < n; i++) {
		char *at = strchr(w[i], '@');
		memset(&v[i], 0, sizeof(v[i]));
		v[i].lists = 1;
		if (at) {
			*at = '\0';
			if (strcmp(at + 1, "endpoints") == 0) {
				v[i].endpoint = true;
				v[i].lists = 0;
			} else {
				int64_t m = parse_mask(at + 1, '+');
				if (m < 0)
					return -EINVAL;
				v[i].lists = (uint64_t)m;
			}
		}
		char *comma = strchr(w[i], ',');
		v[i].timeout_ms = default_timeout_ms;
		if (comma) {
			*comma = '\0';
			v[i].timeout_ms = (uint32_t)strtoul(comma + 1, NULL, 10) * 1000u;
		}
		if (parse_addr(w[i], &v[i].family, &v[i].addr) < 0)
			return -EINVAL;
	}
	return 0;
}

static int cmd_replace(struct nft *nft, char **w, int n)
{
	struct nft_config c;
	int f, r = 0;

	memset(&c, 0, sizeof(c));
	c.n_lists = lists_cfg.n_lists;
	memcpy(c.lists, lists_cfg.lists, sizeof(c.lists));
	inet_pton(AF_INET, "127.0.0.153", &c.dns4);
	c.dns6 = in6addr_loopback;
	c.dns_port = c.dns6_port = 53;
	c.mark = 0x534d42;
	char *block = NULL;
	for (int i = 1; i < n && r == 0; i++) {
		if (parse_lists_word(&c, w[i], &r))
			continue;
		if (strcmp(w[i], "block") == 0)
			c.blocking = all_lists();
		else if (strncmp(w[i], "block=", 6) == 0)
			block = w[i] + 6;
		else if (strncmp(w[i], "until=", 6) == 0)
			c.block_until_ns = until_from_now(w[i] + 6);
		else if (strcmp(w[i], "intercept") == 0)
			c.intercept = true;
		else if (strncmp(w[i], "dns4=", 5) == 0)
			r = parse_addr(w[i] + 5, &f, &c.dns4);
		else if (strncmp(w[i], "dns6=", 5) == 0)
			r = parse_addr(w[i] + 5, &f, &c.dns6);
		else if (strncmp(w[i], "port=", 5) == 0)
			c.dns_port = c.dns6_port = (uint16_t)atoi(w[i] + 5);
		else if (strncmp(w[i], "routed=", 7) == 0)
			c.routed_port = (uint16_t)atoi(w[i] + 7);
		else if (strncmp(w[i], "mark=", 5) == 0)
			c.mark = (uint32_t)strtoul(w[i] + 5, NULL, 0);
		else
			r = -EINVAL;
	}
	if (r == 0 && block) {
		int64_t m = parse_mask(block, ',');
		if (m < 0)
			return -EINVAL;
		c.blocking = (uint64_t)m;
	}
	return r == 0 ? nft_table_replace(nft, &c, NULL, NULL) : r;
}

static int cmd_relist(struct nft *nft, char **w, int n)
{
	struct nft_config c;
	int r = 0;

	memset(&c, 0, sizeof(c));
	c.n_lists = lists_cfg.n_lists;
	memcpy(c.lists, lists_cfg.lists, sizeof(c.lists));
	for (int i = 1; i < n && r == 0; i++)
		if (!parse_lists_word(&c, w[i], &r))
			r = -EINVAL;
	return r == 0 ? nft_set_lists(nft, &c) : r;
}

static int cmd_block(struct nft *nft, char **w, int n)
{
	uint64_t lists = strcmp(w[1], "on") == 0 ? all_lists() : 0, until = 0;

	for (int i = 2; i < n; i++) {
		if (strncmp(w[i], "until=", 6) == 0) {
			until = until_from_now(w[i] + 6);
		} else if (strncmp(w[i], "lists=", 6) == 0) {
			int64_t m = parse_mask(w[i] + 6, ',');
			if (m < 0)
				return -EINVAL;
			lists = (uint64_t)m;
		} else {
			return -EINVAL;
		}
	}
	return nft_set_blocking(nft, lists, until);
}

static int cmd_gen(struct nft *nft, size_t n, uint32_t timeout_ms, unsigned lists)
{
	struct nft_elem *v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i].timeout_ms = timeout_ms;
		v[i].lists = 1ull << (i / 2 % (lists ? lists : 1));
		if (i % 2 == 0) {
			v[i].family = AF_INET;
			v[i].addr.v4.s_addr = htonl(0x0a000000u + (uint32_t)(i / 2));
		} else {
			v[i].family = AF_INET6;
			v[i].addr.v6.s6_addr[0] = 0x20;
			v[i].addr.v6.s6_addr[1] = 0x01;
			v[i].addr.v6.s6_addr[2] = 0x0d;
			v[i].addr.v6.s6_addr[3] = 0xb8;
			uint32_t k = htonl((uint32_t)(i / 2));
			memcpy(&v[i].addr.v6.s6_addr[12], &k, 4);
		}
	}
	int r = nft_elements_add(nft, v, n);
	free(v);
	return r;
}

static int run(struct nft *nft, char **w, int n)
{
	const char *c = w[0];
	int r = -EINVAL;

	if (strcmp(c, "replace") == 0)
		return cmd_replace(nft, w, n);
	if (strcmp(c, "relist") == 0)
		return cmd_relist(nft, w, n);
	if (strcmp(c, "block") == 0 && n >= 2)
		return cmd_block(nft, w, n);
	if (strcmp(c, "intercept") == 0 && n == 2)
		return nft_set_intercept(nft, strcmp(w[1], "on") == 0);
	if (strcmp(c, "leave") == 0)
		return nft_table_leave(nft);
	if (strcmp(c, "delete") == 0)
		return nft_table_delete(nft);
	if (strcmp(c, "flush") == 0)
		return nft_elements_flush(nft);
	if (strcmp(c, "floor") == 0 && n == 2)
		return nft_set_timeout_floor(nft, (uint32_t)strtoul(w[1], NULL, 10) * 1000u);
	if ((strcmp(c, "add") == 0 || strcmp(c, "del") == 0) && n >= 2) {
		struct nft_elem v[MAX_WORDS];
		r = parse_elems(w + 1, n - 1, v, 600000);
		if (r < 0)
			return r;
		return c[0] == 'a' ? nft_elements_add(nft, v, (size_t)(n - 1))
		                   : nft_elements_del(nft, v, (size_t)(n - 1));
	}
	if (strcmp(c, "gen") == 0 && n >= 2)
		return cmd_gen(nft, strtoul(w[1], NULL, 10),
		               n >= 3 ? (uint32_t)strtoul(w[2], NULL, 10) * 1000u : 600000u,
		               n >= 4 ? (unsigned)strtoul(w[3], NULL, 10) : 1);
	if (strcmp(c, "sleep") == 0 && n == 2) {
		/* in this process, so that a kill -9 of it leaves no child behind */
		struct timespec ts = {.tv_sec = atoi(w[1])};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		return 0;
	}
	if (strcmp(c, "counts") == 0) {
		struct nft_counts k;
		r = nft_counts(nft, &k);
		if (r == 0)
			printf("learned4=%zu learned6=%zu ranges4=%zu ranges6=%zu block_rules=%u "
			       "intercept_rules=%u\n",
			       k.learned4, k.learned6, k.ranges4, k.ranges6, k.block_rules,
			       k.intercept_rules);
		return r;
	}
	return r;
}

/* Runs one command line; prints its error text; 0 or 1. */
static int run_line(struct nft *nft, char *line)
{
	char *w[MAX_WORDS], *save = NULL;
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "sh ", 3) == 0) {
		fflush(stdout);
		return system(line + 3) == 0 ? 0 : 1;
	}
	for (char *t = strtok_r(line, " ", &save); t && n < MAX_WORDS;
	     t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	if (n == 0)
		return 0;
	int r = run(nft, w, n);
	fflush(stdout);
	if (r == 0)
		return 0;
	const char *e = nft_error(nft);
	fprintf(stderr, "nftdrv: %s: %s\n%s%s", w[0], strerror(-r), e, *e ? "\n" : "");
	return 1;
}

int main(int argc, char **argv)
{
	struct nft *nft;
	int fails = 0;

	log_init(LOG_INFO);
	if (argc < 2) {
		fprintf(stderr, "usage: nftdrv COMMAND... | nftdrv - < commands\n");
		return 2;
	}
	int r = nft_new(&nft);
	if (r < 0) {
		fprintf(stderr, "nftdrv: netlink socket: %s\n", strerror(-r));
		return 1;
	}
	/* the table an earlier run made, with the default list, until a replace */
	nft_adopt(nft, &lists_cfg);
	if (strcmp(argv[1], "-") == 0) {
		char line[4096];
		while (fgets(line, sizeof(line), stdin))
			fails += run_line(nft, line);
	} else {
		for (int i = 1; i < argc; i++) {
			char line[4096];
			snprintf(line, sizeof(line), "%s", argv[i]);
			fails += run_line(nft, line);
		}
	}
	nft_free(nft);
	return fails ? 1 : 0;
}
