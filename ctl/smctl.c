/* smctl: the thin control client of smbreakd. main parses the command line
 * (args.c), sends the one request over the control socket (client.c) and
 * prints the reply in short human form (output.c) or as JSON (json.c); for
 * watch it then prints each event until a signal comes, reconnecting when
 * the daemon restarts. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "paths.h"

#include "smctl.h"

/* check answers like grep: 0 when the name or address is blocked now, 1
 * when it is not, so scripts can `if smctl check NAME`. */
static int exit_for(uint16_t cmd, const struct reply *r)
{
	struct proto_attr a;

	switch (r->result) {
	case PROTO_RESULT_OK:
		if (cmd == PROTO_CMD_CHECK && !proto_find(r->payload, r->len, PROTO_A_BLOCKED, &a))
			return EXIT_REFUSED;
		return EXIT_OK;
	case PROTO_RESULT_USAGE:
		return EXIT_USAGE;
	default:
		return EXIT_REFUSED;
	}
}

/* An error of smctl's own: "smctl: WHY" on stderr, or a JSON object on
 * stdout; returns rc. */
static int report(bool json, int rc, const char *code, const char *msg)
{
	if (json) {
		json_error(rc, code, msg);
		fflush(stdout);
	} else {
		fprintf(stderr, "smctl: %s\n", msg);
		if (rc == EXIT_USAGE)
			fputs("Try 'smctl --help'.\n", stderr);
	}
	return rc;
}

/* A line of watch's own, about the connection: an object with its kind for
 * --json, so that a reader of the stream knows it may have missed events. */
static void watch_note(bool json, const char *kind, const char *word, const char *msg)
{
	time_t now = time(NULL);

	if (json) {
		printf("{\"kind\": \"%s\", \"now\": %lld, \"message\": \"%s\"}\n", kind,
		       (long long)now, msg);
	} else {
		char when[16];
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		printf("%s %-6s %s\n", when, word, msg);
	}
	fflush(stdout);
}

/* Connects again after the daemon went away, every second at first and
 * then less often, until it answers the watch request: 0, or -1 on a
 * signal. */
static int watch_reconnect(const struct cmdline *cl, struct client *c)
{
	struct reply r;
	int wait = 1;

	watch_note(cl->json, "disconnected", "lost", "smbreakd went away; reconnecting");
	for (;;) {
		client_reset(c);
		if (client_connect(c, cl->socket) == 0 &&
		    client_send(c, cl->req.buf, cl->req_len) == 0 && client_read(c, &r) == 0 &&
		    r.type == PROTO_REPLY && r.result == PROTO_RESULT_OK) {
			client_watch_mode(c);
			watch_note(cl->json, "reconnected", "back", "connected to smbreakd again");
			return 0;
		}
		if (!client_sleep(wait))
			return -1;
		wait = wait < 5 ? wait + 1 : 5;
	}
}

/* After the first reply: one line (or JSON object) per event until a
 * signal (exit 0), or the first with --once; when the daemon goes away,
 * it reconnects. */
static int watch(const struct cmdline *cl, struct client *c)
{
	struct reply r;
	int rc;

	client_watch_mode(c);
	for (;;) {
		rc = client_read(c, &r);
		if (rc == -1)
			return EXIT_OK;
		if (rc) {
			if (watch_reconnect(cl, c) < 0)
				return EXIT_OK;
			continue;
		}
		if (r.type != PROTO_EVENT)
			continue;
		if (cl->json) {
			json_print(&r);
			fflush(stdout);
		} else {
			output_event(&r);
		}
		if (cl->once)
			return EXIT_OK;
	}
}

/* Sends the request, prints the reply (and, for watch, the events after it);
 * the exit code. */
static int run(const struct cmdline *cl, struct client *c)
{
	struct reply r;
	int rc;

	rc = client_connect(c, cl->socket);
	if (rc)
		return report(cl->json, rc, c->code, c->error);
	if (cl->cmd == PROTO_CMD_RELOAD)
		client_set_timeout(c, SMCTL_RELOAD_TIMEOUT_SECS);
	rc = client_send(c, cl->req.buf, cl->req_len);
	if (rc == 0)
		rc = client_read(c, &r);
	/* A reply must answer; an event first would be a daemon bug, skip it. */
	while (rc == 0 && r.type == PROTO_EVENT)
		rc = client_read(c, &r);
	if (rc < 0)
		return EXIT_OK;
	if (rc)
		return report(cl->json, rc, c->code, c->error);
	if (!cl->json)
		output_reply(cl->cmd, cl->verbose, &r);
	else if (cl->cmd != PROTO_CMD_WATCH || r.result != PROTO_RESULT_OK)
		json_print(&r);
	fflush(stdout);
	rc = exit_for(cl->cmd, &r);
	if (rc == EXIT_OK && cl->cmd == PROTO_CMD_WATCH)
		rc = watch(cl, c);
	return rc;
}

int main(int argc, char **argv)
{
	/* Both hold a whole message (64 KB), so they live on the heap. */
	struct cmdline *cl = calloc(1, sizeof(*cl));
	struct client *c = calloc(1, sizeof(*c));
	char why[512] = "";
	FILE *err = fmemopen(why, sizeof(why) - 1, "w");
	int rc = EXIT_USAGE;

	if (!cl || !c || !err) {
		fputs("smctl: out of memory\n", stderr);
		free(cl);
		free(c);
		if (err)
			fclose(err);
		return EXIT_REFUSED;
	}
	c->fd = -1;
	enum args_result res = args_parse(argc, argv, err, cl);
	/* A long pause typed at a terminal is confirmed; a script means it. */
	if (res == ARGS_RUN && args_confirm(cl, isatty(STDIN_FILENO), err) < 0)
		res = ARGS_USAGE;
	fclose(err);
	switch (res) {
	case ARGS_RUN:
		rc = run(cl, c);
		break;
	case ARGS_HELP:
		if (cl->help_cmd)
			args_help(stdout, cl->help_cmd);
		else
			args_usage(stdout);
		rc = EXIT_OK;
		break;
	case ARGS_VERSION:
		printf("smctl %s\n", SMB_VERSION);
		rc = EXIT_OK;
		break;
	case ARGS_USAGE:
		rc = report(cl->json, EXIT_USAGE, "usage", why);
		break;
	}
	client_close(c);
	free(cl);
	free(c);
	return rc;
}
