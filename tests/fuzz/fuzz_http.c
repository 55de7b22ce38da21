/*
 * The CONNECT reply parser, fed in chunks whose sizes come from the first
 * four bytes of the input, then the 407 body reader on what follows.
 * Properties: no call uses more than it was given, HTTP_MORE means all of
 * it was used, the result does not depend on the chunking, and a stored
 * Proxy-Authenticate value holds no CR or LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define SIZES	4

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static enum http_rc
feed(struct http_resp *rp, const uint8_t *sz, const char *in, size_t len,
    size_t *pos)
{
	enum http_rc rc = HTTP_MORE;
	size_t n, used, i;

	for (*pos = 0, i = 0; rc == HTTP_MORE && *pos < len; *pos += used) {
		n = sz != NULL ? (size_t)sz[i++ % SIZES] + 1 : len;
		if (n > len - *pos)
			n = len - *pos;
		rc = http_feed(rp, in + *pos, n, &used);
		if (used > n || (rc == HTTP_MORE && used != n))
			abort();
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_resp rp, whole;
	const char *in = (const char *)data + SIZES;
	size_t len, pos, wpos, n, used, i;
	enum http_rc rc, wrc;

	if (size < SIZES)
		return 0;
	len = size - SIZES;
	http_resp_init(&rp);
	http_resp_init(&whole);
	rc = feed(&rp, data, in, len, &pos);
	wrc = feed(&whole, NULL, in, len, &wpos);
	if (rc != wrc || (rc == HTTP_DONE && (pos != wpos ||
	    rp.status != whole.status || rp.nauth != whole.nauth)))
		abort();
	if (rc == HTTP_DONE) {
		for (i = 0; i < rp.nauth; i++)
			if (strpbrk(rp.auth[i], "\r\n") != NULL ||
			    strcmp(rp.auth[i], whole.auth[i]) != 0)
				abort();
		switch (http_framing(&rp)) {
		case HF_NONE:
		case HF_LENGTH:
		case HF_CHUNKED:
			for (i = 0, rc = HTTP_MORE; rc == HTTP_MORE; ) {
				n = (size_t)data[i++ % SIZES] + 1;
				if (n > len - pos)
					n = len - pos;
				rc = http_body_feed(&rp, in + pos, n, &used);
				if (used > n || (rc == HTTP_MORE && used != n))
					abort();
				pos += used;
				if (pos == len)
					break;
			}
			/* The body, too, whatever the chunking. */
			wrc = http_body_feed(&whole, in + wpos, len - wpos,
			    &used);
			if (wrc != rc ||
			    (rc == HTTP_DONE && wpos + used != pos))
				abort();
			break;
		default:
			break;
		}
	}
	http_resp_free(&whole);
	http_resp_free(&rp);
	return 0;
}
