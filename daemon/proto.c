/* The control protocol's message builder and its strict parser (see proto.h
 * for the wire format). Pure: no I/O, no allocation, no logging. */
#include "proto.h"

#include <errno.h>
#include <string.h>

#define ATTR_HDR_LEN 4
#define ALIGN4(n)    (((n) + 3u) & ~(size_t)3u)
#define ATTR_LEN_MAX UINT16_MAX
#define PAYLOAD_MAX  (PROTO_MSG_MAX - PROTO_HDR_LEN)

struct attr_info {
	const char *name;
	enum proto_kind kind;
	bool repeated;
};

/* Indexed by enum proto_attr_type. JSON names of repeated attributes are plural
 * because smctl --json always renders them as arrays. */
static const struct attr_info attrs[PROTO_A_MAX_] = {
    [PROTO_A_DURATION] = {"duration", PROTO_K_U64, false},
    [PROTO_A_UNTIL] = {"until", PROTO_K_STR, false},
    [PROTO_A_STRICT] = {"strict", PROTO_K_FLAG, false},
    [PROTO_A_LIST] = {"lists", PROTO_K_STR, true},
    [PROTO_A_DAYS] = {"days", PROTO_K_U32, false},
    [PROTO_A_DOMAIN] = {"domain", PROTO_K_STR, false},
    [PROTO_A_RESULT] = {"result", PROTO_K_U32, false},
    [PROTO_A_MESSAGE] = {"message", PROTO_K_STR, false},
    [PROTO_A_ERROR] = {"errors", PROTO_K_STR, true},
    [PROTO_A_NOW] = {"now", PROTO_K_I64, false},
    [PROTO_A_BLOCKING] = {"blocking", PROTO_K_FLAG, false},
    [PROTO_A_INFORCE] = {"in_force", PROTO_K_STR, true},
    [PROTO_A_BREAK] = {"breaks", PROTO_K_NEST, true},
    [PROTO_A_NAME] = {"name", PROTO_K_STR, false},
    [PROTO_A_KIND] = {"kind", PROTO_K_STR, false},
    [PROTO_A_START] = {"start", PROTO_K_I64, false},
    [PROTO_A_END] = {"end", PROTO_K_I64, false},
    [PROTO_A_ON] = {"on", PROTO_K_FLAG, false},
    [PROTO_A_SKIPPED] = {"skipped", PROTO_K_FLAG, false},
    [PROTO_A_COUNTER] = {"counters", PROTO_K_NEST, true},
    [PROTO_A_VALUE] = {"value", PROTO_K_U64, false},
    [PROTO_A_CONFIG] = {"config", PROTO_K_STR, false},
    [PROTO_A_VERSION] = {"version", PROTO_K_STR, false},
    [PROTO_A_EVENT] = {"event", PROTO_K_STR, false},
    [PROTO_A_NEXT] = {"next", PROTO_K_NEST, false},
    [PROTO_A_MATCH] = {"matches", PROTO_K_NEST, true},
    [PROTO_A_ENTRY] = {"entry", PROTO_K_STR, false},
    [PROTO_A_SOURCE] = {"source", PROTO_K_STR, false},
    [PROTO_A_LINE] = {"line", PROTO_K_U32, false},
    [PROTO_A_BLOCKED] = {"blocked", PROTO_K_FLAG, false},
    [PROTO_A_SERVICE] = {"services", PROTO_K_NEST, true},
    [PROTO_A_DAY] = {"per_day", PROTO_K_NEST, true},
    [PROTO_A_DATE] = {"date", PROTO_K_STR, false},
    [PROTO_A_ADDRESS] = {"address", PROTO_K_STR, false},
    [PROTO_A_GROUP] = {"group", PROTO_K_STR, false},
    [PROTO_A_WARNING] = {"warnings", PROTO_K_STR, true},
    [PROTO_A_DOMAINS] = {"domains", PROTO_K_STR, true},
    [PROTO_A_ALLOW] = {"allow", PROTO_K_STR, true},
    [PROTO_A_FILE] = {"files", PROTO_K_NEST, true},
    [PROTO_A_COUNT] = {"count", PROTO_K_U64, false},
    [PROTO_A_AT] = {"at", PROTO_K_STR, false},
    [PROTO_A_CYCLES] = {"cycles", PROTO_K_U32, false},
    [PROTO_A_REST] = {"rest", PROTO_K_U64, false},
    [PROTO_A_UNLOCK_DELAY] = {"unlock_delay", PROTO_K_U64, false},
    [PROTO_A_CANCEL] = {"cancel", PROTO_K_FLAG, false},
    [PROTO_A_ID] = {"id", PROTO_K_U32, false},
    [PROTO_A_CYCLE] = {"cycle", PROTO_K_U32, false},
    [PROTO_A_UNLOCK_AT] = {"unlock_at", PROTO_K_I64, false},
    [PROTO_A_KEPT] = {"kept", PROTO_K_U64, false},
    [PROTO_A_PAUSES] = {"pauses", PROTO_K_U64, false},
    [PROTO_A_EARLY] = {"ended_early", PROTO_K_U64, false},
    [PROTO_A_WHOM] = {"whom", PROTO_K_NEST, false},
    [PROTO_A_UID] = {"uids", PROTO_K_U32, true},
    [PROTO_A_WHOM_DEVICE] = {"device_ids", PROTO_K_U32, true},
    [PROTO_A_REMAINING] = {"remaining", PROTO_K_U64, false},
    [PROTO_A_WARN_AT] = {"warn_at", PROTO_K_I64, false},
    [PROTO_A_ALLOWANCE] = {"allowances", PROTO_K_NEST, true},
    [PROTO_A_USED] = {"used", PROTO_K_U64, false},
    [PROTO_A_BUDGET] = {"budget", PROTO_K_U64, false},
    [PROTO_A_USER] = {"users", PROTO_K_STR, true},
    [PROTO_A_SOME] = {"in_force_for_some", PROTO_K_NEST, true},
    [PROTO_A_DEVICE] = {"devices", PROTO_K_NEST, true},
    [PROTO_A_MAC] = {"macs", PROTO_K_STR, true},
    [PROTO_A_RANGES] = {"ranges", PROTO_K_STR, true},
    [PROTO_A_ADDRESSES] = {"addresses", PROTO_K_STR, true},
    [PROTO_A_NEIGHBOUR] = {"neighbours", PROTO_K_NEST, true},
    [PROTO_A_DEVICE_NAME] = {"device", PROTO_K_STR, false},
    [PROTO_A_FOR_DEVICE] = {"device_names", PROTO_K_STR, true},
};

static const char *const cmd_names[PROTO_CMD_MAX_] = {
    [PROTO_CMD_STATUS] = "status",     [PROTO_CMD_PAUSE] = "pause",
    [PROTO_CMD_RESUME] = "resume",     [PROTO_CMD_SKIP] = "skip",
    [PROTO_CMD_SCHEDULE] = "schedule", [PROTO_CMD_RELOAD] = "reload",
    [PROTO_CMD_CHECK] = "check",       [PROTO_CMD_STATS] = "stats",
    [PROTO_CMD_WATCH] = "watch",       [PROTO_CMD_LISTS] = "lists",
    [PROTO_CMD_SERVICES] = "services", [PROTO_CMD_CANCEL] = "cancel",
    [PROTO_CMD_DEVICES] = "devices",
};

enum proto_kind proto_attr_kind(uint16_t type)
{
	return type < PROTO_A_MAX_ ? attrs[type].kind : PROTO_K_NONE;
}

const char *proto_attr_name(uint16_t type)
{
	return type < PROTO_A_MAX_ ? attrs[type].name : NULL;
}

bool proto_attr_repeated(uint16_t type)
{
	return type < PROTO_A_MAX_ && attrs[type].repeated;
}

const char *proto_cmd_name(uint16_t cmd)
{
	return cmd < PROTO_CMD_MAX_ ? cmd_names[cmd] : NULL;
}

bool proto_cmd_changes_state(uint16_t cmd)
{
	return cmd == PROTO_CMD_PAUSE || cmd == PROTO_CMD_RESUME || cmd == PROTO_CMD_SKIP ||
	       cmd == PROTO_CMD_RELOAD || cmd == PROTO_CMD_CANCEL;
}

/* Building. */

static void put_u16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint16_t get_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

void proto_msg_init(struct proto_msg *m, uint16_t type)
{
	uint16_t version = PROTO_VERSION;
	uint32_t zero = 0;

	memcpy(m->buf, &version, 2);
	memcpy(m->buf + 2, &type, 2);
	memcpy(m->buf + 4, &zero, 4);
	m->len = PROTO_HDR_LEN;
	m->err = 0;
	m->depth = 0;
}

/* Reserves an attribute of `len` value bytes (plus padding, zeroed) and returns
 * where the value goes, or NULL with m->err set. */
static uint8_t *reserve(struct proto_msg *m, uint16_t type, size_t len)
{
	size_t total;
	uint8_t *p;

	if (m->err)
		return NULL;
	if (len > ATTR_LEN_MAX - ATTR_HDR_LEN) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	total = ALIGN4(ATTR_HDR_LEN + len);
	if (total > PROTO_MSG_MAX - m->len) {
		m->err = -EMSGSIZE;
		return NULL;
	}
	p = m->buf + m->len;
	put_u16(p, (uint16_t)(ATTR_HDR_LEN + len));
	put_u16(p + 2, type);
	memset(p + ATTR_HDR_LEN + len, 0, total - ATTR_HDR_LEN - len);
	m->len += total;
	return p + ATTR_HDR_LEN;
}

int proto_put(struct proto_msg *m, uint16_t type, const void *data, size_t len)
{
	uint8_t *p = reserve(m, type, len);

	if (!p)
		return m->err;
	if (len)
		memcpy(p, data, len);
	return 0;
}

int proto_put_u32(struct proto_msg *m, uint16_t type, uint32_t v)
{
	return proto_put(m, type, &v, sizeof(v));
}

int proto_put_u64(struct proto_msg *m, uint16_t type, uint64_t v)
{
	return proto_put(m, type, &v, sizeof(v));
}

int proto_put_i64(struct proto_msg *m, uint16_t type, int64_t v)
{
	return proto_put(m, type, &v, sizeof(v));
}

static bool is_control(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* The builder always produces messages that proto_validate accepts: a long
 * string is cut (at a UTF-8 character boundary) and control characters, which
 * the parser refuses so that no peer can forge terminal escapes or extra
 * lines, become '?'. */
int proto_put_str(struct proto_msg *m, uint16_t type, const char *s)
{
	size_t n = strnlen(s, PROTO_STR_MAX);
	uint8_t *p;

	if (n > PROTO_STR_MAX - 1) {
		n = PROTO_STR_MAX - 1;
		while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
			n--;
	}
	p = reserve(m, type, n + 1);
	if (!p)
		return m->err;
	for (size_t i = 0; i < n; i++)
		p[i] = is_control((uint8_t)s[i]) ? '?' : (uint8_t)s[i];
	p[n] = 0;
	return 0;
}

int proto_put_flag(struct proto_msg *m, uint16_t type)
{
	return proto_put(m, type, NULL, 0);
}

int proto_put_counter(struct proto_msg *m, const char *name, uint64_t value)
{
	long nest = proto_nest_start(m, PROTO_A_COUNTER);

	if (nest < 0)
		return (int)nest;
	proto_put_str(m, PROTO_A_NAME, name);
	proto_put_u64(m, PROTO_A_VALUE, value);
	proto_nest_end(m, nest);
	return m->err;
}

long proto_nest_start(struct proto_msg *m, uint16_t type)
{
	size_t offset = m->len;

	if (m->err)
		return m->err;
	if (m->depth >= PROTO_NEST_MAX) {
		m->err = -ELOOP;
		return m->err;
	}
	if (!reserve(m, type, 0))
		return m->err;
	m->depth++;
	return (long)offset;
}

void proto_nest_end(struct proto_msg *m, long offset)
{
	size_t len;

	if (m->err || offset < PROTO_HDR_LEN || (size_t)offset >= m->len || m->depth == 0) {
		if (!m->err)
			m->err = -EINVAL;
		return;
	}
	m->depth--;
	len = m->len - (size_t)offset;
	if (len > ATTR_LEN_MAX) {
		m->err = -EMSGSIZE;
		return;
	}
	put_u16(m->buf + offset, (uint16_t)len);
}

int proto_msg_finish(struct proto_msg *m)
{
	uint32_t len;

	if (!m->err && m->depth != 0)
		m->err = -EINVAL;
	if (m->err)
		return m->err;
	len = (uint32_t)(m->len - PROTO_HDR_LEN);
	memcpy(m->buf + 4, &len, 4);
	return (int)m->len;
}

/* Parsing. */

int proto_hdr_parse(const void *buf, size_t len, struct proto_hdr *out)
{
	const uint8_t *p = buf;

	if (len < PROTO_HDR_LEN)
		return -EAGAIN;
	memcpy(&out->version, p, 2);
	memcpy(&out->type, p + 2, 2);
	memcpy(&out->len, p + 4, 4);
	if (out->version != PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (out->len > PAYLOAD_MAX)
		return -EMSGSIZE;
	return 0;
}

/* Reads the attribute at it->p if its framing fits: header, length, padding
 * inside the remaining bytes. Does not advance. */
static bool attr_frame(const uint8_t *p, const uint8_t *end, struct proto_attr *a, size_t *step)
{
	size_t avail = (size_t)(end - p), len;

	if (avail < ATTR_HDR_LEN)
		return false;
	len = get_u16(p);
	if (len < ATTR_HDR_LEN || ALIGN4(len) > avail)
		return false;
	a->type = get_u16(p + 2);
	a->len = (uint16_t)(len - ATTR_HDR_LEN);
	a->data = p + ATTR_HDR_LEN;
	*step = ALIGN4(len);
	return true;
}

static bool valid_str(const uint8_t *s, size_t len)
{
	if (len < 1 || len > PROTO_STR_MAX || s[len - 1] != 0)
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (is_control(s[i]))
			return false;
	return true;
}

static int validate(const uint8_t *p, size_t len, unsigned depth)
{
	const uint8_t *end = p + len;

	while (p < end) {
		struct proto_attr a;
		size_t step;

		/* The checks in order: framing, padding, then the value by kind. */
		if (!attr_frame(p, end, &a, &step))
			return -EPROTO;
		for (const uint8_t *pad = a.data + a.len; pad < p + step; pad++)
			if (*pad)
				return -EPROTO;
		switch (proto_attr_kind(a.type)) {
		case PROTO_K_NONE:
			break;
		case PROTO_K_U32:
			if (a.len != 4)
				return -EPROTO;
			break;
		case PROTO_K_U64:
		case PROTO_K_I64:
			if (a.len != 8)
				return -EPROTO;
			break;
		case PROTO_K_STR:
			if (!valid_str(a.data, a.len))
				return -EPROTO;
			break;
		case PROTO_K_FLAG:
			if (a.len != 0)
				return -EPROTO;
			break;
		case PROTO_K_NEST:
			if (depth + 1 > PROTO_NEST_MAX || validate(a.data, a.len, depth + 1) < 0)
				return -EPROTO;
			break;
		}
		p += step;
	}
	return 0;
}

int proto_validate(const void *payload, size_t len)
{
	if (len == 0)
		return 0; /* payload may be NULL, and NULL + 0 is undefined */
	if (len > PAYLOAD_MAX || !payload)
		return -EPROTO;
	return validate(payload, len, 0);
}

void proto_iter_init(struct proto_iter *it, const void *payload, size_t len)
{
	it->p = payload;
	it->end = payload ? it->p + len : NULL;
}

/* Safe on any bytes: stops at the first attribute whose framing does not fit,
 * although callers only ever hand it validated payloads. */
bool proto_iter_next(struct proto_iter *it, struct proto_attr *a)
{
	size_t step;

	if (!it->p || it->p >= it->end || !attr_frame(it->p, it->end, a, &step))
		return false;
	it->p += step;
	return true;
}

void proto_attr_nest(const struct proto_attr *a, struct proto_iter *it)
{
	proto_iter_init(it, a->data, a->len);
}

uint32_t proto_attr_u32(const struct proto_attr *a)
{
	uint32_t v = 0;

	if (a->len == sizeof(v))
		memcpy(&v, a->data, sizeof(v));
	return v;
}

uint64_t proto_attr_u64(const struct proto_attr *a)
{
	uint64_t v = 0;

	if (a->len == sizeof(v))
		memcpy(&v, a->data, sizeof(v));
	return v;
}

int64_t proto_attr_i64(const struct proto_attr *a)
{
	int64_t v = 0;

	if (a->len == sizeof(v))
		memcpy(&v, a->data, sizeof(v));
	return v;
}

const char *proto_attr_str(const struct proto_attr *a)
{
	if (a->len == 0 || a->data[a->len - 1] != 0)
		return "";
	return (const char *)a->data;
}

bool proto_find(const void *payload, size_t len, uint16_t type, struct proto_attr *out)
{
	struct proto_iter it;
	struct proto_attr a;

	proto_iter_init(&it, payload, len);
	while (proto_iter_next(&it, &a)) {
		if (a.type == type) {
			*out = a;
			return true;
		}
	}
	return false;
}
