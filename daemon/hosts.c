/* hosts(5) lines, as glibc's files backend reads them (hosts.h). */
#include "hosts.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next field of line[*i..n): its start and length (0 at the end). */
static size_t field(const char *line, size_t n, size_t *i, const char **start)
{
	size_t k;

	while (*i < n && blank(line[*i]))
		(*i)++;
	*start = line + *i;
	for (k = *i; k < n && !blank(line[k]); k++)
		;
	size_t len = k - *i;
	*i = k;
	return len;
}

/* One line without its newline: whether its address parsed (an empty or
 * comment-only line counts as parsed). */
static bool parse_line(const char *line, size_t n, hosts_entry_fn fn, void *ctx)
{
	const char *hash = memchr(line, '#', n), *f;
	char text[INET6_ADDRSTRLEN];
	uint8_t addr[16];
	size_t i = 0, len;
	int family;

	if (hash)
		n = (size_t)(hash - line);
	len = field(line, n, &i, &f);
	if (len == 0)
		return true;
	if (len >= sizeof(text) || memchr(f, '\0', len))
		return false;
	memcpy(text, f, len);
	text[len] = '\0';
	family = memchr(text, ':', len) ? AF_INET6 : AF_INET;
	if (inet_pton(family, text, addr) != 1)
		return false;
	while ((len = field(line, n, &i, &f)) > 0)
		if (len <= HOSTS_NAME_MAX && !memchr(f, '\0', len))
			fn(ctx, family, addr, f, len);
	return true;
}

size_t hosts_parse(const char *text, size_t len, hosts_entry_fn fn, void *ctx)
{
	size_t bad = 0;

	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) : len;
		if (!parse_line(text, n, fn, ctx))
			bad++;
		n += nl != NULL;
		text += n;
		len -= n;
	}
	return bad;
}
