#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "util.h"

enum {
	S_STATUS,	/* waiting for a status line */
	S_FIELDS,	/* header fields */
	S_DONE,		/* header complete */
	S_LENGTH,	/* body of known length */
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_END,	/* CRLF after chunk data */
	S_TRAILER,
	S_BODY_DONE,
};

#define CHUNK_HEX_MAX	15	/* hex digits of a chunk size: < 2^60 */

void
http_resp_init(struct http_resp *rp)
{
	memset(rp, 0, sizeof(*rp));
	rp->state = S_STATUS;
	buf_init(&rp->head, HTTP_HEADER_MAX + 2 * HTTP_FIELDS_MAX);
}

void
http_resp_free(struct http_resp *rp)
{
	size_t i;

	for (i = 0; i < rp->nauth; i++)
		free(rp->auth[i]);
	rp->nauth = 0;
	buf_free(&rp->head);
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
ows(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * HTTP-version SP status-code [ SP reason-phrase ] (RFC 9112 §4).  The
 * version is case-sensitive and must be 1.x; a missing reason phrase is
 * tolerated, as curl does.
 */
static enum http_rc
parse_status(struct http_resp *rp, const char *l, size_t len)
{
	size_t rlen;

	if (len < 12 || memcmp(l, "HTTP/1.", 7) != 0 || !digit(l[7]) ||
	    l[8] != ' ' || !digit(l[9]) || !digit(l[10]) || !digit(l[11]) ||
	    (len > 12 && l[12] != ' '))
		return HTTP_BAD_STATUS;
	rp->minor = l[7] - '0';
	rp->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (rp->status < 100 || rp->status > 599)
		return HTTP_BAD_STATUS;
	rlen = len > 13 ? len - 13 : 0;
	if (rlen >= sizeof(rp->reason))
		rlen = sizeof(rp->reason) - 1;
	if (rlen > 0)
		memcpy(rp->reason, l + 13, rlen);
	rp->reason[rlen] = '\0';
	return HTTP_MORE;
}

/* Content-Length: digits, or a list of identical values (RFC 9112 §6.3). */
static void
parse_length(struct http_resp *rp, const char *v, size_t len)
{
	uint64_t n;
	size_t i = 0;
	int any = 0;

	while (i < len) {
		while (i < len && (ows(v[i]) || v[i] == ','))
			i++;
		if (i == len)
			break;
		if (!digit(v[i]))
			goto bad;
		for (n = 0; i < len && digit(v[i]); i++) {
			if (n > (UINT64_MAX - 9) / 10 || n > HTTP_DRAIN_MAX * 1024ULL)
				goto bad;
			n = n * 10 + (uint64_t)(v[i] - '0');
		}
		while (i < len && ows(v[i]))
			i++;
		if (i < len && v[i] != ',')
			goto bad;
		if ((any || rp->has_length) && n != rp->length)
			goto bad;
		rp->length = n;
		rp->has_length = any = 1;
	}
	if (any)
		return;
bad:
	rp->length_bad = 1;
}

static int
name_is(const char *f, size_t nlen, const char *name)
{
	return strlen(name) == nlen && strncasecmp_ascii(f, name, nlen) == 0;
}

/* v into out, or "" if it does not fit. */
static void
keep(char *out, size_t outlen, const char *v, size_t vlen)
{
	if (vlen >= outlen)
		vlen = 0;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
}

/* A complete field (after unfolding): pick out what the driver needs. */
static enum http_rc
finish_field(struct http_resp *rp)
{
	const char *f = rp->field, *colon, *v;
	size_t nlen, vlen;
	int last;

	if (rp->fieldlen == 0)
		return HTTP_MORE;
	colon = memchr(f, ':', rp->fieldlen);
	nlen = (size_t)(colon - f);
	v = colon + 1;
	vlen = rp->fieldlen - nlen - 1;
	while (vlen > 0 && ows(*v)) {
		v++;
		vlen--;
	}
	while (vlen > 0 && ows(v[vlen - 1]))
		vlen--;
	rp->fieldlen = 0;
	if (++rp->nfields > HTTP_FIELDS_MAX)
		return HTTP_TOO_MANY_FIELDS;

	if (name_is(f, nlen, "content-length"))
		parse_length(rp, v, vlen);
	else if (name_is(f, nlen, "transfer-encoding")) {
		rp->te = 1;
		list_has_token(v, vlen, "chunked", &last);
		rp->chunked = last;
	} else if (name_is(f, nlen, "connection") ||
	    name_is(f, nlen, "proxy-connection")) {
		if (list_has_token(v, vlen, "close", NULL))
			rp->conn_close = 1;
		if (list_has_token(v, vlen, "keep-alive", NULL))
			rp->keep_alive = 1;
	} else if (name_is(f, nlen, "etag"))
		keep(rp->etag, sizeof(rp->etag), v, vlen);
	else if (name_is(f, nlen, "last-modified"))
		keep(rp->last_modified, sizeof(rp->last_modified), v, vlen);
	else if (name_is(f, nlen, "proxy-authenticate") &&
	    rp->nauth < HTTP_AUTH_MAX) {
		char *s;

		/* Beyond HTTP_AUTH_MAX fields, challenges are dropped: we can
		 * only pick among the ones we kept, never answer wrongly. */
		if ((s = malloc(vlen + 1)) == NULL)
			return HTTP_NOMEM;
		memcpy(s, v, vlen);
		s[vlen] = '\0';
		rp->auth[rp->nauth++] = s;
	}
	return HTTP_MORE;
}

static void
reset_fields(struct http_resp *rp)
{
	size_t i;

	for (i = 0; i < rp->nauth; i++)
		free(rp->auth[i]);
	rp->nauth = 0;
	rp->nfields = 0;
	rp->conn_close = rp->keep_alive = 0;
	rp->has_length = rp->length_bad = 0;
	rp->length = 0;
	rp->te = rp->chunked = 0;
	rp->etag[0] = rp->last_modified[0] = '\0';
}

static enum http_rc
header_line(struct http_resp *rp, const char *l, size_t len)
{
	enum http_rc rc;
	size_t i;

	if (rp->state == S_STATUS) {
		if ((rc = parse_status(rp, l, len)) != HTTP_MORE)
			return rc;
		rp->state = S_FIELDS;
		return HTTP_MORE;
	}
	if (len == 0) {
		if ((rc = finish_field(rp)) != HTTP_MORE)
			return rc;
		/* 1xx replies are skipped (RFC 9110 §15.2), except 101:
		 * switching protocols is no answer to CONNECT. */
		if (rp->status < 200 && rp->status != 101) {
			if (++rp->ninterim > HTTP_INTERIM_MAX)
				return HTTP_TOO_MANY_INTERIM;
			reset_fields(rp);
			rp->state = S_STATUS;
			return HTTP_MORE;
		}
		rp->state = S_DONE;
		return HTTP_DONE;
	}
	if (ows(l[0])) {
		/* RFC 9112 §2.2: reject white space before the first field;
		 * later, it is obs-fold, unfolded into one SP (§5.2). */
		if (rp->fieldlen == 0)
			return HTTP_LEADING_WS;
		while (len > 0 && ows(*l)) {
			l++;
			len--;
		}
		if (rp->fieldlen + 1 + len > HTTP_LINE_MAX)
			return HTTP_LINE_TOO_LONG;
		rp->field[rp->fieldlen++] = ' ';
		memcpy(rp->field + rp->fieldlen, l, len);
		rp->fieldlen += len;
		return HTTP_MORE;
	}
	if ((rc = finish_field(rp)) != HTTP_MORE)
		return rc;
	for (i = 0; i < len && is_tchar((unsigned char)l[i]); i++)
		;
	/* No white space between the name and the colon (RFC 9112 §5.1). */
	if (i == 0 || i == len || l[i] != ':')
		return HTTP_BAD_FIELD;
	memcpy(rp->field, l, len);
	rp->fieldlen = len;
	return HTTP_MORE;
}

/*
 * Gather one line into rp->line.  Returns 1 with *llen set when a whole
 * line is there, 0 when all input was used, or an error.
 */
static int
gather(struct http_resp *rp, const char *data, size_t len, size_t *pos,
    enum http_rc *err)
{
	const char *nl;
	size_t take;

	nl = memchr(data + *pos, '\n', len - *pos);
	take = nl ? (size_t)(nl - (data + *pos)) : len - *pos;
	if (rp->linelen + take > HTTP_LINE_MAX) {
		take = HTTP_LINE_MAX - rp->linelen;
		memcpy(rp->line + rp->linelen, data + *pos, take);
		rp->linelen += take;
		rp->line[rp->linelen] = '\0';
		*pos += take;
		*err = HTTP_LINE_TOO_LONG;
		return -1;
	}
	memcpy(rp->line + rp->linelen, data + *pos, take);
	rp->linelen += take;
	rp->line[rp->linelen] = '\0';
	*pos += take;
	if (nl == NULL)
		return 0;
	(*pos)++;
	return 1;
}

/* A line's bytes, without its CRLF or bare LF (RFC 9112 §2.2). */
static enum http_rc
check_line(struct http_resp *rp, size_t *len)
{
	size_t n = rp->linelen;

	if (n > 0 && rp->line[n - 1] == '\r')
		n--;
	if (memchr(rp->line, '\0', n) != NULL ||
	    memchr(rp->line, '\r', n) != NULL)
		return HTTP_BAD_CHAR;
	*len = n;
	return HTTP_MORE;
}

enum http_rc
http_feed(struct http_resp *rp, const char *data, size_t len, size_t *used)
{
	enum http_rc rc = HTTP_MORE;
	size_t pos = 0, before, n;
	int r;

	while (pos < len && rp->state != S_DONE) {
		before = pos;
		r = gather(rp, data, len, &pos, &rc);
		rp->hdrbytes += pos - before;
		/* The section's cap first, so that the error does not depend
		 * on how the bytes were split. */
		if (rp->hdrbytes > HTTP_HEADER_MAX) {
			rc = HTTP_HEADER_TOO_LONG;
			break;
		}
		if (r == -1)
			break;
		if (r == 0)
			break;
		if ((rc = check_line(rp, &n)) != HTTP_MORE)
			break;
		if (buf_add(&rp->head, rp->line, n) == -1 ||
		    buf_add(&rp->head, "\n", 1) == -1) {
			rc = HTTP_HEADER_TOO_LONG;
			break;
		}
		rc = header_line(rp, rp->line, n);
		if (rc != HTTP_MORE && rc != HTTP_DONE)
			break;
		rp->linelen = 0;
	}
	*used = pos;
	return rc;
}

enum http_framing
http_framing(const struct http_resp *rp)
{
	if (rp->status == 204 || rp->status == 304)
		return HF_NONE;
	/* Both, or a bad length, is an error (RFC 9112 §6.3). */
	if ((rp->te && rp->has_length) || rp->length_bad)
		return HF_INVALID;
	if (rp->te)
		return rp->chunked ? HF_CHUNKED : HF_CLOSE;
	if (rp->has_length)
		return rp->length == 0 ? HF_NONE : HF_LENGTH;
	return HF_CLOSE;
}

int
http_reusable(const struct http_resp *rp)
{
	enum http_framing f = http_framing(rp);

	if (f == HF_CLOSE || f == HF_INVALID || rp->conn_close)
		return 0;
	if (f == HF_LENGTH && rp->length > HTTP_DRAIN_MAX)
		return 0;
	/* HTTP/1.0 is persistent only when it says so (RFC 9112 §9.3). */
	return rp->minor >= 1 || rp->keep_alive;
}

/* chunk-size [ chunk-ext ] (RFC 9112 §7.1): hex digits, nothing else
 * before the extension. */
static enum http_rc
chunk_size(struct http_resp *rp, const char *l, size_t len)
{
	uint64_t n = 0;
	size_t i;
	int d;

	for (i = 0; i < len && (d = hexval(l[i])) >= 0; i++) {
		if (i >= CHUNK_HEX_MAX)
			return HTTP_BAD_CHUNK;
		n = n << 4 | (uint64_t)d;
	}
	if (i == 0)
		return HTTP_BAD_CHUNK;
	while (i < len && ows(l[i]))
		i++;
	if (i < len && l[i] != ';')
		return HTTP_BAD_CHUNK;
	rp->body_left = n;
	rp->state = n == 0 ? S_TRAILER : S_CHUNK_DATA;
	return HTTP_MORE;
}

/* The first state of the body, from its framing; -1 if it has none we
 * can read past. */
static int
body_start(struct http_resp *rp)
{
	switch (http_framing(rp)) {
	case HF_NONE:
		rp->state = S_BODY_DONE;
		break;
	case HF_LENGTH:
		rp->body_left = rp->length;
		rp->state = S_LENGTH;
		break;
	case HF_CHUNKED:
		rp->state = S_CHUNK_SIZE;
		break;
	default:
		return -1;
	}
	rp->linelen = 0;
	return 0;
}

enum http_rc
http_body_feed(struct http_resp *rp, const char *data, size_t len,
    size_t *used)
{
	enum http_rc rc = HTTP_MORE;
	size_t pos = 0, take, n;
	int r;

	if (rp->state == S_DONE && body_start(rp) == -1) {
		*used = 0;
		return HTTP_BAD_CHUNK;
	}
	while (rp->state != S_BODY_DONE) {
		switch (rp->state) {
		case S_LENGTH:
		case S_CHUNK_DATA:
			take = len - pos;
			if (take > rp->body_left)
				take = (size_t)rp->body_left;
			pos += take;
			rp->body_left -= take;
			if (rp->body_left > 0)
				goto out;
			rp->state = rp->state == S_LENGTH ? S_BODY_DONE :
			    S_CHUNK_END;
			continue;
		default:
			break;
		}
		if (pos == len)
			break;
		r = gather(rp, data, len, &pos, &rc);
		if (r == -1)
			goto out;
		if (r == 0)
			break;
		if ((rc = check_line(rp, &n)) != HTTP_MORE)
			goto out;
		rp->linelen = 0;
		switch (rp->state) {
		case S_CHUNK_SIZE:
			if ((rc = chunk_size(rp, rp->line, n)) != HTTP_MORE)
				goto out;
			break;
		case S_CHUNK_END:
			if (n != 0) {
				rc = HTTP_BAD_CHUNK;
				goto out;
			}
			rp->state = S_CHUNK_SIZE;
			break;
		case S_TRAILER:
			if (n == 0)
				rp->state = S_BODY_DONE;
			break;
		}
	}
	rc = rp->state == S_BODY_DONE ? HTTP_DONE : HTTP_MORE;
out:
	*used = pos;
	/* A body that never ends (endless chunks) is not worth reading:
	 * the caller reconnects instead. */
	rp->body_seen += pos;
	if (rc == HTTP_MORE && rp->body_seen > HTTP_DRAIN_MAX)
		rc = HTTP_BODY_TOO_LONG;
	return rc;
}

const char *
http_strerror(enum http_rc rc)
{
	switch (rc) {
	case HTTP_MORE:
	case HTTP_DONE:
		return "no error";
	case HTTP_BAD_STATUS:
		return "bad status line";
	case HTTP_BAD_FIELD:
		return "malformed header line";
	case HTTP_BAD_CHAR:
		return "NUL or bare CR in the header";
	case HTTP_LEADING_WS:
		return "white space before the first header line";
	case HTTP_LINE_TOO_LONG:
		return "header line longer than 8192 bytes";
	case HTTP_HEADER_TOO_LONG:
		return "header section exceeds 65536 bytes";
	case HTTP_TOO_MANY_FIELDS:
		return "more than 100 header fields";
	case HTTP_TOO_MANY_INTERIM:
		return "more than 5 interim (1xx) replies";
	case HTTP_BAD_CHUNK:
		return "malformed chunked body";
	case HTTP_BODY_TOO_LONG:
		return "body longer than we read past";
	case HTTP_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

int
http_header_valid(const char *h)
{
	size_t i;

	for (i = 0; h[i] != '\0' && is_tchar((unsigned char)h[i]); i++)
		;
	if (i == 0 || h[i] != ':')
		return 0;
	return strpbrk(h, "\r\n") == NULL;
}

static int
header_named(char *const *headers, size_t n, const char *name)
{
	size_t i, l = strlen(name);

	for (i = 0; i < n; i++)
		if (strncasecmp_ascii(headers[i], name, l) == 0 &&
		    headers[i][l] == ':')
			return 1;
	return 0;
}

int
http_connect_request(struct buf *out, const char *authority, const char *ua,
    char *const *headers, size_t nheaders, const char *authz)
{
	size_t i;
	int rc = 0;

	buf_reset(out);
	if (strpbrk(authority, "\r\n") != NULL ||
	    (ua != NULL && strpbrk(ua, "\r\n") != NULL) ||
	    (authz != NULL && strpbrk(authz, "\r\n") != NULL))
		return -1;
	/* RFC 9110 §7.2 and §9.3.6: Host equals the request target. */
	rc |= buf_printf(out, "CONNECT %s HTTP/1.1\r\n", authority);
	if (!header_named(headers, nheaders, "host"))
		rc |= buf_printf(out, "Host: %s\r\n", authority);
	if (ua != NULL && !header_named(headers, nheaders, "user-agent"))
		rc |= buf_printf(out, "User-Agent: %s\r\n", ua);
	for (i = 0; i < nheaders; i++) {
		if (!http_header_valid(headers[i]))
			return -1;
		rc |= buf_printf(out, "%s\r\n", headers[i]);
	}
	/* The rest of the request keeps its own bound whatever the buffer
	 * allows for a Negotiate token. */
	if (rc != 0 || out->len + 2 > HTTP_REQUEST_MAX)
		return -1;
	if (authz != NULL && (strlen(authz) > HTTP_AUTHZ_MAX ||
	    buf_printf(out, "Proxy-Authorization: %s\r\n", authz) != 0))
		return -1;
	return buf_addstr(out, "\r\n") == 0 ? 0 : -1;
}

/* Fields whose value is a credential (RFC 9110 §11.6.2, §11.7.2). */
static const char *const credential_fields[] = {
	"Authorization", "Proxy-Authorization",
};

/*
 * Schemes whose name the trace may show: the IANA HTTP Authentication
 * Scheme registry, and NTLM.  A word that is not one of them may be the
 * secret itself.
 */
static const char *const shown_schemes[] = {
	"Basic", "Bearer", "Concealed", "Digest", "DPoP", "GNAP", "HOBA",
	"Mutual", "Negotiate", "NTLM", "OAuth", "PrivateToken", "SCRAM-SHA-1",
	"SCRAM-SHA-256", "vapid",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static int
in_list(const char *s, size_t len, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (name_is(s, len, list[i]))
			return 1;
	return 0;
}

/*
 * The length of the scheme at the start of v when v is exactly a known
 * scheme, one SP, and credentials that start right there; else 0.  Any
 * other shape (no scheme, a tab, two spaces) may have the secret where
 * the scheme would be.
 */
static size_t
shown_scheme(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len && is_tchar((unsigned char)v[i]); i++)
		;
	if (i + 2 > len || v[i] != ' ' || ows(v[i + 1]))
		return 0;
	return in_list(v, i, shown_schemes, NELEM(shown_schemes)) ? i : 0;
}

int
http_redact_field(const char *line, size_t len, char *out, size_t outlen)
{
	const char *colon, *v;
	size_t nlen, slen;
	int n;

	if ((colon = memchr(line, ':', len)) == NULL)
		return 0;
	nlen = (size_t)(colon - line);
	if (!in_list(line, nlen, credential_fields, NELEM(credential_fields)))
		return 0;
	v = colon + 1;
	while (v < line + len && ows(*v))
		v++;
	slen = shown_scheme(v, (size_t)(line + len - v));
	n = snprintf(out, outlen, "%.*s: %.*s%s<redacted>", (int)nlen, line,
	    (int)slen, v, slen > 0 ? " " : "");
	if (outlen > 0 && (n < 0 || (size_t)n >= outlen))
		out[0] = '\0';
	return 1;
}
