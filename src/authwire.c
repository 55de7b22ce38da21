#include <stdint.h>
#include <string.h>

#include "authwire.h"

enum auth_rc
auth_out_add(struct buf *b, const void *p, size_t n)
{
	if (buf_add(b, p, n) == 0)
		return AUTH_OK;
	return n > b->max - b->len ? AUTH_TOO_LONG : AUTH_NOMEM;
}

enum auth_rc
auth_out_str(struct buf *b, const char *s)
{
	return auth_out_add(b, s, strlen(s));
}

enum auth_rc
auth_out_quoted(struct buf *b, const char *name, const char *value)
{
	enum auth_rc rc;
	const char *p;

	if ((rc = auth_out_str(b, name)) != AUTH_OK ||
	    (rc = auth_out_add(b, "=\"", 2)) != AUTH_OK)
		return rc;
	for (p = value; *p != '\0'; p++) {
		if ((*p == '"' || *p == '\\') &&
		    (rc = auth_out_add(b, "\\", 1)) != AUTH_OK)
			return rc;
		if ((rc = auth_out_add(b, p, 1)) != AUTH_OK)
			return rc;
	}
	return auth_out_add(b, "\"", 1);
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

enum auth_rc
auth_base64_encode(struct buf *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	enum auth_rc rc;
	char q[4];
	size_t i;
	uint32_t v;

	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = b64chars[(v >> 18) & 63];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		q[3] = i + 2 < len ? b64chars[v & 63] : '=';
		if ((rc = auth_out_add(b, q, 4)) != AUTH_OK)
			return rc;
	}
	return AUTH_OK;
}

static int
b64val(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(b64chars, c)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

int
auth_base64_decode(const char *s, size_t len, unsigned char *out,
    size_t max, size_t *outlen)
{
	size_t i, o = 0, pad = 0;
	uint32_t v;
	int k, d;

	if (len == 0 || len % 4 != 0)
		return -1;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	if (len / 4 * 3 - pad > max)
		return -1;
	for (i = 0; i < len; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + 4 == len && k >= 4 - (int)pad) {
				d = 0;
			} else if ((d = b64val((unsigned char)s[i + k])) == -1)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		out[o++] = (unsigned char)(v >> 16);
		if (i + 4 < len || pad < 2)
			out[o++] = (unsigned char)(v >> 8);
		if (i + 4 < len || pad < 1)
			out[o++] = (unsigned char)v;
	}
	*outlen = o;
	return 0;
}

void
auth_hex(const unsigned char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int
auth_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	return 0;
}

/*
 * A user without a password is not the same as an empty password: the
 * driver asks for one (or gives up) before we get here, so pass == NULL
 * means "none available" and an empty password must come as "".
 * Control characters can never be sent (RFC 7617 §2), and CR or LF would
 * split the header; the driver checks first, this is the backstop.
 */
enum auth_rc
auth_check_cred(const struct cred *cred)
{
	if (cred == NULL || cred->user == NULL || cred->pass == NULL)
		return AUTH_NO_CREDENTIALS;
	if (auth_has_ctl(cred->user) || auth_has_ctl(cred->pass))
		return AUTH_NO_CREDENTIALS;
	if (strlen(cred->user) > AUTH_CRED_MAX ||
	    strlen(cred->pass) > AUTH_CRED_MAX)
		return AUTH_TOO_LONG;
	return AUTH_OK;
}
