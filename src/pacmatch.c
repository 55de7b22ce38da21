#include <stddef.h>
#include <string.h>

#include "pacmatch.h"

/*
 * The bytes of the character at s[0]: Duktape's strings are UTF-8 (with
 * its extended forms up to 7 bytes), and RegExp's "." takes one code
 * point; a stray byte counts as one.
 */
static size_t
char_len(const unsigned char *s, size_t len)
{
	size_t n, i;

	if (s[0] < 0xc0)
		n = 1;
	else if (s[0] < 0xe0)
		n = 2;
	else if (s[0] < 0xf0)
		n = 3;
	else if (s[0] < 0xf8)
		n = 4;
	else if (s[0] < 0xfc)
		n = 5;
	else if (s[0] < 0xfe)
		n = 6;
	else
		n = 7;
	for (i = 1; i < n; i++)
		if (i >= len || (s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* The length of the line terminator at s[0] (ECMA-262 §11.3: LF, CR,
 * U+2028, U+2029), or 0: "." does not match one. */
static size_t
lt_len(const unsigned char *s, size_t len)
{
	if (s[0] == '\n' || s[0] == '\r')
		return 1;
	if (len >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] == 0xa8 || s[2] == 0xa9))
		return 3;
	return 0;
}

/* The bytes before the first line terminator. */
static size_t
line_len(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lt_len(s + i, len - i) > 0)
			break;
	return i;
}

/*
 * One line against one line of the pattern, neither holding a line
 * terminator: the classic glob match that, on a mismatch, lets the last
 * "*" take one more character and tries again.  The last "*" is enough
 * to backtrack to, because it can take anything an earlier one could;
 * Characters, not bytes, are compared, as RegExp compares code points.
 * O(len * plen) at worst, where a backtracking RegExp can be exponential.
 */
static int
glob_line(const unsigned char *s, size_t len, const unsigned char *p,
    size_t plen)
{
	size_t si = 0, pi = 0, star = 0, mark = 0, n;
	int starred = 0;

	while (si < len) {
		if (pi < plen && p[pi] == '*') {
			starred = 1;
			star = ++pi;
			mark = si;
		} else if (pi < plen && p[pi] == '?') {
			si += char_len(s + si, len - si);
			pi++;
		} else if (pi < plen &&
		    (n = char_len(p + pi, plen - pi)) ==
		    char_len(s + si, len - si) && memcmp(p + pi, s + si, n) == 0) {
			si += n;
			pi += n;
		} else if (starred) {
			mark += char_len(s + mark, len - mark);
			si = mark;
			pi = star;
		} else
			return 0;
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

/*
 * Neither "*" nor "?" takes a line terminator, so the n-th terminator of
 * s can only be the n-th (literal) one of the pattern: line by line.
 */
int
pac_shexp_match(const char *str, size_t slen, const char *pat, size_t plen)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *p = (const unsigned char *)pat;
	size_t sl, pl, st, pt;

	for (;;) {
		sl = line_len(s, slen);
		pl = line_len(p, plen);
		if (!glob_line(s, sl, p, pl))
			return 0;
		if (sl == slen || pl == plen)
			return sl == slen && pl == plen;
		st = lt_len(s + sl, slen - sl);
		pt = lt_len(p + pl, plen - pl);
		if (st != pt || memcmp(s + sl, p + pl, st) != 0)
			return 0;
		s += sl + st;
		slen -= sl + st;
		p += pl + pt;
		plen -= pl + pt;
	}
}
