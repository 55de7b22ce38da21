/*
 * The PAC server's reply header: the status line, ETag, Last-Modified and
 * Content-Length, scanned from the bytes pacfetch.c gathered.  No I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pacreply.h"
#include "util.h"

/* The value of field name in the header block h (ending "\r\n\r\n"), or
 * "" into out. */
static void
field(const char *h, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), vlen;
	const char *p, *v;

	*out = '\0';
	for (p = strstr(h, "\r\n"); p != NULL && p[2] != '\r';
	    p = strstr(p + 2, "\r\n")) {
		if (strncasecmp_ascii(p + 2, name, nlen) != 0 ||
		    p[2 + nlen] != ':')
			continue;
		v = p + 3 + nlen;
		v += strspn(v, " \t");
		vlen = strcspn(v, "\r");
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		if (vlen < outlen) {
			memcpy(out, v, vlen);
			out[vlen] = '\0';
		}
		return;
	}
}

int
pac_reply_complete(const struct buf *resp)
{
	char cl[32];
	const char *end;
	char *e;
	unsigned long long n;

	if (resp->data == NULL ||
	    (end = strstr(resp->data, "\r\n\r\n")) == NULL)
		return 0;
	field(resp->data, "Content-Length", cl, sizeof(cl));
	if (cl[0] < '0' || cl[0] > '9')
		return 0;
	n = strtoull(cl, &e, 10);
	return *e == '\0' && resp->len - (size_t)(end + 4 - resp->data) >= n;
}

int
pac_reply_parse(const struct buf *resp, struct buf *out,
    struct pac_validators *cond, char *err, size_t errlen)
{
	const char *end, *eol;
	char shown[SHOW_BUF];
	size_t hlen;
	int code;

	/* The status line is "HTTP/1.x NNN" and maybe a reason: a shorter
	 * one would leave the reason before its own start. */
	if (resp->len < 12 || memcmp(resp->data, "HTTP/1.", 7) != 0 ||
	    (end = strstr(resp->data, "\r\n\r\n")) == NULL ||
	    (eol = strstr(resp->data, "\r\n")) - resp->data < 12 ||
	    (resp->data[12] != ' ' && resp->data[12] != '\r')) {
		snprintf(err, errlen, "not an HTTP reply");
		return -1;
	}
	code = memcmp(resp->data + 8, " 200", 4) == 0 ? 200 :
	    memcmp(resp->data + 8, " 304", 4) == 0 && cond != NULL ? 304 : -1;
	if (code == -1) {
		snprintf(err, errlen, "%s", show_text(shown, sizeof(shown),
		    resp->data + 9, (size_t)(eol - resp->data - 9)));
		return -1;
	}
	if (cond != NULL) {
		field(resp->data, "ETag", cond->etag, sizeof(cond->etag));
		field(resp->data, "Last-Modified", cond->last_modified,
		    sizeof(cond->last_modified));
	}
	if (code == 304)
		return 304;
	hlen = (size_t)(end - resp->data) + 4;
	if (buf_add(out, resp->data + hlen, resp->len - hlen) == -1) {
		snprintf(err, errlen, "larger than %d KiB", PAC_MAX / 1024);
		return -1;
	}
	return 200;
}
