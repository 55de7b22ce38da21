/*
 * The CONNECT reply parser, its framing rules, the 407 body reader and the
 * request writer.  Every reply in the tables is fed whole, split in two at
 * every offset, and one byte at a time; the result, the parsed fields and
 * the bytes left over after the header (or after the body) must be the
 * same each way (HOSTILE-INPUTS rows 1-21 and 25, 29-32).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "tap.h"
#include "util.h"

#define IN(lit)		.in = (lit), .len = sizeof(lit) - 1
#define WHY_MAX		512

struct hcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	enum http_rc	 rc;
	int		 status;	/* checked on HTTP_DONE */
	int		 minor;
	const char	*reason;	/* NULL: not checked */
	const char	*leftover;	/* after the header; NULL: "" */
	const char	*auth[HTTP_AUTH_MAX + 1];	/* NULL-terminated */
	size_t		 leftlen;	/* 0: strlen(leftover) */
};

/* Untrusted text for a diagnostic line: escaped, from a few rotating
 * buffers so that one printf can show several. */
static const char *
esc(const char *s)
{
	static char out[4][200];
	static int i;

	i = (i + 1) % 4;
	escape_text(out[i], sizeof(out[i]), s, strlen(s));
	return out[i];
}

static const char *
rcname(enum http_rc rc)
{
	static const char *const names[] = { "HTTP_MORE", "HTTP_DONE",
	    "HTTP_BAD_STATUS", "HTTP_BAD_FIELD", "HTTP_BAD_CHAR",
	    "HTTP_LEADING_WS", "HTTP_LINE_TOO_LONG", "HTTP_HEADER_TOO_LONG",
	    "HTTP_TOO_MANY_FIELDS", "HTTP_TOO_MANY_INTERIM", "HTTP_BAD_CHUNK",
	    "HTTP_NOMEM" };

	if ((size_t)rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	return "(unknown)";
}

/*
 * Feed in[0..len) as a first segment [0, cut), then segments of step bytes
 * (0: all the rest at once), until a result other than HTTP_MORE.  *consumed
 * is the sum of what each call said it used; *contract is cleared if a call
 * used more than it was given, or returned HTTP_MORE without using it all.
 */
static enum http_rc
feed(struct http_resp *rp, const char *in, size_t len, size_t cut,
    size_t step, size_t *consumed, int *contract)
{
	enum http_rc rc = HTTP_MORE;
	size_t pos = 0, end, used;

	*consumed = 0;
	*contract = 1;
	end = cut < len ? cut : len;
	for (;;) {
		used = (size_t)-1;
		rc = http_feed(rp, in + pos, end - pos, &used);
		if (used > end - pos || (rc == HTTP_MORE && used != end - pos))
			*contract = 0;
		if (used > end - pos)
			break;
		*consumed += used;
		if (rc != HTTP_MORE || end == len)
			break;
		pos = end;
		end = step == 0 || len - pos < step ? len : pos + step;
	}
	return rc;
}

/* Does the parser's state after feeding match the case?  If not, why. */
static int
matches(const struct hcase *c, const struct http_resp *rp, enum http_rc rc,
    size_t consumed, int contract, char *why)
{
	const char *left = c->leftover != NULL ? c->leftover : "";
	size_t i, n, llen = c->leftlen != 0 ? c->leftlen : strlen(left);

	if (!contract) {
		snprintf(why, WHY_MAX, "used > len, or HTTP_MORE with input "
		    "left");
		return 0;
	}
	if (rc != c->rc) {
		snprintf(why, WHY_MAX, "rc %s, want %s", rcname(rc),
		    rcname(c->rc));
		return 0;
	}
	if (rc != HTTP_DONE)
		return 1;
	if (rp->status != c->status || rp->minor != c->minor) {
		snprintf(why, WHY_MAX, "status %d minor %d, want %d minor %d",
		    rp->status, rp->minor, c->status, c->minor);
		return 0;
	}
	if (c->reason != NULL && strcmp(rp->reason, c->reason) != 0) {
		snprintf(why, WHY_MAX, "reason '%s', want '%s'",
		    esc(rp->reason), esc(c->reason));
		return 0;
	}
	if (c->len - consumed != llen ||
	    memcmp(c->in + consumed, left, llen) != 0) {
		snprintf(why, WHY_MAX, "header used %zu bytes, leaving %zu; "
		    "want leftover '%s'", consumed, c->len - consumed,
		    esc(left));
		return 0;
	}
	for (n = 0; c->auth[n] != NULL; n++)
		;
	if (rp->nauth != n) {
		snprintf(why, WHY_MAX, "%zu Proxy-Authenticate values, "
		    "want %zu", rp->nauth, n);
		return 0;
	}
	for (i = 0; i < n; i++)
		if (strcmp(rp->auth[i], c->auth[i]) != 0) {
			snprintf(why, WHY_MAX, "auth[%zu] '%s', want '%s'", i,
			    esc(rp->auth[i]), esc(c->auth[i]));
			return 0;
		}
	return 1;
}

static int
run_one(const struct hcase *c, size_t cut, size_t step, char *why)
{
	struct http_resp rp;
	enum http_rc rc;
	size_t consumed;
	int contract, r;

	http_resp_init(&rp);
	rc = feed(&rp, c->in, c->len, cut, step, &consumed, &contract);
	r = matches(c, &rp, rc, consumed, contract, why);
	http_resp_free(&rp);
	return r;
}

/*
 * Whole, split in two at every stride-th offset (and at each of the first
 * and last 64), and one byte at a time: three checks per case.
 */
static void
run_case(const struct hcase *c, size_t stride)
{
	char why[WHY_MAX], first[WHY_MAX];
	size_t k, bad = 0, tried = 0, badk = 0;

	if (!ok(run_one(c, c->len, 0, why), "%s: whole", c->name))
		printf("#   %s\n", why);
	for (k = 0; k <= c->len; k++) {
		if (k % stride != 0 && k > 64 && c->len - k > 64)
			continue;
		tried++;
		if (!run_one(c, k, 0, why) && bad++ == 0) {
			badk = k;
			memcpy(first, why, sizeof(first));
		}
	}
	if (!ok(bad == 0, "%s: split in two at %zu offsets", c->name, tried))
		printf("#   %zu splits differ; at offset %zu: %s\n", bad, badk,
		    first);
	if (!ok(run_one(c, 0, 1, why), "%s: one byte at a time", c->name))
		printf("#   %s\n", why);
}

static const struct hcase replies[] = {
	/* Rows 1 and 3-4: any 2xx, with or without a reason phrase. */
	{ "200 with the target's banner in the same segment",
	    IN("HTTP/1.1 200 OK\r\n\r\nSSH-2.0-OpenSSH_9.2p1\r\n"),
	    HTTP_DONE, 200, 1, "OK", "SSH-2.0-OpenSSH_9.2p1\r\n", { NULL } },
	{ "200 leaves exactly the bytes after the blank line",
	    IN("HTTP/1.1 200 OK\r\n\r\nSSH-2.0-banner"),
	    HTTP_DONE, 200, 1, "OK", "SSH-2.0-banner", { NULL } },
	{ .name = "200 followed by binary tunnel bytes with CRLFCRLF, NUL, "
	    "0xff (row 74)",
	    IN("HTTP/1.1 200 OK\r\n\r\n\r\n\r\n\0\xff"),
	    .rc = HTTP_DONE, .status = 200, .minor = 1, .reason = "OK",
	    .leftover = "\r\n\r\n\0\xff", .leftlen = 6 },
	{ "squid 200",
	    IN("HTTP/1.1 200 Connection established\r\n\r\n"),
	    HTTP_DONE, 200, 1, "Connection established", NULL, { NULL } },
	{ "tinyproxy 200 (HTTP/1.0, Proxy-agent)",
	    IN("HTTP/1.0 200 Connection established\r\n"
	    "Proxy-agent: tinyproxy/1.11.1\r\n\r\nx"),
	    HTTP_DONE, 200, 0, "Connection established", "x", { NULL } },
	{ "200 without a reason phrase",
	    IN("HTTP/1.1 200\r\n\r\n"), HTTP_DONE, 200, 1, "", NULL, { NULL } },
	{ "200 with an empty reason phrase",
	    IN("HTTP/1.1 200 \r\n\r\n"), HTTP_DONE, 200, 1, "", NULL,
	    { NULL } },
	{ "204 is a 2xx",
	    IN("HTTP/1.1 204 \r\n\r\n"), HTTP_DONE, 204, 1, "", NULL,
	    { NULL } },
	{ "299 is a 2xx",
	    IN("HTTP/1.1 299 x\r\n\r\n"), HTTP_DONE, 299, 1, "x", NULL,
	    { NULL } },
	{ "reason phrase with spaces, tab and obs-text kept as sent",
	    IN("HTTP/1.1 200 Tout \tva bien \xc3\xa9\r\n\r\n"),
	    HTTP_DONE, 200, 1, "Tout \tva bien \xc3\xa9", NULL, { NULL } },
	{ "HTTP/1.0 200",
	    IN("HTTP/1.0 200 OK\r\n\r\n"), HTTP_DONE, 200, 0, "OK", NULL,
	    { NULL } },
	{ "HTTP/1.9 is a 1.x version",
	    IN("HTTP/1.9 200 OK\r\n\r\n"), HTTP_DONE, 200, 9, "OK", NULL,
	    { NULL } },
	{ "a 200 then a second status line: the second is tunnel data",
	    IN("HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 403 Forbidden\r\n\r\n"),
	    HTTP_DONE, 200, 1, "OK", "HTTP/1.1 403 Forbidden\r\n\r\n",
	    { NULL } },

	/* Row 5: the version is case-sensitive DIGIT "." DIGIT, 1.x only. */
	{ "lowercase http/1.1", IN("http/1.1 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "Http/1.1", IN("Http/1.1 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "HTTP/2.0", IN("HTTP/2.0 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "HTTP/0.9", IN("HTTP/0.9 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "HTTP/1.10", IN("HTTP/1.10 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "HTTP/1", IN("HTTP/1 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "HTTP/ 200", IN("HTTP/ 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "HTTPS/1.1", IN("HTTPS/1.1 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "leading space before the version", IN(" HTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "empty line before the status line",
	    IN("\r\nHTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },

	/* Row 6: status-code = 3DIGIT, 100-599. */
	{ "code 20", IN("HTTP/1.1 20 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code 20 at end of line", IN("HTTP/1.1 20\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code 2000", IN("HTTP/1.1 2000 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code +200", IN("HTTP/1.1 +200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "two spaces before the code", IN("HTTP/1.1  200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code 2OO (letters O)", IN("HTTP/1.1 2OO OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code 099", IN("HTTP/1.1 099 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code 600", IN("HTTP/1.1 600 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "code glued to the reason", IN("HTTP/1.1 200OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "tab between the version and the code",
	    IN("HTTP/1.1\t200 OK\r\n\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },

	/* Row 7: no status line at all. */
	{ "an HTML page instead of a reply",
	    IN("<!DOCTYPE html>\n<html><head><title>Blocked</title></head>"
	    "<body>Access denied</body></html>\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "binary garbage with a newline",
	    IN("\x16\x03\x01\x02\xfc\x03\x03\x8a\x7f\xee\n\x01\x02"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },
	{ "a TLS ServerHello (NUL bytes) instead of a reply",
	    IN("\x16\x03\x03\x00\x5a\x02\x00\x00\x56\x03\x03\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },
	{ "an SSH banner instead of a reply",
	    IN("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"),
	    HTTP_BAD_STATUS, 0, 0, NULL, NULL, { NULL } },

	/* Row 9: bare CR is invalid. */
	{ "bare CR in the reason phrase", IN("HTTP/1.1 200 O\rK\r\n\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },
	{ "bare CR in a header value",
	    IN("HTTP/1.1 200 OK\r\nVia: 1.1\rproxy\r\n\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },
	{ "CR CR LF as the blank line", IN("HTTP/1.1 200 OK\r\n\r\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },
	{ "CR-only line endings",
	    IN("HTTP/1.1 200 OK\rVia: x\r\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },

	/* Row 10: bare LF accepted. */
	{ "LF-only line endings",
	    IN("HTTP/1.1 200 OK\nVia: 1.1 squid\n\nSSH-2.0-x"),
	    HTTP_DONE, 200, 1, "OK", "SSH-2.0-x", { NULL } },
	{ "mixed CRLF and LF endings",
	    IN("HTTP/1.1 407 Auth\nProxy-Authenticate: Basic realm=\"a\"\r\n"
	    "Content-Length: 0\n\r\nz"),
	    HTTP_DONE, 407, 1, "Auth", "z", { "Basic realm=\"a\"", NULL } },

	/* Row 11: NUL. */
	{ "NUL in the status line", IN("HTTP/1.1 200 O\0K\r\n\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },
	{ "NUL in a header value",
	    IN("HTTP/1.1 200 OK\r\nX-A: b\0c\r\n\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },
	{ "NUL in a header name",
	    IN("HTTP/1.1 407 x\r\nProxy-Authenticate\0: Basic\r\n\r\n"),
	    HTTP_BAD_CHAR, 0, 0, NULL, NULL, { NULL } },

	/* Rows 12-13: malformed field lines. */
	{ "header line without a colon",
	    IN("HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },
	{ "header line with an empty name",
	    IN("HTTP/1.1 200 OK\r\n: value\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },
	{ "space before the colon",
	    IN("HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate : Basic realm=\"x\"\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },
	{ "tab before the colon",
	    IN("HTTP/1.1 407 x\r\nProxy-Authenticate\t: Basic\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },
	{ "space inside the name", IN("HTTP/1.1 200 OK\r\nX A: b\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },
	{ "non-token byte in the name",
	    IN("HTTP/1.1 200 OK\r\nX\xc3\xa9: b\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },
	{ "a second status line among the headers",
	    IN("HTTP/1.1 200 OK\r\nHTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_BAD_FIELD, 0, 0, NULL, NULL, { NULL } },

	/* Row 14: white space right after the status line. */
	{ "space-led line right after the status line",
	    IN("HTTP/1.1 200 OK\r\n X: y\r\n\r\n"),
	    HTTP_LEADING_WS, 0, 0, NULL, NULL, { NULL } },
	{ "tab-led line right after the status line",
	    IN("HTTP/1.1 407 x\r\n\tProxy-Authenticate: Basic\r\n\r\n"),
	    HTTP_LEADING_WS, 0, 0, NULL, NULL, { NULL } },
	{ "white space line right after a 100's status line",
	    IN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n x\r\n\r\n"),
	    HTTP_LEADING_WS, 0, 0, NULL, NULL, { NULL } },

	/* Row 15: obs-fold is unfolded into one SP, never a new field. */
	{ "folded Proxy-Authenticate becomes one value",
	    IN("HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Basic\r\n   realm=\"proxy\"\r\n"
	    "Content-Length: 0\r\n\r\n"),
	    HTTP_DONE, 407, 1, "Proxy Authentication Required", NULL,
	    { "Basic realm=\"proxy\"", NULL } },
	{ "folded over three lines with tabs",
	    IN("HTTP/1.1 407 x\r\n"
	    "Proxy-Authenticate: Digest realm=\"a\",\r\n\tnonce=\"n\",\r\n"
	    " \t qop=\"auth\"\r\n\r\nBODY"),
	    HTTP_DONE, 407, 1, "x", "BODY",
	    { "Digest realm=\"a\", nonce=\"n\", qop=\"auth\"", NULL } },
	{ "a folded line that looks like a field is not a field",
	    IN("HTTP/1.1 407 x\r\nX-Note: a\r\n Proxy-Authenticate: Basic\r\n"
	    "\r\n"),
	    HTTP_DONE, 407, 1, "x", NULL, { NULL } },
	{ "fold of a Content-Length value is unfolded before use",
	    IN("HTTP/1.1 407 x\r\nProxy-Authenticate: Basic realm=\"r\"\r\n"
	    "Content-Length:\r\n 3\r\n\r\nabc"),
	    HTTP_DONE, 407, 1, "x", "abc", { "Basic realm=\"r\"", NULL } },

	/* Row 16: a 2xx's Content-Length and Transfer-Encoding are ignored. */
	{ "200 with Content-Length: 5 and chunked",
	    IN("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\nhello world"),
	    HTTP_DONE, 200, 1, "OK", "hello world", { NULL } },
	{ "200 with Content-Length: 0 then tunnel bytes",
	    IN("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n0\r\n\r\n"),
	    HTTP_DONE, 200, 1, "OK", "0\r\n\r\n", { NULL } },

	/* Rows 17-18: interim replies. */
	{ "100 then 200",
	    IN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nX"),
	    HTTP_DONE, 200, 1, "OK", "X", { NULL } },
	{ "a 1xx's fields are forgotten",
	    IN("HTTP/1.1 103 Early Hints\r\nProxy-Authenticate: Basic\r\n"
	    "Link: </a>\r\n\r\nHTTP/1.1 407 No\r\n"
	    "Proxy-Authenticate: Digest realm=\"r\", nonce=\"1\"\r\n\r\n"),
	    HTTP_DONE, 407, 1, "No", NULL,
	    { "Digest realm=\"r\", nonce=\"1\"", NULL } },
	{ "101 is final and not 2xx",
	    IN("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\nrest"),
	    HTTP_DONE, 101, 1, "Switching Protocols", "rest", { NULL } },
	{ "five interim replies then 200",
	    IN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_DONE, 200, 1, "OK", NULL, { NULL } },
	{ "six interim replies",
	    IN("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_TOO_MANY_INTERIM, 0, 0, NULL, NULL, { NULL } },

	/* Row 21: a reply cut short is never a success. */
	{ "EOF after the status line", IN("HTTP/1.1 200 OK\r\n"),
	    HTTP_MORE, 0, 0, NULL, NULL, { NULL } },
	{ "EOF inside the blank line", IN("HTTP/1.1 200 OK\r\n\r"),
	    HTTP_MORE, 0, 0, NULL, NULL, { NULL } },
	{ "EOF after a field", IN("HTTP/1.1 200 OK\r\nVia: x\r\n"),
	    HTTP_MORE, 0, 0, NULL, NULL, { NULL } },
	{ "nothing at all", IN(""), HTTP_MORE, 0, 0, NULL, NULL, { NULL } },

	/* Row 25 and 34: refusals and challenges as squid and tinyproxy
	 * send them; the body is never part of the header. */
	{ "squid 403 with an HTML body",
	    IN("HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\n"
	    "Mime-Version: 1.0\r\nDate: Tue, 11 Jun 2024 09:12:44 GMT\r\n"
	    "Content-Type: text/html;charset=utf-8\r\nContent-Length: 27\r\n"
	    "X-Squid-Error: ERR_ACCESS_DENIED 0\r\nVary: Accept-Language\r\n"
	    "Content-Language: en\r\nCache-Status: proxy\r\n"
	    "Via: 1.1 proxy (squid/5.7)\r\nConnection: keep-alive\r\n\r\n"
	    "<html>Access Denied.</html>"),
	    HTTP_DONE, 403, 1, "Forbidden", "<html>Access Denied.</html>",
	    { NULL } },
	{ "tinyproxy 502 with Connection: close",
	    IN("HTTP/1.0 502 Unable to connect\r\nServer: tinyproxy/1.11.1\r\n"
	    "Content-Type: text/html\r\nConnection: close\r\n\r\n"
	    "<html><body>Unable to connect</body></html>\n"),
	    HTTP_DONE, 502, 0, "Unable to connect",
	    "<html><body>Unable to connect</body></html>\n", { NULL } },
	{ "squid 503 ERR_CONNECT_FAIL",
	    IN("HTTP/1.1 503 Service Unavailable\r\nServer: squid\r\n"
	    "X-Squid-Error: ERR_CONNECT_FAIL 111\r\nContent-Length: 4\r\n\r\n"
	    "fail"),
	    HTTP_DONE, 503, 1, "Service Unavailable", "fail", { NULL } },
	{ "squid 407: several Proxy-Authenticate fields, in order",
	    IN("HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Server: squid/5.7\r\n"
	    "Proxy-Authenticate: Negotiate\r\n"
	    "Proxy-Authenticate: NTLM\r\n"
	    "X-Squid-Error: ERR_CACHE_ACCESS_DENIED 0\r\n"
	    "proxy-authenticate: Digest realm=\"Squid proxy-caching web "
	    "server\", nonce=\"cGkzZgAAAABsAAAA4C+IVQAAAAAAAAAA\", "
	    "qop=\"auth\", stale=false\r\n"
	    "PROXY-AUTHENTICATE:Basic realm=\"Squid proxy-caching web server\""
	    "\r\nContent-Length: 0\r\n\r\n"),
	    HTTP_DONE, 407, 1, "Proxy Authentication Required", NULL,
	    { "Negotiate", "NTLM", "Digest realm=\"Squid proxy-caching web "
	    "server\", nonce=\"cGkzZgAAAABsAAAA4C+IVQAAAAAAAAAA\", "
	    "qop=\"auth\", stale=false",
	    "Basic realm=\"Squid proxy-caching web server\"", NULL } },
	{ "Proxy-Authenticate value trimmed of OWS on both sides",
	    IN("HTTP/1.1 407 x\r\nProxy-Authenticate: \t Basic realm=\"a b\""
	    " \t \r\n\r\n"),
	    HTTP_DONE, 407, 1, "x", NULL, { "Basic realm=\"a b\"", NULL } },
	{ "empty Proxy-Authenticate value is kept as empty",
	    IN("HTTP/1.1 407 x\r\nProxy-Authenticate:\r\n\r\n"),
	    HTTP_DONE, 407, 1, "x", NULL, { "", NULL } },
	{ "RFC 9110 11.6.1 example: two challenges in one field",
	    IN("HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Proxy-Authenticate: Newauth realm=\"apps\", type=1,\r\n"
	    "                    title=\"Login to \\\"apps\\\"\", "
	    "Basic realm=\"simple\"\r\n\r\n"),
	    HTTP_DONE, 407, 1, NULL, NULL,
	    { "Newauth realm=\"apps\", type=1, "
	    "title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
	    NULL } },
};

/* Build a reply in a heap buffer; the caller frees c->in. */
static char *
grow(char *p, size_t *len, const char *s, size_t n)
{
	p = realloc(p, *len + n + 1);
	if (p == NULL) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	memcpy(p + *len, s, n);
	*len += n;
	p[*len] = '\0';
	return p;
}

static void
run_built(struct hcase *c, char *p, size_t len, size_t stride)
{
	c->in = p;
	c->len = len;
	run_case(c, stride);
	free(p);
}

/* Rows 8, 18-20: the limits, each just inside and just over. */
static void
test_limits(void)
{
	struct hcase c;
	struct http_resp rp;
	char line[HTTP_LINE_MAX + 16], *p;
	size_t len, i, used;
	enum http_rc rc;

	/* Row 8: a 64 KiB status line with no newline. */
	p = malloc(64 * 1024);
	memcpy(p, "HTTP/1.1 200 ", 13);
	memset(p + 13, 'A', 64 * 1024 - 13);
	http_resp_init(&rp);
	rc = http_feed(&rp, p, 64 * 1024, &used);
	is_int(rc, HTTP_LINE_TOO_LONG,
	    "64 KiB line, no newline: line too long");
	ok(used <= 64 * 1024 && rp.linelen <= HTTP_LINE_MAX &&
	    rp.head.size <= 1024,
	    "64 KiB line: nothing buffered beyond the line limit "
	    "(used %zu, linelen %zu, head %zu)", used, rp.linelen,
	    rp.head.size);
	http_resp_free(&rp);
	memset(&c, 0, sizeof(c));
	c.name = "64 KiB line, no newline";
	c.rc = HTTP_LINE_TOO_LONG;
	run_built(&c, p, 64 * 1024, 4099);

	/* A field line of exactly HTTP_LINE_MAX bytes is accepted, with
	 * either ending; one more byte is not. */
	for (i = 0; i < 3; i++) {
		size_t n = HTTP_LINE_MAX - (i == 1 ? 1 : 0);
		const char *end = i == 0 ? "\n" : "\r\n";

		p = NULL;
		len = 0;
		p = grow(p, &len, "HTTP/1.1 200 OK\r\n", 17);
		memset(line, 'v', sizeof(line));
		memcpy(line, "X-Long: ", 8);
		p = grow(p, &len, line, n);
		p = grow(p, &len, end, strlen(end));
		p = grow(p, &len, "\r\nT", 3);
		memset(&c, 0, sizeof(c));
		c.status = 200;
		c.minor = 1;
		c.reason = "OK";
		c.leftover = "T";
		if (i == 0) {
			c.name = "field line of exactly 8192 bytes + LF";
			c.rc = HTTP_DONE;
		} else if (i == 1) {
			c.name = "field line of 8191 bytes + CRLF";
			c.rc = HTTP_DONE;
		} else {
			c.name = "field line of 8192 bytes + CRLF";
			c.rc = HTTP_LINE_TOO_LONG;
		}
		run_built(&c, p, len, 1021);
	}

	/* obs-fold: the unfolded field is bounded like a line, though each
	 * of its lines is short.  "X-F: " + a, then SP + b: 8192 bytes in
	 * all once unfolded, then 8193. */
	for (i = 0; i < 2; i++) {
		size_t a = 5000, b = HTTP_LINE_MAX - 5000 - 1 + i;

		p = NULL;
		len = 0;
		p = grow(p, &len, "HTTP/1.1 407 x\r\n", 16);
		memset(line, 'f', sizeof(line));
		memcpy(line, "X-F: ", 5);
		p = grow(p, &len, line, a);
		p = grow(p, &len, "\r\n \t ", 5);
		memset(line, 'g', sizeof(line));
		p = grow(p, &len, line, b);
		p = grow(p, &len, "\r\n\r\n", 4);
		memset(&c, 0, sizeof(c));
		c.name = i == 0 ? "a folded field of 8192 bytes once unfolded" :
		    "a folded field of 8193 bytes once unfolded";
		c.rc = i == 0 ? HTTP_DONE : HTTP_LINE_TOO_LONG;
		c.status = 407;
		c.minor = 1;
		c.reason = "x";
		run_built(&c, p, len, 509);
	}

	/* Row 20: one 20 KiB header line. */
	p = NULL;
	len = 0;
	p = grow(p, &len,
	    "HTTP/1.1 407 x\r\nProxy-Authenticate: Basic realm=\"", 48);
	for (i = 0; i < 20 * 1024; i++)
		p = grow(p, &len, "r", 1);
	p = grow(p, &len, "\"\r\n\r\n", 5);
	memset(&c, 0, sizeof(c));
	c.name = "20 KiB header line";
	c.rc = HTTP_LINE_TOO_LONG;
	run_built(&c, p, len, 997);

	/* Row 19: field count, 100 and 101. */
	for (i = 0; i < 2; i++) {
		size_t k, n = HTTP_FIELDS_MAX + i;
		char f[64];

		p = NULL;
		len = 0;
		p = grow(p, &len, "HTTP/1.1 200 OK\r\n", 17);
		for (k = 0; k < n; k++) {
			snprintf(f, sizeof(f), "X-F%zu: %zu\r\n", k, k);
			p = grow(p, &len, f, strlen(f));
		}
		p = grow(p, &len, "\r\n", 2);
		memset(&c, 0, sizeof(c));
		c.name = i == 0 ? "100 header fields" : "101 header fields";
		c.rc = i == 0 ? HTTP_DONE : HTTP_TOO_MANY_FIELDS;
		c.status = 200;
		c.minor = 1;
		c.reason = "OK";
		run_built(&c, p, len, 97);
	}

	/* Row 19: header bytes, 65536 and 65537 in all (with the 17-byte
	 * status line, 2-byte blank line and 64 fields of 1022 bytes plus
	 * one field that makes up the rest). */
	for (i = 0; i < 2; i++) {
		size_t k, rest;

		p = NULL;
		len = 0;
		p = grow(p, &len, "HTTP/1.1 200 OK\r\n", 17);
		memset(line, 'h', sizeof(line));
		memcpy(line, "X-Pad: ", 7);
		line[1020] = '\r';
		line[1021] = '\n';
		for (k = 0; k < 63; k++)
			p = grow(p, &len, line, 1022);
		/* The last field, its CRLF and the blank line make up the
		 * rest. */
		rest = HTTP_HEADER_MAX + i - len - 2 - 2;
		memset(line, 'h', sizeof(line));
		memcpy(line, "X-Last: ", 8);
		p = grow(p, &len, line, rest);
		p = grow(p, &len, "\r\n\r\nTUN", 7);
		memset(&c, 0, sizeof(c));
		c.name = i == 0 ? "header section of exactly 65536 bytes" :
		    "header section of 65537 bytes";
		c.rc = i == 0 ? HTTP_DONE : HTTP_HEADER_TOO_LONG;
		c.status = 200;
		c.minor = 1;
		c.reason = "OK";
		c.leftover = "TUN";
		run_built(&c, p, len, 4099);
	}

	/* The header cap counts 1xx replies too. */
	p = NULL;
	len = 0;
	for (i = 0; i < 5; i++) {
		size_t k;

		p = grow(p, &len, "HTTP/1.1 100 Continue\r\n", 23);
		memset(line, 'c', sizeof(line));
		memcpy(line, "X-C: ", 5);
		line[8000] = '\r';
		line[8001] = '\n';
		for (k = 0; k < 2; k++)
			p = grow(p, &len, line, 8002);
		p = grow(p, &len, "\r\n", 2);
	}
	p = grow(p, &len, "HTTP/1.1 200 OK\r\n\r\n", 19);
	memset(&c, 0, sizeof(c));
	c.name = "five 16 KB interim replies exceed the header cap";
	c.rc = HTTP_HEADER_TOO_LONG;
	run_built(&c, p, len, 4099);

	/* Row 34 with more fields than HTTP_AUTH_MAX: the first ones kept. */
	p = NULL;
	len = 0;
	p = grow(p, &len, "HTTP/1.1 407 x\r\n", 16);
	for (i = 0; i < HTTP_AUTH_MAX + 2; i++) {
		snprintf(line, sizeof(line), "Proxy-Authenticate: S%zu\r\n", i);
		p = grow(p, &len, line, strlen(line));
	}
	p = grow(p, &len, "\r\n", 2);
	memset(&c, 0, sizeof(c));
	{
		static char names[HTTP_AUTH_MAX][24];

		for (i = 0; i < HTTP_AUTH_MAX; i++) {
			snprintf(names[i], sizeof(names[i]), "S%zu", i);
			c.auth[i] = names[i];
		}
	}
	c.name = "18 Proxy-Authenticate fields: the first 16 are kept";
	c.rc = HTTP_DONE;
	c.status = 407;
	c.minor = 1;
	c.reason = "x";
	run_built(&c, p, len, 1);

	/*
	 * Row 2: the result must not depend on how the bytes arrive.  A
	 * 9000-byte line that starts 60000 bytes into the header crosses the
	 * 64 KiB header cap before it crosses the 8 KiB line cap.
	 */
	p = NULL;
	len = 0;
	p = grow(p, &len, "HTTP/1.1 200 OK\r\n", 17);
	memset(line, 'h', sizeof(line));
	memcpy(line, "X-Pad: ", 7);
	line[998] = '\r';
	line[999] = '\n';
	for (i = 0; i < 60; i++)
		p = grow(p, &len, line, 1000);
	{
		char *big = malloc(9000);

		memset(big, 'b', 9000);
		memcpy(big, "X-Big: ", 7);
		p = grow(p, &len, big, 9000);
		free(big);
	}
	p = grow(p, &len, "\r\n\r\n", 4);
	memset(&c, 0, sizeof(c));
	c.name = "a long line crossing the header cap: same error however fed";
	c.rc = HTTP_HEADER_TOO_LONG;
	run_built(&c, p, len, 4099);
}

/* The trace buffer holds the lines seen, without their CR. */
static void
test_head_trace(void)
{
	static const char in[] = "HTTP/1.1 100 Continue\r\n\r\n"
	    "HTTP/1.1 407 No\r\nVia: 1.1 a\nProxy-Authenticate: Basic\r\n"
	    " realm=\"x\"\r\n\r\nbody";
	struct http_resp rp;
	size_t used;

	http_resp_init(&rp);
	is_int(http_feed(&rp, in, sizeof(in) - 1, &used), HTTP_DONE,
	    "trace: reply parsed");
	is_str(rp.head.data, "HTTP/1.1 100 Continue\n\nHTTP/1.1 407 No\n"
	    "Via: 1.1 a\nProxy-Authenticate: Basic\n realm=\"x\"\n\n",
	    "trace: every line, 1xx included, without CR");
	is_int(used, sizeof(in) - 1 - 4, "trace: the body is not part of it");
	http_resp_free(&rp);
}

static void
test_reason_truncated(void)
{
	char in[400];
	struct http_resp rp;
	size_t used;
	int n;

	n = snprintf(in, sizeof(in), "HTTP/1.1 403 %0300d\r\n\r\n", 0);
	http_resp_init(&rp);
	is_int(http_feed(&rp, in, (size_t)n, &used), HTTP_DONE,
	    "300-byte reason: accepted");
	is_int(strlen(rp.reason), sizeof(rp.reason) - 1,
	    "300-byte reason: kept to %zu bytes, NUL-terminated",
	    sizeof(rp.reason) - 1);
	ok(strspn(rp.reason, "0") == sizeof(rp.reason) - 1,
	    "300-byte reason: its first bytes");
	http_resp_free(&rp);
}

/* http_framing and http_reusable after a final reply (rows 29-32). */
struct fcase {
	const char		*name;
	const char		*in;
	enum http_framing	 framing;
	int			 reusable;
	uint64_t		 length;	/* checked for HF_LENGTH */
};

static const char *
framename(enum http_framing f)
{
	switch (f) {
	case HF_NONE:
		return "HF_NONE";
	case HF_LENGTH:
		return "HF_LENGTH";
	case HF_CHUNKED:
		return "HF_CHUNKED";
	case HF_CLOSE:
		return "HF_CLOSE";
	case HF_INVALID:
		return "HF_INVALID";
	}
	return "(unknown)";
}

#define R407	"HTTP/1.1 407 Proxy Authentication Required\r\n" \
		"Proxy-Authenticate: Basic realm=\"p\"\r\n"
#define R407_10	"HTTP/1.0 407 Proxy Authentication Required\r\n" \
		"Proxy-Authenticate: Basic realm=\"p\"\r\n"

static const struct fcase framings[] = {
	{ "1.1 407 with Content-Length", R407 "Content-Length: 10\r\n\r\n",
	    HF_LENGTH, 1, 10 },
	{ "1.0 407 with Content-Length", R407_10 "Content-Length: 10\r\n\r\n",
	    HF_LENGTH, 0, 10 },
	{ "1.0 407 with Content-Length and Connection: keep-alive",
	    R407_10 "Connection: keep-alive\r\nContent-Length: 10\r\n\r\n",
	    HF_LENGTH, 1, 10 },
	{ "1.0 407 with Proxy-Connection: Keep-Alive (curl test 265)",
	    R407_10 "Proxy-Connection: Keep-Alive\r\n"
	    "Content-Length: 10\r\n\r\n",
	    HF_LENGTH, 1, 10 },
	{ "1.1 407 with Content-Length and Connection: close",
	    R407 "Content-Length: 10\r\nConnection: close\r\n\r\n",
	    HF_LENGTH, 0, 10 },
	{ "Connection: Upgrade, CLOSE", R407 "Connection: Upgrade, CLOSE\r\n"
	    "Content-Length: 1\r\n\r\n", HF_LENGTH, 0, 1 },
	{ "Proxy-Connection: close", R407 "Proxy-Connection: close\r\n"
	    "Content-Length: 1\r\n\r\n", HF_LENGTH, 0, 1 },
	{ "Connection: closed is not close", R407 "Connection: closed\r\n"
	    "Content-Length: 1\r\n\r\n", HF_LENGTH, 1, 1 },
	{ "1.1 407 chunked", R407 "Transfer-Encoding: chunked\r\n\r\n",
	    HF_CHUNKED, 1, 0 },
	{ "chunked in capitals", R407 "Transfer-Encoding: CHUNKED\r\n\r\n",
	    HF_CHUNKED, 1, 0 },
	{ "gzip, chunked", R407 "Transfer-Encoding: gzip, chunked\r\n\r\n",
	    HF_CHUNKED, 1, 0 },
	{ "chunked, gzip: not chunked last, read until close",
	    R407 "Transfer-Encoding: chunked, gzip\r\n\r\n", HF_CLOSE, 0, 0 },
	{ "Transfer-Encoding: gzip", R407 "Transfer-Encoding: gzip\r\n\r\n",
	    HF_CLOSE, 0, 0 },
	{ "1.0 chunked without keep-alive",
	    R407_10 "Transfer-Encoding: chunked\r\n\r\n", HF_CHUNKED, 0, 0 },
	{ "Content-Length and chunked (curl test 1715)",
	    R407 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "chunked and Content-Length", R407 "Transfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n", HF_INVALID, 0, 0 },
	{ "Content-Length: 5, 5", R407 "Content-Length: 5, 5\r\n\r\n",
	    HF_LENGTH, 1, 5 },
	{ "Content-Length 5 twice", R407 "Content-Length: 5\r\n"
	    "Content-Length: 5\r\n\r\n", HF_LENGTH, 1, 5 },
	{ "Content-Length: 5, 6", R407 "Content-Length: 5, 6\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length 5 then 6", R407 "Content-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n", HF_INVALID, 0, 0 },
	{ "Content-Length: -1", R407 "Content-Length: -1\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length: +5", R407 "Content-Length: +5\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length: 1e3", R407 "Content-Length: 1e3\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length: 0x10", R407 "Content-Length: 0x10\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length: 5 5", R407 "Content-Length: 5 5\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "empty Content-Length", R407 "Content-Length:\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length of 20 digits",
	    R407 "Content-Length: 99999999999999999999\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length of 2^64",
	    R407 "Content-Length: 18446744073709551616\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "bad Content-Length then a good one",
	    R407 "Content-Length: x\r\nContent-Length: 5\r\n\r\n",
	    HF_INVALID, 0, 0 },
	{ "Content-Length: 0", R407 "Content-Length: 0\r\n\r\n",
	    HF_NONE, 1, 0 },
	{ "Content-Length: 0 on 1.0", R407_10 "Content-Length: 0\r\n\r\n",
	    HF_NONE, 0, 0 },
	{ "no framing at all", R407 "\r\n", HF_CLOSE, 0, 0 },
	{ "Content-Length equal to HTTP_DRAIN_MAX",
	    R407 "Content-Length: 1048576\r\n\r\n", HF_LENGTH, 1, 1048576 },
	{ "Content-Length over HTTP_DRAIN_MAX",
	    R407 "Content-Length: 1048577\r\n\r\n", HF_LENGTH, 0, 1048577 },
	{ "204 has no body", "HTTP/1.1 204 No\r\nContent-Length: 5\r\n\r\n",
	    HF_NONE, 1, 0 },
	{ "304 has no body", "HTTP/1.1 304 No\r\nContent-Length: 5\r\n\r\n",
	    HF_NONE, 1, 0 },
	{ "a 1xx's framing is forgotten",
	    "HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n"
	    "Connection: close\r\n\r\n" R407
	    "Transfer-Encoding: chunked\r\n\r\n", HF_CHUNKED, 1, 0 },
};

static void
test_framing(void)
{
	struct http_resp rp;
	size_t i, used;
	const struct fcase *f;
	enum http_rc rc;

	for (i = 0; i < sizeof(framings) / sizeof(framings[0]); i++) {
		f = &framings[i];
		http_resp_init(&rp);
		rc = http_feed(&rp, f->in, strlen(f->in), &used);
		if (!ok(rc == HTTP_DONE && http_framing(&rp) == f->framing &&
		    (f->framing != HF_LENGTH || rp.length == f->length),
		    "framing: %s: %s", f->name, framename(f->framing)))
			printf("#   rc %s, got %s, length %llu\n", rcname(rc),
			    framename(http_framing(&rp)),
			    (unsigned long long)rp.length);
		is_int(http_reusable(&rp), f->reusable, "reusable: %s: %s",
		    f->name, f->reusable ? "yes" : "no");
		http_resp_free(&rp);
	}

	/* Row 32: a 1 GiB claim is never drained on the same connection. */
	http_resp_init(&rp);
	rc = http_feed(&rp, R407 "Content-Length: 1073741824\r\n\r\n",
	    strlen(R407 "Content-Length: 1073741824\r\n\r\n"), &used);
	ok(rc == HTTP_DONE && !http_reusable(&rp) &&
	    http_framing(&rp) != HF_CHUNKED && http_framing(&rp) != HF_NONE,
	    "reusable: 1 GiB Content-Length: no");
	http_resp_free(&rp);
}

/*
 * The header then the body, in segments, as the driver does it: what
 * http_feed leaves goes to http_body_feed.  Returns the last result and
 * the total bytes the two used.
 */
static enum http_rc
drive(const char *in, size_t len, size_t cut, size_t step, size_t *consumed,
    int *contract, enum http_rc *hrc)
{
	struct http_resp rp;
	enum http_rc rc = HTTP_MORE;
	size_t pos = 0, end, used, n;
	int body = 0;

	*consumed = 0;
	*contract = 1;
	*hrc = HTTP_MORE;
	http_resp_init(&rp);
	end = cut < len ? cut : len;
	for (;;) {
		while (rc == HTTP_MORE || (rc == HTTP_DONE && !body)) {
			n = end - pos;
			used = (size_t)-1;
			if (rc == HTTP_DONE)
				body = 1;
			if (!body) {
				rc = http_feed(&rp, in + pos, n, &used);
				*hrc = rc;
			} else
				rc = http_body_feed(&rp, in + pos, n, &used);
			if (used > n || (rc == HTTP_MORE && used != n)) {
				*contract = 0;
				goto out;
			}
			pos += used;
			*consumed += used;
			if (rc == HTTP_MORE)
				break;
		}
		if (rc != HTTP_MORE || end == len)
			break;
		end = step == 0 || len - end < step ? len : end + step;
	}
out:
	http_resp_free(&rp);
	return rc;
}

struct bcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	enum http_rc	 rc;		/* of http_body_feed */
	const char	*after;		/* what follows the body */
};

#define BODY407	"HTTP/1.1 407 Proxy Authentication Required\r\n" \
		"Proxy-Authenticate: NTLM TlRMTVNTUAACAAAADAAMADAAAAA1gomi\r\n"

static const struct bcase bodies[] = {
	{ "Content-Length body then the next reply",
	    IN(BODY407 "Content-Length: 13\r\n\r\n<html></html>"
	    "HTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_DONE, "HTTP/1.1 200 OK\r\n\r\n" },
	{ "Content-Length body holding CRLFs and NUL",
	    IN(BODY407 "Content-Length: 6\r\n\r\n\r\n\0\r\n\nNEXT"),
	    HTTP_DONE, "NEXT" },
	{ "Content-Length: 0 (nothing to read)",
	    IN(BODY407 "Content-Length: 0\r\n\r\nNEXT"), HTTP_DONE, "NEXT" },
	{ "204 with a Content-Length has no body",
	    IN("HTTP/1.1 204 No\r\nContent-Length: 4\r\n\r\nNEXT"),
	    HTTP_DONE, "NEXT" },
	{ "Content-Length body cut short",
	    IN(BODY407 "Content-Length: 20\r\n\r\nonly ten b"),
	    HTTP_MORE, "" },
	{ "chunked with extensions, a 0-size chunk and trailers (curl 1008)",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "5;name=value\r\nhello\r\n"
	    "1A ; q=\"quoted;\\\"x\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
	    "a\r\n0123456789\r\n"
	    "0; last\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n"
	    "HTTP/1.1 200 OK\r\n\r\n"),
	    HTTP_DONE, "HTTP/1.1 200 OK\r\n\r\n" },
	{ "chunked with LF-only lines",
	    IN(BODY407 "Transfer-Encoding: chunked\n\n3\nabc\n0\n\nNEXT"),
	    HTTP_DONE, "NEXT" },
	{ "chunked with chunk data holding CRLF",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "4\r\n\r\n\r\n\r\n0\r\n\r\nNEXT"),
	    HTTP_DONE, "NEXT" },
	{ "chunked, hex digits in both cases",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "B\r\n0123456789a\r\nb\r\n0123456789b\r\n0\r\n\r\nNEXT"),
	    HTTP_DONE, "NEXT" },
	{ "chunked cut short in the trailers",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n"),
	    HTTP_MORE, "" },
	{ "chunk size Z", IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "Z\r\nx\r\n0\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "chunk size 0x10", IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "0x10\r\n0123456789abcdef\r\n0\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "chunk size -1", IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "-1\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "chunk size +1", IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "+1\r\nx\r\n0\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "chunk size of 20 hex digits",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "FFFFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "chunk size of 17 hex digits (over 2^64)",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "10000000000000001\r\nx\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "empty chunk size line", IN(BODY407 "Transfer-Encoding: chunked\r\n"
	    "\r\n\r\n0\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "chunk size with a space inside",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n1 0\r\n"),
	    HTTP_BAD_CHUNK, NULL },
	{ "chunk longer than its size",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n"
	    "5\r\nhelloX\r\n0\r\n\r\n"), HTTP_BAD_CHUNK, NULL },
	{ "NUL in a chunk size line",
	    IN(BODY407 "Transfer-Encoding: chunked\r\n\r\n5\0\r\nhello\r\n"),
	    HTTP_BAD_CHAR, NULL },
};

static int
run_body(const struct bcase *c, size_t cut, size_t step, char *why)
{
	enum http_rc rc, hrc;
	size_t consumed, alen;
	int contract;

	rc = drive(c->in, c->len, cut, step, &consumed, &contract, &hrc);
	if (!contract) {
		snprintf(why, WHY_MAX, "used > len, or HTTP_MORE with input "
		    "left");
		return 0;
	}
	if (hrc != HTTP_DONE && c->rc != HTTP_MORE) {
		snprintf(why, WHY_MAX, "header: %s", rcname(hrc));
		return 0;
	}
	if (rc != c->rc) {
		snprintf(why, WHY_MAX, "rc %s, want %s", rcname(rc),
		    rcname(c->rc));
		return 0;
	}
	if (c->after == NULL)
		return 1;
	alen = strlen(c->after);
	if (c->len - consumed != alen ||
	    memcmp(c->in + consumed, c->after, alen) != 0) {
		snprintf(why, WHY_MAX, "%zu bytes left after the body, "
		    "want %zu ('%s')", c->len - consumed, alen, esc(c->after));
		return 0;
	}
	return 1;
}

static void
test_bodies(void)
{
	char why[WHY_MAX], first[WHY_MAX];
	size_t i, k, bad, badk = 0;
	const struct bcase *c;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		c = &bodies[i];
		if (!ok(run_body(c, c->len, 0, why), "body: %s: whole",
		    c->name))
			printf("#   %s\n", why);
		for (bad = 0, k = 0; k <= c->len; k++)
			if (!run_body(c, k, 0, why) && bad++ == 0) {
				badk = k;
				memcpy(first, why, sizeof(first));
			}
		if (!ok(bad == 0, "body: %s: split in two at %zu offsets",
		    c->name, c->len + 1))
			printf("#   %zu splits differ; at offset %zu: "
			    "%s\n", bad, badk, first);
		if (!ok(run_body(c, 0, 1, why), "body: %s: one byte at a time",
		    c->name))
			printf("#   %s\n", why);
	}
}

/* A body framed by close cannot be drained; the caller must reconnect. */
static void
test_body_unframed(void)
{
	static const char hdr[] = R407 "\r\n";
	static const char hdr2[] = R407 "Content-Length: 3, 4\r\n\r\n";
	struct http_resp rp;
	size_t used;

	http_resp_init(&rp);
	http_feed(&rp, hdr, sizeof(hdr) - 1, &used);
	ok(http_body_feed(&rp, "abc", 3, &used) != HTTP_DONE,
	    "body: HF_CLOSE is not drained as if complete");
	http_resp_free(&rp);
	http_resp_init(&rp);
	http_feed(&rp, hdr2, sizeof(hdr2) - 1, &used);
	ok(http_body_feed(&rp, "abc", 3, &used) != HTTP_DONE,
	    "body: HF_INVALID is not drained as if complete");
	http_resp_free(&rp);
}

static void
test_header_valid(void)
{
	static const struct {
		const char	*h;
		int		 valid;
	} t[] = {
		{ "X-Forwarded-For: 192.0.2.1", 1 },
		{ "X-Empty:", 1 },
		{ "X-Tight:value", 1 },
		{ "X-Tab: a\tb", 1 },
		{ "Host: example.com:22", 1 },
		{ "!#$%&'*+-.^_`|~09azAZ: x", 1 },
		{ "", 0 },
		{ ": value", 0 },
		{ "NoColon", 0 },
		{ "X-A : b", 0 },
		{ " X-A: b", 0 },
		{ "X A: b", 0 },
		{ "X(A): b", 0 },
		{ "X/A: b", 0 },
		{ "X-A: b\r\nInjected: 1", 0 },
		{ "X-A: b\n", 0 },
		{ "X-A: b\r", 0 },
		{ "X-\xc3\xa9: b", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(http_header_valid(t[i].h), t[i].valid,
		    "http_header_valid(\"%s\") = %d", esc(t[i].h), t[i].valid);
}

static void
test_request(void)
{
	struct buf b;
	char *h[4], big[HTTP_REQUEST_MAX + 16];
	int rc;

	buf_init(&b, HTTP_REQUEST_MAX);

	rc = http_connect_request(&b, "db.internal:5432", "postern/0.1.0",
	    NULL, 0, NULL);
	is_int(rc, 0, "request: name target");
	is_str(b.data, "CONNECT db.internal:5432 HTTP/1.1\r\n"
	    "Host: db.internal:5432\r\nUser-Agent: postern/0.1.0\r\n\r\n",
	    "request: name target, exact bytes");

	rc = http_connect_request(&b, "[2001:db8::1]:22", "postern/0.1.0",
	    NULL, 0, NULL);
	is_int(rc, 0, "request: IPv6 target");
	is_str(b.data, "CONNECT [2001:db8::1]:22 HTTP/1.1\r\n"
	    "Host: [2001:db8::1]:22\r\nUser-Agent: postern/0.1.0\r\n\r\n",
	    "request: IPv6 target in brackets, in the line and in Host");

	rc = http_connect_request(&b, "h:1", NULL, NULL, 0, NULL);
	is_str(rc == 0 ? b.data : NULL,
	    "CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n\r\n",
	    "request: no User-Agent when ua is NULL");

	h[0] = "X-Forwarded-For: 192.0.2.1";
	h[1] = "Via: 1.1 jump";
	rc = http_connect_request(&b, "h:22", "postern/0.1.0", h, 2, NULL);
	is_str(rc == 0 ? b.data : NULL,
	    "CONNECT h:22 HTTP/1.1\r\nHost: h:22\r\n"
	    "User-Agent: postern/0.1.0\r\nX-Forwarded-For: 192.0.2.1\r\n"
	    "Via: 1.1 jump\r\n\r\n",
	    "request: -H headers appended in order");

	h[0] = "Host: other.example:443";
	rc = http_connect_request(&b, "h:22", "postern/0.1.0", h, 1, NULL);
	is_str(rc == 0 ? b.data : NULL,
	    "CONNECT h:22 HTTP/1.1\r\nUser-Agent: postern/0.1.0\r\n"
	    "Host: other.example:443\r\n\r\n",
	    "request: -H Host: replaces the default Host");

	h[0] = "user-agent: curl/8.5.0";
	rc = http_connect_request(&b, "h:22", "postern/0.1.0", h, 1, NULL);
	is_str(rc == 0 ? b.data : NULL,
	    "CONNECT h:22 HTTP/1.1\r\nHost: h:22\r\n"
	    "user-agent: curl/8.5.0\r\n\r\n",
	    "request: -H user-agent: replaces the default (any case)");

	h[0] = "Hostname: x";
	h[1] = "User-Agent-Extra: y";
	rc = http_connect_request(&b, "h:22", "ua", h, 2, NULL);
	is_str(rc == 0 ? b.data : NULL,
	    "CONNECT h:22 HTTP/1.1\r\nHost: h:22\r\nUser-Agent: ua\r\n"
	    "Hostname: x\r\nUser-Agent-Extra: y\r\n\r\n",
	    "request: a name that only starts with Host or User-Agent "
	    "replaces nothing");

	h[0] = "X-A: 1";
	rc = http_connect_request(&b, "h:22", "ua", h, 1,
	    "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	is_str(rc == 0 ? b.data : NULL,
	    "CONNECT h:22 HTTP/1.1\r\nHost: h:22\r\nUser-Agent: ua\r\n"
	    "X-A: 1\r\nProxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
	    "\r\n\r\n",
	    "request: Proxy-Authorization last");

	/* CR or LF anywhere: nothing is built (CVE-2014-8150). */
	is_int(http_connect_request(&b, "h:22\r\nX-Evil: 1", "ua", NULL, 0,
	    NULL), -1, "request: CRLF in the authority");
	is_int(http_connect_request(&b, "h\n:22", "ua", NULL, 0, NULL), -1,
	    "request: LF in the authority");
	is_int(http_connect_request(&b, "h:22", "ua\r\nX-Evil: 1", NULL, 0,
	    NULL), -1, "request: CRLF in the User-Agent");
	is_int(http_connect_request(&b, "h:22", "ua\r", NULL, 0, NULL), -1,
	    "request: CR in the User-Agent");
	h[0] = "X-A: 1\r\nX-Evil: 1";
	is_int(http_connect_request(&b, "h:22", "ua", h, 1, NULL), -1,
	    "request: CRLF in a -H header");
	h[0] = "X-A: 1";
	h[1] = "X-B: 2\n";
	is_int(http_connect_request(&b, "h:22", "ua", h, 2, NULL), -1,
	    "request: LF in the second -H header");
	h[0] = "Bad Name: 1";
	is_int(http_connect_request(&b, "h:22", "ua", h, 1, NULL), -1,
	    "request: a -H header with a bad name");
	h[0] = "NoColon";
	is_int(http_connect_request(&b, "h:22", "ua", h, 1, NULL), -1,
	    "request: a -H header without a colon");
	is_int(http_connect_request(&b, "h:22", "ua", NULL, 0,
	    "Basic x\r\nX-Evil: 1"), -1,
	    "request: CRLF in Proxy-Authorization");
	is_int(http_connect_request(&b, "h:22", "ua", NULL, 0, "Basic x\n"),
	    -1, "request: LF in Proxy-Authorization");

	/* The ceiling. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "X-Big: ", 7);
	big[HTTP_REQUEST_MAX] = '\0';
	h[0] = big;
	is_int(http_connect_request(&b, "h:22", "ua", h, 1, NULL), -1,
	    "request: over HTTP_REQUEST_MAX");
	big[HTTP_REQUEST_MAX - 200] = '\0';
	is_int(http_connect_request(&b, "h:22", "ua", h, 1, NULL), 0,
	    "request: just under HTTP_REQUEST_MAX");
	ok(b.len <= HTTP_REQUEST_MAX && b.len > HTTP_REQUEST_MAX - 200,
	    "request: its length (%zu)", b.len);

	buf_free(&b);
}

static void
test_strerror(void)
{
	int rc, distinct = 1, known = 1, r2;

	for (rc = HTTP_BAD_STATUS; rc <= HTTP_NOMEM; rc++) {
		if (strcmp(http_strerror(rc), "unknown error") == 0 ||
		    strcmp(http_strerror(rc), "no error") == 0)
			known = 0;
		for (r2 = HTTP_BAD_STATUS; r2 < rc; r2++)
			if (strcmp(http_strerror(rc), http_strerror(r2)) == 0)
				distinct = 0;
	}
	ok(known && distinct, "http_strerror: a distinct message per error");
}

/* What of a header line the trace may show (http_redact_field). */
static void
test_redact(void)
{
	static const struct {
		const char	*line;
		const char	*shown;		/* NULL: shown as it is */
	} t[] = {
		{ "Proxy-Authorization: Basic czNjcjN0",
		    "Proxy-Authorization: Basic <redacted>" },
		{ "proxy-authorization: basic czNjcjN0",
		    "proxy-authorization: basic <redacted>" },
		{ "Proxy-Authorization:\tBasic czNjcjN0",
		    "Proxy-Authorization: Basic <redacted>" },
		{ "Proxy-Authorization:Digest username=\"a\", response=\"x\"",
		    "Proxy-Authorization: Digest <redacted>" },
		{ "Proxy-Authorization: NTLM TlRMTVNTUAAB",
		    "Proxy-Authorization: NTLM <redacted>" },
		{ "Authorization: Bearer s3cr3t", "Authorization: Bearer <redacted>" },
		{ "AUTHORIZATION: SCRAM-SHA-256 s3cr3t",
		    "AUTHORIZATION: SCRAM-SHA-256 <redacted>" },
		/* Not "known scheme SP credentials": nothing of the value. */
		{ "Proxy-Authorization: s3cr3t-token", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization:\ts3cr3t-token",
		    "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: s3cr3t Basic", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: s3cr3t s3cr3t", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: Basic  s3cr3t", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: Basic\ts3cr3t", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: Basic \ts3cr3t", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: Basic", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: Basic ", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization: Basics s3cr3t", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization:    ", "Proxy-Authorization: <redacted>" },
		{ "Proxy-Authorization:", "Proxy-Authorization: <redacted>" },
		{ "Authorization: s3cr3t", "Authorization: <redacted>" },
		/* Other fields, and names that only contain the word. */
		{ "X-Authorization: s3cr3t", NULL },
		{ "Proxy-Authorization-Hint: s3cr3t", NULL },
		{ "Proxy-Authenticate: Basic realm=\"x\"", NULL },
		{ "Host: example.org:22", NULL },
		{ "no colon at all", NULL },
	};
	char out[256];
	size_t i;
	int r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = http_redact_field(t[i].line, strlen(t[i].line), out,
		    sizeof(out));
		if (t[i].shown == NULL)
			is_int(r, 0, "http_redact_field: \"%s\" is shown as it is",
			    esc(t[i].line));
		else if (ok(r == 1, "http_redact_field: \"%s\" is redacted",
		    esc(t[i].line)))
			is_str(out, t[i].shown, "http_redact_field: \"%s\" shows "
			    "as \"%s\"", esc(t[i].line), t[i].shown);
	}
	/* Only len bytes count: a credential cut short is still one. */
	r = http_redact_field("Proxy-Authorization: Basic abc", 26, out,
	    sizeof(out));
	ok(r == 1 && strcmp(out, "Proxy-Authorization: <redacted>") == 0,
	    "http_redact_field: looks at len bytes only");
	r = http_redact_field("Proxy-Authorization: Basic abc", 30, out, 10);
	ok(r == 1 && strstr("Proxy-Authorization: Basic <redacted>", out) != NULL &&
	    strstr(out, "abc") == NULL,
	    "http_redact_field: a short buffer holds a prefix, never the secret");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		run_case(&replies[i], 1);
	test_limits();
	test_head_trace();
	test_reason_truncated();
	test_framing();
	test_bodies();
	test_body_unframed();
	test_header_valid();
	test_request();
	test_redact();
	test_strerror();
	return done_testing();
}
