/* The one rule for a domain name, in the config, a list file and a control
 * request alike (see domains_normalize in domains.h): lowercased, trailing
 * dot dropped, non-ASCII labels to punycode (RFC 3492), then checked. Pure. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "domains.h"

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

int domains_punycode(const uint32_t *cps, size_t n, char *out, size_t cap)
{
	enum { BASE = 36, TMIN = 1, TMAX = 26, SKEW = 38, DAMP = 700 };
	size_t o = 0;
	uint64_t basic = 0;

	for (size_t i = 0; i < n; i++) {
		if (cps[i] > 0x10ffff)
			return -EINVAL;
		if (cps[i] < 0x80) {
			if (o + 1 >= cap)
				return -ERANGE;
			out[o++] = (char)cps[i];
			basic++;
		}
	}
	if (basic > 0) {
		if (o + 1 >= cap)
			return -ERANGE;
		out[o++] = '-';
	}
	uint64_t cp = 0x80, delta = 0, bias = 72, h = basic;
	while (h < n) {
		uint64_t m = UINT32_MAX;
		for (size_t i = 0; i < n; i++)
			if (cps[i] >= cp && cps[i] < m)
				m = cps[i];
		delta += (m - cp) * (h + 1);
		if (delta > UINT32_MAX)
			return -ERANGE;
		cp = m;
		for (size_t i = 0; i < n; i++) {
			if (cps[i] < cp && ++delta > UINT32_MAX)
				return -ERANGE;
			if (cps[i] != cp)
				continue;
			uint64_t q = delta;
			for (uint64_t k = BASE;; k += BASE) {
				uint64_t t = k <= bias ? TMIN : k >= bias + TMAX ? TMAX : k - bias;
				if (q < t)
					break;
				uint64_t digit = t + (q - t) % (BASE - t);
				if (o + 1 >= cap)
					return -ERANGE;
				out[o++] = (char)(digit < 26 ? 'a' + digit : '0' + digit - 26);
				q = (q - t) / (BASE - t);
			}
			if (o + 1 >= cap)
				return -ERANGE;
			out[o++] = (char)(q < 26 ? 'a' + q : '0' + q - 26);
			/* Bias adaptation, RFC 3492 section 6.1. */
			uint64_t dl = h == basic ? delta / DAMP : delta / 2;
			dl += dl / (h + 1);
			uint64_t k = 0;
			while (dl > ((BASE - TMIN) * TMAX) / 2) {
				dl /= BASE - TMIN;
				k += BASE;
			}
			bias = k + (BASE - TMIN + 1) * dl / (dl + SKEW);
			delta = 0;
			h++;
		}
		delta++;
		cp++;
	}
	if (o >= cap)
		return -ERANGE;
	out[o] = '\0';
	return (int)o;
}

/* Simple lowercase for the scripts whose capitals are common in names; other
 * code points pass unchanged (IDNA's full mapping needs Unicode tables). */
static uint32_t fold(uint32_t c)
{
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3ab && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	if (((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177) ||
	     (c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
	     (c >= 0x4d0 && c <= 0x52f)) &&
	    !(c & 1))
		return c + 1;
	if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e)) && (c & 1))
		return c + 1;
	return c;
}

/* Decodes one UTF-8 sequence at s[*i]; returns the code point or UINT32_MAX. */
static uint32_t utf8_next(const uint8_t *s, size_t len, size_t *i)
{
	uint8_t c = s[*i];
	size_t n;
	uint32_t cp;
	if (c < 0x80) {
		(*i)++;
		return c;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
	} else {
		return UINT32_MAX;
	}
	if (*i + n >= len)
		return UINT32_MAX;
	for (size_t k = 1; k <= n; k++) {
		uint8_t b = s[*i + k];
		if ((b & 0xc0) != 0x80)
			return UINT32_MAX;
		cp = cp << 6 | (b & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return UINT32_MAX;
	*i += n + 1;
	return cp;
}

static bool ascii_ok(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Converts one label with non-ASCII letters; appends "xn--..." at out[*o]. */
static int idn_label(const uint8_t *s, size_t len, char *out, size_t *o, const char **why)
{
	uint32_t cps[DOMAINS_LABEL_MAX + 1];
	size_t n = 0;
	for (size_t i = 0; i < len;) {
		uint32_t c = utf8_next(s, len, &i);
		if (c == UINT32_MAX) {
			*why = "invalid UTF-8";
			return -EINVAL;
		}
		c = c < 0x80 ? lower((uint8_t)c) : fold(c);
		if (c < 0x80 ? !ascii_ok((uint8_t)c)
		             : (c <= 0xa0 || c == 0xad || (c >= 0x2000 && c <= 0x206f) ||
		                c == 0x3000 || c == 0xfeff || (c >= 0xfff0 && c <= 0xffff) ||
		                (c >= 0xe000 && c <= 0xf8ff))) {
			*why = "character not allowed in a domain name";
			return -EINVAL;
		}
		if (n == DOMAINS_LABEL_MAX) {
			*why = "label over 63 bytes";
			return -EINVAL;
		}
		cps[n++] = c;
	}
	char buf[DOMAINS_LABEL_MAX + 1];
	int r = domains_punycode(cps, n, buf, sizeof(buf) - 4);
	if (r < 0) {
		*why = "label over 63 bytes";
		return -EINVAL;
	}
	if (*o + 4 + (size_t)r > DOMAINS_NAME_MAX) {
		*why = "name over 253 bytes";
		return -EINVAL;
	}
	memcpy(out + *o, "xn--", 4);
	memcpy(out + *o + 4, buf, (size_t)r);
	*o += 4 + (size_t)r;
	return 0;
}

int domains_normalize(const char *in, size_t len, char *out, size_t *outlen, const char **why)
{
	const uint8_t *s = (const uint8_t *)in;
	const char *dummy;
	if (!why)
		why = &dummy;
	if (len > DOMAINS_INPUT_MAX) {
		*why = "name over 253 bytes";
		return -EINVAL;
	}
	if (memchr(in, '/', len)) {
		*why = "a URL or path, not a domain name (write the name only, like example.com)";
		return -EINVAL;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0) {
		*why = "empty name";
		return -EINVAL;
	}
	size_t o = 0, start = 0;
	size_t top = 0; /* where the last label starts in out */
	while (start <= len) {
		size_t end = start;
		bool ascii = true;
		while (end < len && s[end] != '.') {
			if (s[end] >= 0x80)
				ascii = false;
			end++;
		}
		if (end == start) {
			*why = "empty label (two dots in a row, or a leading dot)";
			return -EINVAL;
		}
		if (o > 0)
			out[o++] = '.';
		top = o;
		if (ascii) {
			if (end - start > DOMAINS_LABEL_MAX) {
				*why = "label over 63 bytes";
				return -EINVAL;
			}
			if (o + (end - start) > DOMAINS_NAME_MAX) {
				*why = "name over 253 bytes";
				return -EINVAL;
			}
			for (size_t i = start; i < end; i++) {
				uint8_t c = lower(s[i]);
				if (!ascii_ok(c)) {
					*why = c == '*'
					           ? "wildcard not supported here (subdomains are "
					             "always included)"
					       : c < 0x20 || c == 0x7f
					           ? "control character in name"
					           : "character not allowed in a domain name";
					return -EINVAL;
				}
				out[o++] = (char)c;
			}
		} else if (idn_label(s + start, end - start, out, &o, why) < 0) {
			return -EINVAL;
		}
		start = end + 1;
	}
	bool numeric = true;
	for (size_t i = top; i < o; i++)
		if (!(out[i] >= '0' && out[i] <= '9'))
			numeric = false;
	if (numeric) {
		*why = "numeric top-level label (an address, not a name)";
		return -EINVAL;
	}
	out[o] = '\0';
	*outlen = o;
	return 0;
}
