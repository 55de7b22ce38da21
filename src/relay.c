#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "exitcodes.h"
#include "log.h"
#include "relay.h"
#include "util.h"
#include "waitset.h"

#define RELAY_BUF	(256 * 1024)	/* a copying direction's buffer */
#define TLS_BUF		(64 * 1024)	/* of it, what TLS uses: 4 records */
#define PIPE_WANT	(1024 * 1024)	/* our own pipes' size, if allowed */
#define SPLICE_MAX	(1024 * 1024)	/* bytes asked of one splice() */
#define PIPE_DEFAULT	65536		/* a pipe that does not say */
#define EAGER_MAX	16		/* passes in a row without poll() */

/*
 * How a direction moves bytes.  With splice() (Linux) a plain tunnel never
 * copies them through user space: splice() goes straight from a pipe to
 * the socket or the reverse, or through a pipe of our own when neither end
 * is one.  Terminals, O_APPEND files and TLS copy through a buffer, and so
 * does everything in a build without splice (COMPAT_SPLICE is 0): the
 * same relay, in the one mode every system has.
 */
enum mode { M_COPY, M_DIRECT, M_PIPE };

static const char *const mode_names[] = { "copy", "splice",
	"splice via pipe" };

/*
 * The four things the relay waits for, one poll slot each.  The socket
 * has two: its reading and its writing are waited for on their own terms
 * (a TLS read may want POLLOUT), and each direction owns one.
 */
enum slot { S_STDIN, S_NET_IN, S_NET_OUT, S_STDOUT, S_COUNT };

/* One direction: up (stdin to the tunnel) or down (the tunnel to stdout). */
struct dir {
	int		 from_net;	/* input is the stream (down) */
	int		 in_fd;		/* stdin, or the socket */
	int		 out_fd;	/* the socket, or stdout */
	enum slot	 in_slot;
	enum slot	 out_slot;
	enum mode	 mode;
	enum mode	 mode_later;	/* once the bytes given back are out */
	int		 in_open;	/* input not at its end, still read */
	int		 in_errno;	/* a read failed: reported once the
					   bytes read before it are out */
	int		 out_blocked;	/* M_DIRECT: the last splice could
					   not write */
	int		 took_all;	/* the last pull filled all its room:
					   more is likely waiting */
	int		 pipefd[2];	/* M_PIPE: our pipe, made at the
					   first pull */
	char		*buf;		/* M_COPY, allocated at the first
					   pull */
	size_t		 cap;		/* room of the buffer or our pipe */
	size_t		 off;		/* M_COPY: start of the queued bytes */
	size_t		 queued;	/* bytes in our buffer or pipe */
};

/* Passing the end of input on (-N): not yet, under way, done. */
enum shut { SHUT_NO, SHUT_GOING, SHUT_SENT };

struct relay {
	struct stream	*net;
	struct dir	 up;
	struct dir	 down;
	int		 half_close;	/* -N */
	int		 far_end_out;	/* the far side's end reached stdout */
	enum shut	 shut;
	int64_t		 idle_ms;	/* 0: no --idle-timeout */
	int64_t		 last_moved;	/* when bytes last moved */
	uint64_t	 moved_seen;
	int		 passes_unpolled;
	uint64_t	 moved;		/* transfers that moved bytes */
	uint64_t	 nbytes[2];	/* read from stdin, from the tunnel */
	struct pollfd	 pfd[S_COUNT];	/* the last plan's, with revents */
	int		 pull_now[2];
};

/* What the next pass does, derived from the state of both directions. */
struct plan {
	short		 events[S_COUNT];
	int		 pull_now[2];	/* up, down: pull without waiting */
	int		 skip_poll;
	int		 timeout;	/* of poll(), ms */
};

/*
 * A relay holds nothing while it is idle: a copying direction allocates
 * its buffer, and a splicing one makes its pipe, when bytes first come.
 * The listener keeps hundreds of idle tunnels in one process.
 */
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

static void
restore_flags(int fd)
{
	if (fd >= 0 && fd <= 1 && saved_flags[fd] != -1)
		(void)fcntl(fd, F_SETFL, saved_flags[fd]);
	if (fd >= 0 && fd <= 1)
		saved_flags[fd] = -1;
}

void
relay_stdio_restore(void)
{
	/* stdin may share its file description with the shell's terminal:
	 * leaving it non-blocking would break the next reader. */
	restore_flags(1);
	restore_flags(0);
}

static int
fail(const char *what)
{
	log_error("%s: %s", what, strerror(errno));
	return EXIT_IO;
}

/* An error of the stream: its layer's words, or errno's. */
static int
net_fail(const struct relay *r, const char *what)
{
	if (r->net->failed) {
		log_error("TLS error in the tunnel: %s", stream_error(r->net));
		return EXIT_IO;
	}
	return fail(what);
}

/* What the stdio end of a direction allows: a pipe can be spliced to
 * directly, a socket or a plain file through our pipe, anything else
 * (a terminal, /dev/null, an O_APPEND file) is copied, as is everything
 * where there is no splice. */
static enum mode
stdio_mode(int fd, int *fifo)
{
	struct stat st;
	int fl;

	*fifo = 0;
	if (fstat(fd, &st) == -1)
		return M_COPY;
	*fifo = S_ISFIFO(st.st_mode);
	if (!COMPAT_SPLICE)
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
set_copy(struct dir *d, size_t cap)
{
	d->mode = M_COPY;
	d->cap = cap;
	d->off = 0;
}

/* Set d up to move bytes in mode. */
static void
set_mode(struct dir *d, enum mode mode, size_t copy_cap)
{
	d->mode = mode;
	if (mode == M_PIPE)
		d->cap = PIPE_DEFAULT;	/* until the pipe says */
	if (mode == M_COPY)
		set_copy(d, copy_cap);
	else if (d->buf != NULL) {
		/* The copy of the bytes given back is over. */
		free(d->buf);
		d->buf = NULL;
	}
}

/* How d moves bytes once what was given back is out, from what its stdio
 * end is. */
static void
set_mode_later(struct dir *d, int layered)
{
	int stdio_fd = d->from_net ? d->out_fd : d->in_fd, fifo;
	enum mode m = stdio_mode(stdio_fd, &fifo);

	d->mode_later = layered ? M_COPY : m;
	/* A 64 KiB pipe on the other side would cap every splice, or every
	 * read and write of a copy, at 64 KiB: ask for more (it is only a
	 * ceiling, and failing costs nothing). */
	if (fifo)
		(void)compat_pipe_size(stdio_fd, PIPE_WANT);
}

static void
dir_init(struct dir *d, int from_net, int in_fd, int out_fd)
{
	memset(d, 0, sizeof(*d));
	d->from_net = from_net;
	d->in_fd = in_fd;
	d->out_fd = out_fd;
	d->in_slot = from_net ? S_NET_IN : S_STDIN;
	d->out_slot = from_net ? S_STDOUT : S_NET_OUT;
	d->in_open = 1;
	d->pipefd[0] = d->pipefd[1] = -1;
}

/*
 * What a direction moves bytes through, made when the first come: 0, or
 * -1 with errno.  A pipe that cannot be made is no failure: the
 * direction copies instead.
 */
static int
dir_ready(struct dir *d, size_t copy_cap)
{
	size_t sz;

	if (d->mode == M_PIPE && d->pipefd[0] == -1) {
		if (compat_pipe(d->pipefd, 1) == -1) {
			/* For good: a mode_later still M_PIPE would keep the
			 * direction waiting to settle, and reading nothing. */
			d->pipefd[0] = d->pipefd[1] = -1;
			d->mode_later = M_COPY;
			set_copy(d, copy_cap);
		} else {
			/* A larger pipe means fewer splices per megabyte. */
			sz = compat_pipe_size(d->pipefd[1], PIPE_WANT);
			d->cap = sz > 0 ? sz : PIPE_DEFAULT;
		}
	}
	if (d->mode == M_COPY && d->buf == NULL &&
	    (d->buf = malloc(d->cap)) == NULL)
		return -1;
	return 0;
}

static void
dir_free(struct dir *d)
{
	if (d->pipefd[0] != -1) {
		close(d->pipefd[0]);
		close(d->pipefd[1]);
		d->pipefd[0] = d->pipefd[1] = -1;
	}
	free(d->buf);
	d->buf = NULL;
}

/*
 * TLS moves 16 KiB records: more buffer than four of them saves no call
 * and only adds to the resident size.  Bytes that came with the proxy's
 * reply go out before anything the socket holds, so until they are out
 * the download copies them, and splices after.
 */
static void
relay_init(struct relay *r, struct stream *net, const struct relay_cfg *c)
{
	int layered = stream_is_layered(net);
	size_t cap = layered ? TLS_BUF : RELAY_BUF;

	memset(r, 0, sizeof(*r));
	r->net = net;
	r->half_close = c->half_close;
	r->idle_ms = c->idle_ms;
	r->last_moved = c->idle_ms > 0 ? now_ms() : 0;
	dir_init(&r->up, 0, c->in_fd, net->fd);
	dir_init(&r->down, 1, net->fd, c->out_fd);
	set_mode_later(&r->up, layered);
	set_mode_later(&r->down, layered);
	set_mode(&r->up, r->up.mode_later, cap);
	set_mode(&r->down, stream_pending(net) > 0 ? M_COPY :
	    r->down.mode_later, cap);
	/* Failing that, each record is sent on its own: slower, no less
	 * correct. */
	(void)stream_gather(net);
	log_trace(2, "relay: up %s, down %s", mode_names[r->up.mode],
	    mode_names[r->down.mode_later]);
}

/* The input ended: EOF, or a read error kept until the bytes before it
 * are out. */
static void
input_ended(struct dir *d, int err)
{
	d->in_open = 0;
	d->in_errno = err;
	log_trace(2, "%s", d->from_net ? "the far side closed the tunnel" :
	    "end of input");
}

/* Take what the input has into the buffer, reading on while a TLS
 * stream has records: one write then passes them all on. */
static ssize_t
pull_copy(struct relay *rl, struct dir *d, struct stream *net)
{
	size_t room, got = 0;
	ssize_t r = 1;

	if (d->queued == 0)
		d->off = 0;
	else if (d->off + d->queued == d->cap) {
		memmove(d->buf, d->buf + d->off, d->queued);
		d->off = 0;
	}
	while ((room = d->cap - d->off - d->queued) > 0) {
		r = d->from_net ? stream_read(net, d->buf + d->off + d->queued,
		    room) : read(d->in_fd, d->buf + d->off + d->queued, room);
		if (r <= 0)
			break;
		d->queued += (size_t)r;
		got += (size_t)r;
		rl->nbytes[d->from_net] += (uint64_t)r;
		rl->moved++;
		if (!d->from_net || !stream_is_layered(net))
			break;
	}
	d->took_all = d->off + d->queued == d->cap;
	if (got == 0)
		return r;
	/* An end or an error after some bytes: they go out first.  A TLS
	 * stream gives data and close_notify in one pull. */
	if (r == 0)
		input_ended(d, 0);
	else if (r == -1 && errno != EAGAIN && errno != EINTR)
		input_ended(d, errno);
	return (ssize_t)got;
}

/* The input side of d is ready: take what it has.  -1 on an error to
 * report now. */
static int
pull(struct relay *rl, struct dir *d)
{
	struct stream *net = rl->net;
	ssize_t r;

	d->took_all = 0;
	if (dir_ready(d, stream_is_layered(net) ? TLS_BUF : RELAY_BUF) == -1)
		return -1;
	switch (d->mode) {
	case M_DIRECT:
		r = compat_splice(d->in_fd, d->out_fd, SPLICE_MAX);
		if (r > 0) {
			d->out_blocked = 0;
			d->took_all = r == SPLICE_MAX;
			rl->nbytes[d->from_net] += (uint64_t)r;
			rl->moved++;
		} else if (r == -1 && errno == EAGAIN)
			/* Either end may have blocked: wait for the other. */
			d->out_blocked = !d->out_blocked;
		break;
	case M_PIPE:
		r = compat_splice(d->in_fd, d->pipefd[1], d->cap - d->queued);
		if (r > 0) {
			d->queued += (size_t)r;
			d->took_all = d->queued == d->cap;
			rl->nbytes[d->from_net] += (uint64_t)r;
			rl->moved++;
		}
		break;
	default:
		r = pull_copy(rl, d, net);
		break;
	}
	if (r == 0)
		input_ended(d, 0);
	if (r >= 0 || errno == EAGAIN || errno == EINTR)
		return 0;
	return -1;
}

/* The output side of d is ready: give it what is queued, and what the
 * stream holds back.  -1 on error. */
static int
push(struct dir *d, struct stream *net)
{
	ssize_t r = 1;

	while (d->queued > 0) {
		if (d->mode == M_PIPE)
			r = compat_splice(d->pipefd[0], d->out_fd, d->queued);
		else if (d->from_net)
			r = write(d->out_fd, d->buf + d->off, d->queued);
		else
			r = stream_write(net, d->buf + d->off, d->queued);
		if (r <= 0)
			break;
		d->queued -= (size_t)r;
		d->off = d->queued == 0 ? 0 : d->off + (size_t)r;
		/* A TLS write takes one record: go on with the next. */
		if (d->from_net || !stream_is_layered(net))
			break;
	}
	/* The records gathered go out now, or once the socket takes them;
	 * an error reaching it shows here. */
	if (!d->from_net && stream_unflushed(net) > 0 &&
	    (r > 0 || errno == EAGAIN))
		r = stream_flush(net) == 0 ? 1 : -1;
	if (r > 0 || (r == -1 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	return -1;
}

/* Bytes of d that have left our hands, or will with a push. */
static int
dir_holds(const struct dir *d, const struct stream *net)
{
	if (d->queued > 0)
		return 1;
	return !d->from_net && stream_unflushed(net) > 0;
}

/* Whether d may take more from its input now. */
static int
can_pull(const struct dir *d)
{
	if (!d->in_open)
		return 0;
	if (d->mode == M_DIRECT)
		return !d->out_blocked;
	return d->queued < d->cap;
}

/* up is finished: its input ended, every byte went out, and with -N the
 * end went after them. */
static int
up_done(const struct relay *r)
{
	return !r->up.in_open && !dir_holds(&r->up, r->net) &&
	    (!r->half_close || r->shut == SHUT_SENT);
}

static int
down_done(const struct relay *r)
{
	return !r->down.in_open && r->down.queued == 0;
}

/* ms until --idle-timeout ends the tunnel (0 or less: it has); -1
 * without one. */
static int64_t
idle_left(struct relay *r)
{
	int64_t left;

	/* Only reading counts: every byte written was read first, and an
	 * idle tunnel reads nothing. */
	if (r->idle_ms <= 0)
		return -1;
	if (r->moved != r->moved_seen) {
		r->moved_seen = r->moved;
		r->last_moved = now_ms();
	}
	left = r->last_moved + r->idle_ms - now_ms();
	return left > 0 ? left : 0;
}

/*
 * The one place that says what each slot waits for, how long poll() may
 * sleep, and which direction pulls again without asking poll() first.
 *
 * A direction waits on its input while it has room, and on its output
 * while it holds bytes (a splice that could not write waits on its
 * output only).  It pulls without waiting when the stream holds bytes
 * poll() cannot see (decrypted, or given back) and there is room for
 * them, or when its last pull filled all its room and the output took it
 * all: in a bulk transfer more is waiting.  Up to EAGER_MAX passes go by
 * without poll(), so that the other direction and the idle clock are
 * still served; after that, poll() runs without sleeping.
 */
static void
plan(struct relay *r, struct plan *p, int64_t idle)
{
	struct dir *dirs[2] = { &r->up, &r->down };
	struct dir *d;
	int i, settled, any_now = 0;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < 2; i++) {
		d = dirs[i];
		/* Until the bytes given back are out, only they are read. */
		settled = d->mode == d->mode_later;
		if (can_pull(d) && settled)
			p->events[d->in_slot] = d->from_net ? r->net->want_r :
			    POLLIN;
		if (d->mode == M_DIRECT ? d->in_open && d->out_blocked :
		    dir_holds(d, r->net))
			p->events[d->out_slot] = d->from_net ? POLLOUT :
			    r->net->want_w;
		p->pull_now[i] = can_pull(d) && ((d->from_net &&
		    stream_pending(r->net) > 0) || (d->took_all && settled &&
		    (d->mode == M_DIRECT || d->queued == 0)));
		any_now |= p->pull_now[i];
	}
	if (r->shut == SHUT_GOING)
		p->events[S_NET_OUT] |= r->net->want_w;
	p->skip_poll = any_now && r->passes_unpolled < EAGER_MAX;
	p->timeout = any_now ? 0 : idle < 0 ? -1 : idle > 60000 ? 60000 :
	    (int)idle;
}

static int
ready(const struct pollfd *pfd, enum slot s)
{
	return pfd[s].fd != -1 && (pfd[s].revents & (pfd[s].events |
	    POLLERR | POLLHUP)) != 0;
}

/*
 * One pass of d: pull if its input is ready (for a splice that could not
 * write, if its output is), then write what it holds: at once after a
 * pull, since the output is ready more often than not and asking poll()
 * first would cost a round.
 */
static int
step(struct relay *r, struct dir *d, int pull_now, const struct pollfd *pfd)
{
	int in_ready = pull_now || (d->mode == M_DIRECT && d->out_blocked ?
	    ready(pfd, d->out_slot) : ready(pfd, d->in_slot));

	if (in_ready && pull(r, d) == -1) {
		/* A direct splice fails for either end: EPIPE is the
		 * writing one's (stdout's reader gone, or the tunnel),
		 * any other error the socket's. */
		if (d->from_net && d->mode == M_DIRECT && errno == EPIPE)
			return fail("writing standard output");
		if (d->from_net)
			return net_fail(r, "reading from the tunnel");
		if (d->mode == M_DIRECT)
			return net_fail(r, "sending into the tunnel");
		return fail("reading standard input");
	}
	if (d->mode == M_DIRECT || !dir_holds(d, r->net) ||
	    (pfd[d->out_slot].fd != -1 && !ready(pfd, d->out_slot)))
		return 0;
	if (push(d, r->net) == -1)
		return d->from_net ? fail("writing standard output") :
		    net_fail(r, "sending into the tunnel");
	return 0;
}

/*
 * With -N the end of input follows the last byte: once every byte is out,
 * close_notify goes into an empty record buffer (never half written), or
 * shutdown(SHUT_WR).  A tunnel already gone needs no end.
 */
static int
pass_end_on(struct relay *r, const struct pollfd *pfd)
{
	if (!r->half_close || r->shut == SHUT_SENT || r->up.in_open ||
	    dir_holds(&r->up, r->net))
		return 0;
	if (r->shut == SHUT_GOING && !ready(pfd, S_NET_OUT))
		return 0;
	if (r->shut == SHUT_NO)
		log_trace(2, "end of input: shutting down the tunnel's sending "
		    "side");
	if (stream_shutdown(r->net) == 0 || errno == ENOTCONN ||
	    errno == EPIPE) {
		r->shut = SHUT_SENT;
		return 0;
	}
	if (errno == EAGAIN || errno == EINTR) {
		r->shut = SHUT_GOING;
		return 0;
	}
	return net_fail(r, "shutting down the tunnel");
}

/*
 * The far side's end reached stdout.  With -N, stdin is still read until
 * its end: the reader of stdout must see ours now, or it may wait for it
 * before ending our input.  Without -N, what was read from stdin is
 * flushed and stdin is read no more.
 */
static void
down_ended(struct relay *r)
{
	int null;

	if (!r->half_close) {
		if (r->up.in_open)
			log_trace(2, "the far side closed: sending what was "
			    "read and no more");
		r->up.in_open = 0;
		return;
	}
	log_trace(2, "the far side closed: passing its end to standard "
	    "output, reading on until the end of input");
	if (shutdown(r->down.out_fd, SHUT_WR) == 0 || errno != ENOTSOCK)
		return;
	/* A pipe ends when its last writer closes: ours goes, its flags
	 * given back first, for whoever else writes into it. */
	restore_flags(r->down.out_fd);
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		(void)dup2(null, r->down.out_fd);
		close(null);
	}
}

/* The download copied what came with the reply: splice from now on. */
static void
given_back_out(struct relay *r)
{
	struct dir *d = &r->down;

	if (d->mode != d->mode_later && d->queued == 0 &&
	    stream_pending(r->net) == 0)
		set_mode(d, d->mode_later, RELAY_BUF);
}

/* Whether the relay is over: -1 not yet, else the exit status. */
static int
finished(struct relay *r)
{
	struct dir *down = &r->down;

	if (down->in_errno != 0 && down->queued == 0) {
		errno = down->in_errno;
		return net_fail(r, "reading from the tunnel");
	}
	if (r->up.in_errno != 0 && !dir_holds(&r->up, r->net)) {
		errno = r->up.in_errno;
		return fail("reading standard input");
	}
	if (down_done(r) && !r->far_end_out) {
		r->far_end_out = 1;
		down_ended(r);
	}
	if (r->far_end_out && up_done(r))
		return EXIT_OK;
	return -1;
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
		r = sendmsg(1, &msg, COMPAT_NOSIGNAL);
	while (r == -1 && (errno == EINTR || errno == EAGAIN));
	if (r != 1) {
		log_error("--fdpass: passing the socket on standard output: %s",
		    r == -1 ? strerror(errno) : "short write");
		return EXIT_IO;
	}
	log_trace(1, "--fdpass: socket handed over");
	return EXIT_OK;
}

void
relay_bytes(const struct relay *r, uint64_t *up, uint64_t *down)
{
	*up = r->nbytes[0];
	*down = r->nbytes[1];
}

struct relay *
relay_new(struct stream *net, const struct relay_cfg *c)
{
	struct relay *r;

	if ((r = malloc(sizeof(*r))) == NULL) {
		log_error("relay: %s", strerror(errno));
		return NULL;
	}
	relay_init(r, net, c);
	return r;
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	dir_free(&r->up);
	dir_free(&r->down);
	free(r);
}

/*
 * The next pass planned into the relay's own slots: RELAY_AGAIN with
 * *timeout for poll() and *skip set when the pass needs no poll(), or
 * the exit status once the relay is over.
 */
static int
next_pass(struct relay *r, int *timeout, int *skip)
{
	const int fds[S_COUNT] = { r->up.in_fd, r->net->fd, r->net->fd,
	    r->down.out_fd };
	struct plan p;
	int64_t idle;
	int rc, i;

	if ((rc = finished(r)) != -1)
		return rc;
	given_back_out(r);
	if ((idle = idle_left(r)) == 0) {
		log_error("no traffic for %g s: closing the tunnel "
		    "(--idle-timeout)", (double)r->idle_ms / 1000);
		return EXIT_IDLE;
	}
	plan(r, &p, idle);
	for (i = 0; i < S_COUNT; i++) {
		r->pfd[i].fd = p.events[i] == 0 ? -1 : fds[i];
		r->pfd[i].events = p.events[i];
		r->pfd[i].revents = 0;
	}
	r->pull_now[0] = p.pull_now[0];
	r->pull_now[1] = p.pull_now[1];
	r->passes_unpolled = p.skip_poll ? r->passes_unpolled + 1 : 0;
	*timeout = p.timeout;
	*skip = p.skip_poll;
	return RELAY_AGAIN;
}

/* One pass over the revents in r->pfd: RELAY_AGAIN, or the status. */
static int
take_pass(struct relay *r)
{
	int rc;

	if ((rc = step(r, &r->up, r->pull_now[0], r->pfd)) != 0 ||
	    (rc = pass_end_on(r, r->pfd)) != 0 ||
	    (rc = step(r, &r->down, r->pull_now[1], r->pfd)) != 0)
		return rc;
	return RELAY_AGAIN;
}

/*
 * The plan, put into ws for a caller that waits for many things at once:
 * the slots' descriptors, or none at all when the next pass needs no
 * poll() (the caller steps again at once).
 */
int
relay_plan(struct relay *r, struct waitset *ws)
{
	int rc, timeout, skip;

	waitset_clear(ws);
	if ((rc = next_pass(r, &timeout, &skip)) != RELAY_AGAIN)
		return rc;
	ws->until = timeout < 0 ? -1 : now_ms() + timeout;
	if (!skip) {
		memcpy(ws->fd, r->pfd, sizeof(r->pfd));
		ws->n = S_COUNT;
	}
	return RELAY_AGAIN;
}

int
relay_step(struct relay *r, const struct waitset *ws)
{
	int i;

	if (ws->n == S_COUNT)
		for (i = 0; i < S_COUNT; i++)
			r->pfd[i].revents = ws->fd[i].revents;
	return take_pass(r);
}

/* One relay alone polls its own slots, with the plan's timeout as it is:
 * no waitset to fill, no clock to read on each pass. */
int
relay_run(struct stream *net, const struct relay_cfg *c)
{
	struct relay *r;
	int rc, timeout, skip, n;

	if ((r = relay_new(net, c)) == NULL)
		return EXIT_IO;
	while ((rc = next_pass(r, &timeout, &skip)) == RELAY_AGAIN) {
		if (!skip) {
			do
				n = poll(r->pfd, S_COUNT, timeout);
			while (n == -1 && errno == EINTR);
			if (n == -1) {
				log_error("poll: %s", strerror(errno));
				rc = EXIT_IO;
				break;
			}
		}
		if ((rc = take_pass(r)) != RELAY_AGAIN)
			break;
	}
	relay_free(r);
	return rc;
}
