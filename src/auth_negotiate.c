#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"
#include "challenge.h"
#include "util.h"

/*
 * Negotiate (RFC 4559): SPNEGO tokens from GSSAPI, in base64, until the
 * proxy stops sending tokens back.  The decisions are here and pure; the
 * GSSAPI calls come through struct auth_gss (src/gss.c, or a unit test's
 * canned results).  Nothing here needs a user name or a password: the
 * credentials are the user's Kerberos tickets, which GSSAPI finds.
 */

#define NEGO_IN_MAX	(CHALLENGE_TOKEN68_MAX / 4 * 3)	/* a proxy's token */
#define GSS_WORDS_MAX	200	/* GSSAPI's words for a status */

/*
 * What to tell a user for a GSSAPI failure.  The SPNEGO mechanism renumbers
 * the Kerberos minor codes, so after the major code it is the words of
 * MIT Kerberos' error table that say which failure it was.
 */
static const struct {
	const char	*has;		/* in GSSAPI's words */
	const char	*say;		/* NULL: GSSAPI's words */
	const char	*todo;
} reasons[] = {
	{ "Ticket expired", "the Kerberos ticket has expired", "run kinit" },
	{ "not found in Kerberos database", NULL,
	    "check --proxy-service-name and the proxy's host name" },
	{ "Clock skew too great", NULL, "check this host's clock" },
	{ "Cannot contact any KDC", NULL,
	    "check the network and the KDC in krb5.conf" },
	{ "Cannot find KDC", NULL, "check the realm's KDC in krb5.conf" },
	{ "cannot load", NULL, "install MIT Kerberos' GSSAPI library" },
};

static void
trace(const struct auth_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
trace(const struct auth_state *st, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (st->trace == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	st->trace(st->trace_arg, line);
}

void
auth_negotiate_end(struct auth_state *st)
{
	if (st->gss_h != NULL && st->gss != NULL)
		st->gss->release(st->gss_h);
	st->gss_h = NULL;
	st->nego_phase = 0;
	st->nego_steps = 0;
}

/* st->nego_why from a failed step: the reason in words, what to do. */
static void
explain(struct auth_state *st, uint32_t major, const char *words)
{
	const char *say = words, *todo = "check klist";
	size_t i;

	if (major == AUTH_GSS_NO_CRED) {
		say = "no Kerberos ticket";
		todo = "run kinit";
	} else if (major == AUTH_GSS_CREDENTIALS_EXPIRED) {
		say = "the Kerberos ticket has expired";
		todo = "run kinit";
	} else
		for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
			if (strstr(words, reasons[i].has) != NULL) {
				if (reasons[i].say != NULL)
					say = reasons[i].say;
				todo = reasons[i].todo;
				break;
			}
	snprintf(st->nego_why, sizeof(st->nego_why), "%s (%s)", say, todo);
}

/*
 * GSSAPI made no token: Negotiate is spent for this hop, and since no
 * token of this exchange counts, the next scheme offered may answer.
 */
static enum auth_rc
give_up(struct auth_state *st)
{
	auth_negotiate_end(st);
	st->failed |= AUTH_NEGOTIATE;
	st->tried &= ~(unsigned)AUTH_NEGOTIATE;
	if (st->scheme == AUTH_NEGOTIATE)
		st->scheme = 0;
	return AUTH_NEGOTIATE_FAILED;
}

static enum auth_rc
failed(struct auth_state *st, const char *name, uint32_t major,
    uint32_t minor)
{
	char raw[GSS_WORDS_MAX], words[GSS_WORDS_MAX];

	raw[0] = '\0';
	st->gss->display_status(major, minor, raw, sizeof(raw));
	raw[sizeof(raw) - 1] = '\0';
	escape_text(words, sizeof(words), raw, strlen(raw));
	trace(st, "Negotiate: %s: GSSAPI step %d failed: %s (major 0x%x, "
	    "minor %u)", name, st->nego_steps, words, major, minor);
	explain(st, major, words);
	return give_up(st);
}

/* A failure of ours, not GSSAPI's, in the same form. */
static enum auth_rc
failed_why(struct auth_state *st, const char *name, const char *why)
{
	trace(st, "Negotiate: %s: %s", name, why);
	snprintf(st->nego_why, sizeof(st->nego_why), "%s", why);
	return give_up(st);
}

/* "Negotiate <base64>" into out. */
static enum auth_rc
put_token(const void *tok, size_t len, struct buf *out)
{
	enum auth_rc rc;

	buf_reset(out);
	if ((rc = auth_out_str(out, "Negotiate ")) != AUTH_OK)
		return rc;
	return auth_base64_encode(out, tok, len);
}

/* One gss_init_sec_context, with the proxy's token when there is one. */
static enum auth_rc
step(struct auth_state *st, const char *name, const unsigned char *in,
    size_t inlen, struct buf *out)
{
	const void *tok = NULL;
	size_t toklen = 0;
	uint32_t major, minor = 0;
	char msg[96];
	enum auth_rc rc;

	st->nego_steps++;
	major = st->gss->init_sec_context(st->gss_h, in, inlen, &tok, &toklen,
	    &minor);
	if (AUTH_GSS_ERROR(major))
		return failed(st, name, major, minor);
	trace(st, "Negotiate: %s: GSSAPI step %d: %s, a token of %zu bytes",
	    name, st->nego_steps, major & AUTH_GSS_CONTINUE_NEEDED ?
	    "continue needed" : "complete", toklen);
	if (toklen == 0) {
		if (in != NULL) {
			/* Our side is done and the proxy still says 407. */
			auth_negotiate_end(st);
			return AUTH_REJECTED;
		}
		return failed_why(st, name, "GSSAPI gave no token");
	}
	if (toklen > NEGO_TOKEN_MAX) {
		snprintf(msg, sizeof(msg), "a token of %zu bytes, more than "
		    "the %d postern sends", toklen, NEGO_TOKEN_MAX);
		return failed_why(st, name, msg);
	}
	if ((rc = put_token(tok, toklen, out)) != AUTH_OK)
		return rc;
	st->nego_phase = major & AUTH_GSS_CONTINUE_NEEDED ? 1 : 2;
	st->scheme = AUTH_NEGOTIATE;
	st->tried |= AUTH_NEGOTIATE;
	return AUTH_OK;
}

/* A context for service@host: GSSAPI finds the ticket for it. */
static enum auth_rc
start(struct auth_state *st, char *name, size_t namelen)
{
	uint32_t major, minor = 0;
	int n;

	n = snprintf(name, namelen, "%s@%s", st->service != NULL ?
	    st->service : "HTTP", st->host != NULL ? st->host : "");
	if (n < 0 || (size_t)n >= namelen)
		return failed_why(st, "?", "the service name is too long");
	trace(st, "Negotiate: asking GSSAPI for a token for the service %s",
	    name);
	st->nego_steps = 0;
	major = st->gss->import_name(name, &st->gss_h, &minor);
	if (AUTH_GSS_ERROR(major))
		return failed(st, name, major, minor);
	return AUTH_OK;
}

enum auth_rc
auth_negotiate_step(struct auth_state *st, const char *token68,
    struct buf *out)
{
	char name[NEGO_NAME_MAX];
	unsigned char *in = NULL;
	size_t inlen = 0;
	enum auth_rc rc;

	if (st->gss == NULL)
		return AUTH_NO_SCHEME;
	snprintf(name, sizeof(name), "%s@%s", st->service != NULL ?
	    st->service : "HTTP", st->host != NULL ? st->host : "");
	if (token68 == NULL) {
		auth_negotiate_end(st);
		if ((rc = start(st, name, sizeof(name))) != AUTH_OK)
			return rc;
		return step(st, name, NULL, 0, out);
	}
	if (st->nego_phase != 1) {
		/* Our last token was the last we had: a 407 with another
		 * token is a refusal (RFC 4559 §5). */
		auth_negotiate_end(st);
		return AUTH_REJECTED;
	}
	if ((in = malloc(NEGO_IN_MAX)) == NULL)
		return AUTH_NOMEM;
	if (auth_base64_decode(token68, strlen(token68), in, NEGO_IN_MAX,
	    &inlen) == -1 || inlen == 0)
		rc = AUTH_BAD_CHALLENGE;
	else
		rc = step(st, name, in, inlen, out);
	free(in);
	return rc;
}
