#ifndef POSTERN_PACFETCH_H
#define POSTERN_PACFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tls.h"

#define PAC_MAX		(1024 * 1024)	/* bytes of a PAC */
#define PAC_VALIDATOR_MAX 256		/* an ETag or a Last-Modified */

/* What a server said about the PAC beside its body. */
struct pac_validators {
	char	etag[PAC_VALIDATOR_MAX];		/* "" when none */
	char	last_modified[PAC_VALIDATOR_MAX];
};

/* Whether url is fetched over the network (http://, https://). */
int	pac_is_remote(const char *url);

/*
 * Fetch the PAC at url (http://, https:// verified with tls, file:// or a
 * path) into body before deadline.  For http(s), a non-NULL cond makes
 * the request conditional (If-None-Match, If-Modified-Since) and receives
 * the validators of the answer.  Returns 200 with the body, 304 (not
 * modified: body empty), or -1 with err saying why in words.
 */
int	pac_fetch(const char *url, const struct tls_opts *tls,
	    struct pac_validators *cond, int64_t deadline, struct buf *body,
	    char *err, size_t errlen);

#endif
