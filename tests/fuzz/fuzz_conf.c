/* libFuzzer target for the config module: arbitrary bytes as a config file
 * (which must never crash, leak or hang, and either parse or give errors), and
 * the same bytes as a string to each typed parser, with round-trip checks. */
#include "conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void typed_parsers(const char *s)
{
	struct value_addr a;
	uint64_t secs, back;
	uint32_t tod;
	uint8_t days;
	bool b;
	char buf[64];
	int r;

	r = value_parse_duration(s, &secs);
	if (r == 0) {
		/* what we print, we read back as the same duration */
		value_format_duration(secs, buf, sizeof(buf));
		if (value_parse_duration(buf, &back) != 0 || back != secs)
			abort();
	} else if (r != -EINVAL && r != -ERANGE) {
		abort();
	}
	r = value_parse_time_of_day(s, true, &tod);
	if (r == 0 && tod > 86400)
		abort();
	r = value_parse_time_of_day(s, false, &tod);
	if (r == 0 && tod > 86399)
		abort();
	if (value_parse_days(s, &days) == 0 && (days == 0 || days > VALUE_DAYS_ALL))
		abort();
	value_parse_bool(s, &b);
	value_parse_addr(s, 53, &a);
	value_valid_name(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c = NULL;
	struct conf_errors errs = {0};
	char *s;
	int r;

	r = conf_parse("fuzz.conf", (const char *)data, size, &c, &errs);
	if (r == 0) {
		if (!c || errs.n != 0 || errs.dropped != 0)
			abort();
		/* a config that parsed is consistent */
		if (c->learn_min > c->learn_max || c->n_listen == 0 ||
		    c->n_listen > CONF_LISTEN_MAX)
			abort();
		for (size_t i = 0; i < c->n_breaks; i++) {
			const struct conf_break *b = &c->breaks[i];
			if (b->n_windows == 0 || b->n_lists == 0 || b->days == 0)
				abort();
			for (size_t j = 0; j < b->n_windows; j++)
				if (b->windows[j].start == b->windows[j].end ||
				    b->windows[j].start >= 86400 || b->windows[j].end > 86400)
					abort();
			for (size_t j = 0; j < b->n_lists; j++)
				if (b->lists[j] >= c->n_lists)
					abort();
		}
	} else if (r == -EINVAL) {
		if (c || errs.n == 0 || errs.n > CONF_ERRORS_MAX)
			abort();
	} else if (r != -ENOMEM) {
		abort();
	}
	conf_free(c);
	conf_errors_clear(&errs);

	if (size > 256)
		return 0;
	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	typed_parsers(s);
	free(s);
	return 0;
}
