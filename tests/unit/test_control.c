/* Unit tests of the control socket server, on a real Unix socket in a temporary
 * directory with a test handler: request/reply framing and order, refusals of
 * malformed input, privilege from peer credentials (with forked clients that
 * drop to another uid, when run as root), the client bound, watchers and their
 * output bound, back-pressure, half-close, the idle timeout, replies the
 * handler defers (CONTROL_DEFER) and clients that go before them, the
 * counters it reports for status, and the socket file's life cycle. */
#include "check.h"
#include "control.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#define BLOB_TYPE 999 /* an attribute type unknown to proto, for bulk replies */

static struct event_base *base;
static struct control *ctl;
static char sock_path[108];
static int handler_calls;
static struct control_peer last_peer;
static uint8_t blob[32768];
/* Replies the handler deferred, in order; the handler defers `services`. */
#define DEFER_CMD PROTO_CMD_SERVICES
static struct proto_msg *deferred[80];
static int n_deferred;

static int handler(void *arg, const struct control_peer *peer, uint16_t cmd, const uint8_t *payload,
                   size_t len, struct proto_msg *reply)
{
	struct proto_attr a;

	(void)arg;
	handler_calls++;
	last_peer = *peer;
	if (cmd == PROTO_CMD_LISTS)
		return -EIO;
	if (cmd == DEFER_CMD && n_deferred < (int)(sizeof(deferred) / sizeof(deferred[0]))) {
		deferred[n_deferred++] = reply;
		return CONTROL_DEFER;
	}
	proto_put_u32(reply, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_u64(reply, PROTO_A_VALUE, cmd);
	if (proto_find(payload, len, PROTO_A_DAYS, &a))
		proto_put_u64(reply, PROTO_A_DAYS, proto_attr_u32(&a));
	if (cmd == PROTO_CMD_STATS)
		proto_put(reply, BLOB_TYPE, blob, sizeof(blob));
	return cmd == PROTO_CMD_WATCH ? 1 : 0;
}

/* The counters control_put_status adds to a status reply, read back by name. */
struct stats {
	uint64_t clients, watchers, accepted, rejected, dropped, refused, pending;
};

static void get_stats(struct stats *st)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
	    {"clients", offsetof(struct stats, clients)},
	    {"watchers", offsetof(struct stats, watchers)},
	    {"clients_accepted", offsetof(struct stats, accepted)},
	    {"clients_rejected", offsetof(struct stats, rejected)},
	    {"clients_dropped", offsetof(struct stats, dropped)},
	    {"requests_refused", offsetof(struct stats, refused)},
	    {"replies_pending", offsetof(struct stats, pending)},
	};
	static struct proto_msg m; /* 64 KiB, too big for the stack */
	struct proto_iter it, ni;
	struct proto_attr a, f;
	size_t found = 0;

	memset(st, 0xff, sizeof(*st));
	proto_msg_init(&m, PROTO_REPLY);
	control_put_status(ctl, &m);
	CHECK(proto_msg_finish(&m) > 0);
	proto_iter_init(&it, m.buf + PROTO_HDR_LEN, m.len - PROTO_HDR_LEN);
	while (proto_iter_next(&it, &a)) {
		const char *name = "";
		uint64_t value = 0;

		CHECK_INT(a.type, PROTO_A_COUNTER);
		proto_attr_nest(&a, &ni);
		while (proto_iter_next(&ni, &f)) {
			if (f.type == PROTO_A_NAME)
				name = proto_attr_str(&f);
			else if (f.type == PROTO_A_VALUE)
				value = proto_attr_u64(&f);
		}
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(name, names[i].name) == 0) {
				memcpy((char *)st + names[i].off, &value, sizeof(value));
				found++;
			}
	}
	CHECK_INT(found, sizeof(names) / sizeof(names[0]));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pump(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		exit(99);
	}
	return fd;
}

/* Sends everything, running the loop while the socket is full. */
static void send_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			pump(5);
			continue;
		}
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static void send_req(int fd, uint16_t cmd, uint32_t days)
{
	static struct proto_msg m;
	int n;

	proto_msg_init(&m, cmd);
	if (days)
		proto_put_u32(&m, PROTO_A_DAYS, days);
	n = proto_msg_finish(&m);
	send_all(fd, m.buf, (size_t)n);
}

/* Reads one whole message into m->buf, running the loop meanwhile. Returns its
 * length, 0 on EOF, -1 on timeout. */
static int recv_msg(int fd, struct proto_msg *m, int timeout_ms)
{
	size_t have = 0, want = PROTO_HDR_LEN;
	double deadline = now_s() + timeout_ms / 1000.0;

	while (have < want) {
		ssize_t n = recv(fd, m->buf + have, want - have, 0);

		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno != EAGAIN)
				return 0;
			if (now_s() > deadline)
				return -1;
			pump(2);
			continue;
		}
		have += (size_t)n;
		if (have == PROTO_HDR_LEN) {
			struct proto_hdr h;

			if (proto_hdr_parse(m->buf, have, &h) < 0)
				return -1;
			want = PROTO_HDR_LEN + h.len;
		}
	}
	m->len = have;
	return (int)have;
}

static uint32_t result_of(const struct proto_msg *m)
{
	struct proto_attr a;

	if (proto_validate(m->buf + PROTO_HDR_LEN, m->len - PROTO_HDR_LEN) < 0 ||
	    !proto_find(m->buf + PROTO_HDR_LEN, m->len - PROTO_HDR_LEN, PROTO_A_RESULT, &a))
		return 99;
	return proto_attr_u32(&a);
}

static const char *message_of(const struct proto_msg *m)
{
	struct proto_attr a;

	if (!proto_find(m->buf + PROTO_HDR_LEN, m->len - PROTO_HDR_LEN, PROTO_A_MESSAGE, &a))
		return "";
	return proto_attr_str(&a);
}

static uint64_t u64_of(const struct proto_msg *m, uint16_t type)
{
	struct proto_attr a;

	if (!proto_find(m->buf + PROTO_HDR_LEN, m->len - PROTO_HDR_LEN, type, &a))
		return UINT64_MAX;
	return proto_attr_u64(&a);
}

static struct proto_msg rm;

static void test_basic(void)
{
	int fd = client();
	int calls = handler_calls;

	send_req(fd, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_OK);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), PROTO_CMD_STATUS);
	CHECK_INT(handler_calls, calls + 1);
	CHECK_INT(last_peer.uid, getuid());
	CHECK_INT(last_peer.gid, getgid());
	CHECK_INT(last_peer.pid, getpid());
	CHECK_INT(last_peer.privileged, getuid() == 0);

	/* Pipelined requests, in one write, answered in order. */
	{
		static struct proto_msg m;
		uint8_t buf[256];
		size_t len = 0;

		for (uint32_t d = 1; d <= 5; d++) {
			proto_msg_init(&m, PROTO_CMD_SCHEDULE);
			proto_put_u32(&m, PROTO_A_DAYS, d);
			int n = proto_msg_finish(&m);
			memcpy(buf + len, m.buf, (size_t)n);
			len += (size_t)n;
		}
		send_all(fd, buf, len);
		for (uint32_t d = 1; d <= 5; d++) {
			CHECK(recv_msg(fd, &rm, 2000) > 0);
			CHECK_INT(u64_of(&rm, PROTO_A_DAYS), d);
		}
	}

	/* Byte by byte is fine too. */
	{
		static struct proto_msg m;
		int n;

		proto_msg_init(&m, PROTO_CMD_SCHEDULE);
		proto_put_u32(&m, PROTO_A_DAYS, 9);
		n = proto_msg_finish(&m);
		for (int i = 0; i < n; i++) {
			send_all(fd, m.buf + i, 1);
			pump(1);
		}
		CHECK(recv_msg(fd, &rm, 2000) > 0);
		CHECK_INT(u64_of(&rm, PROTO_A_DAYS), 9);
	}

	/* Unknown commands and replies sent as requests: usage, connection kept. */
	calls = handler_calls;
	send_req(fd, 77, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_USAGE);
	send_req(fd, PROTO_REPLY, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_USAGE);
	CHECK_INT(handler_calls, calls);

	/* A failing handler becomes an internal error. */
	send_req(fd, PROTO_CMD_LISTS, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_REFUSED);
	CHECK(strstr(message_of(&rm), "internal error") != NULL);

	send_req(fd, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_OK);
	close(fd);
}

/* Each malformed shape gets a USAGE answer and the connection closed. */
static void test_malformed(void)
{
	struct {
		const char *name;
		uint16_t version;
		uint32_t len;
		const char *payload;
		size_t payload_len;
		const char *want;
	} cases[] = {
	    {"bad version", PROTO_VERSION + 1, 0, "", 0, "protocol version"},
	    {"huge length", PROTO_VERSION, 0xfffffff0u, "", 0, "request too large"},
	    {"just too long", PROTO_VERSION, PROTO_MSG_MAX - PROTO_HDR_LEN + 1, "", 0,
	     "request too large"},
	    {"bad attribute", PROTO_VERSION, 4, "\x02\x00\x07\x00", 4, "malformed request"},
	    {"string without NUL", PROTO_VERSION, 8,
	     "\x07\x00\x06\x00"
	     "abc\x00",
	     8, "malformed request"},
	};
	struct stats st0, st1;

	get_stats(&st0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		uint16_t type = PROTO_CMD_STATUS;
		int fd = client(), calls = handler_calls;

		memcpy(buf, &cases[i].version, 2);
		memcpy(buf + 2, &type, 2);
		memcpy(buf + 4, &cases[i].len, 4);
		memcpy(buf + 8, cases[i].payload, cases[i].payload_len);
		send_all(fd, buf, 8 + cases[i].payload_len);
		/* Followed by a good request, which must not be answered. */
		send_req(fd, PROTO_CMD_STATUS, 0);
		if (recv_msg(fd, &rm, 2000) <= 0) {
			CHECK_STR(cases[i].name, "answered");
			continue;
		}
		CHECK_INT(result_of(&rm), PROTO_RESULT_USAGE);
		CHECK_STR(message_of(&rm), cases[i].want);
		CHECK_INT(recv_msg(fd, &rm, 2000), 0);
		CHECK_INT(handler_calls, calls);
		close(fd);
	}
	get_stats(&st1);
	CHECK_INT(st1.dropped - st0.dropped, sizeof(cases) / sizeof(cases[0]));
}

/* Drops to uid/gid 65534 (with `extra` as its only supplementary group) and
 * asks to pause; exits 0 if the answer is `want`. */
static pid_t child_pause(gid_t extra, bool use_extra, uint32_t want)
{
	pid_t pid = fork();

	if (pid == 0) {
		static struct proto_msg m;
		int fd, n, flags;
		uint32_t len;

		if (setgroups(use_extra ? 1 : 0, &extra) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(90);
		fd = client();
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
		proto_msg_init(&m, PROTO_CMD_PAUSE);
		n = proto_msg_finish(&m);
		if (send(fd, m.buf, (size_t)n, 0) != n)
			_exit(91);
		/* Blocking reads: the parent runs the loop. */
		if (recv(fd, m.buf, PROTO_HDR_LEN, MSG_WAITALL) != PROTO_HDR_LEN)
			_exit(92);
		memcpy(&len, m.buf + 4, 4);
		if (len > PROTO_MSG_MAX - PROTO_HDR_LEN ||
		    recv(fd, m.buf + PROTO_HDR_LEN, len, MSG_WAITALL) != (ssize_t)len)
			_exit(92);
		m.len = PROTO_HDR_LEN + len;
		if (result_of(&m) != want)
			_exit(93);
		if (want == PROTO_RESULT_REFUSED &&
		    !strstr(message_of(&m), "permission denied: pausing needs root"))
			_exit(94);
		_exit(0);
	}
	return pid;
}

static int wait_child(pid_t pid)
{
	int status;
	double deadline = now_s() + 5;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		pump(5);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_privilege(void)
{
	struct stats st0, st1;
	int calls;

	if (getuid() != 0) {
		printf("not root: privilege checks with other uids skipped\n");
		return;
	}
	get_stats(&st0);
	calls = handler_calls;
	/* The default group of this test does not exist: only root. */
	CHECK_INT(wait_child(child_pause(0, false, PROTO_RESULT_REFUSED)), 0);
	CHECK_INT(handler_calls, calls);
	get_stats(&st1);
	CHECK_INT(st1.refused, st0.refused + 1);

	/* Group by primary gid (nogroup is 65534 on Debian). */
	if (getgrgid(65534)) {
		CHECK_INT(control_set_group(ctl, getgrgid(65534)->gr_name), 0);
		CHECK_INT(wait_child(child_pause(0, false, PROTO_RESULT_OK)), 0);
		CHECK_INT(handler_calls, calls + 1);
		CHECK_INT(last_peer.uid, 65534);
		CHECK(last_peer.privileged);
	}
	/* Group by supplementary membership only. */
	if (getgrgid(1)) {
		CHECK_INT(control_set_group(ctl, getgrgid(1)->gr_name), 0);
		CHECK_INT(wait_child(child_pause(1, true, PROTO_RESULT_OK)), 0);
		CHECK_INT(wait_child(child_pause(0, false, PROTO_RESULT_REFUSED)), 0);
	}
	CHECK_INT(control_set_group(ctl, "smb-no-such-group"), -ENOENT);
	CHECK_INT(wait_child(child_pause(0, false, PROTO_RESULT_REFUSED)), 0);
	CHECK_INT(control_set_group(ctl, NULL), 0);
	CHECK_INT(wait_child(child_pause(1, true, PROTO_RESULT_REFUSED)), 0);
}

/* A child under `uid` opens n connections, asks for the status on each, and
 * reports on `report` how many got an answer and how many were told "busy";
 * it holds them open until `hold` is closed. */
static pid_t child_connect(uid_t uid, int n, int report[2], int hold[2])
{
	pid_t pid = fork();

	if (pid == 0) {
		static struct proto_msg m;
		int counts[2] = {0, 0}, fd, flags;
		char c;

		close(report[0]);
		close(hold[1]);
		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
			_exit(90);
		for (int i = 0; i < n; i++) {
			uint32_t len;

			fd = client();
			flags = fcntl(fd, F_GETFL);
			fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
			send_req(fd, PROTO_CMD_STATUS, 0);
			if (recv(fd, m.buf, PROTO_HDR_LEN, MSG_WAITALL) != PROTO_HDR_LEN)
				_exit(91);
			memcpy(&len, m.buf + 4, 4);
			if (len > 4096 || recv(fd, m.buf + PROTO_HDR_LEN, len, MSG_WAITALL) != len)
				_exit(92);
			m.len = PROTO_HDR_LEN + len;
			counts[result_of(&m) == PROTO_RESULT_OK ? 0 : 1]++;
		}
		if (write(report[1], counts, sizeof(counts)) != sizeof(counts))
			_exit(93);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	return pid;
}

/* Runs the loop until the child reports; returns {answered, busy}. */
static void child_report(int report[2], int counts[2])
{
	struct pollfd p = {report[0], POLLIN, 0};
	double deadline = now_s() + 5;

	counts[0] = counts[1] = -1;
	while (poll(&p, 1, 0) == 0 && now_s() < deadline)
		pump(5);
	if (p.revents & POLLIN)
		(void)!read(report[0], counts, 2 * sizeof(int));
}

static void test_max_clients(void)
{
	int fds[40], n, extra;
	struct stats st;
	double t;

	/* One uid may hold half of the slots. */
	for (n = 0; n < 32; n++) {
		fds[n] = client();
		send_req(fds[n], PROTO_CMD_STATUS, 0);
		CHECK(recv_msg(fds[n], &rm, 2000) > 0);
		CHECK_INT(result_of(&rm), PROTO_RESULT_OK);
	}
	get_stats(&st);
	CHECK_INT(st.clients, 32);
	/* One more: told so, and closed. */
	extra = client();
	CHECK(recv_msg(extra, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_REFUSED);
	CHECK(strstr(message_of(&rm), "busy") != NULL);
	CHECK_INT(recv_msg(extra, &rm, 2000), 0);
	close(extra);
	get_stats(&st);
	CHECK_INT(st.rejected, 1);

	/* Another uid gets the other half, and then nobody gets more. */
	if (getuid() == 0) {
		int r1[2], h1[2], r2[2], h2[2], counts[2];
		pid_t p1, p2;

		/* Each pair made just before its fork, so p1 holds none of p2's. */
		CHECK(pipe(r1) == 0 && pipe(h1) == 0);
		p1 = child_connect(65534, 33, r1, h1);
		child_report(r1, counts);
		CHECK_INT(counts[0], 32);
		CHECK_INT(counts[1], 1);
		get_stats(&st);
		CHECK_INT(st.clients, 64);
		CHECK(pipe(r2) == 0 && pipe(h2) == 0);
		p2 = child_connect(65533, 1, r2, h2);
		child_report(r2, counts);
		CHECK_INT(counts[0], 0);
		CHECK_INT(counts[1], 1);
		close(h1[1]);
		close(h2[1]);
		CHECK_INT(wait_child(p1), 0);
		CHECK_INT(wait_child(p2), 0);
		close(r1[0]), close(r1[1]), close(h1[0]), close(r2[0]), close(r2[1]), close(h2[0]);
	}

	/* The held connections still work. */
	send_req(fds[31], PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(fds[31], &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_OK);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	t = now_s();
	do {
		pump(5);
		get_stats(&st);
	} while (st.clients > 0 && now_s() - t < 2);
	CHECK_INT(st.clients, 0);
	/* And there is room again. */
	extra = client();
	send_req(extra, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(extra, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_OK);
	close(extra);
}

static void test_watch(void)
{
	static struct proto_msg ev;
	int w = client(), other = client(), slow = client();
	struct stats st;
	double t;

	send_req(w, PROTO_CMD_WATCH, 0);
	CHECK(recv_msg(w, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), PROTO_CMD_WATCH);
	send_req(slow, PROTO_CMD_WATCH, 0);
	CHECK(recv_msg(slow, &rm, 2000) > 0);
	get_stats(&st);
	CHECK_INT(st.watchers, 2);

	proto_msg_init(&ev, PROTO_EVENT);
	proto_put_str(&ev, PROTO_A_EVENT, "start");
	proto_put_i64(&ev, PROTO_A_NOW, 1234);
	CHECK(proto_msg_finish(&ev) > 0);
	control_broadcast(ctl, &ev);
	CHECK(recv_msg(w, &rm, 2000) > 0);
	CHECK(memcmp(rm.buf, ev.buf, ev.len) == 0);
	CHECK(recv_msg(slow, &rm, 2000) > 0);
	/* Not to the others. */
	send_req(other, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(other, &rm, 2000) > 0);
	CHECK_INT(rm.buf[2] | rm.buf[3] << 8, PROTO_REPLY);
	CHECK_INT(recv_msg(other, &rm, 50), -1);

	/* A watcher that stops reading is dropped once its queue is full; the
	 * reading one keeps every event. */
	proto_msg_init(&ev, PROTO_EVENT);
	proto_put_str(&ev, PROTO_A_EVENT, "bulk");
	proto_put(&ev, BLOB_TYPE, blob, sizeof(blob));
	CHECK(proto_msg_finish(&ev) > 0);
	for (int i = 0; i < 100; i++) {
		control_broadcast(ctl, &ev);
		pump(1);
		CHECK(recv_msg(w, &rm, 2000) > 0);
	}
	get_stats(&st);
	CHECK_INT(st.watchers, 1);
	/* The slow one gets what was queued, then EOF. */
	t = now_s();
	while (recv_msg(slow, &rm, 2000) > 0 && now_s() - t < 5)
		;
	CHECK_INT(recv_msg(slow, &rm, 100), 0);
	close(slow);
	close(other);
	close(w);
	pump(10);
	get_stats(&st);
	CHECK_INT(st.watchers, 0);
}

/* A client pipelining big requests without reading is held back, not
 * buffered without bound, and gets every reply in order once it reads. */
static void test_backpressure(void)
{
	int fd = client(), other = client();
	const int n = 200;

	for (int i = 1; i <= n; i++) {
		send_req(fd, PROTO_CMD_STATS, (uint32_t)i);
		pump(1);
	}
	/* Meanwhile others are served promptly. */
	send_req(other, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(other, &rm, 500) > 0);
	for (int i = 1; i <= n; i++) {
		if (recv_msg(fd, &rm, 2000) <= 0) {
			CHECK_INT(i, -1);
			break;
		}
		if (u64_of(&rm, PROTO_A_DAYS) != (uint64_t)i) {
			CHECK_INT(u64_of(&rm, PROTO_A_DAYS), i);
			break;
		}
	}
	close(fd);
	close(other);
}

static void test_half_close(void)
{
	int fd = client();

	send_req(fd, PROTO_CMD_SCHEDULE, 3);
	send_req(fd, PROTO_CMD_SCHEDULE, 4);
	shutdown(fd, SHUT_WR);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_DAYS), 3);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_DAYS), 4);
	CHECK_INT(recv_msg(fd, &rm, 2000), 0);
	close(fd);
}

static void test_idle(void)
{
	int silent = client(), partial = client(), busy = client();
	double t0 = now_s(), t;
	struct stats st0, st1;

	get_stats(&st0);
	send_all(partial, "\x01\x00", 2);
	/* A client that keeps completing requests is not idle. */
	for (int i = 0; i < 12; i++) {
		send_req(busy, PROTO_CMD_STATUS, 0);
		CHECK(recv_msg(busy, &rm, 2000) > 0);
		pump(1000);
	}
	CHECK_INT(recv_msg(silent, &rm, 10), 0);
	CHECK_INT(recv_msg(partial, &rm, 10), 0);
	t = now_s() - t0;
	CHECK(t >= 10 && t < 15);
	get_stats(&st1);
	CHECK_INT(st1.dropped - st0.dropped, 2);
	send_req(busy, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(busy, &rm, 2000) > 0);
	close(silent);
	close(partial);
	close(busy);
}

/* Fills the oldest deferred reply with `value` and finishes it. */
static void finish_oldest(uint64_t value)
{
	struct proto_msg *r = deferred[0];

	proto_put_u32(r, PROTO_A_RESULT, PROTO_RESULT_OK);
	proto_put_u64(r, PROTO_A_VALUE, value);
	memmove(deferred, deferred + 1, (size_t)--n_deferred * sizeof(deferred[0]));
	control_finish(ctl, r);
}

/* Runs the loop until the handler has deferred `n` replies (or 2 s). */
static void wait_deferred(int n)
{
	double t = now_s();

	while (n_deferred < n && now_s() - t < 2)
		pump(2);
}

static void wait_clients(unsigned n)
{
	struct stats st;
	double t = now_s();

	do {
		pump(5);
		get_stats(&st);
	} while (st.clients != n && now_s() - t < 2);
}

static void test_defer(void)
{
	int fd = client(), other = client(), calls;
	struct stats st;

	/* Nothing is sent until the handler finishes the reply, and the
	 * connection's next request waits for it; other clients do not. */
	send_req(fd, DEFER_CMD, 0);
	wait_deferred(1);
	CHECK_INT(n_deferred, 1);
	calls = handler_calls;
	send_req(fd, PROTO_CMD_SCHEDULE, 7);
	CHECK_INT(recv_msg(fd, &rm, 200), -1);
	CHECK_INT(handler_calls, calls);
	get_stats(&st);
	CHECK_INT(st.pending, 1);
	send_req(other, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(other, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), PROTO_CMD_STATUS);
	finish_oldest(4242);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), 4242);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_DAYS), 7);
	get_stats(&st);
	CHECK_INT(st.pending, 0);
	/* A pointer that is not pending is ignored. */
	control_finish(ctl, &rm);

	/* Deferred twice in a row on one connection, pipelined. */
	send_req(fd, DEFER_CMD, 0);
	send_req(fd, DEFER_CMD, 0);
	send_req(fd, PROTO_CMD_SCHEDULE, 8);
	wait_deferred(1);
	pump(20);
	CHECK_INT(n_deferred, 1);
	finish_oldest(1);
	wait_deferred(1);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), 1);
	CHECK_INT(n_deferred, 1);
	finish_oldest(2);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), 2);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_DAYS), 8);

	/* Half-closed after the request: the reply still arrives, then EOF. */
	send_req(fd, DEFER_CMD, 0);
	shutdown(fd, SHUT_WR);
	wait_deferred(1);
	pump(20);
	finish_oldest(3);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(u64_of(&rm, PROTO_A_VALUE), 3);
	CHECK_INT(recv_msg(fd, &rm, 2000), 0);
	close(fd);
	close(other);
	wait_clients(0);

	/* Gone before the reply: closed outright (to the server that is EOF, as a
	 * half-close: the client stays until its reply), and closed with an
	 * earlier reply unread (the socket is reset, and the client freed at
	 * once). The replies are discarded when finished; ASan sees any use after
	 * free. */
	fd = client();
	send_req(fd, DEFER_CMD, 0);
	wait_deferred(1);
	close(fd);
	pump(20);
	fd = client();
	send_req(fd, PROTO_CMD_STATUS, 0);
	send_req(fd, DEFER_CMD, 0);
	wait_deferred(2);
	close(fd);
	wait_clients(1);
	get_stats(&st);
	CHECK_INT(st.pending, 2);
	CHECK_INT(st.clients, 1);
	finish_oldest(4);
	finish_oldest(5);
	wait_clients(0);
	get_stats(&st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.clients, 0);

	/* Replies pending for clients that are gone are bounded: beyond the
	 * bound, requests are answered "busy" without reaching the handler. */
	for (int i = 0; i < 64; i++) {
		fd = client();
		send_req(fd, PROTO_CMD_STATUS, 0);
		send_req(fd, DEFER_CMD, 0);
		wait_deferred(i + 1);
		close(fd);
	}
	wait_clients(0);
	get_stats(&st);
	CHECK_INT(st.pending, 64);
	calls = handler_calls;
	fd = client();
	send_req(fd, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_REFUSED);
	CHECK(strstr(message_of(&rm), "busy") != NULL);
	CHECK_INT(handler_calls, calls);
	while (n_deferred > 0)
		finish_oldest(6);
	send_req(fd, PROTO_CMD_STATUS, 0);
	CHECK(recv_msg(fd, &rm, 2000) > 0);
	CHECK_INT(result_of(&rm), PROTO_RESULT_OK);

	/* One left pending for control_free, with its client connected. */
	send_req(fd, DEFER_CMD, 0);
	wait_deferred(1);
	CHECK_INT(n_deferred, 1);
	close(fd);
}

static void test_socket_file(const char *dir)
{
	struct control *second = NULL;
	struct stat st;
	char path[128];
	int fd;

	CHECK(stat(sock_path, &st) == 0);
	CHECK_INT(st.st_mode & 07777, 0666);
	CHECK(S_ISSOCK(st.st_mode));
	/* A live daemon's socket is not taken over. */
	CHECK_INT(control_new(base, sock_path, NULL, handler, NULL, &second), -EADDRINUSE);
	CHECK(second == NULL);
	CHECK(stat(sock_path, &st) == 0);

	/* A stale socket (bound, nobody listening) is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		memcpy(sa.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		close(fd);
	}
	CHECK_INT(control_new(base, path, NULL, handler, NULL, &second), 0);
	control_free(second);
	CHECK(stat(path, &st) < 0 && errno == ENOENT);

	/* Some other file is left alone. */
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	close(fd);
	CHECK_INT(control_new(base, path, NULL, handler, NULL, &second), -EEXIST);
	CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
	unlink(path);

	/* Too long a path. */
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	CHECK_INT(control_new(base, path, NULL, handler, NULL, &second), -ENAMETOOLONG);
	control_free(NULL);
}

int main(void)
{
	char dir[] = "/tmp/smb-test-control.XXXXXX";
	struct stat st;

	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 99;
	/* Reachable by the forked clients that drop to another uid. */
	chmod(dir, 0755);
	snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);
	base = event_base_new();
	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	CHECK_INT(control_new(base, sock_path, "smb-no-such-group", handler, NULL, &ctl), 0);
	if (!ctl)
		CHECK_DONE();

	test_basic();
	test_malformed();
	test_privilege();
	test_max_clients();
	test_watch();
	test_backpressure();
	test_half_close();
	test_socket_file(dir);
	test_idle();
	test_defer();

	control_free(ctl);
	CHECK(stat(sock_path, &st) < 0 && errno == ENOENT);
	event_base_free(base);
	rmdir(dir);
	CHECK_DONE();
}
