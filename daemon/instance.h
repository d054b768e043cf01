/* One smbreakd per network namespace: the table inet smbreak is the
 * namespace's, so a second daemon (or a --cleanup) must not touch it while
 * one runs. The claim is an abstract Unix socket, which belongs to the
 * network namespace and goes with the process that holds it, however it
 * ends: no lock file to go stale. */
#ifndef SMB_INSTANCE_H
#define SMB_INSTANCE_H

#include <sys/types.h>

struct event_base;
struct instance;

/* Claims the namespace. -EBUSY when another process holds it, with its pid
 * in *holder (0 when it cannot be told); another negative errno when the
 * socket cannot be made. base, when not NULL, is the loop that accepts and
 * drops the connections others make to learn who holds it. */
int instance_claim(struct event_base *base, struct instance **out, pid_t *holder);
/* NULL-safe. */
void instance_free(struct instance *in);

#endif
