#ifndef POSTERN_GSS_H
#define POSTERN_GSS_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"

/*
 * MIT Kerberos' GSSAPI for Negotiate, loaded when a proxy first offers
 * Negotiate: libgssapi_krb5 and the Kerberos libraries under it are about
 * 1.5 MB that a plain tunnel never maps.  The calls of struct auth_gss go
 * through dlopen()ed pointers; the library reads KRB5CCNAME and
 * KRB5_CONFIG as usual.
 */

/* The GSSAPI calls for auth_next(), or NULL when built without
 * Negotiate (make NEGOTIATE=0). */
const struct auth_gss	*gss_ops(void);

/*
 * The default ticket (the credentials cache): its client principal and
 * the seconds it has left (-1: no end).  0, or -1 with why in words (no
 * ticket, no library).  For --check.
 */
int	gss_ticket(char *client, size_t clen, int64_t *secs, char *why,
	    size_t whylen);

/* True once the library is loaded. */
int			 gss_loaded(void);

#endif
