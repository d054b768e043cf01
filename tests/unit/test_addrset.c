/* Unit tests of the forwarder's address sets at fixed times: find and put for
 * both families, expiry, extension never shortening, take, and eviction of
 * the entry closest to expiry when a window is full. */
#include <errno.h>
#include <string.h>
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
	struct addrset_entry gone;
	const struct addrset_entry *e;

	CHECK_INT(addrset_init(&s, 64, false), 0);
	CHECK(!addrset_find(&s, AF_INET, a4, 1000));
	addrset_put(&s, AF_INET, a4, 1600, 1, false, 1000, &gone);
	e = addrset_find(&s, AF_INET, a4, 1000);
	CHECK(e && e->expires == 1600 && e->family == AF_INET);
	CHECK(!addrset_find(&s, AF_INET, b4, 1000));
	CHECK(!addrset_find(&s, AF_INET6, a6, 1000));
	addrset_put(&s, AF_INET6, a6, 2000, 1, false, 1000, &gone);
	CHECK(addrset_find(&s, AF_INET6, a6, 1000));
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1000)->expires, 1600);
	/* A later expiry extends, an earlier one does not shorten. */
	addrset_put(&s, AF_INET, a4, 1800, 1, false, 1100, &gone);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1100)->expires, 1800);
	addrset_put(&s, AF_INET, a4, 1200, 1, false, 1100, &gone);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1100)->expires, 1800);
	/* Expired at its expiry time exactly. */
	CHECK(addrset_find(&s, AF_INET, a4, 1799));
	CHECK(!addrset_find(&s, AF_INET, a4, 1800));
	/* An expired entry comes back with the new expiry only. */
	addrset_put(&s, AF_INET, a4, 1900, 1, false, 1850, &gone);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1850)->expires, 1900);
	/* Take: held, then gone; not held: false. */
	CHECK(addrset_take(&s, AF_INET6, a6, 1850, NULL));
	CHECK(!addrset_find(&s, AF_INET6, a6, 1850));
	CHECK(!addrset_take(&s, AF_INET6, a6, 1850, NULL));
	CHECK(!addrset_take(&s, AF_INET, b4, 1850, NULL));
	CHECK(!addrset_take(&s, AF_INET, a4, 1900, NULL)); /* expired by then */
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
	struct addrset_entry gone;
	uint8_t a[4] = {10, 0, 0, 0};

	CHECK_INT(addrset_init(&s, ADDRSET_PROBES, false), 0);
	for (int i = 0; i < ADDRSET_PROBES; i++) {
		a[3] = (uint8_t)i;
		/* Address 5 expires first. */
		addrset_put(&s, AF_INET, a, i == 5 ? 1100 : 2000 + i, 1, false, 1000, &gone);
	}
	for (int i = 0; i < ADDRSET_PROBES; i++) {
		a[3] = (uint8_t)i;
		CHECK(addrset_find(&s, AF_INET, a, 1000));
	}
	a[3] = 100;
	addrset_put(&s, AF_INET, a, 3000, 1, false, 1000, &gone);
	CHECK(addrset_find(&s, AF_INET, a, 1000));
	/* the one that gave way is told, for the kernel's sets */
	CHECK(gone.family == AF_INET && gone.addr[3] == 5 && gone.expires == 1100);
	a[3] = 5;
	CHECK(!addrset_find(&s, AF_INET, a, 1000));
	a[3] = 6;
	CHECK(addrset_find(&s, AF_INET, a, 1000));
	/* Once 0's entry has expired, its slot is free for the next one,
	 * whatever expires sooner. */
	a[3] = 101;
	addrset_put(&s, AF_INET, a, 2500, 1, false, 2000, &gone);
	CHECK_INT(gone.family, 0); /* an expired one is not an eviction */
	CHECK(addrset_find(&s, AF_INET, a, 2000));
	a[3] = 1;
	CHECK(addrset_find(&s, AF_INET, a, 2000));
	addrset_free(&s);
}

/* Lists gather per address; a reload moves, drops and keeps them; the floor
 * of a strict break holds entries. */
static void test_lists(void)
{
	struct addrset s;
	struct addrset_entry gone, old;
	uint8_t map[64];
	const struct addrset_entry *e;

	CHECK_INT(addrset_init(&s, 64, false), 0);
	addrset_put(&s, AF_INET, a4, 1600, 1u << 0, false, 1000, &gone);
	e = addrset_put(&s, AF_INET, a4, 1200, 1u << 3, false, 1000, &gone);
	CHECK(e->lists == 9 && e->expires == 1600 && !e->endpoint);
	e = addrset_put(&s, AF_INET, b4, 1200, 0, true, 1000, &gone);
	CHECK(e->endpoint && e->lists == 0);
	memset(map, 0xff, sizeof(map));
	map[3] = 0; /* list 3 is now the first; list 0 is gone */
	addrset_remap(&s, map);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1000)->lists, 1);
	CHECK(addrset_find(&s, AF_INET, b4, 1000)); /* an endpoint's stays */
	map[3] = 0xff;
	addrset_remap(&s, map);
	CHECK(!addrset_find(&s, AF_INET, a4, 1000));
	addrset_put(&s, AF_INET6, a6, 1100, 2, false, 1000, &gone);
	addrset_floor(&s, 5000, 1000);
	CHECK_INT(addrset_find(&s, AF_INET6, a6, 1000)->expires, 5000);
	CHECK(addrset_take(&s, AF_INET6, a6, 1000, &old));
	CHECK_INT(old.lists, 2);
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

/* Witnesses: distinct domains only, at most ADDRSET_WITNESSES, names cut
 * to the field; a new address in a slot starts with none. */
static void test_witnesses(void)
{
	struct addrset s, plain;
	struct addrset_entry gone;
	const struct addrset_witnesses *w;
	char longname[80];

	CHECK_INT(addrset_init(&s, 64, true), 0);
	CHECK_INT(addrset_init(&plain, 64, false), 0);
	addrset_put(&plain, AF_INET, a4, 1600, 1, false, 1000, &gone);
	CHECK(!addrset_witnesses_of(&plain, addrset_find(&plain, AF_INET, a4, 1000)));
	CHECK(!addrset_witnesses_of(&s, NULL));
	w = addrset_witness(&s, AF_INET, a4, "a.example", 9, 1600, 1000);
	CHECK_INT(w->n, 1);
	CHECK(addrset_witness(&s, AF_INET, a4, "a.example", 9, 1700, 1001)->n == 1);
	CHECK_INT(addrset_find(&s, AF_INET, a4, 1001)->expires, 1700);
	w = addrset_witness(&s, AF_INET, a4, "b.example", 9, 1700, 1002);
	CHECK(w->n == 2 && strcmp(w->domain[1], "b.example") == 0);
	CHECK(addrset_witness(&s, AF_INET, a4, "c.example", 9, 1700, 1003)->n == 2);
	CHECK(addrset_witnesses_of(&s, addrset_find(&s, AF_INET, a4, 1003)) == w);
	memset(longname, 'x', sizeof(longname));
	w = addrset_witness(&s, AF_INET, b4, longname, sizeof(longname), 1600, 1000);
	CHECK_INT(strlen(w->domain[0]), ADDRSET_WITNESS_MAX - 1);
	/* expired: the slot's next address has no witnesses of the old one */
	addrset_put(&s, AF_INET, a4, 2000, 0, false, 1800, &gone);
	CHECK_INT(addrset_witnesses_of(&s, addrset_find(&s, AF_INET, a4, 1800))->n, 0);
	addrset_free(&s);
	addrset_free(&plain);
}

int main(void)
{
	test_witnesses();
	test_find_put();
	test_eviction();
	test_lists();
	test_pages();
	CHECK_DONE();
}
