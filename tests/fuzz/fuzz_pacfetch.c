/*
 * The PAC server's reply (src/pacreply.c), gathered in two reads split at
 * an offset taken from the first two bytes.  Properties: once complete, a
 * longer reply is complete too; the result is 200, 304 (only to a
 * conditional request) or -1 with a message; a 200's body is the tail of
 * what was gathered; the validators hold no CR.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pacfetch.h"
#include "pacreply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pac_validators v;
	struct buf resp, body;
	char err[256];
	size_t cut, len;
	int rc, whole;

	if (size < 3)
		return 0;
	cut = ((size_t)data[0] << 8 | data[1]) % (size - 1);
	data += 2;
	len = size - 2;
	buf_init(&resp, PAC_MAX + 16 * 1024);
	buf_init(&body, PAC_MAX);
	if (buf_add(&resp, data, cut) == -1)
		abort();
	whole = pac_reply_complete(&resp);
	if (buf_add(&resp, data + cut, len - cut) == -1)
		abort();
	if (whole && !pac_reply_complete(&resp))
		abort();
	memset(&v, 0, sizeof(v));
	err[0] = '\0';
	rc = pac_reply_parse(&resp, &body, data[0] & 1 ? &v : NULL, err,
	    sizeof(err));
	if ((rc != 200 && rc != 304 && rc != -1) ||
	    (rc == 304 && !(data[0] & 1)) || (rc == -1 && err[0] == '\0') ||
	    (rc != 200 && body.len != 0) ||
	    (rc == 200 && (body.len >= len || memcmp(body.data != NULL ?
	    body.data : "", data + len - body.len, body.len) != 0)) ||
	    memchr(v.etag, '\0', sizeof(v.etag)) == NULL ||
	    strchr(v.etag, '\r') != NULL ||
	    memchr(v.last_modified, '\0', sizeof(v.last_modified)) == NULL ||
	    strchr(v.last_modified, '\r') != NULL)
		abort();
	buf_free(&body);
	buf_free(&resp);
	return 0;
}
