#ifndef POSTERN_AUTH_INT_H
#define POSTERN_AUTH_INT_H

/*
 * Private to auth.c and auth_*.c (and their unit tests): the pieces of
 * each scheme, with randomness and time passed in as plain arguments so
 * that published vectors can be checked byte for byte.  auth.c uses the
 * schemes, never the reverse; what they share is in authwire.h.
 */

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "challenge.h"

/* auth_basic.c */
enum auth_rc	auth_basic_response(const struct cred *, struct buf *out);

/* auth_digest.c */
enum digest_alg {
	DIGEST_MD5 = 1,
	DIGEST_SHA256,
	DIGEST_SHA512_256,
};
enum digest_qop {
	DIGEST_QOP_NONE = 0,	/* RFC 2617 compatibility: no qop sent */
	DIGEST_QOP_AUTH,
	DIGEST_QOP_AUTH_INT,
};
struct digest_info {
	enum digest_alg	 alg;
	int		 sess;
	enum digest_qop	 qop;
	int		 userhash;
	int		 stale;
};
/* 0 and *info filled if the challenge can be answered, else -1. */
int		auth_digest_usable(const struct challenge *,
		    struct digest_info *);
/* Higher is stronger: SHA-512-256 > SHA-256 > MD5 (RFC 7616 §3.7). */
int		auth_digest_rank(const struct digest_info *);
/* The whole "Digest ..." value for method and uri (RFC 7616 §3.4). */
enum auth_rc	auth_digest_response(const struct challenge *,
		    const struct cred *, const char *method, const char *uri,
		    const char *cnonce, unsigned nc, struct buf *out);

/* auth_ntlm.c (MS-NLMP) */
#define NTLM_TARGETINFO_MAX	8192	/* bytes of Type 2 target info */

struct ntlm_type2 {
	uint32_t		 flags;
	unsigned char		 challenge[8];
	const unsigned char	*ti;		/* points into the message */
	size_t			 tilen;
	int			 have_ts;	/* MsvAvTimestamp was there */
	unsigned char		 ts[8];
};
/* "NTLM <base64 Type 1>" */
enum auth_rc	auth_ntlm_type1(struct buf *out);
/* Every offset and length checked; AUTH_BAD_CHALLENGE or AUTH_TOO_LONG. */
enum auth_rc	auth_ntlm_parse_type2(const unsigned char *, size_t,
		    struct ntlm_type2 *);
/* "NTLM <base64 Type 3>" from the token68 of the Type 2 challenge. */
enum auth_rc	auth_ntlm_type3(const char *type2_b64, const struct cred *,
		    const struct auth_env *, struct buf *out);
/* NTOWFv2(password, user, domain) of MS-NLMP §3.3.2. */
enum auth_rc	auth_ntlm_ntowfv2(const char *user, const char *domain,
		    const char *pass, unsigned char out[16]);
/*
 * NTLMv2 response (NTProofStr || temp) appended to nt, and the LMv2
 * response into lm (MS-NLMP §3.3.2).  ts is the FILETIME, little-endian.
 */
enum auth_rc	auth_ntlm_v2(const unsigned char ntowf[16],
		    const unsigned char srvchal[8],
		    const unsigned char clichal[8], const unsigned char ts[8],
		    const unsigned char *ti, size_t tilen, struct buf *nt,
		    unsigned char lm[24]);

/* auth_negotiate.c (RFC 4559, through struct auth_gss) */
#define NEGO_TOKEN_MAX		(64 * 1024)	/* bytes of a token we send */
#define NEGO_NAME_MAX		512		/* "service@host" */

/*
 * The next "Negotiate <token>" for st: the first when no exchange is in
 * progress (token68 NULL), else the answer to the proxy's token68.
 * AUTH_NEGOTIATE_FAILED when GSSAPI gave no token: the exchange is over,
 * st->failed has AUTH_NEGOTIATE and st->nego_why says why and what to do.
 * AUTH_REJECTED when our side is complete and the proxy wants more.
 */
enum auth_rc	auth_negotiate_step(struct auth_state *, const char *token68,
		    struct buf *out);
/* Give up the exchange in progress, if any. */
void		auth_negotiate_end(struct auth_state *);

#endif
