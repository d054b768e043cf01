/* smctl's command line: global options, the command, its options and words,
 * checked locally (for a good usage error before any connection) and built
 * into the one request smctl sends. Values are read by the same rules as the
 * daemon's (value.h), so what smctl accepts the daemon accepts too. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "paths.h"
#include "smctl.h"
#include "value.h"

#define ARGS_POS_MAX  4
#define ARGS_DAYS_MAX 3660 /* a sanity bound; the daemon says what each command takes */

/* Arguments after the command: options of that command and positional words.
 * Global options (-s, --json) may come here too. */
struct args {
	const char *pos[ARGS_POS_MAX];
	int n_pos;
	bool strict;
	const char *lists[SMB_LISTS_MAX];
	int n_lists;
	const char *days;
};

struct command {
	const char *name;
	uint16_t cmd;
	bool strict, list, days; /* options it takes */
	int (*build)(const struct args *a, FILE *err, struct proto_msg *req);
};

void args_usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: smctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
	    "\n"
	    "  status                     what is blocked now, until when, next break\n"
	    "  pause [DURATION|until HH:MM] [--strict] [--list NAME]...\n"
	    "                             start a break now; no argument toggles one\n"
	    "  resume                     end the pause (not a strict one)\n"
	    "  skip                       end the scheduled break that is on (not a strict one)\n"
	    "  schedule [--days N]        upcoming breaks\n"
	    "  check DOMAIN|ADDRESS       would DOMAIN be blocked, and why; or what the\n"
	    "                             address sets hold for ADDRESS\n"
	    "  stats [--days N]           blocked attempts per service per day\n"
	    "  reload                     re-read the configuration\n"
	    "  watch                      print events (breaks starting, ending) as they come\n"
	    "  lists                      names of the configured lists and breaks\n"
	    "  services                   the service catalog, with domain counts\n"
	    "\n"
	    "  -s, --socket SOCKET        control socket (default %s)\n"
	    "  -j, --json                 print the reply as JSON\n"
	    "  -h, --help                 this help\n"
	    "  -V, --version              print the version\n"
	    "\n"
	    "Durations: 90s, 45m, 1h30m, 2d. Exit status: 0 ok, 1 refused or failed,\n"
	    "2 usage, 3 the daemon is not reachable.\n",
	    SMB_SOCKET_PATH);
}

static int usage_error(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Returns -EINVAL, so a builder can `return usage_error(...)`. */
static int usage_error(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fputs("smctl: ", err);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fputs("\nTry 'smctl --help'.\n", err);
	return -EINVAL;
}

/* ---- building requests, one builder per command ---- */

static int build_none(const struct args *a, FILE *err, struct proto_msg *req)
{
	(void)req;
	if (a->n_pos)
		return usage_error(err, "unexpected argument '%s'", a->pos[0]);
	return 0;
}

/* "pause", "pause 45m", "pause until 17:30"; the daemon works out the end. */
static int build_pause_time(const struct args *a, FILE *err, struct proto_msg *req)
{
	uint64_t secs;
	int r;

	if (a->n_pos >= 1 && strcmp(a->pos[0], "until") == 0) {
		if (a->n_pos != 2)
			return usage_error(
			    err, "pause until needs a time, like: smctl pause until 17:30");
		if (value_parse_time_of_day(a->pos[1], false, &(uint32_t){0}) < 0)
			return usage_error(err, "bad time '%s': use HH:MM, like 17:30", a->pos[1]);
		proto_put_str(req, PROTO_A_UNTIL, a->pos[1]);
		return 0;
	}
	if (a->n_pos > 1)
		return usage_error(err, "pause takes one duration or 'until HH:MM'");
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
	proto_put_u64(req, PROTO_A_DURATION, secs);
	return 0;
}

static int build_pause(const struct args *a, FILE *err, struct proto_msg *req)
{
	int r = build_pause_time(a, err, req);

	if (r)
		return r;
	if (a->strict)
		proto_put_flag(req, PROTO_A_STRICT);
	for (int i = 0; i < a->n_lists; i++)
		proto_put_str(req, PROTO_A_LIST, a->lists[i]);
	return 0;
}

static int build_days(const struct args *a, FILE *err, struct proto_msg *req)
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
static int build_check(const struct args *a, FILE *err, struct proto_msg *req)
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
	return 0;
}

static const struct command commands[] = {
    {"status", PROTO_CMD_STATUS, false, false, false, build_none},
    {"pause", PROTO_CMD_PAUSE, true, true, false, build_pause},
    {"resume", PROTO_CMD_RESUME, false, false, false, build_none},
    {"skip", PROTO_CMD_SKIP, false, false, false, build_none},
    {"schedule", PROTO_CMD_SCHEDULE, false, false, true, build_days},
    {"reload", PROTO_CMD_RELOAD, false, false, false, build_none},
    {"check", PROTO_CMD_CHECK, false, false, false, build_check},
    {"stats", PROTO_CMD_STATS, false, false, true, build_days},
    {"watch", PROTO_CMD_WATCH, false, false, false, build_none},
    {"lists", PROTO_CMD_LISTS, false, false, false, build_none},
    {"services", PROTO_CMD_SERVICES, false, false, false, build_none},
};

/* ---- options ---- */

enum value_opt { OPT_S, OPT_SOCKET, OPT_LIST, OPT_DAYS, OPT_NONE };

/* An option with a value, "--opt VALUE" or "--opt=VALUE" (not "-s=VALUE");
 * advances *i past a separate value. OPT_NONE when s is none of them, -1
 * when the value is missing. */
static int value_option(int argc, char **argv, int *i, FILE *err, const char **val)
{
	static const char *const names[] = {"-s", "--socket", "--list", "--days"};
	const char *s = argv[*i];

	for (int k = 0; k < OPT_NONE; k++) {
		size_t n = strlen(names[k]);

		if (strcmp(s, names[k]) == 0) {
			if (*i + 1 >= argc) {
				usage_error(err, "%s needs a value", names[k]);
				return -1;
			}
			*val = argv[++*i];
			return k;
		}
		if (k > 0 && strncmp(s, names[k], n) == 0 && s[n] == '=') {
			*val = s + n + 1;
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

/* The option at argv[*i], for command c; 0 or -EINVAL. */
static int command_option(int argc, char **argv, int *i, FILE *err, const struct command *c,
                          struct cmdline *cl, struct args *a)
{
	const char *s = argv[*i], *val = NULL;

	if (strcmp(s, "--json") == 0 || strcmp(s, "-j") == 0) {
		cl->json = true;
		return 0;
	}
	if (c->strict && strcmp(s, "--strict") == 0) {
		a->strict = true;
		return 0;
	}
	switch (value_option(argc, argv, i, err, &val)) {
	case -1:
		return -EINVAL;
	case OPT_S:
	case OPT_SOCKET:
		cl->socket = val;
		return 0;
	case OPT_LIST:
		if (!c->list)
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
		if (!c->days)
			break;
		a->days = val;
		return 0;
	default:
		break;
	}
	return usage_error(err, "%s: unknown option '%s'", c->name, s);
}

/* Everything after the command; "--" ends the options. */
static int command_args(int argc, char **argv, FILE *err, const struct command *c,
                        struct cmdline *cl, struct args *a)
{
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		int r;

		if (strcmp(s, "--") == 0) {
			for (i++; i < argc; i++)
				if (add_pos(a, argv[i], err, c->name))
					return -EINVAL;
			return 0;
		}
		if (s[0] != '-' || s[1] == 0)
			r = add_pos(a, s, err, c->name);
		else
			r = command_option(argc, argv, &i, err, c, cl, a);
		if (r)
			return r;
	}
	return 0;
}

/* Global options, up to the command: the index of the command word, or -1
 * with *res saying why there is none. */
static int global_options(int argc, char **argv, FILE *err, struct cmdline *cl,
                          enum args_result *res)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *s = argv[i];

		if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
			*res = ARGS_HELP;
			return -1;
		}
		if (strcmp(s, "-V") == 0 || strcmp(s, "--version") == 0) {
			*res = ARGS_VERSION;
			return -1;
		}
		if (strcmp(s, "-j") == 0 || strcmp(s, "--json") == 0) {
			cl->json = true;
		} else if (strcmp(s, "-s") == 0 || strcmp(s, "--socket") == 0) {
			if (++i >= argc) {
				usage_error(err, "%s needs a socket path", s);
				*res = ARGS_USAGE;
				return -1;
			}
			cl->socket = argv[i];
		} else if (strncmp(s, "--socket=", 9) == 0) {
			cl->socket = s + 9;
		} else if (s[0] == '-') {
			usage_error(err, "unknown option '%s'", s);
			*res = ARGS_USAGE;
			return -1;
		} else {
			return i;
		}
	}
	usage_error(err, "a command is needed, like: smctl status");
	*res = ARGS_USAGE;
	return -1;
}

static const struct command *find_command(const char *name)
{
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(name, commands[k].name) == 0)
			return &commands[k];
	return NULL;
}

enum args_result args_parse(int argc, char **argv, FILE *err, struct cmdline *cl)
{
	const struct command *c;
	enum args_result res = ARGS_RUN;
	struct args a = {0};
	int i, n;

	cl->socket = SMB_SOCKET_PATH;
	cl->json = false;
	i = global_options(argc, argv, err, cl, &res);
	if (i < 0)
		return res;
	c = find_command(argv[i]);
	if (!c) {
		usage_error(err, "unknown command '%s'", argv[i]);
		return ARGS_USAGE;
	}
	for (int k = i + 1; k < argc; k++)
		if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0)
			return ARGS_HELP;
	if (command_args(argc - i - 1, argv + i + 1, err, c, cl, &a))
		return ARGS_USAGE;
	cl->cmd = c->cmd;
	proto_msg_init(&cl->req, c->cmd);
	if (c->build(&a, err, &cl->req))
		return ARGS_USAGE;
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
