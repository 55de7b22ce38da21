#ifndef POSTERN_HTTP_H
#define POSTERN_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define HTTP_LINE_MAX	8192		/* one line of the reply */
#define HTTP_HEADER_MAX	(64 * 1024)	/* whole header block, 1xx included */
#define HTTP_FIELDS_MAX	100		/* header fields in one reply */
#define HTTP_INTERIM_MAX 5		/* 1xx replies before the final one */
#define HTTP_AUTH_MAX	16		/* Proxy-Authenticate fields kept */
#define HTTP_REQUEST_MAX (16 * 1024)	/* our CONNECT request, but for: */
#define HTTP_AUTHZ_MAX	(88 * 1024)	/* its Proxy-Authorization value (a
					   64 KiB Negotiate token in base64) */
#define HTTP_AUTHZ_LINE_MAX (HTTP_AUTHZ_MAX + 32)	/* with name, CRLF */
#define HTTP_DRAIN_MAX	(1024 * 1024)	/* larger 407 bodies: reconnect */
#define HTTP_VALIDATOR_MAX 256		/* an ETag or Last-Modified kept */

enum http_rc {
	HTTP_MORE = 0,		/* all input used, feed more */
	HTTP_DONE,		/* header (or body) complete */
	HTTP_BAD_STATUS,
	HTTP_BAD_FIELD,		/* no colon, bad name, space before colon */
	HTTP_BAD_CHAR,		/* NUL or bare CR */
	HTTP_LEADING_WS,	/* white space before the first field */
	HTTP_LINE_TOO_LONG,
	HTTP_HEADER_TOO_LONG,
	HTTP_TOO_MANY_FIELDS,
	HTTP_TOO_MANY_INTERIM,
	HTTP_BAD_CHUNK,
	HTTP_BODY_TOO_LONG,	/* a 407 body beyond HTTP_DRAIN_MAX */
	HTTP_NOMEM,
};

enum http_framing {
	HF_NONE,		/* no body */
	HF_LENGTH,		/* Content-Length bytes */
	HF_CHUNKED,
	HF_CLOSE,		/* until the proxy closes */
	HF_INVALID,		/* contradictory or malformed framing */
};

struct http_resp {
	int		 state;
	char		 line[HTTP_LINE_MAX + 1];
	size_t		 linelen;
	char		 field[HTTP_LINE_MAX + 1];	/* pending, unfolded */
	size_t		 fieldlen;
	size_t		 hdrbytes;
	size_t		 nfields;
	int		 ninterim;

	int		 minor;		/* HTTP/1.minor */
	int		 status;
	char		 reason[128];	/* as sent; escape before printing */

	int		 conn_close;
	int		 keep_alive;
	int		 has_length;
	int		 length_bad;
	uint64_t	 length;
	int		 te;		/* any Transfer-Encoding */
	int		 chunked;	/* chunked is the last coding */

	char		*auth[HTTP_AUTH_MAX];	/* Proxy-Authenticate values */
	size_t		 nauth;

	/* For a PAC server's answer (pacreply.c): the last of each, "" when
	 * none or when it would not fit. */
	char		 etag[HTTP_VALIDATOR_MAX];
	char		 last_modified[HTTP_VALIDATOR_MAX];

	struct buf	 head;		/* lines seen, for the trace */
	uint64_t	 body_left;	/* in a length or a chunk */
	uint64_t	 body_seen;	/* bytes of the body read past */
};

void		http_resp_init(struct http_resp *);
void		http_resp_free(struct http_resp *);

/*
 * Feed bytes of the reply.  *used tells how many were consumed: on
 * HTTP_DONE the rest belongs to whatever follows the header (the tunnel,
 * or a 407's body).  On an error, rp->line holds the offending line.
 */
enum http_rc	http_feed(struct http_resp *, const char *, size_t,
		    size_t *used);

/* After HTTP_DONE on a reply that is not 2xx: how its body is framed,
 * and whether the connection can carry another request. */
enum http_framing http_framing(const struct http_resp *);
int		http_reusable(const struct http_resp *);

/* Read past a body of HF_NONE, HF_LENGTH or HF_CHUNKED framing. */
enum http_rc	http_body_feed(struct http_resp *, const char *, size_t,
		    size_t *used);

const char	*http_strerror(enum http_rc);

/* "Name: value" with a token name and no CR, LF or NUL. */
int		http_header_valid(const char *);

/*
 * What of a header line may be shown (the trace, a message).  For a
 * credential field (Authorization, Proxy-Authorization, any case) returns
 * 1 with out set to "Name: Scheme <redacted>" when the value is exactly a
 * known scheme (Basic, Digest, NTLM, ...), one SP and the credentials,
 * and to "Name: <redacted>" for any other value: a token without a
 * scheme, a tab or two spaces after the scheme, nothing at all.  Returns
 * 0 for any other line, which may be shown as it is (escaped).
 */
int		http_redact_field(const char *line, size_t len, char *out,
		    size_t outlen);

/*
 * The CONNECT request for authority, with User-Agent ua (NULL: none), the
 * extra headers (which replace a default Host or User-Agent of the same
 * name) and, if authz is not NULL, Proxy-Authorization.  -1 if anything
 * holds CR, LF or NUL, the request but for Proxy-Authorization exceeds
 * HTTP_REQUEST_MAX, or Proxy-Authorization exceeds HTTP_AUTHZ_MAX: only
 * that field may be as long as a Negotiate token of users in many groups.
 * The buffer needs room for both.
 */
int		http_connect_request(struct buf *, const char *authority,
		    const char *ua, char *const *headers, size_t nheaders,
		    const char *authz);

#endif
