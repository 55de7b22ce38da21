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
 * pac_tunnel() in steps that never block, as tunnel_begin() and its
 * kin: pac_run_begin() returns the run, or NULL with *rc after printing
 * why; pac_run_step() goes on until it must wait (TUNNEL_AGAIN, with ws
 * saying for what: the evaluator's answer, or an entry's handshake) or
 * returns what pac_tunnel() returns; pac_run_end() frees it at any point
 * (the evaluator stopped and reaped; s closed unless the tunnel was
 * made).  url, c and s must live until then.
 *
 * What still blocks: the fetch of a remote PAC, in pac_run_begin(), at
 * most once a minute per process (its outcome, even a failure, stands
 * for a minute: see memo in pacrun.c); reading a file:// PAC; handing
 * the job to the evaluator server when one runs (a local socket it
 * drains at once); and what blocks in tunnel_step().  The evaluator's
 * child is reaped by pac_run_end() alone, or by the evaluator server
 * when it came from there (and the server by pac_server_stop(), or when
 * it is found to have ended): no waitpid(-1) elsewhere in the process.
 */
struct pac_run;
struct waitset;
struct pac_run	*pac_run_begin(const char *url, const struct tunnel_cfg *c,
		    struct stream *s, int *rc);
int		 pac_run_step(struct pac_run *, struct waitset *ws);
void		 pac_run_end(struct pac_run *);
/* The entry last tried ("host:port", "DIRECT"), or NULL before one. */
const char	*pac_run_via(const struct pac_run *);

/*
 * For a listener: fork the PAC evaluator server (pac.h, pacserve.c), from
 * which every later pac_run_begin() forks its evaluator, so that none
 * inherits the listener's tunnels: their credentials, sockets and
 * threads.  Call it once at the start, before any credential is read (the
 * -U copy and -H values c reaches are wiped in the server, as are the
 * environment's), any socket is opened or any thread started.  A failure
 * is a warning: the evaluators then fork from the listener.
 * pac_server_stop() ends the server and its children; call it at the end.
 */
void	pac_server_start(const struct tunnel_cfg *c);
void	pac_server_stop(void);

/*
 * Wipe, in place, the secrets c reaches (the -U copy, the -H values) and
 * those of the environment (POSTERN_PROXY_PASSWORD, proxy URLs that may
 * hold a user and password): the PAC evaluator's child does, right after
 * fork(), as it needs none of them.  Not for the process that tunnels.
 */
void	pac_forget_secrets(const void *c);

#endif
