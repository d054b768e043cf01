/* smctl's side of the control socket: connect with a timeout, send the
 * request, read whole framed messages (header, then validated payload), and
 * say once why the daemon could not be reached or understood (kept in the
 * client for main to print as text or JSON). */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"
#include "smctl.h"

/* The one piece of state outside a context: a signal handler can reach
 * nothing else. Set by SIGINT/SIGTERM during watch; a read that they
 * interrupt (no SA_RESTART) sees it and ends the watch. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int unreachable(struct client *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the first reason; returns the exit code. */
static int unreachable(struct client *c, const char *code, const char *fmt, ...)
{
	va_list ap;

	if (c->code)
		return EXIT_UNREACHABLE;
	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return EXIT_UNREACHABLE;
}

/* Why connect(2) failed, in words that say what to do. */
static int connect_failed(struct client *c, const char *path, int e)
{
	struct stat st;

	if (e == EAGAIN || e == EWOULDBLOCK)
		return unreachable(c, "timeout",
		                   "smbreakd at %s is not reachable: no answer within %d s", path,
		                   SMCTL_TIMEOUT_SECS);
	if (e == ENOENT)
		return unreachable(
		    c, "no_socket",
		    "smbreakd is not reachable: no socket at %s (it is not running, "
		    "or -s names another path). Start it with: systemctl start smbreakd",
		    path);
	if (e == EACCES || e == EPERM)
		return unreachable(c, "permission",
		                   "permission denied opening %s: the socket or a directory above "
		                   "it is closed to this user",
		                   path);
	if ((e == ECONNREFUSED || e == ENOTSOCK || e == ENOTDIR) &&
	    (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)))
		return unreachable(c, "not_a_socket",
		                   "%s is not a socket%s: give -s the daemon's control socket (by "
		                   "default %s)",
		                   path,
		                   e == ENOTDIR ? " (a part of the path is not a directory)"
		                   : S_ISDIR(st.st_mode) ? " (it is a directory)"
		                   : S_ISREG(st.st_mode) ? " (it is a file)"
		                                         : "",
		                   SMB_SOCKET_PATH);
	if (e == ECONNREFUSED)
		return unreachable(c, "unreachable",
		                   "smbreakd is not reachable: nothing listens on %s (it is not "
		                   "running). Start it with: systemctl start smbreakd",
		                   path);
	return unreachable(c, "unreachable",
	                   "smbreakd is not reachable at %s: %s\n"
	                   "Is the daemon running? Start it with: systemctl start smbreakd",
	                   path, strerror(e));
}

void client_set_timeout(struct client *c, int secs)
{
	struct timeval tv = {secs, 0};

	c->timeout = secs;
	if (c->fd >= 0)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* path fits in sun_path: args_parse checked it. */
int client_connect(struct client *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {SMCTL_TIMEOUT_SECS, 0};
	int fd;

	c->fd = -1;
	c->path = path;
	c->timeout = SMCTL_TIMEOUT_SECS;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return unreachable(c, "unreachable", "socket: %s", strerror(errno));
	/* A Unix connect waits on a full backlog for SO_SNDTIMEO. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return connect_failed(c, path, e);
	}
	c->fd = fd;
	return 0;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int client_send(struct client *c, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return unreachable(c, "unreachable", "sending to smbreakd at %s: %s",
			                   c->path, n < 0 ? strerror(errno) : "nothing sent");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

void client_watch_mode(struct client *c)
{
	struct timeval none = {0, 0};
	struct sigaction sa = {.sa_handler = on_signal};

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: read returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
}

bool client_sleep(int secs)
{
	struct timespec ts = {secs, 0};

	/* A signal cuts the sleep short (no SA_RESTART) and sets the flag. */
	while (!interrupted && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return !interrupted;
}

void client_reset(struct client *c)
{
	client_close(c);
	c->code = NULL;
	c->error[0] = '\0';
}

/* Reads exactly len bytes. 0, -1 when interrupted, or an exit code. */
static int read_full(struct client *c, uint8_t *buf, size_t len, bool at_start)
{
	size_t have = 0;

	while (have < len) {
		ssize_t n = read(c->fd, buf + have, len - have);

		if (n > 0) {
			have += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			if (interrupted)
				return -1;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return unreachable(c, "timeout",
			                   "no answer from smbreakd at %s within %d s", c->path,
			                   c->timeout);
		if (n == 0 && at_start && have == 0)
			return unreachable(c, "unreachable", "smbreakd at %s closed the connection",
			                   c->path);
		return unreachable(c, "unreachable", "reading from smbreakd at %s: %s", c->path,
		                   n == 0 ? "connection closed mid-message" : strerror(errno));
	}
	return 0;
}

static void reply_init(struct reply *r, const uint8_t *payload, const struct proto_hdr *h)
{
	struct proto_attr a;

	memset(r, 0, sizeof(*r));
	r->payload = payload;
	r->len = h->len;
	r->type = h->type;
	r->result = PROTO_RESULT_OK;
	if (proto_find(r->payload, r->len, PROTO_A_RESULT, &a))
		r->result = proto_attr_u32(&a);
	if (proto_find(r->payload, r->len, PROTO_A_MESSAGE, &a))
		r->message = proto_attr_str(&a);
	r->now = time(NULL);
	if (proto_find(r->payload, r->len, PROTO_A_NOW, &a))
		r->now = proto_attr_i64(&a);
}

int client_read(struct client *c, struct reply *r)
{
	struct proto_hdr h;
	int rc;

	rc = read_full(c, c->buf, PROTO_HDR_LEN, true);
	if (rc)
		return rc;
	rc = proto_hdr_parse(c->buf, PROTO_HDR_LEN, &h);
	if (rc == -EPROTONOSUPPORT)
		return unreachable(c, "protocol",
		                   "smbreakd speaks protocol version %u, this smctl %u: "
		                   "upgrade them together",
		                   h.version, PROTO_VERSION);
	if (rc < 0)
		return unreachable(c, "protocol", "smbreakd sent a message too large (%u bytes)",
		                   h.len);
	rc = read_full(c, c->buf + PROTO_HDR_LEN, h.len, false);
	if (rc)
		return rc;
	if (proto_validate(c->buf + PROTO_HDR_LEN, h.len) < 0)
		return unreachable(c, "protocol", "smbreakd sent a malformed message");
	reply_init(r, c->buf + PROTO_HDR_LEN, &h);
	/* A signal between two reads ends the watch before the next message. */
	return interrupted ? -1 : 0;
}
