/*
 * The listener's CONNECT request parser.  Every request in the table is
 * fed whole, split in two at every offset, and one byte at a time; the
 * result, the target and the bytes left over after the header must be
 * the same each way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "tap.h"

#define IN(lit)		.in = (lit), .len = sizeof(lit) - 1

struct rcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	enum req_rc	 rc;
	const char	*host;		/* checked on REQ_DONE */
	unsigned	 port;
	const char	*method;	/* checked on REQ_METHOD */
	const char	*leftover;	/* NULL: "" */
};

static const struct rcase cases[] = {
	{ "plain CONNECT", IN("CONNECT example.org:443 HTTP/1.1\r\n"
	    "Host: example.org:443\r\n\r\n"), REQ_DONE, "example.org", 443 },
	{ "no fields, bare LF", IN("CONNECT a:1 HTTP/1.0\n\n"), REQ_DONE,
	    "a", 1 },
	{ "IPv6 literal", IN("CONNECT [2001:db8::1]:22 HTTP/1.1\r\n\r\n"),
	    REQ_DONE, "2001:db8::1", 22 },
	{ "bytes after the header stay", IN("CONNECT h:22 HTTP/1.1\r\n\r\n"
	    "SSH-2.0-x\r\n"), REQ_DONE, "h", 22, NULL, "SSH-2.0-x\r\n" },
	{ "empty lines first", IN("\r\n\r\nCONNECT h:80 HTTP/1.1\r\n\r\n"),
	    REQ_DONE, "h", 80 },
	{ "too many empty lines", IN("\r\n\r\n\r\n\r\n\r\nCONNECT h:80 "
	    "HTTP/1.1\r\n\r\n"), REQ_BAD_LINE },
	{ "GET is another method", IN("GET http://h/ HTTP/1.1\r\n\r\n"),
	    REQ_METHOD, NULL, 0, "GET" },
	{ "lower-case connect", IN("connect h:80 HTTP/1.1\r\n\r\n"),
	    REQ_METHOD, NULL, 0, "connect" },
	{ "incomplete", IN("CONNECT h:80 HTTP/1.1\r\nHost: h\r\n"),
	    REQ_MORE },
	{ "no port", IN("CONNECT h HTTP/1.1\r\n\r\n"), REQ_BAD_TARGET },
	{ "port 0", IN("CONNECT h:0 HTTP/1.1\r\n\r\n"), REQ_BAD_TARGET },
	{ "URL as target", IN("CONNECT http://h:80/ HTTP/1.1\r\n\r\n"),
	    REQ_BAD_TARGET },
	{ "no version", IN("CONNECT h:80\r\n\r\n"), REQ_BAD_LINE },
	{ "HTTP/2", IN("CONNECT h:80 HTTP/2.0\r\n\r\n"), REQ_BAD_LINE },
	{ "two spaces", IN("CONNECT  h:80 HTTP/1.1\r\n\r\n"), REQ_BAD_LINE },
	{ "space in target", IN("CONNECT h :80 HTTP/1.1\r\n\r\n"),
	    REQ_BAD_LINE },
	{ "bad method char", IN("CON(NECT h:80 HTTP/1.1\r\n\r\n"),
	    REQ_BAD_LINE },
	{ "TLS hello", IN("\x16\x03\x01\x02\x05\n"), REQ_BAD_LINE },
	{ "field without colon", IN("CONNECT h:80 HTTP/1.1\r\nHost\r\n\r\n"),
	    REQ_BAD_FIELD },
	{ "space before colon", IN("CONNECT h:80 HTTP/1.1\r\nHost : h\r\n"
	    "\r\n"), REQ_BAD_FIELD },
	{ "obs-fold", IN("CONNECT h:80 HTTP/1.1\r\nA: b\r\n c\r\n\r\n"),
	    REQ_BAD_FIELD },
	{ "bare CR", IN("CONNECT h:80 HTTP/1.1\r\nA: b\rc\r\n\r\n"),
	    REQ_BAD_CHAR },
	{ "NUL", IN("CONNECT h:80 HTTP/1.1\r\nA: b\0c\r\n\r\n"),
	    REQ_BAD_CHAR },
	{ "NUL in target", IN("CONNECT h\0:80 HTTP/1.1\r\n\r\n"),
	    REQ_BAD_CHAR },
};

/* Feed in[0..len) in two pieces, cut at cut; *pos: bytes used. */
static enum req_rc
feed(struct http_req *rq, const char *in, size_t len, size_t cut,
    size_t *pos)
{
	enum req_rc rc;
	size_t used;

	*pos = 0;
	if (cut > 0 && cut < len) {
		rc = request_feed(rq, in, cut, &used);
		*pos = used;
		if (rc != REQ_MORE)
			return rc;
	}
	rc = request_feed(rq, in + *pos, len - *pos, &used);
	*pos += used;
	return rc;
}

static enum req_rc
feed_bytes(struct http_req *rq, const char *in, size_t len, size_t *pos)
{
	enum req_rc rc = REQ_MORE;
	size_t used;

	for (*pos = 0; rc == REQ_MORE && *pos < len; *pos += used)
		rc = request_feed(rq, in + *pos, 1, &used);
	return rc;
}

/* Does the outcome match the case?  0 or a reason. */
static const char *
check(const struct rcase *c, const struct http_req *rq, enum req_rc rc,
    size_t pos)
{
	const char *left = c->leftover ? c->leftover : "";

	if (rc != c->rc)
		return request_strerror(rc);
	if (rc == REQ_DONE && (strcmp(rq->target.host, c->host) != 0 ||
	    rq->target.port != c->port))
		return "wrong target";
	if (rc == REQ_METHOD && strcmp(rq->method, c->method) != 0)
		return "wrong method";
	if (rc == REQ_DONE && (c->len - pos != strlen(left) ||
	    memcmp(c->in + pos, left, strlen(left)) != 0))
		return "wrong leftover";
	if (rc == REQ_MORE && pos != c->len)
		return "input not all used";
	return NULL;
}

static void
run_case(const struct rcase *c)
{
	struct http_req rq;
	const char *why;
	size_t cut, pos, bad = 0;
	enum req_rc rc;

	request_init(&rq);
	rc = feed(&rq, c->in, c->len, 0, &pos);
	why = check(c, &rq, rc, pos);
	if (!ok(why == NULL, "%s: whole", c->name))
		printf("#   %s\n", why);
	for (cut = 1; cut < c->len; cut++) {
		request_init(&rq);
		rc = feed(&rq, c->in, c->len, cut, &pos);
		if (check(c, &rq, rc, pos) != NULL && bad++ == 0)
			printf("#   at %zu: %s\n", cut, check(c, &rq, rc, pos));
	}
	ok(bad == 0, "%s: split in two at every offset", c->name);
	request_init(&rq);
	rc = feed_bytes(&rq, c->in, c->len, &pos);
	why = check(c, &rq, rc, pos);
	if (!ok(why == NULL, "%s: a byte at a time", c->name))
		printf("#   %s\n", why);
}

/* The reply parser's limits hold for the request too. */
static void
limits(void)
{
	static char big[HTTP_HEADER_MAX + 4096];
	struct http_req rq;
	size_t n, used, i;

	request_init(&rq);
	n = (size_t)snprintf(big, sizeof(big), "CONNECT h:1 HTTP/1.1\r\nA: ");
	memset(big + n, 'a', HTTP_LINE_MAX);
	is_int(request_feed(&rq, big, n + HTTP_LINE_MAX, &used),
	    REQ_LINE_TOO_LONG, "a field longer than HTTP_LINE_MAX");

	request_init(&rq);
	n = (size_t)snprintf(big, sizeof(big), "CONNECT h:1 HTTP/1.1\r\n");
	for (i = 0; i <= HTTP_FIELDS_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "F%zu: v\r\n",
		    i);
	is_int(request_feed(&rq, big, n, &used), REQ_TOO_MANY_FIELDS,
	    "more than HTTP_FIELDS_MAX fields");

	request_init(&rq);
	n = (size_t)snprintf(big, sizeof(big), "CONNECT h:1 HTTP/1.1\r\n");
	while (n + 1000 < sizeof(big)) {
		memcpy(big + n, "X: ", 3);
		memset(big + n + 3, 'x', 995);
		memcpy(big + n + 998, "\r\n", 2);
		n += 1000;
	}
	is_int(request_feed(&rq, big, n, &used), REQ_HEADER_TOO_LONG,
	    "a header beyond HTTP_HEADER_MAX");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	limits();
	return done_testing();
}
