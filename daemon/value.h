/* The one rule for each value that smbreakd and smctl both read or write:
 * durations ("90s", "1h30m"), times of day, day sets, booleans, counts,
 * addresses with ports and without, list and break names, and instants and
 * remaining time as people read them. The config, the state file, the control commands and smctl
 * all parse and print through here, so a value means the same everywhere. Pure: no I/O; the
 * formatters use the C library's local time (TZ is honoured). */
#ifndef SMB_VALUE_H
#define SMB_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

/* Lists in one configuration. What is in force is a 64-bit set of them (bit
 * i = the i-th [list]), in the config, the domain matcher, the state and the
 * enforcement alike. */
#define SMB_LISTS_MAX 64
/* The longest a pause may run from now, and the longest anything read back
 * from the state file may still hold a break on: seconds. */
#define SMB_PAUSE_MAX  (30 * 86400)
#define VALUE_NAME_MAX 32 /* list, break and service names: [a-z0-9_-], 1..32 bytes */

/* Day bits: bit 0 = Monday ... bit 6 = Sunday. */
#define VALUE_DAY(i)   (1u << (i))
#define VALUE_DAYS_ALL 0x7fu

/* An address with a port, for listen and upstream. */
struct value_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* Each parser returns 0 or -EINVAL (-ERANGE when well-formed but out of
 * range); the output is written only on success. No whitespace is skipped
 * except where said. */

/* One or more groups of decimal digits followed by a unit, d, h, m or s, each
 * unit at most once and in that order ("1d12h", "1h30m", "90s", "0s"); no
 * spaces, no sign. A bare number is refused (say the unit). -ERANGE when the
 * total passes UINT32_MAX seconds (136 years; every caller stores seconds in
 * 32 or 64 bits). */
int value_parse_duration(const char *s, uint64_t *secs);
/* "HH:MM" or "HH:MM:SS" (the hour may be one digit), 00:00 .. 23:59:59;
 * `allow_24` also takes "24:00" (= 86400). */
int value_parse_time_of_day(const char *s, bool allow_24, uint32_t *secs);
/* "mon", "mon-fri", "fri-mon" (wraps), "daily", "weekdays", "weekends",
 * several separated by spaces or commas; full day names too ("monday"), any
 * case. Nothing at all is -EINVAL. */
int value_parse_days(const char *s, uint8_t *mask);
/* The i-th word that value_parse_days takes alone (mon..sun, monday..sunday,
 * daily, weekdays, weekends), NULL past the last: for "did you mean". */
const char *value_days_word(size_t i);
/* "yes"/"no", "true"/"false", "on"/"off", "1"/"0", any case. */
int value_parse_bool(const char *s, bool *out);
/* "ip", "ip:port", "ipv6", "[ipv6]", "[ipv6]:port", numeric only (no names,
 * no %scope); default_port when no port is given. A port outside 1..65535 is
 * -ERANGE. */
int value_parse_addr(const char *s, uint16_t default_port, struct value_addr *out);
/* A count: decimal digits only (no sign, no space), -ERANGE outside
 * min..max. */
int value_parse_count(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* A bare numeric IPv4 or IPv6 address (no port, no brackets, no %scope):
 * *family is AF_INET or AF_INET6, addr holds 4 or 16 bytes. */
int value_parse_ip(const char *s, int *family, uint8_t addr[16]);
/* A local date and time as written, before any timezone applies. */
struct value_date {
	int y, m, d;   /* 1..9999, 1..12, 1..31 (valid for the month) */
	uint32_t secs; /* after local midnight, 0..86399 */
};
/* "2026-10-02 15:30", "2026-10-02T15:30", seconds optional ("15:30:00"). */
int value_parse_date(const char *s, struct value_date *out);
/* -1, 0, 1 as a is before, equal to, after b (as local wall times). */
int value_date_cmp(const struct value_date *a, const struct value_date *b);

/* [a-z0-9_-], 1..VALUE_NAME_MAX. */
bool value_valid_name(const char *s);

/* User text in a message, made safe and short: printable ASCII as it is,
 * every other byte as \xNN, and text past VALUE_ESCAPE_SHOWN bytes cut with
 * "...". Returns buf. */
#define VALUE_ESCAPE_SHOWN 64
#define VALUE_ESCAPE_SIZE                                                                          \
	(VALUE_ESCAPE_SHOWN + 8) /* buf: room for the last escape, "..." and NUL */
const char *value_escape(const char *s, size_t len, char buf[VALUE_ESCAPE_SIZE]);

/* Formats a duration exactly, the way users write it and value_parse_duration
 * reads back: "1h30m", "45m", "2d", "1d0h5s" is written "1d5s"; zero is "0s".
 * A short buffer gets whole groups only ("1d" of "1d2h"), always
 * NUL-terminated when len > 0. */
void value_format_duration(uint64_t secs, char *buf, size_t len);
/* "192.0.2.1:53" or "[2001:db8::1]:53". */
void value_addr_format(const struct value_addr *a, char *buf, size_t len);
/* An instant seen from now, in local time: "12:00" today, "Tue 12:00" within
 * the next six days, else "Sun 2026-03-08 12:00". */
void value_format_when(time_t t, time_t now, char *buf, size_t len);
/* Time left, short: "1h29m", "2d3h", "45s"; rounded up to the minute past one
 * minute, so a break that is on never shows "0m", and to the hour past a
 * day. */
void value_format_left(int64_t secs, char *buf, size_t len);
/* An instant a person chose, in full so that a typo shows: "Sun 4 Oct 16:00
 * (2d 0h 30m)", the weekday, date and time and how far from now (rounded up
 * to the minute). buf >= 48 bytes. */
void value_format_instant(time_t t, time_t now, char *buf, size_t len);

#endif
