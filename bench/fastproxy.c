/*
 * fastproxy: the bench's own loopback CONNECT proxy, built so that it is
 * never the bottleneck: no auth, no logging, one thread per direction of a
 * connection moving bytes with splice() through a pipe of its own.
 *
 *   fastproxy [PORT]      listen on 127.0.0.1:PORT (default: any free
 *                         port), print the port, serve until killed
 *                         (at most 4 hours).
 *
 * A CONNECT to a host that is not a loopback address is refused (403): the
 * bench never leaves the machine.  End of input on one side becomes
 * shutdown(SHUT_WR) on the other, so half-closing clients behave; the
 * connection is closed when both directions have ended.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>

#include "common.h"

#define HDR_MAX		8192
#define PIPE_WANT	(1024 * 1024)
#define IO_TIMEOUT	30	/* seconds for the CONNECT header */

struct conn {
	int	 client;
	int	 target;
};

struct half {
	int	 in;
	int	 out;
};

static void
reply(int fd, const char *status)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "HTTP/1.1 %s\r\n\r\n", status);

	(void)write_all(fd, buf, (size_t)n);
}

/* Read the request header: its length, or -1.  Bytes after it (a client
 * that speaks before the 200) stay in buf from that offset, *got in all. */
static int
read_header(int fd, char *buf, size_t cap, size_t *got)
{
	size_t have = 0;
	ssize_t r;
	char *end;

	for (;;) {
		r = recv(fd, buf + have, cap - 1 - have, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;	/* EOF, error or SO_RCVTIMEO */
		have += (size_t)r;
		buf[have] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			*got = have;
			return (int)(end - buf) + 4;
		}
		if (have == cap - 1)
			return -1;
	}
}

static int
connect_target(const char *authority)
{
	char host[256], *port, *p;
	struct addrinfo hints, *res, *ai;
	int fd = -1;

	if (strlen(authority) >= sizeof(host))
		return -1;
	strcpy(host, authority);
	if (host[0] == '[') {
		if ((p = strchr(host, ']')) == NULL || p[1] != ':')
			return -1;
		*p = '\0';
		port = p + 2;
		memmove(host, host + 1, strlen(host + 1) + 1);
	} else {
		if ((port = strrchr(host, ':')) == NULL)
			return -1;
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		/* Loopback only. */
		if (ai->ai_family == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)ai->ai_addr;
			if ((ntohl(s->sin_addr.s_addr) >> 24) != 127)
				continue;
		} else if (ai->ai_family == AF_INET6) {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)ai->ai_addr;
			if (!IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
				continue;
		} else
			continue;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* One direction: splice in → pipe → out until end of input. */
static void *
pump(void *arg)
{
	struct half *h = arg;
	int p[2];
	ssize_t n, m;

	if (pipe2(p, O_CLOEXEC) == -1)
		goto fail;
	(void)fcntl(p[1], F_SETPIPE_SZ, PIPE_WANT);
	for (;;) {
		n = splice(h->in, NULL, p[1], NULL, PIPE_WANT, SPLICE_F_MOVE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			break;
		if (n == -1)
			goto fail_pipe;
		while (n > 0) {
			m = splice(p[0], NULL, h->out, NULL, (size_t)n,
			    SPLICE_F_MOVE);
			if (m == -1 && errno == EINTR)
				continue;
			if (m <= 0)
				goto fail_pipe;
			n -= m;
		}
	}
	close(p[0]);
	close(p[1]);
	/* Pass the end of input on; the other direction goes on. */
	(void)shutdown(h->out, SHUT_WR);
	return NULL;
fail_pipe:
	close(p[0]);
	close(p[1]);
fail:
	/* Tear both directions down: wake the other half. */
	(void)shutdown(h->in, SHUT_RDWR);
	(void)shutdown(h->out, SHUT_RDWR);
	return NULL;
}

static void *
serve(void *arg)
{
	struct conn *c = arg;
	char hdr[HDR_MAX], method[16], authority[300];
	struct half up, down;
	pthread_t t;
	struct timeval tv = { IO_TIMEOUT, 0 }, none = { 0, 0 };
	size_t got;
	int hlen;

	(void)setsockopt(c->client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((hlen = read_header(c->client, hdr, sizeof(hdr), &got)) == -1)
		goto out;
	if (sscanf(hdr, "%15s %299s HTTP/1.%*c", method, authority) != 2 ||
	    strcmp(method, "CONNECT") != 0) {
		reply(c->client, "405 Method Not Allowed");
		goto out;
	}
	if ((c->target = connect_target(authority)) == -1) {
		reply(c->client, errno == ECONNREFUSED ? "502 Bad Gateway" :
		    "403 Forbidden");
		goto out;
	}
	(void)setsockopt(c->client, SOL_SOCKET, SO_RCVTIMEO, &none,
	    sizeof(none));
	set_nodelay(c->client);
	set_nodelay(c->target);
	reply(c->client, "200 Connection established");
	if (got > (size_t)hlen &&
	    write_all(c->target, hdr + hlen, got - (size_t)hlen) == -1)
		goto out;

	up = (struct half){ c->client, c->target };
	down = (struct half){ c->target, c->client };
	if (pthread_create(&t, NULL, pump, &down) != 0)
		goto out;
	pump(&up);
	pthread_join(t, NULL);
out:
	if (c->target != -1)
		close(c->target);
	close(c->client);
	free(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_attr_t attr;
	pthread_t t;
	struct conn *c;
	int lfd, fd;

	bench_prog = "fastproxy";
	signal(SIGPIPE, SIG_IGN);
	alarm(4 * 3600);
	lfd = listen_local(argc > 1 ? atoi(argv[1]) : 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EMFILE || errno == ENFILE)
				continue;
			die("accept:");
		}
		if ((c = malloc(sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->client = fd;
		c->target = -1;
		if (pthread_create(&t, &attr, serve, c) != 0) {
			close(fd);
			free(c);
		}
	}
}
