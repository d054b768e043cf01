/* What is blocked right now: the hand-off from the break policy (policy.c)
 * to enforcement (the nftables table, the DNS forwarder). A plain value,
 * so enforcement depends on nothing of how it was decided. */
#ifndef SMB_INFORCE_H
#define SMB_INFORCE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct inforce {
	uint64_t lists;   /* bit i = conf->lists[i] */
	bool strict;      /* some break in force is strict */
	time_t until;     /* when this set is next due to change; 0 = not scheduled */
	time_t end;       /* when blocking ends if nothing else starts: the latest end
	                     of the breaks on now; 0 when nothing is in force */
	char reason[160]; /* "break work until 12:00, pause until 15:30" */
};

#endif
