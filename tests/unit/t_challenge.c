#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "challenge.h"
#include "tap.h"

/*
 * Each case is one or more Proxy-Authenticate field values and the list
 * of challenges they must give, written as
 *   Scheme[name=value;...]  Scheme{token68}  Scheme!error
 * joined by " | ".
 */

static const char *
errname(enum challenge_err e)
{
	switch (e) {
	case CH_OK:
		return "ok";
	case CH_SYNTAX:
		return "syntax";
	case CH_DUPLICATE:
		return "duplicate";
	case CH_TOO_LONG:
		return "toolong";
	case CH_TOO_MANY:
		return "toomany";
	}
	return "?";
}

static void
describe(const struct challenge_set *cs, struct buf *b)
{
	size_t i, k;

	buf_reset(b);
	buf_addstr(b, "");
	for (i = 0; i < cs->n; i++) {
		const struct challenge *c = &cs->ch[i];

		if (i > 0)
			buf_addstr(b, " | ");
		buf_addstr(b, c->scheme);
		if (c->err != CH_OK) {
			buf_printf(b, "!%s", errname(c->err));
			continue;
		}
		if (c->token68 != NULL)
			buf_printf(b, "{%s}", c->token68);
		if (c->nparam > 0) {
			buf_addstr(b, "[");
			for (k = 0; k < c->nparam; k++)
				buf_printf(b, "%s%s=%s", k ? ";" : "",
				    c->param[k].name, c->param[k].value);
			buf_addstr(b, "]");
		}
	}
}

/* Parse with every field in a heap block of its exact size, for ASan. */
static void
parse_exact(const char *const *fields, size_t n, struct challenge_set *cs,
    struct buf *desc)
{
	char *copy[4];
	size_t i;

	for (i = 0; i < n; i++) {
		size_t len = strlen(fields[i]) + 1;

		copy[i] = malloc(len);
		memcpy(copy[i], fields[i], len);
	}
	if (challenge_parse(cs, (const char *const *)copy, n) != CHALLENGE_OK)
		buf_addstr(desc, "(parse failed)");
	else
		describe(cs, desc);
	for (i = 0; i < n; i++)
		free(copy[i]);
}

static const struct {
	const char	*name;
	const char	*fields[3];
	const char	*want;
} cases[] = {
	{ "RFC 9110 §11.6.1: Newauth then Basic",
	  { "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
	    "Basic realm=\"simple\"" },
	  "Newauth[realm=apps;type=1;title=Login to \"apps\"] | "
	  "Basic[realm=simple]" },
	{ "RFC 9110 §11.6.1: Basic then Newauth",
	  { "Basic realm=\"simple\", Newauth realm=\"apps\", type=1, "
	    "title=\"Login to \\\"apps\\\"\"" },
	  "Basic[realm=simple] | Newauth[realm=apps;type=1;title=Login to "
	  "\"apps\"]" },
	{ "RFC 7616 §3.9.1 challenge",
	  { "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
	    "algorithm=SHA-256, "
	    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
	    "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"" },
	  "Digest[realm=http-auth@example.org;qop=auth, auth-int;"
	  "algorithm=SHA-256;nonce=7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v;"
	  "opaque=FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS]" },
	{ "several fields, kept in order",
	  { "Basic realm=\"a\"", "NTLM", "Negotiate" },
	  "Basic[realm=a] | NTLM | Negotiate" },
	{ "Basic \"oh please\" (curl test 94)",
	  { "Basic \"oh please\"" }, "Basic!syntax" },
	{ "Basic realm= is a token68",
	  { "Basic realm=" }, "Basic{realm=}" },
	{ "unterminated quote",
	  { "Basic realm=\"unterminated" }, "Basic!syntax" },
	{ "quoted-pair at the very end",
	  { "Basic realm=\"abc\\" }, "Basic!syntax" },
	{ "Digest ,,,,", { "Digest ,,,," }, "Digest" },
	{ "empty list elements",
	  { ", Basic realm=\"x\" ,, ,NTLM ," },
	  "Basic[realm=x] | NTLM" },
	{ "duplicate realm",
	  { "Basic realm=\"a\", realm=\"b\"" }, "Basic!duplicate" },
	{ "duplicate in another case",
	  { "Basic REALM=\"a\", Realm=\"b\", NTLM" },
	  "Basic!duplicate | NTLM" },
	{ "mixed-case names kept as sent",
	  { "DIGEST Realm=\"r\", NONCE=abc" }, "DIGEST[Realm=r;NONCE=abc]" },
	{ "BWS around =", { "Basic realm = \"x\"" }, "Basic[realm=x]" },
	{ "tab after the scheme", { "Basic\trealm=\"x\"" }, "Basic[realm=x]" },
	{ "token68", { "NTLM TlRMTVNTUAACAAAA==" }, "NTLM{TlRMTVNTUAACAAAA==}" },
	{ "token68 then another challenge",
	  { "Negotiate abc+/-._~, Basic realm=x" },
	  "Negotiate{abc+/-._~} | Basic[realm=x]" },
	{ "bad token68 character", { "NTLM abc$def" }, "NTLM!syntax" },
	{ "token68 starting with =", { "NTLM =abc" }, "NTLM!syntax" },
	{ "= inside a token68 reads as a param",
	  { "NTLM ab=cd" }, "NTLM[ab=cd]" },
	{ "token68 and params do not mix",
	  { "NTLM abc, realm=x" }, "NTLM!syntax" },
	{ "CTL inside a quoted-string",
	  { "Basic realm=\"a\001b\"" }, "Basic!syntax" },
	{ "obs-text inside a quoted-string",
	  { "Basic realm=\"caf\xc3\xa9\"" }, "Basic[realm=caf\xc3\xa9]" },
	{ "junk after a param; earlier challenge kept",
	  { "NTLM, Basic realm=\"x\" junk, Digest nonce=1" },
	  "NTLM | Basic!syntax" },
	{ "junk right after the scheme", { "Basic/x" }, "Basic!syntax" },
	{ "no scheme at all", { "\"Basic\"" }, "!syntax" },
	{ "a bad field does not spoil the next",
	  { "Basic realm=\"x", "NTLM" }, "Basic!syntax | NTLM" },
	{ "empty and blank fields", { "", "  ,  " }, "" },
	{ "quoted and token values alike",
	  { "Digest algorithm=\"MD5\", stale=TRUE" },
	  "Digest[algorithm=MD5;stale=TRUE]" },
	{ "quoted-pair of a plain char", { "Basic realm=\"\\a\\\\\"" },
	  "Basic[realm=a\\]" },
	{ "empty quoted value", { "Basic realm=\"\"" }, "Basic[realm=]" },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

int
main(void)
{
	struct challenge_set cs;
	struct buf desc, big;
	size_t i, n;

	buf_init(&desc, 1 << 20);
	for (i = 0; i < NCASES; i++) {
		for (n = 0; n < 3 && cases[i].fields[n] != NULL; n++)
			;
		buf_reset(&desc);
		parse_exact(cases[i].fields, n, &cs, &desc);
		is_str(desc.data, cases[i].want, "%s", cases[i].name);
		challenge_free(&cs);
	}

	/* Lookups are case-insensitive on the name. */
	{
		const char *f[] = { "Digest Realm=\"r\", NONCE=abc" };

		challenge_parse(&cs, f, 1);
		is_str(challenge_param(&cs.ch[0], "realm"), "r",
		    "param lookup ignores case");
		is_str(challenge_param(&cs.ch[0], "nonce"), "abc",
		    "token value found");
		ok(challenge_param(&cs.ch[0], "opaque") == NULL,
		    "absent param is NULL");
		is_int(cs.ch[0].field, 0, "field index recorded");
		challenge_free(&cs);
	}

	/* A 64 KiB realm: that challenge is unusable, the next one is not. */
	buf_init(&big, 1 << 20);
	buf_addstr(&big, "Basic realm=\"");
	for (i = 0; i < 64 * 1024; i++)
		buf_add(&big, "A", 1);
	buf_addstr(&big, "\", NTLM");
	{
		const char *f[] = { big.data };

		buf_reset(&desc);
		parse_exact(f, 1, &cs, &desc);
		is_str(desc.data, "Basic!toolong | NTLM", "64 KiB realm");
		challenge_free(&cs);
	}
	/* A 64 KiB scheme name is cut for messages and marked. */
	buf_reset(&big);
	for (i = 0; i < 64 * 1024; i++)
		buf_add(&big, "B", 1);
	{
		const char *f[] = { big.data };

		challenge_parse(&cs, f, 1);
		is_int(cs.n, 1, "64 KiB scheme: one challenge");
		is_int(cs.ch[0].err, CH_TOO_LONG, "64 KiB scheme: too long");
		is_int(strlen(cs.ch[0].scheme), CHALLENGE_SCHEME_MAX,
		    "64 KiB scheme: name cut to the bound");
		challenge_free(&cs);
	}
	/* Over the total input bound: refused as a whole. */
	buf_reset(&big);
	for (i = 0; i < CHALLENGE_INPUT_MAX / 2 + 1; i++)
		buf_add(&big, "A", 1);
	{
		const char *f[] = { big.data, big.data };

		is_int(challenge_parse(&cs, f, 2), CHALLENGE_TOO_LONG,
		    "input over CHALLENGE_INPUT_MAX refused");
		challenge_free(&cs);
	}
	/* More challenges than we keep. */
	buf_reset(&big);
	for (i = 0; i < CHALLENGE_MAX + 8; i++)
		buf_addstr(&big, "X, ");
	{
		const char *f[] = { big.data };

		challenge_parse(&cs, f, 1);
		is_int(cs.n, CHALLENGE_MAX, "challenge count bounded");
		ok(cs.dropped, "dropped challenges noted");
		challenge_free(&cs);
	}
	/* More params than we keep. */
	buf_reset(&big);
	buf_addstr(&big, "Digest ");
	for (i = 0; i < CHALLENGE_PARAMS_MAX + 1; i++)
		buf_printf(&big, "%sp%zu=v", i ? ", " : "", i);
	buf_addstr(&big, ", Basic");
	{
		const char *f[] = { big.data };

		buf_reset(&desc);
		parse_exact(f, 1, &cs, &desc);
		is_str(desc.data, "Digest!toomany | Basic",
		    "param count bounded");
		challenge_free(&cs);
	}
	/* A 4 KiB + 1 value is over the value bound, 4 KiB is not. */
	for (n = CHALLENGE_VALUE_MAX; n <= CHALLENGE_VALUE_MAX + 1; n++) {
		const char *f[1];

		buf_reset(&big);
		buf_addstr(&big, "Digest nonce=\"");
		for (i = 0; i < n; i++)
			buf_add(&big, "n", 1);
		buf_addstr(&big, "\"");
		f[0] = big.data;
		challenge_parse(&cs, f, 1);
		is_int(cs.ch[0].err, n == CHALLENGE_VALUE_MAX ? CH_OK :
		    CH_TOO_LONG, "value of %zu bytes", n);
		challenge_free(&cs);
	}
	/* No fields at all. */
	challenge_parse(&cs, NULL, 0);
	is_int(cs.n, 0, "no fields, no challenges");
	challenge_free(&cs);

	buf_free(&big);
	buf_free(&desc);
	return done_testing();
}
