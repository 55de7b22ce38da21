#ifndef POSTERN_NET_H
#define POSTERN_NET_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

enum net_rc {
	NET_OK = 0,
	NET_RESOLVE,	/* the name did not resolve */
	NET_CONNECT,	/* every address refused or failed */
	NET_TIMEOUT,
	NET_SYSTEM,	/* socket(), pipe() or the like failed */
	NET_AGAIN,	/* net_conn_step(): wait as the waitset says */
};

struct waitset;

/*
 * Resolve host and connect to port before deadline (now_ms() clock),
 * racing IPv6 and IPv4 addresses as RFC 8305 describes.  family is
 * AF_UNSPEC, AF_INET or AF_INET6.  On success *fd is a connected,
 * non-blocking socket with TCP_NODELAY and SO_KEEPALIVE.  On failure err
 * says why in words ("Connection refused").
 */
enum net_rc	net_connect(const char *host, unsigned port, int family,
		    int64_t deadline, int *fd, char *err, size_t errlen);

/* What a connection went through, for --check. */
struct net_info {
	char	addrs[512];	/* what the name resolved to, in order tried */
	char	peer[INET6_ADDRSTRLEN + 8];	/* the one that connected */
	int64_t	resolve_ms;	/* time to resolve */
	int64_t	connect_ms;	/* then to connect */
};

/* net_connect(), recording into *info (NULL: nothing). */
enum net_rc	net_connect_info(const char *host, unsigned port, int family,
		    int64_t deadline, int *fd, char *err, size_t errlen,
		    struct net_info *info);

/*
 * net_connect_info() in steps that never block, for a caller that waits
 * for many things at once.  net_conn_start() begins (the name lookup runs
 * in a thread); each net_conn_step() goes on, returning NET_AGAIN with ws
 * saying what to wait for, NET_OK with *fd connected, or the failure with
 * err in words.  net_conn_free() ends it, whatever its state.  info, if
 * not NULL, must live as long as the connection.
 */
struct net_conn;
enum net_rc	net_conn_start(struct net_conn **, const char *host,
		    unsigned port, int family, int64_t deadline,
		    struct net_info *info);
enum net_rc	net_conn_step(struct net_conn *, struct waitset *ws, int *fd,
		    char *err, size_t errlen);
void		net_conn_free(struct net_conn *);

/* Wait for events on fd until deadline: 1 ready, 0 timeout, -1 error. */
int		net_wait(int fd, short events, int64_t deadline);

#endif
