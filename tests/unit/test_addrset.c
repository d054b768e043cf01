/* Unit tests of the forwarder's address sets at fixed times: find and put for
 * both families, expiry, extension never shortening, take, and eviction of
 * the entry closest to expiry when a window is full. */
#include <errno.h>
#include <sys/socket.h>

#include "addrset.h"
#include "check.h"

static const uint8_t a4[4] = {192, 0, 2, 1};
static const uint8_t b4[4] = {192, 0, 2, 2};
/* The first four bytes are a4's: only the family tells them apart. */
static const uint8_t a6[16] = {192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void test_find_put(void)
{
	struct addrset s;
	const struct addrset_entry *e;

	CHECK_INT(addrset_init(&s, 64), 0);
	CHECK(!addrset_find(&s, AF_INET, a4, 1000));
	addrset_put(&s, AF_INET, a4, 1600, 1000);
	e = addrset_find(&s, AF_INET, a4, 1000);
	CHECK(e && e->expires == 1600 && e->family == AF_INET);
	CHECK(!addrset_find(&s, AF_INET, b4, 1000));
	CHECK(!addrset_find(&s, AF_INET6, a6, 1000));
	addrset_put(&s, AF_INET6, a6, 2000, 1000);
	CHECK(addrset_find(&s, AF_INET6, a6, 1000));
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1000)->expires, 1600);
	/* A later expiry extends, an earlier one does not shorten. */
	addrset_put(&s, AF_INET, a4, 1800, 1100);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1100)->expires, 1800);
	addrset_put(&s, AF_INET, a4, 1200, 1100);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1100)->expires, 1800);
	/* Expired at its expiry time exactly. */
	CHECK(addrset_find(&s, AF_INET, a4, 1799));
	CHECK(!addrset_find(&s, AF_INET, a4, 1800));
	/* An expired entry comes back with the new expiry only. */
	addrset_put(&s, AF_INET, a4, 1900, 1850);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1850)->expires, 1900);
	/* Take: held, then gone; not held: false. */
	CHECK(addrset_take(&s, AF_INET6, a6, 1850));
	CHECK(!addrset_find(&s, AF_INET6, a6, 1850));
	CHECK(!addrset_take(&s, AF_INET6, a6, 1850));
	CHECK(!addrset_take(&s, AF_INET, b4, 1850));
	CHECK(!addrset_take(&s, AF_INET, a4, 1900)); /* expired by then */
	CHECK_INT(addrset_hash(AF_INET, a4), addrset_hash(AF_INET, a4));
	CHECK(addrset_hash(AF_INET, a4) != addrset_hash(AF_INET6, a6));
	addrset_free(&s);
	addrset_free(&s); /* twice: the first left it empty */
	addrset_free(NULL);
}

/* With 16 slots the one window is the whole table. */
static void test_eviction(void)
{
	struct addrset s;
	uint8_t a[4] = {10, 0, 0, 0};

	CHECK_INT(addrset_init(&s, ADDRSET_PROBES), 0);
	for (int i = 0; i < ADDRSET_PROBES; i++) {
		a[3] = (uint8_t)i;
		/* Address 5 expires first. */
		addrset_put(&s, AF_INET, a, i == 5 ? 1100 : 2000 + i, 1000);
	}
	for (int i = 0; i < ADDRSET_PROBES; i++) {
		a[3] = (uint8_t)i;
		CHECK(addrset_find(&s, AF_INET, a, 1000));
	}
	a[3] = 100;
	addrset_put(&s, AF_INET, a, 3000, 1000);
	CHECK(addrset_find(&s, AF_INET, a, 1000));
	a[3] = 5;
	CHECK(!addrset_find(&s, AF_INET, a, 1000));
	a[3] = 6;
	CHECK(addrset_find(&s, AF_INET, a, 1000));
	/* Once 0's entry has expired, its slot is free for the next one,
	 * whatever expires sooner. */
	a[3] = 101;
	addrset_put(&s, AF_INET, a, 2500, 2000);
	CHECK(addrset_find(&s, AF_INET, a, 2000));
	a[3] = 1;
	CHECK(addrset_find(&s, AF_INET, a, 2000));
	addrset_free(&s);
}

static void test_pages(void)
{
	uint8_t *p = addrset_pages_new(1 << 20);

	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p[0] | p[(1 << 20) - 1], 0);
		p[12345] = 1;
	}
	addrset_pages_free(p, 1 << 20);
	addrset_pages_free(NULL, 1 << 20);
}

int main(void)
{
	test_find_put();
	test_eviction();
	test_pages();
	CHECK_DONE();
}
