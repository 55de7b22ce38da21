#include <sys/socket.h>
#include <sys/types.h>
#ifdef HAVE_PRCTL
#include <sys/prctl.h>
#endif
#ifdef HAVE_PROCCTL
#include <sys/procctl.h>
#endif
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif
#ifdef HAVE_GETIFADDRS
#include <net/if.h>
#include <netdb.h>
#include <ifaddrs.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

#define PIPE_DEFAULT	65536	/* what a pipe holds where nobody says */

ssize_t
compat_splice(int in, int out, size_t n)
{
#ifdef HAVE_SPLICE
	ssize_t r;

	do
		r = splice(in, NULL, out, NULL, n, SPLICE_F_MOVE |
		    SPLICE_F_NONBLOCK);
	while (r == -1 && errno == EINTR);
	return r;
#else
	(void)in;
	(void)out;
	(void)n;
	errno = ENOSYS;
	return -1;
#endif
}

size_t
compat_pipe_size(int fd, size_t want)
{
#ifdef HAVE_PIPE_SIZE
	int sz;

	if ((sz = fcntl(fd, F_SETPIPE_SZ, (int)want)) == -1)
		sz = fcntl(fd, F_GETPIPE_SZ);
	return sz > 0 ? (size_t)sz : 0;
#else
	(void)fd;
	(void)want;
	return 0;
#endif
}

#if !defined(HAVE_PIPE2) || !defined(HAVE_SOCK_CLOEXEC) || \
    !defined(HAVE_ACCEPT4)
/* Close-on-exec, and non-blocking with nonblock.  Between the call that
 * made fd and this, a fork and exec in another thread could inherit it:
 * postern's only other thread calls getaddrinfo(), which execs nothing. */
static int
set_fd_flags(int fd, int nonblock)
{
	int fl;

	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	if (!nonblock)
		return 0;
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	return 0;
}
#endif

#if !defined(HAVE_PIPE2) || !defined(HAVE_SOCK_CLOEXEC) || \
    !defined(HAVE_ACCEPT4) || defined(HAVE_SO_NOSIGPIPE)
/* Close fd that could not be set up: -1, errno kept. */
static int
close_failed(int fd)
{
	int save_errno = errno;

	close(fd);
	errno = save_errno;
	return -1;
}
#endif

int
compat_pipe(int fd[2], int nonblock)
{
#ifdef HAVE_PIPE2
	return pipe2(fd, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
#else
	if (pipe(fd) == -1)
		return -1;
	if (set_fd_flags(fd[0], nonblock) == 0 &&
	    set_fd_flags(fd[1], nonblock) == 0)
		return 0;
	(void)close_failed(fd[0]);
	return close_failed(fd[1]);
#endif
}

/* fd, made to raise no SIGPIPE where a socket can say so; -1 (closed)
 * when that fails, and -1 stays -1. */
static int
no_sigpipe(int fd)
{
#ifdef HAVE_SO_NOSIGPIPE
	int on = 1;

	if (fd != -1 && setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on,
	    sizeof(on)) == -1)
		fd = close_failed(fd);
#endif
	return fd;
}

int
compat_accept(int lfd, struct sockaddr *sa, socklen_t *len)
{
	int fd;

#ifdef HAVE_ACCEPT4
	fd = accept4(lfd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
	if ((fd = accept(lfd, sa, len)) != -1 && set_fd_flags(fd, 1) == -1)
		fd = close_failed(fd);
#endif
	return no_sigpipe(fd);
}

int
compat_socket(int family)
{
	int fd;

#ifdef HAVE_SOCK_CLOEXEC
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#else
	if ((fd = socket(family, SOCK_STREAM, 0)) != -1 &&
	    set_fd_flags(fd, 1) == -1)
		fd = close_failed(fd);
#endif
	return no_sigpipe(fd);
}

#if !defined(HAVE_GETRANDOM) && !defined(HAVE_ARC4RANDOM)
/* The portable source: the device every system this builds on has. */
static int
urandom(unsigned char *q, size_t n)
{
	ssize_t r = 0;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (n > 0) {
		r = read(fd, q, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		q += r;
		n -= (size_t)r;
	}
	close(fd);
	return n == 0 ? 0 : -1;
}
#endif

int
compat_random(void *p, size_t n)
{
	unsigned char *q = p;
#ifdef HAVE_GETRANDOM
	ssize_t r;

	/* The kernel's generator, as RAND_bytes would seed from, without
	 * loading libcrypto for a nonce. */
	while (n > 0) {
		r = getrandom(q, n, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		q += r;
		n -= (size_t)r;
	}
	return 0;
#elif defined(HAVE_ARC4RANDOM)
	arc4random_buf(q, n);
	return 0;
#else
	return urandom(q, n);
#endif
}

void
compat_undumpable(void)
{
#if defined(HAVE_PRCTL)
	/* Also keeps ptrace and /proc/PID/mem away from the same user. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#elif defined(HAVE_PROCCTL)
	int arg = PROC_TRACE_CTL_DISABLE;

	(void)procctl(P_PID, getpid(), PROC_TRACE_CTL, &arg);
#endif
}

#ifndef HAVE_EXPLICIT_BZERO
/* A call through a volatile pointer: the compiler cannot know it is
 * memset, so it cannot drop it. */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;
#endif

void
compat_wipe(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	(void)wipe_memset(p, 0, n);
#endif
}

#ifdef HAVE_GETIFADDRS
int
compat_if_address(int family, char *out, size_t outlen)
{
	struct ifaddrs *ifa, *i;
	socklen_t sl;
	int rc = -1;

	if (getifaddrs(&ifa) == -1)
		return -1;
	for (i = ifa; i != NULL && rc == -1; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family ||
		    (i->ifa_flags & IFF_UP) == 0 ||
		    (i->ifa_flags & IFF_LOOPBACK) != 0)
			continue;
		sl = family == AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6);
		if (getnameinfo(i->ifa_addr, sl, out, (socklen_t)outlen, NULL,
		    0, NI_NUMERICHOST) == 0 && strchr(out, '%') == NULL)
			rc = 0;
	}
	freeifaddrs(ifa);
	return rc;
}
#else
int
compat_if_address(int family, char *out, size_t outlen)
{
	(void)family;
	(void)out;
	(void)outlen;
	return -1;
}
#endif

static const char features[] = ""
#ifdef HAVE_SPLICE
    " splice"
#endif
#ifdef HAVE_PIPE_SIZE
    " F_SETPIPE_SZ"
#endif
#ifdef HAVE_PIPE2
    " pipe2"
#endif
#ifdef HAVE_SOCK_CLOEXEC
    " SOCK_CLOEXEC"
#endif
#ifdef HAVE_ACCEPT4
    " accept4"
#endif
#ifdef HAVE_MSG_NOSIGNAL
    " MSG_NOSIGNAL"
#endif
#ifdef HAVE_SO_NOSIGPIPE
    " SO_NOSIGPIPE"
#endif
#ifdef HAVE_GETRANDOM
    " getrandom"
#elif defined(HAVE_ARC4RANDOM)
    " arc4random_buf"
#endif
#if defined(HAVE_PRCTL)
    " prctl"
#elif defined(HAVE_PROCCTL)
    " procctl"
#endif
#ifdef HAVE_EXPLICIT_BZERO
    " explicit_bzero"
#endif
#ifdef HAVE_GETIFADDRS
    " getifaddrs"
#endif
    ;

const char *
compat_features(void)
{
	return features[0] == '\0' ? "" : features + 1;
}
