#ifndef POSTERN_PACREPLY_H
#define POSTERN_PACREPLY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "pacfetch.h"

/*
 * The PAC server's answer to our GET, fed as it arrives.  The header goes
 * through the CONNECT reply parser (http.c: one parser for both); the body
 * of a 200 is framed by its Content-Length or by the end of the
 * connection.  Pure: pacfetch.c reads, this decides.
 */
enum pac_reply_rc {
	PACR_MORE = 0,	/* all input used: feed more, or end */
	PACR_DONE,	/* the answer is whole; the rest is not its */
	PACR_ERROR,	/* pac_reply_end says why */
};

struct pac_reply {
	struct http_resp rp;
	struct buf	*body;
	int		 cond;		/* the request was conditional */
	int		 state;
	enum http_rc	 hrc;		/* of the header, once known */
	uint64_t	 left;		/* of a Content-Length body */
	const char	*why;		/* an error after the header */
};

void	pac_reply_init(struct pac_reply *, int cond, struct buf *body);
void	pac_reply_free(struct pac_reply *);

/* *used tells how many bytes were consumed: all of them on PACR_MORE. */
enum pac_reply_rc pac_reply_feed(struct pac_reply *, const char *,
	    size_t, size_t *used);

/*
 * Once fed to PACR_DONE or PACR_ERROR, or at the end of the connection:
 * 200 with the body in the buffer given to init, 304 (only to a
 * conditional request), or -1 with err saying why in words.  On 200 and
 * 304, a non-NULL cond receives the answer's ETag and Last-Modified ("" for
 * each it lacks).
 */
int	pac_reply_end(const struct pac_reply *, struct pac_validators *cond,
	    char *err, size_t errlen);

#endif
