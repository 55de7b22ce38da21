#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ossl.h"
#include "stream.h"
#include "tls.h"

#define TLS_ERR_MAX	256

static char tls_err[TLS_ERR_MAX];

void
stream_init(struct stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->want_r = POLLIN;
	s->want_w = POLLOUT;
}

/* Map an SSL result to errno and poll events; 0 means "orderly end". */
static ssize_t
tls_result(struct stream *s, int ret, int write, short *want)
{
	int err = SSL_get_error(s->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		if (!write)
			s->starved = 1;
		/* Over a lower stream the BIO already noted what it waits
		 * for; over the socket, it is what OpenSSL says. */
		if (s->lower == NULL)
			*want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		if (s->lower == NULL)
			*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		if (!write)
			return 0;
		errno = EPIPE;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			errno = write ? EPIPE : ECONNRESET;
		ERR_clear_error();
		return -1;
	default:
		tls_error_string(tls_err, sizeof(tls_err));
		s->tls_failed = 1;
		errno = EPROTO;
		return -1;
	}
}

ssize_t
stream_read(struct stream *s, void *p, size_t n)
{
	size_t got;
	ssize_t r;
	int ret;

	if (s->pblen > 0) {
		got = n < s->pblen ? n : s->pblen;
		memcpy(p, s->pb + s->pboff, got);
		s->pboff += got;
		s->pblen -= got;
		if (s->pblen == 0) {
			free(s->pb);
			s->pb = NULL;
			s->pboff = 0;
		}
		return (ssize_t)got;
	}
	if (s->ssl != NULL) {
		s->want_r = POLLIN;
		s->cur_want = &s->want_r;
		ret = SSL_read_ex(s->ssl, p, n, &got);
		s->starved = 0;
		if (ret == 1) {
			s->want_r = POLLIN;
			return (ssize_t)got;
		}
		return tls_result(s, ret, 0, &s->want_r);
	}
	do
		r = read(s->fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t
stream_write(struct stream *s, const void *p, size_t n)
{
	size_t put;
	ssize_t r;
	int ret;

	if (s->ssl != NULL) {
		s->want_w = POLLOUT;
		s->cur_want = &s->want_w;
		ret = SSL_write_ex(s->ssl, p, n, &put);
		if (ret == 1) {
			s->want_w = POLLOUT;
			return (ssize_t)put;
		}
		return tls_result(s, ret, 1, &s->want_w);
	}
	do
		r = send(s->fd, p, n, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	return r;
}

int
stream_shutdown(struct stream *s)
{
	if (s->ssl != NULL) {
		s->cur_want = &s->want_w;
		/* close_notify; the peer's own close_notify or FIN still
		 * ends our reading side later. */
		if (SSL_shutdown(s->ssl) < 0)
			ERR_clear_error();
		return 0;
	}
	return shutdown(s->fd, SHUT_WR);
}

size_t
stream_pending(const struct stream *s)
{
	size_t n = s->pblen;

	if (s->ssl != NULL) {
		n += (size_t)SSL_pending(s->ssl);
		/* Bytes read ahead count only while they may hold a whole
		 * record: after a read that wanted more, they are the start
		 * of one, and only poll() can tell when the rest comes. */
		if (n == 0 && !s->starved && SSL_has_pending(s->ssl))
			n = 1;
	}
	if (s->lower != NULL)
		n += stream_pending(s->lower);
	return n;
}

int
stream_unread(struct stream *s, const void *p, size_t n)
{
	char *nb;

	if (n == 0)
		return 0;
	if ((nb = malloc(s->pblen + n)) == NULL)
		return -1;
	memcpy(nb, p, n);
	if (s->pblen > 0)
		memcpy(nb + n, s->pb + s->pboff, s->pblen);
	free(s->pb);
	s->pb = nb;
	s->pboff = 0;
	s->pblen += n;
	return 0;
}

const char *
stream_tls_error(const struct stream *s)
{
	(void)s;
	return tls_err[0] ? tls_err : "unknown TLS error";
}

void
stream_close(struct stream *s)
{
	if (s->ssl != NULL)
		SSL_free(s->ssl);	/* and the gathering BIO with s->wb */
	s->ssl = NULL;
	s->wb = NULL;
	if (s->lower != NULL) {
		/* The lower stream owns the socket. */
		stream_close(s->lower);
		free(s->lower);
		s->lower = NULL;
	} else if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	free(s->pb);
	s->pb = NULL;
	s->pblen = s->pboff = 0;
}
