#ifndef POSTERN_RELAY_H
#define POSTERN_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct relay_cfg {
	int		 in_fd;		/* what goes up the tunnel: stdin */
	int		 out_fd;	/* where the tunnel's bytes go: stdout */
	int		 half_close;	/* -N */
	int64_t		 idle_ms;	/* --idle-timeout, 0 for none */
};

/*
 * Join in_fd and out_fd to the tunnel.  Bytes given back to the stream
 * (what came with the proxy's reply) reach out_fd first.
 *
 * A byte read from in_fd is delivered into the tunnel, or the exit status
 * is not 0.  The relay ends when the far side has closed and everything
 * it sent is out, and: without half_close, once what was read from in_fd
 * is sent (in_fd is read no more); with half_close (-N), once in_fd has
 * ended too and its end was passed on.  Returns EXIT_OK, EXIT_IO or
 * EXIT_IDLE (after printing why).
 */
int	relay_run(struct stream *, const struct relay_cfg *);

/*
 * relay_run() in steps that never block, for the listener's one loop
 * over many tunnels.  relay_new() sets up (NULL after printing why);
 * relay_plan() says in ws what the next step waits for (no descriptor at
 * all: step again at once), relay_step() takes the revents the wait
 * found.  Each returns RELAY_AGAIN, or the exit status once the relay is
 * over.  relay_free() ends it at any point; the stream is the caller's.
 */
#define RELAY_AGAIN	(-1)

struct relay;
struct waitset;
struct relay	*relay_new(struct stream *, const struct relay_cfg *);
int		 relay_plan(struct relay *, struct waitset *ws);
int		 relay_step(struct relay *, const struct waitset *ws);
void		 relay_free(struct relay *);

/* Bytes read so far from in_fd (up) and from the tunnel (down). */
void	relay_bytes(const struct relay *, uint64_t *up, uint64_t *down);

/*
 * Hand the tunnel's socket to the process at the other end of stdout, a
 * Unix socket (ssh's ProxyUseFdpass), so that no process relays at all.
 * Returns EXIT_OK, or EXIT_IO after printing why.
 */
int	relay_fdpass(int fd);

/* stdin and stdout become non-blocking; their flags come back at exit. */
void	relay_stdio_nonblock(void);
void	relay_stdio_restore(void);

#endif
