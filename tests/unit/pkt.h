/* The unit tests' DNS packet builder: appends fields in network order to a
 * buffer, for the tests of dns_msg and of the cache. */
#ifndef SMB_TEST_PKT_H
#define SMB_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pb {
	uint8_t b[8192];
	size_t n;
};

static inline void b8(struct pb *p, uint8_t v)
{
	p->b[p->n++] = v;
}

static inline void b16(struct pb *p, uint16_t v)
{
	b8(p, (uint8_t)(v >> 8));
	b8(p, (uint8_t)v);
}

static inline void b32(struct pb *p, uint32_t v)
{
	b16(p, (uint16_t)(v >> 16));
	b16(p, (uint16_t)v);
}

static inline void bmem(struct pb *p, const void *v, size_t n)
{
	memcpy(p->b + p->n, v, n);
	p->n += n;
}

/* Labels of a dotted name, without the root byte (for names that end in a
 * pointer); returns where they start. */
static inline size_t labels(struct pb *p, const char *dotted)
{
	size_t start = p->n;

	while (*dotted) {
		const char *dot = strchr(dotted, '.');
		size_t l = dot ? (size_t)(dot - dotted) : strlen(dotted);

		b8(p, (uint8_t)l);
		bmem(p, dotted, l);
		dotted += l + (dot ? 1 : 0);
	}
	return start;
}

static inline size_t name(struct pb *p, const char *dotted)
{
	size_t start = labels(p, dotted);

	b8(p, 0);
	return start;
}

/* Type, class, TTL and a placeholder RDLENGTH, after the owner name; rd_end
 * fills the length in. */
static inline size_t rr(struct pb *p, uint16_t type, uint16_t cls, uint32_t ttl)
{
	b16(p, type);
	b16(p, cls);
	b32(p, ttl);
	b16(p, 0);
	return p->n;
}

static inline void rd_end(struct pb *p, size_t rd)
{
	p->b[rd - 2] = (uint8_t)((p->n - rd) >> 8);
	p->b[rd - 1] = (uint8_t)(p->n - rd);
}

#endif
