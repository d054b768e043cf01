/* smctl: the thin control client of smbreakd. main parses the command line
 * (args.c), sends the one request over the control socket (client.c) and
 * prints the reply in short human form (output.c) or as JSON (json.c); for
 * watch it then prints each event until the daemon goes or a signal comes. */
#include <stdlib.h>

#include "paths.h"

#include "smctl.h"

static int exit_for(uint32_t result)
{
	switch (result) {
	case PROTO_RESULT_OK:
		return EXIT_OK;
	case PROTO_RESULT_USAGE:
		return EXIT_USAGE;
	default:
		return EXIT_REFUSED;
	}
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
			return rc;
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
		return rc;
	rc = client_send(c, cl->req.buf, cl->req_len);
	if (rc == 0)
		rc = client_read(c, &r);
	/* A reply must answer; an event first would be a daemon bug, skip it. */
	while (rc == 0 && r.type == PROTO_EVENT)
		rc = client_read(c, &r);
	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	if (!cl->json)
		output_reply(cl->cmd, &r);
	else if (cl->cmd != PROTO_CMD_WATCH || r.result != PROTO_RESULT_OK)
		json_print(&r);
	fflush(stdout);
	rc = exit_for(r.result);
	if (rc == EXIT_OK && cl->cmd == PROTO_CMD_WATCH)
		rc = watch(c, cl->json);
	return rc;
}

int main(int argc, char **argv)
{
	/* Both hold a whole message (64 KB), so they live on the heap. */
	struct cmdline *cl = calloc(1, sizeof(*cl));
	struct client *c = calloc(1, sizeof(*c));
	int rc = EXIT_USAGE;

	if (!cl || !c) {
		fputs("smctl: out of memory\n", stderr);
		free(cl);
		free(c);
		return EXIT_REFUSED;
	}
	c->fd = -1;
	switch (args_parse(argc, argv, stderr, cl)) {
	case ARGS_RUN:
		rc = run(cl, c);
		break;
	case ARGS_HELP:
		args_usage(stdout);
		rc = EXIT_OK;
		break;
	case ARGS_VERSION:
		printf("smctl %s\n", SMB_VERSION);
		rc = EXIT_OK;
		break;
	case ARGS_USAGE:
		break;
	}
	client_close(c);
	free(cl);
	free(c);
	return rc;
}
