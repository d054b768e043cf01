/* The values of a break's keys in smbreak.conf (an [allowance] takes them
 * too, into its conf_break: cur_break): days, times, lists, users and the
 * from/until of a dated break. Part of the config parser (conf.c,
 * conf_keys.c); pure. */
#include "conf_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void value_days(struct parser *st, const char *v, bool cont)
{
	struct conf_break *b = cur_break(st);
	char q[QUOTE_SIZE];

	if (!cont)
		b->days = 0;
	while (conf_keys_word(st, &v)) {
		st->key_words[K_DAYS]++;
		struct best best = {.word = st->tok};
		uint8_t m;

		if (value_parse_days(st->tok, &m) == 0) {
			b->days |= m;
			continue;
		}
		if (conf_err_room(st) && !strchr(st->tok, '-'))
			for (size_t i = 0; value_days_word(i); i++)
				conf_keys_best_try(&best, value_days_word(i));
		if (best.found)
			conf_err(
			    st, st->lineno,
			    "bad day %s: use mon..sun, ranges like mon-fri, daily, weekdays or "
			    "weekends (did you mean '%s'?)",
			    conf_quote(q, st->tok), best.found);
		else
			conf_err(
			    st, st->lineno,
			    "bad day %s: use mon..sun, ranges like mon-fri, daily, weekdays or "
			    "weekends",
			    conf_quote(q, st->tok));
	}
}

/* One HH:MM-HH:MM window. */
static void value_window(struct parser *st, struct conf_break *b, struct break_aux *aux,
                         const char *w)
{
	char q[QUOTE_SIZE], q2[QUOTE_SIZE], a[16], z[16];
	const char *dash = strchr(w, '-');
	uint32_t start = 0, end = 0;
	size_t la, lz;
	int rs, re;

	if (!dash || strchr(dash + 1, '-')) {
		conf_err(st, st->lineno,
		         "bad time window %s: write it as HH:MM-HH:MM, like 09:00-12:00",
		         conf_quote(q, w));
		return;
	}
	la = (size_t)(dash - w);
	lz = strlen(dash + 1);
	if (la >= sizeof(a) || lz >= sizeof(z)) {
		conf_err(st, st->lineno,
		         "bad time window %s: write it as HH:MM-HH:MM, like 09:00-12:00",
		         conf_quote(q, w));
		return;
	}
	memcpy(a, w, la);
	a[la] = '\0';
	memcpy(z, dash + 1, lz + 1);
	rs = value_parse_time_of_day(a, false, &start);
	re = value_parse_time_of_day(z, true, &end);
	if (rs == -ERANGE)
		conf_err(
		    st, st->lineno,
		    "start time %s in window %s is out of range (00:00 to 23:59; 24:00 only as "
		    "an end)",
		    conf_quote(q, a), conf_quote(q2, w));
	else if (rs < 0)
		conf_err(st, st->lineno, "bad time %s in window %s: use HH:MM, like 09:00 or 17:30",
		         conf_quote(q, a), conf_quote(q2, w));
	if (re == -ERANGE)
		conf_err(st, st->lineno,
		         "end time %s in window %s is out of range (00:00 to 24:00)",
		         conf_quote(q, z), conf_quote(q2, w));
	else if (re < 0)
		conf_err(st, st->lineno, "bad time %s in window %s: use HH:MM, like 09:00 or 17:30",
		         conf_quote(q, z), conf_quote(q2, w));
	if (rs < 0 || re < 0)
		return;
	if (start == end) {
		conf_err(st, st->lineno,
		         "empty window %s: it starts when it ends (for a whole day write "
		         "00:00-24:00)",
		         conf_quote(q, w));
		return;
	}
	if (b->n_windows == CONF_WINDOWS_MAX) {
		if (!aux->windows_full)
			conf_err(st, st->lineno, "too many time windows in break %s (at most %d)",
			         conf_quote(q, b->name), CONF_WINDOWS_MAX);
		aux->windows_full = true;
		return;
	}
	b->windows[b->n_windows].start = start;
	b->windows[b->n_windows].end = end;
	b->n_windows++;
}

static void value_times(struct parser *st, const char *v)
{
	while (conf_keys_word(st, &v)) {
		st->key_words[K_TIMES]++;
		value_window(st, cur_break(st), cur_aux(st), st->tok);
	}
}

static void value_lists(struct parser *st, const char *v)
{
	struct break_aux *aux = cur_aux(st);
	char q[QUOTE_SIZE];

	while (conf_keys_word(st, &v)) {
		struct list_ref *r;

		st->key_words[K_LISTS]++;
		if (!value_valid_name(st->tok)) {
			conf_err(st, st->lineno,
			         "bad list name %s: names use a-z, 0-9, _ and - (at most %d bytes)",
			         conf_quote(q, st->tok), VALUE_NAME_MAX);
			continue;
		}
		r = conf_grow(aux->refs, aux->n_refs, sizeof(*r));
		if (!r)
			return conf_oom(st);
		aux->refs = r;
		strcpy(r[aux->n_refs].name, st->tok);
		r[aux->n_refs++].line = st->lineno;
	}
}

/* A user name as useradd takes it ([a-z_][a-z0-9_-]*, a final '$' for
 * machine accounts) or a numeric uid. Only the form is checked here: whether
 * the account exists is asked when the file is loaded (users_resolve), since
 * accounts come and go and a parse stays pure. */
static bool valid_user(const char *s)
{
	size_t n = strlen(s);
	bool digits = n > 0;

	for (size_t i = 0; i < n; i++)
		digits &= (s[i] >= '0' && s[i] <= '9');
	if (digits)
		return n <= 10 && strtoull(s, NULL, 10) < UINT32_MAX;
	if (n == 0 || n > CONF_USER_MAX || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-' || (s[i] == '$' && i == n - 1)))
			return false;
	return true;
}

static void value_users(struct parser *st, const char *v)
{
	struct conf_break *b = cur_break(st);
	char q[QUOTE_SIZE];

	if (!b->users_line)
		b->users_line = st->lineno;
	while (conf_keys_word(st, &v)) {
		bool dup = false;

		st->key_words[K_USERS]++;
		if (!valid_user(st->tok)) {
			conf_err(
			    st, st->lineno,
			    "bad user %s: give a user name (a-z, 0-9, _ and -) or a numeric uid",
			    conf_quote(q, st->tok));
			continue;
		}
		for (size_t i = 0; i < b->n_users; i++)
			dup |= strcmp(b->users[i], st->tok) == 0;
		if (dup)
			conf_err(st, st->lineno, "user %s is given twice", conf_quote(q, st->tok));
		else if (b->n_users == SMB_WHOM_USERS_MAX)
			conf_err(st, st->lineno, "too many users in break %s (at most %d)",
			         conf_quote(q, b->name), SMB_WHOM_USERS_MAX);
		else
			strcpy(b->users[b->n_users++], st->tok);
	}
}

/* from = / until = of a dated break: a local date and time. */
static void value_date(struct parser *st, enum key k, const char *v)
{
	struct conf_break *b = cur_break(st);
	struct value_date d;
	char q[QUOTE_SIZE];

	if (value_parse_date(v, &d) < 0) {
		conf_err(st, st->lineno,
		         "bad %s %s: use a local date and time like 2026-10-02 15:30",
		         k == K_FROM ? "from" : "until", conf_quote(q, v));
		return;
	}
	b->dated = true;
	*(k == K_FROM ? &b->from : &b->until) = d;
}

void conf_break_value(struct parser *st, enum key k, const char *v, bool cont)
{
	switch (k) {
	case K_DAYS:
		value_days(st, v, cont);
		break;
	case K_TIMES:
		value_times(st, v);
		break;
	case K_LISTS:
		value_lists(st, v);
		break;
	case K_FROM:
	case K_UNTIL:
		value_date(st, k, v);
		break;
	case K_USERS:
		value_users(st, v);
		break;
	default:
		break;
	}
}
