#include <errno.h>

#include "util.h"
#include "waitset.h"

#define POLL_MAX_MS	60000	/* poll() is told no more at a time */

void
waitset_clear(struct waitset *ws)
{
	ws->n = 0;
	ws->until = -1;
}

int
waitset_add(struct waitset *ws, int fd, short events)
{
	if (events == 0 || fd < 0)
		return 0;
	if (ws->n == WAIT_FDS)
		return -1;
	ws->fd[ws->n].fd = fd;
	ws->fd[ws->n].events = events;
	ws->fd[ws->n].revents = 0;
	ws->n++;
	return 0;
}

int
waitset_timeout(const struct waitset *ws)
{
	int64_t left;

	if (ws->until < 0)
		return -1;
	left = ws->until - now_ms();
	if (left <= 0)
		return 0;
	return left > POLL_MAX_MS ? POLL_MAX_MS : (int)left;
}

int
waitset_poll(struct waitset *ws)
{
	int n;

	do
		n = poll(ws->fd, (nfds_t)ws->n, waitset_timeout(ws));
	while (n == -1 && errno == EINTR);
	return n;
}
