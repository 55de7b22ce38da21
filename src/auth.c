#include <string.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"
#include "challenge.h"
#include "ossl.h"
#include "util.h"

/*
 * The 407 loop's decisions: which challenge to answer, whether a new 407
 * means "rejected", and what goes into the next Proxy-Authorization.  The
 * schemes themselves live in auth_basic.c, auth_digest.c and auth_ntlm.c.
 */

#define CNONCE_BYTES	16	/* random bytes behind a Digest cnonce */

static const struct {
	const char	*name;
	int		 scheme;
	int		 rank;		/* RFC 9110 §11.4: strongest first */
} schemes[] = {
	{ "Negotiate",	AUTH_NEGOTIATE,	4 },
	{ "NTLM",	AUTH_NTLM,	3 },
	{ "Digest",	AUTH_DIGEST,	2 },
	{ "Basic",	AUTH_BASIC,	1 },
};
#define NSCHEMES	(sizeof(schemes) / sizeof(schemes[0]))

static int
scheme_of(const char *name)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (strcasecmp_ascii(name, schemes[i].name) == 0)
			return schemes[i].scheme;
	return 0;
}

static int
scheme_rank(int scheme)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (schemes[i].scheme == scheme)
			return schemes[i].rank;
	return 0;
}

const char *
auth_scheme_name(int scheme)
{
	size_t i;

	for (i = 0; i < NSCHEMES; i++)
		if (schemes[i].scheme == scheme)
			return schemes[i].name;
	return "none";
}

const char *
auth_strerror(enum auth_rc rc)
{
	switch (rc) {
	case AUTH_OK:
		return "ok";
	case AUTH_NO_CHALLENGE:
		return "proxy requires authentication but offered no scheme";
	case AUTH_NO_SCHEME:
		return "no supported authentication scheme offered";
	case AUTH_REJECTED:
		return "proxy rejected the credentials";
	case AUTH_BAD_CHALLENGE:
		return "malformed authentication challenge";
	case AUTH_NO_CREDENTIALS:
		return "proxy requires authentication but no usable "
		    "credentials are available";
	case AUTH_TOO_LONG:
		return "authentication value too long";
	case AUTH_NOMEM:
		return "out of memory";
	case AUTH_NO_CRYPTO:
		return "Digest and NTLM need OpenSSL's libcrypto, which could "
		    "not be loaded (is OpenSSL 3 installed?)";
	case AUTH_NEGOTIATE_FAILED:
		return "GSSAPI gave no Negotiate token";
	}
	return "unknown error";
}

int
auth_parse_list(const char *list, unsigned *mask)
{
	const char *p = list, *e;
	unsigned m = 0;
	size_t n, i;
	int found;

	if (list == NULL)
		return -1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		n = (size_t)(e - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0)
			return -1;
		found = 0;
		if (n == 3 && strncasecmp_ascii(p, "any", 3) == 0) {
			/* Whatever is built in, now or later. */
			m |= AUTH_BUILTIN;
			found = 1;
		}
		for (i = 0; i < NSCHEMES && !found; i++)
			if (strlen(schemes[i].name) == n &&
			    strncasecmp_ascii(p, schemes[i].name, n) == 0) {
				m |= (unsigned)schemes[i].scheme;
				found = 1;
			}
		if (!found)
			return -1;
		if (*e == '\0')
			break;
		p = e + 1;
	}
	*mask = m;
	return 0;
}

int
auth_needs_same_connection(const struct auth_state *st)
{
	return (st->scheme == AUTH_NTLM && st->ntlm_phase == 1) ||
	    (st->scheme == AUTH_NEGOTIATE && st->nego_phase == 1);
}

void
auth_state_clear(struct auth_state *st)
{
	auth_negotiate_end(st);
	memset(st, 0, sizeof(*st));
}

int
auth_connection_reset(struct auth_state *st)
{
	/*
	 * A Type 3 answers the Type 2 of one connection only (MS-NLMP is
	 * connection-oriented over HTTP), so between Type 1 and Type 3 the
	 * exchange starts over.  After Type 3 the credentials went out and
	 * NTLM stays spent: a reconnect must not buy another try.
	 */
	if (st->scheme == AUTH_NTLM && st->ntlm_phase == 1) {
		st->ntlm_phase = 0;
		st->scheme = 0;
		return AUTH_NTLM;
	}
	/* A GSSAPI context waiting for the proxy's token is as bound to its
	 * connection (RFC 4559 §4.2): start a new one. */
	if (st->scheme == AUTH_NEGOTIATE && st->nego_phase == 1) {
		auth_negotiate_end(st);
		st->scheme = 0;
		st->tried &= ~(unsigned)AUTH_NEGOTIATE;
		return AUTH_NEGOTIATE;
	}
	return 0;
}

/* "Basic, NTLM": every scheme offered once, whole names only. */
static void
fill_offered(struct auth_state *st, const struct challenge_set *cs)
{
	size_t i, k, o = 0, n;
	int dup;

	st->offered[0] = '\0';
	for (i = 0; i < cs->n; i++) {
		const char *s = cs->ch[i].scheme;

		if (*s == '\0')
			continue;
		dup = 0;
		for (k = 0; k < i && !dup; k++)
			dup = strcasecmp_ascii(cs->ch[k].scheme, s) == 0;
		if (dup)
			continue;
		/* The name is a token: printable ASCII already. */
		n = strlen(s);
		if (o + (o ? 2 : 0) + n + 1 > sizeof(st->offered)) {
			if (o + 4 <= sizeof(st->offered))
				memcpy(st->offered + o, "...", 4);
			return;
		}
		if (o) {
			memcpy(st->offered + o, ", ", 2);
			o += 2;
		}
		memcpy(st->offered + o, s, n + 1);
		o += n;
	}
}

static void
fill_realm(struct auth_state *st, const struct challenge *c)
{
	const char *realm = challenge_param(c, "realm");

	if (realm == NULL)
		realm = "";
	escape_text(st->realm, sizeof(st->realm), realm, strlen(realm));
}

struct choice {
	const struct challenge	*c;
	int			 scheme;
	int			 key;		/* rank * 16 + algorithm rank */
	struct digest_info	 di;
	int			 malformed;	/* an allowed one was unusable */
};

/* Negotiate needs GSSAPI, and is not tried again once it gave nothing. */
static int
usable(const struct auth_state *st, int scheme)
{
	if (!(st->allowed & (unsigned)scheme) || (st->failed & (unsigned)scheme))
		return 0;
	/* The caller gives GSSAPI only when Negotiate is built in. */
	if (scheme == AUTH_NEGOTIATE)
		return st->gss != NULL;
	return (AUTH_BUILTIN & scheme) != 0;
}

static void
choose(const struct auth_state *st, const struct challenge_set *cs,
    struct choice *ch)
{
	struct digest_info di;
	size_t i;
	int scheme, key;

	memset(ch, 0, sizeof(*ch));
	for (i = 0; i < cs->n; i++) {
		const struct challenge *c = &cs->ch[i];

		/* Not even a scheme name: the field was garbage. */
		if (c->scheme[0] == '\0') {
			ch->malformed = 1;
			continue;
		}
		scheme = scheme_of(c->scheme);
		if (scheme == 0 || !usable(st, scheme))
			continue;
		if (c->err == CH_SYNTAX || c->err == CH_DUPLICATE) {
			ch->malformed = 1;
			continue;
		}
		if (c->err != CH_OK)
			continue;	/* over our bounds: skipped */
		memset(&di, 0, sizeof(di));
		key = scheme_rank(scheme) * 16;
		if (scheme == AUTH_DIGEST) {
			/* Unknown algorithm or qop: ignored (RFC 7616 §3.3). */
			if (auth_digest_usable(c, &di) == -1)
				continue;
			key += auth_digest_rank(&di);
		}
		/* Ties go to the first offered (RFC 7616 §3.7). */
		if (key > ch->key) {
			ch->c = c;
			ch->scheme = scheme;
			ch->key = key;
			ch->di = di;
		}
	}
}

static enum auth_rc
digest_next(struct auth_state *st, const struct choice *ch,
    const struct cred *cred, const char *uri, const struct auth_env *env,
    struct buf *out)
{
	unsigned char rnd[CNONCE_BYTES];
	char cnonce[2 * CNONCE_BYTES + 1];
	enum auth_rc rc;

	/*
	 * A fresh cnonce per request; the nonce count restarts with each
	 * new nonce, and every Digest answer here is to a new nonce (the
	 * first challenge, or the stale=true one).
	 */
	if (env == NULL || env->random == NULL ||
	    env->random(rnd, sizeof(rnd)) != 0)
		return AUTH_NOMEM;
	auth_hex(rnd, sizeof(rnd), cnonce);
	st->nc = 1;
	rc = auth_digest_response(ch->c, cred, "CONNECT", uri, cnonce, st->nc,
	    out);
	wipe(rnd, sizeof(rnd));
	return rc;
}

/* The Type 2 part of an NTLM exchange in progress. */
static enum auth_rc
ntlm_continue(struct auth_state *st, const struct challenge_set *cs,
    const struct cred *cred, const struct auth_env *env, struct buf *out)
{
	const struct challenge *c;
	enum auth_rc rc;
	size_t i;

	st->realm[0] = '\0';		/* NTLM has no realm */
	for (i = 0; i < cs->n; i++) {
		c = &cs->ch[i];
		if (scheme_of(c->scheme) != AUTH_NTLM)
			continue;
		if (c->err == CH_TOO_LONG)
			return AUTH_TOO_LONG;
		if (c->err != CH_OK)
			return AUTH_BAD_CHALLENGE;
		if (c->token68 == NULL)
			continue;
		if ((rc = auth_check_cred(cred)) != AUTH_OK)
			return rc;
		if ((rc = auth_ntlm_type3(c->token68, cred, env, out)) !=
		    AUTH_OK)
			return rc;
		st->ntlm_phase = 2;
		st->tried |= AUTH_NTLM;
		return AUTH_OK;
	}
	/*
	 * No Type 2: the proxy turned down our Type 1 (or dropped the
	 * exchange).  Starting again would loop; count NTLM as spent.
	 */
	st->tried |= AUTH_NTLM;
	st->ntlm_phase = 0;
	return AUTH_REJECTED;
}

/*
 * Credentials already went out on this hop and the proxy answers 407
 * again: that is a rejection.  The one exception is Digest with
 * stale=true, which says the password was right and only the nonce had
 * expired (RFC 7616 §3.3): one more try with the new nonce.  Falling back
 * to a weaker scheme would send the same credentials again, less
 * protected, so it is a rejection too; the realm kept for the message is
 * the one the credentials were for.
 */
static int
rejected(struct auth_state *st, const struct choice *ch)
{
	if (st->tried == 0)
		return 0;
	if (st->scheme == AUTH_DIGEST && ch->scheme == AUTH_DIGEST &&
	    ch->di.stale && !st->stale_used) {
		st->stale_used = 1;
		return 0;
	}
	return 1;
}

/* The first answer of the chosen scheme. */
static enum auth_rc
start_scheme(struct auth_state *st, const struct choice *ch,
    const struct cred *cred, const char *uri, const struct auth_env *env,
    struct buf *out)
{
	enum auth_rc rc;
	char err[256];

	if (ch->scheme == AUTH_NEGOTIATE) {
		st->realm[0] = '\0';
		return auth_negotiate_step(st, NULL, out);
	}
	fill_realm(st, ch->c);
	if (ch->scheme == AUTH_NTLM)
		st->realm[0] = '\0';
	if ((rc = auth_check_cred(cred)) != AUTH_OK)
		return rc;
	/* Digest and NTLM hash with libcrypto, which is loaded only now. */
	if (ch->scheme != AUTH_BASIC && ossl_need(OSSL_CRYPTO, err,
	    sizeof(err)) == -1)
		return AUTH_NO_CRYPTO;

	switch (ch->scheme) {
	case AUTH_BASIC:
		rc = auth_basic_response(cred, out);
		break;
	case AUTH_DIGEST:
		rc = digest_next(st, ch, cred, uri, env, out);
		break;
	case AUTH_NTLM:
		rc = auth_ntlm_type1(out);
		if (rc == AUTH_OK)
			st->ntlm_phase = 1;
		break;
	default:
		rc = AUTH_NO_SCHEME;
		break;
	}
	if (rc == AUTH_OK) {
		st->scheme = ch->scheme;
		/* NTLM counts as tried once its Type 3 is out. */
		if (ch->scheme != AUTH_NTLM)
			st->tried |= (unsigned)ch->scheme;
	}
	return rc;
}

/* The proxy's answer to our last Negotiate token. */
static enum auth_rc
nego_continue(struct auth_state *st, const struct challenge_set *cs,
    struct buf *out)
{
	const struct challenge *c;
	size_t i;

	for (i = 0; i < cs->n; i++) {
		c = &cs->ch[i];
		if (scheme_of(c->scheme) != AUTH_NEGOTIATE)
			continue;
		if (c->err == CH_TOO_LONG)
			return AUTH_TOO_LONG;
		if (c->err != CH_OK)
			return AUTH_BAD_CHALLENGE;
		if (c->token68 != NULL)
			return auth_negotiate_step(st, c->token68, out);
	}
	/* A 407 without a token for us: the proxy refused ours. */
	auth_negotiate_end(st);
	return AUTH_REJECTED;
}

/* Negotiate gave nothing, and nothing else can be chosen: say what else
 * the proxy offered. */
static enum auth_rc
nego_alone(struct auth_state *st, const struct challenge_set *cs)
{
	int scheme, other = 0, barred = 0;
	size_t i;

	for (i = 0; i < cs->n; i++) {
		if (cs->ch[i].scheme[0] == '\0')
			continue;
		scheme = scheme_of(cs->ch[i].scheme);
		if (scheme == AUTH_NEGOTIATE)
			continue;
		other = 1;
		if (scheme != 0 && (AUTH_BUILTIN & scheme) &&
		    !(st->allowed & (unsigned)scheme))
			barred = 1;
	}
	st->nego_rest = barred ? "no other scheme allowed (see --auth)" :
	    other ? "no other scheme postern can use offered" :
	    "no other scheme offered";
	return AUTH_NEGOTIATE_FAILED;
}

/* The answer to the challenges of one 407, once they are parsed. */
static enum auth_rc
answer(struct auth_state *st, const struct challenge_set *cs,
    const struct cred *cred, const char *uri, const struct auth_env *env,
    struct buf *out)
{
	struct choice ch;
	enum auth_rc rc;

	if (cs->n == 0)
		return AUTH_NO_CHALLENGE;
	if (st->scheme == AUTH_NTLM && st->ntlm_phase == 1)
		return ntlm_continue(st, cs, cred, env, out);
	if (st->scheme == AUTH_NEGOTIATE && st->nego_phase != 0 &&
	    (rc = nego_continue(st, cs, out)) != AUTH_NEGOTIATE_FAILED)
		return rc;
	/* When GSSAPI gives no token, the next scheme offered is chosen:
	 * Negotiate is in st->failed then, and is not chosen again. */
	for (;;) {
		choose(st, cs, &ch);
		if (ch.c == NULL && (st->failed & AUTH_NEGOTIATE))
			return nego_alone(st, cs);
		if (ch.c == NULL)
			return ch.malformed ? AUTH_BAD_CHALLENGE : AUTH_NO_SCHEME;
		if (rejected(st, &ch))
			return AUTH_REJECTED;
		rc = start_scheme(st, &ch, cred, uri, env, out);
		if (rc != AUTH_NEGOTIATE_FAILED)
			return rc;
	}
}

enum auth_rc
auth_next(struct auth_state *st, const char *const *fields, size_t nfields,
    const struct cred *cred, const char *uri, const struct auth_env *env,
    struct buf *out)
{
	struct challenge_set cs;
	enum auth_rc rc;

	buf_reset(out);
	st->offered[0] = '\0';
	if (nfields == 0)
		return AUTH_NO_CHALLENGE;
	switch (challenge_parse(&cs, fields, nfields)) {
	case CHALLENGE_OK:
		break;
	case CHALLENGE_TOO_LONG:
		rc = AUTH_TOO_LONG;
		goto out;
	default:
		rc = AUTH_NOMEM;
		goto out;
	}
	fill_offered(st, &cs);
	rc = answer(st, &cs, cred, uri, env, out);
out:
	if (rc != AUTH_OK)
		buf_reset(out);
	challenge_free(&cs);
	return rc;
}
