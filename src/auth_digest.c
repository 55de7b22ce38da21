#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"
#include "challenge.h"
#include "ossl.h"
#include "util.h"

/*
 * Digest (RFC 7616), with the RFC 2617 compatibility form for servers
 * that send no qop (curl test 206).  H() is MD5, SHA-256 or SHA-512/256,
 * always as lowercase hex.
 */

#define HASH_HEX_MAX	(2 * EVP_MAX_MD_SIZE + 1)

static const struct {
	const char	*name;
	enum digest_alg	 alg;
	int		 sess;
} algs[] = {
	{ "MD5",		DIGEST_MD5,		0 },
	{ "MD5-sess",		DIGEST_MD5,		1 },
	{ "SHA-256",		DIGEST_SHA256,		0 },
	{ "SHA-256-sess",	DIGEST_SHA256,		1 },
	{ "SHA-512-256",	DIGEST_SHA512_256,	0 },
	{ "SHA-512-256-sess",	DIGEST_SHA512_256,	1 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

static const char *
alg_name(const struct digest_info *di)
{
	size_t i;

	for (i = 0; i < NALGS; i++)
		if (algs[i].alg == di->alg && algs[i].sess == di->sess)
			return algs[i].name;
	return "MD5";
}

static const EVP_MD *
alg_md(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_MD5:
		return EVP_md5();
	case DIGEST_SHA256:
		return EVP_sha256();
	case DIGEST_SHA512_256:
		return EVP_sha512_256();
	}
	return NULL;
}

int
auth_digest_usable(const struct challenge *c, struct digest_info *di)
{
	const char *v;
	size_t i;

	memset(di, 0, sizeof(*di));
	if (c->err != CH_OK || c->token68 != NULL)
		return -1;
	/* Without a nonce there is nothing to answer (RFC 7616 §3.3). */
	if ((v = challenge_param(c, "nonce")) == NULL || *v == '\0')
		return -1;
	/* "If this is not present, it is assumed to be MD5" (§3.3). */
	if ((v = challenge_param(c, "algorithm")) == NULL)
		v = "MD5";
	for (i = 0; i < NALGS; i++)
		if (strcasecmp_ascii(v, algs[i].name) == 0)
			break;
	if (i == NALGS)
		return -1;
	di->alg = algs[i].alg;
	di->sess = algs[i].sess;
	/* auth is preferred: auth-int over CONNECT adds nothing. */
	if ((v = challenge_param(c, "qop")) == NULL)
		di->qop = DIGEST_QOP_NONE;
	else if (list_has_token(v, strlen(v), "auth", NULL))
		di->qop = DIGEST_QOP_AUTH;
	else if (list_has_token(v, strlen(v), "auth-int", NULL))
		di->qop = DIGEST_QOP_AUTH_INT;
	else
		return -1;	/* only options we do not know (§3.3) */
	/*
	 * The -sess variants put cnonce into A1, and RFC 2617 sends no
	 * cnonce without qop, so that pairing cannot be answered.
	 */
	if (di->sess && di->qop == DIGEST_QOP_NONE)
		return -1;
	v = challenge_param(c, "userhash");
	di->userhash = v != NULL && strcasecmp_ascii(v, "true") == 0;
	/* "anything other than true" means not stale (§3.3). */
	v = challenge_param(c, "stale");
	di->stale = v != NULL && strcasecmp_ascii(v, "true") == 0;
	return 0;
}

int
auth_digest_rank(const struct digest_info *di)
{
	switch (di->alg) {
	case DIGEST_SHA512_256:
		return 3;
	case DIGEST_SHA256:
		return 2;
	case DIGEST_MD5:
		return 1;
	}
	return 0;
}

/* H(p[0] ":" p[1] ":" ... ) as lowercase hex into hex. */
static int
hash_hex(enum digest_alg alg, const char *const *parts, size_t n,
    char hex[HASH_HEX_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t i;
	int ok;
	char err[256];

	if (ossl_need(OSSL_CRYPTO, err, sizeof(err)) == -1 ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, alg_md(alg), NULL) == 1;
	for (i = 0; i < n && ok; i++) {
		if (i > 0)
			ok = EVP_DigestUpdate(ctx, ":", 1) == 1;
		if (ok)
			ok = EVP_DigestUpdate(ctx, parts[i],
			    strlen(parts[i])) == 1;
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	/* EVP_MD_CTX_free cleanses the state, which held the password. */
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	auth_hex(md, mdlen, hex);
	wipe(md, sizeof(md));
	return 0;
}

/* One answer (RFC 7616 §3.4): what goes into it and what comes out. */
struct answer {
	struct digest_info	 di;
	const char		*method, *uri, *cnonce;
	const char		*realm, *nonce, *opaque, *qop;
	char			 nc[9];			/* 8 hex digits */
	const char		*user;			/* or uhash */
	char			 uhash[HASH_HEX_MAX];
	char			 resp[HASH_HEX_MAX];
};

/* §3.4.2: A1 = user:realm:pass, and for -sess H(that):nonce:cnonce */
static int
digest_ha1(const struct answer *a, const struct cred *cred,
    char ha1[HASH_HEX_MAX])
{
	const char *p[3];

	p[0] = cred->user;
	p[1] = a->realm;
	p[2] = cred->pass;
	if (hash_hex(a->di.alg, p, 3, ha1) == -1)
		return -1;
	if (!a->di.sess)
		return 0;
	p[0] = ha1;
	p[1] = a->nonce;
	p[2] = a->cnonce;
	return hash_hex(a->di.alg, p, 3, ha1);
}

/*
 * §3.4.3: A2 = method:uri, plus H(entity-body) for auth-int; a CONNECT
 * request has no body, so that is H("").
 */
static int
digest_ha2(const struct answer *a, char ha2[HASH_HEX_MAX])
{
	char hbody[HASH_HEX_MAX];
	const char *empty = "";
	const char *p[3];
	size_t n = 2;

	p[0] = a->method;
	p[1] = a->uri;
	if (a->di.qop == DIGEST_QOP_AUTH_INT) {
		if (hash_hex(a->di.alg, &empty, 1, hbody) == -1)
			return -1;
		p[n++] = hbody;
	}
	return hash_hex(a->di.alg, p, n, ha2);
}

/* The response and, with userhash, the hashed user name. */
static int
digest_compute(struct answer *a, const struct cred *cred)
{
	char ha1[HASH_HEX_MAX], ha2[HASH_HEX_MAX];
	const char *p[6];
	size_t n;
	int rc = -1;

	if (digest_ha1(a, cred, ha1) == -1 || digest_ha2(a, ha2) == -1)
		goto out;
	/* §3.4.1, or RFC 2617 §3.2.2.1 when the server sent no qop. */
	p[0] = ha1;
	p[1] = a->nonce;
	if (a->di.qop == DIGEST_QOP_NONE) {
		p[2] = ha2;
		n = 3;
	} else {
		p[2] = a->nc;
		p[3] = a->cnonce;
		p[4] = a->qop;
		p[5] = ha2;
		n = 6;
	}
	if (hash_hex(a->di.alg, p, n, a->resp) == -1)
		goto out;
	/* §3.4.4: username = H(unq(username) ":" unq(realm)) */
	a->user = cred->user;
	if (a->di.userhash) {
		p[0] = cred->user;
		p[1] = a->realm;
		if (hash_hex(a->di.alg, p, 2, a->uhash) == -1)
			goto out;
		a->user = a->uhash;
	}
	rc = 0;
out:
	wipe(ha1, sizeof(ha1));
	wipe(ha2, sizeof(ha2));
	return rc;
}

/*
 * §3.4: username, realm, nonce, uri, response, cnonce and opaque are
 * quoted-strings; algorithm, qop and nc are tokens.  The order is curl's,
 * which proxies have long seen.
 */
static enum auth_rc
digest_write(const struct answer *a, int echo_alg, struct buf *out)
{
	enum auth_rc rc;

	if ((rc = auth_out_str(out, "Digest ")) != AUTH_OK ||
	    (rc = auth_out_quoted(out, "username", a->user)) != AUTH_OK ||
	    (rc = auth_out_quoted(out, ", realm", a->realm)) != AUTH_OK ||
	    (rc = auth_out_quoted(out, ", nonce", a->nonce)) != AUTH_OK ||
	    (rc = auth_out_quoted(out, ", uri", a->uri)) != AUTH_OK)
		return rc;
	if (a->di.qop != DIGEST_QOP_NONE &&
	    ((rc = auth_out_quoted(out, ", cnonce", a->cnonce)) != AUTH_OK ||
	    (rc = auth_out_str(out, ", nc=")) != AUTH_OK ||
	    (rc = auth_out_str(out, a->nc)) != AUTH_OK ||
	    (rc = auth_out_str(out, ", qop=")) != AUTH_OK ||
	    (rc = auth_out_str(out, a->qop)) != AUTH_OK))
		return rc;
	if ((rc = auth_out_quoted(out, ", response", a->resp)) != AUTH_OK)
		return rc;
	if (a->opaque != NULL &&
	    (rc = auth_out_quoted(out, ", opaque", a->opaque)) != AUTH_OK)
		return rc;
	/* Echoed only when the server named one, as curl test 206 expects. */
	if (echo_alg &&
	    ((rc = auth_out_str(out, ", algorithm=")) != AUTH_OK ||
	    (rc = auth_out_str(out, alg_name(&a->di))) != AUTH_OK))
		return rc;
	if (a->di.userhash &&
	    (rc = auth_out_str(out, ", userhash=true")) != AUTH_OK)
		return rc;
	return AUTH_OK;
}

enum auth_rc
auth_digest_response(const struct challenge *c, const struct cred *cred,
    const char *method, const char *uri, const char *cnonce, unsigned nc,
    struct buf *out)
{
	struct answer a;
	enum auth_rc rc;
	int n;

	memset(&a, 0, sizeof(a));
	if (auth_digest_usable(c, &a.di) == -1)
		return AUTH_BAD_CHALLENGE;
	if ((rc = auth_check_cred(cred)) != AUTH_OK)
		return rc;
	a.method = method;
	a.uri = uri;
	a.cnonce = cnonce;
	if ((a.realm = challenge_param(c, "realm")) == NULL)
		a.realm = "";
	a.nonce = challenge_param(c, "nonce");
	a.opaque = challenge_param(c, "opaque");
	a.qop = a.di.qop == DIGEST_QOP_AUTH ? "auth" : "auth-int";
	/* "the nc value MUST be exactly 8 hexadecimal digits" (§3.4) */
	n = snprintf(a.nc, sizeof(a.nc), "%08x", nc);
	if (n != 8)
		return AUTH_TOO_LONG;
	if (digest_compute(&a, cred) == -1)
		rc = AUTH_NOMEM;
	else
		rc = digest_write(&a, challenge_param(c, "algorithm") != NULL,
		    out);
	wipe(&a, sizeof(a));
	return rc;
}
