/*
 * NTLM Type 2 parsing and Type 3 building (MS-NLMP), and the base64 they
 * travel in.  The first byte picks the credentials (bits 1-4) and whether
 * the fixed start of a Type 2 ("NTLMSSP\0", type 2) goes in front of the
 * rest (bit 0), so that mutations reach the security buffers at once.
 *
 * The message is parsed as it is, and its verdict must be the one the
 * rules of auth_ntlm.c give (signature, type, size, and target info,
 * when the flags announce it, inside the message and within bounds, its
 * AV pairs too); what it points at must lie inside the message.  It is
 * then base64-encoded here and given to auth_ntlm_type3(), and the rest
 * of the input is also given as it is, as the token68 of a challenge.  A
 * Type 3 built must decode as an NTLMSSP message of type 3 whose every
 * security buffer lies inside it, without overlap, carrying the Type 2's
 * target info and timestamp, our client challenge, and the user and
 * domain as the proxy asked for them.  The project's base64 decoder must
 * agree with the one here on every string.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"

#define OUT_MAX		(32 * 1024)	/* tunnel.c's AUTHZ_MAX */
#define TOKEN_MAX	CHALLENGE_TOKEN68_MAX
#define NOW		1700000000LL
#define CLICHAL		0xaa
#define NEG_UNICODE	0x00000001U
#define NEG_OEM		0x00000002U
#define NEG_NTLM	0x00000200U
#define NEG_TARGET_INFO	0x00800000U
#define TYPE3_FLAGS	0x00888207U	/* Type 1's, and TARGET_INFO */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char long1024[1025], long1025[1026];

#define U(s)	s, sizeof(s) - 1
static const struct credcase {
	const char	*user;
	const char	*pass;
	enum auth_rc	 rc;
	const char	*dom;		/* as bytes (OEM) */
	const char	*usr;
	const char	*dom_uni;	/* UTF-16LE; NULL: dom is ASCII */
	size_t		 dom_unilen;
	const char	*usr_uni;
	size_t		 usr_unilen;
} creds[] = {
	{ "Domain\\User", "Password", AUTH_OK, "Domain", "User", NULL, 0,
	  NULL, 0 },
	{ "user@Domain.Example", "pw", AUTH_OK, "Domain.Example", "user",
	  NULL, 0, NULL, 0 },
	{ "alice", "", AUTH_OK, "", "alice", NULL, 0, NULL, 0 },
	{ "DOM\\us@er", "p", AUTH_OK, "DOM", "us@er", NULL, 0, NULL, 0 },
	{ "a@b@c", "p", AUTH_OK, "c", "a@b", NULL, 0, NULL, 0 },
	{ "\\user", "p", AUTH_OK, "", "user", NULL, 0, NULL, 0 },
	{ "user@", "p", AUTH_OK, "", "user", NULL, 0, NULL, 0 },
	{ "DOMAIN\\", "p", AUTH_OK, "DOMAIN", "", NULL, 0, NULL, 0 },
	{ "\xc3\x9cser", "p\xc3\xa4ss", AUTH_OK, "", "\xc3\x9cser", NULL, 0,
	  U("\xdc\0s\0e\0r\0") },
	{ "\xe9t\xe9", "p", AUTH_OK, "", "\xe9t\xe9", NULL, 0,
	  U("\xe9\0t\0\xe9\0") },
	{ "\xf0\x9f\x98\x80", "p", AUTH_OK, "", "\xf0\x9f\x98\x80", NULL, 0,
	  U("\x3d\xd8\x00\xde") },
	{ "\xed\xa0\x80", "p", AUTH_OK, "", "\xed\xa0\x80", NULL, 0,
	  U("\xed\0\xa0\0\x80\0") },
	{ "\xe0\x80\xaf\\x", "p", AUTH_OK, "\xe0\x80\xaf", "x",
	  U("\xe0\0\x80\0\xaf\0"), NULL, 0 },
	{ long1024, "p", AUTH_OK, "", long1024, NULL, 0, NULL, 0 },
	{ long1025, "p", AUTH_TOO_LONG, NULL, NULL, NULL, 0, NULL, 0 },
	{ "alice", NULL, AUTH_NO_CREDENTIALS, NULL, NULL, NULL, 0, NULL, 0 },
	{ "al\nice", "p", AUTH_NO_CREDENTIALS, NULL, NULL, NULL, 0, NULL, 0 },
	{ "bob", "pa\177ss", AUTH_NO_CREDENTIALS, NULL, NULL, NULL, 0, NULL,
	  0 },
};
#define NCREDS	(sizeof(creds) / sizeof(creds[0]))

static int
fixed_random(void *buf, size_t n)
{
	memset(buf, CLICHAL, n);
	return 0;
}

static int64_t
fixed_now(void)
{
	return NOW;
}

static const struct auth_env env = { fixed_random, fixed_now };

static uint32_t
le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
b64enc(const unsigned char *p, size_t n)
{
	size_t i, o = 0;
	uint32_t v;
	char *s;

	if ((s = malloc((n + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
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

/* RFC 4648 with padding: '=' only as the last one or two characters. */
static int
b64dec(const char *s, size_t n, unsigned char *out, size_t *outlen)
{
	size_t i, o = 0, pad = 0;
	const char *q;
	uint32_t v = 0;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i++) {
		if (i >= n - pad)
			v <<= 6;
		else if (s[i] == '\0' || (q = strchr(b64, s[i])) == NULL)
			return -1;
		else
			v = v << 6 | (uint32_t)(q - b64);
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			if (i < n - 1 || pad < 2)
				out[o++] = (unsigned char)(v >> 8);
			if (i < n - 1 || pad < 1)
				out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	*outlen = o;
	return 0;
}

/* The rules of auth_ntlm_parse_type2(), written out again. */
static enum auth_rc
expect_type2(const unsigned char *m, size_t n)
{
	uint64_t off, len, pos, alen;

	if (n < 32 || memcmp(m, "NTLMSSP", 8) != 0 || le32(m + 8) != 2)
		return AUTH_BAD_CHALLENGE;
	/*
	 * TargetName is never read, hence never checked, and target info
	 * only when the flags announce it (squid's fake NTLM helper sends
	 * other bytes in both places); an empty buffer may point anywhere.
	 */
	if ((le32(m + 20) & NEG_TARGET_INFO) == 0)
		return AUTH_OK;
	if (n < 48)
		return AUTH_BAD_CHALLENGE;
	off = le32(m + 44);
	len = le16(m + 40);
	if (len == 0)
		return AUTH_OK;
	if (off + len > n || off < 48)
		return AUTH_BAD_CHALLENGE;
	if (len > NTLM_TARGETINFO_MAX)
		return AUTH_TOO_LONG;
	for (pos = 0; pos + 4 <= len; pos += alen) {
		alen = le16(m + off + pos + 2);
		if (pos + 4 + alen > len)
			return AUTH_BAD_CHALLENGE;
		if (le16(m + off + pos) == 0)
			break;
		pos += 4;
	}
	return AUTH_OK;
}

/* Is ts the value of an MsvAvTimestamp pair of the target info? */
static int
ts_in_ti(const unsigned char *ti, size_t len, const unsigned char *ts)
{
	size_t pos, alen;

	for (pos = 0; pos + 4 <= len; pos += 4 + alen) {
		alen = le16(ti + pos + 2);
		if (pos + 4 + alen > len || le16(ti + pos) == 0)
			return 0;
		if (le16(ti + pos) == 7 && alen == 8 &&
		    memcmp(ti + pos + 4, ts, 8) == 0)
			return 1;
	}
	return 0;
}

static void
check_type2(const unsigned char *m, size_t n, const struct ntlm_type2 *t2)
{
	if (memcmp(t2->challenge, m + 24, 8) != 0 || t2->flags !=
	    le32(m + 20) || t2->tilen > NTLM_TARGETINFO_MAX)
		abort();
	if (t2->ti == NULL) {
		if (t2->tilen != 0 || t2->have_ts)
			abort();
		return;
	}
	if ((t2->flags & NEG_TARGET_INFO) == 0)
		abort();
	if (n < 48 || t2->ti != m + le32(m + 44) || t2->tilen != le16(m + 40) ||
	    t2->ti < m + 48 || t2->ti > m + n || t2->tilen == 0 ||
	    t2->tilen > (size_t)(m + n - t2->ti))
		abort();
	if (t2->have_ts && !ts_in_ti(t2->ti, t2->tilen, t2->ts))
		abort();
}

static int
same_name(const unsigned char *p, size_t len, const char *oem,
    const char *uni, size_t unilen, int unicode)
{
	size_t k, n = strlen(oem);

	if (!unicode)
		return len == n && memcmp(p, oem, n) == 0;
	if (uni != NULL)
		return len == unilen && memcmp(p, uni, unilen) == 0;
	if (len != 2 * n)
		return 0;
	for (k = 0; k < n; k++)
		if (p[2 * k] != (unsigned char)oem[k] || p[2 * k + 1] != 0)
			return 0;
	return 1;
}

/* A Type 3 answering t2 (the message m of n bytes), sent as cc. */
static void
check_type3(const struct buf *out, const struct ntlm_type2 *t2,
    const struct credcase *cc)
{
	unsigned char *m3, ts[8];
	const unsigned char *lm, *nt;
	size_t n3, i, k, len[6], off[6], sum = 0;
	uint64_t ft;
	uint32_t fl;
	int unicode;

	if (out->len < 5 || strlen(out->data) != out->len ||
	    memcmp(out->data, "NTLM ", 5) != 0)
		abort();
	if ((m3 = malloc(out->len)) == NULL)
		return;
	if (b64dec(out->data + 5, out->len - 5, m3, &n3) == -1 || n3 < 64 ||
	    memcmp(m3, "NTLMSSP", 8) != 0 || le32(m3 + 8) != 3)
		abort();
	/* LM, NT, domain, user, workstation, session key: inside, apart. */
	for (i = 0; i < 6; i++) {
		len[i] = le16(m3 + 12 + 8 * i);
		off[i] = le32(m3 + 12 + 8 * i + 4);
		if (le16(m3 + 12 + 8 * i + 2) != len[i] || off[i] < 64 ||
		    off[i] > n3 || len[i] > n3 - off[i])
			abort();
		for (k = 0; k < i; k++)
			if (len[i] > 0 && len[k] > 0 &&
			    off[i] < off[k] + len[k] &&
			    off[k] < off[i] + len[i])
				abort();
		sum += len[i];
	}
	if (n3 != 64 + sum || len[0] != 24 || len[4] != 0 || len[5] != 0 ||
	    len[1] != 16 + 28 + t2->tilen + 4)
		abort();
	fl = le32(m3 + 60);
	unicode = (t2->flags & NEG_UNICODE) != 0;
	if ((fl & ~TYPE3_FLAGS) != 0 || !(fl & NEG_NTLM) ||
	    (fl & (NEG_UNICODE | NEG_OEM)) != (unicode ? NEG_UNICODE : NEG_OEM))
		abort();

	if (t2->have_ts)
		memcpy(ts, t2->ts, 8);
	else {
		ft = (uint64_t)(NOW + 11644473600LL) * 10000000U;
		for (i = 0; i < 8; i++)
			ts[i] = (unsigned char)(ft >> (8 * i));
	}
	lm = m3 + off[0];
	nt = m3 + off[1];
	for (i = 0; i < 24; i++)
		if (t2->have_ts ? lm[i] != 0 : i >= 16 && lm[i] != CLICHAL)
			abort();
	/* NTProofStr, then temp of MS-NLMP §3.3.2. */
	if (nt[16] != 1 || nt[17] != 1 || memcmp(nt + 24, ts, 8) != 0 ||
	    (t2->tilen > 0 && memcmp(nt + 44, t2->ti, t2->tilen) != 0))
		abort();
	for (i = 18; i < 24; i++)
		if (nt[i] != 0)
			abort();
	for (i = 32; i < 40; i++)
		if (nt[i] != CLICHAL)
			abort();
	for (i = 0; i < 4; i++)
		if (nt[40 + i] != 0 || nt[44 + t2->tilen + i] != 0)
			abort();
	if (!same_name(m3 + off[2], len[2], cc->dom, cc->dom_uni,
	    cc->dom_unilen, unicode) ||
	    !same_name(m3 + off[3], len[3], cc->usr, cc->usr_uni,
	    cc->usr_unilen, unicode))
		abort();
	free(m3);
}

/* auth_ntlm_type3() on any string, against what is expected of it. */
static void
run_type3(const char *tok, const struct credcase *cc)
{
	struct cred cred = { (char *)cc->user, (char *)cc->pass };
	struct ntlm_type2 t2;
	struct buf out;
	unsigned char *raw, *mine;
	size_t n = strlen(tok), rawlen, minelen;
	enum auth_rc want, rc;
	int dec;

	raw = malloc(n / 4 * 3 + 1);
	mine = malloc(n / 4 * 3 + 1);
	if (raw == NULL || mine == NULL)
		goto out;
	/* The project's decoder agrees with ours, and stays in its max. */
	dec = b64dec(tok, n, mine, &minelen);
	if (auth_base64_decode(tok, n, raw, n / 4 * 3, &rawlen) != dec ||
	    (dec == 0 && (rawlen != minelen ||
	    memcmp(raw, mine, rawlen) != 0)))
		abort();
	if (dec == 0 && minelen > 0 && auth_base64_decode(tok, n, raw,
	    minelen - 1, &rawlen) != -1)
		abort();

	if (cc->rc != AUTH_OK)
		want = cc->rc;
	else if (n > TOKEN_MAX)
		want = AUTH_TOO_LONG;
	else if (dec == -1)
		want = AUTH_BAD_CHALLENGE;
	else
		want = expect_type2(mine, minelen);
	buf_init(&out, OUT_MAX);
	rc = auth_ntlm_type3(tok, &cred, &env, &out);
	if (rc != want || (rc != AUTH_OK && out.len != 0))
		abort();
	if (rc == AUTH_OK) {
		if (auth_ntlm_parse_type2(mine, minelen, &t2) != AUTH_OK)
			abort();
		check_type3(&out, &t2, cc);
	}
	buf_free(&out);
out:
	free(mine);
	free(raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char head[12] = "NTLMSSP\0\2\0\0";
	const struct credcase *cc;
	struct ntlm_type2 t2;
	unsigned char *m;
	size_t n, k;
	enum auth_rc rc;
	char *s;

	if (size < 1)
		return 0;
	if (long1024[0] == '\0') {
		memset(long1024, 'a', sizeof(long1024) - 1);
		memset(long1025, 'a', sizeof(long1025) - 1);
	}
	cc = &creds[(data[0] >> 1) % NCREDS];
	k = data[0] & 1 ? sizeof(head) : 0;
	n = k + size - 1;
	/* Exactly n bytes, so that ASan sees any read past the end. */
	if ((m = malloc(n + 1)) == NULL)
		return 0;
	memcpy(m, head, k);
	memcpy(m + k, data + 1, size - 1);
	rc = auth_ntlm_parse_type2(m, n, &t2);
	if (rc != expect_type2(m, n))
		abort();
	if (rc == AUTH_OK)
		check_type2(m, n, &t2);
	if ((s = b64enc(m, n)) != NULL) {
		run_type3(s, cc);
		free(s);
	}
	free(m);

	/* The bytes as they came, as the token68 of an NTLM challenge. */
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	run_type3(s, cc);
	free(s);
	return 0;
}
