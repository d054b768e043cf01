/* Unit tests of the shared value rules: durations parsed and formatted,
 * counts, bare addresses. */
#include "check.h"
#include "value.h"

#include <errno.h>
#include <sys/socket.h>

static long long parse(const char *s)
{
	uint64_t v = 12345;
	int rc = value_parse_duration(s, &v);

	return rc < 0 ? rc : (long long)v;
}

static const char *format(uint64_t secs)
{
	static char buf[64];

	value_format_duration(secs, buf, sizeof(buf));
	return buf;
}

int main(void)
{
	CHECK_INT(parse("90s"), 90);
	CHECK_INT(parse("45m"), 2700);
	CHECK_INT(parse("1h30m"), 5400);
	CHECK_INT(parse("2d"), 172800);
	CHECK_INT(parse("1d12h"), 129600);
	CHECK_INT(parse("1d2h3m4s"), 93784);
	CHECK_INT(parse("0s"), 0);
	CHECK_INT(parse("90m"), 5400);
	CHECK_INT(parse("007m"), 420);

	CHECK_INT(parse(""), -EINVAL);
	CHECK_INT(parse("90"), -EINVAL); /* say the unit */
	CHECK_INT(parse("h"), -EINVAL);
	CHECK_INT(parse("1h 30m"), -EINVAL);
	CHECK_INT(parse(" 1h"), -EINVAL);
	CHECK_INT(parse("1h "), -EINVAL);
	CHECK_INT(parse("30m1h"), -EINVAL); /* out of order */
	CHECK_INT(parse("1h1h"), -EINVAL);
	CHECK_INT(parse("1w"), -EINVAL);
	CHECK_INT(parse("1H"), -EINVAL);
	CHECK_INT(parse("-1h"), -EINVAL);
	CHECK_INT(parse("+1h"), -EINVAL);
	CHECK_INT(parse("1.5h"), -EINVAL);
	CHECK_INT(parse("1hm"), -EINVAL);
	CHECK_INT(parse("1h30"), -EINVAL);
	CHECK_INT(value_parse_duration(NULL, &(uint64_t){0}), -EINVAL);

	CHECK_INT(parse("4294967295s"), 4294967295LL);
	CHECK_INT(parse("4294967296s"), -ERANGE);
	CHECK_INT(parse("49710d"), 49710LL * 86400);
	CHECK_INT(parse("49711d"), -ERANGE);
	CHECK_INT(parse("49710d6h28m15s"), 4294967295LL);
	CHECK_INT(parse("49710d6h28m16s"), -ERANGE);
	CHECK_INT(parse("99999999999999999999999999d"), -ERANGE);
	/* Syntax errors win over range errors anywhere in the string. */
	CHECK_INT(parse("99999999999999999999d1x"), -EINVAL);

	CHECK_STR(format(0), "0s");
	CHECK_STR(format(90), "1m30s");
	CHECK_STR(format(5400), "1h30m");
	CHECK_STR(format(172800), "2d");
	CHECK_STR(format(86405), "1d5s");
	CHECK_STR(format(93784), "1d2h3m4s");
	for (uint64_t s = 0; s < 200000; s += 997)
		CHECK_INT(parse(format(s)), (long long)s);
	{
		char small[4];

		value_format_duration(93784, small, sizeof(small));
		CHECK_STR(small, "1d"); /* cut at a whole group, still terminated */
		value_format_duration(93784, small, 0);
	}
	uint32_t n = 7;
	CHECK_INT(value_parse_count("1", 1, 60, &n), 0);
	CHECK_INT(n, 1);
	CHECK_INT(value_parse_count("060", 1, 60, &n), 0);
	CHECK_INT(n, 60);
	CHECK_INT(value_parse_count("61", 1, 60, &n), -ERANGE);
	CHECK_INT(value_parse_count("0", 1, 60, &n), -ERANGE);
	CHECK_INT(value_parse_count("4294967295", 0, UINT32_MAX, &n), 0);
	CHECK_INT(n, UINT32_MAX);
	CHECK_INT(value_parse_count("4294967296", 0, UINT32_MAX, &n), -ERANGE);
	CHECK_INT(value_parse_count("99999999999999999999999", 0, UINT32_MAX, &n), -ERANGE);
	CHECK_INT(value_parse_count("99999999999999999999999x", 0, UINT32_MAX, &n), -EINVAL);
	const char *not_counts[] = {"", " 7", "7 ", "+7", "-7", "7d", "0x7", "1e3"};
	for (size_t i = 0; i < sizeof(not_counts) / sizeof(not_counts[0]); i++)
		CHECK_INT(value_parse_count(not_counts[i], 0, 100, &n), -EINVAL);
	CHECK_INT(value_parse_count(NULL, 0, 100, &n), -EINVAL);
	CHECK_INT(n, UINT32_MAX); /* untouched by the failures */

	uint8_t ip[16];
	int family = 0;
	CHECK_INT(value_parse_ip("192.0.2.1", &family, ip), 0);
	CHECK_INT(family, AF_INET);
	CHECK(memcmp(ip, "\xc0\x00\x02\x01", 4) == 0);
	CHECK_INT(value_parse_ip("2001:db8::1", &family, ip), 0);
	CHECK_INT(family, AF_INET6);
	CHECK_INT(ip[15], 1);
	const char *not_ips[] = {"",      "[::1]",       "192.0.2.1:53", "::1%lo",
	                         "1.2.3", "example.com", " 1.2.3.4"};
	for (size_t i = 0; i < sizeof(not_ips) / sizeof(not_ips[0]); i++)
		CHECK_INT(value_parse_ip(not_ips[i], &family, ip), -EINVAL);

	CHECK_DONE();
}
