#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"
#include "buf.h"
#include "http.h"
#include "tap.h"

/*
 * The decisions of a Negotiate exchange (src/auth_negotiate.c and auth.c)
 * against canned GSSAPI results: a stub of gss_import_name,
 * gss_init_sec_context and gss_display_status that lives in this test
 * only, so that what GSSAPI says in each round is chosen here.
 */

#define OUT_MAX		(HTTP_AUTHZ_MAX)
#define ALL		(AUTH_BASIC | AUTH_DIGEST | AUTH_NTLM | AUTH_NEGOTIATE)

struct canned {
	uint32_t	 major;
	size_t		 toklen;	/* filled with 'A' + round */
	const char	*words;		/* what display_status says */
};

static const struct canned *script;
static size_t nscript, at;
static uint32_t import_major;
static int imports, releases, inits;
static char last_name[128];
static unsigned char last_in[256];
static size_t last_inlen;
static unsigned char *tokbuf;
static char traced[4096];

static uint32_t
stub_import(const char *name, void **h, uint32_t *minor)
{
	imports++;
	snprintf(last_name, sizeof(last_name), "%s", name);
	*h = &imports;
	*minor = 0;
	return import_major;
}

static uint32_t
stub_init(void *h, const void *in, size_t inlen, const void **tok,
    size_t *toklen, uint32_t *minor)
{
	const struct canned *c;

	(void)h;
	inits++;
	last_inlen = in != NULL && inlen <= sizeof(last_in) ? inlen : 0;
	if (last_inlen)
		memcpy(last_in, in, inlen);
	*minor = 7;
	*tok = NULL;
	*toklen = 0;
	if (at >= nscript)
		return AUTH_GSS_FAILURE;
	c = &script[at++];
	free(tokbuf);
	tokbuf = malloc(c->toklen + 1);
	memset(tokbuf, 'A' + (int)at, c->toklen + 1);
	*tok = tokbuf;
	*toklen = c->toklen;
	return c->major;
}

static void
stub_display(uint32_t major, uint32_t minor, char *out, size_t len)
{
	(void)minor;
	snprintf(out, len, "%s", at > 0 && at <= nscript &&
	    script[at - 1].words != NULL ? script[at - 1].words :
	    major == import_major ? "bad name" : "?");
}

static void
stub_release(void *h)
{
	(void)h;
	releases++;
}

static const struct auth_gss stub = {
	stub_import, stub_init, stub_display, stub_release,
};

static void
trace(void *arg, const char *line)
{
	(void)arg;
	size_t o = strlen(traced);

	snprintf(traced + o, sizeof(traced) - o, "%s\n", line);
}

static int
no_random(void *p, size_t n)
{
	memset(p, 0, n);
	return 0;
}

static int64_t
no_time(void)
{
	return 0;
}

static const struct auth_env env = { no_random, no_time };

static void
reset(struct auth_state *st, unsigned allowed, const struct canned *s,
    size_t n)
{
	auth_state_clear(st);
	st->allowed = allowed;
	st->gss = &stub;
	st->trace = trace;
	st->host = "proxy.corp";
	script = s;
	nscript = n;
	at = 0;
	import_major = 0;
	imports = releases = inits = 0;
	traced[0] = '\0';
	last_name[0] = '\0';
}

static enum auth_rc
next(struct auth_state *st, const struct cred *c, struct buf *out,
    const char *f1, const char *f2)
{
	const char *f[2] = { f1, f2 };

	return auth_next(st, f, f2 != NULL ? 2 : 1, c, "db.internal:5432",
	    &env, out);
}

/* "Negotiate " and the base64 of n bytes of ch. */
static void
want_token(struct buf *w, int ch, size_t n)
{
	unsigned char *p = malloc(n);

	memset(p, ch, n);
	buf_reset(w);
	buf_addstr(w, "Negotiate ");
	auth_base64_encode(w, p, n);
	free(p);
}

static void
test_one_round(void)
{
	static const struct canned s[] = {
		{ AUTH_GSS_CONTINUE_NEEDED, 5, NULL },
	};
	struct auth_state st;
	struct buf out, w;

	memset(&st, 0, sizeof(st));
	buf_init(&out, OUT_MAX);
	buf_init(&w, OUT_MAX);
	reset(&st, ALL, s, 1);
	is_int(next(&st, NULL, &out, "Basic realm=x", "Negotiate"), AUTH_OK,
	    "Negotiate ranks above Basic and needs no credentials");
	want_token(&w, 'B', 5);
	is_str(out.data, w.data, "the token in base64 after \"Negotiate \"");
	is_str(last_name, "HTTP@proxy.corp", "service HTTP at the proxy's host");
	is_int(st.scheme, AUTH_NEGOTIATE, "scheme in progress: Negotiate");
	ok(auth_needs_same_connection(&st),
	    "a context waiting for the proxy's token keeps its connection");
	ok(strstr(traced, "asking GSSAPI for a token for the service "
	    "HTTP@proxy.corp\n") != NULL, "trace: the service asked for");
	ok(strstr(traced, "GSSAPI step 1: continue needed, a token of 5 "
	    "bytes\n") != NULL, "trace: the status of the step");
	ok(strstr(traced, w.data + 10) == NULL, "trace: never the token");

	/* The proxy sends nothing back but a bare challenge: refused. */
	is_int(next(&st, NULL, &out, "Negotiate", "Basic realm=x"),
	    AUTH_REJECTED, "a 407 without a token after ours: rejected");
	is_int(st.scheme, AUTH_NEGOTIATE, "rejected: Negotiate named");
	is_int(releases, 1, "rejected: the context is released");

	reset(&st, ALL, s, 1);
	st.service = "proxy";
	is_int(next(&st, NULL, &out, "Negotiate", NULL), AUTH_OK,
	    "--proxy-service-name: ok");
	is_str(last_name, "proxy@proxy.corp", "--proxy-service-name: the name");
	auth_state_clear(&st);
	is_int(releases, 1, "auth_state_clear releases the context");
	buf_free(&out);
	buf_free(&w);
}

static void
test_two_rounds(void)
{
	static const struct canned s[] = {
		{ AUTH_GSS_CONTINUE_NEEDED, 3, NULL },
		{ 0, 4, NULL },
	};
	struct auth_state st;
	struct buf out, w;

	memset(&st, 0, sizeof(st));
	buf_init(&out, OUT_MAX);
	buf_init(&w, OUT_MAX);
	reset(&st, ALL, s, 2);
	is_int(next(&st, NULL, &out, "Negotiate", NULL), AUTH_OK, "round 1");
	/* "srv" in base64 is "c3J2". */
	is_int(next(&st, NULL, &out, "Negotiate c3J2", NULL), AUTH_OK,
	    "round 2: the proxy's token is answered");
	is_int(last_inlen, 3, "round 2: the proxy's token decoded");
	ok(memcmp(last_in, "srv", 3) == 0, "round 2: its bytes");
	want_token(&w, 'C', 4);
	is_str(out.data, w.data, "round 2: our second token");
	is_int(imports, 1, "one name for the whole exchange");
	ok(!auth_needs_same_connection(&st), "complete: no connection bound");
	is_int(next(&st, NULL, &out, "Negotiate c3J2", NULL), AUTH_REJECTED,
	    "another token after our last: rejected");

	reset(&st, ALL, s, 2);
	next(&st, NULL, &out, "Negotiate", NULL);
	is_int(next(&st, NULL, &out, "Negotiate c3J2!", NULL),
	    AUTH_BAD_CHALLENGE, "a proxy token that is not base64");
	auth_state_clear(&st);

	/* The connection is lost in the middle: a new context. */
	reset(&st, ALL, s, 2);
	next(&st, NULL, &out, "Negotiate", NULL);
	is_int(auth_connection_reset(&st), AUTH_NEGOTIATE,
	    "reset mid-exchange: Negotiate restarts");
	is_int(releases, 1, "reset: the old context released");
	at = 0;
	is_int(next(&st, NULL, &out, "Negotiate", NULL), AUTH_OK,
	    "reset: a new first token");
	is_int(imports, 2, "reset: a new context");
	auth_state_clear(&st);
	buf_free(&out);
	buf_free(&w);
}

static void
test_long_token(void)
{
	static const struct canned s[] = {
		{ AUTH_GSS_CONTINUE_NEEDED, NEGO_TOKEN_MAX, NULL },
	};
	static const struct canned s2[] = {
		{ AUTH_GSS_CONTINUE_NEEDED, NEGO_TOKEN_MAX + 1, NULL },
	};
	struct auth_state st;
	struct buf out, w, req;

	memset(&st, 0, sizeof(st));
	buf_init(&out, OUT_MAX);
	buf_init(&w, OUT_MAX);
	buf_init(&req, HTTP_REQUEST_MAX + HTTP_AUTHZ_LINE_MAX);
	reset(&st, ALL, s, 1);
	is_int(next(&st, NULL, &out, "Negotiate", NULL), AUTH_OK,
	    "a 64 KiB token: ok");
	want_token(&w, 'B', NEGO_TOKEN_MAX);
	is_int(out.len, 10 + 87384, "a 64 KiB token: whole, in base64");
	is_str(out.data, w.data, "a 64 KiB token: its bytes");
	is_int(http_connect_request(&req, "db.internal:5432", "ua", NULL, 0,
	    out.data), 0, "a 64 KiB token fits in the CONNECT request");
	ok(strstr(req.data, w.data) != NULL, "the request holds the token");

	reset(&st, ALL, s2, 1);
	is_int(next(&st, NULL, &out, "Negotiate", NULL),
	    AUTH_NEGOTIATE_FAILED, "a token over 64 KiB is not sent");
	is_str(st.nego_why, "a token of 65537 bytes, more than the 65536 "
	    "postern sends", "over 64 KiB: why");
	auth_state_clear(&st);
	buf_free(&out);
	buf_free(&w);
	buf_free(&req);
}

static void
test_failures(void)
{
	static const struct canned second[] = {
		{ AUTH_GSS_CONTINUE_NEEDED, 3, NULL },
		{ AUTH_GSS_FAILURE, 0, "Clock skew too great" },
	};
	static const struct canned nocred[] = {
		{ AUTH_GSS_NO_CRED, 0, "SPNEGO cannot find mechanisms" },
	};
	static const struct canned unknown[] = {
		{ AUTH_GSS_FAILURE, 0, "Server HTTP/p@R not found in Kerberos "
		    "database" },
	};
	struct cred c = { "alice", "secret" };
	struct auth_state st;
	struct buf out;

	memset(&st, 0, sizeof(st));
	buf_init(&out, OUT_MAX);

	/* A failure in the second round falls back to Basic. */
	reset(&st, ALL, second, 2);
	is_int(next(&st, &c, &out, "Negotiate", "Basic realm=x"), AUTH_OK,
	    "second round failure: round 1 ok");
	is_int(next(&st, &c, &out, "Negotiate c3J2", "Basic realm=x"), AUTH_OK,
	    "second round failure: Basic answers");
	is_str(out.data, "Basic YWxpY2U6c2VjcmV0", "second round failure: "
	    "the Basic value");
	ok(st.failed & AUTH_NEGOTIATE, "second round failure: Negotiate spent");
	is_str(st.nego_why, "Clock skew too great (check this host's clock)",
	    "second round failure: why");
	is_int(releases, 1, "second round failure: context released");
	ok(strstr(traced, "GSSAPI step 2 failed: Clock skew too great") !=
	    NULL, "trace: the failed step");

	/* The same with nothing else offered. */
	reset(&st, ALL, second, 2);
	next(&st, &c, &out, "Negotiate", NULL);
	is_int(next(&st, &c, &out, "Negotiate c3J2", NULL),
	    AUTH_NEGOTIATE_FAILED, "second round failure alone: failed");
	is_str(st.nego_rest, "no other scheme offered", "... nothing else");
	is_int(out.len, 0, "... and nothing to send");

	/* No ticket: the words, and Basic wants credentials first. */
	reset(&st, ALL, nocred, 1);
	is_int(next(&st, NULL, &out, "Negotiate", NULL), AUTH_NEGOTIATE_FAILED,
	    "no ticket, Negotiate alone");
	is_str(st.nego_why, "no Kerberos ticket (run kinit)", "no ticket: why");
	reset(&st, ALL, nocred, 1);
	is_int(next(&st, NULL, &out, "Negotiate", "Basic realm=x"),
	    AUTH_NO_CREDENTIALS, "no ticket, Basic offered: credentials wanted");
	is_int(next(&st, &c, &out, "Negotiate", "Basic realm=x"), AUTH_OK,
	    "no ticket, Basic offered, credentials: Basic");
	is_int(inits, 1, "GSSAPI is not asked again in the same 407");
	reset(&st, ALL & ~(unsigned)AUTH_BASIC, nocred, 1);
	is_int(next(&st, &c, &out, "Negotiate", "Basic realm=x"),
	    AUTH_NEGOTIATE_FAILED, "no ticket, Basic not allowed");
	is_str(st.nego_rest, "no other scheme allowed (see --auth)",
	    "... says --auth");

	reset(&st, ALL, unknown, 1);
	next(&st, NULL, &out, "Negotiate", NULL);
	is_str(st.nego_why, "Server HTTP/p@R not found in Kerberos database "
	    "(check --proxy-service-name and the proxy's host name)",
	    "unknown principal: GSSAPI's words and what to check");

	reset(&st, ALL, nocred, 1);
	import_major = AUTH_GSS_UNAVAILABLE;
	next(&st, NULL, &out, "Negotiate", NULL);
	is_int(inits, 0, "a failed import: no step");
	is_str(st.nego_why, "bad name (check klist)", "a failed import: why");

	/* --auth basic: GSSAPI is never asked. */
	reset(&st, AUTH_BASIC, nocred, 1);
	is_int(next(&st, &c, &out, "Negotiate", "Basic realm=x"), AUTH_OK,
	    "--auth basic: Basic");
	is_int(imports + inits, 0, "--auth basic: no GSSAPI call");

	/* Built without GSSAPI (no table): Negotiate is not chosen. */
	reset(&st, ALL, nocred, 1);
	st.gss = NULL;
	is_int(next(&st, NULL, &out, "Negotiate", NULL), AUTH_NO_SCHEME,
	    "no GSSAPI: Negotiate is not a scheme postern can use");
	auth_state_clear(&st);
	buf_free(&out);
}

int
main(void)
{
	test_one_round();
	test_two_rounds();
	test_long_token();
	test_failures();
	free(tokbuf);
	return done_testing();
}
