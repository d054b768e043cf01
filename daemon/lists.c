/* List files and the service catalog: the line parser (pure), the streaming
 * file loader, catalog lookups and the build of a domains structure from a
 * configuration. See lists.h. */
#include "lists.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

#define READ_CHUNK (256 * 1024) /* > LISTS_LINE_MAX, so a whole line always fits */

/* ---- the line parser ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static void set_why(struct lists_line *out, const char *why, const char *tok, size_t len)
{
	if (out->why[0])
		return; /* the first problem of a line is the one reported */
	if (!tok) {
		snprintf(out->why, sizeof(out->why), "%s", why);
		return;
	}
	char q[VALUE_ESCAPE_SIZE];
	snprintf(out->why, sizeof(out->why), "%s: '%s'", why, value_escape(tok, len, q));
}

/* Whether a hosts-format token is an address (the hosts file's first column). */
static bool is_address(const char *tok, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 16];
	unsigned char bin[16];
	if (len == 7 && memcmp(tok, "0.0.0.0", 7) == 0)
		return true;
	if (len == 9 && memcmp(tok, "127.0.0.1", 9) == 0)
		return true;
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, tok, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, bin) == 1)
		return true;
	char *pct = strchr(buf, '%'); /* fe80::1%lo0 */
	if (pct)
		*pct = '\0';
	return strchr(buf, ':') && inet_pton(AF_INET6, buf, bin) == 1;
}

/* The loopback and link names that every hosts file carries. */
static bool is_local_name(const char *tok, size_t len)
{
	static const char *const names[] = {
	    "localhost",
	    "localhost.localdomain",
	    "localhost4",
	    "localhost6",
	    "localhost4.localdomain4",
	    "localhost6.localdomain6",
	    "local",
	    "localdomain",
	    "broadcasthost",
	    "ip6-localhost",
	    "ip6-loopback",
	    "ip6-localnet",
	    "ip6-mcastprefix",
	    "ip6-allnodes",
	    "ip6-allrouters",
	    "ip6-allhosts",
	};
	if (len > 0 && tok[len - 1] == '.')
		len--;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && strncasecmp(names[i], tok, len) == 0)
			return true;
	return false;
}

static void add_name(struct lists_line *out, const char *tok, size_t len)
{
	const char *why;
	size_t n;
	/* "*.example.com" in a list means the subdomains; matching always
	 * includes them, so the entry is the domain itself. */
	if (len > 2 && tok[0] == '*' && tok[1] == '.') {
		tok += 2;
		len -= 2;
	}
	if (out->n == LISTS_LINE_NAMES) {
		set_why(out, "more than 32 names on one line; the rest skipped", NULL, 0);
		return;
	}
	if (domains_normalize(tok, len, out->names[out->n], &n, &why) < 0) {
		set_why(out, why, tok, len);
		return;
	}
	out->lens[out->n++] = (uint8_t)n;
}

/* The words of a line: at most max, *too_many when there were more. */
struct words {
	const char *tok[LISTS_LINE_NAMES + 2];
	size_t len[LISTS_LINE_NAMES + 2], n;
	bool too_many;
};

static void split_words(const char *line, size_t p, size_t len, struct words *w)
{
	w->n = 0;
	w->too_many = false;
	while (p < len) {
		size_t s = p;
		while (p < len && !is_space(line[p]))
			p++;
		if (w->n < sizeof(w->tok) / sizeof(w->tok[0])) {
			w->tok[w->n] = line + s;
			w->len[w->n++] = p - s;
		} else {
			w->too_many = true;
		}
		while (p < len && is_space(line[p]))
			p++;
	}
}

/* Adblock: ||name^ and nothing else; options and paths narrow a rule in ways
 * a DNS filter cannot follow. */
static int parse_adblock(const struct words *w, struct lists_line *out)
{
	const char *t = w->tok[0], *caret = memchr(t, '^', w->len[0]);

	if (w->n > 1 || !caret) {
		set_why(out, "adblock rule that is not ||name^", t, w->len[0]);
		return -EINVAL;
	}
	size_t rest = w->len[0] - (size_t)(caret + 1 - t);
	if (rest > 0 && !(rest == 1 && caret[1] == '|')) {
		set_why(out, "adblock rule with options or a path (only ||name^ is supported)", t,
		        w->len[0]);
		return -EINVAL;
	}
	add_name(out, t + 2, (size_t)(caret - t) - 2);
	return out->n ? (int)out->n : -EINVAL;
}

/* Hosts format: ADDRESS NAME...; localhost names and addresses are ignored. */
static int parse_hosts(const struct words *w, struct lists_line *out)
{
	if (w->n == 1) {
		set_why(out, "address without a name", w->tok[0], w->len[0]);
		return -EINVAL;
	}
	if (w->len[0] < sizeof(out->addr)) {
		memcpy(out->addr, w->tok[0], w->len[0]);
		out->addr[w->len[0]] = '\0';
	}
	for (size_t i = 1; i < w->n; i++) {
		if (is_local_name(w->tok[i], w->len[i]) || is_address(w->tok[i], w->len[i]))
			out->ignored++;
		else
			add_name(out, w->tok[i], w->len[i]);
	}
	if (w->too_many)
		set_why(out, "more than 32 names on one line; the rest skipped", NULL, 0);
	if (out->n == 0 && out->why[0])
		return -EINVAL;
	return (int)out->n;
}

int lists_parse_line(const char *line, size_t len, struct lists_line *out)
{
	struct words w;
	size_t p = 0;

	out->n = 0;
	out->ignored = 0;
	out->why[0] = '\0';
	out->addr[0] = '\0';
	if (memchr(line, '\0', len)) {
		set_why(out, "binary data (a NUL byte)", NULL, 0);
		return -EINVAL;
	}
	if (len > LISTS_LINE_MAX) {
		set_why(out, "line longer than 4096 bytes", NULL, 0);
		return -EINVAL;
	}
	while (len > 0 && is_space(line[len - 1]))
		len--;
	while (p < len && is_space(line[p]))
		p++;
	/* Comments: '#' (hosts, plain), '!' and "[Adblock Plus 2.0]" (adblock). */
	if (p == len || line[p] == '#' || line[p] == '!' || line[p] == '[')
		return 0;
	/* A '#' after a blank starts a comment at the end of the line. */
	for (size_t i = p + 1; i < len; i++) {
		if (line[i] == '#' && is_space(line[i - 1])) {
			len = i;
			while (len > p && is_space(line[len - 1]))
				len--;
			break;
		}
	}
	split_words(line, p, len, &w);
	if (w.len[0] >= 2 && w.tok[0][0] == '@' && w.tok[0][1] == '@') {
		set_why(out, "exception rules are not supported (use allow = in the config)",
		        w.tok[0], w.len[0]);
		return -EINVAL;
	}
	if (w.len[0] >= 2 && w.tok[0][0] == '|' && w.tok[0][1] == '|')
		return parse_adblock(&w, out);
	if (is_address(w.tok[0], w.len[0]))
		return parse_hosts(&w, out);
	if (w.n > 1) {
		set_why(out, "several words (expected a domain, 'ADDRESS NAME...' or ||name^)",
		        w.tok[0], (size_t)(w.tok[w.n - 1] + w.len[w.n - 1] - w.tok[0]));
		return -EINVAL;
	}
	add_name(out, w.tok[0], w.len[0]);
	return out->n ? (int)out->n : -EINVAL;
}

/* ---- the file loader ---- */

/* Called for a hosts line's address with the line's first name (the
 * bypass list's resolver addresses). */
typedef int (*addr_fn)(void *ctx, const char *addr, const char *name, unsigned line);

struct loader {
	const char *path;
	lists_name_fn on_name;
	addr_fn on_addr;
	lists_error_fn on_error;
	void *ctx;
	struct lists_stats *st;
	size_t reported;
	int stop; /* a callback's error */
	struct lists_line parsed;
};

/* Formats one message and hands it to the caller's callback. */
__attribute__((format(printf, 3, 4))) static void emit(lists_error_fn on_error, void *ctx,
                                                       const char *fmt, ...)
{
	char msg[PATH_MAX + 1024];
	va_list ap;

	if (!on_error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	on_error(ctx, msg);
}

static void report(struct loader *l, unsigned line, const char *why)
{
	l->st->errors++;
	if (l->reported >= LISTS_ERRORS_MAX || !l->on_error)
		return;
	l->reported++;
	emit(l->on_error, l->ctx, "%s:%u: %s", l->path, line, why);
}

static void handle_line(struct loader *l, const char *s, size_t len, unsigned line)
{
	l->st->lines++;
	int r = lists_parse_line(s, len, &l->parsed);
	l->st->ignored += l->parsed.ignored;
	if (l->parsed.why[0])
		report(l, line, l->parsed.why);
	for (int i = 0; i < r && !l->stop; i++) {
		int e = l->on_name ? l->on_name(l->ctx, l->parsed.names[i], l->parsed.lens[i], line)
		                   : 0;
		if (e < 0)
			l->stop = e;
		else
			l->st->names++;
	}
	if (r > 0 && l->parsed.addr[0] && l->on_addr && !l->stop) {
		int e = l->on_addr(l->ctx, l->parsed.addr, l->parsed.names[0], line);
		if (e < 0)
			l->stop = e;
	}
}

static int load_fd(struct loader *l, int fd)
{
	char *buf = malloc(READ_CHUNK);
	if (!buf)
		return -ENOMEM;
	size_t have = 0;
	unsigned line = 0;
	bool skipping = false, first = true;
	int ret = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, READ_CHUNK - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		bool eof = r == 0;
		have += (size_t)r;
		size_t pos = 0;
		if (first && (have >= 3 || eof)) {
			first = false;
			if (have >= 2 && ((uint8_t)buf[0] == 0xff && (uint8_t)buf[1] == 0xfe)) {
				ret = -EILSEQ;
				break;
			}
			if (have >= 2 && ((uint8_t)buf[0] == 0xfe && (uint8_t)buf[1] == 0xff)) {
				ret = -EILSEQ;
				break;
			}
			if (have >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
				pos = 3;
		} else if (first) {
			continue;
		}
		while (pos < have && !l->stop) {
			char *nl = memchr(buf + pos, '\n', have - pos);
			if (!nl)
				break;
			size_t len = (size_t)(nl - (buf + pos));
			if (skipping) {
				skipping = false;
			} else {
				line++;
				if (len > LISTS_LINE_MAX) {
					l->st->lines++;
					report(l, line, "line longer than 4096 bytes; skipped");
				} else {
					handle_line(l, buf + pos, len, line);
				}
			}
			pos += len + 1;
		}
		if (l->stop) {
			ret = l->stop;
			break;
		}
		memmove(buf, buf + pos, have - pos);
		have -= pos;
		if (have > LISTS_LINE_MAX) {
			if (!skipping) {
				line++;
				l->st->lines++;
				report(l, line, "line longer than 4096 bytes; skipped");
				skipping = true;
			}
			have = 0;
		}
		if (eof) {
			if (have > 0 && !skipping) {
				line++;
				handle_line(l, buf, have, line);
				if (l->stop)
					ret = l->stop;
			}
			break;
		}
	}
	free(buf);
	return ret;
}

static int load_path(const char *path, lists_name_fn on_name, addr_fn on_addr,
                     lists_error_fn on_error, void *ctx, struct lists_stats *st)
{
	struct lists_stats dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	struct loader *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	*l = (struct loader){.path = path,
	                     .on_name = on_name,
	                     .on_addr = on_addr,
	                     .on_error = on_error,
	                     .ctx = ctx,
	                     .st = st};
	/* O_NONBLOCK so that a FIFO put where a list was expected cannot hang
	 * the daemon; it is refused below as not a regular file. */
	int ret, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		emit(on_error, ctx, "%s: cannot open: %s", path, strerror(-ret));
		free(l);
		return ret;
	}
	struct stat sb;
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		emit(on_error, ctx, "%s: cannot stat", path);
	} else if (S_ISDIR(sb.st_mode)) {
		ret = -EISDIR;
		emit(on_error, ctx, "%s: is a directory, not a list file", path);
	} else if (!S_ISREG(sb.st_mode)) {
		ret = -EINVAL;
		emit(on_error, ctx, "%s: not a regular file", path);
	} else {
		ret = load_fd(l, fd);
		if (ret == -EILSEQ)
			emit(on_error, ctx,
			     "%s: UTF-16 text is not supported (save the list as UTF-8)", path);
		else if (ret < 0)
			emit(on_error, ctx, "%s: %s: %s", path,
			     ret == l->stop ? "load stopped" : "read failed", strerror(-ret));
		if (st->errors > l->reported)
			emit(on_error, ctx, "%s: %zu more bad %s not shown", path,
			     st->errors - l->reported,
			     st->errors - l->reported == 1 ? "line" : "lines");
	}
	close(fd);
	free(l);
	return ret;
}

int lists_load_file(const char *path, lists_name_fn on_name, lists_error_fn on_error, void *ctx,
                    struct lists_stats *st)
{
	return load_path(path, on_name, NULL, on_error, ctx, st);
}

/* ---- the bypass lists ---- */

struct bypass_load {
	struct lists_bypass *out;
	struct domains_builder *b;
	int origin;
	lists_error_fn on_error;
	void *ctx;
	const char *path;
};

static int bypass_name(void *arg, const char *name, size_t len, unsigned line)
{
	struct bypass_load *bl = arg;

	return domains_builder_add(bl->b, name, len, (uint32_t)bl->origin, line);
}

static void bypass_error(void *arg, const char *msg)
{
	struct bypass_load *bl = arg;

	if (bl->on_error)
		bl->on_error(bl->ctx, msg);
}

/* A resolver's address: never loopback or unspecified, which would cut the
 * machine's own traffic or mean nothing. */
static int bypass_addr(void *arg, const char *text, const char *name, unsigned line)
{
	struct bypass_load *bl = arg;
	struct lists_bypass *o = bl->out;
	struct lists_resolver r = {.line = line};
	static const uint8_t zero[16], lo6[16] = {[15] = 1};

	if (value_parse_ip(text, &r.family, r.addr) < 0 ||
	    (r.family == AF_INET && (r.addr[0] == 127 || memcmp(r.addr, zero, 4) == 0)) ||
	    (r.family == AF_INET6 && (memcmp(r.addr, zero, 16) == 0 || !memcmp(r.addr, lo6, 16)))) {
		emit(bl->on_error, bl->ctx, "%s:%u: not a resolver's address: '%s'", bl->path, line,
		     text);
		return -EINVAL;
	}
	if (o->n_resolvers == LISTS_RESOLVERS_MAX) {
		emit(bl->on_error, bl->ctx, "%s:%u: more than %d resolver addresses", bl->path,
		     line, LISTS_RESOLVERS_MAX);
		return -E2BIG;
	}
	snprintf(r.name, sizeof(r.name), "%s", name);
	o->resolvers[o->n_resolvers++] = r;
	return 0;
}

/* One of the two files into the builder, as list `list`; a bad line fails. */
static int bypass_file(struct bypass_load *bl, const char *datadir, const char *file, unsigned list,
                       char **path_out)
{
	struct lists_stats st;
	char *path = NULL;
	int r = asprintf(&path, "%s/%s", datadir, file) < 0 ? -ENOMEM : 0;

	if (r == 0)
		r = bl->origin = domains_builder_origin(bl->b, list, false, path);
	bl->path = path;
	if (r >= 0)
		r = load_path(path, bypass_name, list == LISTS_BYPASS_ENDPOINT ? bypass_addr : NULL,
		              bypass_error, bl, &st);
	if (r >= 0 && st.errors)
		r = -EINVAL;
	if (path_out && r >= 0)
		*path_out = path;
	else
		free(path);
	return r < 0 ? r : 0;
}

int lists_bypass_load(const char *datadir, lists_error_fn on_error, void *ctx,
                      struct lists_bypass *out)
{
	struct bypass_load bl = {out, domains_builder_new(), -1, on_error, ctx, NULL};
	int r;

	memset(out, 0, sizeof(*out));
	out->resolvers = calloc(LISTS_RESOLVERS_MAX, sizeof(*out->resolvers));
	r = bl.b && out->resolvers ? 0 : -ENOMEM;
	if (r == 0)
		r = bypass_file(&bl, datadir, LISTS_BYPASS_FILE, LISTS_BYPASS_ENDPOINT, &out->path);
	if (r == 0)
		r = bypass_file(&bl, datadir, LISTS_WILDCARD_FILE, LISTS_BYPASS_WILDCARD, NULL);
	if (r == 0) {
		out->names = domains_builder_finish(bl.b);
		bl.b = NULL;
		r = out->names ? 0 : -ENOMEM;
	}
	domains_builder_free(bl.b);
	if (r < 0)
		lists_bypass_free(out);
	return r;
}

const struct lists_resolver *lists_bypass_resolver(const struct lists_bypass *b, int family,
                                                   const uint8_t *addr)
{
	for (size_t i = 0; b && i < b->n_resolvers; i++)
		if (b->resolvers[i].family == family &&
		    memcmp(b->resolvers[i].addr, addr, family == AF_INET ? 4 : 16) == 0)
			return &b->resolvers[i];
	return NULL;
}

void lists_bypass_free(struct lists_bypass *b)
{
	if (!b)
		return;
	domains_free(b->names);
	free(b->resolvers);
	free(b->path);
	memset(b, 0, sizeof(*b));
}

/* ---- globs and the catalog ---- */

void lists_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int lists_glob(const char *pattern, char ***paths, size_t *n)
{
	*paths = NULL;
	*n = 0;
	if (!strpbrk(pattern, "*?[")) {
		struct stat sb;
		if (stat(pattern, &sb) < 0)
			return -errno;
		char **v = calloc(1, sizeof(char *));
		if (!v || !(v[0] = strdup(pattern))) {
			free(v);
			return -ENOMEM;
		}
		*paths = v;
		*n = 1;
		return 0;
	}
	glob_t g;
	int r = glob(pattern, 0, NULL, &g);
	if (r == GLOB_NOMATCH)
		return 0;
	if (r != 0) {
		if (r != GLOB_NOSPACE)
			globfree(&g);
		return r == GLOB_NOSPACE ? -ENOMEM : -EIO;
	}
	char **v = calloc(g.gl_pathc ? g.gl_pathc : 1, sizeof(char *));
	if (!v) {
		globfree(&g);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (!(v[i] = strdup(g.gl_pathv[i]))) {
			lists_strv_free(v, i);
			globfree(&g);
			return -ENOMEM;
		}
	}
	*paths = v;
	*n = g.gl_pathc;
	globfree(&g);
	return 0;
}

static int service_path(const char *datadir, const char *name, char *buf, size_t len)
{
	if (!value_valid_name(name))
		return -EINVAL;
	int r = snprintf(buf, len, "%s/services/%s.list", datadir, name);
	return r < 0 || (size_t)r >= len ? -ENAMETOOLONG : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int lists_services(const char *datadir, char ***names, size_t *n)
{
	char dir[PATH_MAX];
	*names = NULL;
	*n = 0;
	if (snprintf(dir, sizeof(dir), "%s/services", datadir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	char **v = calloc(LISTS_SERVICES_MAX, sizeof(char *));
	if (!v) {
		closedir(d);
		return -ENOMEM;
	}
	size_t k = 0;
	struct dirent *de;
	while ((de = readdir(d)) && k < LISTS_SERVICES_MAX) {
		size_t len = strlen(de->d_name);
		if (len <= 5 || strcmp(de->d_name + len - 5, ".list") != 0)
			continue;
		char *s = strndup(de->d_name, len - 5);
		if (!s) {
			lists_strv_free(v, k);
			closedir(d);
			return -ENOMEM;
		}
		if (!value_valid_name(s)) {
			free(s);
			continue;
		}
		v[k++] = s;
	}
	closedir(d);
	qsort(v, k, sizeof(char *), cmp_str);
	*names = v;
	*n = k;
	return 0;
}

bool lists_service_exists(const char *datadir, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;
	return service_path(datadir, name, path, sizeof(path)) == 0 && stat(path, &sb) == 0 &&
	       S_ISREG(sb.st_mode);
}

void lists_unknown_service(const char *datadir, const char *name, char *buf, size_t len)
{
	char **v;
	size_t n, o;
	int r = snprintf(buf, len, "unknown service '%s' (known: ", name);
	o = r < 0 ? 0 : (size_t)r;
	if (lists_services(datadir, &v, &n) < 0 || n == 0) {
		/* Mostly a source tree run without --data-dir: say how to point at one. */
		snprintf(buf + (o < len ? o : len), o < len ? len - o : 0,
		         "none; no catalog in %s/services: pass --data-dir with the directory "
		         "that holds services/, --data-dir conf in a source tree, or install "
		         "smbreak)",
		         datadir);
		return;
	}
	for (size_t i = 0; i < n && o < len; i++) {
		r = snprintf(buf + o, len - o, "%s%s", v[i], i + 1 < n ? ", " : ")");
		o += r < 0 ? 0 : (size_t)r;
	}
	lists_strv_free(v, n);
}

int lists_load_service(const char *datadir, const char *name, lists_name_fn on_name,
                       lists_error_fn on_error, void *ctx, struct lists_stats *st)
{
	char path[PATH_MAX];
	int r = service_path(datadir, name, path, sizeof(path));
	if (r < 0)
		return r;
	return lists_load_file(path, on_name, on_error, ctx, st);
}

/* ---- building from a configuration ---- */

struct build {
	struct domains_builder *b;
	uint32_t origin;
	lists_error_fn on_error;
	void *ctx;
};

static int add_cb(void *ctx, const char *name, size_t len, unsigned line)
{
	struct build *bd = ctx;
	return domains_builder_add(bd->b, name, len, bd->origin, line);
}

static void err_cb(void *ctx, const char *msg)
{
	struct build *bd = ctx;
	if (bd->on_error)
		bd->on_error(bd->ctx, msg);
}

/* Adds the values of `domains =` or `allow =`, which conf_parse has checked
 * and normalised by the rule every name follows (domains_normalize). Their
 * origin is the config file at the key's line, so smctl check shows
 * file:line for them as for a list file's entries. */
static int add_values(struct build *bd, const struct conf *c, size_t li, bool allow,
                      struct lists_summary *sum)
{
	const struct conf_list *l = &c->lists[li];
	char **vals = allow ? l->allow : l->domains;
	size_t n = allow ? l->n_allow : l->n_domains;
	unsigned line = allow ? l->allow_line : l->domains_line;

	if (n == 0)
		return 0;
	int o = domains_builder_origin(bd->b, (unsigned)li, allow, c->path ? c->path : "config");
	if (o < 0)
		return o;
	for (size_t i = 0; i < n; i++) {
		int r = domains_builder_add(bd->b, vals[i], strlen(vals[i]), (uint32_t)o, line);
		if (r < 0)
			return r;
		sum->entries[li]++;
	}
	return 0;
}

/* Keeps the first soft failure: a missing file or service fails the build,
 * but only after every other problem was reported too. */
static void soft_fail(int *soft, int r)
{
	if (r < 0 && *soft == 0)
		*soft = r;
}

/* The services of list li. A hard failure (out of origins, memory) is
 * returned; a soft one is kept in *soft. */
static int build_services(struct build *bd, const struct conf *c, size_t li, const char *datadir,
                          struct lists_summary *sum, int *soft)
{
	const struct conf_list *l = &c->lists[li];

	for (size_t i = 0; i < l->n_services; i++) {
		struct lists_stats st;
		char src[64];

		if (!lists_service_exists(datadir, l->services[i])) {
			char msg[1024];
			lists_unknown_service(datadir, l->services[i], msg, sizeof(msg));
			emit(bd->on_error, bd->ctx, "%s:%u: list %s: %s",
			     c->path ? c->path : "config",
			     l->services_line ? l->services_line : l->line, l->name, msg);
			soft_fail(soft, -ENOENT);
			continue;
		}
		snprintf(src, sizeof(src), "service %s", l->services[i]);
		int o = domains_builder_origin(bd->b, (unsigned)li, false, src);
		if (o < 0)
			return o;
		bd->origin = (uint32_t)o;
		soft_fail(soft,
		          lists_load_service(datadir, l->services[i], add_cb, err_cb, bd, &st));
		sum->entries[li] += st.names;
		sum->errors[li] += st.errors;
	}
	return 0;
}

/* The files of list li, each glob expanded (see build_services). */
static int build_files(struct build *bd, const struct conf_list *l, size_t li,
                       struct lists_summary *sum, int *soft)
{
	for (size_t fi = 0; fi < l->n_files; fi++) {
		char **paths;
		size_t np;
		int r = lists_glob(l->files[fi], &paths, &np);

		if (r < 0) {
			emit(bd->on_error, bd->ctx, "%s: list %s: %s", l->files[fi], l->name,
			     strerror(-r));
			soft_fail(soft, r);
			continue;
		}
		for (size_t k = 0; k < np; k++) {
			struct lists_stats st;
			int o = domains_builder_origin(bd->b, (unsigned)li, false, paths[k]);
			if (o < 0) {
				lists_strv_free(paths, np);
				return o;
			}
			bd->origin = (uint32_t)o;
			soft_fail(soft, lists_load_file(paths[k], add_cb, err_cb, bd, &st));
			sum->entries[li] += st.names;
			sum->errors[li] += st.errors;
			sum->files[li]++;
		}
		lists_strv_free(paths, np);
	}
	return 0;
}

int lists_build(const struct conf *c, const char *datadir, lists_error_fn on_error, void *ctx,
                struct domains **out, struct lists_summary *sum)
{
	struct build bd = {.on_error = on_error, .ctx = ctx};
	struct lists_summary dummy;
	int soft = 0, r = 0;

	if (!sum)
		sum = &dummy;
	memset(sum, 0, sizeof(*sum));
	if (c->n_lists > SMB_LISTS_MAX) {
		emit(on_error, ctx, "%s: %zu lists; at most %d are supported",
		     c->path ? c->path : "config", c->n_lists, SMB_LISTS_MAX);
		return -E2BIG;
	}
	bd.b = domains_builder_new();
	if (!bd.b)
		return -ENOMEM;
	for (size_t li = 0; li < c->n_lists && r == 0; li++) {
		r = build_services(&bd, c, li, datadir, sum, &soft);
		if (r == 0)
			r = add_values(&bd, c, li, false, sum);
		if (r == 0)
			r = add_values(&bd, c, li, true, sum);
		if (r == 0)
			r = build_files(&bd, &c->lists[li], li, sum, &soft);
	}
	if (r == 0)
		r = soft;
	if (r < 0) {
		domains_builder_free(bd.b);
		return r;
	}
	*out = domains_builder_finish(bd.b);
	return *out ? 0 : -ENOMEM;
}
