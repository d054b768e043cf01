/* What is blocked right now: the hand-off from the break policy (policy.c)
 * to enforcement (the nftables table, the DNS forwarder). A plain value,
 * so enforcement depends on nothing of how it was decided. */
#ifndef SMB_INFORCE_H
#define SMB_INFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "whom.h"

#define INFORCE_SOME_MAX 32 /* breaks in force for some users or devices */

/* Lists in force for some users or devices only (a break or pause with
 * `users =`/`devices =`, an allowance for them). */
struct inforce_some {
	uint64_t lists;
	struct whom whom;
};

struct inforce {
	uint64_t lists; /* bit i = conf->lists[i]; in force for everyone */
	struct inforce_some some[INFORCE_SOME_MAX];
	size_t n_some;
	bool strict;      /* some break in force is strict */
	time_t until;     /* when this set is next due to change; 0 = not scheduled */
	time_t end;       /* when blocking ends if nothing else starts: the latest end
	                     of the breaks on now; 0 when nothing is in force */
	char reason[160]; /* "break work until 12:00, pause until 15:30" */
};

/* The lists in force for the sender id: those for everyone and those of
 * every break for some that covers it. */
static inline uint64_t inforce_lists_for(const struct inforce *in, const struct whom_id *id)
{
	uint64_t lists = in->lists;
	for (size_t i = 0; i < in->n_some; i++)
		if (whom_covers(&in->some[i].whom, id))
			lists |= in->some[i].lists;
	return lists;
}

/* Whether anything is in force for anyone. */
static inline bool inforce_any(const struct inforce *in)
{
	if (in->lists)
		return true;
	for (size_t i = 0; i < in->n_some; i++)
		if (in->some[i].lists)
			return true;
	return false;
}

#endif
