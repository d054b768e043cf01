/* Unit tests of the hosts(5) reader: glibc's line rules (comments anywhere,
 * blanks, CRLF, a last line without a newline), IPv4 and IPv6 addresses,
 * what is skipped (bad addresses, scopes, names over 253 bytes), at fixed
 * texts. */
#include "hosts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"

/* Every entry as "ADDR name" lines, in order. */
struct seen {
	char text[2048];
	size_t off;
};

static void on_entry(void *ctx, int family, const uint8_t *addr, const char *name, size_t len)
{
	struct seen *s = ctx;
	char a[INET6_ADDRSTRLEN];
	int n;

	inet_ntop(family, addr, a, sizeof(a));
	n = snprintf(s->text + s->off, sizeof(s->text) - s->off, "%s%s %.*s", s->off ? "|" : "", a,
	             (int)len, name);
	if (n > 0)
		s->off += (size_t)n;
}

static const char *parse(const char *text, size_t *bad)
{
	static struct seen s;

	s.off = 0;
	s.text[0] = '\0';
	*bad = hosts_parse(text, strlen(text), on_entry, &s);
	return s.text;
}

int main(void)
{
	size_t bad;

	CHECK_STR(parse("", &bad), "");
	CHECK_INT(bad, 0);
	CHECK_STR(parse("127.0.0.1 localhost\n::1 localhost ip6-localhost\n", &bad),
	          "127.0.0.1 localhost|::1 localhost|::1 ip6-localhost");
	/* Comments anywhere, blanks of every kind, CRLF, no final newline. */
	CHECK_STR(parse("# a comment\n\n   \t\n10.0.0.1\twww.Social.test. alias#no space\r\n"
	                "  10.0.0.2 m.social.test # the app\n10.0.0.3 last",
	                &bad),
	          "10.0.0.1 www.Social.test.|10.0.0.1 alias|10.0.0.2 m.social.test|10.0.0.3 last");
	CHECK_INT(bad, 0);
	/* An address alone, a commented-out line. */
	CHECK_STR(parse("10.0.0.4\n#10.0.0.5 old.social.test\n", &bad), "");
	CHECK_INT(bad, 0);
	/* Bad addresses: skipped and counted, the next line read. */
	CHECK_STR(parse("not-an-address x.test\n300.1.1.1 y.test\n10.0.0 z.test\n"
	                "fe80::1%eth0 scoped.test\n1.2.3.4.5 w.test\n2001:db8::1 ok.test\n",
	                &bad),
	          "2001:db8::1 ok.test");
	CHECK_INT(bad, 5);
	/* A NUL in the address field is no address. */
	{
		static const char t[] = "1.2.3.4\0x n.test\n5.6.7.8 m.test\n";
		struct seen s = {0};
		CHECK_INT(hosts_parse(t, sizeof(t) - 1, on_entry, &s), 1);
		CHECK_STR(s.text, "5.6.7.8 m.test");
	}
	/* A name with a NUL byte is no name; the others of its line are. */
	{
		static const char t[] = "1.2.3.4 a\0b ok.test\n";
		struct seen s = {0};
		CHECK_INT(hosts_parse(t, sizeof(t) - 1, on_entry, &s), 0);
		CHECK_STR(s.text, "1.2.3.4 ok.test");
	}
	/* A name of 253 bytes is kept, one of 254 is not. */
	{
		char line[600], name[260];
		memset(name, 'a', 253);
		name[253] = '\0';
		snprintf(line, sizeof(line), "10.0.0.9 %s %sb short\n", name, name);
		const char *got = parse(line, &bad);
		char want[300];
		snprintf(want, sizeof(want), "10.0.0.9 %s|10.0.0.9 short", name);
		CHECK_STR(got, want);
	}
	/* Only the text given is read. */
	{
		struct seen s = {0};
		CHECK_INT(hosts_parse("10.0.0.1 a.test b.test", 17, on_entry, &s), 0);
		CHECK_STR(s.text, "10.0.0.1 a.test|10.0.0.1 b");
	}
	CHECK_DONE();
}
