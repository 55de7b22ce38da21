/*
 * Shared helpers of the bench programs in bench/: every server listens on
 * 127.0.0.1 only, on a port the kernel picks unless one is given, and
 * prints that port on its first line of standard output so that the
 * harness can read it.  Every program bounds its own life with alarm().
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *bench_prog = "bench";

static inline void
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "%s: ", bench_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e != 0 && fmt[strlen(fmt) - 1] == ':')
		fprintf(stderr, " %s", strerror(e));
	fputc('\n', stderr);
	exit(1);
}

static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Parse a byte count: a number with an optional K, M or G (powers of 2). */
static inline unsigned long long
parse_size(const char *s)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		die("bad size: %s", s);
	switch (*end) {
	case 'G': case 'g': n <<= 30; end++; break;
	case 'M': case 'm': n <<= 20; end++; break;
	case 'K': case 'k': n <<= 10; end++; break;
	}
	if (*end != '\0')
		die("bad size: %s", s);
	return n;
}

/* Listen on 127.0.0.1:port (0: any free port); print the port. */
static inline int
listen_local(int port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket:");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("bind 127.0.0.1:%d:", port);
	if (listen(fd, 64) == -1)
		die("listen:");
	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		die("getsockname:");
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	return fd;
}

/* Accept one connection, waiting at most secs seconds. */
static inline int
accept_one(int lfd, int secs)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	int fd, r;

	do
		r = poll(&p, 1, secs * 1000);
	while (r == -1 && errno == EINTR);
	if (r == 0)
		die("no connection within %d s", secs);
	if (r == -1)
		die("poll:");
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		die("accept:");
	return fd;
}

static inline void
set_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static inline int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

#endif
