/* The daemon side of the control socket: accepts smctl connections on a Unix
 * stream socket in the daemon's libevent loop, frames and validates requests
 * (proto.h), checks the peer's credentials, and hands each valid request to
 * one handler; it also streams events to `smctl watch` subscribers. */
#ifndef SMB_CONTROL_H
#define SMB_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

struct event_base;
struct control;

/* From the kernel (SO_PEERCRED at connect time), never from the client.
 * privileged: uid 0, or the control group is the peer's gid or one of its
 * supplementary groups (SO_PEERGROUPS). */
struct control_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool privileged;
};

/* A handler's return: the reply will be finished later with control_finish. */
#define CONTROL_DEFER 2

/* Called once per valid request, in order per connection. `payload` has passed
 * proto_validate. State-changing commands (proto_cmd_changes_state) reach the
 * handler only from privileged peers, and only known commands reach it at all.
 * The handler fills `reply` (initialised as PROTO_REPLY, not finished) with at
 * least PROTO_A_RESULT; control.c finishes and sends it. It returns 0, or 1
 * for PROTO_CMD_WATCH to subscribe the connection to control_broadcast, or a
 * negative errno, in which case its reply is replaced by PROTO_RESULT_REFUSED
 * "internal error: ...". Or it returns CONTROL_DEFER and keeps `reply`, which
 * stays valid until it is passed to control_finish (or control_free): the
 * connection's further requests wait until then. It must not call
 * control_free, nor control_finish for this reply before it has returned. */
typedef int (*control_handler_fn)(void *arg, const struct control_peer *peer, uint16_t cmd,
                                  const uint8_t *payload, size_t len, struct proto_msg *reply);

/* Creates the socket at `socket_path` (mode 0666: read-only commands are for
 * everyone) and starts accepting on `base`. A socket file left by a dead daemon
 * is replaced; a live one fails with -EADDRINUSE, and a path that is not a
 * socket with -EEXIST. `group` may be NULL or "" (only root may change state).
 * Returns 0 or a negative errno; control_set_group's -ENOENT is not an error
 * here (the group is applied as "only root"). */
int control_new(struct event_base *base, const char *socket_path, const char *group,
                control_handler_fn fn, void *arg, struct control **out);

/* Changes the control group (on reload) and re-evaluates every connected peer.
 * Returns 0, or -ENOENT when the group does not exist (then only root is
 * privileged; applied either way, so the caller may just warn). */
int control_set_group(struct control *c, const char *group);

/* Sends a reply that the handler deferred (CONTROL_DEFER), once the handler
 * has filled it, and goes on with the connection's requests. If the client
 * has gone meanwhile, the reply is discarded. Either way `reply` is invalid
 * afterwards. A pointer that is not a pending reply is ignored. */
void control_finish(struct control *c, struct proto_msg *reply);

/* Queues a finished message (normally PROTO_EVENT) to every watcher. A watcher
 * whose queue would pass the output bound is dropped. */
void control_broadcast(struct control *c, const struct proto_msg *event);

/* Appends the socket's counters to a status reply: clients connected now and
 * of them watchers, connections accepted since start, rejected (too many open,
 * in all or of one uid) and dropped for misbehaving (malformed, idle, slow),
 * requests refused for lack of privilege, deferred replies not finished yet. */
void control_put_status(const struct control *c, struct proto_msg *reply);

/* NULL-safe. Closes every client (unsent output is discarded), frees the
 * deferred replies not finished yet (their holders must not use them after),
 * stops accepting, and unlinks the socket if it is still ours. */
void control_free(struct control *c);

#endif
