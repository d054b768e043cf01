/* Whom a break applies to: everyone, some local users, some devices of the
 * home network (gateway mode), and who a query or a connection comes from.
 * A plain value shared by the configuration, the state, the policy and
 * enforcement, so each layer asks one question: which lists are in force
 * for this sender (inforce_lists_for in inforce.h). */
#ifndef SMB_WHOM_H
#define SMB_WHOM_H

#include <stdbool.h>
#include <stdint.h>

#define SMB_WHOM_USERS_MAX 16 /* users of one break or pause */
#define SMB_DEVICES_MAX    64 /* [device] sections */

/* The users (resolved uids) and the devices (bit i = conf->devices[i]) a
 * break is for. Neither: everyone, the machine itself and, in gateway mode,
 * every device of the LAN. Users only: those users' processes on this
 * machine. Devices only: those devices (not the machine itself). Both
 * (gateway mode only): those users here and those devices. */
struct whom {
	uint32_t n_uids;
	uint32_t uids[SMB_WHOM_USERS_MAX];
	uint64_t devices;
};

/* Who sent a query or owns a connection, as far as enforcement can tell:
 * a local process's uid, or a LAN device (an index into conf->devices). A
 * sender that is neither known user nor known device still gets every
 * break for everyone. */
struct whom_id {
	bool have_uid;
	uint32_t uid;
	int device; /* -1: not a configured device (or not known yet) */
};

static inline bool whom_everyone(const struct whom *w)
{
	return w->n_uids == 0 && w->devices == 0;
}

static inline bool whom_equal(const struct whom *a, const struct whom *b)
{
	if (a->devices != b->devices || a->n_uids != b->n_uids)
		return false;
	for (uint32_t i = 0; i < a->n_uids; i++)
		if (a->uids[i] != b->uids[i])
			return false;
	return true;
}

/* Whether a break for w applies to the sender id. */
static inline bool whom_covers(const struct whom *w, const struct whom_id *id)
{
	if (whom_everyone(w))
		return true;
	if (id->device >= 0 && id->device < SMB_DEVICES_MAX && (w->devices >> id->device & 1u))
		return true;
	if (id->have_uid)
		for (uint32_t i = 0; i < w->n_uids; i++)
			if (w->uids[i] == id->uid)
				return true;
	return false;
}

#endif
