/*
 * The PAC evaluator server.
 *
 * A stdio run forks each evaluation's child straight from postern: at
 * that point it holds one tunnel's secrets at most, which the child's
 * forget hook wipes, and no other thread.  A listener is different: one
 * process with every tunnel's credentials and Proxy-Authorization values
 * in memory, their TLS keys, every client and proxy socket, and threads
 * in getaddrinfo() (net.c).  A child forked from it would inherit all of
 * that: secrets the hook cannot reach, sockets whose FIN waits for the
 * child's end, and locks some other thread held at fork time.
 *
 * So a long-running process forks this server once, at its start, before
 * it reads a credential, opens a socket or starts a thread
 * (pac_server_open).  The server wipes what the forget hook knows, closes
 * every descriptor but its end of a socketpair, and from then on only
 * forks: it never loads the JavaScript engine nor runs a PAC.  Each job
 * comes over the socketpair with two descriptors (SCM_RIGHTS) that the
 * caller made: the pipe the answer goes on and, when held, the pipe the
 * go-ahead comes on.  The server forks the child from its own clean,
 * single-threaded state, hands it those two and nothing else, and the
 * caller reads the answer and gives the go-ahead as it would from a child
 * of its own: pac_read() and pac_go() do not change, and the caller never
 * blocks on the server but to hand it a job (a local socket it drains
 * at once; bounded by SEND_MS).
 *
 * The caller cannot waitpid() a child that is not its own, so the server
 * reaps it (it learns of the end from a pipe only the child holds, which
 * needs no signal handler) and appends a trailer to the answer pipe: "Z"
 * and the wait status, or "E" and why it could not fork.  A child that
 * answered is read to its NUL and the trailer never looked at.  The
 * caller's pac_stop() sends a kill (the server kills and reaps); the
 * server also kills a child GRACE_MS past its deadline itself, and kills
 * them all when the caller closes the socketpair or ends.
 *
 * When the server ends (killed from outside: nothing in it runs a PAC),
 * the caller sees its end of the socketpair turn readable, fails the
 * evaluations under way ("the PAC evaluator server ended"), reaps it,
 * and starts another for the next evaluation.  That one is forked from
 * the long-running process as it is then, so it is less clean than the
 * first: the forget hook runs again and the descriptors are closed, but
 * secrets of tunnels under way stay in its memory; stderr says so.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "log.h"
#include "pacserve.h"
#include "util.h"

/* close_range(2): glibc declares it from 2.34 (Linux 5.9 runs it). */
#if defined(_GNU_SOURCE) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
#define PAC_CLOSE_RANGE	1
#endif
/* closefrom(3) where the BSDs declare it (not under POSIX=1). */
#if !defined(_POSIX_C_SOURCE) && (defined(__FreeBSD__) || \
    defined(__OpenBSD__) || defined(__NetBSD__) || defined(__DragonFly__))
#define PAC_CLOSEFROM	1
#endif

#define FD_SCAN_MAX	65536		/* descriptors closed one by one */
#define SEND_MS		2000		/* to hand the server a job */
#define GRACE_MS	1000		/* the server's kill, past a deadline */
#define WIRE_STRS	5		/* script, name, url, host, route */
#define WIRE_BODY_MAX	(2 * 1024 * 1024)	/* over PAC_MAX (pacfetch.h) */
#define TRAILER_MAX	64

enum { WIRE_JOB = 'J', WIRE_KILL = 'K' };

/*
 * A message on the socketpair, then the strings of a job, each with a
 * NUL after it.  Only ever between postern and its own fork: the
 * resolver is a function of this very program image.
 */
struct wire {
	uint32_t	 op;
	uint32_t	 id;
	uint32_t	 len[WIRE_STRS];
	int32_t		 hold;
	int32_t		 keep_code;
	int32_t		 has_route;
	int64_t		 now;
	int64_t		 deadline;
	pac_resolve_fn	 resolve;
};

/* The caller's side. */
static struct {
	pid_t		 pid;		/* 0: none runs */
	int		 ctl;		/* -1 with none */
	unsigned	 gen;		/* which server: a child names its own */
	uint32_t	 next;		/* the last job's id */
	int		 wanted;	/* opened and not closed: restart it */
	pacsrv_run_fn	 run;
	void		 (*forget)(const void *);
	const void	*arg;
	char		 why[128];	/* how the last one ended */
} srv = { 0, -1, 0, 0, 0, NULL, NULL, NULL, "" };

/* The server's side: its children. */
struct sjob {
	uint32_t	 id;
	pid_t		 pid;
	int		 afd;		/* the answer's pipe: the trailer */
	int		 dfd;		/* EOF once the child has ended */
	int64_t		 until;		/* killed then whatever the caller does */
};
static struct sjob *jobs;
static size_t njobs, capjobs;

static void
close_span(int lo, int hi)
{
	long max;
	int fd;

	if (hi < lo)
		return;
#ifdef PAC_CLOSE_RANGE
	if (close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		return;
#endif
#ifdef PAC_CLOSEFROM
	if (hi == INT_MAX) {
		closefrom(lo);
		return;
	}
#endif
	/* Past FD_SCAN_MAX a descriptor stays: one by one, a limit of a
	 * million would cost a stdio run 100 ms. */
	if ((max = sysconf(_SC_OPEN_MAX)) < 0 || max > FD_SCAN_MAX)
		max = FD_SCAN_MAX;
	if (hi > max - 1)
		hi = (int)max - 1;
	for (fd = lo; fd <= hi; fd++)
		(void)close(fd);
}

void
pac_close_others(const int *keep, size_t n)
{
	int k[16], t, lo = 0;
	size_t i, j, m = 0;

	for (i = 0; i < n && m < sizeof(k) / sizeof(k[0]); i++)
		if (keep[i] >= 0)
			k[m++] = keep[i];
	for (i = 1; i < m; i++)
		for (j = i; j > 0 && k[j - 1] > k[j]; j--) {
			t = k[j];
			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (i = 0; i < m; i++) {
		close_span(lo, k[i] - 1);
		if (k[i] + 1 > lo)
			lo = k[i] + 1;
	}
	close_span(lo, INT_MAX);
}

/* ------------------------------------------------------------------ */
/* The server. */

/* "Z" and the status, or "E" and why, then a NUL: see the top. */
__attribute__((format(printf, 2, 3)))
static void
trailer(int afd, const char *fmt, ...)
{
	char t[TRAILER_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(t))
		return;
	/* EPIPE when the caller stopped reading: SIGPIPE is ignored. */
	(void)write(afd, t, (size_t)n + 1);
}

/* Job i's child ended (or is to, with kill_it): reaped and said. */
static void
job_end(size_t i, int kill_it)
{
	struct sjob *sj = &jobs[i];
	int st = 0;

	if (kill_it)
		(void)kill(sj->pid, SIGKILL);
	while (waitpid(sj->pid, &st, 0) == -1 && errno == EINTR)
		;
	trailer(sj->afd, "Z%d", st);
	close(sj->afd);
	close(sj->dfd);
	jobs[i] = jobs[--njobs];
}

/* Fork j's child, with afd, go and the end of a pipe that tells its end. */
static void
job_start(const struct pac_job *j, uint32_t id, int afd, int go)
{
	struct sjob *nj;
	int d[2] = { -1, -1 };
	pid_t pid = -1;

	if (njobs == capjobs) {
		if ((nj = realloc(jobs, (capjobs * 2 + 8) * sizeof(*nj))) ==
		    NULL) {
			trailer(afd, "Eout of memory");
			goto fail;
		}
		jobs = nj;
		capjobs = capjobs * 2 + 8;
	}
	if (compat_pipe(d, 0) == -1 || (pid = fork()) == -1) {
		trailer(afd, "E%s: %s", d[0] == -1 ? "pipe" : "fork",
		    strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int keep[] = { 0, 1, 2, afd, go, d[1] };

		pac_close_others(keep, sizeof(keep) / sizeof(keep[0]));
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		srv.run(j, afd, go);
		_exit(1);
	}
	close(d[1]);
	if (go != -1)
		close(go);
	jobs[njobs].id = id;
	jobs[njobs].pid = pid;
	jobs[njobs].afd = afd;
	jobs[njobs].dfd = d[0];
	jobs[njobs].until = j->deadline + GRACE_MS;
	njobs++;
	return;
fail:
	if (d[0] != -1) {
		close(d[0]);
		close(d[1]);
	}
	close(afd);
	if (go != -1)
		close(go);
}

/*
 * Bytes of a message, through EINTR, and the descriptors that came with
 * them into fds (up to 2; *nfds counts them, others are closed).  0, or
 * -1 at the end of the socketpair or on an error.
 */
static int
recv_all(int ctl, void *p, size_t len, int fds[2], size_t *nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct cmsghdr *c;
	struct msghdr msg;
	struct iovec iov;
	size_t got = 0, i, k;
	ssize_t n;
	int fd;

	while (got < len) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = (char *)p + got;
		iov.iov_len = len - got;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		if ((n = recvmsg(ctl, &msg, 0)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (i = 0; i < k; i++) {
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int),
				    sizeof(fd));
				if (*nfds < 2)
					fds[(*nfds)++] = fd;
				else
					close(fd);
			}
		}
	}
	return 0;
}

/* The job of w whose strings are body: checked, then started. */
static int
job_take(const struct wire *w, char *body, size_t len, int fds[2],
    size_t nfds)
{
	const char *s[WIRE_STRS];
	struct pac_job j;
	size_t off = 0, i;

	if (nfds != (w->hold ? 2U : 1U))
		return -1;
	for (i = 0; i < WIRE_STRS; i++) {
		if (w->len[i] >= len - off || body[off + w->len[i]] != '\0')
			return -1;
		s[i] = body + off;
		off += w->len[i] + 1;
	}
	memset(&j, 0, sizeof(j));
	j.script = s[0];
	j.len = w->len[0];
	j.name = s[1];
	j.url = s[2];
	j.host = s[3];
	j.route = w->has_route ? s[4] : NULL;
	j.now = w->now;
	j.deadline = w->deadline;
	j.resolve = w->resolve;
	j.keep_code = w->keep_code;
	job_start(&j, w->id, fds[0], w->hold ? fds[1] : -1);
	return 0;
}

/* One message from the caller: 0, or -1 to end (EOF, or garbled). */
static int
take(int ctl)
{
	struct wire w;
	int fds[2] = { -1, -1 };
	size_t nfds = 0, len = 0, i;
	char *body = NULL;
	int rc = -1;

	if (recv_all(ctl, &w, sizeof(w), fds, &nfds) == -1)
		goto out;
	if (w.op == WIRE_KILL) {
		for (i = 0; i < njobs; i++)
			if (jobs[i].id == w.id) {
				job_end(i, 1);
				break;
			}
		rc = 0;
		goto out;
	}
	for (i = 0; i < WIRE_STRS; i++)
		len += (size_t)w.len[i] + 1;
	if (w.op != WIRE_JOB || len > WIRE_BODY_MAX ||
	    (body = malloc(len)) == NULL ||
	    recv_all(ctl, body, len, fds, &nfds) == -1)
		goto out;
	if ((rc = job_take(&w, body, len, fds, nfds)) == 0)
		nfds = 0;	/* the job's now, closed or not */
out:
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	free(body);
	return rc;
}

/* ms until the first child's own deadline, -1 for none. */
static int
next_timeout(void)
{
	int64_t first = INT64_MAX, left;
	size_t i;

	for (i = 0; i < njobs; i++)
		if (jobs[i].until < first)
			first = jobs[i].until;
	if (first == INT64_MAX)
		return -1;
	left = first - now_ms();
	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/* Until the caller closes its end: its jobs, and the children's ends. */
static void
serve_loop(int ctl)
{
	struct pollfd *pfd = NULL, *np;
	size_t cap = 0, i;
	int64_t now;

	for (;;) {
		if (cap < njobs + 1) {
			if ((np = realloc(pfd, (njobs + 1) * sizeof(*np))) ==
			    NULL)
				break;
			pfd = np;
			cap = njobs + 1;
		}
		pfd[0].fd = ctl;
		for (i = 0; i < njobs; i++)
			pfd[1 + i].fd = jobs[i].dfd;
		for (i = 0; i <= njobs; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, njobs + 1, next_timeout()) == -1 &&
		    errno != EINTR)
			break;
		/* Backwards: job_end() moves the last job into i. */
		now = now_ms();
		for (i = njobs; i-- > 0;)
			if (pfd[1 + i].revents != 0 || now >= jobs[i].until)
				job_end(i, pfd[1 + i].revents == 0);
		if (pfd[0].revents != 0 && take(ctl) == -1)
			break;
	}
	free(pfd);
}

/* The server's process: clean, then its loop; it never returns. */
__attribute__((noreturn))
static void
serve(int ctl)
{
	int keep[] = { 0, 1, 2, ctl }, null;

	if (srv.forget != NULL)
		srv.forget(srv.arg);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
	pac_close_others(keep, sizeof(keep) / sizeof(keep[0]));
	/* The terminal's ^C and hangup are the caller's to act on: it ends
	 * the server by closing the socketpair.  A kill ends it at once. */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	srv.pid = 0;
	srv.ctl = -1;
	serve_loop(ctl);
	while (njobs > 0)
		job_end(njobs - 1, 1);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The caller's side. */

static int
spawn(char *err, size_t errlen)
{
	int sv[2], fl, one = 1;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(stderr);
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		serve(sv[1]);
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	if ((fl = fcntl(sv[0], F_GETFL)) != -1)
		(void)fcntl(sv[0], F_SETFL, fl | O_NONBLOCK);
#ifdef SO_NOSIGPIPE
	(void)setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
	(void)one;
	srv.pid = pid;
	srv.ctl = sv[0];
	srv.gen++;
	log_trace(2, "PAC: evaluator server %ld started", (long)pid);
	return 0;
}

/* The server has ended, or is ended now: reaped, and how it went said
 * in srv.why. */
static void
reap_server(void)
{
	int st = 0;
	pid_t r;

	if (srv.pid == 0)
		return;
	close(srv.ctl);
	srv.ctl = -1;
	if ((r = waitpid(srv.pid, &st, WNOHANG)) == 0) {
		(void)kill(srv.pid, SIGKILL);
		while ((r = waitpid(srv.pid, &st, 0)) == -1 && errno == EINTR)
			;
	}
	if (r == -1)
		snprintf(srv.why, sizeof(srv.why), "lost");
	else if (WIFSIGNALED(st))
		snprintf(srv.why, sizeof(srv.why), "signal %d", WTERMSIG(st));
	else
		snprintf(srv.why, sizeof(srv.why), "status %d",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	log_trace(1, "PAC: evaluator server %ld ended (%s)", (long)srv.pid,
	    srv.why);
	srv.pid = 0;
}

int
pacsrv_open(pacsrv_run_fn run, void (*forget)(const void *),
    const void *arg, char *err, size_t errlen)
{
	if (srv.pid != 0)
		return 0;
	srv.run = run;
	srv.forget = forget;
	srv.arg = arg;
	if (spawn(err, errlen) == -1)
		return -1;
	srv.wanted = 1;
	return 0;
}

void
pacsrv_close(void)
{
	int st;

	srv.wanted = 0;
	if (srv.pid == 0)
		return;
	/* The end of the socketpair: the server kills its children, reaps
	 * them and exits. */
	close(srv.ctl);
	srv.ctl = -1;
	while (waitpid(srv.pid, &st, 0) == -1 && errno == EINTR)
		;
	srv.pid = 0;
	srv.gen++;
}

pid_t
pacsrv_pid(void)
{
	return srv.pid;
}

/* Whether the server runs; one that has ended is reaped. */
static int
alive(void)
{
	char c;
	ssize_t n;

	if (srv.pid == 0)
		return 0;
	/* It never writes: readable means its end. */
	while ((n = recv(srv.ctl, &c, 1, MSG_PEEK)) == -1 && errno == EINTR)
		;
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 1;
	reap_server();
	return 0;
}

int
pacsrv_ready(void)
{
	char err[200];

	if (alive() || !srv.wanted)
		return srv.pid != 0;
	log_warn("PAC: the evaluator server ended (%s); starting another "
	    "from this process, which holds more than the first did",
	    srv.why);
	if (spawn(err, sizeof(err)) == -1) {
		log_warn("PAC: cannot start an evaluator server: %s", err);
		return 0;
	}
	return 1;
}

/* The whole of p to the server, with fds on its first byte: 0 or -1. */
static int
send_all(const void *p, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	int64_t until = now_ms() + SEND_MS, left;
	struct msghdr msg;
	struct pollfd pl;
	struct iovec iov;
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = (char *)(uintptr_t)p + off;
		iov.iov_len = len - off;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (off == 0 && nfds > 0) {
			memset(&cm, 0, sizeof(cm));
			msg.msg_control = cm.buf;
			msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
			cm.hdr.cmsg_level = SOL_SOCKET;
			cm.hdr.cmsg_type = SCM_RIGHTS;
			cm.hdr.cmsg_len = CMSG_LEN(nfds * sizeof(int));
			memcpy(CMSG_DATA(&cm.hdr), fds, nfds * sizeof(int));
		}
		if ((n = sendmsg(srv.ctl, &msg, COMPAT_NOSIGNAL)) > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    (left = until - now_ms()) > 0) {
			pl.fd = srv.ctl;
			pl.events = POLLOUT;
			(void)poll(&pl, 1, (int)left);
			continue;
		}
		return -1;
	}
	return 0;
}

/* A message that did not go whole leaves the stream out of step: the
 * server is ended, and a job's caller fails. */
static int
send_or_end(const void *p, size_t len, const int *fds, size_t nfds,
    char *err, size_t errlen)
{
	if (send_all(p, len, fds, nfds) == 0)
		return 0;
	reap_server();	/* killed first unless it has ended */
	snprintf(err, errlen, "the PAC evaluator server ended (%s)", srv.why);
	return -1;
}

int
pacsrv_send(const struct pac_job *j, int fd, int go, struct pac_child *pc,
    char *err, size_t errlen)
{
	const char *s[WIRE_STRS] = { j->script, j->name, j->url, j->host,
	    j->route != NULL ? j->route : "" };
	size_t n[WIRE_STRS], len = sizeof(struct wire), off, i;
	int fds[2] = { fd, go };
	struct wire w;
	char *msg;
	int rc;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < WIRE_STRS; i++) {
		n[i] = i == 0 ? j->len : s[i] != NULL ? strlen(s[i]) : 0;
		if (n[i] >= WIRE_BODY_MAX) {
			snprintf(err, errlen, "too long for the evaluator");
			return -1;
		}
		w.len[i] = (uint32_t)n[i];
		len += n[i] + 1;
	}
	if ((msg = malloc(len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (++srv.next == 0)
		srv.next = 1;
	w.op = WIRE_JOB;
	w.id = srv.next;
	w.hold = go != -1;
	w.keep_code = j->keep_code;
	w.has_route = j->route != NULL;
	w.now = j->now;
	w.deadline = j->deadline;
	w.resolve = j->resolve;
	memcpy(msg, &w, sizeof(w));
	for (i = 0, off = sizeof(w); i < WIRE_STRS; off += n[i++] + 1) {
		if (n[i] > 0)
			memcpy(msg + off, s[i], n[i]);
		msg[off + n[i]] = '\0';
	}
	rc = send_or_end(msg, len, fds, go != -1 ? 2 : 1, err, errlen);
	free(msg);
	if (rc == 0) {
		pc->job = w.id;
		pc->gen = srv.gen;
	}
	return rc;
}

void
pacsrv_kill(const struct pac_child *pc)
{
	struct wire w;
	char err[200];

	if (pc->job == 0 || pc->gen != srv.gen || srv.pid == 0)
		return;
	memset(&w, 0, sizeof(w));
	w.op = WIRE_KILL;
	w.id = pc->job;
	(void)send_or_end(&w, sizeof(w), NULL, 0, err, sizeof(err));
}

int
pacsrv_gone(const struct pac_child *pc, char *out, size_t outlen)
{
	if (pc->gen == srv.gen && alive())
		return 0;
	snprintf(out, outlen, "the PAC evaluator server ended (%s)",
	    srv.why[0] != '\0' ? srv.why : "closed");
	return 1;
}

int
pacsrv_fd(const struct pac_child *pc)
{
	return pc->job != 0 && pc->gen == srv.gen ? srv.ctl : -1;
}
