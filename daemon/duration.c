/* The duration parser and formatter shared by the daemon and smctl (see
 * duration.h). */
#include "duration.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const struct {
	char unit;
	uint64_t secs;
} units[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

#define N_UNITS (sizeof(units) / sizeof(units[0]))

int duration_parse(const char *s, uint64_t *secs)
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

void duration_format(uint64_t secs, char *buf, size_t len)
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
