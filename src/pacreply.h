#ifndef POSTERN_PACREPLY_H
#define POSTERN_PACREPLY_H

#include <stddef.h>

#include "buf.h"
#include "pacfetch.h"

/*
 * The PAC server's reply, as gathered so far in resp (a struct buf, so
 * NUL-terminated).  Pure: pacfetch.c reads, these decide.
 *
 * pac_reply_complete: whether resp holds a whole answer, its header and,
 * when it says its length, that much body (a TLS server may then end
 * without notice); until then the reader reads on, or to the end.
 *
 * pac_reply_parse: 200 with the body appended to body, 304 (only when
 * cond is not NULL: the request was conditional), or -1 with err saying
 * why in words.  A non-NULL cond receives the ETag and Last-Modified of
 * the answer ("" when absent or too long).
 */
int	pac_reply_complete(const struct buf *resp);
int	pac_reply_parse(const struct buf *resp, struct buf *body,
	    struct pac_validators *cond, char *err, size_t errlen);

#endif
