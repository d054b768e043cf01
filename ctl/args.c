/* smctl's command line: global options, the command, its options and words,
 * checked locally (for a good usage error before any connection) and built
 * into the one request smctl sends. Values are read by the same rules as the
 * daemon's (value.h), so what smctl accepts the daemon accepts too. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "paths.h"
#include "sched.h"
#include "smctl.h"
#include "value.h"
#include "whom.h"

#define ARGS_POS_MAX  4
#define ARGS_DAYS_MAX 3660        /* a sanity bound; the daemon says what each command takes */
#define ARGS_LONG     (7 * 86400) /* a pause longer than this needs --yes in a terminal */
#define ARGS_WHEN_MAX 64

/* Arguments after the command: options of that command and positional words.
 * Global options (-s, --json) may come here too. */
struct args {
	const char *pos[ARGS_POS_MAX];
	int n_pos;
	bool strict;
	const char *lists[SMB_LISTS_MAX];
	int n_lists;
	const char *days;
	/* pause: --at (two words joined, "sun" "16:00"), focus cycles, friction */
	char at[ARGS_WHEN_MAX];
	const char *cycles, *rest, *unlock_delay;
	bool yes, cancel;
	/* --user of pause and check: names or uids, the daemon resolves them */
	const char *users[SMB_WHOM_USERS_MAX];
	int n_users;
	/* --device: one for check, any number for pause; names, the daemon
	 * resolves them */
	const char *devices[SMB_DEVICES_MAX];
	int n_devices;
	/* the instant the command line is read at, and what the pause it asks
	 * for would span, as this machine's clock and zone see it (0: unknown) */
	int64_t now, start, end;
};

struct command {
	const char *name;
	uint16_t cmd;
	bool strict, list, days, verbose; /* options it takes */
	bool pause, cancel;               /* pause's own options; resume --cancel */
	int (*build)(struct args *a, FILE *err, struct proto_msg *req);
	const char *synopsis, *help; /* for `smctl help COMMAND` */
};

static int usage_error(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message goes to err (a buffer the caller prints as text or JSON);
 * returns -EINVAL, so a builder can `return usage_error(...)`. */
static int usage_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- building requests, one builder per command ---- */

static int build_none(struct args *a, FILE *err, struct proto_msg *req)
{
	(void)req;
	if (a->n_pos)
		return usage_error(err, "unexpected argument '%s'", a->pos[0]);
	return 0;
}

/* A WHEN (sched_parse_when) seen from `from`, into *t; the usage error
 * says which forms there are. */
static int parse_when(const char *s, int64_t from, bool after_at, FILE *err, int64_t *t)
{
	time_t v;
	int r = sched_parse_when(s, (time_t)from, &v);

	if (r == -ERANGE)
		return usage_error(
		    err,
		    after_at ? "'%s' is not after the --at start" : "'%s' is not in the future", s);
	if (r < 0)
		return usage_error(err,
		                   "bad time '%s': use HH:MM, like 17:30, 'tomorrow 09:00', "
		                   "'sun 16:00' or 2026-10-04T16:00",
		                   s);
	*t = v;
	return 0;
}

/* "pause until WHEN": the words after until, joined ("tomorrow" "09:00"). */
static int build_until(struct args *a, FILE *err, struct proto_msg *req)
{
	char when[ARGS_WHEN_MAX];

	if (a->n_pos > 3)
		return usage_error(err, "pause until %s %s: unexpected argument '%s'", a->pos[1],
		                   a->pos[2], a->pos[3]);
	if (a->n_pos < 2)
		return usage_error(err, "pause until needs a time, like: smctl pause until 17:30");
	if (a->n_pos == 3 && value_parse_time_of_day(a->pos[2], false, &(uint32_t){0}) < 0)
		return usage_error(err, "pause until %s: unexpected argument '%s'", a->pos[1],
		                   a->pos[2]);
	snprintf(when, sizeof(when), "%s%s%s", a->pos[1], a->n_pos == 3 ? " " : "",
	         a->n_pos == 3 ? a->pos[2] : "");
	if (parse_when(when, a->start, a->at[0] != 0, err, &a->end) < 0)
		return -EINVAL;
	proto_put_str(req, PROTO_A_UNTIL, when);
	return 0;
}

/* "pause", "pause 45m", "pause until WHEN"; the daemon works out the end
 * again (its clock decides), this catches typos and sees how long. */
static int build_pause_time(struct args *a, FILE *err, struct proto_msg *req)
{
	uint64_t secs;
	int r;

	if (a->n_pos >= 1 && strcmp(a->pos[0], "until") == 0)
		return build_until(a, err, req);
	if (a->n_pos > 1)
		return usage_error(err,
		                   "pause takes one duration or 'until WHEN': unexpected argument "
		                   "'%s'",
		                   a->pos[1]);
	if (a->n_pos == 0)
		return 0;
	r = value_parse_duration(a->pos[0], &secs);
	if (r == -ERANGE)
		return usage_error(err, "duration '%s' is too long", a->pos[0]);
	if (r < 0 && value_parse_time_of_day(a->pos[0], false, &(uint32_t){0}) == 0)
		return usage_error(err, "bad duration '%s'; did you mean: smctl pause until %s",
		                   a->pos[0], a->pos[0]);
	if (r < 0)
		return usage_error(err,
		                   "bad duration '%s': use a number with a unit s, m, h "
		                   "or d, like 90s, 45m, 1h30m, 2d",
		                   a->pos[0]);
	if (secs == 0)
		return usage_error(err, "a pause must last longer than 0s");
	a->end = a->start + (int64_t)secs;
	proto_put_u64(req, PROTO_A_DURATION, secs);
	return 0;
}

/* A duration option's value, more than 0s, into a u64 attribute. */
static int put_duration(struct proto_msg *req, uint16_t type, const char *opt, const char *v,
                        FILE *err)
{
	uint64_t secs;

	if (value_parse_duration(v, &secs) < 0 || secs == 0)
		return usage_error(err, "%s takes a duration, like %s 5m (got '%s')", opt, opt, v);
	proto_put_u64(req, type, secs);
	return 0;
}

/* --at, --cycles, --rest, --unlock-delay. */
static int build_plan(struct args *a, FILE *err, struct proto_msg *req)
{
	uint32_t n;

	if (a->at[0]) {
		if (parse_when(a->at, a->now, false, err, &a->start) < 0)
			return -EINVAL;
		proto_put_str(req, PROTO_A_AT, a->at);
	}
	if (a->cycles) {
		if (value_parse_count(a->cycles, 1, 32, &n) < 0)
			return usage_error(err, "--cycles takes 1 to 32 (got '%s')", a->cycles);
		proto_put_u32(req, PROTO_A_CYCLES, n);
	}
	if (a->rest && put_duration(req, PROTO_A_REST, "--rest", a->rest, err) < 0)
		return -EINVAL;
	if (a->unlock_delay &&
	    put_duration(req, PROTO_A_UNLOCK_DELAY, "--unlock-delay", a->unlock_delay, err) < 0)
		return -EINVAL;
	return 0;
}

static int build_pause(struct args *a, FILE *err, struct proto_msg *req)
{
	a->start = a->now;
	int r = build_plan(a, err, req);

	if (r == 0)
		r = build_pause_time(a, err, req);
	if (r)
		return r;
	if (a->strict)
		proto_put_flag(req, PROTO_A_STRICT);
	for (int i = 0; i < a->n_lists; i++)
		proto_put_str(req, PROTO_A_LIST, a->lists[i]);
	for (int i = 0; i < a->n_users; i++)
		proto_put_str(req, PROTO_A_USER, a->users[i]);
	for (int i = 0; i < a->n_devices; i++)
		proto_put_str(req, PROTO_A_FOR_DEVICE, a->devices[i]);
	return 0;
}

static int build_resume(struct args *a, FILE *err, struct proto_msg *req)
{
	if (a->cancel)
		proto_put_flag(req, PROTO_A_CANCEL);
	return build_none(a, err, req);
}

static int build_cancel(struct args *a, FILE *err, struct proto_msg *req)
{
	uint32_t id;

	if (a->n_pos > 1)
		return usage_error(err, "cancel: unexpected argument '%s'", a->pos[1]);
	if (a->n_pos == 0 || value_parse_count(a->pos[0], 1, UINT32_MAX, &id) < 0)
		return usage_error(err,
		                   "cancel needs the id of a planned pause, like: smctl cancel "
		                   "3 (smctl schedule lists them)");
	proto_put_u32(req, PROTO_A_ID, id);
	return 0;
}

static int build_days(struct args *a, FILE *err, struct proto_msg *req)
{
	uint32_t days;

	if (a->n_pos)
		return usage_error(err, "unexpected argument '%s'", a->pos[0]);
	if (!a->days)
		return 0;
	if (value_parse_count(a->days, 1, ARGS_DAYS_MAX, &days) < 0)
		return usage_error(err, "--days takes a number of days, like --days 7 (got '%s')",
		                   a->days);
	proto_put_u32(req, PROTO_A_DAYS, days);
	return 0;
}

/* An address is looked up in the address sets, anything else as a name; the
 * daemon normalises the name, this only catches what cannot be one. */
static int build_check(struct args *a, FILE *err, struct proto_msg *req)
{
	const char *d;
	uint8_t addr[16];
	int family;

	if (a->n_pos != 1)
		return usage_error(err, "check needs one domain or address, like: smctl check "
		                        "www.instagram.com");
	d = a->pos[0];
	if (value_parse_ip(d, &family, addr) < 0 &&
	    (strlen(d) > 253 || strlen(d) == 0 || strpbrk(d, " \t/:@")))
		return usage_error(err,
		                   "bad domain '%s': give a name like www.instagram.com or an "
		                   "address",
		                   d);
	proto_put_str(req, PROTO_A_DOMAIN, d);
	if (a->n_users > 1)
		return usage_error(err, "check takes one --user");
	if (a->n_users)
		proto_put_str(req, PROTO_A_USER, a->users[0]);
	if (a->n_devices > 1)
		return usage_error(err, "check takes one --device");
	if (a->n_devices)
		proto_put_str(req, PROTO_A_DEVICE_NAME, a->devices[0]);
	return 0;
}

/* "lists [NAME]", "services [NAME]": what one of them holds. */
static int build_name(struct args *a, FILE *err, struct proto_msg *req)
{
	if (a->n_pos > 1)
		return usage_error(err, "unexpected argument '%s'", a->pos[1]);
	if (a->n_pos == 0)
		return 0;
	if (!value_valid_name(a->pos[0]))
		return usage_error(err, "bad name '%s': names use a-z, 0-9, _ and -", a->pos[0]);
	proto_put_str(req, PROTO_A_NAME, a->pos[0]);
	return 0;
}

static const struct command commands[] = {
    {"status", PROTO_CMD_STATUS, false, false, false, true, false, false, build_none, "status [-v]",
     "what is blocked now, until when, the next break\n"
     "  -v, --verbose   also the daemon's counters, version and config file"},
    {"pause", PROTO_CMD_PAUSE, true, true, false, false, true, false, build_pause,
     "pause [DURATION|until WHEN] [OPTIONS]",
     "start a break now, or plan one; no argument toggles one\n"
     "  DURATION        90s, 45m, 1h30m, 2d: starts a pause or extends the one on\n"
     "  until WHEN      17:30 (the next such time), 'today 17:30', 'tomorrow 09:00',\n"
     "                  'sun 16:00' (the next Sunday), 2026-10-04T16:00; at most 30d\n"
     "  --strict        nobody can end it early\n"
     "  --user NAME     for that user only (repeatable); default: everyone\n"
     "  --device NAME   for that device of the LAN only (repeatable; gateway mode)\n"
     "  --list NAME     block only this list (repeatable); default every list\n"
     "  --at WHEN       plan it to start then (smctl schedule lists it, with an id)\n"
     "  --cycles N      focus cycles: N pauses of DURATION, the first now (or --at)\n"
     "  --rest D        with --cycles: D between them\n"
     "  --unlock-delay D  resume ends it only D after it is asked (taken back by\n"
     "                  resume --cancel or pause)\n"
     "  --yes           a pause longer than 7 days, asked in a terminal"},
    {"resume", PROTO_CMD_RESUME, false, false, false, false, false, true, build_resume,
     "resume [--cancel]",
     "end the pause (not a strict one; one with an unlock delay ends after it)\n"
     "  --cancel        take back a resume waiting out its unlock delay"},
    {"skip", PROTO_CMD_SKIP, false, false, false, false, false, false, build_none, "skip",
     "end the scheduled break that is on (not a strict one)"},
    {"cancel", PROTO_CMD_CANCEL, false, false, false, false, false, false, build_cancel,
     "cancel ID", "drop a planned pause before it starts, even a strict one"},
    {"schedule", PROTO_CMD_SCHEDULE, false, false, true, false, false, false, build_days,
     "schedule [--days N]",
     "upcoming breaks, and planned pauses with their ids\n"
     "  --days N        how far ahead, 1 to 60 (default 7)"},
    {"check", PROTO_CMD_CHECK, false, false, false, false, false, false, build_check,
     "check DOMAIN|ADDRESS [--user NAME | --device NAME]",
     "is DOMAIN blocked, by which entry (file:line), in which breaks;\n"
     "or what the address sets hold for ADDRESS\n"
     "  --user NAME     as that user: breaks for some users count for them\n"
     "  --device NAME   for that device of the LAN (gateway mode)\n"
     "  exit status 0 when it is blocked now, 1 when it is not (like grep)"},
    {"stats", PROTO_CMD_STATS, false, false, true, false, false, false, build_days,
     "stats [--days N]",
     "blocked attempts per service, and breaks kept or ended early, per day\n"
     "  --days N        how many days back, 1 to 90 (default 7)"},
    {"reload", PROTO_CMD_RELOAD, false, false, false, false, false, false, build_none, "reload",
     "re-read the configuration; exit 1 with its errors if it is rejected"},
    {"watch", PROTO_CMD_WATCH, false, false, false, false, false, false, build_none,
     "watch [--once]",
     "print events (warnings, breaks starting and ending, skips, unlock delays,\n"
     "  refused names) as they come, reconnecting when the daemon restarts\n"
     "  --once          exit after the first event\n"
     "  --json          one object per line: kind, name, lists, whom, start, end,\n"
     "                  remaining"},
    {"lists", PROTO_CMD_LISTS, false, false, false, false, false, false, build_name, "lists [NAME]",
     "the configured lists and breaks; with NAME, what that list holds\n"
     "  (its services, domains and files, with how many names each gave)"},
    {"services", PROTO_CMD_SERVICES, false, false, false, false, false, false, build_name,
     "services [NAME]",
     "the service catalog, with domain counts; with NAME, that service's domains"},
    {"devices", PROTO_CMD_DEVICES, false, false, false, false, false, false, build_none, "devices",
     "gateway mode: each device, its MACs, the addresses the router sees it at, what\n"
     "  is blocked for it and until when; then the LAN's devices not configured"},
};
static const size_t n_commands = sizeof(commands) / sizeof(commands[0]);

void args_usage(FILE *f)
{
	fputs("usage: smctl [-s SOCKET] [--json] [COMMAND [ARGS]]\n\n", f);
	for (size_t k = 0; k < n_commands; k++) {
		const struct command *c = &commands[k];
		const char *nl = strchr(c->help, '\n');
		int w = (int)strlen(c->synopsis);

		/* The first line of each command's help. */
		fprintf(f, "  %s%*s%.*s\n", c->synopsis, w < 27 ? 27 - w : 1, "",
		        nl ? (int)(nl - c->help) : (int)strlen(c->help), c->help);
	}
	fprintf(f,
	        "  help [COMMAND]             this help, or a command's\n"
	        "\n"
	        "  -s, --socket SOCKET        control socket (default %s)\n"
	        "  -j, --json                 print the reply (and any error) as JSON\n"
	        "  -h, --help                 this help\n"
	        "  -V, --version              print the version\n"
	        "\n"
	        "Without a command smctl shows the status. Durations: 90s, 45m, 1h30m, 2d.\n"
	        "Exit status: 0 ok, 1 refused or failed, 2 usage, 3 the daemon is not\n"
	        "reachable; check: 0 blocked now, 1 not blocked now.\n",
	        SMB_SOCKET_PATH);
}

int args_help(FILE *f, const char *name)
{
	for (size_t k = 0; k < n_commands; k++) {
		if (strcmp(commands[k].name, name) != 0)
			continue;
		fprintf(f, "usage: smctl %s\n\n%s\n", commands[k].synopsis, commands[k].help);
		return 0;
	}
	return -ENOENT;
}

/* ---- options ---- */

#define ARGS_WORDS_MAX 64 /* words after short clusters are split */

/* argv with every short cluster split ("-js SOCK" is "-j -s SOCK", "-sPATH"
 * is "-s PATH"), up to "--"; *n words, or -EINVAL after a usage error. */
static int split_clusters(int argc, char **argv, FILE *err, const char **w, int *n)
{
	static const char *const shorts[] = {"-j", "-s", "-h", "-V", "-v"};
	bool rest = false;

	*n = 0;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (!rest && strcmp(s, "--") == 0)
			rest = true;
		if (rest || s[0] != '-' || s[1] == '-' || s[1] == 0 || s[2] == 0) {
			if (*n == ARGS_WORDS_MAX)
				return usage_error(err, "too many arguments");
			w[(*n)++] = s;
			continue;
		}
		for (const char *p = s + 1; *p; p++) {
			const char *flag = NULL;

			for (size_t k = 0; k < sizeof(shorts) / sizeof(shorts[0]); k++)
				if (shorts[k][1] == *p)
					flag = shorts[k];
			if (!flag)
				return usage_error(err, "unknown option '-%c' (in '%s')", *p, s);
			if (*n + 2 > ARGS_WORDS_MAX)
				return usage_error(err, "too many arguments");
			w[(*n)++] = flag;
			if (*p == 's' && p[1]) { /* the rest of the cluster is the value */
				w[(*n)++] = p + 1;
				break;
			}
		}
	}
	return 0;
}

enum value_opt {
	OPT_SOCKET,
	OPT_LIST,
	OPT_DAYS,
	OPT_AT,
	OPT_CYCLES,
	OPT_REST,
	OPT_UNLOCK_DELAY,
	OPT_DEVICE,
	OPT_NONE
};
static const char *const value_opts[] = {"--socket", "--list", "--days",         "--at",
                                         "--cycles", "--rest", "--unlock-delay", "--device"};

/* An option with a value, "-s VALUE", "--opt VALUE" or "--opt=VALUE";
 * advances *i past a separate value. OPT_NONE when s is none of them, -1
 * when the value is missing. */
static int value_option(int n, const char **w, int *i, FILE *err, const char **val)
{
	const char *const *names = value_opts;
	const char *s = w[*i];

	for (int k = 0; k < OPT_NONE; k++) {
		size_t len = strlen(names[k]);

		if (strcmp(s, names[k]) == 0 || (k == OPT_SOCKET && strcmp(s, "-s") == 0)) {
			if (*i + 1 >= n) {
				usage_error(err, "%s needs a value", s);
				return -1;
			}
			*val = w[++*i];
			return k;
		}
		if (strncmp(s, names[k], len) == 0 && s[len] == '=') {
			*val = s + len + 1;
			return k;
		}
	}
	return OPT_NONE;
}

static int add_pos(struct args *a, const char *s, FILE *err, const char *cmd)
{
	if (a->n_pos == ARGS_POS_MAX)
		return usage_error(err, "%s: too many arguments", cmd);
	a->pos[a->n_pos++] = s;
	return 0;
}

static bool is(const char *s, const char *short_form, const char *long_form)
{
	return strcmp(s, short_form) == 0 || strcmp(s, long_form) == 0;
}

/* --user NAME or --user=NAME: a user name (a-z, 0-9, _, -) or a uid. */
static int option_user(int n, const char **w, int *i, FILE *err, struct args *a)
{
	const char *v = strchr(w[*i], '=') ? strchr(w[*i], '=') + 1 : NULL;

	if (!v && *i + 1 < n)
		v = w[++*i];
	if (!v || !*v || strlen(v) > 32 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789_-$") != strlen(v))
		return usage_error(err, "--user takes a user name or uid, like --user alice");
	if (a->n_users == SMB_WHOM_USERS_MAX)
		return usage_error(err, "too many --user options (at most %d)", SMB_WHOM_USERS_MAX);
	a->users[a->n_users++] = v;
	return 0;
}

/* The option at w[*i], for command c (NULL before the command, where only
 * the global ones go); 0 or -EINVAL. */
static int option(int n, const char **w, int *i, FILE *err, const struct command *c,
                  struct cmdline *cl, struct args *a)
{
	const char *s = w[*i], *val = NULL;

	if (is(s, "-j", "--json")) {
		cl->json = true;
		return 0;
	}
	if (c && c->strict && strcmp(s, "--strict") == 0) {
		a->strict = true;
		return 0;
	}
	if ((!c || c->verbose) && is(s, "-v", "--verbose")) {
		cl->verbose = true;
		return 0;
	}
	if (c && c->pause && strcmp(s, "--yes") == 0) {
		a->yes = true;
		return 0;
	}
	if (c && c->cancel && strcmp(s, "--cancel") == 0) {
		a->cancel = true;
		return 0;
	}
	if (c && c->cmd == PROTO_CMD_WATCH && strcmp(s, "--once") == 0) {
		cl->once = true;
		return 0;
	}
	if (c && (c->cmd == PROTO_CMD_PAUSE || c->cmd == PROTO_CMD_CHECK) &&
	    (strcmp(s, "--user") == 0 || strncmp(s, "--user=", 7) == 0))
		return option_user(n, w, i, err, a);
	int k = value_option(n, w, i, err, &val);
	switch (k) {
	case -1:
		return -EINVAL;
	case OPT_SOCKET:
		cl->socket = val;
		return 0;
	case OPT_LIST:
		if (!c || !c->list)
			break;
		if (!value_valid_name(val))
			return usage_error(err,
			                   "bad list name '%s': lists are named with a-z, "
			                   "0-9, _ and -",
			                   val);
		if (a->n_lists == SMB_LISTS_MAX)
			return usage_error(err, "too many --list options");
		a->lists[a->n_lists++] = val;
		return 0;
	case OPT_DAYS:
		if (!c || !c->days)
			break;
		a->days = val;
		return 0;
	case OPT_AT:
		if (!c || !c->pause)
			break;
		/* --at sun 16:00: a day word and the time after it, unquoted */
		if (!strchr(val, ' ') && value_parse_time_of_day(val, false, &(uint32_t){0}) < 0 &&
		    *i + 1 < n && value_parse_time_of_day(w[*i + 1], false, &(uint32_t){0}) == 0)
			snprintf(a->at, sizeof(a->at), "%s %s", val, w[++*i]);
		else
			snprintf(a->at, sizeof(a->at), "%s", val);
		return 0;
	case OPT_CYCLES:
	case OPT_REST:
	case OPT_UNLOCK_DELAY:
		if (!c || !c->pause)
			break;
		*(k == OPT_CYCLES ? &a->cycles : k == OPT_REST ? &a->rest : &a->unlock_delay) = val;
		return 0;
	case OPT_DEVICE:
		if (!c || (c->cmd != PROTO_CMD_CHECK && c->cmd != PROTO_CMD_PAUSE))
			break;
		if (a->n_devices == SMB_DEVICES_MAX)
			return usage_error(err, "too many --device options (at most %d)",
			                   SMB_DEVICES_MAX);
		if (!value_valid_name(val))
			return usage_error(
			    err,
			    "bad device name '%s': devices are named with a-z, 0-9, _ "
			    "and -",
			    val);
		a->devices[a->n_devices++] = val;
		return 0;
	default:
		break;
	}
	if (!c)
		return usage_error(err, "unknown option '%s'", s);
	return usage_error(err, "%s: unknown option '%s'", c->name, s);
}

static const struct command *find_command(const char *name)
{
	for (size_t k = 0; k < n_commands; k++)
		if (strcmp(name, commands[k].name) == 0)
			return &commands[k];
	return NULL;
}

/* `help [COMMAND]`, and -h after a command: which help to print. */
static enum args_result help(FILE *err, struct cmdline *cl, const char *name)
{
	if (name && !find_command(name)) {
		usage_error(err, "no command '%s' to help with", name);
		return ARGS_USAGE;
	}
	cl->help_cmd = name;
	return ARGS_HELP;
}

/* The words from the command on (or none: status) into a, and the command. */
static enum args_result parse_words(int n, const char **w, FILE *err, struct cmdline *cl,
                                    struct args *a, const struct command **cmd)
{
	const struct command *c = NULL;
	bool rest = false;

	for (int i = 0; i < n; i++) {
		const char *s = w[i];

		if (!rest && strcmp(s, "--") == 0) {
			rest = true;
		} else if (!rest && is(s, "-h", "--help")) {
			return help(err, cl, c ? c->name : NULL);
		} else if (!c && !rest && is(s, "-V", "--version")) {
			return ARGS_VERSION;
		} else if (!c && (rest || s[0] != '-' || s[1] == 0)) {
			if (strcmp(s, "help") == 0)
				return help(err, cl, i + 1 < n ? w[i + 1] : NULL);
			c = find_command(s);
			if (!c) {
				usage_error(err, "unknown command '%s'", s);
				return ARGS_USAGE;
			}
		} else if (rest || s[0] != '-' || s[1] == 0) {
			if (add_pos(a, s, err, c->name))
				return ARGS_USAGE;
		} else if (option(n, w, &i, err, c, cl, a)) {
			return ARGS_USAGE;
		}
	}
	/* Without a command, the status (as systemctl and git do). */
	*cmd = c ? c : find_command("status");
	if (cl->verbose && !(*cmd)->verbose) {
		usage_error(err, "%s: unknown option '-v'", (*cmd)->name);
		return ARGS_USAGE;
	}
	return ARGS_RUN;
}

/* Whether --json is asked for anywhere, so that even an error before it is
 * seen is written as JSON. */
static bool wants_json(int n, const char **w)
{
	for (int i = 0; i < n && strcmp(w[i], "--") != 0; i++) {
		bool value = strcmp(w[i], "-s") == 0;
		for (size_t k = 0; k < sizeof(value_opts) / sizeof(value_opts[0]); k++)
			value |= strcmp(w[i], value_opts[k]) == 0;
		if (value)
			i++; /* a value, whatever it looks like */
		else if (is(w[i], "-j", "--json"))
			return true;
	}
	return false;
}

enum args_result args_parse(int argc, char **argv, FILE *err, struct cmdline *cl)
{
	const char *w[ARGS_WORDS_MAX];
	const struct command *c = NULL;
	enum args_result res;
	struct args a = {0};
	int n;

	cl->socket = SMB_SOCKET_PATH;
	cl->json = false;
	cl->verbose = false;
	cl->once = false;
	cl->help_cmd = NULL;
	if (split_clusters(argc, argv, err, w, &n) < 0) {
		for (int i = 1; i < argc; i++)
			cl->json |= strcmp(argv[i], "--json") == 0;
		return ARGS_USAGE;
	}
	cl->json = wants_json(n, w);
	res = parse_words(n, w, err, cl, &a, &c);
	if (res != ARGS_RUN)
		return res;
	cl->cmd = c->cmd;
	proto_msg_init(&cl->req, c->cmd);
	a.now = cl->now ? cl->now : (int64_t)time(NULL);
	if (c->build(&a, err, &cl->req))
		return ARGS_USAGE;
	cl->yes = a.yes;
	cl->now = a.now;
	cl->pause_start = a.start;
	cl->pause_end = a.end;
	n = proto_msg_finish(&cl->req);
	if (n < 0) {
		usage_error(err, "the request is too large");
		return ARGS_USAGE;
	}
	cl->req_len = (size_t)n;
	/* A path that cannot be a socket address is a usage error, after the
	 * request's own. */
	if (strlen(cl->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		usage_error(err, "socket path too long: %s", cl->socket);
		return ARGS_USAGE;
	}
	return ARGS_RUN;
}

int args_confirm(const struct cmdline *cl, bool tty, FILE *err)
{
	char when[64], start[64];

	if (cl->cmd != PROTO_CMD_PAUSE || cl->yes || !tty || !cl->pause_end ||
	    cl->pause_end - cl->pause_start <= ARGS_LONG)
		return 0;
	value_format_instant((time_t)cl->pause_end, (time_t)cl->pause_start, when, sizeof(when));
	value_format_instant((time_t)cl->pause_start, (time_t)cl->now, start, sizeof(start));
	if (cl->pause_start > cl->now)
		return usage_error(err,
		                   "a pause from %s until %s is longer than 7 days: add --yes "
		                   "if you mean it",
		                   start, when);
	return usage_error(err, "pause until %s is longer than 7 days: add --yes if you mean it",
	                   when);
}
