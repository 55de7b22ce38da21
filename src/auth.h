#ifndef POSTERN_AUTH_H
#define POSTERN_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cred.h"

/*
 * Proxy authentication: from the Proxy-Authenticate fields of a 407 to the
 * value of the next Proxy-Authorization field.  Pure: no sockets, no
 * printing; randomness and time come in through struct auth_env so that
 * Digest and NTLM can be checked against fixed vectors.
 */

enum auth_scheme {
	AUTH_BASIC	= 1 << 0,
	AUTH_DIGEST	= 1 << 1,
	AUTH_NTLM	= 1 << 2,
	AUTH_NEGOTIATE	= 1 << 3,
};
#ifdef POSTERN_NEGOTIATE
#define AUTH_BUILTIN	(AUTH_BASIC | AUTH_DIGEST | AUTH_NTLM | AUTH_NEGOTIATE)
#else
#define AUTH_BUILTIN	(AUTH_BASIC | AUTH_DIGEST | AUTH_NTLM)
#endif

enum auth_rc {
	AUTH_OK = 0,		/* out holds the Proxy-Authorization value */
	AUTH_NO_CHALLENGE,	/* 407 without any Proxy-Authenticate */
	AUTH_NO_SCHEME,		/* nothing offered that is allowed and built in */
	AUTH_REJECTED,		/* our credentials were refused */
	AUTH_BAD_CHALLENGE,	/* the chosen challenge is malformed */
	AUTH_NO_CREDENTIALS,	/* a scheme was chosen but no user/password */
	AUTH_TOO_LONG,		/* a value exceeds our bounds */
	AUTH_NOMEM,
	AUTH_NO_CRYPTO,		/* libcrypto could not be loaded */
	AUTH_NEGOTIATE_FAILED,	/* GSSAPI gave no token and no other scheme
				   can be used: see auth_state.nego_why */
};

/*
 * GSSAPI's status codes (RFC 2744 §3.9.1), for struct auth_gss: a major
 * status is an error when any bit of its top 16 is set; CONTINUE_NEEDED
 * is a supplementary bit of a success.
 */
#define AUTH_GSS_ERROR(major)		((major) & 0xffff0000u)
#define AUTH_GSS_CONTINUE_NEEDED	0x1u
#define AUTH_GSS_NO_CRED		(7u << 16)
#define AUTH_GSS_CREDENTIALS_EXPIRED	(11u << 16)
#define AUTH_GSS_FAILURE		(13u << 16)
#define AUTH_GSS_UNAVAILABLE		(16u << 16)

/*
 * The GSSAPI calls of a Negotiate exchange (RFC 4559), behind pointers so
 * that auth.c stays pure and a unit test can replay canned results;
 * src/gss.c holds the real ones.  Each returns GSSAPI's major status and
 * sets *minor.
 */
struct auth_gss {
	/* gss_import_name of "service@host" (GSS_C_NT_HOSTBASED_SERVICE);
	 * *h is the edge's handle, for the calls below. */
	uint32_t	(*import_name)(const char *name, void **h,
			    uint32_t *minor);
	/* gss_init_sec_context with the SPNEGO mechanism: in is NULL on the
	 * first step, else the proxy's token.  *tok and *toklen are the
	 * token to send (*toklen may be 0), kept until the next call. */
	uint32_t	(*init_sec_context)(void *h, const void *in,
			    size_t inlen, const void **tok, size_t *toklen,
			    uint32_t *minor);
	/* gss_display_status: the words for a status, NUL-terminated. */
	void		(*display_status)(uint32_t major, uint32_t minor,
			    char *out, size_t outlen);
	/* gss_delete_sec_context and gss_release_*: h is gone. */
	void		(*release)(void *h);
};

struct auth_env {
	/* Fill buf with n random bytes; 0 on success. */
	int	(*random)(void *buf, size_t n);
	/* Seconds since the Unix epoch (NTLMv2 timestamp when the proxy
	 * sends none). */
	int64_t	(*now)(void);
};

/* Per-hop state; zero it before the first 407 of a hop. */
struct auth_state {
	unsigned	 allowed;	/* mask of enum auth_scheme */
	unsigned	 tried;		/* schemes that already went out */
	int		 scheme;	/* the one in progress, 0 if none */
	int		 ntlm_phase;	/* 0 none, 1 Type 1 sent, 2 Type 3 sent */
	int		 stale_used;	/* Digest stale=true retry spent */
	unsigned	 nc;		/* Digest nonce count */
	char		 realm[128];	/* for messages; printable, truncated */
	char		 offered[128];	/* "Basic, NTLM": for messages */
	/* Negotiate, set by the caller before each auth_next(). */
	const struct auth_gss *gss;	/* GSSAPI; NULL: no Negotiate */
	void		(*trace)(void *, const char *);	/* a -v line, or NULL */
	void		*trace_arg;	/* trace's first argument */
	const char	*service;	/* "HTTP" or --proxy-service-name */
	const char	*host;		/* the proxy's, as written */
	/* Negotiate, kept by auth.c. */
	void		*gss_h;		/* a GSSAPI context in progress */
	int		 nego_phase;	/* 0 none, 1 more wanted, 2 last sent */
	int		 nego_steps;	/* GSSAPI steps in this exchange */
	unsigned	 failed;	/* schemes that could not answer */
	char		 nego_why[256];	/* why Negotiate could not */
	const char	*nego_rest;	/* "no other scheme offered", ... */
};

/* "basic,digest,ntlm,negotiate" or "any"; -1 on an unknown name. */
int	auth_parse_list(const char *list, unsigned *mask);

/*
 * Given the Proxy-Authenticate field values of one 407 in the order they
 * came, choose the strongest allowed scheme (Negotiate > NTLM > Digest > Basic) and
 * write the next Proxy-Authorization value into out.  Negotiate needs
 * no user or password: when GSSAPI gives no token, the next scheme
 * offered is chosen, and st->failed and st->nego_why say why.
 * uri is the request target, "host:port".
 */
enum auth_rc auth_next(struct auth_state *, const char *const *fields,
	    size_t nfields, const struct cred *, const char *uri,
	    const struct auth_env *, struct buf *out);

/*
 * True when the exchange in progress only makes sense on the connection it
 * started on (NTLM between Type 1 and Type 3).
 */
int	auth_needs_same_connection(const struct auth_state *);

/*
 * The connection was replaced: a half-done NTLM or Negotiate exchange
 * restarts.  Returns the scheme that restarts, or 0.
 */
int	auth_connection_reset(struct auth_state *);

/* Release what the state holds (a GSSAPI context) and zero it. */
void	auth_state_clear(struct auth_state *);

const char	*auth_scheme_name(int scheme);
const char	*auth_strerror(enum auth_rc);

#endif
