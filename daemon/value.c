/* The one rule for each value that smbreakd and smctl both read or write
 * (see value.h): durations, times of day, day sets, booleans, counts,
 * addresses, names, and instants and remaining time as people read them. Pure. */
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const struct {
	char unit;
	uint64_t secs;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

#define N_UNITS (sizeof(units) / sizeof(units[0]))

int value_parse_duration(const char *s, uint64_t *secs)
{
	uint64_t total = 0;
	size_t next_unit = 0; /* units must come in decreasing order */
	bool range = false;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		uint64_t n = 0;
		const char *digits = s;
		size_t u;

		while (*s >= '0' && *s <= '9') {
			if (n <= UINT32_MAX)
				n = n * 10 + (uint64_t)(*s - '0');
			s++;
		}
		if (s == digits)
			return -EINVAL;
		for (u = next_unit; u < N_UNITS && units[u].unit != *s; u++)
			;
		if (u == N_UNITS)
			return -EINVAL;
		s++;
		next_unit = u + 1;
		/* n is at most ~4.3e10 here, so the product cannot overflow 64 bits. */
		if (n > UINT32_MAX || n * units[u].secs > UINT32_MAX - total)
			range = true;
		else
			total += n * units[u].secs;
	}
	if (range)
		return -ERANGE;
	*secs = total;
	return 0;
}

void value_format_duration(uint64_t secs, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return;
	buf[0] = 0;
	if (secs == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (size_t u = 0; u < N_UNITS; u++) {
		uint64_t n = secs / units[u].secs;
		char group[24];
		int w;

		if (n == 0)
			continue;
		secs -= n * units[u].secs;
		/* Whole groups only: a cut "1d2" would read as something else. */
		w = snprintf(group, sizeof(group), "%llu%c", (unsigned long long)n, units[u].unit);
		if (w < 0 || (size_t)w >= len - off)
			return;
		memcpy(buf + off, group, (size_t)w + 1);
		off += (size_t)w;
	}
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool str_eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return false;
	return *a == *b;
}

/* Exactly two digits, for minutes and seconds. */
static int two_digits(const char *s, unsigned *out)
{
	if (!is_digit(s[0]) || !is_digit(s[1]))
		return -EINVAL;
	*out = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	return 0;
}

int value_parse_time_of_day(const char *s, bool allow_24, uint32_t *secs)
{
	unsigned h, m, sec = 0;

	if (!s || !is_digit(s[0]))
		return -EINVAL;
	/* One or two digits of hours ("9:00" is what people write), then :MM[:SS]. */
	h = (unsigned)(s[0] - '0');
	s++;
	if (is_digit(*s))
		h = h * 10 + (unsigned)(*s++ - '0');
	if (*s++ != ':' || two_digits(s, &m) < 0)
		return -EINVAL;
	s += 2;
	if (*s == ':') {
		if (two_digits(s + 1, &sec) < 0)
			return -EINVAL;
		s += 3;
	}
	if (*s)
		return -EINVAL;
	if (h == 24 && m == 0 && sec == 0 && allow_24) {
		*secs = 86400;
		return 0;
	}
	if (h > 23 || m > 59 || sec > 59)
		return -ERANGE;
	*secs = h * 3600 + m * 60 + sec;
	return 0;
}

static const char *const day_short[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const day_long[7] = {"monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday"};

const char *value_days_word(size_t i)
{
	static const char *const sets[] = {"daily", "weekdays", "weekends"};

	if (i < 7)
		return day_short[i];
	if (i < 14)
		return day_long[i - 7];
	return i < 17 ? sets[i - 14] : NULL;
}

static int day_index(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (str_eq_nocase(s, day_short[i]) || str_eq_nocase(s, day_long[i]))
			return i;
	return -1;
}

/* One token of a days value: a day, a range of days, or a named set. */
static int days_token(const char *tok, uint8_t *mask)
{
	char a[16], b[16];
	const char *dash = strchr(tok, '-');
	int from, to;

	if (str_eq_nocase(tok, "daily")) {
		*mask |= VALUE_DAYS_ALL;
		return 0;
	}
	if (str_eq_nocase(tok, "weekdays")) {
		*mask |= 0x1f;
		return 0;
	}
	if (str_eq_nocase(tok, "weekends")) {
		*mask |= VALUE_DAY(5) | VALUE_DAY(6);
		return 0;
	}
	if (!dash) {
		from = day_index(tok);
		if (from < 0)
			return -EINVAL;
		*mask |= (uint8_t)VALUE_DAY(from);
		return 0;
	}
	if ((size_t)(dash - tok) >= sizeof(a) || strlen(dash + 1) >= sizeof(b))
		return -EINVAL;
	memcpy(a, tok, (size_t)(dash - tok));
	a[dash - tok] = '\0';
	strcpy(b, dash + 1);
	from = day_index(a);
	to = day_index(b);
	if (from < 0 || to < 0)
		return -EINVAL;
	/* fri-mon wraps over the weekend. */
	for (int i = from;; i = (i + 1) % 7) {
		*mask |= (uint8_t)VALUE_DAY(i);
		if (i == to)
			break;
	}
	return 0;
}

int value_parse_days(const char *s, uint8_t *mask)
{
	uint8_t m = 0;
	bool any = false;
	char tok[32];

	if (!s)
		return -EINVAL;
	while (*s) {
		size_t n = 0;

		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (!*s)
			break;
		while (s[n] && s[n] != ' ' && s[n] != '\t' && s[n] != ',')
			n++;
		if (n >= sizeof(tok))
			return -EINVAL;
		memcpy(tok, s, n);
		tok[n] = '\0';
		if (days_token(tok, &m) < 0)
			return -EINVAL;
		any = true;
		s += n;
	}
	if (!any)
		return -EINVAL;
	*mask = m;
	return 0;
}

int value_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (str_eq_nocase(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (str_eq_nocase(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t n = 0;

	for (; is_digit(s[n]); n++) {
		if (n >= 5)
			return -ERANGE;
		v = v * 10 + (unsigned long)(s[n] - '0');
	}
	if (n == 0 || s[n])
		return -EINVAL;
	if (v == 0 || v > 65535)
		return -ERANGE;
	*port = (uint16_t)v;
	return 0;
}

int value_parse_addr(const char *s, uint16_t default_port, struct value_addr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_s = NULL;
	const char *colon;
	size_t hlen;
	uint16_t port = default_port;
	struct value_addr a;
	bool v6;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		s++;
		if (close[1] == ':')
			port_s = close + 2;
		else if (close[1])
			return -EINVAL;
		v6 = true;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			hlen = strlen(s); /* a bare IPv6 address, no port */
			v6 = true;
		} else {
			hlen = colon ? (size_t)(colon - s) : strlen(s);
			port_s = colon ? colon + 1 : NULL;
			v6 = false;
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(&a, 0, sizeof(a));
	if (v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		a.len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -EINVAL;
		sin->sin_family = AF_INET;
		a.len = sizeof(*sin);
	}
	if (port_s) {
		int r = parse_port(port_s, &port);
		if (r < 0)
			return r;
	}
	if (v6)
		((struct sockaddr_in6 *)&a.ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a.ss)->sin_port = htons(port);
	*out = a;
	return 0;
}

int value_parse_count(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	size_t n = 0;

	if (!s)
		return -EINVAL;
	for (; is_digit(s[n]); n++)
		if (v <= UINT32_MAX) /* past it the value only needs to stay out of range */
			v = v * 10 + (uint64_t)(s[n] - '0');
	if (n == 0 || s[n])
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int value_parse_ip(const char *s, int *family, uint8_t addr[16])
{
	uint8_t buf[16];

	if (!s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, buf) == 1) {
		memcpy(addr, buf, 4);
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		memcpy(addr, buf, 16);
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

bool value_valid_name(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char ch = s[n];
		if (!((ch >= 'a' && ch <= 'z') || is_digit(ch) || ch == '_' || ch == '-'))
			return false;
		if (n >= VALUE_NAME_MAX)
			return false;
	}
	return n > 0;
}

const char *value_escape(const char *s, size_t len, char buf[VALUE_ESCAPE_SIZE])
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (o >= VALUE_ESCAPE_SHOWN) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (ch >= 0x20 && ch < 0x7f)
			buf[o++] = (char)ch;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

void value_addr_format(const struct value_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	if (a->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	}
}

void value_format_when(time_t t, time_t now, char *buf, size_t len)
{
	struct tm tt, tn;

	localtime_r(&t, &tt);
	localtime_r(&now, &tn);
	if (tt.tm_year == tn.tm_year && tt.tm_yday == tn.tm_yday)
		strftime(buf, len, "%H:%M", &tt);
	else if (t > now && t - now < 6 * 86400)
		strftime(buf, len, "%a %H:%M", &tt);
	else /* the weekday too: people plan by it */
		strftime(buf, len, "%a %Y-%m-%d %H:%M", &tt);
}

void value_format_left(int64_t secs, char *buf, size_t len)
{
	uint64_t s = secs > 0 ? (uint64_t)secs : 0;

	if (s >= 60)
		s = (s + 59) / 60 * 60;
	if (s >= 86400)
		s = s / 3600 * 3600;
	value_format_duration(s, buf, len);
}

void value_format_instant(time_t t, time_t now, char *buf, size_t len)
{
	uint64_t s = t > now ? (uint64_t)(t - now) : 0;
	char day[32];
	struct tm tt;

	localtime_r(&t, &tt);
	strftime(day, sizeof(day), "%a %-d %b %H:%M", &tt);
	if (s >= 60)
		s = (s + 59) / 60 * 60;
	if (s >= 86400)
		snprintf(buf, len, "%s (%llud %lluh %llum)", day, (unsigned long long)(s / 86400),
		         (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60));
	else if (s >= 3600)
		snprintf(buf, len, "%s (%lluh %llum)", day, (unsigned long long)(s / 3600),
		         (unsigned long long)(s / 60 % 60));
	else if (s >= 60)
		snprintf(buf, len, "%s (%llum)", day, (unsigned long long)(s / 60));
	else
		snprintf(buf, len, "%s (%llus)", day, (unsigned long long)s);
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Exactly n digits at *p, advancing it. */
static bool take_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

int value_parse_date(const char *s, struct value_date *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct value_date d;
	uint32_t secs;
	const char *p = s;

	if (!s || !take_digits(&p, 4, &d.y) || *p++ != '-' || !take_digits(&p, 2, &d.m) ||
	    *p++ != '-' || !take_digits(&p, 2, &d.d) || (*p != ' ' && *p != 'T'))
		return -EINVAL;
	if (d.y < 1 || d.m < 1 || d.m > 12 || d.d < 1 ||
	    d.d > mdays[d.m - 1] + (d.m == 2 && leap(d.y)))
		return -ERANGE;
	int r = value_parse_time_of_day(p + 1, false, &secs);
	if (r < 0)
		return r;
	d.secs = secs;
	*out = d;
	return 0;
}

int value_date_cmp(const struct value_date *a, const struct value_date *b)
{
	long long x = ((long long)a->y * 16 + a->m) * 32 + a->d,
	          y = ((long long)b->y * 16 + b->m) * 32 + b->d;

	if (x != y)
		return x < y ? -1 : 1;
	return a->secs < b->secs ? -1 : a->secs > b->secs;
}
