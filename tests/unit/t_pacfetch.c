/*
 * The PAC server's answer (src/pacreply.c over http.c's parser): the
 * status, ETag, Last-Modified, the body and what is left after it.  Every
 * answer in the table is fed whole, split in two at every offset, and one
 * byte at a time; the result, the validators, the body and the bytes left
 * over must be the same each way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pacfetch.h"
#include "pacreply.h"
#include "tap.h"

#define IN(lit)		.in = (lit), .len = sizeof(lit) - 1
#define ERR_MAX		512
#define WHY_MAX		(ERR_MAX * 2)

struct rcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 cond;		/* a conditional request */
	int		 rc;		/* of pac_reply_end: 200, 304, -1 */
	const char	*etag;		/* NULL: "" */
	const char	*lm;
	const char	*body;		/* on 200 */
	const char	*err;		/* on -1 */
	int		 whole;		/* the feed ends it: the rest is left */
	const char	*leftover;	/* when whole; NULL: "" */
};

#define H200	"HTTP/1.1 200 OK\r\n"
#define LMV	"Sun, 06 Dec 2026 10:00:00 GMT"
#define NOT	"not an HTTP reply"

static const struct rcase cases[] = {
	{ "200 with ETag, Last-Modified, Content-Length",
	    IN(H200 "ETag: \"abc\"\r\nLast-Modified: " LMV "\r\n"
	    "Content-Length: 5\r\n\r\nhello"), 1, 200, "\"abc\"", LMV,
	    "hello", NULL, 1, NULL },
	{ "200 without validators or length: the body to the end",
	    IN("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nfunction F(){}"), 1, 200,
	    NULL, NULL, "function F(){}", NULL, 0, NULL },
	{ "200 with only ETag", IN(H200 "ETag: W/\"7\"\r\n\r\nx"), 1, 200,
	    "W/\"7\"", NULL, "x", NULL, 0, NULL },
	{ "200 with only Last-Modified", IN(H200 "Last-Modified: " LMV
	    "\r\nContent-Length: 1\r\n\r\nx"), 1, 200, NULL, LMV, "x", NULL,
	    1, NULL },
	{ "200, unconditional: validators not asked for",
	    IN(H200 "ETag: \"e\"\r\nContent-Length: 2\r\n\r\nok"), 0, 200,
	    NULL, NULL, "ok", NULL, 1, NULL },
	{ "200 with Content-Length: 0", IN(H200 "Content-Length: 0\r\n\r\n"),
	    1, 200, NULL, NULL, "", NULL, 1, NULL },
	{ "bytes after the Content-Length are left",
	    IN(H200 "Content-Length: 2\r\n\r\nhello"), 1, 200, NULL, NULL,
	    "he", NULL, 1, "llo" },
	{ "a body short of its Content-Length",
	    IN(H200 "Content-Length: 10\r\n\r\nshort"), 1, -1, NULL, NULL,
	    NULL, "the answer ended 5 bytes short of its Content-Length", 0,
	    NULL },
	{ "Content-Length with junk",
	    IN(H200 "Content-Length: 5x\r\n\r\nhello"), 1, -1, NULL, NULL,
	    NULL, "a malformed Content-Length", 1, "hello" },
	{ "two different Content-Lengths",
	    IN(H200 "Content-Length: 1\r\nContent-Length: 9\r\n\r\nab"), 1,
	    -1, NULL, NULL, NULL, "a malformed Content-Length", 1, "ab" },
	{ "Transfer-Encoding: chunked to our HTTP/1.0",
	    IN(H200 "Transfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"),
	    1, -1, NULL, NULL, NULL, "a Transfer-Encoding in the answer to an "
	    "HTTP/1.0 request", 1, "2\r\nab\r\n0\r\n\r\n" },
	{ "304 with validators and no length",
	    IN("HTTP/1.1 304 Not Modified\r\nETag: \"v2\"\r\n\r\n"), 1, 304,
	    "\"v2\"", NULL, NULL, NULL, 1, NULL },
	{ "304 with Content-Length: 0",
	    IN("HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n"
	    "Last-Modified: " LMV "\r\n\r\n"), 1, 304, NULL, LMV, NULL, NULL,
	    1, NULL },
	{ "304 to an unconditional request",
	    IN("HTTP/1.1 304 Not Modified\r\n\r\n"), 0, -1, NULL, NULL, NULL,
	    "304 Not Modified", 1, NULL },
	{ "404: its body is not read",
	    IN("HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!"), 1,
	    -1, NULL, NULL, NULL, "404 Not Found", 1, "no!" },
	{ "500 without a reason", IN("HTTP/1.0 500\r\n\r\n"), 1, -1, NULL,
	    NULL, NULL, "500", 1, NULL },
	{ "a reason with control bytes is shown escaped",
	    IN("HTTP/1.1 403 no\x1b[2J\r\n\r\n"), 1, -1, NULL, NULL, NULL,
	    "403 no\\x1b[2J", 1, NULL },
	{ "100 Continue first", IN("HTTP/1.1 100 Continue\r\nETag: \"no\"\r\n"
	    "\r\n" H200 "Content-Length: 1\r\n\r\nx"), 1, 200, NULL, NULL,
	    "x", NULL, 1, NULL },
	{ "lower-case names, odd spacing",
	    IN("HTTP/1.0 200 OK\r\netag:\t  \"x\" \t\r\nLAST-MODIFIED:" LMV
	    "  \r\ncontent-length:   3  \r\n\r\nabc"), 1, 200, "\"x\"", LMV,
	    "abc", NULL, 1, NULL },
	{ "longer names are other fields",
	    IN(H200 "X-ETag: 1\r\nETagged: 2\r\n\r\n"), 1, 200, NULL, NULL, "",
	    NULL, 0, NULL },
	{ "a folded value is unfolded",
	    IN(H200 "ETag: \"a\r\n b\"\r\nContent-Length: 1\r\n\r\nz"), 1,
	    200, "\"a b\"", NULL, "z", NULL, 1, NULL },
	{ "an empty value", IN(H200 "ETag:\r\n\r\n"), 1, 200, NULL, NULL, "",
	    NULL, 0, NULL },
	{ "the last of two ETags",
	    IN(H200 "ETag: \"1\"\r\nETag: \"2\"\r\n\r\n"), 1, 200, "\"2\"",
	    NULL, "", NULL, 0, NULL },
	{ "bare LF lines (RFC 9112 §2.2)",
	    IN("HTTP/1.1 200 OK\nContent-Length: 2\nETag: \"lf\"\n\nhi"), 1,
	    200, "\"lf\"", NULL, "hi", NULL, 1, NULL },
	{ "space before a colon", IN(H200 "ETag : \"x\"\r\n\r\n"), 1, -1,
	    NULL, NULL, NULL, NOT ": malformed header line", 1, "\r\n" },
	{ "white space before the first field",
	    IN(H200 " ETag: \"x\"\r\n\r\n"), 1, -1, NULL, NULL, NULL,
	    NOT ": white space before the first header line", 1, "\r\n" },
	{ "no blank line", IN(H200 "Content-Length: 2\r\n"), 1, -1, NULL,
	    NULL, NULL, NOT, 0, NULL },
	{ "a status line alone", IN("HTTP/1.1 200"), 1, -1, NULL, NULL, NULL,
	    NOT, 0, NULL },
	{ "nothing", IN(""), 1, -1, NULL, NULL, NULL, NOT, 0, NULL },
	{ "too short", IN("HTTP/1.1 2\r\n\r\n"), 1, -1, NULL, NULL, NULL,
	    NOT ": bad status line", 1, "\r\n" },
	{ "a short status line", IN("HTTP/1.\r\n\r\nabcdef"), 1, -1, NULL,
	    NULL, NULL, NOT ": bad status line", 1, "\r\nabcdef" },
	{ "HTTP/1.00", IN("HTTP/1.00\r\n\r\n"), 1, -1, NULL, NULL, NULL,
	    NOT ": bad status line", 1, "\r\n" },
	{ "a four-digit status", IN("HTTP/1.1 2000 OK\r\n\r\nx"), 1, -1,
	    NULL, NULL, NULL, NOT ": bad status line", 1, "\r\nx" },
	{ "not HTTP/1.x", IN("HTTP/2.0 200 OK\r\n\r\n"), 1, -1, NULL, NULL,
	    NULL, NOT ": bad status line", 1, "\r\n" },
	{ "a NUL in the header", IN(H200 "X: a\0b\r\n\r\nz"), 1, -1, NULL,
	    NULL, NULL, NOT ": NUL or bare CR in the header", 1, "\r\nz" },
	{ "a bare CR in the header", IN(H200 "X: a\rb\r\n\r\nz"), 1, -1,
	    NULL, NULL, NULL, NOT ": NUL or bare CR in the header", 1,
	    "\r\nz" },
};

/*
 * Feed in[0, len) as [0, cut), then steps of step bytes (0: the rest at
 * once), until the reply is whole or fails; then end it.  *left is what
 * was not used; *contract is cleared if a call used more than it was
 * given, or said PACR_MORE without using it all.
 */
static int
feed(const char *in, size_t len, size_t cut, size_t step, int cond,
    struct pac_validators *v, struct buf *body, char *err, size_t *left,
    int *whole, int *contract)
{
	struct pac_reply pr;
	enum pac_reply_rc rc = PACR_MORE;
	size_t pos = 0, end, used;
	int code;

	buf_init(body, PAC_MAX);
	memset(v, 0, sizeof(*v));
	*err = '\0';
	*contract = 1;
	pac_reply_init(&pr, cond, body);
	end = cut < len ? cut : len;
	for (;;) {
		used = (size_t)-1;
		rc = pac_reply_feed(&pr, in + pos, end - pos, &used);
		if (used > end - pos ||
		    (rc == PACR_MORE && used != end - pos)) {
			*contract = 0;
			break;
		}
		pos += used;
		if (rc != PACR_MORE || end == len)
			break;
		end = step == 0 || len - pos < step ? len : pos + step;
	}
	*left = len - pos;
	*whole = rc != PACR_MORE;
	code = pac_reply_end(&pr, cond ? v : NULL, err, ERR_MAX);
	pac_reply_free(&pr);
	return code;
}

static int
check(const struct rcase *c, size_t cut, size_t step, char *why)
{
	struct pac_validators v;
	struct buf body;
	char err[ERR_MAX];
	const char *left = c->leftover != NULL ? c->leftover : "";
	size_t nleft, llen = c->whole ? strlen(left) : 0;
	int rc, whole, contract, good = 0;

	rc = feed(c->in, c->len, cut, step, c->cond, &v, &body, err, &nleft,
	    &whole, &contract);
	if (!contract)
		snprintf(why, WHY_MAX, "used > len, or MORE with input left");
	else if (whole != c->whole)
		snprintf(why, WHY_MAX, "whole %d, want %d", whole, c->whole);
	else if (nleft != llen ||
	    memcmp(c->in + c->len - nleft, left, llen) != 0)
		snprintf(why, WHY_MAX, "%zu bytes left, want '%s'", nleft,
		    left);
	else if (rc != c->rc)
		snprintf(why, WHY_MAX, "rc %d, want %d (err '%s')", rc, c->rc,
		    err);
	else if (rc == -1 && strcmp(err, c->err) != 0)
		snprintf(why, WHY_MAX, "err '%s', want '%s'", err, c->err);
	else if (strcmp(v.etag, c->etag ? c->etag : "") != 0 ||
	    strcmp(v.last_modified, c->lm ? c->lm : "") != 0)
		snprintf(why, WHY_MAX, "validators '%s' '%s'", v.etag,
		    v.last_modified);
	else if (rc == 200 && (body.len != strlen(c->body) ||
	    memcmp(body.data ? body.data : "", c->body, body.len) != 0))
		snprintf(why, WHY_MAX, "body '%.*s', want '%s'", (int)body.len,
		    body.data ? body.data : "", c->body);
	else
		good = 1;
	buf_free(&body);
	return good;
}

/* A reply built at run time: head, n bytes of fill, tail. */
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

static int
feed_built(char *s, size_t len, int cond, struct pac_validators *v,
    struct buf *body, char *err)
{
	size_t left;
	int whole, contract, rc;

	rc = feed(s, len, len, 0, cond, v, body, err, &left, &whole,
	    &contract);
	free(s);
	return contract ? rc : -2;
}

static void
long_cases(void)
{
	struct pac_validators v;
	struct buf body;
	char err[ERR_MAX], line[128], *s;
	size_t len, i;
	int rc;

	/* A validator longer than the cache keeps is dropped, not cut. */
	s = build(H200 "ETag: \"", PAC_VALIDATOR_MAX, 'e', "\"\r\n"
	    "Last-Modified: " LMV "\r\nContent-Length: 1\r\n\r\nz", &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	ok(rc == 200 && v.etag[0] == '\0' && strcmp(v.last_modified, LMV) ==
	    0, "an ETag over %d bytes is dropped", PAC_VALIDATOR_MAX - 1);
	buf_free(&body);
	s = build(H200 "ETag: \"", PAC_VALIDATOR_MAX - 3, 'e', "\"\r\n\r\n",
	    &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	ok(rc == 200 && strlen(v.etag) == PAC_VALIDATOR_MAX - 1,
	    "an ETag of %d bytes is kept", PAC_VALIDATOR_MAX - 1);
	buf_free(&body);

	/* A long reason is cut in the message; a longer line is refused. */
	s = build("HTTP/1.1 404 ", 5000, 'r', "\r\n\r\n", &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	ok(rc == -1 && strncmp(err, "404 rrr", 7) == 0 && strlen(err) < 200,
	    "a 5000-byte reason is cut (%zu bytes)", strlen(err));
	buf_free(&body);
	s = build(H200 "X-Fill: ", HTTP_LINE_MAX, 'f', "\r\n\r\n", &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	is_int(rc, -1, "a header line over %d bytes", HTTP_LINE_MAX);
	is_str(err, NOT ": header line longer than 8192 bytes", "its message");
	buf_free(&body);

	/* The header section over the limit, in lines under it. */
	{
		struct buf h;

		buf_init(&h, 2 * HTTP_HEADER_MAX);
		buf_addstr(&h, H200);
		for (i = 0; i < 9; i++) {
			snprintf(line, sizeof(line), "X-Fill-%zu: ", i);
			buf_addstr(&h, line);
			while (h.len % 8000 != 0)
				buf_add(&h, "f", 1);
			buf_addstr(&h, "\r\n");
		}
		buf_addstr(&h, "\r\n");
		s = build(h.data, 0, 0, "", &len);
		buf_free(&h);
	}
	rc = feed_built(s, len, 1, &v, &body, err);
	is_int(rc, -1, "a header section over %d bytes", HTTP_HEADER_MAX);
	is_str(err, NOT ": header section exceeds 65536 bytes", "its message");
	buf_free(&body);

	/* A body over PAC_MAX: refused at its Content-Length, or as it
	 * comes. */
	s = build(H200 "Content-Length: 1048577\r\n\r\n", 10, 'b', "", &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	ok(rc == -1 && strcmp(err, "larger than 1024 KiB") == 0 &&
	    body.len == 0, "Content-Length: PAC_MAX + 1 (%s)", err);
	buf_free(&body);
	s = build(H200 "\r\n", PAC_MAX + 1, 'b', "", &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	ok(rc == -1 && strcmp(err, "larger than 1024 KiB") == 0,
	    "a body of PAC_MAX + 1 bytes to the end (%s)", err);
	buf_free(&body);
	s = build(H200 "Content-Length: 1048576\r\n\r\n", PAC_MAX, 'b', "",
	    &len);
	rc = feed_built(s, len, 1, &v, &body, err);
	ok(rc == 200 && body.len == PAC_MAX, "a body of PAC_MAX bytes");
	buf_free(&body);
}

int
main(void)
{
	char why[WHY_MAX];
	size_t i, cut;
	int good;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct rcase *c = &cases[i];

		if (!ok(check(c, c->len, 0, why), "%s: whole", c->name))
			printf("#   %s\n", why);
		for (good = 1, cut = 0; good && cut < c->len; cut++)
			good = check(c, cut, 0, why);
		if (!ok(good, "%s: split at every offset", c->name))
			printf("#   split at %zu: %s\n", cut - 1, why);
		if (!ok(check(c, 1, 1, why), "%s: a byte at a time", c->name))
			printf("#   %s\n", why);
	}
	long_cases();
	return done_testing();
}
