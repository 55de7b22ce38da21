#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <sys/types.h>

#include <stddef.h>

/*
 * One interface over a plain socket, a TLS session on it, or a TLS session
 * inside the tunnel of an earlier proxy (a chain), so that the handshake
 * and the relay do not care which one they hold.  Reads and writes never
 * block: -1 with errno EAGAIN means "poll fd for want_r / want_w".
 */
struct stream {
	int		 fd;		/* the socket at the bottom, for poll */
	void		*ssl;		/* SSL *, NULL for plain */
	struct stream	*lower;		/* what the TLS session runs over */
	short		 want_r;	/* events a read waits for */
	short		 want_w;	/* events a write waits for */
	short		*cur_want;	/* the one a TLS call under way sets */
	int		 tls_failed;	/* the last error was a TLS one */
	int		 starved;	/* the last TLS read needs bytes from
					   below: what is buffered is not a
					   whole record */
	void		*wb;		/* TLS records gathered (tls.c) */
	char		*pb;		/* bytes given back, read first */
	size_t		 pboff;
	size_t		 pblen;
};

void	stream_init(struct stream *, int fd);
ssize_t	stream_read(struct stream *, void *, size_t);
ssize_t	stream_write(struct stream *, const void *, size_t);
/* End of our sending side: shutdown(SHUT_WR), or TLS close_notify. */
int	stream_shutdown(struct stream *);
/* Bytes readable now that poll() cannot see: given back, or decrypted. */
size_t	stream_pending(const struct stream *);
/* Give bytes back: the next reads return them first.  -1 on ENOMEM. */
int	stream_unread(struct stream *, const void *, size_t);
/* The TLS session's error in words, after tls_failed. */
const char *stream_tls_error(const struct stream *);
void	stream_close(struct stream *);

#endif
