#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stdint.h>

#include "stream.h"
#include "target.h"

struct tls_opts {
	const char	*cafile;	/* --proxy-cacert */
	const char	*capath;	/* --proxy-capath */
	const char	*cert;		/* --proxy-cert */
	const char	*key;		/* --proxy-key (default: cert) */
	int		 insecure;	/* --proxy-insecure */
};

/*
 * Run a TLS handshake with the proxy at host (its name or IP literal is
 * what the certificate must carry) over s, which becomes the TLS stream:
 * over the socket for the first proxy, inside the tunnel for a later one.
 * Returns 0, or -1 with msg saying what failed in words.
 */
int	tls_start(struct stream *s, const struct tls_opts *,
	    const struct target *host, int64_t deadline, char *msg,
	    size_t msglen);

/*
 * From now on, gather the records s writes and send several with one
 * send(); only for TLS straight on the socket (else nothing changes).
 * After writing, tls_flush() sends what is gathered: 0 when all went,
 * -1 with errno (EAGAIN: poll for POLLOUT and call again).
 * tls_unflushed() is the count of bytes still gathered.
 */
int	tls_coalesce(struct stream *);
int	tls_flush(struct stream *);
size_t	tls_unflushed(const struct stream *);

/* The first OpenSSL error of the calling thread (the cause) in words;
 * clears them all. */
void	tls_error_string(char *, size_t);

#endif
