#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"
#include "md4.h"
#include "ossl.h"
#include "util.h"

/*
 * NTLM over HTTP (MS-NLMP), NTLMv2 only: NTLMv1 and LM are broken and
 * not sent.  The exchange is Type 1 (NEGOTIATE_MESSAGE) → 407 with Type 2
 * (CHALLENGE_MESSAGE) → Type 3 (AUTHENTICATE_MESSAGE), on one connection.
 * Everything read from a Type 2 is bounds-checked before use: offsets
 * and lengths come from the proxy (CVE-2018-16890, CVE-2019-3822).
 */

#define NTLM_SIG		"NTLMSSP"	/* with its NUL: 8 bytes */
#define NTLM_TYPE2_MIN		32	/* up to and including flags+challenge */
#define NTLM_TYPE2_TI_MIN	48	/* with the target info buffer */
#define NTLM_TYPE2_MAX		(CHALLENGE_TOKEN68_MAX / 4 * 3)
#define NTLM_TYPE3_HDR		64
#define NTLM_TYPE3_MAX		(NTLM_TYPE3_HDR + 24 + 48 + \
	    NTLM_TARGETINFO_MAX + 4 * AUTH_CRED_MAX)

/* MS-NLMP §2.2.2.5 */
#define NEG_UNICODE		0x00000001U
#define NEG_OEM			0x00000002U
#define NEG_REQUEST_TARGET	0x00000004U
#define NEG_NTLM		0x00000200U
#define NEG_ALWAYS_SIGN		0x00008000U
#define NEG_EXTENDED_SESSION	0x00080000U
#define NEG_TARGET_INFO		0x00800000U

/*
 * curl's Type 1 flags (OEM, REQUEST_TARGET, NTLM, ALWAYS_SIGN and
 * EXTENDED_SESSIONSECURITY, its "NTLM2 key") plus UNICODE, so that the
 * proxy may pick UTF-16 names, which we prefer.  No domain or workstation
 * is supplied in Type 1.
 */
#define TYPE1_FLAGS	(NEG_UNICODE | NEG_OEM | NEG_REQUEST_TARGET | \
	    NEG_NTLM | NEG_ALWAYS_SIGN | NEG_EXTENDED_SESSION)

/* AV pair ids, §2.2.2.1 */
#define AV_EOL		0
#define AV_TIMESTAMP	7

/* Seconds between 1601-01-01 (FILETIME) and 1970-01-01. */
#define FILETIME_EPOCH	11644473600LL

static uint16_t
get16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put16(unsigned char *p, size_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

enum auth_rc
auth_ntlm_type1(struct buf *out)
{
	unsigned char m[32];
	enum auth_rc rc;

	/* Signature, type, flags, then empty domain and workstation. */
	memset(m, 0, sizeof(m));
	memcpy(m, NTLM_SIG, 8);
	put32(m + 8, 1);
	put32(m + 12, TYPE1_FLAGS);
	put32(m + 20, 32);		/* offsets past the header */
	put32(m + 28, 32);
	if ((rc = auth_out_str(out, "NTLM ")) != AUTH_OK)
		return rc;
	return auth_base64_encode(out, m, sizeof(m));
}

/* A security buffer (len, maxlen, offset) inside a message of mlen. */
static int
secbuf(const unsigned char *m, size_t mlen, size_t at, size_t *off,
    size_t *len)
{
	*len = get16(m + at);
	*off = get32(m + at + 4);
	/* An empty buffer is never read, wherever it says it starts. */
	if (*len == 0)
		return 0;
	/* Both comparisons avoid off + len, which could wrap. */
	if (*off > mlen || *len > mlen - *off)
		return -1;
	return 0;
}

enum auth_rc
auth_ntlm_parse_type2(const unsigned char *m, size_t mlen,
    struct ntlm_type2 *t2)
{
	size_t off, len, pos, alen;
	uint16_t id;

	memset(t2, 0, sizeof(*t2));
	if (mlen < NTLM_TYPE2_MIN || memcmp(m, NTLM_SIG, 8) != 0 ||
	    get32(m + 8) != 2)
		return AUTH_BAD_CHALLENGE;
	/*
	 * TargetName is never read, so it is not checked: squid's
	 * ntlm_fake_auth, for one, sends a bogus offset there.
	 */
	t2->flags = get32(m + 20);
	memcpy(t2->challenge, m + 24, 8);
	/* Target info is there only when the flags say so (as curl reads
	 * it): squid's ntlm_fake_auth puts other bytes where it would be. */
	if ((t2->flags & NEG_TARGET_INFO) == 0)
		return AUTH_OK;
	if (mlen < NTLM_TYPE2_TI_MIN)
		return AUTH_BAD_CHALLENGE;
	if (secbuf(m, mlen, 40, &off, &len) == -1)
		return AUTH_BAD_CHALLENGE;
	if (len == 0)
		return AUTH_OK;
	/* Target info overlapping the fixed header makes no sense. */
	if (off < NTLM_TYPE2_TI_MIN)
		return AUTH_BAD_CHALLENGE;
	if (len > NTLM_TARGETINFO_MAX)
		return AUTH_TOO_LONG;
	t2->ti = m + off;
	t2->tilen = len;
	/*
	 * Walk the AV pairs (§2.2.2.1) for MsvAvTimestamp.  Each pair must
	 * fit in what is left; the walk ends at MsvAvEOL or the buffer end.
	 */
	for (pos = 0; len - pos >= 4; pos += alen) {
		id = get16(t2->ti + pos);
		alen = get16(t2->ti + pos + 2);
		pos += 4;
		if (alen > len - pos)
			return AUTH_BAD_CHALLENGE;
		if (id == AV_EOL)
			break;
		if (id == AV_TIMESTAMP && alen == 8) {
			memcpy(t2->ts, t2->ti + pos, 8);
			t2->have_ts = 1;
		}
	}
	return AUTH_OK;
}

/*
 * UTF-8 to UTF-16LE.  Bytes that are not valid UTF-8 are taken as
 * Latin-1, which is what a Latin-1 terminal meant and what curl sends.
 * With upper set, ASCII letters are upper-cased (the user name in
 * NTOWFv2, §3.3.2); other scripts are left as they are, a known limit.
 */
static enum auth_rc
utf16le(struct buf *b, const char *s, int upper)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char u[4];
	enum auth_rc rc;
	uint32_t cp;
	size_t n, k;

	while (*p != '\0') {
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 2;
			cp = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 3;
			cp = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 4;
			cp = *p & 0x07;
		} else {
			n = 1;
			cp = *p;
		}
		for (k = 1; k < n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				break;
			cp = cp << 6 | (p[k] & 0x3f);
		}
		/* Overlong, surrogate or out-of-range forms are not UTF-8. */
		if (k < n || (n == 3 && (cp < 0x800 ||
		    (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
			n = 1;
			cp = *p;
		}
		p += n;
		if (upper && cp >= 'a' && cp <= 'z')
			cp -= 32;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			put16(u, 0xd800 | (cp >> 10));
			put16(u + 2, 0xdc00 | (cp & 0x3ff));
			rc = auth_out_add(b, u, 4);
		} else {
			put16(u, cp);
			rc = auth_out_add(b, u, 2);
		}
		if (rc != AUTH_OK)
			return rc;
	}
	return AUTH_OK;
}

static int
hmac_md5(const unsigned char *key, size_t keylen, const void *data,
    size_t len, unsigned char out[16])
{
	unsigned int olen = 0;
	char err[256];

	if (ossl_need(OSSL_CRYPTO, err, sizeof(err)) == -1 ||
	    HMAC(EVP_md5(), key, (int)keylen, data, len, out, &olen) == NULL ||
	    olen != 16)
		return -1;
	return 0;
}

enum auth_rc
auth_ntlm_ntowfv2(const char *user, const char *domain, const char *pass,
    unsigned char out[16])
{
	unsigned char nt[MD4_DIGEST_LEN];
	struct buf b;
	enum auth_rc rc;

	/* NTOWFv1 = MD4(UNICODE(Passwd)) */
	buf_init(&b, 4 * AUTH_CRED_MAX);
	if ((rc = utf16le(&b, pass, 0)) != AUTH_OK)
		goto out;
	md4(b.data != NULL ? b.data : "", b.len, nt);
	buf_reset(&b);
	/* NTOWFv2 = HMAC_MD5(NTOWFv1, UNICODE(Upper(User) + UserDom)) */
	if ((rc = utf16le(&b, user, 1)) != AUTH_OK ||
	    (rc = utf16le(&b, domain, 0)) != AUTH_OK)
		goto out;
	if (hmac_md5(nt, sizeof(nt), b.data != NULL ? b.data : "", b.len,
	    out) == -1)
		rc = AUTH_NOMEM;
out:
	wipe(nt, sizeof(nt));
	buf_wipe(&b);
	return rc;
}

enum auth_rc
auth_ntlm_v2(const unsigned char ntowf[16], const unsigned char srvchal[8],
    const unsigned char clichal[8], const unsigned char ts[8],
    const unsigned char *ti, size_t tilen, struct buf *nt,
    unsigned char lm[24])
{
	static const unsigned char zero[8];
	static const unsigned char ver[2] = { 1, 1 };
	unsigned char proof[16], both[16];
	struct buf tmp;
	enum auth_rc rc;

	/*
	 * §3.3.2: temp = Responserversion HiResponserversion Z(6) Time
	 * ClientChallenge Z(4) ServerName Z(4), and the proof is keyed over
	 * the server challenge followed by temp.
	 */
	buf_init(&tmp, 8 + 28 + NTLM_TARGETINFO_MAX + 4);
	if (tilen > NTLM_TARGETINFO_MAX)
		return AUTH_TOO_LONG;
	if ((rc = auth_out_add(&tmp, srvchal, 8)) != AUTH_OK ||
	    (rc = auth_out_add(&tmp, ver, 2)) != AUTH_OK ||
	    (rc = auth_out_add(&tmp, zero, 6)) != AUTH_OK ||
	    (rc = auth_out_add(&tmp, ts, 8)) != AUTH_OK ||
	    (rc = auth_out_add(&tmp, clichal, 8)) != AUTH_OK ||
	    (rc = auth_out_add(&tmp, zero, 4)) != AUTH_OK ||
	    (tilen > 0 && (rc = auth_out_add(&tmp, ti, tilen)) != AUTH_OK) ||
	    (rc = auth_out_add(&tmp, zero, 4)) != AUTH_OK)
		goto out;
	rc = AUTH_NOMEM;
	if (hmac_md5(ntowf, 16, tmp.data, tmp.len, proof) == -1)
		goto out;
	/* NtChallengeResponse = NTProofStr || temp */
	if ((rc = auth_out_add(nt, proof, 16)) != AUTH_OK ||
	    (rc = auth_out_add(nt, tmp.data + 8, tmp.len - 8)) != AUTH_OK)
		goto out;
	/* LmChallengeResponse = HMAC_MD5(key, srvchal || clichal) || clichal */
	memcpy(both, srvchal, 8);
	memcpy(both + 8, clichal, 8);
	rc = AUTH_NOMEM;
	if (hmac_md5(ntowf, 16, both, 16, lm) == -1)
		goto out;
	memcpy(lm + 16, clichal, 8);
	rc = AUTH_OK;
out:
	wipe(proof, sizeof(proof));
	buf_wipe(&tmp);
	return rc;
}

/* "DOMAIN\user" or "user@domain"; otherwise the domain is empty. */
static enum auth_rc
split_user(const char *full, struct buf *user, struct buf *domain)
{
	const char *p;
	enum auth_rc rc;

	if ((p = strchr(full, '\\')) != NULL) {
		if ((rc = auth_out_add(domain, full, (size_t)(p - full))) !=
		    AUTH_OK)
			return rc;
		return auth_out_str(user, p + 1);
	}
	if ((p = strrchr(full, '@')) != NULL) {
		if ((rc = auth_out_add(user, full, (size_t)(p - full))) !=
		    AUTH_OK)
			return rc;
		return auth_out_str(domain, p + 1);
	}
	if ((rc = auth_out_str(user, full)) != AUTH_OK)
		return rc;
	return auth_out_add(domain, "", 0);
}

/* Names in Type 3: UTF-16LE when the proxy chose UNICODE, else as bytes. */
static enum auth_rc
wire_name(struct buf *b, const char *s, int unicode)
{
	return unicode ? utf16le(b, s, 0) : auth_out_str(b, s);
}

/* What a Type 3 is made of; every buffer is wiped once it went out. */
struct type3 {
	unsigned char	*raw;			/* the Type 2, decoded */
	struct buf	 user, domain;		/* as the user gave them */
	struct buf	 wuser, wdomain;	/* as they go on the wire */
	struct buf	 nt;			/* NtChallengeResponse */
	unsigned char	 lm[24];		/* LmChallengeResponse */
	uint32_t	 flags;
	struct buf	 msg;			/* the whole message */
};

static void
type3_init(struct type3 *m)
{
	memset(m, 0, sizeof(*m));
	buf_init(&m->user, AUTH_CRED_MAX);
	buf_init(&m->domain, AUTH_CRED_MAX);
	buf_init(&m->wuser, 4 * AUTH_CRED_MAX);
	buf_init(&m->wdomain, 4 * AUTH_CRED_MAX);
	buf_init(&m->nt, 16 + 28 + NTLM_TARGETINFO_MAX + 4);
	buf_init(&m->msg, NTLM_TYPE3_MAX);
}

static void
type3_wipe(struct type3 *m)
{
	if (m->raw != NULL) {
		wipe(m->raw, NTLM_TYPE2_MAX);
		free(m->raw);
		m->raw = NULL;
	}
	buf_wipe(&m->msg);
	buf_wipe(&m->nt);
	buf_wipe(&m->wdomain);
	buf_wipe(&m->wuser);
	buf_wipe(&m->domain);
	buf_wipe(&m->user);
	wipe(m->lm, sizeof(m->lm));
}

/* The token68 of a Type 2, decoded into m->raw and parsed into t2. */
static enum auth_rc
type2_decode(struct type3 *m, const char *b64, struct ntlm_type2 *t2)
{
	size_t b64len = strlen(b64), rawlen;

	if (b64len > CHALLENGE_TOKEN68_MAX)
		return AUTH_TOO_LONG;
	if ((m->raw = malloc(NTLM_TYPE2_MAX)) == NULL)
		return AUTH_NOMEM;
	if (auth_base64_decode(b64, b64len, m->raw, NTLM_TYPE2_MAX,
	    &rawlen) == -1)
		return AUTH_BAD_CHALLENGE;
	return auth_ntlm_parse_type2(m->raw, rawlen, t2);
}

/*
 * Our client challenge, and the time for the NTLMv2 blob: the proxy's own
 * clock when it sent one (MS-NLMP §3.1.5.2.1), so that clock skew on our
 * side cannot fail the response.
 */
static int
client_nonce(const struct ntlm_type2 *t2, const struct auth_env *env,
    unsigned char clichal[8], unsigned char ts[8])
{
	uint64_t ft;
	int i;

	if (env == NULL || env->random == NULL ||
	    env->random(clichal, 8) != 0)
		return -1;
	if (t2->have_ts) {
		memcpy(ts, t2->ts, 8);
		return 0;
	}
	if (env->now == NULL)
		return -1;
	ft = (uint64_t)(env->now() + FILETIME_EPOCH) * 10000000U;
	for (i = 0; i < 8; i++)
		ts[i] = (unsigned char)(ft >> (8 * i));
	return 0;
}

/* The LM and NT responses, and the names as they go on the wire. */
static enum auth_rc
type3_fill(struct type3 *m, const struct ntlm_type2 *t2,
    const struct cred *cred, const unsigned char clichal[8],
    const unsigned char ts[8])
{
	unsigned char ntowf[16];
	enum auth_rc rc;
	int unicode;

	if ((rc = split_user(cred->user, &m->user, &m->domain)) != AUTH_OK ||
	    (rc = auth_ntlm_ntowfv2(m->user.data, m->domain.data, cred->pass,
	    ntowf)) != AUTH_OK ||
	    (rc = auth_ntlm_v2(ntowf, t2->challenge, clichal, ts, t2->ti,
	    t2->tilen, &m->nt, m->lm)) != AUTH_OK)
		goto out;
	/*
	 * With MsvAvTimestamp present the client "SHOULD NOT send the
	 * LmChallengeResponse and SHOULD send Z(24) instead" (§3.1.5.2.1).
	 */
	if (t2->have_ts)
		memset(m->lm, 0, sizeof(m->lm));

	unicode = (t2->flags & NEG_UNICODE) != 0;
	m->flags = t2->flags & (TYPE1_FLAGS | NEG_TARGET_INFO);
	m->flags |= NEG_NTLM | (unicode ? NEG_UNICODE : NEG_OEM);
	m->flags &= unicode ? ~NEG_OEM : ~NEG_UNICODE;
	if ((rc = wire_name(&m->wuser, m->user.data, unicode)) != AUTH_OK)
		goto out;
	rc = wire_name(&m->wdomain, m->domain.data, unicode);
out:
	wipe(ntowf, sizeof(ntowf));
	return rc;
}

/* A security buffer of the Type 3 header at h + at, for len bytes at off. */
static void
put_secbuf(unsigned char *h, size_t at, size_t len, size_t off)
{
	put16(h + at, len);
	put16(h + at + 2, len);
	put32(h + at + 4, (uint32_t)off);
}

/*
 * §2.2.1.3: the fixed part, then LM, NT, domain, user, and an empty
 * workstation (nothing about this host goes out) and session key.  Every
 * length fits in 16 bits: the buffers are bounded well below 64 KiB.
 */
static enum auth_rc
type3_message(struct type3 *m)
{
	unsigned char h[NTLM_TYPE3_HDR];
	size_t off = NTLM_TYPE3_HDR;
	enum auth_rc rc;

	memset(h, 0, sizeof(h));
	memcpy(h, NTLM_SIG, 8);
	put32(h + 8, 3);
	put_secbuf(h, 12, 24, off);
	off += 24;
	put_secbuf(h, 20, m->nt.len, off);
	off += m->nt.len;
	put_secbuf(h, 28, m->wdomain.len, off);
	off += m->wdomain.len;
	put_secbuf(h, 36, m->wuser.len, off);
	off += m->wuser.len;
	put32(h + 48, (uint32_t)off);	/* workstation, empty */
	put32(h + 56, (uint32_t)off);	/* session key, empty */
	put32(h + 60, m->flags);
	if (off > 0xffff)
		return AUTH_TOO_LONG;
	if ((rc = auth_out_add(&m->msg, h, sizeof(h))) != AUTH_OK ||
	    (rc = auth_out_add(&m->msg, m->lm, 24)) != AUTH_OK ||
	    (rc = auth_out_add(&m->msg, m->nt.data, m->nt.len)) != AUTH_OK ||
	    (m->wdomain.len > 0 && (rc = auth_out_add(&m->msg,
	    m->wdomain.data, m->wdomain.len)) != AUTH_OK) ||
	    (m->wuser.len > 0 && (rc = auth_out_add(&m->msg, m->wuser.data,
	    m->wuser.len)) != AUTH_OK))
		return rc;
	return AUTH_OK;
}

enum auth_rc
auth_ntlm_type3(const char *type2_b64, const struct cred *cred,
    const struct auth_env *env, struct buf *out)
{
	struct ntlm_type2 t2;
	struct type3 m;
	unsigned char clichal[8], ts[8];
	enum auth_rc rc;

	type3_init(&m);
	if ((rc = auth_check_cred(cred)) != AUTH_OK ||
	    (rc = type2_decode(&m, type2_b64, &t2)) != AUTH_OK)
		goto out;
	rc = AUTH_NOMEM;
	if (client_nonce(&t2, env, clichal, ts) == -1)
		goto out;
	if ((rc = type3_fill(&m, &t2, cred, clichal, ts)) != AUTH_OK ||
	    (rc = type3_message(&m)) != AUTH_OK ||
	    (rc = auth_out_str(out, "NTLM ")) != AUTH_OK)
		goto out;
	rc = auth_base64_encode(out, m.msg.data, m.msg.len);
out:
	type3_wipe(&m);
	return rc;
}
