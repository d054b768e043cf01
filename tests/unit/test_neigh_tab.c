/* Unit tests of the gateway mode's neighbour table: insert, change, delete
 * with colliding slots, the device of a sender by range and by MAC, the
 * bound, and thousands of neighbours. */
#include "check.h"
#include "conf.h"
#include "neigh_tab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

static const char CONF[] = "[daemon]\n"
                           "mode = gateway\n"
                           "lan = br-lan\n"
                           "[list social]\n"
                           "domains = example.com\n"
                           "[device phone1]\n"
                           "mac = 02:00:00:00:00:01\n"
                           "[device pc]\n"
                           "addresses = 192.168.1.40 fd00:1::/64\n"
                           "[device phone2]\n"
                           "mac = 02:00:00:00:00:02 02-00-00-00-00-03\n";

static struct sockaddr_storage sa(const char *ip)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	return ss;
}

static int put(struct neigh_tab *t, const char *ip, uint8_t last)
{
	struct sockaddr_storage ss = sa(ip);
	uint8_t mac[6] = {2, 0, 0, 0, 0, last};
	const void *a = ss.ss_family == AF_INET
	                    ? (const void *)&((struct sockaddr_in *)&ss)->sin_addr
	                    : (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr;
	return neigh_tab_put(t, ss.ss_family, a, mac, 3);
}

static int dev(const struct neigh_tab *t, const char *ip)
{
	struct sockaddr_storage ss = sa(ip);
	return neigh_tab_device(t, &ss);
}

static void test_devices(struct neigh_tab *t, const struct conf *c)
{
	neigh_tab_init(t, c);
	CHECK_INT(put(t, "192.168.1.10", 1), 0);
	CHECK_INT(put(t, "fd00::10", 1), 0);
	CHECK_INT(put(t, "fd00::beef", 1), 0); /* a rotated privacy address */
	CHECK_INT(put(t, "192.168.1.11", 3), 0);
	CHECK_INT(put(t, "192.168.1.12", 9), 0);
	CHECK_INT(t->n, 5);
	CHECK_INT(dev(t, "192.168.1.10"), 0);
	CHECK_INT(dev(t, "fd00::10"), 0);
	CHECK_INT(dev(t, "fd00::beef"), 0);
	CHECK_INT(dev(t, "::ffff:192.168.1.10"), 0);
	CHECK_INT(dev(t, "192.168.1.11"), 2);  /* second MAC, written with '-' */
	CHECK_INT(dev(t, "192.168.1.12"), -1); /* a MAC of no device */
	CHECK_INT(dev(t, "192.168.1.13"), -1); /* not in the table */
	CHECK_INT(dev(t, "192.168.1.40"), 1);  /* by its address */
	CHECK_INT(dev(t, "fd00:1::77"), 1);    /* by its range */
	CHECK_INT(dev(t, "fd00:2::77"), -1);
	/* a MAC that moves to another device's */
	CHECK_INT(put(t, "192.168.1.10", 2), 0);
	CHECK_INT(t->n, 5);
	CHECK_INT(dev(t, "192.168.1.10"), 2);
	neigh_tab_del(t, AF_INET, (const uint8_t *)"\xc0\xa8\x01\x0a");
	CHECK_INT(dev(t, "192.168.1.10"), -1);
	CHECK_INT(t->n, 4);
	/* new devices: entries are told again */
	neigh_tab_set_conf(t, NULL);
	CHECK_INT(dev(t, "fd00::10"), -1);
	neigh_tab_set_conf(t, c);
	CHECK_INT(dev(t, "fd00::10"), 0);
}

/* Many entries, deleted in another order than inserted: every one left is
 * still found (backward-shift deletion keeps the probe chains whole). */
static void test_churn(struct neigh_tab *t)
{
	uint8_t a[4], mac[6] = {2};
	int ok = 1;

	neigh_tab_init(t, NULL);
	for (uint32_t i = 0; i < NEIGH_MAX; i++) {
		uint32_t be = htonl(0x0a000000u + i * 7919u);
		memcpy(a, &be, 4);
		ok &= neigh_tab_put(t, AF_INET, a, mac, 1) == 0;
	}
	CHECK(ok);
	CHECK_INT(t->n, NEIGH_MAX);
	memcpy(a, "\x0b\0\0\1", 4);
	CHECK_INT(neigh_tab_put(t, AF_INET, a, mac, 1), -ENOSPC);
	for (uint32_t i = 0; i < NEIGH_MAX; i += 2) {
		uint32_t be = htonl(0x0a000000u + i * 7919u);
		memcpy(a, &be, 4);
		neigh_tab_del(t, AF_INET, a);
	}
	CHECK_INT(t->n, NEIGH_MAX / 2);
	for (uint32_t i = 0; i < NEIGH_MAX; i++) {
		uint32_t be = htonl(0x0a000000u + i * 7919u);
		memcpy(a, &be, 4);
		ok &= (neigh_tab_get(t, AF_INET, a) != NULL) == (i % 2 == 1);
	}
	CHECK(ok);
}

/* Many neighbours, asked by address as the forwarder asks: each known one
 * gives the device of its MAC, the unknown ones none. (What a lookup costs
 * is measured by bench/gateway/bench_neigh, not asserted here.) */
static void test_many(struct neigh_tab *t, const struct conf *c)
{
	enum { N = 10000 };
	uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
	int ok = 1;

	neigh_tab_init(t, c);
	for (uint32_t i = 0; i < N; i++) {
		struct in6_addr a = {0};
		a.s6_addr[0] = 0xfd;
		memcpy(&a.s6_addr[12], &i, 4);
		mac[5] = (uint8_t)i;
		ok &= neigh_tab_put(t, AF_INET6, a.s6_addr, mac, 1) == 0;
	}
	CHECK(ok);
	CHECK_INT(t->n, N);
	for (uint32_t k = 0; k < 2 * N; k += 13) {
		struct sockaddr_storage ss = {0};
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		uint8_t last = (uint8_t)k;
		int want = k >= N ? -1 : last == 1 ? 0 : last == 2 || last == 3 ? 2 : -1;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[0] = 0xfd;
		memcpy(&s6->sin6_addr.s6_addr[12], &k, 4);
		ok &= neigh_tab_device(t, &ss) == want;
	}
	CHECK(ok);
}

int main(void)
{
	struct conf *c = NULL;
	struct conf_errors errs = {0};
	struct neigh_tab *t = malloc(sizeof(*t));

	CHECK_INT(conf_parse("t.conf", CONF, sizeof(CONF) - 1, &c, &errs), 0);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msgs[i]);
	if (c && t) {
		test_devices(t, c);
		test_churn(t);
		test_many(t, c);
	}
	free(t);
	conf_free(c);
	conf_errors_clear(&errs);
	CHECK_DONE();
}
