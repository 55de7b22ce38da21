#ifndef POSTERN_LISTEN_H
#define POSTERN_LISTEN_H

#include <stddef.h>
#include <stdint.h>

#include "creds.h"
#include "tunnel.h"

#define LISTEN_TUNNELS_DEFAULT	256
#define LISTEN_TUNNELS_MAX	65535

struct listen_cfg {
	const char	*arg;		/* -L as given; NULL: no listener */
	int		 systemd;	/* -L systemd: the socket is fd 3 */
	char		 addr[64];	/* bare address: 127.0.0.1, ::1 */
	int		 family;
	unsigned	 port;
	const char	*allow;		/* --allow CIDR list, or NULL */
	unsigned long	 max_tunnels;
	int		 forward;	/* a target was given: forward to it */
	const char	*no_proxy;	/* per target, when the proxy is the
					   environment's; NULL otherwise */
	int64_t		 idle_ms;
	const char	*pac;		/* --pac: it chooses per target */
};

/* -L [ADDR:]PORT or "systemd" into lc; -1 with a reason if invalid. */
int	listen_parse(const char *, struct listen_cfg *, const char **why);

/* Each entry of an --allow list an IP address or CIDR range?  -1 with
 * the first bad entry copied into bad if not. */
int	listen_allow_valid(const char *, char *bad, size_t badlen);

/*
 * --check: can the listener be opened as -L and --allow ask (bound, then
 * closed at once)?  EXIT_OK with what it would be in msg, or the class
 * of the failure, which is printed.
 */
int	listen_check(const struct listen_cfg *, char *msg, size_t msglen);

/*
 * Accept connections until SIGTERM or SIGINT, tunnelling each through
 * tc (whose target is the client's CONNECT request's in proxy mode).
 * Credentials that need asking are resolved first, once.  Returns an
 * EXIT_* class after printing why, EXIT_OK once stopped by a signal.
 */
int	listen_run(struct listen_cfg *, struct tunnel_cfg *,
	    struct cred_opts *);

#endif
