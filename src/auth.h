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
#define AUTH_BUILTIN	(AUTH_BASIC | AUTH_DIGEST | AUTH_NTLM)

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
};

/* "basic,digest,ntlm,negotiate" or "any"; -1 on an unknown name. */
int	auth_parse_list(const char *list, unsigned *mask);

/*
 * Given the Proxy-Authenticate field values of one 407 in the order they
 * came, choose the strongest allowed scheme (NTLM > Digest > Basic) and
 * write the next Proxy-Authorization value into out.
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

/* The connection was replaced: a half-done NTLM exchange restarts. */
void	auth_connection_reset(struct auth_state *);

const char	*auth_scheme_name(int scheme);
const char	*auth_strerror(enum auth_rc);

#endif
