/* Unit tests of smctl without a daemon: the command line parsed into the
 * request it sends (or the usage error it prints), and the human form of a
 * status and a schedule reply at a fixed instant in UTC. */
#include "check.h"
#include "smctl.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct cmdline cl;
static char err[4096];

/* args_parse on the words given; the usage error, if any, lands in err. */
static enum args_result parse(int argc, ...)
{
	char *argv[16] = {"smctl"};
	va_list ap;
	FILE *f = fmemopen(err, sizeof(err), "w");
	enum args_result r;

	va_start(ap, argc);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(ap, char *);
	va_end(ap);
	memset(&cl, 0, sizeof(cl));
	memset(err, 0, sizeof(err));
	r = args_parse(argc + 1, argv, f, &cl);
	fclose(f);
	return r;
}

static bool has(uint16_t type, struct proto_attr *a)
{
	return proto_find(cl.req.buf + PROTO_HDR_LEN, cl.req_len - PROTO_HDR_LEN, type, a);
}

static int count(uint16_t type)
{
	struct proto_iter it;
	struct proto_attr a;
	int n = 0;

	proto_iter_init(&it, cl.req.buf + PROTO_HDR_LEN, cl.req_len - PROTO_HDR_LEN);
	while (proto_iter_next(&it, &a))
		n += a.type == type;
	return n;
}

static void test_global(void)
{
	CHECK_INT(parse(1, "-h"), ARGS_HELP);
	CHECK_INT(parse(2, "status", "--help"), ARGS_HELP);
	CHECK_INT(parse(1, "--version"), ARGS_VERSION);
	CHECK_INT(parse(0), ARGS_USAGE);
	CHECK_STR(err, "smctl: a command is needed, like: smctl status\nTry 'smctl --help'.\n");
	CHECK_INT(parse(1, "frobnicate"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unknown command 'frobnicate'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(2, "--bogus", "status"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unknown option '--bogus'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(1, "-s"), ARGS_USAGE);
	CHECK_STR(err, "smctl: -s needs a socket path\nTry 'smctl --help'.\n");

	CHECK_INT(parse(1, "status"), ARGS_RUN);
	CHECK_INT(cl.cmd, PROTO_CMD_STATUS);
	CHECK(!cl.json);
	CHECK(strlen(cl.socket) > 0); /* the compiled-in default */
	CHECK_INT(parse(3, "-j", "--socket=/run/x", "status"), ARGS_RUN);
	CHECK(cl.json);
	CHECK_STR(cl.socket, "/run/x");
	/* Global options after the command, too. */
	CHECK_INT(parse(4, "lists", "-s", "/run/y", "--json"), ARGS_RUN);
	CHECK(cl.json);
	CHECK_STR(cl.socket, "/run/y");
	CHECK_INT(parse(2, "status", "extra"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unexpected argument 'extra'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(2, "status", "--strict"), ARGS_USAGE);
	CHECK_STR(err, "smctl: status: unknown option '--strict'\nTry 'smctl --help'.\n");
	char path[200];
	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = 0;
	CHECK_INT(parse(3, "-s", path, "status"), ARGS_USAGE);
	CHECK(strstr(err, "socket path too long") != NULL);
}

static void test_pause(void)
{
	struct proto_attr a;

	CHECK_INT(parse(1, "pause"), ARGS_RUN);
	CHECK_INT(cl.cmd, PROTO_CMD_PAUSE);
	CHECK(!has(PROTO_A_DURATION, &a) && !has(PROTO_A_UNTIL, &a)); /* a toggle */

	CHECK_INT(parse(6, "pause", "1h30m", "--strict", "--list", "news", "--list=social"),
	          ARGS_RUN);
	CHECK(has(PROTO_A_DURATION, &a) && proto_attr_u64(&a) == 5400);
	CHECK(has(PROTO_A_STRICT, &a));
	CHECK_INT(count(PROTO_A_LIST), 2);

	CHECK_INT(parse(3, "pause", "until", "17:30"), ARGS_RUN);
	CHECK(has(PROTO_A_UNTIL, &a));
	CHECK_STR(proto_attr_str(&a), "17:30");

	CHECK_INT(parse(2, "pause", "17:30"), ARGS_USAGE);
	CHECK_STR(err, "smctl: bad duration '17:30'; did you mean: smctl pause until 17:30\n"
	               "Try 'smctl --help'.\n");
	CHECK_INT(parse(2, "pause", "10x"), ARGS_USAGE);
	CHECK(strstr(err, "bad duration '10x': use a number with a unit") != NULL);
	CHECK_INT(parse(2, "pause", "0s"), ARGS_USAGE);
	CHECK(strstr(err, "longer than 0s") != NULL);
	CHECK_INT(parse(2, "pause", "99999999d"), ARGS_USAGE);
	CHECK(strstr(err, "is too long") != NULL);
	CHECK_INT(parse(3, "pause", "until", "25:00"), ARGS_USAGE);
	CHECK(strstr(err, "bad time '25:00'") != NULL);
	CHECK_INT(parse(2, "pause", "until"), ARGS_USAGE);
	CHECK_INT(parse(3, "pause", "1h", "2h"), ARGS_USAGE);
	CHECK(strstr(err, "pause takes one duration") != NULL);
	CHECK_INT(parse(3, "pause", "--list", "Bad.Name"), ARGS_USAGE);
	CHECK(strstr(err, "bad list name 'Bad.Name'") != NULL);
	CHECK_INT(parse(2, "pause", "--list"), ARGS_USAGE);
	CHECK_STR(err, "smctl: --list needs a value\nTry 'smctl --help'.\n");
	CHECK_INT(parse(6, "pause", "a", "b", "c", "d", "e"), ARGS_USAGE);
	CHECK_STR(err, "smctl: pause: too many arguments\nTry 'smctl --help'.\n");
	/* After "--" a word that looks like an option is a word. */
	CHECK_INT(parse(3, "pause", "--", "--strict"), ARGS_USAGE);
	CHECK(strstr(err, "bad duration '--strict'") != NULL);
}

static void test_days_check(void)
{
	struct proto_attr a;

	CHECK_INT(parse(1, "schedule"), ARGS_RUN);
	CHECK(!has(PROTO_A_DAYS, &a));
	CHECK_INT(parse(3, "stats", "--days", "7"), ARGS_RUN);
	CHECK_INT(cl.cmd, PROTO_CMD_STATS);
	CHECK(has(PROTO_A_DAYS, &a) && proto_attr_u32(&a) == 7);
	CHECK_INT(parse(2, "schedule", "--days=3660"), ARGS_RUN);
	const char *bad[] = {"0", "3661", "-1", "+1", "", "7x", " 7", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(parse(3, "schedule", "--days", bad[i]), ARGS_USAGE);
		CHECK(strstr(err, "--days takes a number of days") != NULL);
	}
	CHECK_INT(parse(3, "pause", "--days", "3"), ARGS_USAGE); /* not pause's */

	CHECK_INT(parse(2, "check", "www.instagram.com"), ARGS_RUN);
	CHECK(has(PROTO_A_DOMAIN, &a));
	CHECK_STR(proto_attr_str(&a), "www.instagram.com");
	CHECK_INT(parse(2, "check", "2001:db8::1"), ARGS_RUN); /* ':' is fine in an address */
	CHECK_INT(parse(2, "check", "a:b"), ARGS_USAGE);
	CHECK(strstr(err, "bad domain 'a:b'") != NULL);
	CHECK_INT(parse(2, "check", ""), ARGS_USAGE);
	CHECK_INT(parse(1, "check"), ARGS_USAGE);
}

/* The human form of a reply built here, read back from a temporary stdout. */
static const char *render(uint16_t cmd, struct proto_msg *m)
{
	static char out[4096];
	struct reply r = {0};
	struct proto_attr a;
	FILE *f = tmpfile();
	int saved = dup(1);
	size_t n;

	int len = proto_msg_finish(m);
	r.payload = m->buf + PROTO_HDR_LEN;
	r.len = (size_t)len - PROTO_HDR_LEN;
	if (proto_find(r.payload, r.len, PROTO_A_NOW, &a))
		r.now = proto_attr_i64(&a);
	fflush(stdout);
	dup2(fileno(f), 1);
	output_reply(cmd, &r);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	return out;
}

static void put_break(struct proto_msg *m, const char *name, const char *kind, int64_t start,
                      int64_t end, bool on, bool strict)
{
	long nest = proto_nest_start(m, PROTO_A_BREAK);

	proto_put_str(m, PROTO_A_NAME, name);
	proto_put_str(m, PROTO_A_KIND, kind);
	proto_put_i64(m, PROTO_A_START, start);
	proto_put_i64(m, PROTO_A_END, end);
	if (on)
		proto_put_flag(m, PROTO_A_ON);
	if (strict)
		proto_put_flag(m, PROTO_A_STRICT);
	proto_put_str(m, PROTO_A_LIST, "social");
	proto_nest_end(m, nest);
}

static void test_output(void)
{
	static struct proto_msg m;
	const int64_t now = 1772960400; /* Sun 2026-03-08 09:00 UTC */

	setenv("TZ", "UTC", 1);
	tzset();
	proto_msg_init(&m, PROTO_REPLY);
	proto_put_i64(&m, PROTO_A_NOW, now);
	proto_put_flag(&m, PROTO_A_BLOCKING);
	proto_put_str(&m, PROTO_A_INFORCE, "social");
	put_break(&m, "work", "scheduled", now - 3600, now + 5400, true, false);
	CHECK_STR(render(PROTO_CMD_STATUS, &m),
	          "Blocking:  social\n"
	          "  work  scheduled  until 10:30  social  1h30m left\n"
	          "Next:      no break scheduled\n");

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_i64(&m, PROTO_A_NOW, now);
	put_break(&m, "work", "scheduled", now - 3600, now + 5400, true, true);
	put_break(&m, "evening", "scheduled", now + 86400 * 2, now + 86400 * 3, false, false);
	CHECK_STR(render(PROTO_CMD_SCHEDULE, &m),
	          "  Sun 08 Mar 08:00-10:30      work     social  on now, 1h30m left, strict\n"
	          "  Tue 10 Mar 09:00-Wed 09:00  evening  social\n");

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_i64(&m, PROTO_A_NOW, now);
	CHECK_STR(render(PROTO_CMD_SCHEDULE, &m), "no breaks scheduled\n");
}

int main(void)
{
	test_global();
	test_pause();
	test_days_check();
	test_output();
	CHECK_DONE();
}
