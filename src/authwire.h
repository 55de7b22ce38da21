#ifndef POSTERN_AUTHWIRE_H
#define POSTERN_AUTHWIRE_H

/*
 * How a Proxy-Authorization value is put together, for every scheme
 * (auth_basic.c, auth_digest.c, auth_ntlm.c) and for auth.c: appends that
 * keep to the value's ceiling, base64 (RFC 4648 §4), lowercase hex, and
 * the check that a credential can go out at all.  A leaf: it uses nothing
 * of the auth modules but their types, so that they can all use it.
 */

#include <stddef.h>

#include "auth.h"
#include "buf.h"

#define AUTH_CRED_MAX	1024	/* bytes of a user name or a password */

/* AUTH_TOO_LONG past the buffer's ceiling, AUTH_NOMEM below it. */
enum auth_rc	auth_out_add(struct buf *, const void *, size_t);
enum auth_rc	auth_out_str(struct buf *, const char *);
/* "name=\"value\"" with '"' and '\' escaped (RFC 9110 §5.6.4). */
enum auth_rc	auth_out_quoted(struct buf *, const char *name,
		    const char *value);
enum auth_rc	auth_base64_encode(struct buf *, const void *, size_t);
/* Strict RFC 4648 base64 with padding; -1 on anything else or overflow. */
int		auth_base64_decode(const char *, size_t, unsigned char *,
		    size_t max, size_t *outlen);
/* n bytes as 2n lowercase hex digits and a NUL. */
void		auth_hex(const unsigned char *, size_t n, char *out);
/* True if s holds a control character (RFC 7617 §2, RFC 5234 CTL). */
int		auth_has_ctl(const char *);
/* AUTH_OK when user and password are there and can be sent. */
enum auth_rc	auth_check_cred(const struct cred *);

#endif
