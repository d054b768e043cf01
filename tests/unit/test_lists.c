/* Unit tests of list files: the line parser for every format and bad input,
 * the file loader (CRLF, BOM, long lines, binary data, directories, empty and
 * missing files), globs, the service catalog as shipped, and a build from a
 * configuration. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "lists.h"

static struct lists_line ln;

static int parse(const char *s)
{
	return lists_parse_line(s, strlen(s), &ln);
}

/* A line that gives exactly the names in `want` (space-separated) and no error. */
static void check_names(const char *line, const char *want)
{
	char buf[1024] = "";
	int r = parse(line);
	for (int i = 0; i < r; i++) {
		if (i)
			strcat(buf, " ");
		CHECK_INT(strlen(ln.names[i]), ln.lens[i]);
		strcat(buf, ln.names[i]);
	}
	CHECK_STR(buf, want);
	CHECK_STR(ln.why, "");
	if (ln.why[0])
		fprintf(stderr, "  line '%s': %s\n", line, ln.why);
}

static void check_bad(const char *line, const char *want_why)
{
	CHECK_INT(parse(line), -EINVAL);
	CHECK_INT(ln.n, 0);
	CHECK_STR(ln.why, want_why);
}

static void test_parse(void)
{
	/* Plain. */
	check_names("facebook.com", "facebook.com");
	check_names("  Facebook.COM.  ", "facebook.com");
	check_names("facebook.com\r", "facebook.com");
	check_names("facebook.com # the main site", "facebook.com");
	check_names("facebook.com\t#tab comment", "facebook.com");
	check_names("*.fbcdn.net", "fbcdn.net");
	check_names("bücher.de", "xn--bcher-kva.de");
	check_names("", "");
	check_names("   \t\r", "");
	check_names("# comment", "");
	check_names("   # indented comment", "");
	check_names("! adblock comment", "");
	check_names("[Adblock Plus 2.0]", "");
	/* Hosts. */
	check_names("0.0.0.0 ads.example.com", "ads.example.com");
	check_names("127.0.0.1\tads.example.com\r", "ads.example.com");
	check_names("0.0.0.0 a.example.com b.example.com  c.example.com # three",
	            "a.example.com b.example.com c.example.com");
	check_names(":: ads.example.com", "ads.example.com");
	check_names("::1 ip6-localhost ip6-loopback", "");
	CHECK_INT(ln.ignored, 2);
	check_names("fe80::1%lo0 localhost", "");
	check_names("127.0.0.1 localhost", "");
	CHECK_INT(ln.ignored, 1);
	check_names("127.0.0.1 localhost.localdomain LOCALHOST", "");
	check_names("255.255.255.255 broadcasthost", "");
	check_names("0.0.0.0 0.0.0.0", "");
	CHECK_INT(ln.ignored, 1);
	check_names("192.168.1.10 tracker.example.net", "tracker.example.net");
	/* Adblock. */
	check_names("||ads.example.com^", "ads.example.com");
	check_names("||ads.example.com^|", "ads.example.com");
	check_names("  ||ADS.example.com^  # c", "ads.example.com");

	/* Bad lines. */
	check_bad("||ads.example.com^$third-party",
	          "adblock rule with options or a path (only ||name^ is supported): "
	          "'||ads.example.com^$third-party'");
	check_bad("||ads.example.com/path^", "a URL or path, not a domain name (write the name "
	                                     "only, like example.com): 'ads.example.com/path'");
	check_bad("||ads.example.com", "adblock rule that is not ||name^: '||ads.example.com'");
	check_bad("@@||good.example.com^",
	          "exception rules are not supported (use allow = in the config): "
	          "'@@||good.example.com^'");
	check_bad("example.com##.banner",
	          "character not allowed in a domain name: 'example.com##.banner'");
	check_bad("https://example.com/x", "a URL or path, not a domain name (write the name only, "
	                                   "like example.com): 'https://example.com/x'");
	check_bad("facebook.com instagram.com",
	          "several words (expected a domain, 'ADDRESS NAME...' or ||name^): "
	          "'facebook.com instagram.com'");
	check_bad("0.0.0.0", "address without a name: '0.0.0.0'");
	check_bad("1.2.3.4.5", "numeric top-level label (an address, not a name): '1.2.3.4.5'");
	check_bad("a..b.com", "empty label (two dots in a row, or a leading dot): 'a..b.com'");
	check_bad("0.0.0.0 a..b.com",
	          "empty label (two dots in a row, or a leading dot): 'a..b.com'");
	check_bad("\xff\xfe\x01garbage", "invalid UTF-8: '\\xff\\xfe\\x01garbage'");
	char nul[] = "abc\0def.com";
	CHECK_INT(lists_parse_line(nul, sizeof(nul) - 1, &ln), -EINVAL);
	CHECK_STR(ln.why, "binary data (a NUL byte)");

	/* A hosts line with a bad name among good ones keeps the good ones. */
	CHECK_INT(parse("0.0.0.0 good.example.com bad_.example..com also.example.com"), 2);
	CHECK_STR(ln.names[0], "good.example.com");
	CHECK_STR(ln.names[1], "also.example.com");
	CHECK_STR(ln.why, "empty label (two dots in a row, or a leading dot): 'bad_.example..com'");

	/* Limits: a 64-byte label, a 254-byte name, a line over the limit,
	 * too many names on a hosts line. */
	char buf[LISTS_LINE_MAX + 64];
	memset(buf, 'a', 64);
	strcpy(buf + 64, ".com");
	CHECK_INT(parse(buf), -EINVAL);
	CHECK(strncmp(ln.why, "label over 63 bytes: 'aaaa", 26) == 0);
	memset(buf, 'a', 254);
	for (int i = 60; i < 254; i += 61)
		buf[i] = '.';
	buf[254] = '\0';
	CHECK_INT(parse(buf), -EINVAL);
	CHECK(strncmp(ln.why, "name over 253 bytes", 19) == 0);
	memset(buf, 'a', LISTS_LINE_MAX + 1);
	buf[LISTS_LINE_MAX + 1] = '\0';
	CHECK_INT(parse(buf), -EINVAL);
	CHECK_STR(ln.why, "line longer than 4096 bytes");
	strcpy(buf, "0.0.0.0");
	for (int i = 0; i < 40; i++)
		snprintf(buf + strlen(buf), 32, " n%d.example.com", i);
	CHECK_INT(parse(buf), LISTS_LINE_NAMES);
	CHECK_STR(ln.why, "more than 32 names on one line; the rest skipped");
	CHECK_STR(ln.names[31], "n31.example.com");
}

/* ---- the loader ---- */

struct sink {
	char names[64][DOMAINS_NAME_MAX + 1];
	unsigned lines[64];
	size_t n;
	char errors[32][512];
	size_t n_errors;
	int fail_at; /* return -E2BIG on this name (1-based), 0 never */
};

static int on_name(void *ctx, const char *name, size_t len, unsigned line)
{
	struct sink *s = ctx;
	CHECK_INT(strlen(name), len);
	if (s->fail_at && (int)s->n + 1 == s->fail_at)
		return -E2BIG;
	if (s->n < 64) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->lines[s->n] = line;
	}
	s->n++;
	return 0;
}

static void on_error(void *ctx, const char *msg)
{
	struct sink *s = ctx;
	if (s->n_errors < 32)
		snprintf(s->errors[s->n_errors], sizeof(s->errors[0]), "%s", msg);
	s->n_errors++;
}

static char tmpdir[] = "/tmp/test_lists.XXXXXX";

static const char *write_file(const char *name, const char *data, size_t len)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	CHECK(f);
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	return path;
}

static void test_load(void)
{
	struct sink s;
	struct lists_stats st;
	char msg[1400];

	/* BOM, CRLF, comments, all three formats, no newline at the end. */
	static const char mixed[] = "\xef\xbb\xbf"
	                            "# a list\r\n"
	                            "facebook.com\r\n"
	                            "\r\n"
	                            "0.0.0.0 a.example.com b.example.com\r\n"
	                            "127.0.0.1 localhost\r\n"
	                            "bad..name\r\n"
	                            "||c.example.com^\r\n"
	                            "last.example.com";
	const char *p = write_file("mixed.txt", mixed, sizeof(mixed) - 1);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, &st), 0);
	CHECK_INT(s.n, 5);
	CHECK_STR(s.names[0], "facebook.com");
	CHECK_INT(s.lines[0], 2);
	CHECK_STR(s.names[2], "b.example.com");
	CHECK_INT(s.lines[2], 4);
	CHECK_STR(s.names[3], "c.example.com");
	CHECK_INT(s.lines[3], 7);
	CHECK_STR(s.names[4], "last.example.com");
	CHECK_INT(s.lines[4], 8);
	CHECK_INT(s.n_errors, 1);
	snprintf(msg, sizeof(msg),
	         "%s:6: empty label (two dots in a row, or a leading dot): 'bad..name'", p);
	CHECK_STR(s.errors[0], msg);
	CHECK_INT(st.lines, 8);
	CHECK_INT(st.names, 5);
	CHECK_INT(st.errors, 1);
	CHECK_INT(st.ignored, 1);

	/* The domain-name rule of the config holds in a list file too: an IDN
	 * loads as punycode, an address alone is a bad line, reported with its
	 * file and line and skipped. */
	static const char names[] = "b\xc3\xbc"
	                            "cher.de\n1.2.3.4\nok.example\n";
	p = write_file("names.txt", names, sizeof(names) - 1);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, &st), 0);
	CHECK_INT(s.n, 2);
	CHECK_STR(s.names[0], "xn--bcher-kva.de");
	CHECK_STR(s.names[1], "ok.example");
	CHECK_INT(s.n_errors, 1);
	snprintf(msg, sizeof(msg), "%s:2: address without a name: '1.2.3.4'", p);
	CHECK_STR(s.errors[0], msg);

	/* A long line between good ones: reported once, with its number. */
	size_t big = 3 * 256 * 1024;
	char *data = malloc(big + 100);
	strcpy(data, "one.example.com\n");
	size_t o = strlen(data);
	memset(data + o, 'x', big);
	o += big;
	strcpy(data + o, "\ntwo.example.com\n");
	o += strlen(data + o);
	p = write_file("long.txt", data, o);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, &st), 0);
	CHECK_INT(s.n, 2);
	CHECK_INT(s.lines[1], 3);
	CHECK_INT(s.n_errors, 1);
	snprintf(msg, sizeof(msg), "%s:2: line longer than 4096 bytes; skipped", p);
	CHECK_STR(s.errors[0], msg);
	CHECK_INT(st.lines, 3);

	/* A line just at the limit is parsed (and is a bad name), one past
	 * the limit is skipped as long. */
	memset(data, 'a', LISTS_LINE_MAX);
	data[LISTS_LINE_MAX] = '\n';
	memset(data + LISTS_LINE_MAX + 1, 'b', LISTS_LINE_MAX + 1);
	strcpy(data + 2 * LISTS_LINE_MAX + 2, "\nok.example.com");
	p = write_file("edge.txt", data, strlen(data));
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, &st), 0);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.n_errors, 2);
	CHECK(strstr(s.errors[0], ":1: name over 253 bytes"));
	CHECK(strstr(s.errors[1], ":2: line longer than 4096 bytes"));
	CHECK_INT(s.lines[0], 3);

	/* Binary garbage: every line reported up to the cap, then a summary;
	 * the good lines among it load. */
	uint64_t x = 12345;
	for (size_t i = 0; i < 200000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		data[i] = (char)(x >> 56);
	}
	memcpy(data + 50000, "\ngood1.example.com\n", 19);
	memcpy(data + 150000, "\ngood2.example.com\n", 19);
	p = write_file("garbage.bin", data, 200000);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, &st), 0);
	/* The random bytes may hold a valid name by chance; the two good
	 * lines must be among the names. */
	int good = 0;
	for (size_t i = 0; i < s.n && i < 64; i++)
		good += strcmp(s.names[i], "good1.example.com") == 0 ||
		        strcmp(s.names[i], "good2.example.com") == 0;
	CHECK_INT(good, 2);
	CHECK_INT(s.n_errors, LISTS_ERRORS_MAX + 1);
	snprintf(msg, sizeof(msg), "%s: %zu more bad lines not shown", p,
	         st.errors - LISTS_ERRORS_MAX);
	CHECK_STR(s.errors[LISTS_ERRORS_MAX], msg);
	CHECK(st.errors > LISTS_ERRORS_MAX);
	free(data);

	/* Empty file, missing file, a directory, UTF-16, a FIFO. */
	p = write_file("empty.txt", "", 0);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, &st), 0);
	CHECK_INT(s.n + s.n_errors + st.lines, 0);
	char path[600];
	snprintf(path, sizeof(path), "%s/missing.txt", tmpdir);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(path, on_name, on_error, &s, NULL), -ENOENT);
	snprintf(msg, sizeof(msg), "%s: cannot open: No such file or directory", path);
	CHECK_STR(s.errors[0], msg);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(tmpdir, on_name, on_error, &s, NULL), -EISDIR);
	snprintf(msg, sizeof(msg), "%s: is a directory, not a list file", tmpdir);
	CHECK_STR(s.errors[0], msg);
	p = write_file("utf16.txt",
	               "\xff\xfe"
	               "a\0.\0c\0o\0m\0",
	               12);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, NULL), -EILSEQ);
	CHECK(strstr(s.errors[0], "UTF-16"));
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	CHECK_INT(mkfifo(path, 0600), 0);
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_load_file(path, on_name, on_error, &s, NULL), -EINVAL);
	CHECK(strstr(s.errors[0], "not a regular file"));

	/* A callback that stops the load. */
	p = write_file("stop.txt", "a.com\nb.com\nc.com\n", 18);
	memset(&s, 0, sizeof(s));
	s.fail_at = 2;
	CHECK_INT(lists_load_file(p, on_name, on_error, &s, NULL), -E2BIG);
	CHECK_INT(s.n, 1);
}

static void test_glob(void)
{
	char d[600], pat[700];
	char **v;
	size_t n;
	snprintf(d, sizeof(d), "%s/g", tmpdir);
	CHECK_INT(mkdir(d, 0700), 0);
	snprintf(pat, sizeof(pat), "%s/*.txt", d);
	CHECK_INT(lists_glob(pat, &v, &n), 0);
	CHECK_INT(n, 0);
	write_file("g/b.txt", "b.com\n", 6);
	write_file("g/a.txt", "a.com\n", 6);
	write_file("g/c.list", "c.com\n", 6);
	CHECK_INT(lists_glob(pat, &v, &n), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(strstr(v[0], "/a.txt"));
		CHECK(strstr(v[1], "/b.txt"));
	}
	lists_strv_free(v, n);
	snprintf(pat, sizeof(pat), "%s/nothere.txt", d);
	CHECK_INT(lists_glob(pat, &v, &n), -ENOENT);
	snprintf(pat, sizeof(pat), "%s/a.txt", d);
	CHECK_INT(lists_glob(pat, &v, &n), 0);
	CHECK_INT(n, 1);
	lists_strv_free(v, n);
}

/* ---- the catalog as shipped ---- */

static char catalog[512];

static void test_catalog(void)
{
	static const char *const required[] = {
	    "facebook", "instagram", "threads",  "messenger", "whatsapp",  "tiktok",
	    "x",        "reddit",    "youtube",  "linkedin",  "pinterest", "snapchat",
	    "tumblr",   "bluesky",   "mastodon", "discord",   "twitch"};
	/* Names that serve other sites: neither they nor a parent of them may
	 * be in any service. */
	static const char *const collateral[] = {"reactjs.org",
	                                         "react.dev",
	                                         "ogp.me",
	                                         "googleapis.com",
	                                         "fonts.googleapis.com",
	                                         "gstatic.com",
	                                         "www.gstatic.com",
	                                         "google.com",
	                                         "googleusercontent.com",
	                                         "cloudfront.net",
	                                         "akamaihd.net",
	                                         "akamaized.net",
	                                         "amazonaws.com",
	                                         "fastly.net",
	                                         "cloudflare.com",
	                                         "apple.com",
	                                         "microsoft.com",
	                                         "github.com",
	                                         "jquery.com",
	                                         "jsdelivr.net",
	                                         "unpkg.com",
	                                         "doubleclick.net",
	                                         "gravatar.com",
	                                         "wikipedia.org",
	                                         "yahoo.com",
	                                         "bing.com",
	                                         "azureedge.net",
	                                         "edgekey.net",
	                                         "edgesuite.net",
	                                         "cdn77.org",
	                                         "t.co.example"};
	char **names;
	size_t n;
	CHECK_INT(lists_services(catalog, &names, &n), 0);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			found |= strcmp(names[k], required[i]) == 0;
		CHECK(found);
		if (!found)
			fprintf(stderr, "  service %s missing\n", required[i]);
		CHECK(lists_service_exists(catalog, required[i]));
	}
	struct domains_builder *b = domains_builder_new();
	for (size_t k = 0; k < n; k++) {
		struct sink s;
		struct lists_stats st;
		memset(&s, 0, sizeof(s));
		CHECK_INT(lists_load_service(catalog, names[k], on_name, on_error, &s, &st), 0);
		CHECK_INT(s.n_errors, 0);
		for (size_t e = 0; e < s.n_errors && e < 32; e++)
			fprintf(stderr, "  %s\n", s.errors[e]);
		CHECK(st.names >= 2);
		int o = domains_builder_origin(b, (unsigned)(k % SMB_LISTS_MAX), false, names[k]);
		for (size_t i = 0; i < s.n && i < 64; i++)
			domains_builder_add(b, s.names[i], strlen(s.names[i]), (uint32_t)o,
			                    s.lines[i]);
	}
	struct domains *d = domains_builder_finish(b);
	for (size_t i = 0; i < sizeof(collateral) / sizeof(collateral[0]); i++) {
		struct domains_match m;
		bool hit = domains_match(d, collateral[i], strlen(collateral[i]), &m);
		CHECK(!hit);
		if (hit)
			fprintf(stderr, "  collateral: %s is blocked by the catalog\n",
			        collateral[i]);
	}
	struct domains_match m;
	CHECK(domains_match(d, "static.xx.fbcdn.net", 19, &m));
	CHECK(domains_match(d, "i.ytimg.com", 11, &m));
	CHECK(domains_match(d, "www.reddit.com", 14, &m));
	domains_free(d);

	char msg[2048];
	lists_unknown_service(catalog, "myspace", msg, sizeof(msg));
	CHECK(strncmp(msg, "unknown service 'myspace' (known: bluesky, ", 43) == 0);
	CHECK(strstr(msg, ", youtube)"));
	CHECK(!lists_service_exists(catalog, "myspace"));
	CHECK(!lists_service_exists(catalog, "../services/facebook"));
	CHECK_INT(lists_load_service(catalog, "../x", on_name, on_error, NULL, NULL), -EINVAL);
	lists_strv_free(names, n);
	lists_unknown_service("/nonexistent", "x", msg, sizeof(msg));
	CHECK_STR(msg,
	          "unknown service 'x' (known: none; no catalog in /nonexistent/services: pass "
	          "--data-dir with the directory that holds services/, --data-dir conf in a "
	          "source tree, or install smbreak)");
}

/* ---- a build from a configuration ---- */

static void collect(void *ctx, const char *msg)
{
	on_error(ctx, msg);
}

static void test_build(void)
{
	char pat[600], bad[600];
	snprintf(pat, sizeof(pat), "%s/g/*.txt", tmpdir);
	snprintf(bad, sizeof(bad), "%s/g/vanished.txt", tmpdir);
	char *services0[] = {"facebook", "instagram"};
	char *domains0[] = {"news.ycombinator.com", "xn--bcher-kva.de"};
	char *allow0[] = {"business.facebook.com"};
	char *files0[] = {pat};
	char *services1[] = {"reddit"};
	struct conf_list lists[2] = {
	    {.name = "social",
	     .line = 10,
	     .services = services0,
	     .n_services = 2,
	     .domains = domains0,
	     .n_domains = 2,
	     .allow = allow0,
	     .n_allow = 1,
	     .files = files0,
	     .n_files = 1},
	    {.name = "news", .line = 20, .services = services1, .n_services = 1},
	};
	struct conf c = {.path = "/etc/smbreak/smbreak.conf", .lists = lists, .n_lists = 2};
	struct sink s;
	memset(&s, 0, sizeof(s));
	struct domains *d = NULL;
	struct lists_summary sum;
	CHECK_INT(lists_build(&c, catalog, collect, &s, &d, &sum), 0);
	CHECK(d);
	if (!d)
		return;
	CHECK_INT(s.n_errors, 0);
	CHECK_INT(sum.errors[0], 0);
	CHECK_INT(sum.files[0], 2);
	CHECK(sum.entries[0] > 10);
	struct domains_match m;
	CHECK(domains_match(d, "www.facebook.com", 16, &m));
	CHECK_INT(m.lists, 1);
	CHECK(!domains_match(d, "business.facebook.com", 21, &m));
	CHECK(domains_match(d, "a.com", 5, &m));  /* from g/a.txt */
	CHECK(!domains_match(d, "c.com", 5, &m)); /* g/c.list is not *.txt */
	CHECK(domains_match(d, "www.xn--bcher-kva.de", 20, &m));
	CHECK(domains_match(d, "old.reddit.com", 14, &m));
	CHECK_INT(m.lists, 2);
	struct domains_why w;
	domains_explain(d, "m.facebook.com", 14, 0, &w);
	CHECK_STR(domains_origin(d, w.block.origin, NULL, NULL), "service facebook");
	CHECK(w.block.line > 0);
	domains_explain(d, "a.com", 5, 0, &w);
	CHECK(strstr(domains_origin(d, w.block.origin, NULL, NULL), "/g/a.txt"));
	CHECK_INT(w.block.line, 1);
	domains_free(d);

	/* An unknown service or a vanished file fails the build: the caller
	 * keeps the structure it has. */
	char *unknown[] = {"myspace"};
	lists[1].services = unknown;
	memset(&s, 0, sizeof(s));
	d = NULL;
	CHECK_INT(lists_build(&c, catalog, collect, &s, &d, NULL), -ENOENT);
	CHECK(d == NULL);
	CHECK(
	    strstr(s.errors[s.n_errors - 1],
	           "/etc/smbreak/smbreak.conf:20: list news: unknown service 'myspace' (known: "));
	lists[1].services = services1;
	files0[0] = bad;
	memset(&s, 0, sizeof(s));
	CHECK_INT(lists_build(&c, catalog, collect, &s, &d, NULL), -ENOENT);
	CHECK(d == NULL);
	files0[0] = tmpdir; /* a directory */
	CHECK_INT(lists_build(&c, catalog, collect, &s, &d, NULL), -EISDIR);
	CHECK(d == NULL);
	/* conf_parse hands over normalised names only; any other is refused */
	files0[0] = pat;
	domains0[1] = "bad..name";
	CHECK_INT(lists_build(&c, catalog, collect, &s, &d, NULL), -EINVAL);
	CHECK(d == NULL);
	domains0[1] = "xn--bcher-kva.de";
	c.n_lists = SMB_LISTS_MAX + 1;
	CHECK_INT(lists_build(&c, catalog, collect, &s, &d, NULL), -E2BIG);
}

static void cleanup(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tmpdir);
}

int main(void)
{
	const char *data = getenv("SMB_TEST_DATA");
	snprintf(catalog, sizeof(catalog), "%s/../../conf", data ? data : "tests/data");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_parse();
	test_load();
	test_glob();
	test_catalog();
	test_build();
	cleanup();
	CHECK_DONE();
}
