/* smctl's side of the control socket: connect with a timeout, send the
 * request, read whole framed messages (header, then validated payload), and
 * say on stderr, once, why the daemon could not be reached or understood. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

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

static int unreachable(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int unreachable(const char *fmt, ...)
{
	va_list ap;

	fputs("smctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_UNREACHABLE;
}

/* path fits in sun_path: args_parse checked it. */
int client_connect(struct client *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {SMCTL_TIMEOUT_SECS, 0};
	int fd;

	c->fd = -1;
	c->path = path;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return unreachable("socket: %s", strerror(errno));
	/* A Unix connect waits on a full backlog for SO_SNDTIMEO. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		if (e == EAGAIN || e == EWOULDBLOCK)
			return unreachable("smbreakd at %s is not reachable: no answer within %d s",
			                   path, SMCTL_TIMEOUT_SECS);
		return unreachable("smbreakd is not reachable at %s: %s\n"
		                   "Is the daemon running? Start it with: systemctl start smbreakd",
		                   path, strerror(e));
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
			return unreachable("sending to smbreakd at %s: %s", c->path,
			                   n < 0 ? strerror(errno) : "nothing sent");
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
			return unreachable("no answer from smbreakd at %s within %d s", c->path,
			                   SMCTL_TIMEOUT_SECS);
		if (n == 0 && at_start && have == 0)
			return unreachable("smbreakd at %s closed the connection", c->path);
		return unreachable("reading from smbreakd at %s: %s", c->path,
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
		return unreachable("smbreakd speaks protocol version %u, this smctl %u: "
		                   "upgrade them together",
		                   h.version, PROTO_VERSION);
	if (rc < 0)
		return unreachable("smbreakd sent a message too large (%u bytes)", h.len);
	rc = read_full(c, c->buf + PROTO_HDR_LEN, h.len, false);
	if (rc)
		return rc;
	if (proto_validate(c->buf + PROTO_HDR_LEN, h.len) < 0)
		return unreachable("smbreakd sent a malformed message");
	reply_init(r, c->buf + PROTO_HDR_LEN, &h);
	/* A signal between two reads ends the watch before the next message. */
	return interrupted ? -1 : 0;
}
