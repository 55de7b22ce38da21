#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <stddef.h>
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
 * Load OpenSSL, the trust anchors and the client certificate, and ask for
 * the key's pass phrase: before any deadline starts, since the time at a
 * prompt is the user's.  Returns 0 (also when already done), or -1 with
 * msg saying what failed in words.
 */
int	tls_prepare(const struct tls_opts *, char *msg, size_t msglen);

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
 * tls_start() in steps that never block.  tls_begin() makes s a TLS
 * stream whose handshake has not run (0, or -1 with msg); each
 * tls_step() runs it on: 1 when done, 0 to be called again once s->fd
 * has *events, -1 with msg when it failed.  The caller keeps the time.
 */
int	tls_begin(struct stream *s, const struct tls_opts *,
	    const struct target *host, char *msg, size_t msglen);
int	tls_step(struct stream *s, const struct tls_opts *, short *events,
	    char *msg, size_t msglen);

/* What a handshake that ran out of time is told as. */
#define TLS_TIMEOUT_TEXT	"timed out during the handshake (does the " \
				"proxy speak TLS on this port?)"

/* What the TLS session with a proxy is, for --check. */
struct tls_info {
	char	version[32];	/* "TLSv1.3" */
	char	cipher[64];
	char	alpn[32];	/* "" when none was chosen */
	char	subject[256];	/* the proxy's certificate */
	char	issuer[256];
	char	expires[32];	/* "2026-12-31 23:59:59 UTC" */
	char	verify[320];	/* "verified against the system store" */
};

/*
 * Describe the session of s (also after a failed handshake, while s still
 * holds it).  Returns 0, or -1 when s is not TLS.
 */
int	tls_describe(const struct stream *s, const struct tls_opts *,
	    struct tls_info *out);

#endif
