/*
 * Target parsing: HOST PORT and HOST:PORT, host characters and lengths,
 * IPv6 literals, strict ports (HOSTILE-INPUTS rows 46-51), and the
 * authority written into the CONNECT line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"
#include "tap.h"
#include "util.h"

static const char *
rcname(enum target_rc rc)
{
	static const char *const names[] = { "TARGET_OK", "TARGET_EMPTY_HOST",
	    "TARGET_BAD_HOST", "TARGET_NON_ASCII", "TARGET_HOST_TOO_LONG",
	    "TARGET_LABEL_TOO_LONG", "TARGET_BAD_IPV6", "TARGET_ZONE_ID",
	    "TARGET_NO_PORT", "TARGET_BAD_PORT" };

	if ((size_t)rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	return "(unknown)";
}

static const char *
esc(const char *s)
{
	static char out[4][160];
	static int i;

	i = (i + 1) % 4;
	escape_text(out[i], sizeof(out[i]), s, strlen(s));
	return out[i];
}

struct tcase {
	const char	*host;
	const char	*port;		/* NULL: one-argument form */
	enum target_rc	 rc;
	const char	*authority;	/* on TARGET_OK */
	int		 ipv6;
};

static const struct tcase cases[] = {
	/* Accepted forms. */
	{ "example.com", "22", TARGET_OK, "example.com:22", 0 },
	{ "example.com:22", NULL, TARGET_OK, "example.com:22", 0 },
	{ "Db-1.Internal_Zone.example", "5432", TARGET_OK,
	    "Db-1.Internal_Zone.example:5432", 0 },
	{ "localhost", "1", TARGET_OK, "localhost:1", 0 },
	{ "localhost:65535", NULL, TARGET_OK, "localhost:65535", 0 },
	{ "example.com.", "22", TARGET_OK, "example.com.:22", 0 },
	{ "192.0.2.7", "443", TARGET_OK, "192.0.2.7:443", 0 },
	{ "192.0.2.7:443", NULL, TARGET_OK, "192.0.2.7:443", 0 },
	{ "xn--bcher-kva.example", "22", TARGET_OK,
	    "xn--bcher-kva.example:22", 0 },

	/* Row 47: strict decimal 1-65535, in both forms. */
	{ "example.com", "0", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "65536", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "-1", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "+22", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "22abc", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", " 22", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "22 ", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "0x16", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "99999999999999999999", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "4294967318", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "ssh", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com", "2\n2", TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:0", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:65536", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:-1", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:+22", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:22abc", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com: 22", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:0x16", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "example.com:99999999999999999999", NULL, TARGET_BAD_PORT, NULL, 0 },

	/* Row 46: characters a host name cannot hold. */
	{ "exa mple.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "example.com ", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "exa\tmple.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "exa\rmple.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "exa\nmple.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "example.com\r\nX-Evil", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "example.com/path", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "user@example.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "exa%2emple.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "example.com?x", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "example.com#x", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "exa mple.com:22", NULL, TARGET_BAD_HOST, NULL, 0 },
	{ "user@example.com:22", NULL, TARGET_BAD_HOST, NULL, 0 },
	{ "a/b:22", NULL, TARGET_BAD_HOST, NULL, 0 },
	{ "h%eth0:22", NULL, TARGET_BAD_HOST, NULL, 0 },
	{ "a..b", "22", TARGET_BAD_HOST, NULL, 0 },
	{ ".example.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ ".", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "example.com..", "22", TARGET_BAD_HOST, NULL, 0 },
	/* No label starts with '-' (RFC 1123 2.1): it could pass for an
	 * option further down the line. */
	{ "-oProxyCommand=sh", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "-example.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "www.-example.com", "22", TARGET_BAD_HOST, NULL, 0 },
	{ "-h:22", NULL, TARGET_BAD_HOST, NULL, 0 },
	{ "a-b.c--d.example", "22", TARGET_OK, "a-b.c--d.example:22", 0 },

	/* Row 48: IPv6 literals. */
	{ "2001:db8::1", "22", TARGET_OK, "[2001:db8::1]:22", 1 },
	{ "[2001:db8::1]", "22", TARGET_OK, "[2001:db8::1]:22", 1 },
	{ "[2001:db8::1]:22", NULL, TARGET_OK, "[2001:db8::1]:22", 1 },
	{ "::1", "8080", TARGET_OK, "[::1]:8080", 1 },
	{ "[::ffff:192.0.2.1]:443", NULL, TARGET_OK, "[::ffff:192.0.2.1]:443",
	    1 },
	{ "[::1", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "::1]", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "[[::1]]", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "[]", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "[", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "2001:db8::g", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "2001:db8:::1", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "[192.0.2.1]", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "[example.com]", "22", TARGET_BAD_IPV6, NULL, 0 },
	{ "fe80::1%eth0", "22", TARGET_ZONE_ID, NULL, 0 },
	{ "[fe80::1%eth0]", "22", TARGET_ZONE_ID, NULL, 0 },
	{ "[fe80::1%25eth0]:22", NULL, TARGET_ZONE_ID, NULL, 0 },
	{ "[::1", NULL, TARGET_BAD_IPV6, NULL, 0 },
	{ "[::1]", NULL, TARGET_NO_PORT, NULL, 0 },
	{ "[::1]22", NULL, TARGET_BAD_IPV6, NULL, 0 },
	{ "[::1]:", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "[::1]:0", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "[2001:db8::1]:65536", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "[[::1]]:22", NULL, TARGET_BAD_IPV6, NULL, 0 },
	{ "[]:22", NULL, TARGET_BAD_IPV6, NULL, 0 },
	/* A bare IPv6 literal in the one-argument form is ambiguous. */
	{ "::1:22", NULL, TARGET_BAD_IPV6, NULL, 0 },
	{ "2001:db8::1:22", NULL, TARGET_BAD_IPV6, NULL, 0 },

	/* Row 50: empty host, missing port. */
	{ "", "22", TARGET_EMPTY_HOST, NULL, 0 },
	{ ":22", NULL, TARGET_EMPTY_HOST, NULL, 0 },
	{ "example.com", NULL, TARGET_NO_PORT, NULL, 0 },
	{ "example.com:", NULL, TARGET_BAD_PORT, NULL, 0 },
	{ "", NULL, TARGET_NO_PORT, NULL, 0 },

	/* Row 51: non-ASCII names are refused, not sent raw. */
	{ "b\xc3\xbc" "cher.example", "22", TARGET_NON_ASCII, NULL, 0 },
	{ "b\xc3\xbc" "cher.example:22", NULL, TARGET_NON_ASCII, NULL, 0 },
	{ "\xff", "22", TARGET_NON_ASCII, NULL, 0 },
};

static void
check(const char *host, const char *port, enum target_rc want,
    const char *authority, int ipv6, const char *label)
{
	struct target t;
	enum target_rc rc;
	char buf[AUTHORITY_MAX];

	memset(&t, 0x55, sizeof(t));
	rc = target_parse(host, port, &t);
	if (!ok(rc == want, "%s -> %s", label, rcname(want))) {
		printf("#   got %s\n", rcname(rc));
		return;
	}
	if (rc != TARGET_OK)
		return;
	if (target_authority(&t, buf, sizeof(buf)) == -1)
		buf[0] = '\0';
	is_str(buf, authority, "%s: authority", label);
	is_int(t.ipv6, ipv6, "%s: ipv6 flag", label);
}

static void
test_table(void)
{
	char label[200];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].port != NULL)
			snprintf(label, sizeof(label), "\"%s\" \"%s\"",
			    esc(cases[i].host), esc(cases[i].port));
		else
			snprintf(label, sizeof(label), "\"%s\"",
			    esc(cases[i].host));
		check(cases[i].host, cases[i].port, cases[i].rc,
		    cases[i].authority, cases[i].ipv6, label);
	}
}

/* The fields themselves, not only the authority. */
static void
test_fields(void)
{
	struct target t;

	ok(target_parse("[2001:db8::1]:22", NULL, &t) == TARGET_OK &&
	    strcmp(t.host, "2001:db8::1") == 0 && t.port == 22 && t.ipv6 == 1,
	    "[2001:db8::1]:22: host without brackets, port 22, ipv6");
	ok(target_parse("example.com", "65535", &t) == TARGET_OK &&
	    strcmp(t.host, "example.com") == 0 && t.port == 65535 &&
	    t.ipv6 == 0, "example.com 65535: host, port, not ipv6");
	/* A struct reused after an IPv6 target does not stay IPv6. */
	ok(target_parse("::1", "1", &t) == TARGET_OK && t.ipv6 == 1 &&
	    target_parse("h", "1", &t) == TARGET_OK && t.ipv6 == 0,
	    "ipv6 flag reset when the struct is reused");
	/* target_parse_host with an explicit length: NUL inside. */
	/* Whatever the error, a header injection is refused. */
	ok(target_parse("example.com\r\nX-Evil: 1", "22", &t) != TARGET_OK,
	    "CRLF and a colon in the host: refused");
	ok(target_parse("example.com\r\nX-Evil: 1:22", NULL, &t) != TARGET_OK,
	    "CRLF and a colon in HOST:PORT: refused");
	is_int(target_parse_host("a\0b", 3, &t), TARGET_BAD_HOST,
	    "host with an embedded NUL (explicit length)");
	is_int(target_parse_host("ab\0", 3, &t), TARGET_BAD_HOST,
	    "host with a trailing NUL (explicit length)");
	is_int(target_parse_host("example.com:22", 11, &t), TARGET_OK,
	    "target_parse_host honours its length");
	is_str(t.host, "example.com", "target_parse_host copies len bytes");
	is_int(target_parse_host("[::1]", 5, &t), TARGET_OK,
	    "target_parse_host takes a bracketed IPv6 literal");
	is_str(t.host, "::1", "... and stores it without brackets");
}

/* Row 49: names up to the DNS limit, labels up to 63. */
static char *
name_of(size_t len, size_t label, int trailing_dot)
{
	char *s = malloc(len + 1);
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		if (run == label && i + 1 < len) {
			s[i] = '.';
			run = 0;
		} else {
			s[i] = (char)('a' + i % 26);
			run++;
		}
	}
	if (trailing_dot)
		s[len - 1] = '.';
	s[len] = '\0';
	return s;
}

static void
test_lengths(void)
{
	static const struct {
		size_t		 len;
		size_t		 label;
		int		 dot;
		enum target_rc	 rc;
		const char	*what;
	} t[] = {
		{ 253, 63, 0, TARGET_OK, "253-char name" },
		{ 254, 63, 1, TARGET_OK,
		    "254-char name ending in the root dot" },
		{ 254, 50, 0, TARGET_HOST_TOO_LONG, "254-char name" },
		{ 255, 50, 0, TARGET_HOST_TOO_LONG, "255-char name" },
		{ 255, 50, 1, TARGET_HOST_TOO_LONG,
		    "255-char name ending in a dot" },
		{ 256, 50, 0, TARGET_HOST_TOO_LONG, "256-char name" },
		{ 10000, 50, 0, TARGET_HOST_TOO_LONG, "10000-char name" },
		{ 63, 63, 0, TARGET_OK, "one 63-char label" },
		{ 64, 64, 0, TARGET_LABEL_TOO_LONG, "one 64-char label" },
		{ 140, 70, 0, TARGET_LABEL_TOO_LONG, "a 70-char label inside" },
		{ 10000, 10000, 0, TARGET_LABEL_TOO_LONG,
		    "one 10000-char label" },
	};
	struct target tg;
	char buf[AUTHORITY_MAX], *s, *hp;
	size_t i;
	enum target_rc rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = name_of(t[i].len, t[i].label, t[i].dot);
		rc = target_parse(s, "22", &tg);
		if (!ok(rc == t[i].rc, "%s -> %s", t[i].what, rcname(t[i].rc)))
			printf("#   got %s\n", rcname(rc));
		if (rc == TARGET_OK && t[i].rc == TARGET_OK) {
			ok(strcmp(tg.host, s) == 0 &&
			    target_authority(&tg, buf, sizeof(buf)) == 0 &&
			    strncmp(buf, s, t[i].len) == 0 &&
			    strcmp(buf + t[i].len, ":22") == 0,
			    "%s: sent whole, not truncated", t[i].what);
		}
		/* The one-argument form agrees. */
		hp = malloc(t[i].len + 8);
		snprintf(hp, t[i].len + 8, "%s:22", s);
		is_int(target_parse(hp, NULL, &tg), t[i].rc,
		    "%s as HOST:PORT -> %s", t[i].what, rcname(t[i].rc));
		free(hp);
		free(s);
	}
}

static void
test_authority(void)
{
	struct target t;
	char buf[AUTHORITY_MAX];

	target_parse("example.com", "22", &t);
	is_int(target_authority(&t, buf, sizeof("example.com:22")), 0,
	    "authority: exactly fits");
	is_str(buf, "example.com:22", "authority: exactly fits, content");
	is_int(target_authority(&t, buf, sizeof("example.com:22") - 1), -1,
	    "authority: one byte short -> -1");
	target_parse("2001:db8::1", "22", &t);
	is_int(target_authority(&t, buf, sizeof("[2001:db8::1]:22")), 0,
	    "authority: IPv6 exactly fits");
	is_str(buf, "[2001:db8::1]:22", "authority: IPv6 in brackets");
	is_int(target_authority(&t, buf, 4), -1,
	    "authority: IPv6 into 4 bytes -> -1");
	/* The largest target fits AUTHORITY_MAX. */
	{
		char *s = name_of(254, 63, 1);

		ok(target_parse(s, "65535", &t) == TARGET_OK &&
		    target_authority(&t, buf, sizeof(buf)) == 0,
		    "authority: the longest name with port 65535 fits "
		    "AUTHORITY_MAX");
		free(s);
	}
}

static void
test_strerror(void)
{
	int rc, r2, good = 1;

	for (rc = TARGET_EMPTY_HOST; rc <= TARGET_BAD_PORT; rc++) {
		if (strcmp(target_strerror(rc), "unknown error") == 0)
			good = 0;
		for (r2 = TARGET_EMPTY_HOST; r2 < rc; r2++)
			if (strcmp(target_strerror(rc),
			    target_strerror(r2)) == 0)
				good = 0;
	}
	ok(good, "target_strerror: a distinct message per error");
}

int
main(void)
{
	test_table();
	test_fields();
	test_lengths();
	test_authority();
	test_strerror();
	return done_testing();
}
