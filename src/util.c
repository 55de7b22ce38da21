#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "util.h"

int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if ((unsigned long)(*p - '0') > max ||
		    v > (max - (unsigned long)(*p - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

int
parse_seconds(const char *s, int64_t max_ms, int64_t *ms)
{
	int64_t whole = 0, frac = 0, scale = 100;
	const char *p = s;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > max_ms / 1000)
			return -1;
	}
	if (p == s && *p != '.')
		return -1;
	if (*p == '.') {
		p++;
		if (*p == '\0')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (*p != '\0')
		return -1;
	whole = whole * 1000 + frac;
	if (whole < 1 || whole > max_ms)
		return -1;
	*ms = whole;
	return 0;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
escape_text(char *dst, size_t dstlen, const void *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = src;
	size_t i, o = 0, n, keep = 0;
	char tmp[5];

	if (dstlen == 0)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		n = 0;
		if (c == '\r' || c == '\n' || c == '\t' || c == '\\') {
			tmp[n++] = '\\';
			tmp[n++] = c == '\r' ? 'r' : c == '\n' ? 'n' :
			    c == '\t' ? 't' : (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			tmp[n++] = '\\';
			tmp[n++] = 'x';
			tmp[n++] = hex[c >> 4];
			tmp[n++] = hex[c & 15];
		} else
			tmp[n++] = (char)c;
		if (o + n + 1 > dstlen) {
			/* Cut at the last place that leaves room for "...". */
			if (dstlen >= 4) {
				memcpy(dst + keep, "...", 3);
				o = keep + 3;
			}
			break;
		}
		memcpy(dst + o, tmp, n);
		o += n;
		if (o + 4 <= dstlen)
			keep = o;
	}
	dst[o] = '\0';
}

const char *
show_text(char *dst, size_t dstlen, const void *src, size_t len)
{
	size_t n = len > SHOW_MAX ? SHOW_MAX : len, o;

	escape_text(dst, dstlen, src, n);
	o = strlen(dst);
	if (n < len && o + 4 <= dstlen)
		memcpy(dst + o, "...", 4);
	return dst;
}

void
wipe(void *p, size_t n)
{
	/* Unlike memset, never removed as a dead store. */
	compat_wipe(p, n);
}

char *
dup_bytes(const char *s, size_t n)
{
	char *d;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

void
free_secret(char **s)
{
	if (*s == NULL)
		return;
	wipe(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
has_crlfnul(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

int
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
ows(int c)
{
	return c == ' ' || c == '\t';
}

int
list_has_token(const char *v, size_t len, const char *tok, int *last)
{
	size_t i = 0, s, e, tl = strlen(tok);
	int found = 0;

	while (i < len) {
		while (i < len && (ows(v[i]) || v[i] == ','))
			i++;
		s = i;
		while (i < len && v[i] != ',' && v[i] != ';')
			i++;
		e = i;
		while (e > s && ows(v[e - 1]))
			e--;
		while (i < len && v[i] != ',')
			i++;
		if (e == s)
			continue;
		found = e - s == tl && strncasecmp_ascii(v + s, tok, tl) == 0;
		if (found && last == NULL)
			return 1;
	}
	if (last != NULL)
		*last = found;
	return found;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int
strncasecmp_ascii(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int d = lower((unsigned char)a[i]) - lower((unsigned char)b[i]);

		if (d != 0 || a[i] == '\0')
			return d;
	}
	return 0;
}

int
strcasecmp_ascii(const char *a, const char *b)
{
	return strncasecmp_ascii(a, b, SIZE_MAX);
}
