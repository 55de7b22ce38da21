/*
 * The whole 407 loop: auth_next() over a series of 407s, driven as
 * tunnel.c drives it.  First byte: the schemes allowed (low four bits,
 * none meaning all built in) and the credentials (high four).  Then per
 * round: a byte whose bit 0 says the proxy closes the connection after
 * this 407 and bits 1-3 give the number of Proxy-Authenticate fields;
 * each field is a 16-bit little-endian length (top bit set: the bytes
 * are a raw Type 2, sent as "NTLM <base64>") and its bytes.
 *
 * Properties: AUTH_OK always comes with a non-empty value without CR,
 * LF or NUL, starting with the scheme in progress, which was allowed;
 * anything else leaves the value empty; the probe without credentials
 * fails the same way unless it only lacked credentials.  Credentials go
 * out for one scheme only and once, but for one Digest retry after
 * stale=true; a Type 1 goes out once per connection the proxy dropped
 * mid-exchange, never after credentials.  The realm and the offered
 * list kept for messages are printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_int.h"

#define OUT_MAX		(32 * 1024)	/* tunnel.c's AUTHZ_MAX */
#define ROUNDS		16		/* twice tunnel.c's ROUNDS_MAX */
#define FIELD_T2	0x8000U
#define URI		"db.internal:5432"
#define TYPE1		"NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAgAAAAAAAAACAAAAA="

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const struct cred creds[] = {
	{ "alice", "secret" },
	{ "alice", "" },
	{ "alice", NULL },
	{ "a:b", "p" },
	{ "DOMAIN\\user", "Password" },
	{ "J\xc3\xa4s\xc3\xb8n Doe", "Secret, or not?" },
	{ "al\nice", "p" },
	{ "a\"b", "p\\" },
};
#define NCREDS	(sizeof(creds) / sizeof(creds[0]) + 1)	/* + NULL */

static unsigned char rnd;

static int
fake_random(void *buf, size_t n)
{
	memset(buf, rnd++, n);
	return 0;
}

static int64_t
fake_now(void)
{
	return 1700000000;
}

static const struct auth_env env = { fake_random, fake_now };

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "NTLM " and the base64 of n bytes. */
static char *
ntlm_field(const unsigned char *p, size_t n)
{
	size_t i, o = 5;
	uint32_t v;
	char *s;

	if ((s = malloc(5 + (n + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	memcpy(s, "NTLM ", 5);
	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		s[o++] = b64[v >> 18 & 63];
		s[o++] = b64[v >> 12 & 63];
		s[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		s[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	s[o] = '\0';
	return s;
}

static void
printable(const char *s, size_t size)
{
	size_t i;

	for (i = 0; i < size && s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
	if (i == size)
		abort();
}

/* "Basic " and the base64 of user ":" pass, exactly. */
static void
check_basic(const struct buf *out, const struct cred *c)
{
	size_t ul = strlen(c->user), pl = strlen(c->pass);
	unsigned char *pair;
	char *want;

	if ((pair = malloc(ul + pl + 1)) == NULL)
		return;
	memcpy(pair, c->user, ul);
	pair[ul] = ':';
	memcpy(pair + ul + 1, c->pass, pl);
	if ((want = ntlm_field(pair, ul + pl + 1)) != NULL &&
	    strcmp(out->data + 6, want + 5) != 0)
		abort();
	free(want);
	free(pair);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_state st, probe;
	const struct cred *cred;
	struct buf out;
	char *fields[8];
	const char *const ntlm_restart[] = { "NTLM" };
	const char *const *fv;
	size_t pos = 1, nf, nalloc, k, len, round;
	unsigned flags, tried = 0, basic = 0, digest = 0, type1 = 0;
	unsigned type3 = 0, resets = 0, given = 0;
	enum auth_rc rc, prc;
	int stale_before, phase_before;

	if (size < 1)
		return 0;
	rnd = 0;
	memset(&st, 0, sizeof(st));
	k = (data[0] >> 4) % NCREDS;
	cred = k < NCREDS - 1 ? &creds[k] : NULL;
	buf_init(&out, OUT_MAX);

	for (round = 0; round < ROUNDS && pos < size; round++) {
		flags = data[pos++];
		nf = (flags >> 1) & 7;
		for (k = 0; k < nf; k++) {
			len = 0;
			if (pos + 2 <= size) {
				len = (size_t)data[pos] |
				    (size_t)data[pos + 1] << 8;
				pos += 2;
			} else
				pos = size;
			if ((len & ~(size_t)FIELD_T2) > size - pos)
				len = (len & FIELD_T2) | (size - pos);
			if (len & FIELD_T2) {
				len &= ~(size_t)FIELD_T2;
				fields[k] = ntlm_field(data + pos, len);
			} else if ((fields[k] = malloc(len + 1)) != NULL) {
				memcpy(fields[k], data + pos, len);
				fields[k][len] = '\0';
			}
			if (fields[k] == NULL)
				abort();
			pos += len;
		}
		fv = (const char *const *)fields;
		nalloc = nf;

		/* As do_auth() does it. */
		st.allowed = (data[0] & 15) != 0 ? data[0] & 15U : AUTH_BUILTIN;
		if ((flags & 1) && auth_needs_same_connection(&st)) {
			auth_connection_reset(&st);
			fv = ntlm_restart;
			nf = 1;
			resets++;
		}
		probe = st;
		prc = auth_next(&probe, fv, nf, NULL, URI, &env, &out);
		if (prc == AUTH_OK || out.len != 0)
			abort();
		stale_before = st.stale_used;
		phase_before = st.ntlm_phase;
		rc = auth_next(&st, fv, nf, cred, URI, &env, &out);
		if (prc != AUTH_NO_CREDENTIALS && rc != prc)
			abort();
		printable(st.realm, sizeof(st.realm));
		printable(st.offered, sizeof(st.offered));
		for (k = 0; k < nalloc; k++)
			free(fields[k]);
		if (rc != AUTH_OK) {
			if (out.len != 0)
				abort();
			break;
		}

		if (cred == NULL || out.len == 0 ||
		    strlen(out.data) != out.len ||
		    strpbrk(out.data, "\r\n") != NULL ||
		    !((unsigned)st.scheme & st.allowed & AUTH_BUILTIN) ||
		    strncmp(out.data, auth_scheme_name(st.scheme),
		    strlen(auth_scheme_name(st.scheme))) != 0 ||
		    out.data[strlen(auth_scheme_name(st.scheme))] != ' ')
			abort();
		switch (st.scheme) {
		case AUTH_BASIC:
			check_basic(&out, cred);
			basic++;
			break;
		case AUTH_DIGEST:
			/* A second answer only for a stale nonce, once. */
			if (digest++ > 0 && (stale_before || !st.stale_used))
				abort();
			break;
		case AUTH_NTLM:
			if (st.ntlm_phase == 1) {
				if (strcmp(out.data, TYPE1) != 0 || given)
					abort();
				type1++;
				continue;
			}
			if (st.ntlm_phase != 2 || phase_before != 1)
				abort();
			type3++;
			break;
		default:
			abort();
		}
		given++;
		tried |= (unsigned)st.scheme;
		/* Credentials for one scheme only. */
		if (tried & (tried - 1))
			abort();
	}
	if (basic > 1 || digest > 2 || type3 > 1 || type1 > 1 + resets)
		abort();
	buf_free(&out);
	return 0;
}
