/* The control socket server (see control.h). Each connection is a libevent
 * bufferevent on a nonblocking socket: its read high watermark bounds the
 * input kept per connection, replies queue in its output buffer when the
 * socket would block, and a per-connection timer drops clients that do not
 * complete a request in time, so no client can block the loop or grow memory
 * without bound. The listening socket is a plain event, so that running out of
 * file descriptors pauses accepting instead of spinning. */
#include "control.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"

/* Every bound of the control socket, in one place. */
/* Connections open at once; more are told "busy" and closed at accept. */
#define CONTROL_CLIENTS_MAX 64
/* Of which one uid may hold; so one local user cannot lock out the others
 * (root's smctl included) by opening connections and sitting on them. */
#define CONTROL_CLIENTS_PER_UID (CONTROL_CLIENTS_MAX / 2)
/* Input kept per connection: one whole message of the largest size. Reading
 * stops while this much is buffered, so a flood costs nothing beyond it. */
#define CONTROL_IN_MAX PROTO_MSG_MAX
/* Queued output at which a connection's requests stop being read until the
 * client has read its replies (pipelining without reading). */
#define CONTROL_OUT_PAUSE PROTO_MSG_MAX
/* Queued output a watcher may have; an event that would pass it drops the
 * watcher (it does not read). Above CONTROL_OUT_PAUSE + PROTO_MSG_MAX, so a
 * reply alone never hits it. */
#define CONTROL_OUT_MAX (3 * PROTO_MSG_MAX)
/* Seconds a connection may go without completing a request (watchers are
 * exempt once subscribed), and that a closing one gets to read its error. */
#define CONTROL_IDLE_SECS 10
/* Connections accepted per wake-up, so a burst cannot starve other events. */
#define CONTROL_ACCEPT_BURST 32
/* Pause in accepting after running out of file descriptors. */
#define CONTROL_ACCEPT_BACKOFF_MS 500
#define CONTROL_BACKLOG           128
/* Replies deferred by the handler (CONTROL_DEFER) and not finished yet. A
 * connection has at most one, as its requests wait for it; this bounds those
 * whose client has gone. Beyond it requests are answered "busy". */
#define CONTROL_PENDING_MAX CONTROL_CLIENTS_MAX

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

/* A reply the handler holds. It outlives its client, which may go away
 * before the handler finishes it. */
struct pending {
	TAILQ_ENTRY(pending) entry;
	struct client *cl; /* NULL once the client is gone: the reply is discarded */
	struct proto_msg msg;
};

struct client {
	TAILQ_ENTRY(client) entry;
	struct control *ctl;
	struct bufferevent *bev;
	struct event *timer;
	struct control_peer peer;
	struct pending *pending; /* a deferred reply: requests wait for it */
	bool watching;
	bool closing; /* sending a last error, then free */
	bool eof;     /* the client has shut down its side: answer, then free */
	bool busy;    /* inside client_process: freeing is deferred */
	bool dead;    /* to be freed when no longer busy */
};

struct control {
	struct event_base *base;
	char *path;
	int fd;
	dev_t dev; /* of the socket file, to unlink only our own */
	ino_t ino;
	struct event *accept_ev;
	struct event *backoff_ev;
	control_handler_fn fn;
	void *arg;
	char group[64];
	bool have_gid;
	gid_t gid;
	TAILQ_HEAD(, client) clients;
	unsigned n_clients;
	unsigned n_watchers;
	TAILQ_HEAD(, pending) pending;
	unsigned n_pending;
	/* Where the handler builds a reply; taken by a deferring handler, kept
	 * for the next request otherwise. */
	struct pending *spare;
	struct {
		uint64_t accepted; /* connections served since start */
		uint64_t rejected; /* refused: too many open, in all or of one uid */
		uint64_t dropped;  /* closed for misbehaving (malformed, idle, slow) */
		uint64_t refused;  /* requests refused for lack of privilege */
	} stats;
	struct proto_msg reply; /* built in place; 64 KiB, too big for the stack */
};

static void client_process(struct client *cl);

static void client_free(struct client *cl)
{
	struct control *c = cl->ctl;

	TAILQ_REMOVE(&c->clients, cl, entry);
	c->n_clients--;
	if (cl->watching)
		c->n_watchers--;
	if (cl->pending)
		cl->pending->cl = NULL;
	if (cl->timer)
		event_free(cl->timer);
	bufferevent_free(cl->bev);
	free(cl);
}

/* Frees now, or once the client's own callback returns. */
static void client_drop(struct client *cl)
{
	if (cl->busy)
		cl->dead = true;
	else
		client_free(cl);
}

static void client_log_drop(const struct client *cl, const char *why)
{
	cl->ctl->stats.dropped++;
	log_debug("control: dropping client pid %d uid %u: %s", (int)cl->peer.pid,
	          (unsigned)cl->peer.uid, why);
}

static void client_arm_timer(struct client *cl)
{
	struct timeval tv = {CONTROL_IDLE_SECS, 0};

	evtimer_add(cl->timer, &tv);
}

static int client_send(struct client *cl, const struct proto_msg *m, size_t len)
{
	return bufferevent_write(cl->bev, m->buf, len);
}

/* Answers with a final USAGE error, then closes once it is sent (or when the
 * idle timer fires, if the client does not read it). */
static void client_fail(struct client *cl, const char *why)
{
	struct proto_msg *r = &cl->ctl->reply;
	int n;

	client_log_drop(cl, why);
	proto_msg_init(r, PROTO_REPLY);
	proto_put_u32(r, PROTO_A_RESULT, PROTO_RESULT_USAGE);
	proto_put_str(r, PROTO_A_MESSAGE, why);
	n = proto_msg_finish(r);
	cl->closing = true;
	bufferevent_disable(cl->bev, EV_READ);
	evbuffer_drain(bufferevent_get_input(cl->bev),
	               evbuffer_get_length(bufferevent_get_input(cl->bev)));
	if (n < 0 || client_send(cl, r, (size_t)n) < 0) {
		client_drop(cl);
		return;
	}
	client_arm_timer(cl);
}

static const char *cmd_gerund(uint16_t cmd)
{
	switch (cmd) {
	case PROTO_CMD_PAUSE:
		return "pausing";
	case PROTO_CMD_RESUME:
		return "resuming";
	case PROTO_CMD_SKIP:
		return "skipping a break";
	case PROTO_CMD_RELOAD:
		return "reloading";
	default:
		return "this command";
	}
}

static void refuse(struct control *c, const struct client *cl, uint16_t cmd, struct proto_msg *r)
{
	char msg[256];

	if (c->have_gid)
		snprintf(msg, sizeof(msg),
		         "permission denied: %s needs root or membership of group '%s'",
		         cmd_gerund(cmd), c->group);
	else if (c->group[0])
		snprintf(msg, sizeof(msg),
		         "permission denied: %s needs root (the control group '%s' does not "
		         "exist)",
		         cmd_gerund(cmd), c->group);
	else
		snprintf(msg, sizeof(msg), "permission denied: %s needs root", cmd_gerund(cmd));
	c->stats.refused++;
	log_info("control: refused %s from uid %u pid %d: not root or in the control group",
	         proto_cmd_name(cmd), (unsigned)cl->peer.uid, (int)cl->peer.pid);
	proto_put_u32(r, PROTO_A_RESULT, PROTO_RESULT_REFUSED);
	proto_put_str(r, PROTO_A_MESSAGE, msg);
	/* smctl tells the user how to join it, from its own view of the groups. */
	if (c->have_gid)
		proto_put_str(r, PROTO_A_GROUP, c->group);
}

static void reply_error(struct proto_msg *r, uint32_t result, const char *msg)
{
	proto_msg_init(r, PROTO_REPLY);
	proto_put_u32(r, PROTO_A_RESULT, result);
	proto_put_str(r, PROTO_A_MESSAGE, msg);
}

/* Finishes and queues a reply; on failure the client is dropped and -1
 * returned. */
static int client_reply(struct client *cl, struct proto_msg *r)
{
	int n = proto_msg_finish(r);

	if (n < 0) {
		reply_error(r, PROTO_RESULT_REFUSED, "internal error: reply too large");
		n = proto_msg_finish(r);
	}
	if (client_send(cl, r, (size_t)n) < 0) {
		client_log_drop(cl, "out of memory queueing a reply");
		client_drop(cl);
		return -1;
	}
	return 0;
}

/* One valid request: decide who answers it, then queue the reply, or keep it
 * pending when the handler defers it. */
static void client_request(struct client *cl, uint16_t cmd, const uint8_t *payload, size_t len)
{
	struct control *c = cl->ctl;
	struct pending *p = c->spare;
	struct proto_msg *r;
	char msg[128];
	int rc;

	if (!p)
		p = c->spare = malloc(sizeof(*p));
	if (!p) {
		reply_error(&c->reply, PROTO_RESULT_REFUSED, "internal error: out of memory");
		client_reply(cl, &c->reply);
		return;
	}
	r = &p->msg;
	proto_msg_init(r, PROTO_REPLY);
	if (!proto_cmd_name(cmd)) {
		snprintf(msg, sizeof(msg), "unknown command %u (smctl and smbreakd differ?)",
		         (unsigned)cmd);
		reply_error(r, PROTO_RESULT_USAGE, msg);
	} else if (proto_cmd_changes_state(cmd) && !cl->peer.privileged) {
		refuse(c, cl, cmd, r);
	} else if (c->n_pending >= CONTROL_PENDING_MAX) {
		log_debug("control: %d replies pending, refusing %s from pid %d",
		          CONTROL_PENDING_MAX, proto_cmd_name(cmd), (int)cl->peer.pid);
		reply_error(r, PROTO_RESULT_REFUSED,
		            "busy: too many requests waiting for an answer, try again");
	} else {
		rc = c->fn(c->arg, &cl->peer, cmd, payload, len, r);
		if (rc == CONTROL_DEFER) {
			c->spare = NULL;
			p->cl = cl;
			cl->pending = p;
			TAILQ_INSERT_TAIL(&c->pending, p, entry);
			c->n_pending++;
			/* Waiting on us is not idling. */
			evtimer_del(cl->timer);
			return;
		}
		if (rc < 0) {
			snprintf(msg, sizeof(msg), "internal error: %s", strerror(-rc));
			reply_error(r, PROTO_RESULT_REFUSED, msg);
		} else if (rc == 1 && cmd == PROTO_CMD_WATCH && !cl->watching) {
			cl->watching = true;
			c->n_watchers++;
			evtimer_del(cl->timer);
		}
	}
	client_reply(cl, r);
}

/* Handles every complete request in the input buffer, in order. The checks
 * come in a fixed order: header length, version, size bound, whole message
 * present, payload validation, then the command. */
static void client_process(struct client *cl)
{
	struct evbuffer *in = bufferevent_get_input(cl->bev);
	struct evbuffer *out = bufferevent_get_output(cl->bev);

	cl->busy = true;
	while (!cl->closing && !cl->dead) {
		uint8_t hdr_buf[PROTO_HDR_LEN];
		struct proto_hdr h;
		const uint8_t *msg;
		size_t avail = evbuffer_get_length(in);
		int rc;

		/* Resumed by control_finish. */
		if (cl->pending)
			break;
		/* Resumed by write_cb once the client has read its replies. */
		if (evbuffer_get_length(out) >= CONTROL_OUT_PAUSE)
			break;
		if (avail < PROTO_HDR_LEN)
			break;
		evbuffer_copyout(in, hdr_buf, PROTO_HDR_LEN);
		rc = proto_hdr_parse(hdr_buf, PROTO_HDR_LEN, &h);
		if (rc == -EPROTONOSUPPORT) {
			client_fail(cl, "protocol version");
			break;
		}
		if (rc < 0) {
			client_fail(cl, "request too large");
			break;
		}
		if (avail - PROTO_HDR_LEN < h.len)
			break;
		msg = evbuffer_pullup(in, (ssize_t)(PROTO_HDR_LEN + h.len));
		if (!msg) {
			client_log_drop(cl, "out of memory");
			client_drop(cl);
			break;
		}
		if (proto_validate(msg + PROTO_HDR_LEN, h.len) < 0) {
			client_fail(cl, "malformed request");
			break;
		}
		client_request(cl, h.type, msg + PROTO_HDR_LEN, h.len);
		evbuffer_drain(in, PROTO_HDR_LEN + h.len);
		if (!cl->watching && !cl->closing && !cl->pending)
			client_arm_timer(cl);
	}
	cl->busy = false;
	if (cl->dead)
		client_free(cl);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_process(arg);
}

/* A client that has shut down its side is done once its replies are sent. A
 * watcher's EOF ends it at once: that is how `smctl watch` goes away, and
 * waiting for the next event to fail would hold a client slot meanwhile. */
static bool client_finished(struct client *cl)
{
	return cl->eof && !cl->pending &&
	       (cl->watching || evbuffer_get_length(bufferevent_get_output(cl->bev)) == 0);
}

/* Called when the output buffer has drained completely. */
static void write_cb(struct bufferevent *bev, void *arg)
{
	struct client *cl = arg;

	(void)bev;
	if (cl->closing) {
		client_free(cl);
		return;
	}
	client_process(cl); /* requests held back while replies were unread */
	if (!cl->dead && client_finished(cl))
		client_free(cl);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client *cl = arg;

	/* A client may half-close after its requests and still read the replies. */
	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) && !cl->closing) {
		cl->eof = true;
		bufferevent_disable(bev, EV_READ);
		if (client_finished(cl))
			client_free(cl);
		return;
	}
	if (what & BEV_EVENT_ERROR)
		log_debug("control: client pid %d: %s", (int)cl->peer.pid, strerror(errno));
	client_free(cl);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct client *cl = arg;

	(void)fd;
	(void)what;
	/* A closing client was counted and logged when it failed. */
	if (!cl->closing)
		client_log_drop(cl, cl->eof ? "did not read its replies" : "idle timeout");
	client_free(cl);
}

static bool peer_in_group(int fd, gid_t gid)
{
	gid_t small[64], *gids = small;
	socklen_t len = sizeof(small);
	bool found = false;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len) < 0) {
		if (errno != ERANGE || len == 0)
			return false;
		gids = malloc(len);
		if (!gids || getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, gids, &len) < 0) {
			free(gids);
			return false;
		}
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (gids[i] == gid)
			found = true;
	if (gids != small)
		free(gids);
	return found;
}

static bool peer_privileged(const struct control *c, int fd, const struct control_peer *p)
{
	if (p->uid == 0)
		return true;
	if (!c->have_gid)
		return false;
	return p->gid == c->gid || peer_in_group(fd, c->gid);
}

/* Best effort, on a fresh socket whose buffer is empty: a "busy" answer that
 * smctl can print instead of a bare EOF. */
static void reject_busy(struct control *c, int fd)
{
	struct proto_msg *r = &c->reply;
	int n;

	reply_error(r, PROTO_RESULT_REFUSED, "busy: too many control connections, try again");
	n = proto_msg_finish(r);
	if (n > 0 && send(fd, r->buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("control: busy answer not sent: %s", strerror(errno));
	close(fd);
}

static unsigned clients_of_uid(const struct control *c, uid_t uid)
{
	const struct client *cl;
	unsigned n = 0;

	TAILQ_FOREACH(cl, &c->clients, entry)
	n += cl->peer.uid == uid;
	return n;
}

static void client_new(struct control *c, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct client *cl;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_debug("control: no peer credentials: %s", strerror(errno));
		close(fd);
		return;
	}
	if (clients_of_uid(c, cred.uid) >= CONTROL_CLIENTS_PER_UID) {
		c->stats.rejected++;
		log_debug("control: uid %u has %d connections, refusing one more",
		          (unsigned)cred.uid, CONTROL_CLIENTS_PER_UID);
		reject_busy(c, fd);
		return;
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return;
	}
	cl->ctl = c;
	cl->peer.uid = cred.uid;
	cl->peer.gid = cred.gid;
	cl->peer.pid = cred.pid;
	cl->peer.privileged = peer_privileged(c, fd, &cl->peer);
	cl->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!cl->bev) {
		close(fd);
		free(cl);
		return;
	}
	cl->timer = evtimer_new(c->base, timer_cb, cl);
	TAILQ_INSERT_TAIL(&c->clients, cl, entry);
	c->n_clients++;
	if (!cl->timer) {
		client_free(cl);
		return;
	}
	bufferevent_setwatermark(cl->bev, EV_READ, 0, CONTROL_IN_MAX);
	bufferevent_setcb(cl->bev, read_cb, write_cb, event_cb, cl);
	if (bufferevent_enable(cl->bev, EV_READ | EV_WRITE) < 0) {
		client_free(cl);
		return;
	}
	client_arm_timer(cl);
	c->stats.accepted++;
}

static void backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *c = arg;

	(void)fd;
	(void)what;
	event_add(c->accept_ev, NULL);
}

static void accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control *c = arg;

	(void)what;
	for (int i = 0; i < CONTROL_ACCEPT_BURST; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				struct timeval tv = {0, CONTROL_ACCEPT_BACKOFF_MS * 1000};

				/* EMFILE and friends stay until something closes:
				 * stop listening for a moment instead of spinning. */
				log_warn("control: accept failed: %s; pausing for %d ms",
				         strerror(errno), CONTROL_ACCEPT_BACKOFF_MS);
				event_del(c->accept_ev);
				evtimer_add(c->backoff_ev, &tv);
			}
			return;
		}
		if (c->n_clients >= CONTROL_CLIENTS_MAX) {
			c->stats.rejected++;
			log_debug("control: %d clients connected, refusing one more",
			          CONTROL_CLIENTS_MAX);
			reject_busy(c, fd);
			continue;
		}
		client_new(c, fd);
	}
}

/* The socket path exists: replace it only if it is a socket nobody listens on
 * (a daemon that died), never a live daemon's socket or some other file. */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int probe, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	/* Nonblocking: a live daemon with a full backlog answers EAGAIN. */
	rc = connect(probe, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	close(probe);
	if (rc == 0 || rc == -EAGAIN || rc == -EINPROGRESS)
		return -EADDRINUSE;
	if (rc != -ECONNREFUSED && rc != -ENOENT)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_socket(struct control *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, rc;

	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (int attempt = 0;; attempt++) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		rc = -errno;
		if (rc != -EADDRINUSE || attempt > 0)
			goto fail;
		rc = remove_stale(path, &sa);
		if (rc < 0)
			goto fail;
	}
	/* Every local user may connect; privilege is judged per request. */
	if (chmod(path, 0666) < 0 || listen(fd, CONTROL_BACKLOG) < 0 || stat(path, &st) < 0) {
		rc = -errno;
		unlink(path);
		goto fail;
	}
	c->fd = fd;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return 0;
fail:
	close(fd);
	return rc;
}

int control_set_group(struct control *c, const char *group)
{
	struct group *gr = NULL;
	struct client *cl;
	int rc = 0;

	c->have_gid = false;
	c->group[0] = 0;
	if (group && *group) {
		snprintf(c->group, sizeof(c->group), "%s", group);
		errno = 0;
		gr = getgrnam(group);
		if (gr) {
			c->have_gid = true;
			c->gid = gr->gr_gid;
		} else {
			rc = errno && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
		}
	}
	TAILQ_FOREACH(cl, &c->clients, entry)
	cl->peer.privileged = peer_privileged(c, bufferevent_getfd(cl->bev), &cl->peer);
	return rc;
}

int control_new(struct event_base *base, const char *socket_path, const char *group,
                control_handler_fn fn, void *arg, struct control **out)
{
	struct control *c;
	int rc;

	if (!base || !fn || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	c->fd = -1;
	c->fn = fn;
	c->arg = arg;
	TAILQ_INIT(&c->clients);
	TAILQ_INIT(&c->pending);
	c->path = strdup(socket_path ? socket_path : "");
	if (!c->path) {
		rc = -ENOMEM;
		goto fail;
	}
	(void)control_set_group(c, group);
	rc = listen_socket(c, c->path);
	if (rc < 0)
		goto fail;
	c->accept_ev = event_new(base, c->fd, EV_READ | EV_PERSIST, accept_cb, c);
	c->backoff_ev = evtimer_new(base, backoff_cb, c);
	if (!c->accept_ev || !c->backoff_ev || event_add(c->accept_ev, NULL) < 0) {
		rc = -ENOMEM;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	control_free(c);
	return rc;
}

void control_broadcast(struct control *c, const struct proto_msg *event)
{
	struct client *cl, *next;
	size_t len;

	if (!c || event->err || event->len < PROTO_HDR_LEN)
		return;
	len = event->len;
	for (cl = TAILQ_FIRST(&c->clients); cl; cl = next) {
		next = TAILQ_NEXT(cl, entry);
		if (!cl->watching || cl->closing || cl->dead)
			continue;
		if (evbuffer_get_length(bufferevent_get_output(cl->bev)) + len > CONTROL_OUT_MAX) {
			client_log_drop(cl, "watcher does not read its events");
			client_drop(cl);
			continue;
		}
		if (bufferevent_write(cl->bev, event->buf, len) < 0) {
			client_log_drop(cl, "out of memory queueing an event");
			client_drop(cl);
		}
	}
}

void control_finish(struct control *c, struct proto_msg *reply)
{
	struct pending *p;
	struct client *cl;

	TAILQ_FOREACH(p, &c->pending, entry)
	if (&p->msg == reply)
		break;
	if (!p)
		return;
	TAILQ_REMOVE(&c->pending, p, entry);
	c->n_pending--;
	cl = p->cl;
	if (cl) {
		cl->pending = NULL;
		if (cl->dead || cl->closing || client_reply(cl, &p->msg) < 0)
			cl = NULL;
	}
	if (!c->spare)
		c->spare = p;
	else
		free(p);
	/* Inside its own callback the client's loop goes on by itself. */
	if (!cl || cl->busy)
		return;
	if (!cl->watching)
		client_arm_timer(cl);
	client_process(cl); /* the requests that waited; may free cl */
}

void control_put_status(const struct control *c, struct proto_msg *reply)
{
	proto_put_counter(reply, "clients", c->n_clients);
	proto_put_counter(reply, "watchers", c->n_watchers);
	proto_put_counter(reply, "clients_accepted", c->stats.accepted);
	proto_put_counter(reply, "clients_rejected", c->stats.rejected);
	proto_put_counter(reply, "clients_dropped", c->stats.dropped);
	proto_put_counter(reply, "requests_refused", c->stats.refused);
	proto_put_counter(reply, "replies_pending", c->n_pending);
}

void control_free(struct control *c)
{
	struct client *cl;
	struct pending *p;
	struct stat st;

	if (!c)
		return;
	while ((cl = TAILQ_FIRST(&c->clients)))
		client_free(cl);
	while ((p = TAILQ_FIRST(&c->pending))) {
		TAILQ_REMOVE(&c->pending, p, entry);
		free(p);
	}
	free(c->spare);
	if (c->accept_ev)
		event_free(c->accept_ev);
	if (c->backoff_ev)
		event_free(c->backoff_ev);
	if (c->fd >= 0) {
		/* Another daemon may have replaced the file since: leave that one. */
		if (stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
			unlink(c->path);
		close(c->fd);
	}
	free(c->path);
	free(c);
}
