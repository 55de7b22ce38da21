#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "stream.h"

void
stream_init(struct stream *s, int fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->want_r = POLLIN;
	s->want_w = POLLOUT;
}

/* Bytes given back come first, whatever the stream is. */
static size_t
take_given_back(struct stream *s, void *p, size_t n)
{
	size_t got = n < s->pblen ? n : s->pblen;

	memcpy(p, s->pb + s->pboff, got);
	s->pboff += got;
	s->pblen -= got;
	if (s->pblen == 0) {
		free(s->pb);
		s->pb = NULL;
		s->pboff = 0;
	}
	return got;
}

ssize_t
stream_read(struct stream *s, void *p, size_t n)
{
	ssize_t r;

	if (s->pblen > 0)
		return (ssize_t)take_given_back(s, p, n);
	if (s->ops != NULL)
		return s->ops->read(s, p, n);
	do
		r = read(s->fd, p, n);
	while (r == -1 && errno == EINTR);
	return r;
}

ssize_t
stream_write(struct stream *s, const void *p, size_t n)
{
	ssize_t r;

	if (s->ops != NULL)
		return s->ops->write(s, p, n);
	do
		r = send(s->fd, p, n, COMPAT_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	return r;
}

int
stream_shutdown(struct stream *s)
{
	if (s->ops != NULL)
		return s->ops->shutdown(s);
	return shutdown(s->fd, SHUT_WR);
}

size_t
stream_pending(const struct stream *s)
{
	size_t n = s->pblen;

	if (s->ops != NULL)
		n += s->ops->pending(s);
	if (s->lower != NULL)
		n += stream_pending(s->lower);
	return n;
}

int
stream_flush(struct stream *s)
{
	if (s->ops != NULL && s->ops->flush(s) == -1)
		return -1;
	return s->lower != NULL ? stream_flush(s->lower) : 0;
}

size_t
stream_unflushed(const struct stream *s)
{
	size_t n = s->ops != NULL ? s->ops->unflushed(s) : 0;

	return n + (s->lower != NULL ? stream_unflushed(s->lower) : 0);
}

int
stream_gather(struct stream *s)
{
	return s->ops != NULL ? s->ops->gather(s) : 0;
}

int
stream_is_layered(const struct stream *s)
{
	return s->ops != NULL;
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
stream_error(const struct stream *s)
{
	if (s->ops != NULL && s->failed)
		return s->ops->error(s);
	return "unknown error";
}

void
stream_close(struct stream *s)
{
	if (s->ops != NULL)
		s->ops->free(s);
	s->ops = NULL;
	s->layer = NULL;
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
