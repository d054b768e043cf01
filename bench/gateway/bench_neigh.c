/* The cost of gateway mode's neighbour lookup (see BENCHMARKS.md, Gateway
 * mode): the device of a query's source address, asked once per DNS query,
 * with 10,000 neighbours in the table, hits and misses alike. Prints the ns
 * per lookup of each round and their median; asserts nothing (speed is
 * measured here, never in a test).
 *
 *   bench_neigh [--quick]
 *
 * --quick: one short round (the ctest smoke run, which only keeps the
 * program working). */
#include "conf.h"
#include "neigh_tab.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NEIGHBOURS 10000
#define QUERIES    1024 /* senders asked in turn (a power of two), some beyond NEIGHBOURS */
#define ROUNDS_MAX 5

/* Devices of both kinds, so each lookup checks ranges before the table. */
static const char CONF[] = "[daemon]\n"
                           "mode = gateway\n"
                           "lan = br-lan\n"
                           "[list social]\n"
                           "domains = example.com\n"
                           "[device phone]\n"
                           "mac = 02:00:00:00:00:01\n"
                           "[device pc]\n"
                           "addresses = 192.168.1.40 fd00:1::/64\n"
                           "[device tablet]\n"
                           "mac = 02:00:00:00:00:02 02-00-00-00-00-03\n";

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void fill(struct neigh_tab *t, const struct conf *c, struct sockaddr_storage *q)
{
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};

	neigh_tab_init(t, c);
	for (uint32_t i = 0; i < NEIGHBOURS; i++) {
		struct in6_addr a = {0};
		a.s6_addr[0] = 0xfd;
		memcpy(&a.s6_addr[12], &i, 4);
		mac[5] = (uint8_t)i;
		neigh_tab_put(t, AF_INET6, a.s6_addr, mac, 1);
	}
	for (uint32_t i = 0; i < QUERIES; i++) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&q[i];
		uint32_t k = i * 13u; /* past NEIGHBOURS: misses */
		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[0] = 0xfd;
		memcpy(&s6->sin6_addr.s6_addr[12], &k, 4);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	bool quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
	long lookups = quick ? 100000 : 2000000;
	int rounds = quick ? 1 : ROUNDS_MAX;
	struct conf *c = NULL;
	struct conf_errors errs = {0};
	struct neigh_tab *t = malloc(sizeof(*t));
	struct sockaddr_storage *q = calloc(QUERIES, sizeof(*q));
	double per[ROUNDS_MAX];
	volatile int sink = 0;

	if (argc > 2 || (argc == 2 && !quick)) {
		fprintf(stderr, "usage: bench_neigh [--quick]\n");
		return 2;
	}
	if (!t || !q || conf_parse("bench.conf", CONF, sizeof(CONF) - 1, &c, &errs) < 0) {
		fprintf(stderr, "bench_neigh: setup failed\n");
		return 1;
	}
	fill(t, c, q);
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		for (long i = 0; i < lookups; i++)
			sink += neigh_tab_device(t, &q[i & (QUERIES - 1)]);
		per[r] = (now_ns() - t0) / (double)lookups;
		printf("round %d: %.1f ns per lookup\n", r + 1, per[r]);
	}
	qsort(per, (size_t)rounds, sizeof(per[0]), cmp_double);
	printf("neigh_tab_device: %.1f ns per lookup (median of %d rounds of %ld), %d "
	       "neighbours\n",
	       per[rounds / 2], rounds, lookups, NEIGHBOURS);
	(void)sink;
	free(q);
	free(t);
	conf_free(c);
	conf_errors_clear(&errs);
	return 0;
}
