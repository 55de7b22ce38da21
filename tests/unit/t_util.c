/*
 * Number parsing with its range in the call, the escaping of untrusted
 * text for messages, and the byte checks used before anything reaches the
 * wire.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static const char *
show(const char *s)
{
	static char out[4][80];
	static int i;

	if (s == NULL)
		return "(null)";
	i = (i + 1) % 4;
	escape_text(out[i], sizeof(out[i]), s, strlen(s));
	return out[i];
}

static void
test_parse_uint(void)
{
	static const struct {
		const char	*s;
		unsigned long	 min, max;
		int		 rc;
		unsigned long	 v;
	} t[] = {
		{ "1", 1, 65535, 0, 1 },
		{ "22", 1, 65535, 0, 22 },
		{ "65535", 1, 65535, 0, 65535 },
		{ "0", 0, 10, 0, 0 },
		{ "0", 1, 65535, -1, 0 },
		{ "65536", 1, 65535, -1, 0 },
		{ "65540", 1, 65535, -1, 0 },
		{ "70000", 1, 65535, -1, 0 },
		{ "", 1, 65535, -1, 0 },
		{ "-1", 0, 65535, -1, 0 },
		{ "+1", 0, 65535, -1, 0 },
		{ " 1", 0, 65535, -1, 0 },
		{ "1 ", 0, 65535, -1, 0 },
		{ "1\n", 0, 65535, -1, 0 },
		{ "0x10", 0, 65535, -1, 0 },
		{ "1e3", 0, 65535, -1, 0 },
		{ "1.0", 0, 65535, -1, 0 },
		{ "2:", 0, 65535, -1, 0 },
		{ "/1", 0, 65535, -1, 0 },
		{ "99999999999999999999", 1, 65535, -1, 0 },
		{ "18446744073709551615", 0, ULONG_MAX, 0, ULONG_MAX },
		{ "18446744073709551616", 0, ULONG_MAX, -1, 0 },
		{ "99999999999999999999", 0, ULONG_MAX, -1, 0 },
		{ "128", 0, 128, 0, 128 },
		{ "129", 0, 128, -1, 0 },
		{ "32", 0, 32, 0, 32 },
		{ "33", 0, 32, -1, 0 },
		{ "5", 1, 5, 0, 5 },
		/* A maximum below 9: a digit larger than it must not pass. */
		{ "6", 1, 5, -1, 0 },
		{ "9", 1, 5, -1, 0 },
		{ "19", 0, 5, -1, 0 },
		{ "3", 0, 0, -1, 0 },
	};
	unsigned long v;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 12345;
		rc = parse_uint(t[i].s, t[i].min, t[i].max, &v);
		if (t[i].rc == 0)
			ok(rc == 0 && v == t[i].v,
			    "parse_uint(\"%s\", %lu, %lu) = %lu",
			    show(t[i].s), t[i].min, t[i].max, t[i].v);
		else if (!ok(rc == -1, "parse_uint(\"%s\", %lu, %lu) fails",
		    show(t[i].s), t[i].min, t[i].max))
			printf("#   got %d, value %lu\n", rc, v);
	}
	is_int(parse_uint(NULL, 0, 10, &v), -1, "parse_uint(NULL) fails");
}

static void
test_parse_seconds(void)
{
	static const struct {
		const char	*s;
		int64_t		 max;
		int		 rc;
		int64_t		 ms;
	} t[] = {
		{ "2.5", 86400000, 0, 2500 },
		{ "2", 86400000, 0, 2000 },
		{ "30", 86400000, 0, 30000 },
		{ ".5", 86400000, 0, 500 },
		{ "0.25", 86400000, 0, 250 },
		{ "0.001", 86400000, 0, 1 },
		{ "1.2345", 86400000, 0, 1234 },
		{ "007", 86400000, 0, 7000 },
		{ "86400", 86400000, 0, 86400000 },
		{ "0", 86400000, -1, 0 },
		{ "0.0", 86400000, -1, 0 },
		{ "0.0004", 86400000, -1, 0 },
		{ "1.", 86400000, -1, 0 },
		{ ".", 86400000, -1, 0 },
		{ "", 86400000, -1, 0 },
		{ "-1", 86400000, -1, 0 },
		{ "+1", 86400000, -1, 0 },
		{ " 1", 86400000, -1, 0 },
		{ "1 ", 86400000, -1, 0 },
		{ "1s", 86400000, -1, 0 },
		{ "1e3", 86400000, -1, 0 },
		{ "0x10", 86400000, -1, 0 },
		{ "1..5", 86400000, -1, 0 },
		{ "1.5.", 86400000, -1, 0 },
		{ "1,5", 86400000, -1, 0 },
		{ "1:", 86400000, -1, 0 },
		{ "1.5:", 86400000, -1, 0 },
		{ "86401", 86400000, -1, 0 },
		{ "86400.001", 86400000, -1, 0 },
		{ "99999999999999999999", 86400000, -1, 0 },
		{ "99999999999999999999.5", 86400000, -1, 0 },
		{ "2.5", 2000, -1, 0 },
		{ "2", 2000, 0, 2000 },
	};
	int64_t ms;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ms = -7;
		rc = parse_seconds(t[i].s, t[i].max, &ms);
		if (t[i].rc == 0) {
			if (!ok(rc == 0 && ms == t[i].ms,
			    "parse_seconds(\"%s\") = %lld ms", show(t[i].s),
			    (long long)t[i].ms))
				printf("#   got %d, %lld\n", rc, (long long)ms);
		} else if (!ok(rc == -1,
		    "parse_seconds(\"%s\", max %lld) fails", show(t[i].s),
		    (long long)t[i].max))
			printf("#   got %d, %lld\n", rc, (long long)ms);
	}
	is_int(parse_seconds(NULL, 1000, &ms), -1, "parse_seconds(NULL) fails");
}

/* escape_text into a buffer guarded on both sides by canaries. */
static int
escape_into(char *out, size_t dstlen, const void *src, size_t len)
{
	char guard[64];
	size_t i;

	memset(guard, '#', sizeof(guard));
	escape_text(guard + 8, dstlen, src, len);
	for (i = 0; i < 8; i++)
		if (guard[i] != '#')
			return 0;
	for (i = 8 + dstlen; i < sizeof(guard); i++)
		if (guard[i] != '#')
			return 0;
	if (dstlen == 0)
		return 1;
	if (memchr(guard + 8, '\0', dstlen) == NULL)
		return 0;
	memcpy(out, guard + 8, strlen(guard + 8) + 1);
	return 1;
}

static void
test_escape(void)
{
	static const struct {
		const char	*src;
		size_t		 len;
		const char	*want;
	} t[] = {
		{ "abc", 3, "abc" },
		{ "", 0, "" },
		{ "\r\n\t\\", 4, "\\r\\n\\t\\\\" },
		{ "a\0b", 3, "a\\x00b" },
		{ "\x01\x1b[31m\x7f", 7, "\\x01\\x1b[31m\\x7f" },
		{ "\x80\xff\xc3\xa9", 4, "\\x80\\xff\\xc3\\xa9" },
		{ "%s%n", 4, "%s%n" },
		{ "abc", 2, "ab" },
		{ " ~", 2, " ~" },
		{ "\x1f", 1, "\\x1f" },
	};
	char out[64];
	size_t i, d;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out[0] = '\0';
		if (!ok(escape_into(out, 40, t[i].src, t[i].len) &&
		    strcmp(out, t[i].want) == 0, "escape_text: \"%s\"",
		    t[i].want))
			printf("#   got \"%s\"\n", show(out));
	}

	/* dstlen 0: nothing written at all. */
	ok(escape_into(out, 0, "abc", 3),
	    "escape_text: dstlen 0 writes nothing");

	/* Too long for dstlen 1..8: the longest prefix of whole escapes
	 * that leaves room for "..." and the NUL. */
	{
		static const char *const want[] = { "", "", "", "...", "a...",
		    "ab...", "abc...", "abcd..." };

		for (d = 1; d <= 8; d++) {
			out[0] = 'X';
			if (d < 4) {
				/* No room for "...": any prefix, terminated. */
				ok(escape_into(out, d, "abcdefghij", 10) &&
				    strlen(out) < d &&
				    strncmp(out, "abcdefghij",
				    strlen(out)) == 0,
				    "escape_text: dstlen %zu, long text: "
				    "NUL-terminated prefix", d);
				continue;
			}
			if (!ok(escape_into(out, d, "abcdefghij", 10) &&
			    strcmp(out, want[d - 1]) == 0,
			    "escape_text: dstlen %zu, long text -> \"%s\"", d,
			    want[d - 1]))
				printf("#   got \"%s\"\n", show(out));
		}
	}

	/* An escape is never cut in half before the "...". */
	ok(escape_into(out, 8, "\x01\x02\x03", 3) &&
	    strcmp(out, "\\x01...") == 0,
	    "escape_text: dstlen 8, three control bytes -> \"\\x01...\"");
	ok(escape_into(out, 7, "\x01\x02\x03", 3) && strcmp(out, "...") == 0,
	    "escape_text: dstlen 7, three control bytes -> \"...\"");
	ok(escape_into(out, 6, "a\r\n", 3) && strcmp(out, "a\\r\\n") == 0,
	    "escape_text: dstlen 6, a CR LF fits exactly");
	ok(escape_into(out, 5, "a\r\n", 3) && strcmp(out, "a...") == 0,
	    "escape_text: dstlen 5, a CR LF -> \"a...\"");

	/*
	 * Text that fits is copied whole: "..." is only for text that does
	 * not fit (util.h).  For dstlen 1..8, dstlen - 1 bytes fit exactly.
	 */
	{
		const char *src = "abcdefg";
		size_t bad = 0;

		for (d = 1; d <= 8; d++) {
			out[0] = 'X';
			if (!escape_into(out, d, src, d - 1) ||
			    strlen(out) != d - 1 ||
			    strncmp(out, src, d - 1) != 0) {
				if (bad++ == 0)
					printf("# dstlen %zu, \"%.*s\" -> "
					    "\"%s\"\n", d, (int)(d - 1), src,
					    show(out));
			}
		}
		ok(bad == 0, "escape_text: dstlen 1..8, dstlen - 1 bytes that "
		    "fit are copied whole (%zu of 8 differ)", bad);
	}
	ok(escape_into(out, 5, "\t\n", 2) && strcmp(out, "\\t\\n") == 0,
	    "escape_text: dstlen 5, two escapes that fit exactly");
}

static void
test_bytes(void)
{
	is_int(has_crlfnul("abc", 3), 0, "has_crlfnul: clean");
	is_int(has_crlfnul("a\rb", 3), 1, "has_crlfnul: CR");
	is_int(has_crlfnul("a\nb", 3), 1, "has_crlfnul: LF");
	is_int(has_crlfnul("a\0b", 3), 1, "has_crlfnul: NUL");
	is_int(has_crlfnul("abc\r", 3), 0,
	    "has_crlfnul: looks at len bytes only");
	is_int(has_crlfnul("", 0), 0, "has_crlfnul: empty");
	is_int(has_crlfnul("a\tb\x7f", 4), 0, "has_crlfnul: tab and DEL are "
	    "not its business");

	is_int(strcasecmp_ascii("Proxy-Authenticate", "proxy-authenticate"), 0,
	    "strcasecmp_ascii: equal but for case");
	ok(strcasecmp_ascii("a", "b") < 0 && strcasecmp_ascii("b", "A") > 0,
	    "strcasecmp_ascii: order");
	ok(strcasecmp_ascii("abc", "ab") > 0 &&
	    strcasecmp_ascii("ab", "abc") < 0,
	    "strcasecmp_ascii: a prefix sorts first");
	ok(strcasecmp_ascii("\xc4", "\xe4") != 0,
	    "strcasecmp_ascii: no folding beyond ASCII");
	ok(strcasecmp_ascii("[", "{") != 0 && strcasecmp_ascii("@", "`") != 0,
	    "strcasecmp_ascii: only letters fold");
	is_int(strncasecmp_ascii("Content-Length", "content-lengthX", 14), 0,
	    "strncasecmp_ascii: stops at n");
	ok(strncasecmp_ascii("close", "closed", 6) != 0,
	    "strncasecmp_ascii: a shorter string differs");
}

static void
test_tokens(void)
{
	int last;

	ok(is_tchar('a') && is_tchar('Z') && is_tchar('7') && is_tchar('!') &&
	    is_tchar('~') && is_tchar('-'), "is_tchar: letters, digits, "
	    "RFC 9110 punctuation");
	ok(!is_tchar(' ') && !is_tchar('\t') && !is_tchar(':') &&
	    !is_tchar('"') && !is_tchar(',') && !is_tchar('\0') &&
	    !is_tchar(0x80), "is_tchar: no space, separator, NUL or 8-bit");

	ok(list_has_token("close", 5, "close", NULL), "list_has_token: alone");
	ok(list_has_token(" Keep-Alive , close", 19, "close", NULL) &&
	    list_has_token(" Keep-Alive , close", 19, "keep-alive", NULL),
	    "list_has_token: OWS and case ignored");
	ok(!list_has_token("closed, xclose", 14, "close", NULL),
	    "list_has_token: whole elements only");
	ok(list_has_token("auth-int,auth", 13, "auth", NULL) &&
	    !list_has_token("auth-int", 8, "auth", NULL),
	    "list_has_token: auth and auth-int are two tokens");
	ok(list_has_token("gzip;q=1, chunked ;x", 20, "chunked", NULL),
	    "list_has_token: parameters after ';' are cut off");
	ok(!list_has_token("chunked", 6, "chunked", NULL),
	    "list_has_token: looks at len bytes only");
	ok(!list_has_token("", 0, "close", NULL) &&
	    !list_has_token(",,, ,", 5, "close", NULL),
	    "list_has_token: empty lists and elements");
	list_has_token("chunked, gzip", 13, "chunked", &last);
	is_int(last, 0, "list_has_token: chunked not last");
	list_has_token("gzip, chunked, ", 15, "chunked", &last);
	is_int(last, 1, "list_has_token: chunked last, an empty element after");
}

static void
test_show(void)
{
	char big[SHOW_MAX * 2], out[SHOW_BUF], want[SHOW_BUF];

	is_str(show_text(out, sizeof(out), "a\r\nb", 4), "a\\r\\nb",
	    "show_text: escaped");
	memset(big, 'x', sizeof(big));
	memset(want, 'x', SHOW_MAX);
	memcpy(want + SHOW_MAX, "...", 4);
	is_str(show_text(out, sizeof(out), big, sizeof(big)), want,
	    "show_text: SHOW_MAX bytes and \"...\"");
	want[SHOW_MAX] = '\0';
	is_str(show_text(out, sizeof(out), big, SHOW_MAX), want,
	    "show_text: exactly SHOW_MAX bytes, no \"...\"");
	memset(big, 0x1b, sizeof(big));
	show_text(out, sizeof(out), big, sizeof(big));
	is_int(strlen(out), SHOW_MAX * 4 + 3,
	    "show_text: SHOW_BUF holds SHOW_MAX escaped bytes and \"...\"");
}

static void
test_secrets(void)
{
	char *s = dup_bytes("pass\0word", 9), *n = NULL;

	ok(s != NULL && memcmp(s, "pass\0word", 10) == 0,
	    "dup_bytes: n bytes and a NUL");
	free_secret(&s);
	ok(s == NULL, "free_secret: the pointer is cleared");
	free_secret(&n);
	ok(n == NULL, "free_secret: NULL is no string");
}

static void
test_now(void)
{
	int64_t a = now_ms(), b = now_ms();

	ok(a > 0 && b >= a, "now_ms: positive and monotonic");
}

int
main(void)
{
	test_parse_uint();
	test_parse_seconds();
	test_escape();
	test_bytes();
	test_tokens();
	test_show();
	test_secrets();
	test_now();
	return done_testing();
}
