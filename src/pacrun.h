#ifndef POSTERN_PACRUN_H
#define POSTERN_PACRUN_H

#include "pac.h"
#include "stream.h"
#include "tunnel.h"

/*
 * Fetch the PAC at url (http://, https://, file:// or a path), ask it about
 * c->target, and open the tunnel through the first entry of its answer
 * that can be reached, each entry with its share of c->timeout_ms (which
 * the fetch and the evaluation share too).  c->hops is ignored.  Returns
 * as tunnel_open() does; EXIT_PAC when the PAC cannot be used, EXIT_CONNECT
 * with one line naming every entry when none can be reached.
 */
int	pac_tunnel(const char *url, const struct tunnel_cfg *c,
	    struct stream *s);

/*
 * Wipe, in place, the secrets c reaches (the -U copy, the -H values) and
 * those of the environment (POSTERN_PROXY_PASSWORD, proxy URLs that may
 * hold a user and password): the PAC evaluator's child does, right after
 * fork(), as it needs none of them.  Not for the process that tunnels.
 */
void	pac_forget_secrets(const void *c);

#endif
