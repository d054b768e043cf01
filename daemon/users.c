/* `users =` into uids (see users.h): numbers as they are, names through
 * getpwnam_r, which is thread-safe, so a reload may resolve on its thread. */
#include "users.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int users_lookup(const char *name, uint32_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096], *end;
	unsigned long long v;

	if (!name || !*name)
		return -EINVAL;
	if (name[0] >= '0' && name[0] <= '9') {
		errno = 0;
		v = strtoull(name, &end, 10);
		if (errno || *end || v >= USERS_NOBODY)
			return -EINVAL;
		*uid = (uint32_t)v;
		return 0;
	}
	int r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (r != 0 && r != ENOENT && r != ESRCH)
		return -r;
	if (!res)
		return -ENOENT;
	*uid = (uint32_t)pw.pw_uid;
	return 0;
}

void users_name(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (uid != USERS_NOBODY && getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

void users_describe(const struct whom *w, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < w->n_uids && off < len; i++) {
		char name[64];
		users_name(w->uids[i], name, sizeof(name));
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : " for ", name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

int users_add(struct whom *w, uint32_t uid)
{
	uint32_t i = 0;

	while (i < w->n_uids && w->uids[i] < uid)
		i++;
	if (i < w->n_uids && w->uids[i] == uid)
		return 0; /* a name and its uid both given */
	if (w->n_uids == SMB_WHOM_USERS_MAX)
		return -E2BIG;
	memmove(&w->uids[i + 1], &w->uids[i], (w->n_uids - i) * sizeof(w->uids[0]));
	w->uids[i] = uid;
	w->n_uids++;
	return 0;
}

/* The uids of one break's (or allowance's) users; returns how many are
 * unknown, or -ENOMEM. */
static int resolve_one(const struct conf *c, struct conf_break *b, const char *kind,
                       struct conf_errors *warnings)
{
	int unknown = 0;
	uint32_t uid;

	b->whom.n_uids = 0;
	for (size_t k = 0; k < b->n_users; k++) {
		int r = users_lookup(b->users[k], &uid);
		if (r == 0) {
			users_add(&b->whom, uid);
			continue;
		}
		unknown++;
		if (warnings &&
		    conf_errors_add(
		        warnings,
		        "%s:%u: warning: user '%s' of %s '%s' %s; the %s "
		        "applies to them once the account exists (from the next "
		        "reload)",
		        c->path ? c->path : "-", b->users_line, b->users[k], kind, b->name,
		        r == -ENOENT ? "does not exist" : "cannot be looked up", kind) < 0)
			return -ENOMEM;
	}
	if (b->n_users && !b->whom.n_uids)
		b->whom.uids[b->whom.n_uids++] = USERS_NOBODY;
	return unknown;
}

int users_resolve(struct conf *c, struct conf_errors *warnings)
{
	int unknown = 0, r;

	for (size_t i = 0; i < c->n_breaks; i++) {
		if ((r = resolve_one(c, &c->breaks[i], "break", warnings)) < 0)
			return r;
		unknown += r;
	}
	for (size_t i = 0; i < c->n_allowances; i++) {
		if ((r = resolve_one(c, &c->allowances[i].b, "allowance", warnings)) < 0)
			return r;
		unknown += r;
	}
	return unknown;
}
