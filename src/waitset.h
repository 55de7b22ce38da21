#ifndef POSTERN_WAITSET_H
#define POSTERN_WAITSET_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#define WAIT_FDS	16	/* a connect races at most this many */

/*
 * What a piece of work that never blocks waits for before its next step:
 * descriptors with their events, and a time.  A stdio run polls one such
 * set at a time (waitset_poll); the listener gathers the sets of all its
 * tunnels into one poll() and copies each one's revents back before the
 * step.  A step may always be called early: one that finds nothing ready
 * sets its wait again.
 */
struct waitset {
	struct pollfd	 fd[WAIT_FDS];
	size_t		 n;
	int64_t		 until;		/* now_ms() clock; -1: no time */
};

void	waitset_clear(struct waitset *);
/* Add fd with events (none: nothing added).  -1 when the set is full. */
int	waitset_add(struct waitset *, int fd, short events);
/* ms for poll() from now until ws->until, capped; -1 without a time. */
int	waitset_timeout(const struct waitset *);
/* poll() the set once, through EINTR: its result. */
int	waitset_poll(struct waitset *);

#endif
