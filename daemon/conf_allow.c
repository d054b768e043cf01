/* The [allowance NAME] sections of smbreak.conf: opening one, the checks of
 * a whole section (per_day given, warn shorter than it) and, after the whole
 * file, its lists. Its keys are parsed by conf_keys.c, the break keys among
 * them into the allowance's conf_break (cur_break). */
#include "conf_int.h"

#include <stdio.h>
#include <stdlib.h>

void conf_allow_open(struct parser *st, const char *name, unsigned line)
{
	struct conf *c = st->c;
	struct conf_allowance *a;
	struct break_aux *aux;
	const struct conf_allowance *dup = conf_find_allowance(c, name);

	if (dup)
		conf_err(st, line, "duplicate section [allowance %s] (first on line %u)", name,
		         dup->b.line);
	if (c->n_allowances >= CONF_ALLOWANCES_MAX) {
		conf_err(st, line, "too many [allowance] sections (at most %d)",
		         CONF_ALLOWANCES_MAX);
		return;
	}
	a = conf_grow(c->allowances, c->n_allowances, sizeof(*a));
	if (!a)
		return conf_oom(st);
	c->allowances = a;
	aux = conf_grow(st->allow_aux, c->n_allowances, sizeof(*aux));
	if (!aux)
		return conf_oom(st);
	st->allow_aux = aux;
	a = &c->allowances[c->n_allowances];
	memset(a, 0, sizeof(*a));
	memset(&aux[c->n_allowances], 0, sizeof(*aux));
	strcpy(a->b.name, name);
	a->b.line = line;
	a->b.days = VALUE_DAYS_ALL;
	st->sect = SECT_ALLOWANCE;
	st->sect_idx = c->n_allowances++;
	snprintf(st->sect_label, sizeof(st->sect_label), "[allowance %s]", name);
}

void conf_allow_finish(struct parser *st)
{
	struct conf_allowance *a = &st->c->allowances[st->sect_idx];
	char q[QUOTE_SIZE];

	if (st->sect_rejected)
		return;
	a->b.warn_set = st->key_line[K_WARN] != 0;
	conf_quote(q, a->b.name);
	if (!st->key_line[K_PER_DAY])
		conf_err(st, st->sect_line,
		         "allowance %s has no per_day (add a line like per_day = 30m)", q);
	else if (a->per_day % 60)
		conf_err(st, st->key_line[K_PER_DAY],
		         "allowance %s: per_day counts whole minutes (like 30m or 1h30m)", q);
	else if (a->warn && a->warn >= a->per_day)
		conf_err(st, st->key_line[K_WARN],
		         "allowance %s: warn must be shorter than per_day (it is the time left "
		         "when the warning comes)",
		         q);
	if (st->key_line[K_TIMES] && st->key_words[K_TIMES] == 0)
		conf_err(st, st->key_line[K_TIMES],
		         "'times' has no value (give windows like 18:00-22:00; leave the key out "
		         "for the whole day)");
	if (st->key_line[K_DAYS] && st->key_words[K_DAYS] == 0)
		conf_err(st, st->key_line[K_DAYS],
		         "'days' has no value (like mon-fri; leave the key out for every day)");
	if (st->key_line[K_LISTS] && st->key_words[K_LISTS] == 0)
		conf_err(st, st->key_line[K_LISTS],
		         "'lists' has no value (name [list] sections; leave the key out for all)");
	/* The whole day is one window: the budget resets at local midnight. */
	if (!st->key_line[K_TIMES] && a->b.n_windows == 0) {
		a->b.windows[0].start = 0;
		a->b.windows[0].end = 86400;
		a->b.n_windows = 1;
	}
}

void conf_allow_resolve(struct parser *st)
{
	for (size_t i = 0; i < st->c->n_allowances && !st->oom; i++)
		conf_resolve_lists(st, &st->c->allowances[i].b, &st->allow_aux[i], "allowance");
}

void conf_allow_cleanup(struct parser *st)
{
	for (size_t i = 0; st->c && i < st->c->n_allowances; i++) {
		free(st->allow_aux[i].refs);
		free(st->allow_aux[i].dev_refs);
	}
	free(st->allow_aux);
	st->allow_aux = NULL;
}

const struct conf_allowance *conf_find_allowance(const struct conf *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_allowances; i++)
		if (strcmp(c->allowances[i].b.name, name) == 0)
			return &c->allowances[i];
	return NULL;
}
