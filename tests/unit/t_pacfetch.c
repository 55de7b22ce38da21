/*
 * The PAC server's reply (src/pacreply.c): the status, ETag,
 * Last-Modified, the body, and when the reader may stop.  Every reply in
 * the table is gathered whole and split in two at every offset the way
 * pacfetch.c's reader gathers it (it stops at the first read after which
 * the reply is complete); the result, the validators and the body (the
 * bytes after the header that were kept) must be as the table says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pacfetch.h"
#include "pacreply.h"
#include "tap.h"

#define IN(lit)		.in = (lit), .len = sizeof(lit) - 1
#define RESP_MAX	(PAC_MAX + 16 * 1024)	/* as pacfetch.c reads */
#define ERR_MAX		512
#define LINE_LONG	(20 * 1024)

struct rcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 cond;		/* conditional request */
	int		 rc;		/* 200, 304, -1 */
	const char	*etag;		/* NULL: "" */
	const char	*lm;
	const char	*body;		/* on 200, gathered whole */
	const char	*err;		/* on -1 */
	long		 done_at;	/* complete from this many bytes (0:
					   all of them); -1: never, read to
					   the end */
};

#define H200	"HTTP/1.1 200 OK\r\n"
#define LMV	"Sun, 06 Dec 2026 10:00:00 GMT"

static const struct rcase cases[] = {
	{ "200 with ETag, Last-Modified, Content-Length",
	    IN(H200 "ETag: \"abc\"\r\nLast-Modified: " LMV "\r\n"
	    "Content-Length: 5\r\n\r\nhello"), 1, 200, "\"abc\"", LMV,
	    "hello", NULL, 0 },
	{ "200 without validators or length: read to the end",
	    IN("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nfunction F(){}"), 1, 200,
	    NULL, NULL, "function F(){}", NULL, -1 },
	{ "200 with only ETag", IN(H200 "ETag: W/\"7\"\r\n\r\nx"), 1, 200,
	    "W/\"7\"", NULL, "x", NULL, -1 },
	{ "200 with only Last-Modified", IN(H200 "Last-Modified: " LMV
	    "\r\nContent-Length: 1\r\n\r\nx"), 1, 200, NULL, LMV, "x", NULL,
	    0 },
	{ "200, unconditional: validators left alone",
	    IN(H200 "ETag: \"e\"\r\nContent-Length: 2\r\n\r\nok"), 0, 200,
	    NULL, NULL, "ok", NULL, 0 },
	{ "200 with an empty body", IN(H200 "Content-Length: 0\r\n\r\n"), 1,
	    200, NULL, NULL, "", NULL, 0 },
	{ "Content-Length shorter than the bytes: the first read decides",
	    IN(H200 "Content-Length: 2\r\n\r\nhello"), 1, 200, NULL, NULL,
	    "hello", NULL, (long)sizeof(H200 "Content-Length: 2\r\n\r\nhe") - 1 },
	{ "Content-Length longer than the bytes: what came, at the end",
	    IN(H200 "Content-Length: 10\r\n\r\nshort"), 1, 200, NULL, NULL,
	    "short", NULL, -1 },
	{ "Content-Length with junk: read to the end",
	    IN(H200 "Content-Length: 5x\r\n\r\nhello"), 1, 200, NULL, NULL,
	    "hello", NULL, -1 },
	{ "the first Content-Length counts",
	    IN(H200 "Content-Length: 1\r\nContent-Length: 9\r\n\r\nab"), 1,
	    200, NULL, NULL, "ab", NULL,
	    (long)sizeof(H200 "Content-Length: 1\r\nContent-Length: 9\r\n\r\na")
	    - 1 },
	{ "304 with validators and no length: read to the end",
	    IN("HTTP/1.1 304 Not Modified\r\nETag: \"v2\"\r\n\r\n"), 1, 304,
	    "\"v2\"", NULL, NULL, NULL, -1 },
	{ "304 with Content-Length: 0",
	    IN("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n"
	    "Last-Modified: " LMV "\r\n\r\n"), 1, 304, NULL, LMV, NULL, NULL,
	    0 },
	{ "304 to an unconditional request is an error",
	    IN("HTTP/1.1 304 Not Modified\r\n\r\n"), 0, -1, NULL, NULL, NULL,
	    "304 Not Modified", -1 },
	{ "404", IN("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!"),
	    1, -1, NULL, NULL, NULL, "404 Not Found", 0 },
	{ "500 without a reason", IN("HTTP/1.0 500\r\n\r\n"), 1, -1, NULL,
	    NULL, NULL, "500", -1 },
	{ "200 with HTTP/1.0 and a lower-case field, odd spacing",
	    IN("HTTP/1.0 200 OK\r\netag:\t  \"x\" \t\r\nLAST-MODIFIED:" LMV
	    "  \r\ncontent-length:   3  \r\n\r\nabc"), 1, 200, "\"x\"", LMV,
	    "abc", NULL, 0 },
	{ "space before the colon: not the field",
	    IN(H200 "ETag : \"x\"\r\nContent-Length : 1\r\n\r\nab"), 1, 200,
	    NULL, NULL, "ab", NULL, -1 },
	{ "a longer name is not the field",
	    IN(H200 "X-ETag: 1\r\nETagged: 2\r\n\r\n"), 1, 200, NULL, NULL, "",
	    NULL, -1 },
	{ "a folded value keeps its first line",
	    IN(H200 "ETag: \"a\r\n b\"\r\nContent-Length: 1\r\n\r\nz"), 1,
	    200, "\"a", NULL, "z", NULL, 0 },
	{ "an empty value", IN(H200 "ETag:\r\n\r\n"), 1, 200, NULL, NULL, "",
	    NULL, -1 },
	{ "bare LF lines: not an HTTP reply",
	    IN("HTTP/1.1 200 OK\nContent-Length: 2\n\nhi"), 1, -1, NULL,
	    NULL, NULL, "not an HTTP reply", -1 },
	{ "no blank line: not an HTTP reply",
	    IN(H200 "Content-Length: 2\r\n"), 1, -1, NULL, NULL, NULL,
	    "not an HTTP reply", -1 },
	{ "a status line alone", IN("HTTP/1.1 200"), 1, -1, NULL, NULL, NULL,
	    "not an HTTP reply", -1 },
	{ "too short", IN("HTTP/1.1 2"), 1, -1, NULL, NULL, NULL,
	    "not an HTTP reply", -1 },
	{ "not HTTP/1.x", IN("HTTP/2.0 200 OK\r\n\r\n"), 1, -1, NULL, NULL,
	    NULL, "not an HTTP reply", -1 },
	{ "a short status line: not an HTTP reply (once read the reason "
	    "from before its start)", IN("HTTP/1.\r\n\r\nabcdef"), 1, -1, NULL,
	    NULL, NULL, "not an HTTP reply", -1 },
	{ "a status line of 9 bytes: not an HTTP reply (once an empty "
	    "message)", IN("HTTP/1.00\r\n\r\n"), 1, -1, NULL, NULL, NULL,
	    "not an HTTP reply", -1 },
	{ "a four-digit status: not an HTTP reply (once read as 200)",
	    IN("HTTP/1.1 2000 OK\r\n\r\nx"), 1, -1, NULL, NULL, NULL,
	    "not an HTTP reply", -1 },
	{ "nothing", IN(""), 1, -1, NULL, NULL, NULL, "not an HTTP reply",
	    -1 },
	{ "a NUL before the blank line: not an HTTP reply",
	    IN(H200 "X: a\0b\r\nContent-Length: 1\r\n\r\nz"), 1, -1, NULL,
	    NULL, NULL, "not an HTTP reply", -1 },
	{ "a reason with control bytes is shown escaped",
	    IN("HTTP/1.1 403 no\x1b[2J\r\n\r\n"), 1, -1, NULL, NULL, NULL,
	    "403 no\\x1b[2J", -1 },
};

/* How many bytes make the case complete; (size_t)-1: none. */
static size_t
done_at(const struct rcase *c)
{
	if (c->done_at < 0)
		return (size_t)-1;
	return c->done_at == 0 ? c->len : (size_t)c->done_at;
}

/* Gather in[0, cut) then, unless that was complete, the rest, as the
 * reader does; then parse.  Returns the bytes kept. */
static size_t
gather(const char *in, size_t len, size_t cut, int cond, int *rc,
    struct pac_validators *v, struct buf *body, char *err)
{
	struct buf resp;
	size_t kept;

	buf_init(&resp, RESP_MAX);
	buf_init(body, PAC_MAX);
	memset(v, 0, sizeof(*v));
	*err = '\0';
	if (buf_add(&resp, in, cut) == -1 ||
	    (!pac_reply_complete(&resp) &&
	    buf_add(&resp, in + cut, len - cut) == -1))
		abort();
	kept = resp.len;
	*rc = pac_reply_parse(&resp, body, cond ? v : NULL, err, ERR_MAX);
	buf_free(&resp);
	return kept;
}

/* One case gathered with the first read ending at cut; 1 if as wanted. */
static int
check(const struct rcase *c, size_t cut, char *why, size_t whylen)
{
	struct pac_validators v;
	struct buf body;
	char err[ERR_MAX];
	const char *want;
	size_t kept, drop, wlen;
	int rc, good = 0;

	kept = gather(c->in, c->len, cut, c->cond, &rc, &v, &body, err);
	/* Bytes after a complete first read are never read. */
	drop = cut >= done_at(c) ? c->len - cut : 0;
	if (kept != c->len - drop)
		snprintf(why, whylen, "kept %zu bytes, want %zu", kept,
		    c->len - drop);
	else if (rc != c->rc)
		snprintf(why, whylen, "rc %d, want %d (err '%s')", rc, c->rc,
		    err);
	else if (rc == -1 && strcmp(err, c->err) != 0)
		snprintf(why, whylen, "err '%s', want '%s'", err, c->err);
	else if (strcmp(v.etag, c->etag ? c->etag : "") != 0 ||
	    strcmp(v.last_modified, c->lm ? c->lm : "") != 0)
		snprintf(why, whylen, "validators '%s' '%s'", v.etag,
		    v.last_modified);
	else if (rc == 200 && (wlen = strlen(c->body)) < drop)
		snprintf(why, whylen, "bad case: body shorter than the drop");
	else if (rc == 200 && (body.len != wlen - drop ||
	    memcmp(body.data != NULL ? body.data : "", (want = c->body),
	    body.len) != 0))
		snprintf(why, whylen, "body '%.*s' (%zu), want %zu bytes of "
		    "'%s'", (int)body.len, body.data ? body.data : "",
		    body.len, wlen - drop, c->body);
	else if (rc != 200 && body.len != 0)
		snprintf(why, whylen, "a body with %d", rc);
	else
		good = 1;
	buf_free(&body);
	return good;
}

/* Whether complete() says yes exactly from done_at bytes on. */
static int
check_complete(const struct rcase *c, size_t *at)
{
	struct buf resp;
	size_t k;
	int want, got;

	for (k = 0; k <= c->len; k++) {
		buf_init(&resp, RESP_MAX);
		if (buf_add(&resp, c->in, k) == -1)
			abort();
		got = pac_reply_complete(&resp);
		buf_free(&resp);
		want = k >= done_at(c);
		if (got != want) {
			*at = k;
			return 0;
		}
	}
	return 1;
}

/* A reply built at run time: head, a line of n bytes of fill, tail. */
static char *
build(const char *head, size_t n, int fill, const char *tail, size_t *len)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *s;

	if ((s = malloc(hl + n + tl + 1)) == NULL)
		abort();
	memcpy(s, head, hl);
	memset(s + hl, fill, n);
	memcpy(s + hl + n, tail, tl + 1);
	*len = hl + n + tl;
	return s;
}

static void
long_cases(void)
{
	struct pac_validators v;
	struct buf body;
	char err[ERR_MAX], *s;
	size_t len, kept;
	int rc;

	/* A validator longer than the cache keeps is dropped, not cut. */
	s = build(H200 "ETag: \"", PAC_VALIDATOR_MAX, 'e',
	    "\"\r\nLast-Modified: " LMV "\r\nContent-Length: 1\r\n\r\nz", &len);
	gather(s, len, len, 1, &rc, &v, &body, err);
	is_int(rc, 200, "over-long ETag: 200");
	is_str(v.etag, "", "over-long ETag: none kept");
	is_str(v.last_modified, LMV, "over-long ETag: Last-Modified kept");
	buf_free(&body);
	free(s);

	s = build(H200 "ETag: \"", PAC_VALIDATOR_MAX - 3, 'e',
	    "\"\r\n\r\nz", &len);
	gather(s, len, len, 1, &rc, &v, &body, err);
	is_int(strlen(v.etag), PAC_VALIDATOR_MAX - 1,
	    "an ETag of %d bytes is kept", PAC_VALIDATOR_MAX - 1);
	buf_free(&body);
	free(s);

	/* A long reason phrase is shown shortened. */
	s = build("HTTP/1.1 404 ", 10000, 'r', "\r\n\r\n", &len);
	gather(s, len, len, 1, &rc, &v, &body, err);
	is_int(rc, -1, "404 with a 10000-byte reason");
	ok(strncmp(err, "404 rrr", 7) == 0 && strlen(err) < 1024,
	    "the reason shortened (%zu bytes)", strlen(err));
	buf_free(&body);
	free(s);

	/* The scan itself has no line or header limit: what bounds a reply
	 * is the reader's buffer (PAC_MAX and a header's worth). */
	s = build(H200 "X-Fill: ", LINE_LONG, 'f',
	    "\r\nETag: \"late\"\r\nContent-Length: 2\r\n\r\nok", &len);
	kept = gather(s, len, len / 2, 1, &rc, &v, &body, err);
	is_int(rc, 200, "a %d KiB header line", LINE_LONG / 1024);
	is_str(v.etag, "\"late\"", "a field after a long line is found");
	ok(kept == len && body.len == 2, "its body");
	buf_free(&body);
	free(s);

	/* A body over PAC_MAX is refused. */
	s = build(H200 "\r\n", PAC_MAX + 1, 'b', "", &len);
	gather(s, len, len, 1, &rc, &v, &body, err);
	is_int(rc, -1, "a body of PAC_MAX + 1 bytes");
	is_str(err, "larger than 1024 KiB", "its message");
	buf_free(&body);
	free(s);

	s = build(H200 "\r\n", PAC_MAX, 'b', "", &len);
	gather(s, len, len, 1, &rc, &v, &body, err);
	ok(rc == 200 && body.len == PAC_MAX, "a body of PAC_MAX bytes");
	buf_free(&body);
	free(s);
}

int
main(void)
{
	char why[ERR_MAX * 2];
	size_t i, cut, at = 0;
	int good;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];

		if (!ok(check(c, c->len, why, sizeof(why)), "%s: whole",
		    c->name))
			printf("#   %s\n", why);
		for (good = 1, cut = 0; good && cut < c->len; cut++)
			good = check(c, cut, why, sizeof(why));
		if (!ok(good, "%s: split at every offset", c->name))
			printf("#   first read of %zu bytes: %s\n", cut - 1,
			    why);
		if (!ok(check_complete(c, &at), "%s: complete from %ld",
		    c->name, c->done_at))
			printf("#   wrong at %zu bytes\n", at);
	}
	long_cases();
	return done_testing();
}
