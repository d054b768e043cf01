/* nftdrv: a command-line driver of the nft module (daemon/nft.h) for the system
 * tests. Commands come as arguments (one per argument, words separated by
 * spaces) or, with "-", one per line on stdin, all on the same nft object, so a
 * test can act between two changes ("sh CMD") as a user of the running daemon.
 *
 *   replace [block] [until=S] [intercept] [dns4=A] [dns6=A] [port=N] [routed=N] [mark=N]
 *   block on [until=S] | block off     intercept on|off      leave     delete
 *   add ADDR[,TIMEOUT_S] ...           del ADDR ...          flush
 *   floor SECONDS                      counts
 *   gen N [TIMEOUT_S]    add N generated addresses, half IPv4 half IPv6
 *   sh COMMAND           run a shell command
 *   sleep SECONDS        wait in this process (a daemon busy between changes)
 *
 * until=S is S seconds from now. Failures print the module's error lines on
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
		char *comma = strchr(w[i], ',');
		memset(&v[i], 0, sizeof(v[i]));
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
	inet_pton(AF_INET, "127.0.0.153", &c.dns4);
	c.dns6 = in6addr_loopback;
	c.dns_port = c.dns6_port = 53;
	c.mark = 0x534d42;
	for (int i = 1; i < n && r == 0; i++) {
		if (strcmp(w[i], "block") == 0)
			c.blocking = true;
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
	return r == 0 ? nft_table_replace(nft, &c) : r;
}

static int cmd_gen(struct nft *nft, size_t n, uint32_t timeout_ms)
{
	struct nft_elem *v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i].timeout_ms = timeout_ms;
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
	if (strcmp(c, "block") == 0 && n >= 2)
		return nft_set_blocking(
		    nft, strcmp(w[1], "on") == 0,
		    n >= 3 && strncmp(w[2], "until=", 6) == 0 ? until_from_now(w[2] + 6) : 0);
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
		               n >= 3 ? (uint32_t)strtoul(w[2], NULL, 10) * 1000u : 600000u);
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
			printf("learned4=%zu learned6=%zu block_rules=%u intercept_rules=%u\n",
			       k.learned4, k.learned6, k.block_rules, k.intercept_rules);
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
