/* The state file: a versioned line format that a person can read, parsed
 * strictly (a file we cannot trust is set aside, never half-used), and
 * replaced atomically so a crash leaves either the old or the new state.
 *
 *   version 1
 *   adhoc START END STRICT BOOT_START LENGTH BOOT_ID LISTS [STRICT_END]
 *   skip NAME UNTIL
 *   hold NAME START END BOOT_END BOOT_ID
 *   plan ID START END STRICT LISTS CYCLE/CYCLES [users=UID,...] [devices=NAME,...]
 *   cycle CYCLE/CYCLES        (of the pause on now)
 *   unlock DELAY AT           (of the pause on now: its unlock delay, and when
 *                              an asked-for resume applies, 0 for none)
 *   unskip NAME UNTIL AT      (a skip that applies at AT)
 *   users UID[,UID...]        (of the pause on now: the users it is for;
 *                              without it, everyone)
 *   devices NAME[,NAME...]    (of the pause on now, gateway mode: the [device]
 *                              sections it is for, by name, so that a config
 *                              that renumbers them moves the pause with them)
 *
 * STRICT is 0 or 1, BOOT_ID "-" when unknown, LISTS "*" for every list or
 * names separated by commas. STRICT_END, written for a strict pause whose
 * strict part ends before END (a non-strict extension runs past it), is the
 * wall-clock end of that part; without it the whole pause is strict, as
 * files before it meant. */
#include "state.h"

#include "file.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_VERSION 1

int state_format(const struct state *s, char *buf, size_t len)
{
	const struct state_adhoc *a = &s->adhoc;
	size_t off = 0;
	int r;

	r = file_appendf(buf, len, &off, "# smbreak state, written by smbreakd\nversion %d\n",
	                 STATE_VERSION);
	if (r == 0 && a->on) {
		r = file_appendf(buf, len, &off,
		                 "adhoc %" PRId64 " %" PRId64 " %d %" PRId64 " %" PRId64 " %s ",
		                 (int64_t)a->start, (int64_t)a->end, a->strict ? 1 : 0,
		                 a->boot_start, a->length, a->boot_id[0] ? a->boot_id : "-");
		if (r == 0 && a->n_lists == 0)
			r = file_appendf(buf, len, &off, "*");
		for (size_t i = 0; r == 0 && i < a->n_lists; i++)
			r = file_appendf(buf, len, &off, "%s%s", i ? "," : "", a->lists[i]);
		if (r == 0 && a->strict && a->strict_end && a->strict_end < a->end)
			r = file_appendf(buf, len, &off, " %" PRId64, (int64_t)a->strict_end);
		if (r == 0)
			r = file_appendf(buf, len, &off, "\n");
	}
	for (size_t i = 0; r == 0 && i < s->n_skips; i++)
		r = file_appendf(buf, len, &off, "skip %s %" PRId64 "\n", s->skips[i].name,
		                 (int64_t)s->skips[i].until);
	if (r == 0 && a->on && a->cycles)
		r = file_appendf(buf, len, &off, "cycle %u/%u\n", a->cycle, a->cycles);
	if (r == 0 && a->on && (a->unlock_delay || a->unlock_at))
		r = file_appendf(buf, len, &off, "unlock %" PRId64 " %" PRId64 "\n",
		                 a->unlock_delay, (int64_t)a->unlock_at);
	for (uint32_t i = 0; r == 0 && a->on && i < a->whom.n_uids; i++)
		r = file_appendf(buf, len, &off, "%s%u%s", i ? "," : "users ", a->whom.uids[i],
		                 i + 1 == a->whom.n_uids ? "\n" : "");
	for (size_t i = 0; r == 0 && a->on && i < a->n_devices; i++)
		r = file_appendf(buf, len, &off, "%s%s%s", i ? "," : "devices ", a->devices[i],
		                 i + 1 == a->n_devices ? "\n" : "");
	for (size_t i = 0; r == 0 && i < s->n_unlocks; i++)
		r = file_appendf(buf, len, &off, "unskip %s %" PRId64 " %" PRId64 "\n",
		                 s->unlocks[i].name, (int64_t)s->unlocks[i].until,
		                 (int64_t)s->unlocks[i].at);
	for (size_t i = 0; r == 0 && i < s->n_plans; i++) {
		const struct state_plan *p = &s->plans[i];
		r = file_appendf(buf, len, &off, "plan %u %" PRId64 " %" PRId64 " %d ", p->id,
		                 (int64_t)p->start, (int64_t)p->end, p->strict ? 1 : 0);
		if (r == 0 && p->n_lists == 0)
			r = file_appendf(buf, len, &off, "*");
		for (size_t k = 0; r == 0 && k < p->n_lists; k++)
			r = file_appendf(buf, len, &off, "%s%s", k ? "," : "", p->lists[k]);
		if (r == 0)
			r = file_appendf(buf, len, &off, " %u/%u", p->cycle, p->cycles);
		for (uint32_t k = 0; r == 0 && k < p->whom.n_uids; k++)
			r = file_appendf(buf, len, &off, "%s%u",
			                 k ? "," : " users=", p->whom.uids[k]);
		for (size_t k = 0; r == 0 && k < p->n_devices; k++)
			r = file_appendf(buf, len, &off, "%s%s",
			                 k ? "," : " devices=", p->devices[k]);
		if (r == 0)
			r = file_appendf(buf, len, &off, "\n");
	}
	for (size_t i = 0; r == 0 && i < s->n_holds; i++) {
		const struct state_hold *h = &s->holds[i];
		r = file_appendf(buf, len, &off, "hold %s %" PRId64 " %" PRId64 " %" PRId64 " %s\n",
		                 h->name, (int64_t)h->start, (int64_t)h->end, h->boot_end,
		                 h->boot_id);
	}
	return r < 0 ? r : (int)off;
}

static bool parse_i64(const char *tok, int64_t *out)
{
	char *end;

	if (!tok || !*tok)
		return false;
	errno = 0;
	long long v = strtoll(tok, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static bool valid_boot_id(const char *s)
{
	if (strcmp(s, "-") == 0)
		return true;
	if (strlen(s) != STATE_BOOT_ID_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || *s == '-'))
			return false;
	return true;
}

/* The names of "*" or "a,b,c" into lists (at most max). */
static int parse_names(char *tok, char (*lists)[VALUE_NAME_MAX + 1], size_t max, size_t *n)
{
	char *save = NULL;

	*n = 0;
	if (strcmp(tok, "*") == 0)
		return 0;
	for (char *t = strtok_r(tok, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == max || !value_valid_name(t))
			return -EINVAL;
		strcpy(lists[(*n)++], t);
	}
	return *n ? 0 : -EINVAL;
}

static int parse_lists(char *tok, struct state_adhoc *a)
{
	return parse_names(tok, a->lists, SMB_LISTS_MAX, &a->n_lists);
}

static int parse_adhoc(char **tok, size_t n, struct state_adhoc *a)
{
	int64_t start, end, strict, boot_start, length, strict_end;

	if ((n != 8 && n != 9) || !parse_i64(tok[1], &start) || !parse_i64(tok[2], &end) ||
	    !parse_i64(tok[3], &strict) || !parse_i64(tok[4], &boot_start) ||
	    !parse_i64(tok[5], &length) || !valid_boot_id(tok[6]))
		return -EINVAL;
	if ((strict != 0 && strict != 1) || end < start || length < 0 || boot_start < 0)
		return -EINVAL;
	strict_end = strict ? end : 0;
	if (n == 9 &&
	    (!strict || !parse_i64(tok[8], &strict_end) || strict_end < start || strict_end > end))
		return -EINVAL;
	a->on = true;
	a->start = (time_t)start;
	a->end = (time_t)end;
	a->strict = strict;
	a->boot_start = boot_start;
	a->length = length;
	a->strict_end = (time_t)strict_end;
	snprintf(a->boot_id, sizeof(a->boot_id), "%s", strcmp(tok[6], "-") ? tok[6] : "");
	return parse_lists(tok[7], a);
}

static int parse_hold(char **tok, size_t n, struct state_hold *h)
{
	int64_t start, end, boot_end;

	if (n != 6 || !value_valid_name(tok[1]) || !parse_i64(tok[2], &start) ||
	    !parse_i64(tok[3], &end) || !parse_i64(tok[4], &boot_end) || !valid_boot_id(tok[5]) ||
	    !strcmp(tok[5], "-") || end < start || boot_end < 0)
		return -EINVAL;
	snprintf(h->name, sizeof(h->name), "%s", tok[1]);
	h->start = (time_t)start;
	h->end = (time_t)end;
	h->boot_end = boot_end;
	snprintf(h->boot_id, sizeof(h->boot_id), "%s", tok[5]);
	return 0;
}

/* "CYCLE/CYCLES", 0/0 or 1 <= CYCLE <= CYCLES <= 100. */
static bool parse_cycle(const char *tok, uint32_t *cycle, uint32_t *cycles)
{
	unsigned a, b;
	char end;

	if (sscanf(tok, "%u/%u%c", &a, &b, &end) != 2 || b > 100 || a > b || (b && !a))
		return false;
	*cycle = a;
	*cycles = b;
	return true;
}

static int parse_uids(char *tok, struct whom *w);

/* A plan's optional users= and devices= fields, each at most once. */
static int parse_plan_whom(char **tok, size_t n, struct state_plan *p)
{
	bool users = false, devices = false;

	for (size_t i = 0; i < n; i++) {
		if (strncmp(tok[i], "users=", 6) == 0 && !users) {
			users = true;
			if (parse_uids(tok[i] + 6, &p->whom) < 0)
				return -EINVAL;
		} else if (strncmp(tok[i], "devices=", 8) == 0 && !devices) {
			devices = true;
			if (parse_names(tok[i] + 8, p->devices, SMB_DEVICES_MAX, &p->n_devices) <
			        0 ||
			    p->n_devices == 0)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_plan(char **tok, size_t n, struct state_plan *p)
{
	int64_t id, start, end, strict;

	memset(p, 0, sizeof(*p));
	if (n < 7 || n > 9 || !parse_i64(tok[1], &id) || !parse_i64(tok[2], &start) ||
	    !parse_i64(tok[3], &end) || !parse_i64(tok[4], &strict) || id < 0 || id > UINT32_MAX ||
	    end <= start || (strict != 0 && strict != 1))
		return -EINVAL;
	p->id = (uint32_t)id;
	p->start = (time_t)start;
	p->end = (time_t)end;
	p->strict = strict;
	if (parse_names(tok[5], p->lists, STATE_PLAN_LISTS, &p->n_lists) < 0 ||
	    !parse_cycle(tok[6], &p->cycle, &p->cycles))
		return -EINVAL;
	return parse_plan_whom(tok + 7, n - 7, p);
}

/* "UID,UID,...": the users of the pause, at least one. */
static int parse_uids(char *tok, struct whom *w)
{
	char *save = NULL;
	int64_t v;

	for (char *t = strtok_r(tok, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (w->n_uids == SMB_WHOM_USERS_MAX || !parse_i64(t, &v) || v < 0 || v > UINT32_MAX)
			return -EINVAL;
		w->uids[w->n_uids++] = (uint32_t)v;
	}
	return w->n_uids ? 0 : -EINVAL;
}

/* One record after the version line; "bad RECORD record" or "unknown
 * record" in err when it does not parse. */
static int parse_record(char **tok, size_t ntok, struct state *s, bool *have_adhoc, char *err,
                        size_t errlen, size_t lineno)
{
	int64_t until;

	if (strcmp(tok[0], "adhoc") == 0) {
		if (*have_adhoc || parse_adhoc(tok, ntok, &s->adhoc) < 0)
			goto bad;
		*have_adhoc = true;
	} else if (strcmp(tok[0], "skip") == 0) {
		if (ntok != 3 || !value_valid_name(tok[1]) || !parse_i64(tok[2], &until) ||
		    s->n_skips == STATE_SKIPS_MAX)
			goto bad;
		strcpy(s->skips[s->n_skips].name, tok[1]);
		s->skips[s->n_skips++].until = (time_t)until;
	} else if (strcmp(tok[0], "plan") == 0) {
		if (s->n_plans == STATE_PLANS_MAX ||
		    parse_plan(tok, ntok, &s->plans[s->n_plans]) < 0)
			goto bad;
		if (s->plans[s->n_plans].id >= s->next_plan_id)
			s->next_plan_id = s->plans[s->n_plans].id + 1;
		s->n_plans++;
	} else if (strcmp(tok[0], "unlock") == 0) {
		int64_t delay, at;
		if (ntok != 3 || !*have_adhoc || !parse_i64(tok[1], &delay) ||
		    !parse_i64(tok[2], &at) || delay < 0 || at < 0)
			goto bad;
		s->adhoc.unlock_delay = delay;
		s->adhoc.unlock_at = (time_t)at;
	} else if (strcmp(tok[0], "unskip") == 0) {
		int64_t at;
		if (ntok != 4 || !value_valid_name(tok[1]) || !parse_i64(tok[2], &until) ||
		    !parse_i64(tok[3], &at) || s->n_unlocks == STATE_SKIPS_MAX)
			goto bad;
		struct state_skip *u = &s->unlocks[s->n_unlocks++];
		strcpy(u->name, tok[1]);
		u->until = (time_t)until;
		u->at = (time_t)at;
	} else if (strcmp(tok[0], "cycle") == 0) {
		if (ntok != 2 || !*have_adhoc ||
		    !parse_cycle(tok[1], &s->adhoc.cycle, &s->adhoc.cycles))
			goto bad;
	} else if (strcmp(tok[0], "users") == 0) {
		if (ntok != 2 || !*have_adhoc || s->adhoc.whom.n_uids ||
		    parse_uids(tok[1], &s->adhoc.whom) < 0)
			goto bad;
	} else if (strcmp(tok[0], "devices") == 0) {
		if (ntok != 2 || !*have_adhoc || s->adhoc.n_devices || strcmp(tok[1], "*") == 0 ||
		    parse_names(tok[1], s->adhoc.devices, SMB_DEVICES_MAX, &s->adhoc.n_devices) < 0)
			goto bad;
	} else if (strcmp(tok[0], "hold") == 0) {
		if (s->n_holds == STATE_HOLDS_MAX ||
		    parse_hold(tok, ntok, &s->holds[s->n_holds]) < 0)
			goto bad;
		s->n_holds++;
	} else {
		snprintf(err, errlen, "line %zu: unknown record '%.32s'", lineno, tok[0]);
		return -EINVAL;
	}
	return 0;
bad:
	snprintf(err, errlen, "line %zu: bad %s record", lineno, tok[0]);
	return -EINVAL;
}

int state_parse(const char *text, size_t len, struct state *out, char *err, size_t errlen)
{
	struct state s;
	/* the longest line the daemon writes: a plan with every list, user and
	 * device, each at its longest */
	char line[4096];
	_Static_assert(STATE_PLAN_LISTS * (VALUE_NAME_MAX + 1) + SMB_WHOM_USERS_MAX * 11 +
	                       SMB_DEVICES_MAX * (VALUE_NAME_MAX + 1) + 128 <
	                   sizeof(line),
	               "a state line the daemon writes fits the reader's buffer");
	bool have_version = false, have_adhoc = false;
	size_t lineno = 0, pos = 0;

	memset(&s, 0, sizeof(s));
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "contains a NUL byte");
		return -EINVAL;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *tok[10];
		size_t ntok = 0;
		char *save = NULL;

		lineno++;
		if (!nl) {
			snprintf(err, errlen, "line %zu: unterminated (truncated file?)", lineno);
			return -EINVAL;
		}
		if (n >= sizeof(line)) {
			snprintf(err, errlen, "line %zu: too long", lineno);
			return -EINVAL;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (char *t = strtok_r(line, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (ntok == sizeof(tok) / sizeof(tok[0])) {
				snprintf(err, errlen, "line %zu: too many fields", lineno);
				return -EINVAL;
			}
			tok[ntok++] = t;
		}
		if (have_version) {
			if (parse_record(tok, ntok, &s, &have_adhoc, err, errlen, lineno) < 0)
				return -EINVAL;
			continue;
		}
		int64_t v;
		if (ntok != 2 || strcmp(tok[0], "version") || !parse_i64(tok[1], &v) ||
		    v != STATE_VERSION) {
			snprintf(err, errlen, "line %zu: expected 'version %d'", lineno,
			         STATE_VERSION);
			return -EINVAL;
		}
		have_version = true;
	}
	if (!have_version) {
		snprintf(err, errlen, "empty or without a version line");
		return -EINVAL;
	}
	*out = s;
	return 0;
}

static int parse_file(const char *text, size_t len, void *out, char *err, size_t errlen)
{
	return state_parse(text, len, out, err, errlen);
}

/* state_load and state_peek: set_aside chooses file_load or file_peek. */
static int load_state(const char *dir, struct state *out, char *err, size_t errlen, bool set_aside)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = (set_aside ? file_load : file_peek)(dir, "state", STATE_FILE_MAX, parse_file, out, err,
	                                        errlen);
	if (r == 1)
		memset(out, 0, sizeof(*out)); /* a bad file: start empty */
	return r;
}

int state_load(const char *dir, struct state *out, char *err, size_t errlen)
{
	return load_state(dir, out, err, errlen, true);
}

int state_peek(const char *dir, struct state *out, char *err, size_t errlen)
{
	return load_state(dir, out, err, errlen, false);
}

int state_save(const char *dir, const struct state *s)
{
	char buf[STATE_FILE_MAX];
	int len = state_format(s, buf, sizeof(buf));

	if (len < 0)
		return len;
	return file_write_atomic(dir, "state", buf, (size_t)len);
}

void state_prune(struct state *s, time_t now)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n_skips; i++)
		if (s->skips[i].until > now)
			s->skips[j++] = s->skips[i];
	s->n_skips = j;
	j = 0;
	for (size_t i = 0; i < s->n_unlocks; i++)
		if (s->unlocks[i].until > now)
			s->unlocks[j++] = s->unlocks[i];
	s->n_unlocks = j;
}

bool state_is_skipped(const struct state *s, const char *name, time_t until)
{
	for (size_t i = 0; i < s->n_skips; i++)
		if (s->skips[i].until == until && strcmp(s->skips[i].name, name) == 0)
			return true;
	return false;
}

int state_add_skip(struct state *s, const char *name, time_t until)
{
	if (state_is_skipped(s, name, until))
		return 0;
	if (s->n_skips == STATE_SKIPS_MAX)
		return -ENOSPC;
	snprintf(s->skips[s->n_skips].name, sizeof(s->skips[0].name), "%s", name);
	s->skips[s->n_skips++].until = until;
	return 0;
}

int state_boot_id(char out[STATE_BOOT_ID_LEN + 1])
{
	char *buf;
	size_t len = 0;
	int r = file_read_all("/proc/sys/kernel/random/boot_id", 64, &buf, &len);

	if (r < 0)
		return r;
	if (len >= STATE_BOOT_ID_LEN) {
		memcpy(out, buf, STATE_BOOT_ID_LEN);
		out[STATE_BOOT_ID_LEN] = '\0';
	}
	free(buf);
	return len < STATE_BOOT_ID_LEN ? -EINVAL : 0;
}

int64_t state_boottime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec;
}
