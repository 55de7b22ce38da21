#ifndef POSTERN_GSS_H
#define POSTERN_GSS_H

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

/* True once the library is loaded. */
int			 gss_loaded(void);

#endif
