#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H

#include <sys/types.h>

#include <stddef.h>

/*
 * One interface over a plain socket, a TLS session on it, or a TLS session
 * inside the tunnel of an earlier proxy (a chain), so that the handshake
 * and the relay do not care which one they hold.  Reads and writes never
 * block: -1 with errno EAGAIN means "poll fd for want_r / want_w".
 *
 * A stream is a plain socket until a layer (tls.c) installs its ops; this
 * file knows nothing of what a layer is, so that the layers can use
 * streams below them without a circle.
 */
struct stream;

struct stream_ops {
	const char	*name;		/* "TLS", for -vv */
	ssize_t		(*read)(struct stream *, void *, size_t);
	ssize_t		(*write)(struct stream *, const void *, size_t);
	/* 0 once the end went out; -1 with EAGAIN: call again */
	int		(*shutdown)(struct stream *);
	/* decrypted bytes that poll() cannot see */
	size_t		(*pending)(const struct stream *);
	/* bytes written but held back to be sent with others */
	int		(*flush)(struct stream *);
	size_t		(*unflushed)(const struct stream *);
	/* from now on, hold writes back to send several at once */
	int		(*gather)(struct stream *);
	/* the layer's last error in words, after failed */
	const char	*(*error)(const struct stream *);
	void		(*free)(struct stream *);
};

struct stream {
	int		 fd;		/* the socket at the bottom, for poll */
	const struct stream_ops *ops;	/* NULL: plain socket */
	void		*layer;		/* the layer's own state */
	struct stream	*lower;		/* what the layer runs over */
	short		 want_r;	/* events a read waits for */
	short		 want_w;	/* events a write waits for */
	short		*cur_want;	/* the one a layer call under way sets */
	int		 failed;	/* the last error was the layer's own */
	char		*pb;		/* bytes given back, read first */
	size_t		 pboff;
	size_t		 pblen;
};

void	stream_init(struct stream *, int fd);
ssize_t	stream_read(struct stream *, void *, size_t);
ssize_t	stream_write(struct stream *, const void *, size_t);
/*
 * End of our sending side: shutdown(SHUT_WR), or TLS close_notify.  0
 * once it went out; -1 with errno, EAGAIN meaning "poll for want_w and
 * call again".
 */
int	stream_shutdown(struct stream *);
/* Bytes readable now that poll() cannot see: given back, or decrypted. */
size_t	stream_pending(const struct stream *);
/*
 * Bytes a layer holds back to send several at once (TLS records), at
 * every level of the stack.  stream_flush() sends them: 0 when all went,
 * -1 with errno (EAGAIN: poll for want_w and call again).
 */
int	stream_flush(struct stream *);
size_t	stream_unflushed(const struct stream *);
/* Let the layers gather writes from now on (the relay's bulk data). */
int	stream_gather(struct stream *);
/* Whether a layer (TLS) runs on the socket: then splice cannot be used. */
int	stream_is_layered(const struct stream *);
/* Give bytes back: the next reads return them first.  -1 on ENOMEM. */
int	stream_unread(struct stream *, const void *, size_t);
/* The layer's error in words, when failed is set. */
const char *stream_error(const struct stream *);
void	stream_close(struct stream *);

#endif
