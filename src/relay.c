#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "relay.h"
#include "tls.h"
#include "util.h"

#define RELAY_BUF	(256 * 1024)	/* a copying direction's buffer */
#define TLS_BUF		(64 * 1024)	/* of it, what TLS uses: 4 records */
#define PIPE_WANT	(1024 * 1024)	/* our own pipes' size, if allowed */
#define SPLICE_MAX	(1024 * 1024)	/* bytes asked of one splice() */
#define EAGER_MAX	16		/* passes in a row without poll() */

/*
 * How a direction moves bytes.  On Linux a plain tunnel never copies them
 * through user space: splice() goes straight from a pipe to the socket or
 * the reverse, or through a pipe of our own when neither end is one.
 * Terminals, O_APPEND files and TLS copy through a buffer.
 */
enum mode { M_COPY, M_DIRECT, M_PIPE };

enum { P_STDIN, P_NET, P_STDOUT, P_COUNT };

struct dir {
	enum mode	 mode;
	int		 in;		/* fd read from (the socket for down) */
	int		 out;		/* fd written to */
	int		 open;		/* input not at its end yet */
	int		 wait_out;	/* M_DIRECT: input ready, output full */
	int		 p[2];		/* M_PIPE: our pipe */
	size_t		 queued;	/* bytes in our pipe or buffer */
	size_t		 cap;
	size_t		 off;		/* M_COPY: start of queued bytes */
	char		*buf;		/* M_COPY */
	int		 err;		/* errno of a read, reported once the
					   bytes before it are out */
	int		 full;		/* the last pull took all it could hold:
					   more is likely waiting */
};

/* Static: one relay per process, and BSS costs nothing until used. */
static char upbuf[RELAY_BUF], downbuf[RELAY_BUF];
static int saved_flags[2] = { -1, -1 };
static uint64_t moved;		/* transfers that moved bytes, any way */

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

/* What the stdio end of a direction allows: a pipe can be spliced to
 * directly, a socket or a plain file through our pipe, anything else
 * (a terminal, /dev/null, an O_APPEND file) is copied. */
static enum mode
stdio_mode(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == -1)
		return M_COPY;
	if (S_ISFIFO(st.st_mode))
		return M_DIRECT;
	if (S_ISSOCK(st.st_mode))
		return M_PIPE;
	if (S_ISREG(st.st_mode) && (fl = fcntl(fd, F_GETFL)) != -1 &&
	    (fl & O_APPEND) == 0)
		return M_PIPE;
	return M_COPY;
}

static void
set_copy(struct dir *d, char *buf)
{
	d->mode = M_COPY;
	d->buf = buf;
	d->cap = RELAY_BUF;
}

static void
setup(struct dir *d, struct stream *net, int stdio_fd, char *buf)
{
	int sz;

	d->mode = net->ssl != NULL ? M_COPY : stdio_mode(stdio_fd);
	d->p[0] = d->p[1] = -1;
	if (d->mode == M_PIPE) {
		if (pipe2(d->p, O_NONBLOCK | O_CLOEXEC) == -1) {
			set_copy(d, buf);
			return;
		}
		/* A larger pipe means fewer splices per megabyte. */
		if ((sz = fcntl(d->p[1], F_SETPIPE_SZ, PIPE_WANT)) == -1)
			sz = fcntl(d->p[1], F_GETPIPE_SZ);
		d->cap = sz > 0 ? (size_t)sz : 65536;
		return;
	}
	if (d->mode == M_COPY) {
		set_copy(d, buf);
		/* TLS moves 16 KiB records: more buffer saves no call and
		 * only adds to the resident size. */
		if (net->ssl != NULL)
			d->cap = TLS_BUF;
	}
	/* A 64 KiB pipe on the other side would cap every splice, or every
	 * read and write of a copy, at 64 KiB: ask for more (it is only a
	 * ceiling, and failing costs nothing). */
	(void)fcntl(stdio_fd, F_SETPIPE_SZ, PIPE_WANT);
}

static void
teardown(struct dir *d)
{
	if (d->p[0] != -1) {
		close(d->p[0]);
		close(d->p[1]);
	}
}

/* Events the input and the output of d wait for. */
static void
events(const struct dir *d, short *in, short *out, short want_in,
    short want_out)
{
	*in = *out = 0;
	switch (d->mode) {
	case M_DIRECT:
		if (d->open) {
			if (d->wait_out)
				*out = want_out;
			else
				*in = want_in;
		}
		break;
	default:
		if (d->open && d->queued < d->cap)
			*in = want_in;
		if (d->queued > 0)
			*out = want_out;
		break;
	}
}

static ssize_t
do_splice(int in, int out, size_t n)
{
	ssize_t r;

	do
		r = splice(in, NULL, out, NULL, n, SPLICE_F_MOVE |
		    SPLICE_F_NONBLOCK);
	while (r == -1 && errno == EINTR);
	return r;
}

/* Input side of d is ready: take what it has.  -1 on error. */
static int
pull(struct dir *d, struct stream *net, int from_net)
{
	size_t tail, got;
	ssize_t r;

	d->full = 0;
	switch (d->mode) {
	case M_DIRECT:
		r = do_splice(d->in, d->out, SPLICE_MAX);
		if (r > 0) {
			d->wait_out = 0;
			d->full = r == SPLICE_MAX;
			moved++;
			return 0;
		}
		if (r == -1 && errno == EAGAIN) {
			/* Either end may have blocked: wait for the other. */
			d->wait_out = !d->wait_out;
			return 0;
		}
		break;
	case M_PIPE:
		r = do_splice(d->in, d->p[1], d->cap - d->queued);
		if (r > 0) {
			d->queued += (size_t)r;
			d->full = d->queued == d->cap;
			moved++;
		}
		break;
	default:
		if (d->queued == 0)
			d->off = 0;
		else if (d->off + d->queued == d->cap) {
			memmove(d->buf, d->buf + d->off, d->queued);
			d->off = 0;
		}
		/* A TLS read gives one record of at most 16 KiB: take all
		 * that is there, so that one write passes them on. */
		got = 0;
		r = 1;
		while ((tail = d->cap - d->off - d->queued) > 0) {
			r = from_net ? stream_read(net, d->buf + d->off +
			    d->queued, tail) : read(d->in, d->buf + d->off +
			    d->queued, tail);
			if (r <= 0)
				break;
			d->queued += (size_t)r;
			got += (size_t)r;
			moved++;
			if (!from_net || net->ssl == NULL)
				break;
		}
		d->full = d->off + d->queued == d->cap;
		if (r == -1 && got > 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			/* The bytes before the error go out first. */
			d->err = errno;
			d->open = 0;
			return 0;
		}
		break;
	}
	if (r == 0) {
		d->open = 0;
		return 0;
	}
	if (r > 0 || errno == EAGAIN || errno == EINTR)
		return 0;
	return -1;
}

/* Output side of d is ready: give it what is queued.  -1 on error. */
static int
push(struct dir *d, struct stream *net, int to_net)
{
	ssize_t r = 1;

	while (d->queued > 0) {
		if (d->mode == M_PIPE)
			r = do_splice(d->p[0], d->out, d->queued);
		else
			r = to_net ? stream_write(net, d->buf + d->off,
			    d->queued) : write(d->out, d->buf + d->off,
			    d->queued);
		if (r <= 0)
			break;
		d->queued -= (size_t)r;
		d->off = d->queued == 0 ? 0 : d->off + (size_t)r;
		/* A TLS write takes one record: go on with the next. */
		if (!to_net || net->ssl == NULL)
			break;
	}
	/* The records gathered go out now, or once the socket takes them;
	 * an error reaching it shows here. */
	if (to_net && tls_unflushed(net) > 0 && (r > 0 || errno == EAGAIN))
		r = tls_flush(net) == 0 ? 1 : -1;
	if (r > 0)
		return 0;
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -1;
}

/*
 * d's last pull filled all the room it had and its output took it all:
 * in a bulk transfer more is waiting, so the next pull goes ahead without
 * asking poll() first.  That saves one system call in three.  A guess
 * that proves wrong costs one read that says EAGAIN.
 */
static int
eager(const struct dir *d)
{
	if (!d->open || !d->full)
		return 0;
	if (d->mode == M_DIRECT)
		return !d->wait_out;
	return d->queued == 0;
}

int
relay_fdpass(int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr *c;
	struct msghdr msg;
	struct iovec iov;
	char byte = 0;
	ssize_t r;

	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	/* One byte of data carries the descriptor, as ssh expects. */
	iov.iov_base = &byte;
	iov.iov_len = 1;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		r = sendmsg(1, &msg, MSG_NOSIGNAL);
	while (r == -1 && (errno == EINTR || errno == EAGAIN));
	if (r != 1) {
		log_error("--fdpass: passing the socket on standard output: %s",
		    r == -1 ? strerror(errno) : "short write");
		return EXIT_IO;
	}
	log_trace(1, "--fdpass: socket handed over");
	return EXIT_OK;
}

int
relay_run(struct stream *net, int half_close, int64_t idle_ms)
{
	struct dir up = { M_COPY, 0, -1, 1, 0, { -1, -1 }, 0, 0, 0, NULL, 0, 0 };
	struct dir down = { M_COPY, -1, 1, 1, 0, { -1, -1 }, 0, 0, 0, NULL, 0, 0 };
	struct pollfd pfd[P_COUNT];
	short ui, uo, di, dout, wr, ww;
	int shut = 0, n, rc = EXIT_OK, timeout, given_back = 0;
	int eu, ed, skipped = 0, i;
	int64_t last = idle_ms > 0 ? now_ms() : 0, left;
	uint64_t seen = moved;

	/* Failing that, each record is sent on its own: slower, no less
	 * correct. */
	(void)tls_coalesce(net);
	up.out = down.in = net->fd;
	setup(&up, net, 0, upbuf);
	setup(&down, net, 1, downbuf);
	/* Bytes that came with the proxy's reply go out before anything
	 * the socket holds: copy them through the buffer first. */
	if (stream_pending(net) > 0 && down.mode != M_COPY) {
		teardown(&down);
		set_copy(&down, downbuf);
		down.p[0] = down.p[1] = -1;
		given_back = 1;
	}
	log_trace(2, "relay: up %s, down %s", up.mode == M_COPY ? "copy" :
	    up.mode == M_DIRECT ? "splice" : "splice via pipe", down.mode ==
	    M_COPY ? "copy" : down.mode == M_DIRECT ? "splice" :
	    "splice via pipe");

	for (;;) {
		if (down.err != 0 && down.queued == 0) {
			errno = down.err;
			rc = net->tls_failed ? tls_fail(net) :
			    fail("reading from the tunnel");
			break;
		}
		if (!down.open && down.queued == 0)
			break;
		/* close_notify goes after the records gathered, into an
		 * empty buffer, so that it is never left half written. */
		if (half_close && !up.open && up.queued == 0 && !shut &&
		    tls_unflushed(net) == 0) {
			log_trace(2, "end of input: shutting down the tunnel's "
			    "sending side");
			if (stream_shutdown(net) == -1 && errno != ENOTCONN) {
				rc = fail("shutting down the tunnel");
				break;
			}
			shut = 1;
		}
		/* Given-back bytes written out: splice from now on.  Until
		 * then the socket is not read, so that they go first and the
		 * copy stays short. */
		if (given_back && down.queued == 0 &&
		    stream_pending(net) == 0) {
			setup(&down, net, 1, downbuf);
			down.queued = 0;
			given_back = 0;
		}

		wr = net->want_r;
		ww = net->want_w;
		events(&up, &ui, &uo, POLLIN, ww);
		if (tls_unflushed(net) > 0)
			uo |= POLLOUT;
		events(&down, &di, &dout, wr, POLLOUT);
		if (given_back)
			di = 0;
		pfd[P_STDIN].fd = ui ? 0 : -1;
		pfd[P_STDIN].events = ui;
		pfd[P_NET].fd = uo | di ? net->fd : -1;
		pfd[P_NET].events = uo | di;
		pfd[P_STDOUT].fd = dout ? 1 : -1;
		pfd[P_STDOUT].events = dout;

		timeout = -1;
		if (stream_pending(net) > 0)
			timeout = 0;
		else if (idle_ms > 0) {
			/* Only reading counts: every byte written was read
			 * first, and an idle tunnel reads nothing. */
			if (moved != seen) {
				seen = moved;
				last = now_ms();
			}
			left = last + idle_ms - now_ms();
			if (left <= 0) {
				log_error("no traffic for %g s: closing the "
				    "tunnel (--idle-timeout)",
				    (double)idle_ms / 1000);
				rc = EXIT_IDLE;
				break;
			}
			timeout = left > 60000 ? 60000 : (int)left;
		}
		/* Bounded, so that the other direction and the idle clock
		 * get their poll() at least every EAGER_MAX passes. */
		eu = eager(&up);
		ed = eager(&down) && !given_back;
		if ((eu || ed) && skipped < EAGER_MAX) {
			skipped++;
			for (i = 0; i < P_COUNT; i++)
				pfd[i].revents = 0;
		} else {
			eu = ed = 0;
			skipped = 0;
			n = poll(pfd, P_COUNT, timeout);
			if (n == 0 && stream_pending(net) == 0)
				continue;
			if (n == -1) {
				if (errno == EINTR)
					continue;
				log_error("poll: %s", strerror(errno));
				rc = EXIT_IO;
				break;
			}
		}

#define READY(i, ev)	(pfd[i].fd != -1 && (pfd[i].revents & ((ev) | \
			    POLLERR | POLLHUP)))
		if ((up.mode == M_DIRECT && up.wait_out) ? READY(P_NET, uo) :
		    (eu || READY(P_STDIN, ui))) {
			if (pull(&up, net, 0) == -1) {
				rc = fail(up.mode == M_DIRECT ? "moving standard "
				    "input into the tunnel" : "reading standard input");
				break;
			}
			if (!up.open)
				log_trace(2, "end of input");
		}
		/* What a pull just queued is written at once: the output
		 * is ready more often than not, and asking poll() first
		 * would cost a round. */
		if (up.mode != M_DIRECT && (up.queued > 0 ||
		    tls_unflushed(net) > 0) && (uo == 0 || READY(P_NET, uo))) {
			if (push(&up, net, 1) == -1) {
				rc = net->tls_failed ? tls_fail(net) :
				    fail("sending into the tunnel");
				break;
			}
		}
		if ((down.mode == M_DIRECT && down.wait_out) ?
		    READY(P_STDOUT, dout) : (ed || READY(P_NET, di) ||
		    (stream_pending(net) > 0 && down.open &&
		    down.queued < down.cap))) {
			if (pull(&down, net, 1) == -1) {
				rc = net->tls_failed ? tls_fail(net) :
				    fail(down.mode == M_DIRECT ? "moving the tunnel to "
				    "standard output" : "reading from the tunnel");
				break;
			}
			if (!down.open)
				log_trace(2, "the far side closed the tunnel");
		}
		if (down.mode != M_DIRECT && down.queued > 0 && (dout == 0 ||
		    READY(P_STDOUT, dout))) {
			if (push(&down, net, 0) == -1) {
				rc = fail("writing standard output");
				break;
			}
		}
#undef READY
	}
	teardown(&up);
	teardown(&down);
	return rc;
}
