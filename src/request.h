#ifndef POSTERN_REQUEST_H
#define POSTERN_REQUEST_H

#include <stddef.h>

#include "http.h"
#include "target.h"

#define REQ_METHOD_MAX	32	/* a method we name in a message */

/*
 * What a local client asked of the listener (postern -L without a
 * target): a CONNECT request line and its header, with the reply
 * parser's limits (HTTP_LINE_MAX, HTTP_HEADER_MAX, HTTP_FIELDS_MAX).
 */
enum req_rc {
	REQ_MORE = 0,		/* all input used, feed more */
	REQ_DONE,		/* a whole CONNECT header: req->target */
	REQ_METHOD,		/* a valid request, another method: 405 */
	REQ_BAD_LINE,		/* not METHOD SP TARGET SP HTTP/1.x */
	REQ_BAD_TARGET,		/* not host:port (req->target_rc says why) */
	REQ_BAD_FIELD,		/* no colon, bad name, obs-fold */
	REQ_BAD_CHAR,		/* NUL or bare CR */
	REQ_LINE_TOO_LONG,
	REQ_HEADER_TOO_LONG,
	REQ_TOO_MANY_FIELDS,
};

struct http_req {
	int		 state;
	char		 line[HTTP_LINE_MAX + 1];
	size_t		 linelen;
	size_t		 hdrbytes;
	size_t		 nfields;
	char		 method[REQ_METHOD_MAX + 1];
	int		 minor;			/* HTTP/1.minor */
	struct target	 target;
	enum target_rc	 target_rc;
};

void		request_init(struct http_req *);

/*
 * Feed bytes of the request.  *used tells how many were consumed: on
 * REQ_DONE the rest came after the header and belongs to the tunnel.
 * Any result but REQ_MORE is final.
 */
enum req_rc	request_feed(struct http_req *, const char *, size_t,
		    size_t *used);

const char	*request_strerror(enum req_rc);

#endif
