#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "stream.h"

void
stream_init(struct stream *s, int fd)
{
	s->fd = fd;
	s->ssl = NULL;
	s->want = POLLIN;
}

ssize_t
stream_read(struct stream *s, void *p, size_t n)
{
	ssize_t r;

	do
		r = read(s->fd, p, n);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EAGAIN)
		s->want = POLLIN;
	return r;
}

ssize_t
stream_write(struct stream *s, const void *p, size_t n)
{
	ssize_t r;

	do
		r = send(s->fd, p, n, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EAGAIN)
		s->want = POLLOUT;
	return r;
}

int
stream_shutdown(struct stream *s)
{
	return shutdown(s->fd, SHUT_WR);
}

size_t
stream_pending(const struct stream *s)
{
	(void)s;
	return 0;
}

void
stream_close(struct stream *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
}
