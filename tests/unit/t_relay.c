/*
 * The relay, run in a child over socketpairs, pipes, pseudo-terminals and
 * loopback TCP, in each of its ways of moving bytes: splice straight from
 * or to a pipe, splice through a pipe of its own (sockets), a copy through
 * its buffer (a terminal), and a copy through a layer that behaves as TLS
 * does (a mock: records, bytes pending that poll() cannot see, writes held
 * back, a shutdown that must be called again).  For each: bytes both ways,
 * a stalled reader on either side, the end of either side first and of
 * both at once, an error on each descriptor, and the idle timer (issue
 * 11).
 *
 * relay_run() keeps static state, so every case forks: the child sets up
 * its descriptors and runs the relay, the parent drives the other ends and
 * checks the bytes, the exit status and the one line on stderr.  Every
 * wait is bounded: the parent polls with a deadline and the child dies of
 * an alarm, so a hung relay fails its case instead of the run.  Nothing
 * is proved by sleeping: that a side did not end is shown by a marker
 * sent behind it.
 */
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "compat.h"
#include "exitcodes.h"
#include "log.h"
#include "relay.h"
#include "stream.h"
#include "tap.h"
#include "util.h"

#define CHUNK		(64 * 1024)	/* the parent's reads and writes */
#define BULK		(4 * 1024 * 1024)	/* each way, bytes both ways */
#define SMALL		(100 * 64)	/* a few lines of text */
#define FILE_LEN	(8 * 1024 * 1024)	/* stdin as a file */
#define FILL_MAX	(64 * 1024 * 1024)	/* a path is full before this */
#define GIVEN_BACK	1000	/* bytes given back to the stream */
#define MARKERS		8	/* round trips that show a side is open */
#define WAIT_MS		10000	/* the longest the parent waits for a flow */
#define FULL_MS		100	/* nothing taken this long: the path is full */
#define STALL_MS	300	/* a stalled relay is watched this long */
#define STALL_CPU	0.05	/* CPU seconds it may use meanwhile */
#define IDLE_MS		150	/* --idle-timeout of the idle cases */
#define CHILD_ALARM	20	/* seconds before a hung relay is killed */
#define FD_SCAN		1024	/* the child closes what it inherited below */
#define ERR_MAX		4096	/* the child's stderr kept */
#define STAT_MAX	1024	/* /proc/PID/stat */
#define LINE_MAX_T	256	/* an expected stderr line */

/* The mock layer's sizes. */
#define MOCK_RECORD	1000	/* at most this per read or write */
#define MOCK_RBUF	(64 * 1024)	/* read ahead from the socket */
#define MOCK_WBUF	(16 * 1024)	/* writes held back */
#define MOCK_SHUT_AGAIN	3	/* shutdown calls that want to write */

/* How the relay moves bytes, as the cases name them. */
enum tmode { T_DIRECT, T_PIPE, T_COPY, T_LAYER, T_COUNT };

/* What one end of the child's stdin or stdout is. */
enum kind { K_PIPE, K_SOCK, K_TCP, K_PTY, K_PTYC, K_DIR, K_FILE };

static struct {
	const char	*name;
	enum kind	 in, out;	/* stdin and stdout that select it */
	enum kind	 in_end;	/* a stdin of that mode that can end */
	const char	*trace;		/* what the relay says at -vv */
	const char	*up_what;	/* the error of a failed up move */
	const char	*down_what;	/* and of a failed down move */
} modes[T_COUNT] = {
	{ "splice direct", K_PIPE, K_PIPE, K_PIPE,
	  "postern: relay: up splice, down splice\n",
	  "sending into the tunnel", "reading from the tunnel" },
	{ "splice via pipe", K_SOCK, K_SOCK, K_SOCK,
	  "postern: relay: up splice via pipe, down splice via pipe\n",
	  "sending into the tunnel", "reading from the tunnel" },
	{ "copy", K_PTY, K_PTY, K_PTYC,
	  "postern: relay: up copy, down copy\n",
	  "sending into the tunnel", "reading from the tunnel" },
	{ "mock TLS", K_PIPE, K_PIPE, K_PIPE,
	  "postern: relay: up copy, down copy\n",
	  "sending into the tunnel", "reading from the tunnel" },
};

/*
 * A build without splice (COMPAT_SPLICE is 0) copies pipes and sockets as
 * it copies a terminal: the same cases on the same descriptors then check
 * that the relay chose the copy, and its words for a failed move.
 */
static void
modes_without_splice(void)
{
	int m;

	modes[T_DIRECT].name = "pipes, copied (no splice)";
	modes[T_PIPE].name = "sockets, copied (no splice)";
	for (m = T_DIRECT; m <= T_PIPE; m++) {
		modes[m].trace = modes[T_COPY].trace;
		modes[m].up_what = modes[T_COPY].up_what;
		modes[m].down_what = modes[T_COPY].down_what;
	}
}

/* One case's child and the parent's ends of its descriptors. */
struct rig {
	enum tmode	 mode;
	enum kind	 in_kind, out_kind;
	int		 tcp_net;	/* the tunnel over loopback TCP */
	int		 half_close;
	int64_t		 idle_ms;
	int		 trace;		/* the child runs at -vv */
	size_t		 mock_fail;	/* the layer fails after these bytes */
	size_t		 given_back;	/* of the down pattern, unread */
	int		 no_fds;	/* the child can open no descriptor */
	int		 in;		/* writes the child's stdin */
	int		 in_keep;	/* the child's stdin, to count what it
					   left unread */
	int		 out;		/* reads the child's stdout */
	int		 net;		/* the far end of the tunnel */
	int		 err;		/* the child's stderr */
	pid_t		 pid;
	char		 errbuf[ERR_MAX];
};

/* After a flow's last byte: keep its end open, or end it (END_VEOF: ^D at
 * a line start, a canonical terminal's end of input). */
enum end_how { END_NONE, END_CLOSE, END_SHUT, END_VEOF };

/* Bytes the parent writes into one end and reads back at the other. */
struct flow {
	int		*wfd;		/* NULL: written by someone else */
	int		*rfd;		/* NULL: not read */
	size_t		 len;		/* to write */
	size_t		 sent;
	size_t		 got;
	unsigned	 seed;
	int		 text;		/* lines of letters, for a canonical
					   terminal */
	enum end_how	 end;
	int		 end_done;
	size_t		 want;		/* pump() waits for this many */
	int		 want_end;	/* and for the end */
	int		 ended;		/* read 0, or an error */
	int		 bad;		/* a byte out of place arrived */
};

/*
 * The mock layer: TLS as the relay sees it.  Reads take the socket's bytes
 * in large chunks and give one record at a time, so that bytes wait where
 * poll() cannot see them; writes are held back until a flush; a shutdown
 * wants to write a few times before its end goes out (bug 9).
 */
struct mock {
	char		 rbuf[MOCK_RBUF];
	size_t		 roff, rlen;
	size_t		 rtotal;	/* read from the socket */
	size_t		 fail_after;	/* 0: never fails */
	char		 wbuf[MOCK_WBUF];
	size_t		 wlen;
	int		 shut_calls;
};

static ssize_t
mock_read(struct stream *s, void *p, size_t n)
{
	struct mock *k = s->layer;
	ssize_t r;

	s->want_r = POLLIN;
	if (k->rlen == 0) {
		if (k->fail_after > 0 && k->rtotal >= k->fail_after) {
			s->failed = 1;
			errno = EPROTO;
			return -1;
		}
		do
			r = read(s->fd, k->rbuf, sizeof(k->rbuf));
		while (r == -1 && errno == EINTR);
		if (r <= 0)
			return r;
		k->roff = 0;
		k->rlen = (size_t)r;
		k->rtotal += (size_t)r;
	}
	if (n > k->rlen)
		n = k->rlen;
	if (n > MOCK_RECORD)
		n = MOCK_RECORD;
	memcpy(p, k->rbuf + k->roff, n);
	k->roff += n;
	k->rlen -= n;
	return (ssize_t)n;
}

/* Send what is held back.  0 when empty, -1 with errno. */
static int
mock_send(struct stream *s)
{
	struct mock *k = s->layer;
	ssize_t r;

	while (k->wlen > 0) {
		r = send(s->fd, k->wbuf, k->wlen, MSG_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			if (errno == EAGAIN)
				s->want_w = POLLOUT;
			return -1;
		}
		memmove(k->wbuf, k->wbuf + r, k->wlen - (size_t)r);
		k->wlen -= (size_t)r;
	}
	return 0;
}

static ssize_t
mock_write(struct stream *s, const void *p, size_t n)
{
	struct mock *k = s->layer;
	size_t room;

	s->want_w = POLLOUT;
	if (k->wlen + n > MOCK_WBUF && mock_send(s) == -1 && errno != EAGAIN)
		return -1;
	if ((room = MOCK_WBUF - k->wlen) == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (n > room)
		n = room;
	if (n > MOCK_RECORD)
		n = MOCK_RECORD;
	memcpy(k->wbuf + k->wlen, p, n);
	k->wlen += n;
	return (ssize_t)n;
}

/* As SSL_shutdown wanting to write: EAGAIN the first few calls. */
static int
mock_shutdown(struct stream *s)
{
	struct mock *k = s->layer;

	s->want_w = POLLOUT;
	if (mock_send(s) == -1)
		return -1;
	if (k->shut_calls++ < MOCK_SHUT_AGAIN) {
		errno = EAGAIN;
		return -1;
	}
	return shutdown(s->fd, SHUT_WR);
}

static size_t
mock_pending(const struct stream *s)
{
	return ((const struct mock *)s->layer)->rlen;
}

static int
mock_flush(struct stream *s)
{
	return mock_send(s);
}

static size_t
mock_unflushed(const struct stream *s)
{
	return ((const struct mock *)s->layer)->wlen;
}

static int
mock_gather(struct stream *s)
{
	(void)s;
	return 0;
}

static const char *
mock_error(const struct stream *s)
{
	(void)s;
	return "mock alert";
}

static void
mock_free(struct stream *s)
{
	free(s->layer);
}

static const struct stream_ops mock_ops = {
	.name = "mock TLS",
	.read = mock_read,
	.write = mock_write,
	.shutdown = mock_shutdown,
	.pending = mock_pending,
	.flush = mock_flush,
	.unflushed = mock_unflushed,
	.gather = mock_gather,
	.error = mock_error,
	.free = mock_free,
};

/* Byte i of a flow: out of place, it shows. */
static unsigned char
pattern(size_t i, unsigned seed, int text)
{
	uint32_t x = (uint32_t)(i + (i >> 16) + seed) * 2654435761u;

	if (text)
		return i % 64 == 63 ? '\n' :
		    (unsigned char)('a' + (x >> 24) % 26);
	return (unsigned char)(x >> 24);
}

static void
pattern_fill(char *p, size_t from, size_t n, unsigned seed, int text)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)pattern(from + i, seed, text);
}

static void
flow_init(struct flow *f, int *wfd, int *rfd, size_t len, unsigned seed)
{
	memset(f, 0, sizeof(*f));
	f->wfd = wfd;
	f->rfd = rfd;
	f->len = len;
	f->want = len;
	f->seed = seed;
}

/* Write the next chunk; an error other than EAGAIN ends the writing. */
static void
flow_send(struct flow *f)
{
	char buf[CHUNK];
	size_t n = f->len - f->sent < CHUNK ? f->len - f->sent : CHUNK;
	ssize_t r;

	if (n == 0)
		return;
	pattern_fill(buf, f->sent, n, f->seed, f->text);
	r = write(*f->wfd, buf, n);
	if (r > 0)
		f->sent += (size_t)r;
	else if (r == -1 && errno != EAGAIN && errno != EINTR)
		f->len = f->sent;
}

static void
flow_recv(struct flow *f)
{
	char buf[CHUNK];
	ssize_t r, i;

	r = read(*f->rfd, buf, sizeof(buf));
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		f->ended = 1;	/* 0, or EIO from a terminal's master */
		return;
	}
	for (i = 0; i < r; i++)
		if ((unsigned char)buf[i] != pattern(f->got + (size_t)i,
		    f->seed, f->text))
			f->bad = 1;
	f->got += (size_t)r;
}

/* After the last byte, end the writing side as the flow says. */
static void
flow_end(struct flow *f)
{
	if (f->end == END_NONE || f->end_done || f->sent < f->len)
		return;
	f->end_done = 1;
	if (f->end == END_CLOSE) {
		close(*f->wfd);
		*f->wfd = -1;
	} else if (f->end == END_SHUT)
		(void)shutdown(*f->wfd, SHUT_WR);
	else
		(void)write(*f->wfd, "\004", 1);
}

static int
flow_done(const struct flow *f)
{
	if (f->end != END_NONE && !f->end_done)
		return 0;
	if (f->wfd != NULL && f->rfd == NULL)
		return f->sent == f->len;
	return f->got >= f->want && (!f->want_end || f->ended);
}

/* Move the flows' bytes until each is done.  -1 after WAIT_MS. */
static int
pump(struct flow *f, int n)
{
	struct pollfd pfd[4];
	int64_t deadline = now_ms() + WAIT_MS, left;
	int i, all;

	for (;;) {
		all = 1;
		for (i = 0; i < n; i++) {
			flow_end(&f[i]);
			all &= flow_done(&f[i]);
		}
		if (all)
			return 0;
		for (i = 0; i < n; i++) {
			pfd[2 * i].fd = f[i].wfd != NULL && *f[i].wfd != -1 &&
			    f[i].sent < f[i].len ? *f[i].wfd : -1;
			pfd[2 * i].events = POLLOUT;
			pfd[2 * i + 1].fd = f[i].rfd != NULL && !f[i].ended ?
			    *f[i].rfd : -1;
			pfd[2 * i + 1].events = POLLIN;
		}
		if ((left = deadline - now_ms()) <= 0 ||
		    poll(pfd, (nfds_t)(2 * n), (int)left) <= 0)
			return -1;
		for (i = 0; i < n; i++) {
			if (pfd[2 * i].revents != 0)
				flow_send(&f[i]);
			if (pfd[2 * i + 1].revents != 0)
				flow_recv(&f[i]);
		}
	}
}

/* Write until the path behind *wfd is full: nothing taken for FULL_MS. */
static void
fill(struct flow *f)
{
	struct pollfd pfd;
	size_t before;

	f->len = FILL_MAX;
	while (f->sent < f->len) {
		before = f->sent;
		flow_send(f);
		if (f->sent != before)
			continue;
		pfd.fd = *f->wfd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, FULL_MS) <= 0)
			break;
	}
	f->len = f->want = f->sent;
}

static void
set_nonblock(int fd)
{
	int fl;

	if (fd != -1 && (fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A pseudo-terminal whose slave passes every byte, or whole lines
 * (canonical: ^D at a line start is its end of input). */
static int
pty_pair(int canon, int *master, int *slave)
{
	struct termios t;
	const char *name;

	if ((*master = posix_openpt(O_RDWR | O_NOCTTY)) == -1)
		return -1;
	if (grantpt(*master) == -1 || unlockpt(*master) == -1 ||
	    (name = ptsname(*master)) == NULL ||
	    (*slave = open(name, O_RDWR | O_NOCTTY)) == -1)
		return -1;
	if (tcgetattr(*slave, &t) == -1)
		return -1;
	/* cfmakeraw(), which POSIX does not have. */
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR |
	    IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
	t.c_cflag |= CS8;
	if (canon)
		t.c_lflag |= ICANON;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	return tcsetattr(*slave, TCSANOW, &t);
}

/* A connected loopback TCP pair: a reset can be sent over it. */
static int
tcp_pair(int *a, int *b)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, 1) == -1 ||
	    getsockname(l, (struct sockaddr *)&sin, &len) == -1 ||
	    (*a = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(*a, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (*b = accept(l, NULL, NULL)) == -1) {
		close(l);
		return -1;
	}
	close(l);
	return 0;
}

/* Close with a reset (RFC 9293 §3.6: SO_LINGER with no time). */
static void
tcp_reset(int *fd)
{
	struct linger lg = { 1, 0 };

	(void)setsockopt(*fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(*fd);
	*fd = -1;
}

/* stdin as a file of FILE_LEN pattern bytes, O_APPEND: copied. */
static int
file_stdin(void)
{
	char path[] = "/tmp/t_relay.XXXXXX", buf[CHUNK];
	size_t off;
	int fd;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	for (off = 0; off < FILE_LEN; off += CHUNK) {
		pattern_fill(buf, off, CHUNK, 0, 0);
		if (write(fd, buf, CHUNK) != CHUNK)
			break;
	}
	close(fd);
	fd = open(path, O_RDONLY | O_APPEND);
	unlink(path);
	return fd;
}

/* One end for the child (*child) and its other end for us (*ours). */
static int
make_end(enum kind k, int is_stdin, int *ours, int *child)
{
	int p[2];

	*ours = -1;
	switch (k) {
	case K_PIPE:
		if (pipe(p) == -1)
			return -1;
		*child = is_stdin ? p[0] : p[1];
		*ours = is_stdin ? p[1] : p[0];
		return 0;
	case K_SOCK:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) == -1)
			return -1;
		*child = p[0];
		*ours = p[1];
		return 0;
	case K_TCP:
		return tcp_pair(child, ours);
	case K_PTY:
	case K_PTYC:
		return pty_pair(k == K_PTYC, ours, child);
	case K_DIR:
		*child = open("/", O_RDONLY | O_DIRECTORY);
		return *child == -1 ? -1 : 0;
	case K_FILE:
		return (*child = file_stdin()) == -1 ? -1 : 0;
	}
	return -1;
}

static void
rig_init(struct rig *g, enum tmode m)
{
	memset(g, 0, sizeof(*g));
	g->mode = m;
	g->in_kind = modes[m].in;
	g->out_kind = modes[m].out;
	g->in = g->in_keep = g->out = g->net = g->err = -1;
	g->pid = -1;
}

static void
child_main(const struct rig *g, int in, int out, int net, int err)
{
	char back[GIVEN_BACK];
	struct relay_cfg c;
	struct stream s;
	struct mock *k;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	alarm(CHILD_ALARM);
	if (dup2(err, 2) == -1)
		_exit(99);
	for (fd = 3; fd < FD_SCAN; fd++)
		if (fd != in && fd != out && fd != net)
			close(fd);
	set_nonblock(in);
	set_nonblock(out);
	set_nonblock(net);
	stream_init(&s, net);
	pattern_fill(back, 0, sizeof(back), 2, 0);
	if (g->given_back > 0 && stream_unread(&s, back, g->given_back) == -1)
		_exit(98);
	if (g->mode == T_LAYER) {
		if ((k = calloc(1, sizeof(*k))) == NULL)
			_exit(97);
		k->fail_after = g->mock_fail;
		s.ops = &mock_ops;
		s.layer = k;
	}
	log_verbosity = g->trace ? 2 : 0;
	if (g->no_fds) {
		/* Out of descriptors: every one below the highest in use
		 * taken, and no more allowed, so that no pipe can be made. */
		int top = in > out ? in > net ? in : net : out > net ? out :
		    net;
		struct rlimit rl;

		while ((fd = open("/dev/null", O_RDONLY)) != -1 && fd < top)
			;
		if (fd > top)
			close(fd);
		rl.rlim_cur = rl.rlim_max = (rlim_t)top + 1;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			_exit(96);
	}
	memset(&c, 0, sizeof(c));
	c.in_fd = in;
	c.out_fd = out;
	c.half_close = g->half_close;
	c.idle_ms = g->idle_ms;
	_exit(relay_run(&s, &c));
}

/* Start the child.  -1 if the descriptors could not be made. */
static int
rig_start(struct rig *g)
{
	int cin = -1, cout = -1, cnet = -1, ep[2], sp[2];

	if (make_end(g->in_kind, 1, &g->in, &cin) == -1 ||
	    make_end(g->out_kind, 0, &g->out, &cout) == -1 ||
	    pipe(ep) == -1)
		return -1;
	if (g->tcp_net) {
		if (tcp_pair(&cnet, &g->net) == -1)
			return -1;
	} else {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1)
			return -1;
		cnet = sp[0];
		g->net = sp[1];
	}
	fflush(stdout);
	if ((g->pid = fork()) == -1)
		return -1;
	if (g->pid == 0)
		child_main(g, cin, cout, cnet, ep[1]);
	/* What the child left unread of a pipe, a socket or a file shows
	 * through its end (FIONREAD, the file offset). */
	if (g->in_kind == K_PIPE || g->in_kind == K_SOCK ||
	    g->in_kind == K_FILE)
		g->in_keep = cin;
	else
		close(cin);
	close(cout);
	close(cnet);
	close(ep[1]);
	g->err = ep[0];
	set_nonblock(g->in);
	set_nonblock(g->out);
	set_nonblock(g->net);
	return 0;
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* The child's exit status (128 + signal if killed), its stderr kept. */
static int
rig_wait(struct rig *g)
{
	size_t len = 0;
	ssize_t r;
	int st;

	while (waitpid(g->pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	while (len < sizeof(g->errbuf) - 1 && (r = read(g->err,
	    g->errbuf + len, sizeof(g->errbuf) - 1 - len)) > 0)
		len += (size_t)r;
	g->errbuf[len] = '\0';
	close_fd(&g->in);
	close_fd(&g->in_keep);
	close_fd(&g->out);
	close_fd(&g->net);
	close_fd(&g->err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* CPU seconds the process has used (utime + stime, /proc/PID/stat). */
static double
cpu_seconds(pid_t pid)
{
	char path[64], buf[STAT_MAX], *p, *end;
	unsigned long long ticks = 0, v;
	ssize_t n;
	int fd, field;

	if (snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid) >=
	    (int)sizeof(path) || (fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The name may hold anything: fields count from its ')'; the state
	 * is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return -1;
	p += 3;
	for (field = 4; field <= 15; field++) {
		v = strtoull(p, &end, 10);
		if (end == p)
			return -1;
		if (field >= 14)
			ticks += v;
		p = end;
	}
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

/* CPU the child uses over STALL_MS while it can move nothing. */
static double
stalled_cpu(pid_t pid)
{
	double before = cpu_seconds(pid);

	(void)poll(NULL, 0, STALL_MS);
	return cpu_seconds(pid) - before;
}

/* Whether the child's stderr is exactly the line "postern: what: why". */
static int
err_is(const struct rig *g, const char *what, const char *why)
{
	char want[LINE_MAX_T];
	int n;

	n = snprintf(want, sizeof(want), "postern: %s: %s\n", what, why);
	if (n < 0 || (size_t)n >= sizeof(want))
		return 0;
	if (strcmp(g->errbuf, want) == 0)
		return 1;
	printf("#   stderr: '%s'\n#   want:   '%s'\n", g->errbuf, want);
	return 0;
}

/* How the parent ends the child's stdin of kind k. */
static enum end_how
stdin_end(enum kind k)
{
	return k == K_PTYC ? END_VEOF : END_CLOSE;
}

/* Bytes the child left unread in its stdin, or -1 if that cannot be told
 * (a terminal). */
static long
left_unread(const struct rig *g, size_t total)
{
	off_t off;
	int n;

	if (g->in_keep == -1)
		return -1;
	if (g->in_kind == K_FILE)
		return (off = lseek(g->in_keep, 0, SEEK_CUR)) == -1 ? -1 :
		    (long)(total - (size_t)off);
	return ioctl(g->in_keep, FIONREAD, &n) == -1 ? -1 : n;
}

/* Until the child stops reading its stdin file: it has filled the path. */
static void
file_settle(const struct rig *g)
{
	int64_t deadline = now_ms() + WAIT_MS;
	off_t before = -1, off;

	while (now_ms() < deadline &&
	    (off = lseek(g->in_keep, 0, SEEK_CUR)) != before) {
		before = off;
		(void)poll(NULL, 0, FULL_MS);
	}
}

static int
started(struct rig *g)
{
	if (rig_start(g) == 0)
		return 1;
	ok(0, "%s: the descriptors and the child: %s", modes[g->mode].name,
	    strerror(errno));
	return 0;
}

static const char *
hc_name(int half_close)
{
	return half_close ? " -N" : "";
}

/* 1. Bytes both ways at once; the far end closes, the relay ends. */
static void
case_bulk(int m)
{
	const char *name = modes[m].name;
	struct flow f[2];
	struct rig g;
	int rc;

	rig_init(&g, m);
	g.trace = 1;
	if (!started(&g))
		return;
	flow_init(&f[0], &g.in, &g.net, BULK, 0);
	flow_init(&f[1], &g.net, &g.out, BULK, 1);
	rc = pump(f, 2);
	ok(rc == 0 && !f[0].bad && !f[1].bad, "%s: 4 MiB each way at once "
	    "arrive in order (up %zu, down %zu)", name, f[0].got, f[1].got);
	(void)shutdown(g.net, SHUT_WR);
	f[1].want_end = 1;
	rc = pump(&f[1], 1);
	ok(rc == 0, "%s: the far end closed: stdout ends", name);
	is_int(rig_wait(&g), EXIT_OK, "%s: and the relay exits 0", name);
	ok(strstr(g.errbuf, modes[m].trace) != NULL, "%s: the relay chose "
	    "it (-vv)", name);
}

/*
 * A splicing direction that cannot make its pipe (out of descriptors, as
 * a busy listener may be) copies instead, for good: every byte still
 * arrives, in both directions, not only the first read.
 */
static void
case_no_pipes(void)
{
	struct flow f[2];
	struct rig g;
	int rc;

	rig_init(&g, T_PIPE);
	g.no_fds = 1;
	if (!started(&g))
		return;
	flow_init(&f[0], &g.in, &g.net, BULK, 0);
	flow_init(&f[1], &g.net, &g.out, BULK, 1);
	rc = pump(f, 2);
	ok(rc == 0 && !f[0].bad && !f[1].bad, "no pipe can be made: 4 MiB "
	    "each way still arrive (up %zu, down %zu)", f[0].got, f[1].got);
	(void)shutdown(g.net, SHUT_WR);
	f[1].want_end = 1;
	ok(pump(&f[1], 1) == 0, "no pipe can be made: the far end's close "
	    "reaches stdout");
	is_int(rig_wait(&g), EXIT_OK, "no pipe can be made: exit 0");
}

/* Bytes given back to the stream (what came with the proxy's reply) come
 * out first, then the socket's; a splicing mode switches after them. */
static void
case_given_back(int m)
{
	const char *name = modes[m].name;
	struct flow f;
	struct rig g;
	int r;

	rig_init(&g, m);
	g.given_back = GIVEN_BACK;
	if (!started(&g))
		return;
	flow_init(&f, &g.net, &g.out, BULK / 4, 2);
	f.sent = GIVEN_BACK;
	f.end = END_SHUT;
	f.want_end = 1;
	r = pump(&f, 1);
	ok(r == 0 && !f.bad, "%s: bytes given back, then the "
	    "socket's, reach stdout in order (%zu)", name, f.got);
	is_int(rig_wait(&g), EXIT_OK, "%s: given back: exit 0", name);
}

/*
 * 2, 3. The reader of stdout (down) or the far end (up) stops reading
 * once the whole path is full: the relay sleeps (a resource bound, not a
 * timing), then delivers every byte when it reads again.
 */
static void
case_stall(int m, int up)
{
	const char *name = modes[m].name;
	const char *who = up ? "the far end" : "stdout";
	struct flow f;
	struct rig g;
	double cpu;
	int r;

	rig_init(&g, m);
	if (!started(&g))
		return;
	flow_init(&f, up ? &g.in : &g.net, NULL, 0, 3);
	fill(&f);
	cpu = stalled_cpu(g.pid);
	ok(cpu >= 0 && cpu < STALL_CPU, "%s: %s stalled with %zu bytes on "
	    "the way: %.2f CPU s in %d ms", name, who, f.sent, cpu, STALL_MS);
	f.rfd = up ? &g.net : &g.out;
	r = pump(&f, 1);
	ok(r == 0 && !f.bad, "%s: %s reads again: all %zu bytes arrive in "
	    "order", name, who, f.got);
	(void)shutdown(g.net, SHUT_WR);
	is_int(rig_wait(&g), EXIT_OK, "%s: %s stalled: exit 0", name, who);
}

/* 4. stdin ends first.  Without -N the tunnel stays open (a marker sent
 * down after the end comes out); with -N its end follows the bytes. */
static void
case_stdin_end(int m, int half_close)
{
	const char *name = modes[m].name, *hc = hc_name(half_close);
	struct flow up, down;
	struct rig g;
	ssize_t r;
	char c;
	int i;

	rig_init(&g, m);
	g.in_kind = modes[m].in_end;
	g.half_close = half_close;
	if (!started(&g))
		return;
	flow_init(&up, &g.in, &g.net, SMALL, 5);
	up.text = g.in_kind == K_PTYC;
	up.end = stdin_end(g.in_kind);
	up.want_end = half_close;
	r = pump(&up, 1);
	ok(r == 0 && !up.bad, "%s%s: stdin ended first: its %zu "
	    "bytes reach the far end%s", name, hc, up.got, half_close ?
	    ", then the end" : "");
	flow_init(&down, &g.net, &g.out, 0, 6);
	if (!half_close) {
		/* Each marker is a pass of the relay at least: one that
		 * ended the tunnel, even late, would have by the last. */
		for (i = 0; i < MARKERS; i++) {
			down.len = down.want = down.sent + 1;
			(void)pump(&down, 1);
		}
		r = read(g.net, &c, 1);
		ok(down.got == MARKERS && !down.bad && r == -1 &&
		    errno == EAGAIN, "%s: stdin ended first: the far end sees "
		    "no end, and markers sent after it reach stdout", name);
	}
	down.len = down.want = SMALL;
	down.end = END_SHUT;
	down.want_end = 1;
	r = pump(&down, 1);
	ok(r == 0 && !down.bad, "%s%s: stdin ended first: the "
	    "far end's bytes still reach stdout, then its end", name, hc);
	is_int(rig_wait(&g), EXIT_OK, "%s%s: stdin ended first: exit 0", name,
	    hc);
}

/* 5. The far end closes first, without -N: every byte read from stdin
 * still reaches it (what stdin still holds was not read). */
static void
case_net_end(int m)
{
	const char *name = modes[m].name;
	struct flow up;
	struct rig g;
	long left;
	int r, rc;

	rig_init(&g, m);
	if (m == T_COPY)
		g.in_kind = K_FILE;	/* a terminal hides what it holds */
	if (!started(&g))
		return;
	flow_init(&up, &g.in, NULL, 0, 0);
	if (g.in_kind == K_FILE) {
		up.wfd = NULL;
		up.len = up.sent = FILE_LEN;
		file_settle(&g);
	} else
		fill(&up);
	(void)shutdown(g.net, SHUT_WR);
	up.rfd = &g.net;
	up.want = 0;
	up.want_end = 1;
	r = pump(&up, 1);
	left = left_unread(&g, up.sent);
	rc = rig_wait(&g);
	ok(r == 0 && !up.bad && left >= 0 && up.got + (size_t)left == up.sent,
	    "%s: the far end closed first: all %zu bytes read from stdin "
	    "reach it (%ld left unread of %zu)", name, up.got, left, up.sent);
	is_int(rc, EXIT_OK, "%s: the far end closed first: exit 0", name);
}

/* 5, with -N: its end reaches stdout, stdin is read on to its end. */
static void
case_net_end_hc(int m)
{
	const char *name = modes[m].name;
	struct flow up, down;
	struct rig g;
	int r;

	rig_init(&g, m);
	g.in_kind = modes[m].in_end;
	g.half_close = 1;
	if (!started(&g))
		return;
	flow_init(&down, &g.net, &g.out, SMALL, 7);
	down.end = END_SHUT;
	down.want_end = 1;
	r = pump(&down, 1);
	ok(r == 0 && !down.bad, "%s -N: the far end closed "
	    "first: its bytes, then its end, reach stdout", name);
	flow_init(&up, &g.in, &g.net, SMALL, 8);
	up.text = g.in_kind == K_PTYC;
	up.end = stdin_end(g.in_kind);
	up.want_end = 1;
	r = pump(&up, 1);
	ok(r == 0 && !up.bad, "%s -N: stdin is still read to its "
	    "end: its %zu bytes, then the end, reach the far end", name,
	    up.got);
	is_int(rig_wait(&g), EXIT_OK, "%s -N: the far end closed first: "
	    "exit 0", name);
}

/* 6. Both sides end together, bytes on the way each way. */
static void
case_both_end(int m, int half_close)
{
	const char *name = modes[m].name, *hc = hc_name(half_close);
	struct flow f[2];
	struct rig g;
	long left;
	int r, rc;

	rig_init(&g, m);
	g.in_kind = modes[m].in_end;
	g.half_close = half_close;
	if (!started(&g))
		return;
	flow_init(&f[0], &g.in, &g.net, SMALL, 9);
	f[0].text = g.in_kind == K_PTYC;
	f[0].end = stdin_end(g.in_kind);
	f[0].want = half_close ? SMALL : 0;
	f[0].want_end = 1;
	flow_init(&f[1], &g.net, &g.out, SMALL, 10);
	f[1].end = END_SHUT;
	f[1].want_end = 1;
	r = pump(f, 2);
	left = left_unread(&g, SMALL);
	rc = rig_wait(&g);
	ok(r == 0 && !f[1].bad && f[1].got == SMALL, "%s%s: both ended at "
	    "once: the far end's bytes and end reach stdout", name, hc);
	/* Without -N stdin may be read no more once the far end closed;
	 * what was read went up. */
	ok(!f[0].bad && (f[0].got == SMALL || (!half_close && (left == -1 ||
	    f[0].got + (size_t)left == SMALL))), "%s%s: both ended at once: "
	    "stdin's bytes that were read (%zu of %d) reach the far end, "
	    "then the end", name, hc, f[0].got, SMALL);
	is_int(rc, EXIT_OK, "%s%s: both ended at once: exit 0", name, hc);
}

/* 7. stdout's reader is gone. */
static void
case_err_stdout(int m)
{
	const char *name = modes[m].name;
	struct flow f;
	struct rig g;

	rig_init(&g, m);
	if (!started(&g))
		return;
	close_fd(&g.out);
	flow_init(&f, &g.net, NULL, SMALL, 11);
	(void)pump(&f, 1);
	is_int(rig_wait(&g), EXIT_IO, "%s: stdout's reader gone: exit 1",
	    name);
	/* A terminal whose master closed is hung up: EIO. */
	ok(err_is(&g, "writing standard output", strerror(m == T_COPY ?
	    EIO : EPIPE)),
	    "%s: stdout's reader gone: stderr says so", name);
}

/* 7. The far end resets the tunnel after some bytes. */
static void
case_err_net(int m)
{
	const char *name = modes[m].name;
	struct flow f;
	struct rig g;
	int r;

	rig_init(&g, m);
	g.tcp_net = 1;
	if (!started(&g))
		return;
	flow_init(&f, &g.net, &g.out, SMALL, 12);
	r = pump(&f, 1);
	ok(r == 0 && !f.bad, "%s: bytes before a reset reach "
	    "stdout", name);
	tcp_reset(&g.net);
	is_int(rig_wait(&g), EXIT_IO, "%s: the tunnel reset: exit 1", name);
	ok(err_is(&g, modes[m].down_what, strerror(ECONNRESET)),
	    "%s: the tunnel reset: stderr says so", name);
}

/* 7. The far end resets the tunnel while the upload waits for it to
 * read. */
static void
case_err_net_up(int m)
{
	const char *name = modes[m].name;
	struct flow f;
	struct rig g;

	rig_init(&g, m);
	g.tcp_net = 1;
	if (!started(&g))
		return;
	flow_init(&f, &g.in, NULL, 0, 15);
	fill(&f);
	tcp_reset(&g.net);
	is_int(rig_wait(&g), EXIT_IO, "%s: the tunnel reset under a stalled "
	    "upload: exit 1", name);
	ok(err_is(&g, modes[m].up_what, strerror(ECONNRESET)), "%s: the "
	    "tunnel reset under a stalled upload: stderr says so", name);
}

/* 7. stdin cannot be read: a directory (copied), a reset socket (spliced
 * through our pipe, or copied).  A pipe has no error to give. */
static void
case_err_stdin(int m)
{
	const char *name = modes[m].name;
	struct rig g;

	if (m == T_DIRECT)
		return;
	rig_init(&g, m);
	g.in_kind = m == T_PIPE ? K_TCP : K_DIR;
	if (!started(&g))
		return;
	if (m == T_PIPE)
		tcp_reset(&g.in);
	is_int(rig_wait(&g), EXIT_IO, "%s: stdin unreadable: exit 1", name);
	ok(err_is(&g, "reading standard input", strerror(m == T_PIPE ?
	    ECONNRESET : EISDIR)), "%s: stdin unreadable: stderr says so",
	    name);
}

/* 7. The layer fails (a TLS alert): the bytes before it come out, then
 * its words. */
static void
case_err_layer(void)
{
	struct flow f;
	struct rig g;
	int r;

	rig_init(&g, T_LAYER);
	g.mock_fail = SMALL;
	if (!started(&g))
		return;
	flow_init(&f, &g.net, &g.out, SMALL, 13);
	r = pump(&f, 1);
	ok(r == 0 && !f.bad, "mock TLS: bytes before a layer error "
	    "reach stdout");
	is_int(rig_wait(&g), EXIT_IO, "mock TLS: a layer error: exit 1");
	ok(err_is(&g, "TLS error in the tunnel", "mock alert"),
	    "mock TLS: a layer error: stderr gives the layer's words");
}

/* 8. A quiet tunnel ends after --idle-timeout; so does one whose stdout
 * stalled with bytes on the way (nothing is read). */
static void
case_idle(int m, int stalled)
{
	const char *name = modes[m].name;
	struct flow f;
	struct rig g;
	int rc;

	rig_init(&g, m);
	g.idle_ms = IDLE_MS;
	if (!started(&g))
		return;
	if (stalled) {
		flow_init(&f, &g.net, NULL, 0, 14);
		fill(&f);
	}
	rc = rig_wait(&g);
	is_int(rc, EXIT_IDLE, "%s: %s: --idle-timeout ends it", name,
	    stalled ? "stdout stalled" : "a quiet tunnel");
	if (!stalled)
		ok(err_is(&g, "no traffic for 0.15 s", "closing the tunnel "
		    "(--idle-timeout)"), "%s: idle: stderr says so", name);
}

int
main(void)
{
	int m;

	signal(SIGPIPE, SIG_IGN);
	if (!COMPAT_SPLICE)
		modes_without_splice();
	for (m = 0; m < T_COUNT; m++) {
		case_bulk(m);
		case_given_back(m);
		case_stall(m, 0);
		case_stall(m, 1);
		case_stdin_end(m, 0);
		case_stdin_end(m, 1);
		case_net_end(m);
		case_net_end_hc(m);
		case_both_end(m, 0);
		case_both_end(m, 1);
		case_err_stdout(m);
		case_err_net(m);
		case_err_net_up(m);
		case_err_stdin(m);
		case_idle(m, 0);
		case_idle(m, 1);
	}
	case_err_layer();
	case_no_pipes();
	return done_testing();
}
