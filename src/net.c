#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "net.h"
#include "util.h"
#include "waitset.h"

#define ATTEMPT_DELAY_MS 250	/* RFC 8305 §5 Connection Attempt Delay */
#define ADDRS_MAX	 16	/* addresses tried per name */

/*
 * getaddrinfo() cannot be given a deadline, so it runs in a thread that
 * reports through a pipe.  Whoever of the thread and the owner is done
 * with the lookup last frees it: on timeout the owner abandons it, and a
 * long-running listener keeps no thread's pipe or result behind.
 */
struct lookup {
	pthread_mutex_t	 mu;
	char		 host[256];
	char		 port[8];
	int		 family;
	int		 pipe[2];
	int		 rc;
	int		 done;
	int		 abandoned;
	struct addrinfo	*res;
};

static void
lookup_free(struct lookup *lk)
{
	if (lk->res != NULL)
		freeaddrinfo(lk->res);
	close(lk->pipe[0]);
	close(lk->pipe[1]);
	pthread_mutex_destroy(&lk->mu);
	free(lk);
}

static void *
lookup_thread(void *arg)
{
	struct lookup *lk = arg;
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = lk->family;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(lk->host, lk->port, &hints, &res);
	pthread_mutex_lock(&lk->mu);
	lk->rc = rc;
	lk->res = res;
	if (lk->abandoned) {
		pthread_mutex_unlock(&lk->mu);
		lookup_free(lk);
		return NULL;
	}
	lk->done = 1;
	(void)!write(lk->pipe[1], "x", 1);
	pthread_mutex_unlock(&lk->mu);
	return NULL;
}

/* The owner is done with lk, finished or not. */
static void
lookup_abandon(struct lookup *lk)
{
	int done;

	pthread_mutex_lock(&lk->mu);
	done = lk->done;
	lk->abandoned = 1;
	pthread_mutex_unlock(&lk->mu);
	if (done)
		lookup_free(lk);
}

/* A lookup of host under way in its thread, or NULL on a system error. */
static struct lookup *
lookup_start(const char *host, unsigned port, int family)
{
	pthread_attr_t attr;
	struct lookup *lk;
	pthread_t th;
	int rc;

	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return NULL;
	snprintf(lk->host, sizeof(lk->host), "%s", host);
	snprintf(lk->port, sizeof(lk->port), "%u", port);
	lk->family = family;
	if (compat_pipe(lk->pipe, 1) == -1) {
		free(lk);
		return NULL;
	}
	(void)pthread_mutex_init(&lk->mu, NULL);
	if (pthread_attr_init(&attr) != 0) {
		lookup_free(lk);
		return NULL;
	}
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &attr, lookup_thread, lk);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		lookup_free(lk);
		errno = rc;	/* pthread_create() leaves errno alone */
		return NULL;
	}
	return lk;
}

/* A literal needs no lookup and no thread: NET_OK with *res, or -1. */
static int
resolve_literal(const char *host, unsigned port, int family,
    struct addrinfo **res)
{
	struct addrinfo hints;
	char ps[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	return getaddrinfo(host, ps, &hints, res) == 0 ? 0 : -1;
}

int
net_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	pfd.fd = fd;
	pfd.events = events;
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/* RFC 8305 §4: alternate families, starting with the first one listed. */
static size_t
interleave(struct addrinfo *res, struct addrinfo **out, size_t max)
{
	struct addrinfo *a, *v6[ADDRS_MAX], *v4[ADDRS_MAX];
	size_t n6 = 0, n4 = 0, i, n = 0;
	int first6 = res != NULL && res->ai_family == AF_INET6;

	for (a = res; a != NULL; a = a->ai_next) {
		if (a->ai_family == AF_INET6 && n6 < ADDRS_MAX)
			v6[n6++] = a;
		else if (a->ai_family == AF_INET && n4 < ADDRS_MAX)
			v4[n4++] = a;
	}
	for (i = 0; (i < n6 || i < n4) && n < max; i++) {
		if (first6 && i < n6 && n < max)
			out[n++] = v6[i];
		if (i < n4 && n < max)
			out[n++] = v4[i];
		if (!first6 && i < n6 && n < max)
			out[n++] = v6[i];
	}
	return n;
}

static int
start_connect(struct addrinfo *a, int *err)
{
	int fd, on = 1;

	if ((fd = compat_socket(a->ai_family)) == -1) {
		*err = errno;
		return -1;
	}
	/* ssh is interactive: no Nagle delay on keystrokes. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
	    errno == EINPROGRESS)
		return fd;
	*err = errno;
	close(fd);
	return -1;
}

/*
 * The attempts poll() answered: the first that connected leaves pfd and is
 * returned; those that failed are closed, their error kept in *lasterr.
 * -1 when none connected.
 */
static int
settle(struct pollfd *pfd, size_t *npend, int *lasterr, int64_t *next_at)
{
	socklen_t sl;
	size_t i;
	int soerr, fd;

	for (i = 0; i < *npend; i++) {
		if (pfd[i].revents == 0)
			continue;
		sl = sizeof(soerr);
		if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) ==
		    -1)
			soerr = errno;
		if (soerr == 0) {
			fd = pfd[i].fd;
			pfd[i] = pfd[--*npend];
			return fd;
		}
		*lasterr = soerr;
		close(pfd[i].fd);
		pfd[i--] = pfd[--*npend];
		/* A failure frees the next attempt to start now. */
		*next_at = now_ms();
	}
	return -1;
}

/* An address in words: "192.0.2.1", "[2001:db8::1]". */
static void
addr_text(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
	char h[INET6_ADDRSTRLEN];

	if (getnameinfo(sa, len, h, sizeof(h), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(h, sizeof(h), "?");
	snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]" : "%s", h);
}

static void
info_addrs(struct net_info *info, struct addrinfo **addrs, size_t n)
{
	char a[INET6_ADDRSTRLEN + 2];
	size_t i, o;

	info->addrs[0] = '\0';
	for (i = 0; i < n; i++) {
		addr_text(addrs[i]->ai_addr, addrs[i]->ai_addrlen, a,
		    sizeof(a));
		o = strlen(info->addrs);
		snprintf(info->addrs + o, sizeof(info->addrs) - o, "%s%s",
		    i ? ", " : "", a);
	}
}

static void
info_peer(struct net_info *info, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		snprintf(info->peer, sizeof(info->peer), "?");
	else
		addr_text((struct sockaddr *)&ss, len, info->peer,
		    sizeof(info->peer));
}

/* A connection under way: its name lookup, then its attempts. */
struct net_conn {
	char		 host[256];
	unsigned	 port;
	int		 family;
	int64_t		 deadline;
	struct net_info	*info;
	int64_t		 t0;		/* began */
	int64_t		 t1;		/* resolved */
	struct lookup	*lk;		/* while resolving */
	struct addrinfo	*res;
	struct addrinfo	*addrs[ADDRS_MAX];
	size_t		 naddr;
	size_t		 next;		/* the next address to try */
	struct pollfd	 pfd[ADDRS_MAX];	/* attempts pending */
	size_t		 npend;
	int64_t		 next_at;	/* when the next may start */
	int		 lasterr;
	int		 resolved;
};

enum net_rc
net_conn_start(struct net_conn **ncp, const char *host, unsigned port,
    int family, int64_t deadline, struct net_info *info)
{
	struct net_conn *nc;

	if ((*ncp = nc = calloc(1, sizeof(*nc))) == NULL)
		return NET_SYSTEM;
	snprintf(nc->host, sizeof(nc->host), "%s", host);
	nc->port = port;
	nc->family = family;
	nc->deadline = deadline;
	nc->info = info;
	nc->lasterr = ECONNREFUSED;
	nc->t0 = now_ms();
	if (resolve_literal(host, port, family, &nc->res) == 0)
		return NET_OK;
	if ((nc->lk = lookup_start(host, port, family)) == NULL) {
		free(nc);
		*ncp = NULL;
		return NET_SYSTEM;
	}
	return NET_OK;
}

/* The lookup's answer, once it came: NET_OK, NET_AGAIN or a failure. */
static enum net_rc
take_lookup(struct net_conn *nc, struct waitset *ws, char *err,
    size_t errlen)
{
	struct lookup *lk = nc->lk;
	char c;
	int rc;

	if (read(lk->pipe[0], &c, 1) != 1) {
		if (now_ms() >= nc->deadline) {
			snprintf(err, errlen, "timed out resolving %s",
			    nc->host);
			return NET_TIMEOUT;
		}
		(void)waitset_add(ws, lk->pipe[0], POLLIN);
		ws->until = nc->deadline;
		return NET_AGAIN;
	}
	/* The byte read, the thread has let go of rc and res. */
	rc = lk->rc;
	nc->res = lk->res;
	lk->res = NULL;
	nc->lk = NULL;
	lookup_abandon(lk);
	if (rc != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return NET_RESOLVE;
	}
	return NET_OK;
}

static void
resolved(struct net_conn *nc)
{
	nc->resolved = 1;
	nc->naddr = interleave(nc->res, nc->addrs, ADDRS_MAX);
	nc->next_at = nc->t1 = now_ms();
	if (nc->info != NULL) {
		nc->info->resolve_ms = nc->t1 - nc->t0;
		info_addrs(nc->info, nc->addrs, nc->naddr);
	}
}

/* Start the next attempt when the last one has had its head start, or
 * at once when nothing is pending. */
static void
start_attempts(struct net_conn *nc, int64_t now)
{
	int fd, e;

	while (nc->next < nc->naddr && (nc->npend == 0 ||
	    now >= nc->next_at)) {
		fd = start_connect(nc->addrs[nc->next++], &e);
		if (fd == -1) {
			nc->lasterr = e;
			continue;
		}
		nc->pfd[nc->npend].fd = fd;
		nc->pfd[nc->npend].events = POLLOUT;
		nc->npend++;
		nc->next_at = now + ATTEMPT_DELAY_MS;
		break;
	}
}

enum net_rc
net_conn_step(struct net_conn *nc, struct waitset *ws, int *fdp, char *err,
    size_t errlen)
{
	enum net_rc rc;
	int64_t now;
	size_t i;
	int n;

	*fdp = -1;
	waitset_clear(ws);
	if (nc->lk != NULL && (rc = take_lookup(nc, ws, err, errlen)) !=
	    NET_OK)
		return rc;
	if (!nc->resolved)
		resolved(nc);
	for (;;) {
		start_attempts(nc, now_ms());
		if (nc->npend == 0)
			break;
		n = poll(nc->pfd, nc->npend, 0);
		if (n == -1 && errno != EINTR) {
			nc->lasterr = errno;
			break;
		}
		if (n > 0 && (*fdp = settle(nc->pfd, &nc->npend, &nc->lasterr,
		    &nc->next_at)) != -1) {
			if (nc->info != NULL) {
				nc->info->connect_ms = now_ms() - nc->t1;
				info_peer(nc->info, *fdp);
			}
			return NET_OK;
		}
		if (nc->npend == 0)
			continue;
		now = now_ms();
		if (now >= nc->deadline) {
			snprintf(err, errlen, "timed out");
			return NET_TIMEOUT;
		}
		if (nc->next < nc->naddr && now >= nc->next_at)
			continue;
		for (i = 0; i < nc->npend; i++)
			(void)waitset_add(ws, nc->pfd[i].fd, POLLOUT);
		ws->until = nc->next < nc->naddr && nc->next_at < nc->deadline ?
		    nc->next_at : nc->deadline;
		return NET_AGAIN;
	}
	if (nc->naddr == 0)
		snprintf(err, errlen, "no usable address");
	else
		snprintf(err, errlen, "%s", strerror(nc->lasterr));
	return NET_CONNECT;
}

void
net_conn_free(struct net_conn *nc)
{
	size_t i;

	if (nc == NULL)
		return;
	for (i = 0; i < nc->npend; i++)
		close(nc->pfd[i].fd);
	if (nc->lk != NULL)
		lookup_abandon(nc->lk);
	if (nc->res != NULL)
		freeaddrinfo(nc->res);
	free(nc);
}

enum net_rc
net_connect(const char *host, unsigned port, int family, int64_t deadline,
    int *fdp, char *err, size_t errlen)
{
	return net_connect_info(host, port, family, deadline, fdp, err, errlen,
	    NULL);
}

enum net_rc
net_connect_info(const char *host, unsigned port, int family,
    int64_t deadline, int *fdp, char *err, size_t errlen,
    struct net_info *info)
{
	struct net_conn *nc;
	struct waitset ws;
	enum net_rc rc;

	*fdp = -1;
	if ((rc = net_conn_start(&nc, host, port, family, deadline, info)) !=
	    NET_OK)
		return rc;
	while ((rc = net_conn_step(nc, &ws, fdp, err, errlen)) == NET_AGAIN)
		if (waitset_poll(&ws) == -1) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			rc = NET_SYSTEM;
			break;
		}
	net_conn_free(nc);
	return rc;
}
