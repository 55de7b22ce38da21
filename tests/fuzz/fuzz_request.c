/*
 * The listener's request parser, fed in chunks whose sizes come from the
 * first four bytes of the input.  Properties: no call uses more than it
 * was given, REQ_MORE means all of it was used, and the result, the
 * target and the bytes used do not depend on the chunking.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define SIZES	4

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static enum req_rc
feed(struct http_req *rq, const uint8_t *sz, const char *in, size_t len,
    size_t *pos)
{
	enum req_rc rc = REQ_MORE;
	size_t n, used, i;

	for (*pos = 0, i = 0; rc == REQ_MORE && *pos < len; *pos += used) {
		n = sz != NULL ? (size_t)sz[i++ % SIZES] + 1 : len;
		if (n > len - *pos)
			n = len - *pos;
		rc = request_feed(rq, in + *pos, n, &used);
		if (used > n || (rc == REQ_MORE && used != n))
			abort();
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_req rq, whole;
	const char *in = (const char *)data + SIZES;
	size_t len, pos, wpos;
	enum req_rc rc;

	if (size < SIZES)
		return 0;
	len = size - SIZES;
	request_init(&rq);
	request_init(&whole);
	rc = feed(&rq, data, in, len, &pos);
	if (rc != feed(&whole, NULL, in, len, &wpos))
		abort();
	if (rc == REQ_DONE && (pos != wpos || rq.target.port !=
	    whole.target.port || strcmp(rq.target.host, whole.target.host) != 0
	    || rq.target.port == 0 || strpbrk(rq.target.host, "\r\n ") != NULL))
		abort();
	if (rc == REQ_METHOD && strcmp(rq.method, whole.method) != 0)
		abort();
	return 0;
}
