/* Unit tests of domain matching: normalisation, punycode against known
 * vectors, label-boundary matching, allow over block, several lists,
 * duplicates, explanations and a large generated set. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "domains.h"

static int norm(const char *in, char *out, const char **why)
{
	size_t n;
	return domains_normalize(in, strlen(in), out, &n, why);
}

static void check_norm(const char *in, const char *want)
{
	char out[DOMAINS_NAME_MAX + 1] = "";
	const char *why = "";
	int r = norm(in, out, &why);
	CHECK_INT(r, 0);
	if (r != 0)
		fprintf(stderr, "  normalising '%s': %s\n", in, why);
	CHECK_STR(out, want);
}

static void check_norm_bad(const char *in, const char *want_why)
{
	char out[DOMAINS_NAME_MAX + 1];
	const char *why = NULL;
	CHECK_INT(norm(in, out, &why), -EINVAL);
	CHECK_STR(why, want_why);
}

static void check_puny(const uint32_t *cps, size_t n, const char *want)
{
	char out[256];
	int r = domains_punycode(cps, n, out, sizeof(out));
	CHECK_INT(r, (long long)strlen(want));
	if (r >= 0)
		CHECK_STR(out, want);
}

static void test_punycode(void)
{
	/* RFC 3492 section 7.1 (A) Arabic (Egyptian), (B) Chinese (simplified),
	 * (L) "3<nen>B<gumi><kinpachi><sensei>" mixing basic and non-basic. */
	static const uint32_t arabic[] = {0x0644, 0x064A, 0x0647, 0x0645, 0x0627, 0x0628,
	                                  0x062A, 0x0643, 0x0644, 0x0645, 0x0648, 0x0634,
	                                  0x0639, 0x0631, 0x0628, 0x064A, 0x061F};
	static const uint32_t chinese[] = {0x4ED6, 0x4EEC, 0x4E3A, 0x4EC0, 0x4E48,
	                                   0x4E0D, 0x8BF4, 0x4E2D, 0x6587};
	static const uint32_t l[] = {0x0033, 0x5E74, 0x0042, 0x7D44,
	                             0x91D1, 0x516B, 0x5148, 0x751F};
	static const uint32_t bucher[] = {'b', 0xfc, 'c', 'h', 'e', 'r'};
	static const uint32_t u[] = {0xfc};
	static const uint32_t abc[] = {'a', 'b', 'c'};
	check_puny(arabic, 17, "egbpdaj6bu4bxfgehfvwxn");
	check_puny(chinese, 9, "ihqwcrb4cv8a8dqg056pqjye");
	check_puny(l, 8, "3B-ww4c5e180e575a65lsy2b");
	check_puny(bucher, 6, "bcher-kva");
	check_puny(u, 1, "tda");
	check_puny(abc, 3, "abc-");
	char small[4];
	CHECK_INT(domains_punycode(bucher, 6, small, sizeof(small)), -ERANGE);
	static const uint32_t bad[] = {0x110000};
	CHECK_INT(domains_punycode(bad, 1, small, sizeof(small)), -EINVAL);
}

static void test_normalize(void)
{
	check_norm("Example.COM", "example.com");
	check_norm("example.com.", "example.com");
	check_norm("_dmarc.ex-ample.com", "_dmarc.ex-ample.com");
	check_norm("bücher.de", "xn--bcher-kva.de");
	check_norm("münchen.de", "xn--mnchen-3ya.de");
	check_norm("MÜNCHEN.DE", "xn--mnchen-3ya.de");
	check_norm("пример.рф", "xn--e1afmkfd.xn--p1ai");
	check_norm("ПРИМЕР.РФ", "xn--e1afmkfd.xn--p1ai");
	check_norm("例え.テスト", "xn--r8jz45g.xn--zckzah");
	check_norm("xn--bcher-kva.de", "xn--bcher-kva.de");
	check_norm("localhost", "localhost");

	check_norm_bad("", "empty name");
	check_norm_bad(".", "empty name");
	check_norm_bad("a..b", "empty label (two dots in a row, or a leading dot)");
	check_norm_bad(".a.b", "empty label (two dots in a row, or a leading dot)");
	check_norm_bad("a.b..", "empty label (two dots in a row, or a leading dot)");
	check_norm_bad("exa mple.com", "character not allowed in a domain name");
	check_norm_bad("*.example.com",
	               "wildcard not supported here (subdomains are always included)");
	check_norm_bad("a\tb.com", "control character in name");
	check_norm_bad("1.2.3.4", "numeric top-level label (an address, not a name)");
	check_norm_bad("\xff.com", "invalid UTF-8");
	check_norm_bad("ab\xc3", "invalid UTF-8");
	check_norm_bad("\xc0\xaf.com", "invalid UTF-8");     /* overlong '/' */
	check_norm_bad("\xed\xa0\x80.com", "invalid UTF-8"); /* a surrogate */
	check_norm_bad("a\xc2\xa0"
	               "b.com",
	               "character not allowed in a domain name"); /* NBSP */

	char label[80], name[300], out[DOMAINS_NAME_MAX + 1];
	memset(label, 'a', 63);
	strcpy(label + 63, ".com");
	check_norm(label, label);
	memset(label, 'a', 64);
	strcpy(label + 64, ".com");
	check_norm_bad(label, "label over 63 bytes");
	/* 253 bytes: 63*3 + 3 dots = 192, then 61 more as "x...x". */
	memset(name, 'a', sizeof(name));
	for (int i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	CHECK_INT(norm(name, out, NULL), 0);
	CHECK_INT(strlen(out), 253);
	name[253] = 'b';
	name[254] = '\0';
	check_norm_bad(name, "name over 253 bytes");
	/* A Unicode label whose punycode passes 63 bytes. */
	char longidn[200];
	memset(longidn, 'a', 60);
	strcpy(longidn + 60, "ü.de");
	check_norm_bad(longidn, "label over 63 bytes");
}

struct fix {
	struct domains_builder *b;
	int o[8];
};

static void add(struct fix *f, int origin, const char *name, uint32_t line)
{
	CHECK_INT(domains_builder_add(f->b, name, strlen(name), (uint32_t)f->o[origin], line), 0);
}

static uint64_t lists_of(const struct domains *d, const char *name)
{
	struct domains_match m;
	bool r = domains_match(d, name, strlen(name), &m);
	CHECK_INT(r, m.lists != 0);
	CHECK_INT(m.lists, m.block & ~m.allow);
	return m.lists;
}

static void test_matching(void)
{
	struct fix f = {.b = domains_builder_new()};
	CHECK(f.b);
	f.o[0] = domains_builder_origin(f.b, 0, false, "service facebook");
	f.o[1] = domains_builder_origin(f.b, 0, true, "allow =");
	f.o[2] = domains_builder_origin(f.b, 1, false, "/etc/smbreak/lists.d/x.txt");
	f.o[3] = domains_builder_origin(f.b, 63, false, "last list");
	CHECK_INT(f.o[0], 0);
	CHECK_INT(f.o[3], 3);
	CHECK_INT(domains_builder_origin(f.b, 64, false, "too far"), -E2BIG);

	add(&f, 0, "facebook.com", 3);
	add(&f, 0, "fbcdn.net", 4);
	add(&f, 1, "business.facebook.com", 0);
	add(&f, 2, "facebook.com", 1234);
	add(&f, 2, "deep.a.b.example.org", 7);
	add(&f, 1, "example.org", 0); /* allow of list 0: no effect on list 1 */
	add(&f, 0, "x.shallow.net", 1);
	add(&f, 1, "shallow.net", 0); /* allow above a block: frees the deeper block */
	add(&f, 0, "same.net", 1);
	add(&f, 1, "same.net", 0); /* allow at the same level wins */
	add(&f, 0, "up.net", 1);
	add(&f, 1, "y.x.up.net", 0); /* allow deeper: frees only its subtree */
	add(&f, 3, "TikTok.COM.", 9);
	add(&f, 0, "xn--bcher-kva.de", 2);
	CHECK_INT(domains_builder_add(f.b, "bad..name", 9, (uint32_t)f.o[0], 1), -EINVAL);
	CHECK_INT(domains_builder_add(f.b, "ok.com", 6, 99, 1), -EINVAL);
	struct domains *d = domains_builder_finish(f.b);
	CHECK(d);
	if (!d)
		return;
	CHECK_INT(domains_count(d), 12);

	CHECK_INT(lists_of(d, "facebook.com"), 3);
	CHECK_INT(lists_of(d, "m.facebook.com"), 3);
	CHECK_INT(lists_of(d, "a.b.c.d.m.facebook.com"), 3);
	CHECK_INT(lists_of(d, "FaceBook.Com."), 3);
	CHECK_INT(lists_of(d, "WWW.FACEBOOK.COM"), 3);
	CHECK_INT(lists_of(d, "notfacebook.com"), 0);
	CHECK_INT(lists_of(d, "facebook.com.example.net"), 0);
	CHECK_INT(lists_of(d, "facebook.co"), 0);
	CHECK_INT(lists_of(d, "acebook.com"), 0);
	CHECK_INT(lists_of(d, "com"), 0);
	CHECK_INT(lists_of(d, ""), 0);
	CHECK_INT(lists_of(d, "."), 0);
	CHECK_INT(lists_of(d, "facebook..com"), 0);
	CHECK_INT(lists_of(d, ".facebook.com"), 3); /* an empty label below: still a subdomain */

	/* allow = business.facebook.com frees that name and its subdomains,
	 * from list 0 only; list 1 (a file) still blocks. */
	CHECK_INT(lists_of(d, "business.facebook.com"), 2);
	CHECK_INT(lists_of(d, "x.business.facebook.com"), 2);
	CHECK_INT(lists_of(d, "notbusiness.facebook.com"), 3);
	struct domains_match m;
	domains_match(d, "business.facebook.com", 21, &m);
	CHECK_INT(m.block, 3);
	CHECK_INT(m.allow, 1);

	CHECK_INT(lists_of(d, "deep.a.b.example.org"), 2);
	CHECK_INT(lists_of(d, "z.deep.a.b.example.org"), 2);
	CHECK_INT(lists_of(d, "a.b.example.org"), 0);
	CHECK_INT(lists_of(d, "x.shallow.net"), 0);
	CHECK_INT(lists_of(d, "a.x.shallow.net"), 0);
	CHECK_INT(lists_of(d, "same.net"), 0);
	CHECK_INT(lists_of(d, "up.net"), 1);
	CHECK_INT(lists_of(d, "x.up.net"), 1);
	CHECK_INT(lists_of(d, "y.x.up.net"), 0);
	CHECK_INT(lists_of(d, "z.y.x.up.net"), 0);
	CHECK_INT(lists_of(d, "vm.tiktok.com"), 1ull << 63);
	CHECK_INT(lists_of(d, "www.xn--bcher-kva.de"), 1);
	CHECK_INT(lists_of(d, "WWW.XN--BCHER-KVA.DE"), 1);

	/* Names at and past the length limit. */
	char name[300];
	memset(name, 'a', sizeof(name));
	for (int i = 63; i < 240; i += 64)
		name[i] = '.';
	strcpy(name + 253 - 13, ".facebook.com");
	CHECK_INT(strlen(name), 253);
	CHECK_INT(lists_of(d, name), 3);
	name[253] = '.';
	name[254] = '\0';
	CHECK_INT(lists_of(d, name), 3); /* the trailing dot does not count */
	memmove(name + 1, name, 255);
	name[0] = 'b';
	CHECK_INT(lists_of(d, name), 0);

	/* Queries of nothing but dots or one-byte labels, up to the limit. */
	memset(name, '.', 253);
	name[253] = '\0';
	CHECK_INT(lists_of(d, name), 0);
	for (int i = 0; i < 253; i++)
		name[i] = i % 2 ? '.' : 'a';
	CHECK_INT(lists_of(d, name), 0);
	struct domains_why w0;
	domains_explain(d, name, 253, 0, &w0);
	CHECK(!w0.block.found);

	/* Explanations. */
	struct domains_why w;
	domains_explain(d, "x.business.facebook.com", 23, 0, &w);
	CHECK(w.block.found);
	CHECK_STR(w.block.entry, "facebook.com");
	CHECK_INT(w.block.line, 3);
	CHECK_STR(domains_origin(d, w.block.origin, NULL, NULL), "service facebook");
	CHECK(w.allow.found);
	CHECK_STR(w.allow.entry, "business.facebook.com");
	CHECK_STR(domains_origin(d, w.allow.origin, NULL, NULL), "allow =");
	domains_explain(d, "m.facebook.com.", 15, 1, &w);
	CHECK(w.block.found);
	CHECK(!w.allow.found);
	CHECK_INT(w.block.line, 1234);
	unsigned list = 9;
	bool allow = true;
	CHECK_STR(domains_origin(d, w.block.origin, &list, &allow), "/etc/smbreak/lists.d/x.txt");
	CHECK_INT(list, 1);
	CHECK(!allow);
	domains_explain(d, "z.deep.a.b.example.org", 22, 1, &w);
	CHECK_STR(w.block.entry, "deep.a.b.example.org");
	CHECK_INT(w.block.line, 7);
	domains_explain(d, "z.deep.a.b.example.org", 22, 0, &w);
	CHECK(!w.block.found);
	CHECK(w.allow.found);
	CHECK_STR(w.allow.entry, "example.org");
	domains_explain(d, "other.org", 9, 0, &w);
	CHECK(!w.block.found && !w.allow.found);
	domains_explain(d, "facebook.com", 12, 64, &w);
	CHECK(!w.block.found);
	CHECK(domains_origin(d, 99, NULL, NULL) == NULL);
	CHECK_INT(domains_origin_count(d, (uint32_t)f.o[0]), 6);
	CHECK(domains_memory(d) > 0);
	domains_free(d);
}

static void check_labels(const struct domains *d, const char *name, unsigned labels, uint64_t lists)
{
	struct domains_match m;
	domains_match(d, name, strlen(name), &m);
	CHECK_INT(m.labels, labels);
	CHECK_INT(m.labels_lists, lists);
}

/* The deepest block entry of a list that blocks: what a blocked answer's SOA
 * is owned by. An entry of a list its allow entries free does not count,
 * however deep. */
static void test_match_labels(void)
{
	struct fix f = {.b = domains_builder_new()};
	f.o[0] = domains_builder_origin(f.b, 0, false, "block 0");
	f.o[1] = domains_builder_origin(f.b, 0, true, "allow 0");
	f.o[2] = domains_builder_origin(f.b, 1, false, "block 1");
	add(&f, 0, "instagram.com", 1);
	add(&f, 0, "b.a.cdn.instagram.com", 2);
	add(&f, 1, "a.cdn.instagram.com", 3);
	add(&f, 2, "cdn.instagram.com", 4);
	add(&f, 2, "instagram.com", 5);
	struct domains *d = domains_builder_finish(f.b);
	CHECK(d);
	if (!d)
		return;
	check_labels(d, "instagram.com", 2, 3);
	check_labels(d, "www.instagram.com.", 2, 3);
	check_labels(d, "x.cdn.instagram.com", 3, 2);
	check_labels(d, "q.b.a.cdn.instagram.com", 3, 2);
	check_labels(d, "b.a.cdn.instagram.com", 3, 2);
	check_labels(d, "instagram.org", 0, 0);
	check_labels(d, "com", 0, 0);
	domains_free(d);
}

/* The same name many times, from one origin and from several: kept once, the
 * first source of each (list, kind) named, duplicates compacted away. */
static void test_duplicates(void)
{
	struct domains_builder *b = domains_builder_new();
	int a = domains_builder_origin(b, 0, false, "a");
	int bb = domains_builder_origin(b, 0, false, "b");
	int c = domains_builder_origin(b, 2, false, "c");
	int al = domains_builder_origin(b, 2, true, "allow c");
	for (uint32_t i = 1; i <= 1000; i++)
		CHECK_INT(domains_builder_add(b, "dup.example.com", 15, (uint32_t)a, i), 0);
	CHECK_INT(domains_builder_add(b, "dup.example.com", 15, (uint32_t)bb, 5), 0);
	CHECK_INT(domains_builder_add(b, "dup.example.com", 15, (uint32_t)c, 6), 0);
	CHECK_INT(domains_builder_add(b, "dup.example.com", 15, (uint32_t)c, 7), 0);
	CHECK_INT(domains_builder_add(b, "DUP.example.com", 15, (uint32_t)al, 0), 0);
	CHECK_INT(domains_builder_add(b, "other.example.com", 17, (uint32_t)c, 8), 0);
	struct domains *d = domains_builder_finish(b);
	CHECK(d);
	if (!d)
		return;
	CHECK_INT(domains_count(d), 2);
	struct domains_match m;
	CHECK(domains_match(d, "x.dup.example.com", 17, &m));
	CHECK_INT(m.block, 5);
	CHECK_INT(m.allow, 4);
	CHECK_INT(m.lists, 1);
	struct domains_why w;
	domains_explain(d, "dup.example.com", 15, 0, &w);
	CHECK_STR(domains_origin(d, w.block.origin, NULL, NULL), "a");
	CHECK_INT(w.block.line, 1);
	domains_explain(d, "dup.example.com", 15, 2, &w);
	CHECK_STR(domains_origin(d, w.block.origin, NULL, NULL), "c");
	CHECK_INT(w.block.line, 6);
	CHECK(w.allow.found);
	CHECK_STR(domains_origin(d, w.allow.origin, NULL, NULL), "allow c");
	CHECK_INT(lists_of(d, "other.example.com"), 4);
	/* Compaction dropped the 1003 dead copies. */
	CHECK(domains_memory(d) < 64 * 1024);
	domains_free(d);
}

static void test_empty(void)
{
	struct domains *d = domains_builder_finish(domains_builder_new());
	CHECK(d);
	CHECK_INT(domains_count(d), 0);
	CHECK_INT(lists_of(d, "facebook.com"), 0);
	struct domains_why w;
	domains_explain(d, "facebook.com", 12, 0, &w);
	CHECK(!w.block.found);
	domains_free(d);
	domains_free(NULL);
	domains_builder_free(NULL);
	/* A builder freed unfinished. */
	struct domains_builder *b = domains_builder_new();
	domains_builder_origin(b, 0, false, "x");
	domains_builder_add(b, "a.com", 5, 0, 1);
	domains_builder_free(b);
}

/* A TLD entry matches everything under it; single-label queries match it. */
static void test_single_label(void)
{
	struct domains_builder *b = domains_builder_new();
	int o = domains_builder_origin(b, 5, false, "tld");
	CHECK_INT(domains_builder_add(b, "zip", 3, (uint32_t)o, 1), 0);
	struct domains *d = domains_builder_finish(b);
	CHECK_INT(lists_of(d, "zip"), 1ull << 5);
	CHECK_INT(lists_of(d, "a.b.zip"), 1ull << 5);
	CHECK_INT(lists_of(d, "zip.com"), 0);
	domains_free(d);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_name(char *buf, int labels)
{
	static const char *const tlds[] = {"com", "net", "org", "de", "io", "co.uk"};
	size_t o = 0;
	for (int i = 0; i < labels - 1; i++) {
		int len = 1 + (int)(next() % 12);
		for (int k = 0; k < len; k++)
			buf[o++] = "abcdefghijklmnopqrstuvwxyz0123456789-"[next() % (k ? 37 : 36)];
		buf[o++] = '.';
	}
	strcpy(buf + o, tlds[next() % 6]);
}

/* Every inserted name is found, subdomains of it too, and random other names
 * are not (checked against a second lookup of their own parents). */
static void test_large(void)
{
	enum { N = 50000 };
	char(*names)[64] = malloc(sizeof(*names) * N);
	struct domains_builder *b = domains_builder_new();
	int o = domains_builder_origin(b, 1, false, "big");
	for (int i = 0; i < N; i++) {
		random_name(names[i], 2 + (int)(next() % 3));
		CHECK_INT(domains_builder_add(b, names[i], strlen(names[i]), (uint32_t)o,
		                              (uint32_t)i + 1),
		          0);
	}
	struct domains *d = domains_builder_finish(b);
	CHECK(d);
	size_t found = 0, sub = 0;
	for (int i = 0; i < N; i++) {
		struct domains_match m;
		found += domains_match(d, names[i], strlen(names[i]), &m);
		char s[80];
		snprintf(s, sizeof(s), "Www.%s.", names[i]);
		sub += domains_match(d, s, strlen(s), &m);
	}
	CHECK_INT(found, N);
	CHECK_INT(sub, N);
	/* Random names 6 labels deep: a hit must come from a listed suffix. */
	size_t hits = 0, bad = 0;
	for (int i = 0; i < 20000; i++) {
		char s[128];
		random_name(s, 6);
		struct domains_match m;
		if (!domains_match(d, s, strlen(s), &m))
			continue;
		hits++;
		struct domains_why w;
		domains_explain(d, s, strlen(s), 1, &w);
		size_t sl = strlen(s), el = strlen(w.block.entry);
		if (!w.block.found || el > sl || strcmp(s + sl - el, w.block.entry) != 0 ||
		    (el < sl && s[sl - el - 1] != '.'))
			bad++;
	}
	CHECK_INT(bad, 0);
	CHECK(hits < 20000);
	domains_free(d);
	free(names);
}

int main(void)
{
	test_punycode();
	test_normalize();
	test_matching();
	test_match_labels();
	test_duplicates();
	test_empty();
	test_single_label();
	test_large();
	CHECK_DONE();
}
