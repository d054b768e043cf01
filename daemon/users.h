/* The users of a break: `users =` names resolved to uids through the system's
 * accounts (NSS), apart from conf_parse so that a parse stays pure; run at
 * every load and reload, since accounts come and go. */
#ifndef SMB_USERS_H
#define SMB_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

/* The uid no process has (the kernel's invalid uid): the one uid of a break
 * none of whose users exist yet, so that it applies to nobody rather than to
 * everyone (no uids would read as everyone). */
#define USERS_NOBODY UINT32_MAX

/* The uid of a name or a numeric uid; 0, -ENOENT (no such user) or -EINVAL. */
int users_lookup(const char *name, uint32_t *uid);
/* The name of a uid into buf, or the number when it has none. */
void users_name(uint32_t uid, char *buf, size_t len);
/* " for alice, bob" (names where they have one), or "" for everyone. */
void users_describe(const struct whom *w, char *buf, size_t len);
/* Adds uid to w keeping the uids in ascending order, once; -E2BIG past
 * SMB_WHOM_USERS_MAX. */
int users_add(struct whom *w, uint32_t uid);
/* Each break's and allowance's users into its whom.uids. An unknown user is a warning
 * "path:line: warning: ..." in warnings, not an error: the break applies to
 * the others, and the name is looked up again at the next reload. Returns
 * how many were unknown, or -ENOMEM. */
int users_resolve(struct conf *c, struct conf_errors *warnings);

#endif
