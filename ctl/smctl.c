/* smctl: the thin control client of smbreakd. main parses the command line
 * (args.c), sends the one request over the control socket (client.c) and
 * prints the reply in short human form (output.c) or as JSON (json.c); for
 * watch it then prints each event until the daemon goes or a signal comes. */
#include <stdlib.h>
#include <string.h>
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

/* After the first reply: one line (or JSON object) per event until the daemon
 * closes the connection (exit 3) or SIGINT/SIGTERM (exit 0). */
static int watch(struct client *c, bool json)
{
	struct reply r;
	int rc;

	client_watch_mode(c);
	for (;;) {
		rc = client_read(c, &r);
		if (rc == -1)
			return EXIT_OK;
		if (rc)
			return report(json, rc, c->code, c->error);
		if (r.type != PROTO_EVENT)
			continue;
		if (json) {
			json_print(&r);
			fflush(stdout);
		} else {
			output_event(&r);
		}
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
		rc = watch(c, cl->json);
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
