/* What the parts of smctl share: the parsed command line (args.c), the
 * connection and the reply it reads (client.c), and the two ways to print a
 * reply, for people (output.c) and as JSON (json.c); smctl.c wires them. */
#ifndef SMB_SMCTL_H
#define SMB_SMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

#define SMCTL_TIMEOUT_SECS 10 /* to connect, and for each reply */
/* A reload's reply comes when its run is done, and one asked for while
 * another runs waits for both: a huge list on a slow machine takes long. */
#define SMCTL_RELOAD_TIMEOUT_SECS 60

enum exit_code {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,
};

/* ---- args.c: the command line, checked and built into one request ---- */

enum args_result {
	ARGS_RUN,     /* send cl->req */
	ARGS_HELP,    /* -h, help [COMMAND]: print args_help or args_usage, exit 0 */
	ARGS_VERSION, /* -V before the command */
	ARGS_USAGE,   /* a usage error, already written to the error stream */
};

struct cmdline {
	const char *socket;
	bool json;
	bool verbose;         /* status -v */
	bool once;            /* watch --once: exit after the first event */
	const char *help_cmd; /* ARGS_HELP for this command; NULL: the summary */
	uint16_t cmd;         /* PROTO_CMD_* */
	size_t req_len;
	struct proto_msg req;
	/* The instant the line is read at (the caller may fix it; 0: the clock),
	 * and for pause the span it asks for (0: unknown) and --yes. */
	int64_t now, pause_start, pause_end;
	bool yes;
};

/* Parses argv (argv[0] is the program) into cl; a usage error's sentence
 * (no prefix, no newline) goes to err, for main to print as text or JSON.
 * cl->json is set even then when --json is anywhere. Pure but for writing
 * to err, so the unit test drives it. */
enum args_result args_parse(int argc, char **argv, FILE *err, struct cmdline *cl);
void args_usage(FILE *f);
/* A pause of more than 7 days asked in a terminal (tty) needs --yes, so
 * nobody locks themself in by a typo: 0, or -EINVAL with the sentence,
 * which shows the resolved end, in err. */
int args_confirm(const struct cmdline *cl, bool tty, FILE *err);
/* The help of one command; -ENOENT for an unknown name. */
int args_help(FILE *f, const char *name);

/* ---- client.c: one connection to smbreakd ---- */

/* One message read: views into the client's buffer, valid until the next
 * read. result, message and now are found once here because every printer
 * needs them; now falls back to this machine's clock. */
struct reply {
	const uint8_t *payload;
	size_t len;
	uint16_t type;
	uint32_t result;
	const char *message;
	int64_t now;
};

struct client {
	int fd;
	const char *path; /* named in every error */
	const char *code; /* why it failed, a word for --json ("no_socket", ...) */
	int timeout;      /* seconds to wait for a reply */
	char error[768];  /* and the sentence */
	uint8_t buf[PROTO_MSG_MAX];
};

/* Waits up to secs for each reply from now on. */
void client_set_timeout(struct client *c, int secs);
/* Each returns 0 or an exit code with c->code and c->error saying why;
 * client_read also -1 when SIGINT/SIGTERM ended a watch. */
int client_connect(struct client *c, const char *path);
int client_send(struct client *c, const uint8_t *buf, size_t len);
int client_read(struct client *c, struct reply *r);
/* For watch: no reply timeout, and SIGINT/SIGTERM end client_read. */
void client_watch_mode(struct client *c);
/* Sleeps secs; false when SIGINT/SIGTERM came (after client_watch_mode). */
bool client_sleep(int secs);
/* Closes the connection and forgets why it failed, for a new connect. */
void client_reset(struct client *c);
void client_close(struct client *c);

/* ---- output.c: the human form, one formatter per reply ---- */

/* The reply to command cmd (PROTO_CMD_*): what went wrong on stderr, the
 * rest on stdout; verbose for status -v. */
void output_reply(uint16_t cmd, bool verbose, const struct reply *r);
/* output_devices.c: smctl devices, after its message. */
void output_devices(const struct reply *r);
/* smctl status: a "Blocking:" line per device with breaks of its own;
 * returns how many. */
int output_status_devices(const struct reply *r);
/* For a refusal naming control group `group`: how this user gets in (join
 * it, or log in again when the group database has them already). False when
 * there is nothing to say. */
bool output_group_hint(const char *group, char *buf, size_t len);
/* One line per watch event, flushed. */
void output_event(const struct reply *r);
/* output_allow.c: the allowances' lines of status, their days in stats. */
void output_allowances(const struct reply *r);
void output_allowance_days(const struct reply *r);

/* ---- json.c: the stable JSON form (see json.c) ---- */

/* The whole reply as one JSON object on one line; a permission refusal
 * gets a "hint" too. */
void json_print(const struct reply *r);
/* An error of smctl's own (usage, daemon not reachable) as a JSON object on
 * stdout: {"result": exit code, "code": word, "message": sentence}. */
void json_error(int result, const char *code, const char *message);

#endif
