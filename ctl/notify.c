/* smbreak-notify: runs in a user's graphical session (a systemd user unit),
 * subscribes to smbreakd's events as `smctl watch` does and shows warnings,
 * starts, ends and refused names as freedesktop notifications, through the
 * session bus with sd-bus (one method call; libsystemd is on every machine
 * smbreakd runs on). It waits, quietly, for a session bus and for the
 * daemon, and reconnects when either goes away. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include "notify_text.h"
#include "paths.h"
#include "smctl.h"

/* Seconds between tries to reach the session bus or the daemon. */
#define NOTIFY_RETRY_SECS 5
/* How long a notification stays up, ms (the server may shorten it). */
#define NOTIFY_EXPIRE_MS 15000

/* What was last said about being unable to go on, so that a daemon or a bus
 * that stays away is one line in the journal, not one per try. */
struct notifier {
	sd_bus *bus;
	struct client *c;
	const char *socket;
	char said[768];
};

static void say_once(struct notifier *n, const char *fmt, const char *why)
{
	char line[768];

	snprintf(line, sizeof(line), fmt, why);
	if (strcmp(line, n->said) == 0)
		return;
	snprintf(n->said, sizeof(n->said), "%s", line);
	fprintf(stderr, "smbreak-notify: %s\n", line);
}

/* The session bus, opened again after it went away; false while there is
 * none. */
static bool bus_open(struct notifier *n)
{
	int r;

	if (n->bus && sd_bus_is_open(n->bus) > 0)
		return true;
	n->bus = sd_bus_flush_close_unref(n->bus);
	r = sd_bus_open_user(&n->bus);
	if (r >= 0)
		return true;
	n->bus = NULL;
	say_once(n, "no session bus (%s): notifications wait for one", strerror(-r));
	return false;
}

static void show(struct notifier *n, const struct notify_text *t)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	int r = -ENOTCONN;

	/* A bus that went away since the last notification is opened again once. */
	for (int attempt = 0; attempt < 2 && r < 0 && bus_open(n); attempt++) {
		sd_bus_error_free(&err);
		r = sd_bus_call_method(
		    n->bus, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
		    "org.freedesktop.Notifications", "Notify", &err, &reply, "susssasa{sv}i",
		    "smbreak", 0u, "", t->summary, t->body, 0, 0, NOTIFY_EXPIRE_MS);
		if (r < 0 && !sd_bus_error_is_set(&err))
			n->bus = sd_bus_flush_close_unref(n->bus);
		else
			break;
	}
	if (r < 0)
		say_once(n, "cannot show a notification: %s",
		         sd_bus_error_is_set(&err) ? err.message : strerror(-r));
	else
		n->said[0] = '\0';
	sd_bus_message_unref(reply);
	sd_bus_error_free(&err);
}

/* Subscribes; 0, or an exit code with c->error saying why not. */
static int subscribe(struct notifier *n)
{
	struct proto_msg *req = malloc(sizeof(*req));
	struct reply r;
	int rc, len;

	if (!req)
		return EXIT_REFUSED;
	proto_msg_init(req, PROTO_CMD_WATCH);
	len = proto_msg_finish(req);
	client_reset(n->c);
	rc = client_connect(n->c, n->socket);
	if (rc == 0)
		rc = client_send(n->c, req->buf, (size_t)len);
	if (rc == 0)
		rc = client_read(n->c, &r);
	free(req);
	if (rc == 0 && r.result != PROTO_RESULT_OK) {
		snprintf(n->c->error, sizeof(n->c->error), "smbreakd refused to watch: %s",
		         r.message ? r.message : "?");
		rc = EXIT_REFUSED;
	}
	if (rc == 0)
		client_watch_mode(n->c);
	return rc;
}

/* Shows each event until the daemon goes away (0) or a signal comes (-1). */
static int follow(struct notifier *n)
{
	struct notify_text t;
	struct reply r;
	int rc;

	fprintf(stderr, "smbreak-notify: watching smbreakd at %s\n", n->socket);
	n->said[0] = '\0';
	while ((rc = client_read(n->c, &r)) == 0)
		if (r.type == PROTO_EVENT && notify_text(&r, (uint32_t)getuid(), &t))
			show(n, &t);
	if (rc == -1)
		return -1;
	say_once(n, "%s; waiting for it to come back", n->c->error);
	return 0;
}

int main(int argc, char **argv)
{
	struct notifier n = {.socket = SMB_SOCKET_PATH};

	if (argc == 3 && strcmp(argv[1], "-s") == 0) {
		n.socket = argv[2];
	} else if (argc != 1) {
		fputs("usage: smbreak-notify [-s SOCKET]\n", stderr);
		return EXIT_USAGE;
	}
	n.c = calloc(1, sizeof(*n.c));
	if (!n.c)
		return EXIT_REFUSED;
	n.c->fd = -1;
	client_watch_mode(n.c); /* SIGINT and SIGTERM end the waits and reads */
	for (;;) {
		/* Without a session bus there is nobody to tell: wait for one first. */
		if (bus_open(&n)) {
			if (subscribe(&n) != 0)
				say_once(&n, "%s; waiting for it", n.c->error);
			else if (follow(&n) < 0)
				break;
		}
		if (!client_sleep(NOTIFY_RETRY_SECS))
			break;
	}
	client_close(n.c);
	free(n.c);
	sd_bus_flush_close_unref(n.bus);
	return EXIT_OK;
}
