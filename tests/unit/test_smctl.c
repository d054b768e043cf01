/* Unit tests of smctl without a daemon: the command line parsed into the
 * request it sends (or the usage error it prints), and the human form of a
 * status, schedule, check, services and lists reply at a fixed instant in
 * UTC, and their JSON. */
#include "check.h"
#include "smctl.h"
#include "value.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct cmdline cl;
static char err[4096];
static int64_t fixed_now; /* the instant args_parse reads at; 0: the clock */

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
	cl.now = fixed_now;
	r = args_parse(argc + 1, argv, f, &cl);
	fclose(f);
	/* As smctl prints it without --json. */
	if (err[0]) {
		char why[sizeof(err) - 64];
		snprintf(why, sizeof(why), "%.*s", (int)sizeof(why) - 1, err);
		snprintf(err, sizeof(err), "smctl: %s\nTry 'smctl --help'.\n", why);
	}
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
	/* No command is the status, as with systemctl. */
	CHECK_INT(parse(0), ARGS_RUN);
	CHECK_INT(cl.cmd, PROTO_CMD_STATUS);
	CHECK_INT(parse(1, "-j"), ARGS_RUN);
	CHECK(cl.json);
	CHECK_INT(cl.cmd, PROTO_CMD_STATUS);
	CHECK_INT(parse(1, "frobnicate"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unknown command 'frobnicate'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(2, "--bogus", "status"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unknown option '--bogus'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(1, "-s"), ARGS_USAGE);
	CHECK_STR(err, "smctl: -s needs a value\nTry 'smctl --help'.\n");

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

/* help [COMMAND], -h after a command, short flags together, -v. */
static void test_help_flags(void)
{
	CHECK_INT(parse(1, "help"), ARGS_HELP);
	CHECK(cl.help_cmd == NULL);
	CHECK_INT(parse(2, "help", "pause"), ARGS_HELP);
	CHECK_STR(cl.help_cmd, "pause");
	CHECK_INT(parse(2, "check", "-h"), ARGS_HELP);
	CHECK_STR(cl.help_cmd, "check");
	CHECK_INT(parse(2, "help", "bogus"), ARGS_USAGE);
	CHECK_STR(err, "smctl: no command 'bogus' to help with\nTry 'smctl --help'.\n");
	char buf[1024] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");
	CHECK_INT(args_help(f, "check"), 0);
	fclose(f);
	CHECK(strstr(buf, "usage: smctl check DOMAIN|ADDRESS [--user NAME | --device NAME]\n") ==
	      buf);
	CHECK(strstr(buf, "exit status 0 when it is blocked now, 1 when it is not") != NULL);

	CHECK_INT(parse(3, "-js", "/run/x", "status"), ARGS_RUN);
	CHECK(cl.json);
	CHECK_STR(cl.socket, "/run/x");
	CHECK_INT(parse(2, "-js/run/z", "lists"), ARGS_RUN);
	CHECK_STR(cl.socket, "/run/z");
	CHECK(cl.json);
	CHECK_INT(parse(2, "status", "-jv"), ARGS_RUN);
	CHECK(cl.json && cl.verbose);
	CHECK_INT(parse(1, "-v"), ARGS_RUN); /* the status, verbose */
	CHECK(cl.verbose);
	CHECK_INT(parse(2, "status", "--verbose"), ARGS_RUN);
	CHECK(cl.verbose);
	CHECK_INT(parse(2, "pause", "-v"), ARGS_USAGE);
	CHECK_STR(err, "smctl: pause: unknown option '-v'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(2, "-jx", "status"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unknown option '-x' (in '-jx')\nTry 'smctl --help'.\n");
	/* --json anywhere makes even an earlier usage error JSON. */
	CHECK_INT(parse(2, "frobnicate", "--json"), ARGS_USAGE);
	CHECK(cl.json);
	CHECK_INT(parse(3, "-s", "--json", "status"), ARGS_RUN); /* a socket named --json */
	CHECK(!cl.json);

	struct proto_attr a;
	CHECK_INT(parse(2, "services", "facebook"), ARGS_RUN);
	CHECK(has(PROTO_A_NAME, &a));
	CHECK_STR(proto_attr_str(&a), "facebook");
	CHECK_INT(parse(2, "lists", "social"), ARGS_RUN);
	CHECK_INT(cl.cmd, PROTO_CMD_LISTS);
	CHECK(has(PROTO_A_NAME, &a));
	CHECK_INT(parse(1, "lists"), ARGS_RUN);
	CHECK(!has(PROTO_A_NAME, &a));
	CHECK_INT(parse(3, "lists", "a", "b"), ARGS_USAGE);
	CHECK_STR(err, "smctl: unexpected argument 'b'\nTry 'smctl --help'.\n");
	CHECK_INT(parse(2, "services", "Face.Book"), ARGS_USAGE);
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

	/* --user, repeatable, both spellings; check takes one */
	CHECK_INT(parse(5, "pause", "45m", "--user", "alice", "--user=1001"), ARGS_RUN);
	CHECK_INT(count(PROTO_A_USER), 2);
	CHECK_INT(parse(3, "pause", "--user", "Alice!"), ARGS_USAGE);
	CHECK(strstr(err, "--user takes a user name or uid") != NULL);
	CHECK_INT(parse(2, "pause", "--user"), ARGS_USAGE);
	CHECK_INT(parse(4, "check", "x.com", "--user", "bob"), ARGS_RUN);
	CHECK(has(PROTO_A_USER, &a));
	CHECK_STR(proto_attr_str(&a), "bob");
	CHECK_INT(parse(6, "check", "x.com", "--user", "bob", "--user", "eve"), ARGS_USAGE);
	CHECK_INT(parse(3, "skip", "--user", "bob"), ARGS_USAGE);

	/* --device: repeatable for pause, once for check */
	CHECK_INT(parse(5, "pause", "10m", "--device", "phone1", "--device=tablet"), ARGS_RUN);
	CHECK_INT(count(PROTO_A_FOR_DEVICE), 2);
	CHECK(has(PROTO_A_FOR_DEVICE, &a));
	CHECK_STR(proto_attr_str(&a), "phone1");
	CHECK_INT(parse(3, "pause", "--device", "Phone!"), ARGS_USAGE);
	CHECK(strstr(err, "bad device name 'Phone!'") != NULL);
	CHECK_INT(parse(6, "check", "x.com", "--device", "a", "--device", "b"), ARGS_USAGE);
	CHECK(strstr(err, "check takes one --device") != NULL);
	CHECK_INT(parse(3, "resume", "--device", "a"), ARGS_USAGE);

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
	CHECK(strstr(err, "unexpected argument '2h'") != NULL);
	CHECK_INT(parse(4, "pause", "until", "17:00", "45m"), ARGS_USAGE);
	CHECK_STR(err,
	          "smctl: pause until 17:00: unexpected argument '45m'\nTry 'smctl --help'.\n");
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
static const char *render_v(uint16_t cmd, bool verbose, struct proto_msg *m)
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
	if (proto_find(r.payload, r.len, PROTO_A_MESSAGE, &a))
		r.message = proto_attr_str(&a);
	if (proto_find(r.payload, r.len, PROTO_A_RESULT, &a))
		r.result = proto_attr_u32(&a);
	fflush(stdout);
	dup2(fileno(f), 1);
	if (cmd)
		output_reply(cmd, verbose, &r);
	else
		json_print(&r);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	fclose(f);
	return out;
}

static const char *render(uint16_t cmd, struct proto_msg *m)
{
	return render_v(cmd, false, m);
}

/* The --json form, by the same capture (cmd 0 picks it). */
static const char *render_json(struct proto_msg *m)
{
	return render_v(0, false, m);
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
	proto_put_str(&m, PROTO_A_VERSION, "0.1.0");
	proto_put_str(&m, PROTO_A_CONFIG, "/etc/smbreak/smbreak.conf");
	proto_put_str(&m, PROTO_A_WARNING, "no upstream DNS server");
	proto_put_counter(&m, "queries", 12);
	proto_put_counter(&m, "bad_replies", 0);
	static struct proto_msg copy;
	copy = m;
	/* Short: what is blocked, for whom, until when; no internals. */
	CHECK_STR(render(PROTO_CMD_STATUS, &m),
	          "Blocking:  social, for everyone on this machine\n"
	          "  work  scheduled  until 10:30  social  1h30m left\n"
	          "Next:      no break scheduled\n"
	          "Warning:   no upstream DNS server\n");
	CHECK_STR(render_v(PROTO_CMD_STATUS, true, &copy),
	          "Blocking:  social, for everyone on this machine\n"
	          "  work  scheduled  until 10:30  social  1h30m left\n"
	          "Next:      no break scheduled\n"
	          "Warning:   no upstream DNS server\n"
	          "Counters:  queries 12, bad_replies 0\n"
	          "Daemon:    smbreakd 0.1.0, /etc/smbreak/smbreak.conf\n");

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

/* smctl check: the entries with file:line, a pause named once, a skipped
 * break marked. */
static void test_check_output(void)
{
	static struct proto_msg m;
	long nest;

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_u32(&m, PROTO_A_RESULT, 0);
	proto_put_str(&m, PROTO_A_MESSAGE, "news.example is blocked now");
	proto_put_flag(&m, PROTO_A_BLOCKED);
	nest = proto_nest_start(&m, PROTO_A_MATCH);
	proto_put_str(&m, PROTO_A_LIST, "social");
	proto_put_str(&m, PROTO_A_KIND, "block");
	proto_put_str(&m, PROTO_A_ENTRY, "news.example");
	proto_put_str(&m, PROTO_A_SOURCE, "/etc/smbreak/smbreak.conf");
	proto_put_u32(&m, PROTO_A_LINE, 7);
	proto_nest_end(&m, nest);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	proto_put_str(&m, PROTO_A_NAME, "pause");
	proto_put_str(&m, PROTO_A_KIND, "adhoc");
	proto_put_flag(&m, PROTO_A_ON);
	proto_put_flag(&m, PROTO_A_BLOCKED);
	proto_nest_end(&m, nest);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	proto_put_str(&m, PROTO_A_NAME, "work");
	proto_put_str(&m, PROTO_A_KIND, "scheduled");
	proto_put_flag(&m, PROTO_A_SKIPPED);
	proto_put_flag(&m, PROTO_A_BLOCKED);
	proto_nest_end(&m, nest);
	CHECK_STR(render(PROTO_CMD_CHECK, &m),
	          "news.example is blocked now\n"
	          "  list social       block news.example  (/etc/smbreak/smbreak.conf:7)\n"
	          "  pause                    blocks it (on now)\n"
	          "  break work               blocks it (on now, skipped)\n");
}

/* The human and JSON forms of services NAME and lists NAME; counters and
 * services as objects keyed by name. */
static void test_detail_json(void)
{
	static struct proto_msg m, copy;
	long nest;

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_u32(&m, PROTO_A_RESULT, 0);
	nest = proto_nest_start(&m, PROTO_A_SERVICE);
	proto_put_str(&m, PROTO_A_NAME, "x");
	proto_put_str(&m, PROTO_A_SOURCE, "/usr/share/smbreak/services/x.list");
	proto_put_str(&m, PROTO_A_DOMAINS, "x.com");
	proto_put_str(&m, PROTO_A_DOMAINS, "twitter.com");
	proto_put_u64(&m, PROTO_A_COUNT, 2);
	proto_nest_end(&m, nest);
	copy = m;
	CHECK_STR(render(PROTO_CMD_SERVICES, &m),
	          "x: 2 domains, from /usr/share/smbreak/services/x.list\n"
	          "  x.com\n"
	          "  twitter.com\n");
	CHECK_STR(render_json(&copy),
	          "{\"result\": 0, \"services\": {\"x\": {\"source\": "
	          "\"/usr/share/smbreak/services/x.list\", \"domains\": [\"x.com\", "
	          "\"twitter.com\"], \"count\": 2}}}\n");

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_u32(&m, PROTO_A_RESULT, 0);
	proto_put_str(&m, PROTO_A_NAME, "social");
	nest = proto_nest_start(&m, PROTO_A_SERVICE);
	proto_put_str(&m, PROTO_A_NAME, "reddit");
	proto_put_u64(&m, PROTO_A_COUNT, 9);
	proto_nest_end(&m, nest);
	nest = proto_nest_start(&m, PROTO_A_FILE);
	proto_put_str(&m, PROTO_A_NAME, "/etc/smbreak/lists.d/a.txt");
	proto_put_u64(&m, PROTO_A_COUNT, 1);
	proto_nest_end(&m, nest);
	proto_put_str(&m, PROTO_A_DOMAINS, "news.example");
	proto_put_str(&m, PROTO_A_ALLOW, "ok.news.example");
	proto_put_u64(&m, PROTO_A_COUNT, 11);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	proto_put_str(&m, PROTO_A_NAME, "work");
	proto_nest_end(&m, nest);
	copy = m;
	CHECK_STR(render(PROTO_CMD_LISTS, &m),
	          "list social: 11 names\n"
	          "  service  reddit                              9 names\n"
	          "  file     /etc/smbreak/lists.d/a.txt          1 name\n"
	          "  domain   news.example\n"
	          "  allow    ok.news.example\n"
	          "  breaks   work\n");
	CHECK_STR(render_json(&copy),
	          "{\"result\": 0, \"name\": \"social\", \"services\": {\"reddit\": "
	          "{\"count\": 9}}, \"files\": {\"/etc/smbreak/lists.d/a.txt\": {\"count\": "
	          "1}}, \"domains\": [\"news.example\"], \"allow\": [\"ok.news.example\"], "
	          "\"count\": 11, \"breaks\": [{\"name\": \"work\"}]}\n");

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_u32(&m, PROTO_A_RESULT, 0);
	proto_put_counter(&m, "queries", 12);
	proto_put_counter(&m, "in_flight", 0);
	nest = proto_nest_start(&m, PROTO_A_DAY);
	proto_put_str(&m, PROTO_A_DATE, "2026-03-08");
	proto_put_counter(&m, "reddit", 3);
	proto_nest_end(&m, nest);
	proto_put_str(&m, PROTO_A_ADDRESS, "192.0.2.1");
	CHECK_STR(render_json(&m),
	          "{\"result\": 0, \"counters\": {\"queries\": 12, \"in_flight\": 0}, "
	          "\"per_day\": [{\"date\": \"2026-03-08\", \"counters\": {\"reddit\": 3}}], "
	          "\"address\": \"192.0.2.1\"}\n");
}

/* args_confirm's sentence, as smctl prints it. */
static int confirm(bool tty)
{
	FILE *f = fmemopen(err, sizeof(err), "w");
	int r;

	memset(err, 0, sizeof(err));
	r = args_confirm(&cl, tty, f);
	fclose(f);
	return r;
}

/* Issue 18: every WHEN form, resolved at a fixed instant (Sun 2026-03-08
 * 09:00 UTC) to show how long; --at, cycles, unlock delays, cancel; a pause
 * over 7 days typed at a terminal needs --yes. */
static void test_when(void)
{
	const int64_t now = 1772960400;
	struct proto_attr a;

	setenv("TZ", "UTC", 1);
	tzset();
	fixed_now = now;
	CHECK_INT(parse(4, "pause", "until", "tomorrow", "09:00"), ARGS_RUN);
	CHECK(has(PROTO_A_UNTIL, &a));
	CHECK_STR(proto_attr_str(&a), "tomorrow 09:00");
	CHECK(cl.pause_end == now + 86400);
	CHECK_INT(parse(3, "pause", "until", "sun 16:00"), ARGS_RUN);
	CHECK(cl.pause_end == now + 7 * 3600);
	CHECK_INT(parse(3, "pause", "until", "08:00"), ARGS_RUN); /* passed: tomorrow */
	CHECK(cl.pause_end == now + 23 * 3600);
	CHECK_INT(parse(3, "pause", "until", "2026-03-10T16:00"), ARGS_RUN);
	CHECK(cl.pause_end == now + 2 * 86400 + 7 * 3600);
	CHECK_INT(parse(4, "pause", "until", "2026-03-10", "16:00"), ARGS_RUN);
	CHECK(has(PROTO_A_UNTIL, &a));
	CHECK_STR(proto_attr_str(&a), "2026-03-10 16:00");
	CHECK_INT(parse(3, "pause", "until", "2026-03-01 10:00"), ARGS_USAGE);
	CHECK_STR(err, "smctl: '2026-03-01 10:00' is not in the future\nTry 'smctl --help'.\n");
	CHECK_INT(parse(3, "pause", "until", "someday"), ARGS_USAGE);
	CHECK(strstr(err, "bad time 'someday': use HH:MM, like 17:30, 'tomorrow 09:00'") != NULL);
	CHECK_INT(parse(4, "pause", "until", "tomorrow", "45m"), ARGS_USAGE);
	CHECK(strstr(err, "unexpected argument '45m'") != NULL);

	/* --at takes a day word and its time unquoted too; until is seen from it. */
	CHECK_INT(parse(6, "pause", "--at", "fri", "15:30", "until", "sun 16:00"), ARGS_RUN);
	CHECK(has(PROTO_A_AT, &a));
	CHECK_STR(proto_attr_str(&a), "fri 15:30");
	CHECK(cl.pause_start == now + 5 * 86400 + 6 * 3600 + 1800);
	CHECK(cl.pause_end == now + 7 * 86400 + 7 * 3600);
	CHECK_INT(parse(5, "pause", "--at", "tue 10:00", "until", "2026-03-09T10:00"), ARGS_USAGE);
	CHECK(strstr(err, "is not after the --at start") != NULL);
	CHECK_INT(parse(4, "pause", "--at=tomorrow 10:00", "until", "11:00"), ARGS_RUN);
	CHECK(cl.pause_end == now + 86400 + 2 * 3600);
	CHECK_INT(parse(3, "pause", "--at", "never"), ARGS_USAGE);

	CHECK_INT(parse(6, "pause", "25m", "--cycles", "4", "--rest", "5m"), ARGS_RUN);
	CHECK(has(PROTO_A_DURATION, &a) && proto_attr_u64(&a) == 1500);
	CHECK(has(PROTO_A_CYCLES, &a) && proto_attr_u32(&a) == 4);
	CHECK(has(PROTO_A_REST, &a) && proto_attr_u64(&a) == 300);
	CHECK_INT(parse(4, "pause", "25m", "--cycles", "0"), ARGS_USAGE);
	CHECK(strstr(err, "--cycles takes 1 to 32 (got '0')") != NULL);
	CHECK_INT(parse(4, "pause", "25m", "--rest", "0s"), ARGS_USAGE);
	CHECK(strstr(err, "--rest takes a duration") != NULL);
	CHECK_INT(parse(4, "pause", "1h", "--unlock-delay", "30s"), ARGS_RUN);
	CHECK(has(PROTO_A_UNLOCK_DELAY, &a) && proto_attr_u64(&a) == 30);
	CHECK_INT(parse(3, "skip", "--unlock-delay", "30s"), ARGS_USAGE); /* pause's only */
	CHECK_INT(parse(4, "--json", "pause", "--at", "-j"), ARGS_USAGE); /* a value */
	CHECK(cl.json);

	CHECK_INT(parse(2, "resume", "--cancel"), ARGS_RUN);
	CHECK(has(PROTO_A_CANCEL, &a));
	CHECK_INT(parse(2, "skip", "--cancel"), ARGS_USAGE);
	CHECK_INT(parse(2, "cancel", "3"), ARGS_RUN);
	CHECK_INT(cl.cmd, PROTO_CMD_CANCEL);
	CHECK(has(PROTO_A_ID, &a) && proto_attr_u32(&a) == 3);
	CHECK_INT(parse(1, "cancel"), ARGS_USAGE);
	CHECK(strstr(err, "cancel needs the id of a planned pause") != NULL);
	CHECK_INT(parse(2, "cancel", "x"), ARGS_USAGE);
	CHECK_INT(parse(3, "cancel", "1", "2"), ARGS_USAGE);

	/* Over 7 days asks for --yes at a terminal, and shows the end in full. */
	CHECK_INT(parse(2, "pause", "8d"), ARGS_RUN);
	CHECK_INT(confirm(false), 0);
	CHECK_INT(confirm(true), -EINVAL);
	CHECK_STR(err, "pause until Mon 16 Mar 09:00 (8d 0h 0m) is longer than 7 days: add --yes "
	               "if you mean it");
	CHECK_INT(parse(3, "pause", "8d", "--yes"), ARGS_RUN);
	CHECK_INT(confirm(true), 0);
	CHECK_INT(parse(2, "pause", "7d"), ARGS_RUN);
	CHECK_INT(confirm(true), 0);
	CHECK_INT(parse(5, "pause", "--at", "tomorrow 09:00", "until", "2026-03-20T09:00"),
	          ARGS_RUN);
	CHECK_INT(confirm(true), -EINVAL);
	CHECK(strstr(err, "a pause from Mon 9 Mar 09:00 (1d 0h 0m) until Fri 20 Mar 09:00") !=
	      NULL);
	CHECK_INT(parse(1, "status"), ARGS_RUN);
	CHECK_INT(confirm(true), 0);

	char buf[64];
	value_format_instant(now + 2 * 86400 + 1800, now, buf, sizeof(buf));
	CHECK_STR(buf, "Tue 10 Mar 09:30 (2d 0h 30m)");
	value_format_instant(now + 90, now, buf, sizeof(buf));
	CHECK_STR(buf, "Sun 8 Mar 09:01 (2m)");
	value_format_instant(now + 20, now, buf, sizeof(buf));
	CHECK_STR(buf, "Sun 8 Mar 09:00 (20s)");
	fixed_now = 0;
}

/* A planned pause in schedule and status, the focus cycle and a waiting
 * unlock, and the stats history with its bar and JSON. */
static void test_time_output(void)
{
	static struct proto_msg m, copy;
	const int64_t now = 1772960400;
	long nest;

	setenv("TZ", "UTC", 1);
	tzset();
	proto_msg_init(&m, PROTO_REPLY);
	proto_put_i64(&m, PROTO_A_NOW, now);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	proto_put_str(&m, PROTO_A_NAME, "pause");
	proto_put_str(&m, PROTO_A_KIND, "adhoc");
	proto_put_i64(&m, PROTO_A_START, now - 60);
	proto_put_i64(&m, PROTO_A_END, now + 1440);
	proto_put_flag(&m, PROTO_A_ON);
	proto_put_u32(&m, PROTO_A_CYCLE, 2);
	proto_put_u32(&m, PROTO_A_CYCLES, 4);
	proto_put_i64(&m, PROTO_A_UNLOCK_AT, now + 600);
	proto_nest_end(&m, nest);
	nest = proto_nest_start(&m, PROTO_A_BREAK);
	proto_put_str(&m, PROTO_A_NAME, "pause");
	proto_put_str(&m, PROTO_A_KIND, "planned");
	proto_put_i64(&m, PROTO_A_START, now + 1800);
	proto_put_i64(&m, PROTO_A_END, now + 3300);
	proto_put_u32(&m, PROTO_A_ID, 7);
	proto_put_u32(&m, PROTO_A_CYCLE, 3);
	proto_put_u32(&m, PROTO_A_CYCLES, 4);
	proto_put_str(&m, PROTO_A_LIST, "social");
	proto_nest_end(&m, nest);
	copy = m;
	CHECK_STR(render(PROTO_CMD_STATUS, &m),
	          "Blocking:  nothing\n"
	          "  pause  adhoc    until 09:24  "
	          "        24m left, cycle 2 of 4, ends 09:10 (unlock delay)\n"
	          "  pause  planned  from 09:30   social  planned, id 7, cycle 3 of 4\n"
	          "Next:      no break scheduled\n");
	CHECK_STR(
	    render(PROTO_CMD_SCHEDULE, &copy),
	    "  Sun 08 Mar 08:59-09:24  pause          on now, 24m left, cycle 2 of 4, ends 09:10 "
	    "(unlock delay)\n"
	    "  Sun 08 Mar 09:30-09:55  pause  social  planned, id 7, cycle 3 of 4\n");

	proto_msg_init(&m, PROTO_REPLY);
	proto_put_u32(&m, PROTO_A_RESULT, 0);
	const char *dates[] = {"2026-03-08", "2026-03-07", "2026-03-06"};
	const uint64_t kept[] = {2, 0, 0}, early[] = {1, 0, 0}, pauses[] = {1, 0, 0};
	for (int i = 0; i < 3; i++) {
		nest = proto_nest_start(&m, PROTO_A_DAY);
		proto_put_str(&m, PROTO_A_DATE, dates[i]);
		if (i == 1)
			proto_put_counter(&m, "reddit", 3);
		proto_put_u64(&m, PROTO_A_KEPT, kept[i]);
		proto_put_u64(&m, PROTO_A_PAUSES, pauses[i]);
		proto_put_u64(&m, PROTO_A_EARLY, early[i]);
		proto_nest_end(&m, nest);
	}
	copy = m;
	CHECK_STR(render(PROTO_CMD_STATS, &m),
	          "2026-03-08  (nothing blocked)\n"
	          "2026-03-07  reddit            3  ########################################\n"
	          "2026-03-06  (nothing blocked)\n"
	          "\n"
	          "breaks      kept early pauses  (# kept to the end, x ended early)\n"
	          "2026-03-08     2     1      1  ##x\n");
	CHECK(strstr(render_json(&copy), "{\"date\": \"2026-03-08\", \"kept\": 2, "
	                                 "\"pauses\": 1, \"ended_early\": 1}") != NULL);
}

int main(void)
{
	test_when();
	test_time_output();
	test_global();
	test_help_flags();
	test_check_output();
	test_detail_json();
	test_pause();
	test_days_check();
	test_output();
	CHECK_DONE();
}
