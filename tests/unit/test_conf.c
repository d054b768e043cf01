/* Unit tests of the config module: each typed parser at its edges, and golden
 * files in tests/data/conf: NAME.conf parsed as "NAME.conf" must give exactly
 * the errors in NAME.expected, and ok-NAME.conf must parse into the values
 * dumped in ok-NAME.expected. SMB_UPDATE_GOLDEN=1 rewrites the .expected files
 * (then read the diff before keeping it). */
#include "check.h"
#include "conf.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

/* ---- a growing string ---- */

struct buf {
	char *s;
	size_t n, cap;
};

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->n + (size_t)n + 1 > b->cap) {
		b->cap = (b->n + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	if (!s || fread(s, 1, (size_t)n, f) != (size_t)n)
		abort();
	s[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return s;
}

static void write_all(const char *path, const char *s, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(s, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* ---- typed parsers ---- */

static int dur(const char *s, uint64_t *v)
{
	*v = 12345;
	return value_parse_duration(s, v);
}

static void test_duration(void)
{
	uint64_t v;

	CHECK_INT(dur("90s", &v), 0);
	CHECK_INT(v, 90);
	CHECK_INT(dur("45m", &v), 0);
	CHECK_INT(v, 2700);
	CHECK_INT(dur("1h30m", &v), 0);
	CHECK_INT(v, 5400);
	CHECK_INT(dur("2d", &v), 0);
	CHECK_INT(v, 172800);
	CHECK_INT(dur("1d12h", &v), 0);
	CHECK_INT(v, 129600);
	CHECK_INT(dur("1d2h3m4s", &v), 0);
	CHECK_INT(v, 93784);
	CHECK_INT(dur("0s", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(dur("90m", &v), 0); /* a unit may exceed the next one up */
	CHECK_INT(v, 5400);
	CHECK_INT(dur("007m", &v), 0);
	CHECK_INT(v, 420);
	/* refused, and *secs untouched */
	CHECK_INT(dur("", &v), -EINVAL);
	CHECK_INT(v, 12345);
	CHECK_INT(dur(NULL, &v), -EINVAL);
	CHECK_INT(dur("90", &v), -EINVAL);
	CHECK_INT(dur("0", &v), -EINVAL);
	CHECK_INT(dur("90x", &v), -EINVAL);
	CHECK_INT(dur("1h30", &v), -EINVAL);
	CHECK_INT(dur("30m1h", &v), -EINVAL);
	CHECK_INT(dur("1h1h", &v), -EINVAL);
	CHECK_INT(dur("h", &v), -EINVAL);
	CHECK_INT(dur("1 h", &v), -EINVAL);
	CHECK_INT(dur(" 1h", &v), -EINVAL);
	CHECK_INT(dur("1h ", &v), -EINVAL);
	CHECK_INT(dur("-1h", &v), -EINVAL);
	CHECK_INT(dur("+1h", &v), -EINVAL);
	CHECK_INT(dur("1H", &v), -EINVAL);
	CHECK_INT(dur("1.5h", &v), -EINVAL);
	CHECK_INT(dur("1w", &v), -EINVAL);
	CHECK_INT(v, 12345);
	/* overflow: of the number, of the multiplication, of the sum */
	CHECK_INT(dur("4294967295s", &v), 0); /* the shared parser's bound: UINT32_MAX s */
	CHECK(v == UINT32_MAX);
	CHECK_INT(dur("4294967296s", &v), -ERANGE);
	CHECK_INT(dur("18446744073709551615s", &v), -ERANGE);
	CHECK_INT(dur("18446744073709551616s", &v), -ERANGE);
	CHECK_INT(dur("99999999999999999999999999s", &v), -ERANGE);
	CHECK_INT(dur("49710d", &v), 0);
	CHECK_INT(dur("49711d", &v), -ERANGE);
	CHECK_INT(dur("213503982334601d", &v), -ERANGE);
	CHECK_INT(dur("213503982334602d", &v), -ERANGE);
	CHECK_INT(dur("213503982334601d23h", &v), -ERANGE);
	CHECK_INT(dur("18446744073709551615m", &v), -ERANGE);
	CHECK_INT(dur("1d18446744073709551615s", &v), -ERANGE);
	/* a syntax error wins over a range error */
	CHECK_INT(dur("99999999999999999999999999x", &v), -EINVAL);
}

static void test_format_duration(void)
{
	static const struct {
		uint64_t secs;
		const char *want;
	} cases[] = {
	    {0, "0s"},       {1, "1s"},
	    {59, "59s"},     {60, "1m"},
	    {90, "1m30s"},   {2700, "45m"},
	    {3600, "1h"},    {5400, "1h30m"},
	    {86400, "1d"},   {129600, "1d12h"},
	    {172800, "2d"},  {93784, "1d2h3m4s"},
	    {86401, "1d1s"}, {UINT32_MAX, "49710d6h28m15s"},
	};
	char buf[64], small[4];
	uint64_t back;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		value_format_duration(cases[i].secs, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].want);
		CHECK_INT(value_parse_duration(buf, &back), 0);
		CHECK(back == cases[i].secs);
	}
	value_format_duration(5400, small, sizeof(small));
	CHECK_STR(small, "1h"); /* whole groups only, still terminated */
	small[0] = 'x';
	value_format_duration(5400, small, 0); /* no room: nothing written */
	CHECK(small[0] == 'x');
}

static int tod(const char *s, bool allow_24, uint32_t *v)
{
	*v = 777;
	return value_parse_time_of_day(s, allow_24, v);
}

static void test_time_of_day(void)
{
	uint32_t v;

	CHECK_INT(tod("00:00", false, &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(tod("09:00", false, &v), 0);
	CHECK_INT(v, 32400);
	CHECK_INT(tod("9:00", false, &v), 0);
	CHECK_INT(v, 32400);
	CHECK_INT(tod("17:30", false, &v), 0);
	CHECK_INT(v, 63000);
	CHECK_INT(tod("23:59", false, &v), 0);
	CHECK_INT(v, 86340);
	CHECK_INT(tod("23:59:59", false, &v), 0);
	CHECK_INT(v, 86399);
	CHECK_INT(tod("07:05:09", false, &v), 0);
	CHECK_INT(v, 25509);
	CHECK_INT(tod("24:00", true, &v), 0);
	CHECK_INT(v, 86400);
	CHECK_INT(tod("24:00:00", true, &v), 0);
	CHECK_INT(v, 86400);
	/* out of range */
	CHECK_INT(tod("24:00", false, &v), -ERANGE);
	CHECK_INT(tod("24:01", true, &v), -ERANGE);
	CHECK_INT(tod("24:00:01", true, &v), -ERANGE);
	CHECK_INT(tod("25:00", true, &v), -ERANGE);
	CHECK_INT(tod("12:60", false, &v), -ERANGE);
	CHECK_INT(tod("12:00:60", false, &v), -ERANGE);
	CHECK_INT(tod("99:99", false, &v), -ERANGE);
	/* malformed */
	CHECK_INT(tod("", false, &v), -EINVAL);
	CHECK_INT(tod(NULL, false, &v), -EINVAL);
	CHECK_INT(tod("9", false, &v), -EINVAL);
	CHECK_INT(tod("900", false, &v), -EINVAL);
	CHECK_INT(tod("09:0", false, &v), -EINVAL);
	CHECK_INT(tod("09:000", false, &v), -EINVAL);
	CHECK_INT(tod("009:00", false, &v), -EINVAL);
	CHECK_INT(tod("09:00:", false, &v), -EINVAL);
	CHECK_INT(tod("09:00:0", false, &v), -EINVAL);
	CHECK_INT(tod("09:00:00:00", false, &v), -EINVAL);
	CHECK_INT(tod("09.00", false, &v), -EINVAL);
	CHECK_INT(tod(" 09:00", false, &v), -EINVAL);
	CHECK_INT(tod("09:00 ", false, &v), -EINVAL);
	CHECK_INT(tod("-1:00", false, &v), -EINVAL);
	CHECK_INT(tod("9am", false, &v), -EINVAL);
	CHECK_INT(v, 777);
}

static int days(const char *s, uint8_t *m)
{
	*m = 0xee;
	return value_parse_days(s, m);
}

static void test_days(void)
{
	uint8_t m;

	CHECK_INT(days("mon", &m), 0);
	CHECK_INT(m, 0x01);
	CHECK_INT(days("sun", &m), 0);
	CHECK_INT(m, 0x40);
	CHECK_INT(days("mon-fri", &m), 0);
	CHECK_INT(m, 0x1f);
	CHECK_INT(days("fri-mon", &m), 0);
	CHECK_INT(m, 0x71);
	CHECK_INT(days("sun-mon", &m), 0);
	CHECK_INT(m, 0x41);
	CHECK_INT(days("wed-wed", &m), 0);
	CHECK_INT(m, 0x04);
	CHECK_INT(days("daily", &m), 0);
	CHECK_INT(m, VALUE_DAYS_ALL);
	CHECK_INT(days("weekdays", &m), 0);
	CHECK_INT(m, 0x1f);
	CHECK_INT(days("weekends", &m), 0);
	CHECK_INT(m, 0x60);
	CHECK_INT(days("mon wed,fri", &m), 0);
	CHECK_INT(m, 0x15);
	CHECK_INT(days("  mon , , tue  ", &m), 0);
	CHECK_INT(m, 0x03);
	CHECK_INT(days("Monday-Wednesday SAT", &m), 0);
	CHECK_INT(m, 0x27);
	CHECK_INT(days("weekends mon-fri", &m), 0);
	CHECK_INT(m, VALUE_DAYS_ALL);
	/* refused, *mask untouched */
	CHECK_INT(days("", &m), -EINVAL);
	CHECK_INT(days(" , ", &m), -EINVAL);
	CHECK_INT(days(NULL, &m), -EINVAL);
	CHECK_INT(days("mo", &m), -EINVAL);
	CHECK_INT(days("mon-", &m), -EINVAL);
	CHECK_INT(days("-fri", &m), -EINVAL);
	CHECK_INT(days("mon-fri-sat", &m), -EINVAL);
	CHECK_INT(days("daily-fri", &m), -EINVAL);
	CHECK_INT(days("mon tue xyz", &m), -EINVAL);
	CHECK_INT(days("mondayyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", &m), -EINVAL);
	CHECK_INT(m, 0xee);
}

static void test_bool(void)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True"};
	static const char *const no[] = {"no", "false", "off", "0", "NO", "Off"};
	static const char *const bad[] = {"", "y", "n", "2", "yess", "enable", " yes", "yes "};
	bool b;

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		b = false;
		CHECK_INT(value_parse_bool(yes[i], &b), 0);
		CHECK(b);
		b = true;
		CHECK_INT(value_parse_bool(no[i], &b), 0);
		CHECK(!b);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = true;
		CHECK_INT(value_parse_bool(bad[i], &b), -EINVAL);
		CHECK(b);
	}
	CHECK_INT(value_parse_bool(NULL, &b), -EINVAL);
}

/* "ip:port" of a parsed address, IPv6 as [ip]:port. */
static const char *addr_text(const struct value_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		snprintf(buf, len, "family %d", a->ss.ss_family);
	}
	return buf;
}

static void check_addr(const char *s, uint16_t port, int want_r, const char *want,
                       socklen_t want_len, int line)
{
	struct value_addr a;
	char buf[80];
	int r;

	memset(&a, 0xa5, sizeof(a));
	r = value_parse_addr(s, port, &a);
	check_count++;
	if (r != want_r ||
	    (r == 0 && (strcmp(addr_text(&a, buf, sizeof(buf)), want) != 0 || a.len != want_len))) {
		check_failures++;
		fprintf(stderr, "%s:%d: value_parse_addr(\"%s\") = %d %s, want %d %s\n", __FILE__,
		        line, s, r, r == 0 ? addr_text(&a, buf, sizeof(buf)) : "", want_r,
		        want ? want : "");
	}
	if (r != 0)
		CHECK(((unsigned char *)&a)[0] == 0xa5); /* untouched on error */
}

#define ADDR(s, port, r, want, len) check_addr(s, port, r, want, len, __LINE__)

static void test_addr(void)
{
	const socklen_t v4 = sizeof(struct sockaddr_in), v6 = sizeof(struct sockaddr_in6);

	ADDR("127.0.0.153:53", 53, 0, "127.0.0.153:53", v4);
	ADDR("127.0.0.1", 53, 0, "127.0.0.1:53", v4);
	ADDR("9.9.9.9:5353", 53, 0, "9.9.9.9:5353", v4);
	ADDR("1.2.3.4:65535", 53, 0, "1.2.3.4:65535", v4);
	ADDR("1.2.3.4:1", 53, 0, "1.2.3.4:1", v4);
	ADDR("::1", 53, 0, "[::1]:53", v6);
	ADDR("[::1]", 853, 0, "[::1]:853", v6);
	ADDR("[::1]:5353", 53, 0, "[::1]:5353", v6);
	ADDR("2620:fe::fe", 53, 0, "[2620:fe::fe]:53", v6);
	ADDR("[2620:fe::fe]:53", 53, 0, "[2620:fe::fe]:53", v6);
	ADDR("::ffff:1.2.3.4", 53, 0, "[::ffff:1.2.3.4]:53", v6);
	ADDR("1.2.3.4:0", 53, -ERANGE, NULL, 0);
	ADDR("1.2.3.4:65536", 53, -ERANGE, NULL, 0);
	ADDR("1.2.3.4:999999", 53, -ERANGE, NULL, 0);
	ADDR("[::1]:0", 53, -ERANGE, NULL, 0);
	ADDR("", 53, -EINVAL, NULL, 0);
	ADDR("localhost", 53, -EINVAL, NULL, 0);
	ADDR("1.2.3", 53, -EINVAL, NULL, 0);
	ADDR("1.2.3.256", 53, -EINVAL, NULL, 0);
	ADDR("1.2.3.4:", 53, -EINVAL, NULL, 0);
	ADDR("1.2.3.4:x", 53, -EINVAL, NULL, 0);
	ADDR("1.2.3.4:53x", 53, -EINVAL, NULL, 0);
	ADDR("1.2.3.4:-1", 53, -EINVAL, NULL, 0);
	ADDR(":53", 53, -EINVAL, NULL, 0);
	ADDR("[::1", 53, -EINVAL, NULL, 0);
	ADDR("[::1]53", 53, -EINVAL, NULL, 0);
	ADDR("[1.2.3.4]:53", 53, -EINVAL, NULL, 0);
	ADDR("[]:53", 53, -EINVAL, NULL, 0);
	ADDR("::1:53:", 53, -EINVAL, NULL, 0);
	ADDR("fe80::1%eth0", 53, -EINVAL, NULL, 0);
	ADDR("1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd", 53, -EINVAL, NULL,
	     0);
	CHECK_INT(value_parse_addr(NULL, 53, &(struct value_addr){0}), -EINVAL);
}

static void test_valid_name(void)
{
	CHECK(value_valid_name("social"));
	CHECK(value_valid_name("a"));
	CHECK(value_valid_name("x"));
	CHECK(value_valid_name("no-social_2"));
	CHECK(value_valid_name("-"));
	CHECK(value_valid_name("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
	CHECK(!value_valid_name("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	CHECK(!value_valid_name(""));
	CHECK(!value_valid_name(NULL));
	CHECK(!value_valid_name("Social"));
	CHECK(!value_valid_name("so cial"));
	CHECK(!value_valid_name("so.cial"));
	CHECK(!value_valid_name("caf\xc3\xa9"));
}

/* ---- golden files ---- */

/* Gateway mode and devices, dumped only when set so host-mode files keep
 * their expected output. */
static void dump_gateway(const struct conf *c, struct buf *b)
{
	if (c->mode != CONF_MODE_GATEWAY && !c->n_devices)
		return;
	bprintf(b, "mode %s\nlan", c->mode == CONF_MODE_GATEWAY ? "gateway" : "host");
	for (size_t i = 0; i < c->n_lan; i++)
		bprintf(b, " %s", c->lan[i]);
	bprintf(b, "\n");
	for (size_t i = 0; i < c->n_devices; i++) {
		const struct conf_device *d = &c->devices[i];
		bprintf(b, "device %s (line %u)\n  mac", d->name, d->line);
		for (size_t j = 0; j < d->n_macs; j++)
			bprintf(b, " %02x:%02x:%02x:%02x:%02x:%02x", d->macs[j][0], d->macs[j][1],
			        d->macs[j][2], d->macs[j][3], d->macs[j][4], d->macs[j][5]);
		bprintf(b, "\n  addresses");
		for (size_t j = 0; j < d->n_addresses; j++) {
			char a[INET6_ADDRSTRLEN];
			inet_ntop(d->addresses[j].family, d->addresses[j].addr, a, sizeof(a));
			bprintf(b, " %s/%u", a, d->addresses[j].len);
		}
		bprintf(b, "\n");
	}
}

static void dump_conf(const struct conf *c, struct buf *b)
{
	static const char *const answers[] = {"nxdomain", "null", "refused"};
	static const char *const dnames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
	char s[80];

	bprintf(b, "listen");
	for (size_t i = 0; i < c->n_listen; i++)
		bprintf(b, " %s", addr_text(&c->listen[i], s, sizeof(s)));
	bprintf(b, "\nupstream%s", c->upstream_auto ? " auto" : "");
	for (size_t i = 0; i < c->n_upstreams; i++)
		bprintf(b, " %s", addr_text(&c->upstreams[i], s, sizeof(s)));
	bprintf(b, "\nintercept %s\n", c->intercept ? "yes" : "no");
	bprintf(b, "blocked_answer %s\n", answers[c->blocked_answer]);
	bprintf(b, "blocked_ttl %u\nlearn_min %u\nlearn_max %u\npause_default %u\n", c->blocked_ttl,
	        c->learn_min, c->learn_max, c->pause_default);
	bprintf(b, "control_group %s\n", c->control_group);
	for (size_t i = 0; i < c->n_lists; i++) {
		const struct conf_list *l = &c->lists[i];
		bprintf(b, "list %s (line %u)\n  services", l->name, l->line);
		for (size_t j = 0; j < l->n_services; j++)
			bprintf(b, " %s", l->services[j]);
		bprintf(b, "\n  domains");
		for (size_t j = 0; j < l->n_domains; j++)
			bprintf(b, " %s", l->domains[j]);
		bprintf(b, "\n  files");
		for (size_t j = 0; j < l->n_files; j++)
			bprintf(b, " %s", l->files[j]);
		bprintf(b, "\n  allow");
		for (size_t j = 0; j < l->n_allow; j++)
			bprintf(b, " %s", l->allow[j]);
		if (l->n_addresses)
			bprintf(b, "\n  addresses");
		for (size_t j = 0; j < l->n_addresses; j++) {
			char a[INET6_ADDRSTRLEN];
			inet_ntop(l->addresses[j].family, l->addresses[j].addr, a, sizeof(a));
			bprintf(b, " %s/%u@%u", a, l->addresses[j].len, l->addresses[j].line);
		}
		bprintf(b, "\n");
	}
	for (size_t i = 0; i < c->n_breaks; i++) {
		const struct conf_break *k = &c->breaks[i];
		bprintf(b, "break %s (line %u)\n  days", k->name, k->line);
		for (int d = 0; d < 7; d++)
			if (k->days & VALUE_DAY(d))
				bprintf(b, " %s", dnames[d]);
		bprintf(b, "\n  times");
		for (size_t j = 0; j < k->n_windows; j++)
			bprintf(b, " %u-%u", k->windows[j].start, k->windows[j].end);
		if (k->dated)
			bprintf(b, "\n  from %04d-%02d-%02d %u until %04d-%02d-%02d %u", k->from.y,
			        k->from.m, k->from.d, k->from.secs, k->until.y, k->until.m,
			        k->until.d, k->until.secs);
		bprintf(b, "\n  lists");
		for (size_t j = 0; j < k->n_lists; j++)
			bprintf(b, " %s", c->lists[k->lists[j]].name);
		bprintf(b, "\n  strict %s\n", k->strict ? "yes" : "no");
		if (k->whom.devices)
			bprintf(b, "  devices %#llx\n", (unsigned long long)k->whom.devices);
	}
	dump_gateway(c, b);
}

static void dump_errors(const struct conf_errors *e, struct buf *b)
{
	for (size_t i = 0; i < e->n; i++)
		bprintf(b, "%s\n", e->msgs[i]);
	if (e->dropped)
		bprintf(b, "(%zu more errors)\n", e->dropped);
}

static int golden_cmp(const char *name, const char *dir, const struct buf *got)
{
	char path[4096];
	char *want;
	size_t wlen;

	if (snprintf(path, sizeof(path), "%s/%.*s.expected", dir, (int)(strlen(name) - 5), name) >=
	    (int)sizeof(path))
		return -1;
	if (getenv("SMB_UPDATE_GOLDEN")) {
		write_all(path, got->s ? got->s : "", got->n);
		return 0;
	}
	want = read_all(path, &wlen);
	check_count++;
	if (!want) {
		check_failures++;
		fprintf(stderr, "%s: missing\n", path);
		return -1;
	}
	if (wlen != got->n || memcmp(want, got->s ? got->s : "", wlen) != 0) {
		check_failures++;
		fprintf(stderr, "%s: output differs.\n--- want\n%s--- got\n%.*s---\n", name, want,
		        (int)got->n, got->s ? got->s : "");
		free(want);
		return -1;
	}
	free(want);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.conf of the data dir; returns how many ran. */
static int test_golden(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char *names[512];
	size_t n = 0;

	CHECK(d != NULL);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < 512) {
		size_t l = strlen(de->d_name);
		if (l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0)
			names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		struct conf *c = NULL;
		struct conf_errors e = {0};
		struct buf out = {0};
		bool ok = strncmp(names[i], "ok-", 3) == 0;
		size_t len;
		char *text;
		int r;

		if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
			continue;
		text = read_all(path, &len);
		CHECK(text != NULL);
		if (!text)
			continue;
		/* Messages name the file by the basename we pass, so the expected
		 * output does not depend on where the tree is. */
		r = conf_parse(names[i], text, len, &c, &e);
		if (ok) {
			check_count++;
			if (r != 0 || e.n != 0 || !c) {
				struct buf eb = {0};
				dump_errors(&e, &eb);
				check_failures++;
				fprintf(stderr, "%s: should parse, got %d:\n%s", names[i], r,
				        eb.s ? eb.s : "");
				free(eb.s);
			} else {
				CHECK_STR(c->path, names[i]);
				dump_conf(c, &out);
			}
		} else {
			check_count++;
			if (r != -EINVAL || c != NULL || e.n == 0) {
				check_failures++;
				fprintf(stderr, "%s: should fail with -EINVAL, got %d\n", names[i],
				        r);
			}
			dump_errors(&e, &out);
		}
		golden_cmp(names[i], dir, &out);
		conf_free(c);
		conf_errors_clear(&e);
		free(out.s);
		free(text);
		free(names[i]);
	}
	return (int)n;
}

/* ---- explicit checks of parsed values, beside the dumps ---- */

static struct conf *parse_ok(const char *text)
{
	struct conf *c = NULL;
	struct conf_errors e = {0};
	int r = conf_parse("t.conf", text, strlen(text), &c, &e);

	CHECK_INT(r, 0);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "unexpected: %s\n", e.msgs[i]);
	conf_errors_clear(&e);
	return c;
}

static void test_values(void)
{
	struct conf *c;
	const struct conf_list *l;
	const struct conf_break *b;
	char s[80];

	/* An empty file: every default, no lists, no breaks. */
	c = parse_ok("");
	if (c) {
		CHECK_INT(c->n_listen, 1);
		CHECK_STR(addr_text(&c->listen[0], s, sizeof(s)), "127.0.0.153:53");
		CHECK(c->upstream_auto);
		CHECK_INT(c->n_upstreams, 0);
		CHECK(c->intercept);
		CHECK_INT(c->blocked_answer, CONF_ANSWER_NXDOMAIN);
		CHECK_INT(c->blocked_ttl, 10);
		CHECK_INT(c->learn_min, 600);
		CHECK_INT(c->learn_max, 86400);
		CHECK_INT(c->pause_default, 3600);
		CHECK_INT(c->cache, 10000);
		CHECK_INT(c->stale_max, 86400);
		CHECK_STR(c->control_group, "smbreak");
		CHECK_INT(c->n_lists, 0);
		CHECK_INT(c->n_breaks, 0);
		CHECK(conf_find_list(c, "social") == NULL);
	}
	conf_free(c);

	c = parse_ok("[daemon]\nlisten = 127.0.0.1:5353 [::1]\nupstream = 9.9.9.9 "
	             "[2620:fe::fe]:5353\nintercept = no\nblocked_answer = refused\n"
	             "blocked_ttl = 0s\nlearn_min = 1m\nlearn_max = 1m\npause_default = 7d\n"
	             "control_group = wheel\n"
	             "[list a]\nservices = x\n[list b]\ndomains = Example.COM.\n"
	             "[break w]\ntimes = 22:30-07:00 00:00-24:00\nstrict = yes\n"
	             "[break v]\ndays = sat\ntimes = 10:00:30-10:00:31\nlists = b b a\n");
	if (c) {
		CHECK_INT(c->n_listen, 2);
		CHECK_STR(addr_text(&c->listen[0], s, sizeof(s)), "127.0.0.1:5353");
		CHECK_STR(addr_text(&c->listen[1], s, sizeof(s)), "[::1]:53");
		CHECK(!c->upstream_auto);
		CHECK_INT(c->n_upstreams, 2);
		CHECK_STR(addr_text(&c->upstreams[1], s, sizeof(s)), "[2620:fe::fe]:5353");
		CHECK(!c->intercept);
		CHECK_INT(c->blocked_answer, CONF_ANSWER_REFUSED);
		CHECK_INT(c->blocked_ttl, 0);
		CHECK_INT(c->learn_min, 60);
		CHECK_INT(c->learn_max, 60);
		CHECK_INT(c->pause_default, 7 * 86400);
		CHECK_STR(c->control_group, "wheel");
		l = conf_find_list(c, "b");
		CHECK(l != NULL);
		if (l) {
			CHECK_INT(l->n_domains, 1);
			CHECK_STR(l->domains[0], "example.com");
			CHECK_INT(l->line, 13);
		}
		b = conf_find_break(c, "w");
		CHECK(b != NULL);
		if (b) {
			CHECK_INT(b->days, VALUE_DAYS_ALL); /* no days key: every day */
			CHECK_INT(b->n_windows, 2);
			CHECK_INT(b->windows[0].start, 81000);
			CHECK_INT(b->windows[0].end, 25200);
			CHECK_INT(b->windows[1].start, 0);
			CHECK_INT(b->windows[1].end, 86400);
			CHECK_INT(b->n_lists, 2); /* no lists key: every list */
			CHECK(b->strict);
		}
		b = conf_find_break(c, "v");
		CHECK(b != NULL);
		if (b) {
			CHECK_INT(b->days, VALUE_DAY(5));
			CHECK_INT(b->windows[0].start, 36030);
			CHECK_INT(b->windows[0].end, 36031);
			CHECK_INT(b->n_lists, 2); /* b once, then a */
			CHECK_INT(b->lists[0], 1);
			CHECK_INT(b->lists[1], 0);
			CHECK(!b->strict);
		}
		CHECK(conf_find_break(c, "x") == NULL);
	}
	conf_free(c);
}

/* ---- user text in messages, and appending errors ---- */

static void test_escape(void)
{
	char buf[VALUE_ESCAPE_SIZE], want[VALUE_ESCAPE_SIZE];
	char long_text[200];

	CHECK_STR(value_escape("ok", 2, buf), "ok");
	CHECK_STR(value_escape("a\tb\x01\xc3\xa9", 6, buf), "a\\x09b\\x01\\xc3\\xa9");
	CHECK_STR(value_escape("a\0b", 3, buf), "a\\x00b"); /* by length, not NUL */
	memset(long_text, 'x', sizeof(long_text));
	memset(want, 'x', VALUE_ESCAPE_SHOWN);
	strcpy(want + VALUE_ESCAPE_SHOWN, "...");
	CHECK_STR(value_escape(long_text, sizeof(long_text), buf), want);
	want[VALUE_ESCAPE_SHOWN] = '\0'; /* exactly as much as is shown: no "..." */
	CHECK_STR(value_escape(long_text, VALUE_ESCAPE_SHOWN, buf), want);
	/* the worst case, every byte escaped, fits */
	memset(long_text, 0x7f, sizeof(long_text));
	CHECK(strlen(value_escape(long_text, sizeof(long_text), buf)) < VALUE_ESCAPE_SIZE);
}

static void test_errors_add(void)
{
	struct conf_errors e = {0};
	char big[1000];

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(conf_errors_add(&e, "%s:%u: %s", "a.conf", 3u, "why"), 0);
	CHECK_INT(conf_errors_add(&e, "%s", big), 0); /* never cut */
	CHECK_INT(e.n, 2);
	if (e.n == 2) {
		CHECK_STR(e.msgs[0], "a.conf:3: why");
		CHECK_INT(strlen(e.msgs[1]), sizeof(big) - 1);
	}
	conf_errors_clear(&e);
}

/* The one domain-name rule: the same in the config as in a list file. */
static void test_domain_rule(void)
{
	const char *text = "[list a]\ndomains = b\xc3\xbc"
	                   "cher.de\n  x.example\n";
	struct conf *c = NULL;
	struct conf_errors e = {0};

	CHECK_INT(conf_parse("d.conf", text, strlen(text), &c, &e), 0);
	CHECK(c != NULL);
	if (c && c->n_lists == 1 && c->lists[0].n_domains == 2)
		CHECK_STR(c->lists[0].domains[0], "xn--bcher-kva.de");
	conf_free(c);
	c = NULL;
	text = "[list a]\ndomains = x.example\n  1.2.3.4\n";
	CHECK_INT(conf_parse("d.conf", text, strlen(text), &c, &e), -EINVAL);
	CHECK_INT(e.n, 1);
	if (e.n == 1)
		CHECK_STR(e.msgs[0], "d.conf:3: bad domain '1.2.3.4': numeric top-level label (an "
		                     "address, not a name)");
	conf_errors_clear(&e);
}

/* conf_parse writes no process-wide state: two threads parse at once. */
struct par_job {
	const char *text;
	int failures;
};

static void *par_parse(void *arg)
{
	struct par_job *j = arg;

	for (int i = 0; i < 200; i++) {
		struct conf *c = NULL;
		struct conf_errors e = {0};
		if (conf_parse("p.conf", j->text, strlen(j->text), &c, &e) != 0 || !c ||
		    c->n_lists != 1 || c->lists[0].n_domains != 3)
			j->failures++;
		conf_free(c);
		conf_errors_clear(&e);
	}
	return NULL;
}

static void test_threads(void)
{
	struct par_job a = {.text = "[list a]\ndomains = a.example b.example\n  c.example\n"};
	struct par_job b = a;
	pthread_t ta, tb;

	CHECK_INT(pthread_create(&ta, NULL, par_parse, &a), 0);
	CHECK_INT(pthread_create(&tb, NULL, par_parse, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK_INT(a.failures + b.failures, 0);
}

/* ---- errors beyond the golden files ---- */

static void test_error_cap(void)
{
	struct buf t = {0};
	struct conf *c = NULL;
	struct conf_errors e = {0};

	bprintf(&t, "[daemon]\n");
	for (int i = 0; i < 150; i++)
		bprintf(&t, "bogus%d = 1\n", i);
	CHECK_INT(conf_parse("cap.conf", t.s, t.n, &c, &e), -EINVAL);
	CHECK(c == NULL);
	CHECK_INT(e.n, CONF_ERRORS_MAX);
	CHECK_INT(e.dropped, 150 - CONF_ERRORS_MAX);
	if (e.n)
		CHECK_STR(e.msgs[0], "cap.conf:2: unknown key 'bogus0' in [daemon]");
	if (e.n == CONF_ERRORS_MAX)
		CHECK_STR(e.msgs[CONF_ERRORS_MAX - 1],
		          "cap.conf:101: unknown key 'bogus99' in [daemon]");
	/* errors are appended: a second parse adds to what is there */
	CHECK_INT(conf_parse("two.conf", "x", 1, &c, &e), -EINVAL);
	CHECK_INT(e.n, CONF_ERRORS_MAX + 1);
	if (e.n == CONF_ERRORS_MAX + 1)
		CHECK_STR(e.msgs[CONF_ERRORS_MAX],
		          "two.conf:1: expected 'key = value', found 'x' (to continue a value, "
		          "indent the line)");
	conf_errors_clear(&e);
	CHECK_INT(e.n, 0);
	CHECK(e.msgs == NULL);
	CHECK_INT(e.dropped, 0);
	conf_errors_clear(&e); /* twice is fine */
	conf_errors_clear(NULL);
	conf_free(NULL);
	free(t.s);
}

static void test_limits(void)
{
	struct buf t = {0};
	struct conf *c = NULL;
	struct conf_errors e = {0};
	char *big;

	/* exactly CONF_LINE_MAX bytes is fine, one more is not */
	bprintf(&t, "[list a]\ndomains = ");
	while (t.n < 9 + CONF_LINE_MAX - 4)
		bprintf(&t, "a.b ");
	while (t.n < 9 + CONF_LINE_MAX)
		bprintf(&t, "c");
	bprintf(&t, "\n");
	CHECK_INT(conf_parse("l.conf", t.s, t.n, &c, &e), 0);
	CHECK_INT(e.n, 0);
	conf_free(c);
	c = NULL;
	t.s[t.n - 1] = '\r';
	bprintf(&t, "\n"); /* a CR does not count */
	CHECK_INT(conf_parse("l.conf", t.s, t.n, &c, &e), 0);
	conf_free(c);
	c = NULL;
	t.s[t.n - 2] = 'c';
	CHECK_INT(conf_parse("l.conf", t.s, t.n, &c, &e), -EINVAL);
	CHECK_INT(e.n, 1);
	if (e.n)
		CHECK_STR(e.msgs[0], "l.conf:2: line is longer than 8192 bytes (split a long list "
		                     "over indented continuation lines)");
	conf_errors_clear(&e);
	free(t.s);

	/* the file size limit */
	big = malloc(CONF_FILE_MAX + 1);
	if (!big)
		abort();
	memset(big, '\n', CONF_FILE_MAX + 1);
	CHECK_INT(conf_parse("big.conf", big, CONF_FILE_MAX, &c, &e), 0);
	conf_free(c);
	c = NULL;
	CHECK_INT(conf_parse("big.conf", big, CONF_FILE_MAX + 1, &c, &e), -EINVAL);
	CHECK(c == NULL);
	CHECK_INT(e.n, 1);
	if (e.n)
		CHECK_STR(e.msgs[0], "big.conf: file is larger than 1048576 bytes");
	conf_errors_clear(&e);

	/* conf_load: a missing file, a directory, a file over the limit */
	CHECK_INT(conf_load("/nonexistent/smbreak.conf", &c, &e), -ENOENT);
	CHECK_INT(conf_load("/", &c, &e), -EISDIR);
	{
		char tmpl[] = "/tmp/test_conf.XXXXXX";
		int fd = mkstemp(tmpl);
		char want[128];
		CHECK(fd >= 0);
		if (fd >= 0) {
			CHECK(write(fd, big, CONF_FILE_MAX + 1) == CONF_FILE_MAX + 1);
			close(fd);
			CHECK_INT(conf_load(tmpl, &c, &e), -EFBIG);
			snprintf(want, sizeof(want), "%s: file is larger than 1048576 bytes", tmpl);
			if (e.n == 3)
				CHECK_STR(e.msgs[2], want);
			unlink(tmpl);
		}
	}
	CHECK(c == NULL);
	CHECK_INT(e.n, 3);
	if (e.n == 3) {
		CHECK_STR(e.msgs[0],
		          "/nonexistent/smbreak.conf: cannot read: No such file or directory");
		CHECK_STR(e.msgs[1], "/: cannot read: Is a directory");
	}
	conf_errors_clear(&e);
	free(big);

	/* too many sections */
	t = (struct buf){0};
	for (int i = 0; i <= SMB_LISTS_MAX; i++)
		bprintf(&t, "[list l%d]\nservices = x\n", i);
	CHECK_INT(conf_parse("m.conf", t.s, t.n, &c, &e), -EINVAL);
	CHECK_INT(e.n, 1);
	if (e.n)
		CHECK_STR(e.msgs[0], "m.conf:129: too many [list] sections (at most 64)");
	conf_errors_clear(&e);
	free(t.s);
}

static void test_shipped(const char *data)
{
	char path[4096];
	struct conf *c = NULL;
	struct conf_errors e = {0};
	const struct conf_list *l;
	const struct conf_break *b;

	snprintf(path, sizeof(path), "%s/../../conf/smbreak.conf", data);
	CHECK_INT(conf_load(path, &c, &e), 0);
	for (size_t i = 0; i < e.n; i++)
		fprintf(stderr, "shipped config: %s\n", e.msgs[i]);
	CHECK_INT(e.n, 0);
	if (!c)
		return;
	CHECK(c->upstream_auto);
	CHECK_INT(c->pause_default, 3600);
	CHECK_INT(c->n_lists, 1);
	l = conf_find_list(c, "social");
	CHECK(l != NULL);
	if (l) {
		CHECK_INT(l->n_services, 11);
		CHECK_STR(l->services[0], "facebook");
		CHECK_STR(l->services[10], "bluesky");
		CHECK_INT(l->n_files, 0); /* the lists.d line stays commented out */
	}
	CHECK_INT(c->n_breaks, 2);
	b = conf_find_break(c, "work");
	CHECK(b != NULL);
	if (b) {
		CHECK_INT(b->days, 0x1f);
		CHECK_INT(b->n_windows, 2);
		CHECK_INT(b->windows[1].start, 13 * 3600);
		CHECK_INT(b->windows[1].end, 17 * 3600 + 1800);
		CHECK(!b->strict);
	}
	b = conf_find_break(c, "night");
	CHECK(b != NULL);
	if (b) {
		CHECK_INT(b->days, VALUE_DAYS_ALL);
		CHECK_INT(b->windows[0].start, 22 * 3600 + 1800);
		CHECK_INT(b->windows[0].end, 7 * 3600);
		CHECK_INT(b->n_lists, 1);
	}
	conf_free(c);
}

int main(int argc, char **argv)
{
	const char *data = getenv("SMB_TEST_DATA");
	char dir[4096];

	/* test_conf FILE: print what the parser says about a file, for humans. */
	if (argc == 2) {
		struct conf *c = NULL;
		struct conf_errors e = {0};
		int r = conf_load(argv[1], &c, &e);
		for (size_t i = 0; i < e.n; i++)
			printf("%s\n", e.msgs[i]);
		conf_free(c);
		conf_errors_clear(&e);
		return r < 0;
	}
	if (!data) {
		fprintf(stderr, "SMB_TEST_DATA is not set\n");
		return 1;
	}
	test_duration();
	test_format_duration();
	test_time_of_day();
	test_days();
	test_bool();
	test_addr();
	test_valid_name();
	test_values();
	test_error_cap();
	test_limits();
	test_escape();
	test_errors_add();
	test_domain_rule();
	test_threads();
	snprintf(dir, sizeof(dir), "%s/conf", data);
	CHECK(test_golden(dir) >= 20);
	test_shipped(data);
	CHECK_DONE();
}
