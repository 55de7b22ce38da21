#ifndef POSTERN_TUNNEL_H
#define POSTERN_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "proxyurl.h"
#include "stream.h"
#include "target.h"
#include "tls.h"

#define HOPS_MAX	8	/* proxies in one chain */

/*
 * --check: the handshake says what it does and finds, a line at a time
 * as it goes (src/check.c prints them), so that a hang shows where.
 */
struct tunnel_report {
	void	(*line)(void *arg, const char *text);
	void	*arg;
};

struct tunnel_cfg {
	struct proxy		*hops;		/* first is the one we connect to */
	size_t			 nhops;		/* 0: straight to the target */
	struct target		 target;
	const char		*ua;		/* NULL: no User-Agent */
	char *const		*headers;	/* -H values */
	size_t			 nheaders;
	int			 family;	/* AF_UNSPEC, AF_INET, AF_INET6 */
	int64_t			 timeout_ms;	/* whole handshake */
	unsigned		 auth_allowed;	/* enum auth_scheme mask */
	const char		*service;	/* Negotiate's; NULL: "HTTP" */
	const struct cred_opts	*creds;
	const struct tls_opts	*tls;
	char			*errbuf;	/* set: a failure to reach the
						 * first hop (EXIT_CONNECT) is
						 * told here, not on stderr */
	size_t			 errlen;
	const struct tunnel_report *report;	/* NULL: not --check */
	int			 keep_creds;	/* keep the credentials a
						 * tunnel finds for the next
						 * tunnels (-L; cred.h) */
};

/*
 * Connect and run the CONNECT exchange hop by hop.  Returns EXIT_OK with
 * *s holding the tunnel (any bytes that came after the last 2xx header
 * are given back to it, to be read first), or an EXIT_* class after
 * printing the one-line message.
 */
int	tunnel_open(const struct tunnel_cfg *, struct stream *s);

/* --check: one line of c's report (nothing without one). */
void	tunnel_note(const struct tunnel_cfg *c, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * tunnel_open() in steps that never block, for the listener's one loop
 * over many tunnels.  tunnel_begin() returns the handshake, or NULL with
 * *rc after printing why.  Each tunnel_step() goes on until it must wait:
 * TUNNEL_AGAIN with ws saying for what (call again once it happened, or
 * at its time), else the result as tunnel_open() gives it.  tunnel_end()
 * frees it at any point (s is closed unless the tunnel was made).  c and
 * s must live until then.  Steps that have no non-blocking form (a
 * password prompt, a Kerberos call) still block while they run.
 */
#define TUNNEL_AGAIN	(-1)

struct tunnel;
struct waitset;
struct tunnel	*tunnel_begin(const struct tunnel_cfg *, struct stream *s,
		    int *rc);
int		 tunnel_step(struct tunnel *, struct waitset *ws);
void		 tunnel_end(struct tunnel *);

#endif
