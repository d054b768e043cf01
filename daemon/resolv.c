/* resolv.conf nameservers for `upstream = auto` (see resolv.h): a line parser
 * that follows glibc, and the loop rules that keep us from forwarding to
 * ourselves. */
#include "resolv.h"

#include "file.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest address word we look at: a full IPv6 text form plus "%" and an
 * interface name; anything longer cannot be an address. */
#define WORD_MAX (INET6_ADDRSTRLEN + 1 + IFNAMSIZ)

/* An address reduced to what loop and duplicate checks compare: IPv4-mapped
 * IPv6 becomes IPv4, so ::ffff:127.0.0.1 is caught like 127.0.0.1. */
struct key {
	int family;
	uint8_t addr[16];
	uint16_t port;
	uint32_t scope;
};

static bool to_key(const struct value_addr *a, struct key *k)
{
	memset(k, 0, sizeof(*k));
	if (a->ss.ss_family == AF_INET && a->len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
		k->family = AF_INET;
		memcpy(k->addr, &s4->sin_addr, 4);
		k->port = ntohs(s4->sin_port);
		return true;
	}
	if (a->ss.ss_family == AF_INET6 && a->len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
		k->port = ntohs(s6->sin6_port);
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k->family = AF_INET;
			memcpy(k->addr, &s6->sin6_addr.s6_addr[12], 4);
			return true;
		}
		k->family = AF_INET6;
		memcpy(k->addr, &s6->sin6_addr, 16);
		k->scope = s6->sin6_scope_id;
		return true;
	}
	return false;
}

static bool key_same_addr(const struct key *a, const struct key *b)
{
	if (a->family != b->family)
		return false;
	return memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16) == 0;
}

static bool key_loopback(const struct key *k)
{
	static const uint8_t v6_loop[16] = {[15] = 1};
	if (k->family == AF_INET)
		return k->addr[0] == 127;
	return memcmp(k->addr, v6_loop, 16) == 0;
}

static bool key_unspecified(const struct key *k)
{
	static const uint8_t zero[16];
	return memcmp(k->addr, zero, k->family == AF_INET ? 4 : 16) == 0;
}

static bool key_resolved_stub(const struct key *k)
{
	return k->family == AF_INET && k->addr[0] == 127 && k->addr[1] == 0 && k->addr[2] == 0 &&
	       (k->addr[3] == 53 || k->addr[3] == 54);
}

/* Would a query sent to ns come back to this daemon (or to a stub that sends
 * it on to us)? */
static bool is_loop(const struct key *ns, const struct value_addr *skip, size_t n_skip)
{
	if (key_resolved_stub(ns) || key_unspecified(ns))
		return true;
	for (size_t i = 0; i < n_skip; i++) {
		struct key l;
		if (!to_key(&skip[i], &l) || l.port != ns->port)
			continue;
		if (key_same_addr(&l, ns))
			return true;
		/* A wildcard listener answers on every loopback address; an IPv6
		 * one also takes IPv4 unless it is v6only, which we cannot see. */
		if (key_unspecified(&l) && key_loopback(ns) &&
		    (l.family == AF_INET6 || l.family == ns->family))
			return true;
	}
	return false;
}

static void note(struct resolv_report *rep, enum resolv_note_kind kind, unsigned line,
                 const char *value)
{
	if (!rep)
		return;
	if (rep->n_notes == RESOLV_NOTES_MAX) {
		rep->dropped++;
		return;
	}
	struct resolv_note *nt = &rep->notes[rep->n_notes++];
	nt->kind = kind;
	nt->line = line;
	snprintf(nt->value, sizeof(nt->value), "%s", value);
}

/* The scope of "addr%scope": a number, or an interface of this machine. */
static bool parse_scope(const char *s, uint32_t *scope)
{
	if (*s >= '0' && *s <= '9') {
		char *end;
		errno = 0;
		unsigned long v = strtoul(s, &end, 10);
		if (*end || errno || v > UINT32_MAX)
			return false;
		*scope = (uint32_t)v;
		return true;
	}
	if (!*s || strlen(s) >= IFNAMSIZ)
		return false;
	unsigned idx = if_nametoindex(s);
	if (idx == 0)
		return false;
	*scope = idx;
	return true;
}

/* Parses one address word into out (port 53). Returns 0, -EINVAL when it is
 * not an address, or -EDESTADDRREQ for link-local IPv6 without a scope. */
static int parse_word(char *word, struct value_addr *out)
{
	memset(out, 0, sizeof(*out));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
	if (inet_pton(AF_INET, word, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(RESOLV_PORT);
		out->len = sizeof(*s4);
		return 0;
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
	char *pct = strchr(word, '%');
	if (pct)
		*pct = '\0';
	if (inet_pton(AF_INET6, word, &s6->sin6_addr) != 1)
		return -EINVAL;
	if (pct) {
		*pct = '%'; /* the note shows the word as written */
		if (!parse_scope(pct + 1, &s6->sin6_scope_id))
			return -EINVAL;
	} else if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr)) {
		return -EDESTADDRREQ;
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(RESOLV_PORT);
	out->len = sizeof(*s6);
	return 0;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The word after the keyword of a nameserver line (from offset i): as glibc,
 * it ends at a blank or a comment sign. `shown` gets it as a note shows it
 * (cut to RESOLV_VALUE_MAX, a NUL as '?'). Returns 0 with the word in
 * `word`, or -EINVAL when it is missing, too long or holds a NUL (which would
 * hide the rest from inet_pton). */
static int nameserver_word(const char *line, size_t llen, size_t i, char *word, char *shown)
{
	while (i < llen && blank(line[i]))
		i++;
	size_t start = i;
	while (i < llen && !blank(line[i]) && line[i] != '#' && line[i] != ';')
		i++;
	size_t wlen = i - start;
	size_t slen = wlen < RESOLV_VALUE_MAX ? wlen : RESOLV_VALUE_MAX;
	bool has_nul = memchr(line + start, '\0', wlen) != NULL;

	memcpy(shown, line + start, slen);
	shown[slen] = '\0';
	for (size_t j = 0; has_nul && j < slen; j++)
		if (!shown[j])
			shown[j] = '?';
	if (!wlen)
		snprintf(shown, RESOLV_VALUE_MAX + 1, "%s", "(nothing)");
	if (wlen == 0 || wlen > WORD_MAX || has_nul)
		return -EINVAL;
	memcpy(word, line + start, wlen);
	word[wlen] = '\0';
	return 0;
}

/* Why an address that parsed is not kept (a note kind), or -1: it is. */
static int refusal(const struct value_addr *a, const struct value_addr *skip, size_t n_skip,
                   const struct value_addr *out, size_t n, size_t max)
{
	struct key k;

	to_key(a, &k);
	if (is_loop(&k, skip, n_skip))
		return RESOLV_NOTE_LOOP;
	for (size_t j = 0; j < n; j++) {
		struct key o;
		to_key(&out[j], &o);
		if (key_same_addr(&o, &k) && o.scope == k.scope)
			return RESOLV_NOTE_DUPLICATE;
	}
	return n == max ? RESOLV_NOTE_TOO_MANY : -1;
}

int resolv_parse(const char *text, size_t len, const struct value_addr *skip, size_t n_skip,
                 struct value_addr *out, size_t max, size_t *n, struct resolv_report *rep)
{
	static const char kw[] = "nameserver";
	const size_t kwlen = sizeof(kw) - 1;

	if ((!text && len) || (!skip && n_skip) || (!out && max) || !n)
		return -EINVAL;
	*n = 0;
	if (rep) {
		const char *path = rep->path;
		memset(rep, 0, sizeof(*rep));
		rep->path = path;
	}

	unsigned lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - line) : len - pos;
		pos += llen + (nl ? 1 : 0);
		lineno++;

		/* glibc: the keyword at the start of the line, then a blank; a
		 * bare "nameserver" is reported rather than passed over. */
		if (llen < kwlen || memcmp(line, kw, kwlen) != 0 ||
		    (llen > kwlen && !blank(line[kwlen])))
			continue;
		if (rep)
			rep->nameserver_lines++;

		char word[WORD_MAX + 1];
		char shown[RESOLV_VALUE_MAX + 1];
		if (nameserver_word(line, llen, kwlen, word, shown) < 0) {
			note(rep, RESOLV_NOTE_MALFORMED, lineno, shown);
			continue;
		}
		struct value_addr a;
		int r = parse_word(word, &a);
		if (r < 0) {
			note(rep,
			     r == -EDESTADDRREQ ? RESOLV_NOTE_LINK_LOCAL : RESOLV_NOTE_MALFORMED,
			     lineno, shown);
			continue;
		}
		r = refusal(&a, skip, n_skip, out, *n, max);
		if (r >= 0)
			note(rep, (enum resolv_note_kind)r, lineno, shown);
		else
			out[(*n)++] = a;
	}
	return *n ? 0 : -ENODATA;
}

int resolv_load_from(const char *const *paths, size_t n_paths, const struct value_addr *skip,
                     size_t n_skip, struct value_addr *out, size_t max, size_t *n,
                     struct resolv_report *rep)
{
	if (!paths || !n)
		return -EINVAL;
	*n = 0;
	if (rep)
		memset(rep, 0, sizeof(*rep));
	int rc = -ENOENT;
	for (size_t i = 0; i < n_paths; i++) {
		char *text = NULL;
		size_t len = 0;
		if (rep)
			rep->path = paths[i];
		rc = file_read_all(paths[i], RESOLV_FILE_MAX, &text, &len);
		if (rc == -ENOENT)
			continue;
		if (rc < 0)
			return rc;
		rc = resolv_parse(text, len, skip, n_skip, out, max, n, rep);
		free(text);
		return rc;
	}
	return rc;
}

int resolv_load(const char *path, const struct value_addr *skip, size_t n_skip,
                struct value_addr *out, size_t max, size_t *n, struct resolv_report *rep)
{
	static const char *const defaults[] = {RESOLV_PATH_RESOLVED, RESOLV_PATH_DEFAULT};
	if (path)
		return resolv_load_from(&path, 1, skip, n_skip, out, max, n, rep);
	return resolv_load_from(defaults, 2, skip, n_skip, out, max, n, rep);
}

static const char *report_path(const struct resolv_report *rep)
{
	return rep && rep->path ? rep->path : "resolv.conf";
}

void resolv_note_format(const struct resolv_report *rep, const struct resolv_note *nt, char *buf,
                        size_t len)
{
	static const char *const why[] = {
	    [RESOLV_NOTE_MALFORMED] = "not an IPv4 or IPv6 address",
	    [RESOLV_NOTE_LINK_LOCAL] = "link-local address needs a %scope",
	    [RESOLV_NOTE_LOOP] = "it would loop back to this host's resolver",
	    [RESOLV_NOTE_DUPLICATE] = "listed before",
	    [RESOLV_NOTE_TOO_MANY] = "more than the upstreams we keep",
	};
	if (!len)
		return;
	const char *w = (unsigned)nt->kind < sizeof(why) / sizeof(why[0]) && why[nt->kind]
	                    ? why[nt->kind]
	                    : "skipped";
	snprintf(buf, len, "%s:%u: nameserver %s skipped: %s", report_path(rep), nt->line,
	         nt->value, w);
}

void resolv_describe(int rc, const struct resolv_report *rep, size_t n, char *buf, size_t len)
{
	if (!len)
		return;
	const char *path = report_path(rep);
	if (rc == 0) {
		snprintf(buf, len, "%s: %zu upstream%s", path, n, n == 1 ? "" : "s");
		return;
	}
	if (rc != -ENODATA) {
		snprintf(buf, len, "%s: %s", path, strerror(-rc));
		return;
	}
	if (!rep || rep->nameserver_lines == 0) {
		snprintf(buf, len, "%s: no nameserver line", path);
		return;
	}
	/* Count by kind over the kept notes; dropped ones are past any limit
	 * we would report anyway. */
	size_t cnt[RESOLV_NOTE_TOO_MANY + 1] = {0};
	for (size_t i = 0; i < rep->n_notes; i++)
		if ((unsigned)rep->notes[i].kind <= RESOLV_NOTE_TOO_MANY)
			cnt[rep->notes[i].kind]++;
	snprintf(buf, len,
	         "%s: no usable nameserver (%u line%s: %zu would loop, %zu malformed, %zu "
	         "link-local without scope%s)",
	         path, rep->nameserver_lines, rep->nameserver_lines == 1 ? "" : "s",
	         cnt[RESOLV_NOTE_LOOP], cnt[RESOLV_NOTE_MALFORMED], cnt[RESOLV_NOTE_LINK_LOCAL],
	         rep->dropped ? ", more not shown" : "");
}
