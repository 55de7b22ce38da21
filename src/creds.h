#ifndef POSTERN_CREDS_H
#define POSTERN_CREDS_H

#include <stddef.h>

#include "cred.h"
#include "proxyurl.h"

/*
 * Where credentials for a proxy come from, first match wins: -U, the proxy
 * URL's userinfo, POSTERN_PROXY_USER and POSTERN_PROXY_PASSWORD, netrc,
 * and a prompt on /dev/tty.  -U and the environment belong to the first
 * proxy only; a later proxy of a chain has its URL and its netrc entry.
 */
struct cred_opts {
	const char	*user_arg;	/* -U USER[:PASS], or NULL */
	const char	*netrc_file;	/* --netrc-file, or NULL */
	int		 no_netrc;
};

/*
 * Gather credentials for hop (index i of the chain).  Returns 0 with
 * out->user set (out->pass may be empty) and where naming their source
 * ("-U", "/home/u/.netrc line 3"; never the secret), or -1 with where
 * naming the places looked ("-U, the proxy URL, ...").  Prints a warning for a netrc
 * file that is not private.  The caller wipes out with cred_wipe().
 */
int	creds_get(const struct cred_opts *, const struct proxy *, size_t i,
	    struct cred *out, char *where, size_t wherelen);

/* No core file and no ptrace by other users while secrets are held. */
void	creds_protect(void);

#endif
