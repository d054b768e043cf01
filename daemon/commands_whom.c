/* Whom a pause is for: `smctl pause --user` and `--device` read from the
 * request into a policy_pause_req, and whom a break or pause is for put in
 * replies and said in sentences. Users are uids (accounts outlive a config);
 * devices are names, resolved against the config in force when used. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "breaks_internal.h"
#include "users.h"

void breaks_put_users(struct proto_msg *m, const struct whom *w)
{
	char name[64];

	for (uint32_t i = 0; i < w->n_uids; i++) {
		if (w->uids[i] == USERS_NOBODY)
			continue;
		users_name(w->uids[i], name, sizeof(name));
		proto_put_str(m, PROTO_A_USER, name);
	}
}

void breaks_put_devices(struct proto_msg *m, const struct conf *c, uint64_t devices)
{
	for (size_t i = 0; i < c->n_devices && i < SMB_DEVICES_MAX; i++)
		if (devices >> i & 1u)
			proto_put_str(m, PROTO_A_FOR_DEVICE, c->devices[i].name);
}

void breaks_whom_describe(const struct whom *w, const char (*devices)[VALUE_NAME_MAX + 1],
                          size_t n_devices, char *buf, size_t len)
{
	size_t off;

	users_describe(w, buf, len);
	off = strlen(buf);
	for (size_t i = 0; i < n_devices && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", off ? ", " : " for ", devices[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

void breaks_pause_describe(const struct state_adhoc *a, char *buf, size_t len)
{
	breaks_whom_describe(&a->whom, a->devices, a->n_devices, buf, len);
}

/* One --user into w (in ascending order, so that two requests for the same
 * users compare equal). */
static int read_user(const struct proto_attr *at, struct whom *w, struct proto_msg *reply)
{
	const char *s = proto_attr_str(at);
	uint32_t uid;
	int r = users_lookup(s, &uid);

	if (r < 0) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "%s '%s'",
		                    r == -ENOENT ? "no user named" : "bad user", s);
		return -EINVAL;
	}
	if (users_add(w, uid) < 0) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "too many --user options (at most %d)", SMB_WHOM_USERS_MAX);
		return -EINVAL;
	}
	return 0;
}

/* "no device 'phne1' (devices: phone1, phone2; did you mean 'phone1'?)" */
static void no_device(const struct conf *c, const char *name, struct proto_msg *reply)
{
	char known[512] = "";
	const char *best = conf_closest_device(c, name);

	for (size_t k = 0; k < c->n_devices; k++) {
		size_t off = strlen(known);
		snprintf(known + off, sizeof(known) - off, "%s%s", k ? ", " : "",
		         c->devices[k].name);
	}
	if (best)
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "no device '%s' (devices: %s; did you mean '%s'?)", name, known,
		                    best);
	else
		breaks_reply_result(reply, PROTO_RESULT_USAGE, "no device '%s' (devices: %s)", name,
		                    known[0] ? known : "none configured");
}

/* One --device into req, by its name as configured, each once. Names, not
 * indices, go into the pause: see state_adhoc.devices. */
static int read_device(const struct conf *c, const struct proto_attr *at,
                       struct policy_pause_req *req, struct proto_msg *reply)
{
	const char *s = proto_attr_str(at);

	if (c->mode != CONF_MODE_GATEWAY) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "--device needs gateway mode (mode = gateway in smbreak.conf); "
		                    "in host mode a pause is for this machine, or --user");
		return -EINVAL;
	}
	if (conf_find_device(c, s) < 0) {
		no_device(c, s, reply);
		return -EINVAL;
	}
	for (size_t i = 0; i < req->n_devices; i++)
		if (strcmp(req->devices[i], s) == 0)
			return 0;
	if (req->n_devices == SMB_DEVICES_MAX) {
		breaks_reply_result(reply, PROTO_RESULT_USAGE,
		                    "too many --device options (at most %d)", SMB_DEVICES_MAX);
		return -EINVAL;
	}
	snprintf(req->devices[req->n_devices++], sizeof(req->devices[0]), "%s", s);
	return 0;
}

int breaks_read_whom(const struct conf *c, const struct proto_attr *at,
                     struct policy_pause_req *req, struct proto_msg *reply)
{
	if (at->type == PROTO_A_USER)
		return read_user(at, &req->whom, reply);
	if (at->type == PROTO_A_FOR_DEVICE)
		return read_device(c, at, req, reply);
	return 0;
}
