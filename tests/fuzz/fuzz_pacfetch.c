/*
 * The PAC server's answer (src/pacreply.c), fed in chunks whose sizes
 * come from the first four bytes of the input, and whole.  Properties: no
 * call uses more than it was given, PACR_MORE means all of it was used,
 * the result, the bytes used, the body and the validators do not depend on
 * the chunking; a 304 only to a conditional request, a message with every
 * failure, a 200's body within what was fed, no CR or LF in a validator.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pacfetch.h"
#include "pacreply.h"

#define SIZES	4

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run(const uint8_t *sz, const char *in, size_t len, int cond,
    struct pac_validators *v, struct buf *body, char *err, size_t *pos)
{
	struct pac_reply pr;
	enum pac_reply_rc rc = PACR_MORE;
	size_t n, used, i = 0;
	int code;

	buf_init(body, PAC_MAX);
	memset(v, 0, sizeof(*v));
	err[0] = '\0';
	pac_reply_init(&pr, cond, body);
	for (*pos = 0; rc == PACR_MORE && *pos < len; *pos += used) {
		n = sz != NULL ? (size_t)sz[i++ % SIZES] + 1 : len;
		if (n > len - *pos)
			n = len - *pos;
		rc = pac_reply_feed(&pr, in + *pos, n, &used);
		if (used > n || (rc == PACR_MORE && used != n))
			abort();
	}
	code = pac_reply_end(&pr, cond ? v : NULL, err, 256);
	pac_reply_free(&pr);
	return code;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pac_validators v, wv;
	struct buf body, wbody;
	char err[256], werr[256];
	const char *in = (const char *)data + SIZES;
	size_t len, pos, wpos;
	int rc, wrc, cond;

	if (size < SIZES)
		return 0;
	len = size - SIZES;
	cond = data[0] & 1;
	rc = run(data, in, len, cond, &v, &body, err, &pos);
	wrc = run(NULL, in, len, cond, &wv, &wbody, werr, &wpos);
	if (rc != wrc || pos != wpos || strcmp(err, werr) != 0 ||
	    body.len != wbody.len || (body.len > 0 &&
	    memcmp(body.data, wbody.data, body.len) != 0) ||
	    memcmp(&v, &wv, sizeof(v)) != 0)
		abort();
	if ((rc != 200 && rc != 304 && rc != -1) || (rc == 304 && !cond) ||
	    (rc == -1 && err[0] == '\0') || body.len > len ||
	    strpbrk(v.etag, "\r\n") != NULL ||
	    strpbrk(v.last_modified, "\r\n") != NULL)
		abort();
	buf_free(&wbody);
	buf_free(&body);
	return 0;
}
