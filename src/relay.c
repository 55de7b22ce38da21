#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "relay.h"

#define RELAY_BUF	(256 * 1024)	/* one direction's buffer */

enum { P_STDIN, P_NET, P_STDOUT, P_COUNT };

struct dir {
	size_t	off;
	size_t	len;
	char	data[RELAY_BUF];
};

/* Static: a relay runs once per process, and BSS costs nothing until
 * bytes flow. */
static struct dir up, down;
static int saved_flags[2] = { -1, -1 };

void
relay_stdio_nonblock(void)
{
	int fd, fl;

	for (fd = 0; fd <= 1; fd++) {
		if ((fl = fcntl(fd, F_GETFL)) == -1)
			continue;
		saved_flags[fd] = fl;
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
}

void
relay_stdio_restore(void)
{
	int fd;

	/* stdin may share its file description with the shell's terminal:
	 * leaving it non-blocking would break the next reader. */
	for (fd = 1; fd >= 0; fd--)
		if (saved_flags[fd] != -1)
			(void)fcntl(fd, F_SETFL, saved_flags[fd]);
}

static size_t
room(struct dir *d)
{
	if (d->len == 0)
		d->off = 0;
	else if (d->off + d->len == RELAY_BUF && d->off > 0) {
		memmove(d->data, d->data + d->off, d->len);
		d->off = 0;
	}
	return RELAY_BUF - d->off - d->len;
}

static void
consumed(struct dir *d, size_t n)
{
	d->off += n;
	d->len -= n;
	if (d->len == 0)
		d->off = 0;
}

static int
fail(const char *what)
{
	log_error("%s: %s", what, strerror(errno));
	return EXIT_IO;
}

static int
tls_fail(struct stream *s)
{
	log_error("TLS error in the tunnel: %s", stream_tls_error(s));
	return EXIT_IO;
}

int
relay_run(struct stream *net, int half_close)
{
	struct pollfd pfd[P_COUNT];
	int in_open = 1, net_open = 1, shut = 0, n;
	short wr, ww;
	ssize_t r;

	up.off = up.len = down.off = down.len = 0;

	for (;;) {
		if (!net_open && down.len == 0)
			return EXIT_OK;
		if (half_close && !in_open && up.len == 0 && !shut && net_open) {
			log_trace(2, "end of input: shutting down the tunnel's "
			    "sending side");
			if (stream_shutdown(net) == -1 && errno != ENOTCONN)
				return fail("shutting down the tunnel");
			shut = 1;
		}

		pfd[P_STDIN].fd = in_open && room(&up) > 0 ? 0 : -1;
		pfd[P_STDIN].events = POLLIN;
		wr = net->want_r;
		ww = net->want_w;
		pfd[P_NET].events = 0;
		if (net_open && room(&down) > 0)
			pfd[P_NET].events |= net->want_r;
		if (up.len > 0)
			pfd[P_NET].events |= net->want_w;
		pfd[P_NET].fd = pfd[P_NET].events ? net->fd : -1;
		pfd[P_STDOUT].fd = down.len > 0 ? 1 : -1;
		pfd[P_STDOUT].events = POLLOUT;

		n = poll(pfd, P_COUNT, stream_pending(net) > 0 ? 0 : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return fail("poll");
		}

		if (pfd[P_STDIN].fd != -1 && pfd[P_STDIN].revents) {
			r = read(0, up.data + up.off + up.len, room(&up));
			if (r > 0)
				up.len += (size_t)r;
			else if (r == 0) {
				log_trace(2, "end of input");
				in_open = 0;
			} else if (errno != EAGAIN && errno != EINTR)
				return fail("reading standard input");
		}
		/* With TLS a write may wait for POLLIN and a read for POLLOUT:
		 * each is tried on the events it asked for. */
		if (up.len > 0 && (pfd[P_NET].revents & (ww | POLLERR |
		    POLLHUP))) {
			r = stream_write(net, up.data + up.off, up.len);
			if (r > 0)
				consumed(&up, (size_t)r);
			else if (r == -1 && errno != EAGAIN)
				return net->tls_failed ? tls_fail(net) :
				    fail("sending into the tunnel");
		}
		if (net_open && room(&down) > 0 && ((pfd[P_NET].revents & (wr |
		    POLLERR | POLLHUP)) || stream_pending(net) > 0)) {
			r = stream_read(net, down.data + down.off + down.len,
			    room(&down));
			if (r > 0)
				down.len += (size_t)r;
			else if (r == 0) {
				log_trace(2, "the tunnel was closed by the far "
				    "side");
				net_open = 0;
			} else if (errno != EAGAIN)
				return net->tls_failed ? tls_fail(net) :
				    fail("reading from the tunnel");
		}
		if (pfd[P_STDOUT].fd != -1 && pfd[P_STDOUT].revents) {
			r = write(1, down.data + down.off, down.len);
			if (r > 0)
				consumed(&down, (size_t)r);
			else if (r == -1 && errno != EAGAIN && errno != EINTR)
				return fail("writing standard output");
		}
	}
}
