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

#define ATTEMPT_DELAY_MS 250	/* RFC 8305 §5 Connection Attempt Delay */
#define ADDRS_MAX	 16	/* addresses tried per name */

/*
 * getaddrinfo() cannot be given a deadline, so it runs in a thread that
 * reports through a pipe; on timeout the thread is left behind and the
 * process moves on (and soon exits).
 */
struct lookup {
	char		 host[256];
	char		 port[8];
	int		 family;
	int		 pipe[2];
	int		 rc;
	struct addrinfo	*res;
};

static void *
lookup_thread(void *arg)
{
	struct lookup *lk = arg;
	struct addrinfo hints;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = lk->family;
	hints.ai_socktype = SOCK_STREAM;
	lk->rc = getaddrinfo(lk->host, lk->port, &hints, &lk->res);
	/* The write publishes rc and res to the waiting thread. */
	(void)!write(lk->pipe[1], "x", 1);
	return NULL;
}

static int
resolve(const char *host, unsigned port, int family, int64_t deadline,
    struct addrinfo **res, char *err, size_t errlen)
{
	struct addrinfo hints;
	struct lookup *lk;
	pthread_t th;
	char c;
	int n, rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	{
		char ps[8];

		snprintf(ps, sizeof(ps), "%u", port);
		/* A literal needs no lookup and no thread. */
		if (getaddrinfo(host, ps, &hints, res) == 0)
			return NET_OK;
	}
	if ((lk = calloc(1, sizeof(*lk))) == NULL)
		return NET_SYSTEM;
	snprintf(lk->host, sizeof(lk->host), "%s", host);
	snprintf(lk->port, sizeof(lk->port), "%u", port);
	lk->family = family;
	if (compat_pipe(lk->pipe, 0) == -1) {
		free(lk);
		return NET_SYSTEM;
	}
	if (pthread_create(&th, NULL, lookup_thread, lk) != 0) {
		close(lk->pipe[0]);
		close(lk->pipe[1]);
		free(lk);
		return NET_SYSTEM;
	}
	n = net_wait(lk->pipe[0], POLLIN, deadline);
	if (n != 1) {
		/* The thread still owns lk; it is abandoned on purpose. */
		pthread_detach(th);
		snprintf(err, errlen, "timed out resolving %s", host);
		return NET_TIMEOUT;
	}
	(void)!read(lk->pipe[0], &c, 1);
	pthread_join(th, NULL);
	close(lk->pipe[0]);
	close(lk->pipe[1]);
	rc = lk->rc;
	*res = lk->res;
	free(lk);
	if (rc != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return NET_RESOLVE;
	}
	return NET_OK;
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
	struct addrinfo *res = NULL, *addrs[ADDRS_MAX];
	struct pollfd pfd[ADDRS_MAX];
	size_t naddr, next = 0, npend = 0, i;
	int64_t now, next_at, wait, t1;
	int lasterr = ECONNREFUSED, e, fd, n;
	enum net_rc rc;

	*fdp = -1;
	now = now_ms();
	if ((rc = resolve(host, port, family, deadline, &res, err, errlen)) !=
	    NET_OK)
		return rc;
	naddr = interleave(res, addrs, ADDRS_MAX);
	next_at = t1 = now_ms();
	if (info != NULL) {
		info->resolve_ms = t1 - now;
		info_addrs(info, addrs, naddr);
	}
	rc = NET_CONNECT;
	for (;;) {
		now = now_ms();
		/* Start the next attempt when the last one has had its head
		 * start, or at once when nothing is pending. */
		while (next < naddr && (npend == 0 || now >= next_at)) {
			fd = start_connect(addrs[next++], &e);
			if (fd == -1) {
				lasterr = e;
				continue;
			}
			pfd[npend].fd = fd;
			pfd[npend].events = POLLOUT;
			npend++;
			next_at = now + ATTEMPT_DELAY_MS;
			break;
		}
		if (npend == 0) {
			if (next < naddr)
				continue;
			break;
		}
		now = now_ms();
		if (now >= deadline) {
			rc = NET_TIMEOUT;
			snprintf(err, errlen, "timed out");
			goto out;
		}
		wait = deadline - now;
		if (next < naddr && next_at - now < wait)
			wait = next_at - now > 0 ? next_at - now : 0;
		n = poll(pfd, npend, (int)(wait > 60000 ? 60000 : wait));
		if (n == -1 && errno != EINTR) {
			lasterr = errno;
			break;
		}
		if (n > 0 && (*fdp = settle(pfd, &npend, &lasterr,
		    &next_at)) != -1) {
			rc = NET_OK;
			if (info != NULL) {
				info->connect_ms = now_ms() - t1;
				info_peer(info, *fdp);
			}
			goto out;
		}
	}
	if (naddr == 0)
		snprintf(err, errlen, "no usable address");
	else
		snprintf(err, errlen, "%s", strerror(lasterr));
out:
	for (i = 0; i < npend; i++)
		close(pfd[i].fd);
	freeaddrinfo(res);
	return rc;
}
