/* Warnings before a break starts (see policy.h): which are due at an
 * instant, from the evaluated policy, the configuration and the planned
 * pauses. Pure, like policy.c: the daemon remembers which it has given. */
#include <string.h>

#include "policy.h"

bool policy_warn_due(time_t at, uint32_t warn, time_t now, time_t *next)
{
	time_t from = at - (time_t)warn;

	if (!warn || at <= now)
		return false;
	if (from <= now)
		return true;
	if (next && (*next == 0 || from < *next))
		*next = from;
	return false;
}

bool policy_warn_covered(const struct inforce *in, uint64_t lists, const struct whom *w)
{
	uint64_t have = in->lists;

	if (w && !whom_everyone(w))
		for (size_t i = 0; i < in->n_some; i++)
			if (whom_equal(&in->some[i].whom, w))
				have |= in->some[i].lists;
	return (lists & ~have) == 0;
}

/* The lists a planned pause will block: those it names (names that are no
 * longer lists count for nothing), every list when it names none. */
static uint64_t plan_lists(const struct conf *c, const struct state_plan *pl)
{
	uint64_t m = 0;

	if (pl->n_lists == 0)
		return c->n_lists >= SMB_LISTS_MAX ? UINT64_MAX : (UINT64_C(1) << c->n_lists) - 1;
	for (size_t i = 0; i < pl->n_lists; i++) {
		const struct conf_list *l = conf_find_list(c, pl->lists[i]);
		if (l && l - c->lists < SMB_LISTS_MAX)
			m |= UINT64_C(1) << (l - c->lists);
	}
	return m;
}

size_t policy_warnings(const struct conf *c, const struct state *s, const struct policy *p,
                       struct policy_warning *v, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_breaks && i < p->n_breaks && n < max; i++) {
		const struct conf_break *br = &c->breaks[i];
		const struct policy_break *pb = &p->breaks[i];
		const struct whom *w = whom_everyone(&br->whom) ? NULL : &br->whom;
		uint64_t lists = policy_break_lists(br);

		if (!pb->next_start || !policy_warn_due(pb->next_start, br->warn, p->now, NULL))
			continue;
		if (policy_warn_covered(&p->in, lists, w))
			continue;
		v[n++] = (struct policy_warning){
		    .name = br->name,
		    .brk = i,
		    .start = pb->next_start,
		    .end = pb->next_end,
		    .lists = lists,
		    .whom = w,
		};
	}
	for (size_t i = 0; i < s->n_plans && n < max; i++) {
		const struct state_plan *pl = &s->plans[i];
		uint64_t lists = plan_lists(c, pl);

		if (!policy_warn_due(pl->start, c->warn, p->now, NULL) ||
		    policy_warn_covered(&p->in, lists, NULL))
			continue;
		v[n++] = (struct policy_warning){
		    .name = "pause",
		    .plan_id = pl->id,
		    .start = pl->start,
		    .end = pl->end,
		    .lists = lists,
		};
	}
	return n;
}
