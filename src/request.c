/*
 * The request a local client sends to the listener: "CONNECT host:port
 * HTTP/1.1", header fields, an empty line (RFC 9110 §9.3.6, RFC 9112
 * §3).  Pure and incremental, like the reply parser, and bounded by the
 * same limits.  The fields themselves are checked and dropped: nothing
 * of the client's header travels upstream.
 */
#include <string.h>

#include "request.h"
#include "util.h"

enum { R_LINE, R_FIELDS, R_DONE };

#define BLANK_LINES_MAX	4	/* empty lines before the request line */

void
request_init(struct http_req *rq)
{
	memset(rq, 0, sizeof(*rq));
	rq->state = R_LINE;
}

/* method SP request-target SP HTTP-version (RFC 9112 §3). */
static enum req_rc
request_line(struct http_req *rq, const char *l, size_t len)
{
	const char *sp1, *sp2, *v;
	char authority[AUTHORITY_MAX + 1];
	size_t mlen, alen;

	sp1 = memchr(l, ' ', len);
	if (sp1 == NULL)
		return REQ_BAD_LINE;
	mlen = (size_t)(sp1 - l);
	sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
	if (sp2 == NULL || mlen == 0 || mlen > REQ_METHOD_MAX)
		return REQ_BAD_LINE;
	for (alen = 0; alen < mlen; alen++)
		if (!is_tchar((unsigned char)l[alen]))
			return REQ_BAD_LINE;
	v = sp2 + 1;
	alen = (size_t)(sp2 - sp1 - 1);
	if ((size_t)(l + len - v) != 8 || memcmp(v, "HTTP/1.", 7) != 0 ||
	    v[7] < '0' || v[7] > '9' || alen == 0)
		return REQ_BAD_LINE;
	memcpy(rq->method, l, mlen);
	rq->method[mlen] = '\0';
	rq->minor = v[7] - '0';
	/* The method is case-sensitive (RFC 9110 §9.1). */
	if (strcmp(rq->method, "CONNECT") != 0)
		return REQ_METHOD;
	if (alen > AUTHORITY_MAX || memchr(sp1 + 1, '\0', alen) != NULL) {
		rq->target_rc = TARGET_HOST_TOO_LONG;
		return REQ_BAD_TARGET;
	}
	memcpy(authority, sp1 + 1, alen);
	authority[alen] = '\0';
	rq->target_rc = target_parse(authority, NULL, &rq->target);
	return rq->target_rc == TARGET_OK ? REQ_MORE : REQ_BAD_TARGET;
}

static enum req_rc
header_line(struct http_req *rq, const char *l, size_t len)
{
	size_t i;

	if (rq->state == R_LINE) {
		/* A server ignores empty lines before the request line
		 * (RFC 9112 §2.2); a few, not an endless stream. */
		if (len == 0)
			return rq->nfields++ < BLANK_LINES_MAX ? REQ_MORE :
			    REQ_BAD_LINE;
		rq->nfields = 0;
		rq->state = R_FIELDS;
		return request_line(rq, l, len);
	}
	if (len == 0) {
		rq->state = R_DONE;
		return REQ_DONE;
	}
	/* White space first: obs-fold, which a server may reject
	 * (RFC 9112 §5.2), or a field that is no field. */
	for (i = 0; i < len && is_tchar((unsigned char)l[i]); i++)
		;
	if (i == 0 || i == len || l[i] != ':')
		return REQ_BAD_FIELD;
	if (++rq->nfields > HTTP_FIELDS_MAX)
		return REQ_TOO_MANY_FIELDS;
	return REQ_MORE;
}

/* One line into rq->line: 1 when it is whole, 0 when the input is used
 * up, -1 when it is too long. */
static int
gather_line(struct http_req *rq, const char *data, size_t len, size_t *pos)
{
	const char *nl;
	size_t take;

	nl = memchr(data + *pos, '\n', len - *pos);
	take = nl ? (size_t)(nl - (data + *pos)) : len - *pos;
	if (rq->linelen + take > HTTP_LINE_MAX) {
		*pos += HTTP_LINE_MAX - rq->linelen;
		return -1;
	}
	memcpy(rq->line + rq->linelen, data + *pos, take);
	rq->linelen += take;
	rq->line[rq->linelen] = '\0';
	*pos += take;
	if (nl == NULL)
		return 0;
	(*pos)++;
	return 1;
}

enum req_rc
request_feed(struct http_req *rq, const char *data, size_t len, size_t *used)
{
	enum req_rc rc = REQ_MORE;
	size_t pos = 0, before, n;
	int r;

	while (pos < len && rq->state != R_DONE) {
		before = pos;
		r = gather_line(rq, data, len, &pos);
		rq->hdrbytes += pos - before;
		/* The section's cap first, as in http_feed(): the result
		 * must not depend on how the bytes were split. */
		if (rq->hdrbytes > HTTP_HEADER_MAX) {
			rc = REQ_HEADER_TOO_LONG;
			break;
		}
		if (r == -1) {
			rc = REQ_LINE_TOO_LONG;
			break;
		}
		if (r == 0)
			break;
		n = rq->linelen;
		if (n > 0 && rq->line[n - 1] == '\r')
			n--;
		if (memchr(rq->line, '\0', n) != NULL ||
		    memchr(rq->line, '\r', n) != NULL) {
			rc = REQ_BAD_CHAR;
			break;
		}
		rq->linelen = 0;
		if ((rc = header_line(rq, rq->line, n)) != REQ_MORE)
			break;
	}
	*used = pos;
	return rc;
}

const char *
request_strerror(enum req_rc rc)
{
	switch (rc) {
	case REQ_MORE:
		return "incomplete request";
	case REQ_DONE:
		return "no error";
	case REQ_METHOD:
		return "method not allowed: only CONNECT";
	case REQ_BAD_LINE:
		return "malformed request line";
	case REQ_BAD_TARGET:
		return "invalid CONNECT target";
	case REQ_BAD_FIELD:
		return "malformed header field";
	case REQ_BAD_CHAR:
		return "NUL or bare CR in the request";
	case REQ_LINE_TOO_LONG:
		return "request line or field too long";
	case REQ_HEADER_TOO_LONG:
		return "request header too long";
	case REQ_TOO_MANY_FIELDS:
		return "too many header fields";
	}
	return "unknown error";
}
