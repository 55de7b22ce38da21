#ifndef POSTERN_RELAY_H
#define POSTERN_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "stream.h"

/*
 * Join stdin and stdout to the tunnel until the far side closes.  Bytes
 * given back to the stream (what came with the proxy's reply) reach
 * stdout first.  half_close passes the end of stdin on (-N).  Returns
 * EXIT_OK or EXIT_IO (after printing why).
 */
int	relay_run(struct stream *, int half_close, int64_t idle_ms);

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
