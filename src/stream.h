#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <sys/types.h>

#include <stddef.h>

/*
 * One interface over a plain socket or a TLS session, so that the
 * handshake and the relay do not care which one they hold.  Reads and
 * writes never block: -1 with errno EAGAIN means "poll for s->want".
 */
struct stream {
	int	 fd;
	void	*ssl;		/* SSL *, NULL for a plain socket */
	short	 want;		/* poll events the last EAGAIN waits for */
};

void	stream_init(struct stream *, int fd);
ssize_t	stream_read(struct stream *, void *, size_t);
ssize_t	stream_write(struct stream *, const void *, size_t);
/* End of our sending side: shutdown(SHUT_WR), or TLS close_notify. */
int	stream_shutdown(struct stream *);
/* Bytes already decrypted and waiting: poll() cannot see them. */
size_t	stream_pending(const struct stream *);
void	stream_close(struct stream *);

#endif
