#ifndef POSTERN_CHECK_H
#define POSTERN_CHECK_H

#include "listen.h"
#include "tunnel.h"

/* How the proxy was chosen, as main() decided it. */
struct check_cfg {
	const char	*how;		/* "-x", "https_proxy", ... */
	const char	*pac;		/* --pac or POSTERN_PAC, or NULL */
	const struct listen_cfg *listen;	/* -L, or NULL */
};

/*
 * postern --check: open the tunnel as a run would, reporting each step on
 * stdout as it goes, then show what the target sends first (within a
 * second) and close it without relaying.  Returns the exit status a run
 * would have had up to the relay.
 */
int	check_run(const struct check_cfg *, const struct tunnel_cfg *);

#endif
