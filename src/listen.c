/*
 * The listener: postern -L [ADDR:]PORT [HOST PORT].
 *
 * One process per accepted connection, the inetd/sshd way, rather than one
 * event loop over every tunnel.  The reasons, in order of weight:
 *
 * - Reuse: a child runs exactly the code path of a stdio postern,
 *   tunnel_open() and then relay_run() on the client's socket, so every
 *   proxy, chain, TLS layer and authentication scheme works the same
 *   here, and the handshake (which blocks, with prompts, DNS and Kerberos
 *   calls that have no non-blocking form) needs no second, asynchronous
 *   version.  The relay keeps its static buffers: one relay per process.
 * - Isolation: a tunnel that fails, stalls in getaddrinfo() or trips on
 *   a hostile proxy's reply ends one process.  The listener itself only
 *   accepts, forks and reaps, and parses nothing a peer sends.
 * - Resources: what a tunnel held goes back to the system when its
 *   process exits, so fd and memory growth in the long-running listener
 *   would need a bug in the few lines below, not in the whole handshake.
 *
 * The cost is a fork per tunnel and a process per open tunnel, small
 * next to a TLS handshake with a proxy; the relay's buffers are BSS,
 * touched only as used.  Secrets are resolved before the first fork
 * (a password is asked once), and the children inherit them.
 *
 * Over --max-tunnels the listener stops accepting until a child ends:
 * new connections wait in the kernel's backlog.  SIGCHLD, SIGTERM and
 * SIGINT reach the loop through a pipe, so that none is lost between
 * a check and poll().
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "exitcodes.h"
#include "listen.h"
#include "log.h"
#include "proxyurl.h"
#include "relay.h"
#include "request.h"
#include "util.h"

#define LISTEN_BACKLOG	128
#define SYSTEMD_FD	3		/* SD_LISTEN_FDS_START */
#define REQ_PEEK_MAX	4096		/* request bytes looked at a time */
#define DRAIN_MAX	(64 * 1024)	/* read past after an error reply */
#define DRAIN_MS	1000
#define PEER_MAX	(INET6_ADDRSTRLEN + 8)
#define REPLY_MAX	2048		/* an error reply, with its reason */

static volatile sig_atomic_t got_stop, got_child;
static int sigpipe_fds[2] = { -1, -1 };

/* One tunnel, as the child sees it. */
struct conn {
	int		 fd;
	char		 peer[PEER_MAX];
	char		 target[AUTHORITY_MAX];
	int64_t		 start;
	int		 status;	/* HTTP status told to the client */
};

int
listen_parse(const char *arg, struct listen_cfg *lc, const char **why)
{
	const char *colon, *port = arg;
	unsigned char a[16];
	unsigned long n;
	size_t alen;

	if (strcmp(arg, "systemd") == 0) {
		lc->systemd = 1;
		return 0;
	}
	snprintf(lc->addr, sizeof(lc->addr), "127.0.0.1");
	lc->family = AF_INET;
	if ((colon = strrchr(arg, ':')) != NULL) {
		port = colon + 1;
		alen = (size_t)(colon - arg);
		if (alen >= 2 && arg[0] == '[' && arg[alen - 1] == ']') {
			arg++;
			alen -= 2;
			lc->family = AF_INET6;
		}
		if (alen == 0 || alen >= sizeof(lc->addr)) {
			*why = "invalid address";
			return -1;
		}
		memcpy(lc->addr, arg, alen);
		lc->addr[alen] = '\0';
		if (lc->family == AF_INET && strcmp(lc->addr, "localhost") == 0)
			snprintf(lc->addr, sizeof(lc->addr), "127.0.0.1");
		if (inet_pton(lc->family, lc->addr, a) != 1) {
			*why = lc->family == AF_INET6 ? "invalid IPv6 address" :
			    "not an IPv4 address, [IPv6] or localhost";
			return -1;
		}
	}
	if (parse_uint(port, 1, 65535, &n) == -1) {
		*why = "invalid port (a number from 1 to 65535)";
		return -1;
	}
	lc->port = (unsigned)n;
	return 0;
}

/* One --allow entry: ADDR or ADDR/BITS. */
static int
allow_entry_valid(const char *e, size_t elen)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = memchr(e, '/', elen);
	size_t alen = slash ? (size_t)(slash - e) : elen;
	unsigned char a[16];
	unsigned long bits;
	int af;

	if (alen == 0 || alen >= sizeof(addr))
		return 0;
	memcpy(addr, e, alen);
	addr[alen] = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, a) != 1)
		return 0;
	if (slash == NULL)
		return 1;
	if (elen - alen - 1 >= sizeof(addr))
		return 0;
	memcpy(addr, slash + 1, elen - alen - 1);
	addr[elen - alen - 1] = '\0';
	return parse_uint(addr, 0, af == AF_INET6 ? 128 : 32, &bits) == 0;
}

int
listen_allow_valid(const char *list, char *bad, size_t badlen)
{
	const char *p = list, *e;
	size_t elen;

	while (*p != '\0') {
		p += strspn(p, ",");
		e = p;
		p += strcspn(p, ",");
		if ((elen = (size_t)(p - e)) == 0)
			continue;
		if (!allow_entry_valid(e, elen)) {
			show_text(bad, badlen, e, elen);
			return -1;
		}
	}
	return 0;
}

static void
on_signal(int sig)
{
	int save_errno = errno;
	char c = 0;

	if (sig == SIGCHLD)
		got_child = 1;
	else
		got_stop = 1;
	(void)write(sigpipe_fds[1], &c, 1);
	errno = save_errno;
}

static void
set_signals(void (*fn)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

/* The address of a socket in words ("127.0.0.1:5000", "[::1]:22"); an
 * IPv4-mapped IPv6 address as the IPv4 one, for --allow. */
static void
sockaddr_text(const struct sockaddr_storage *ss, char *host, size_t hostlen,
    char *full, size_t fulllen)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;
	unsigned port;

	snprintf(host, hostlen, "?");
	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		(void)inet_ntop(AF_INET, s6->sin6_addr.s6_addr + 12, host,
		    (socklen_t)hostlen);
	else if (ss->ss_family == AF_INET6)
		(void)inet_ntop(AF_INET6, &s6->sin6_addr, host,
		    (socklen_t)hostlen);
	else if (ss->ss_family == AF_INET)
		(void)inet_ntop(AF_INET, &s4->sin_addr, host,
		    (socklen_t)hostlen);
	port = ntohs(ss->ss_family == AF_INET6 ? s6->sin6_port :
	    s4->sin_port);
	snprintf(full, fulllen, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
	    port);
}

static int
is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const void *)ss;
	const struct sockaddr_in *s4 = (const void *)ss;

	if (ss->ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	return ss->ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

/* The socket systemd passed (LISTEN_PID, LISTEN_FDS), or -1. */
static int
systemd_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	unsigned long p, n;

	if (pid == NULL || fds == NULL || parse_uint(pid, 1, INT_MAX,
	    &p) == -1 || (pid_t)p != getpid() || parse_uint(fds, 1, 64, &n) ==
	    -1) {
		log_error("-L systemd: no socket passed (LISTEN_PID and "
		    "LISTEN_FDS are not set for this process)");
		return -1;
	}
	if (n > 1)
		log_warn("-L systemd: %lu sockets passed; using the first", n);
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	if (fcntl(SYSTEMD_FD, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(SYSTEMD_FD, F_SETFL, fcntl(SYSTEMD_FD, F_GETFL) |
	    O_NONBLOCK) == -1) {
		log_error("-L systemd: fd %d: %s", SYSTEMD_FD, strerror(errno));
		return -1;
	}
	return SYSTEMD_FD;
}

static int
bind_socket(const struct listen_cfg *lc)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (void *)&ss;
	struct sockaddr_in *s4 = (void *)&ss;
	socklen_t sl;
	int fd, on = 1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)lc->family;
	if (lc->family == AF_INET6) {
		(void)inet_pton(AF_INET6, lc->addr, &s6->sin6_addr);
		s6->sin6_port = htons((uint16_t)lc->port);
		sl = sizeof(*s6);
	} else {
		(void)inet_pton(AF_INET, lc->addr, &s4->sin_addr);
		s4->sin_port = htons((uint16_t)lc->port);
		sl = sizeof(*s4);
	}
	if ((fd = compat_socket(lc->family)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		log_error("cannot listen on %s%s%s:%u: %s", lc->family ==
		    AF_INET6 ? "[" : "", lc->addr, lc->family == AF_INET6 ?
		    "]" : "", lc->port, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/* The listening socket, bound or passed, and checked against --allow. */
static int
open_listener(const struct listen_cfg *lc, int *rc)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[PEER_MAX], full[PEER_MAX];
	int fd;

	*rc = EXIT_CONNECT;
	fd = lc->systemd ? systemd_socket() : bind_socket(lc);
	if (fd == -1)
		return -1;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		log_error("listening socket: %s", strerror(errno));
		close(fd);
		return -1;
	}
	sockaddr_text(&ss, host, sizeof(host), full, sizeof(full));
	if (!is_loopback(&ss) && lc->allow == NULL) {
		log_error("-L %s: listening on a non-loopback address needs "
		    "--allow CIDR[,CIDR...]", full);
		close(fd);
		*rc = EXIT_USAGE;
		return -1;
	}
	log_trace(1, "listening on %s%s", full, lc->forward ? "" :
	    " (CONNECT proxy)");
	return fd;
}

int
listen_check(const struct listen_cfg *lc, char *msg, size_t msglen)
{
	int fd, rc;

	if (lc->systemd) {
		snprintf(msg, msglen, "the socket comes from systemd: not "
		    "checked");
		return EXIT_OK;
	}
	if ((fd = open_listener(lc, &rc)) == -1) {
		snprintf(msg, msglen, "cannot be opened");
		return rc;
	}
	close(fd);
	snprintf(msg, msglen, "%s%s%s:%u can be bound; clients allowed: %s; "
	    "at most %lu tunnels at once; %s", lc->family == AF_INET6 ? "[" :
	    "", lc->addr, lc->family == AF_INET6 ? "]" : "", lc->port,
	    lc->allow != NULL ? lc->allow : "loopback only", lc->max_tunnels ?
	    lc->max_tunnels : (unsigned long)LISTEN_TUNNELS_DEFAULT,
	    lc->forward ? "forwarding to the target below" :
	    "a local CONNECT proxy");
	return EXIT_OK;
}

/*
 * A password is asked at most once per listener: for each proxy whose user
 * is known (-U, the URL, POSTERN_PROXY_USER), gather the credentials now,
 * before any fork, and keep them as that proxy's own.  A user that is not
 * known is looked up (netrc) by each tunnel when a 407 asks; the children
 * have no terminal to prompt on.
 */
static void
resolve_creds(struct tunnel_cfg *tc, struct cred_opts *co)
{
	const char *env = getenv("POSTERN_PROXY_USER");
	char where[256];
	struct proxy *p;
	struct cred c;
	size_t i;

	for (i = 0; i < tc->nhops; i++) {
		p = &tc->hops[i];
		if (p->user == NULL && (i > 0 || (co->user_arg == NULL &&
		    (env == NULL || *env == '\0'))))
			continue;
		if (creds_get(co, p, i, &c, where, sizeof(where)) == -1)
			continue;
		proxy_clear(p);
		p->user = c.user;
		p->pass = c.pass;
		if (i == 0)
			co->user_arg = NULL;
	}
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200:
		return "Connection established";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 504:
		return "Gateway Timeout";
	default:
		return "Bad Gateway";
	}
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = send(fd, p, n, COMPAT_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		p += r;
		n -= (size_t)r;
	}
}

/*
 * Tell the client why, then read past what it still sends for a moment:
 * closing with unread bytes would reset the connection and could lose
 * the reply before the client reads it.
 */
static void
reply_error(struct conn *k, int status, const char *why)
{
	char out[REPLY_MAX], junk[4096];
	int64_t end = now_ms() + DRAIN_MS, left;
	struct pollfd pfd = { k->fd, POLLIN, 0 };
	size_t total = 0;
	ssize_t r;
	int n;

	k->status = status;
	n = snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\n%sContent-Type: "
	    "text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
	    "%s\n", status, status_text(status), status == 405 ?
	    "Allow: CONNECT\r\n" : "", strlen(why) + 1, why);
	if (n < 0 || (size_t)n >= sizeof(out))
		return;
	send_all(k->fd, out, (size_t)n);
	(void)shutdown(k->fd, SHUT_WR);
	while (total < DRAIN_MAX && (left = end - now_ms()) > 0 &&
	    poll(&pfd, 1, (int)left) == 1) {
		if ((r = recv(k->fd, junk, sizeof(junk), 0)) <= 0)
			break;
		total += (size_t)r;
	}
}

/*
 * Read the client's request, no byte past its header: what follows is
 * the tunnel's, and stays in the socket for the relay.  REQ_MORE when the
 * client closed or sent nothing whole in time.
 */
static enum req_rc
read_request(struct conn *k, struct http_req *rq, int64_t timeout_ms)
{
	char buf[REQ_PEEK_MAX];
	int64_t end = now_ms() + timeout_ms, left;
	struct pollfd pfd = { k->fd, POLLIN, 0 };
	enum req_rc rc;
	size_t used;
	ssize_t n;

	request_init(rq);
	for (;;) {
		if ((left = end - now_ms()) <= 0 || poll(&pfd, 1,
		    (int)left) == 0) {
			log_error("%s: no request within the connect timeout",
			    k->peer);
			return REQ_MORE;
		}
		n = recv(k->fd, buf, sizeof(buf), MSG_PEEK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("%s: closed before a whole request%s%s",
			    k->peer, n == 0 ? "" : ": ", n == 0 ? "" :
			    strerror(errno));
			return REQ_MORE;
		}
		rc = request_feed(rq, buf, (size_t)n, &used);
		if (used > 0 && recv(k->fd, buf, used, 0) != (ssize_t)used)
			return REQ_MORE;
		if (rc != REQ_MORE)
			return rc;
	}
}

/* What the client of the local proxy is told when the tunnel failed. */
static int
fail_status(int rc, int64_t took_ms, int64_t timeout_ms)
{
	if ((rc == EXIT_CONNECT || rc == EXIT_TLS) && took_ms >= timeout_ms)
		return 504;
	return rc == EXIT_REFUSED ? 403 : 502;
}

/* The target from the client's request, and the proxies for it. */
static int
proxy_request(struct conn *k, const struct listen_cfg *lc,
    struct tunnel_cfg *tc)
{
	char shown[SHOW_BUF];
	struct http_req rq;
	enum req_rc rc;

	rc = read_request(k, &rq, tc->timeout_ms);
	if (rc == REQ_MORE)
		return -1;
	if (rc != REQ_DONE) {
		if (rc == REQ_METHOD)
			log_error("%s: method %s not allowed: only CONNECT",
			    k->peer, show_text(shown, sizeof(shown), rq.method,
			    strlen(rq.method)));
		else
			log_error("%s: bad request: %s%s%s", k->peer,
			    request_strerror(rc), rc == REQ_BAD_TARGET ? ": " :
			    "", rc == REQ_BAD_TARGET ?
			    target_strerror(rq.target_rc) : "");
		reply_error(k, rc == REQ_METHOD ? 405 : 400,
		    log_last_error());
		return -1;
	}
	tc->target = rq.target;
	(void)target_authority(&tc->target, k->target, sizeof(k->target));
	if (lc->no_proxy != NULL && noproxy_match(lc->no_proxy,
	    tc->target.host)) {
		log_trace(1, "no_proxy matches %s: connecting directly",
		    tc->target.host);
		tc->nhops = 0;
	}
	return 0;
}

/* -v: one line per tunnel, at its end. */
static void
log_tunnel(const struct conn *k, const struct tunnel_cfg *tc, int rc)
{
	char via[AUTHORITY_MAX + 32];
	uint64_t up, down;
	int64_t ms = now_ms() - k->start;

	if (tc->nhops == 0)
		snprintf(via, sizeof(via), "direct");
	else if (tc->nhops == 1)
		snprintf(via, sizeof(via), "%s", tc->hops[0].name);
	else
		snprintf(via, sizeof(via), "%s (+%zu)", tc->hops[0].name,
		    tc->nhops - 1);
	relay_bytes(&up, &down);
	log_trace(1, "tunnel %s -> %s via %s: %llu bytes up, %llu down, "
	    "%lld.%03lld s, status %d, exit %d", k->peer, k->target, via,
	    (unsigned long long)up, (unsigned long long)down,
	    (long long)(ms / 1000), (long long)(ms % 1000), k->status, rc);
}

/* One accepted connection, in its own process: the exit status. */
static int
serve(struct conn *k, const struct listen_cfg *lc, struct tunnel_cfg *tc)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	struct stream s;
	int rc, fl;

	k->start = now_ms();
	if ((fl = fcntl(k->fd, F_GETFL)) == -1 ||
	    fcntl(k->fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		return EXIT_IO;
	if (lc->forward)
		(void)target_authority(&tc->target, k->target,
		    sizeof(k->target));
	else if (proxy_request(k, lc, tc) == -1)
		return EXIT_USAGE;
	rc = tunnel_open(tc, &s);
	if (rc != EXIT_OK) {
		if (!lc->forward)
			reply_error(k, fail_status(rc, now_ms() - k->start,
			    tc->timeout_ms), log_last_error());
		log_tunnel(k, tc, rc);
		return rc;
	}
	if (!lc->forward) {
		send_all(k->fd, ok, sizeof(ok) - 1);
		k->status = 200;
	}
	if (fcntl(k->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		rc = EXIT_IO;
	else
		rc = relay_run(&s, &(struct relay_cfg){ .in_fd = k->fd,
		    .out_fd = k->fd, .half_close = 1, .idle_ms = lc->idle_ms });
	stream_close(&s);
	log_tunnel(k, tc, rc);
	return rc;
}

/* In the child, after fork: what belonged to the listener goes. */
__attribute__((noreturn))
static void
child(int lfd, struct conn *k, const struct listen_cfg *lc,
    struct tunnel_cfg *tc, const sigset_t *old)
{
	close(lfd);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	set_signals(SIG_DFL);
	(void)sigprocmask(SIG_SETMASK, old, NULL);
	/* No terminal: a child must never prompt (the listener asked). */
	(void)setsid();
	if (log_verbosity < 0)
		log_verbosity = LOG_SILENT;
	_exit(serve(k, lc, tc));
}

struct kids {
	pid_t		*pid;
	size_t		 max;
	size_t		 n;
};

static void
kids_reap(struct kids *kd, int block)
{
	pid_t pid;
	size_t i;
	int st;

	while (kd->n > 0) {
		pid = waitpid(-1, &st, block ? 0 : WNOHANG);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid <= 0)
			break;
		for (i = 0; i < kd->max; i++)
			if (kd->pid[i] == pid) {
				kd->pid[i] = 0;
				kd->n--;
				break;
			}
	}
}

static void
accept_one(int lfd, const struct listen_cfg *lc, struct tunnel_cfg *tc,
    struct kids *kd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[PEER_MAX];
	struct conn k;
	sigset_t block, old;
	pid_t pid;
	size_t i;

	memset(&k, 0, sizeof(k));
	if ((k.fd = accept(lfd, (struct sockaddr *)&ss, &sl)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_error("accept: %s", strerror(errno));
		return;
	}
	sockaddr_text(&ss, host, sizeof(host), k.peer, sizeof(k.peer));
	if (lc->allow != NULL && !noproxy_match(lc->allow, host)) {
		log_warn("%s: connection closed: not in --allow", k.peer);
		close(k.fd);
		return;
	}
	sigfillset(&block);
	(void)sigprocmask(SIG_BLOCK, &block, &old);
	if ((pid = fork()) == 0)
		child(lfd, &k, lc, tc, &old);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid == -1)
		log_error("%s: fork: %s", k.peer, strerror(errno));
	for (i = 0; pid > 0 && i < kd->max; i++)
		if (kd->pid[i] == 0) {
			kd->pid[i] = pid;
			kd->n++;
			break;
		}
	close(k.fd);
}

/* Stop: no more accepting, every tunnel ended, every child reaped. */
static void
kids_stop(struct kids *kd)
{
	size_t i;

	for (i = 0; i < kd->max; i++)
		if (kd->pid[i] > 0)
			(void)kill(kd->pid[i], SIGTERM);
	kids_reap(kd, 1);
}

static int
serve_loop(int lfd, const struct listen_cfg *lc, struct tunnel_cfg *tc,
    struct kids *kd)
{
	struct pollfd pfd[2];
	char drain[64];

	while (!got_stop) {
		kids_reap(kd, 0);
		pfd[0].fd = sigpipe_fds[0];
		pfd[0].events = POLLIN;
		/* At the cap, connections wait in the backlog. */
		pfd[1].fd = kd->n < kd->max ? lfd : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return EXIT_IO;
		}
		if (pfd[0].revents != 0)
			while (read(sigpipe_fds[0], drain, sizeof(drain)) > 0)
				;
		if (!got_stop && pfd[1].revents != 0)
			accept_one(lfd, lc, tc, kd);
	}
	return EXIT_OK;
}

int
listen_run(struct listen_cfg *lc, struct tunnel_cfg *tc,
    struct cred_opts *co)
{
	struct kids kd = { NULL, 0, 0 };
	int lfd, rc;

	if ((lfd = open_listener(lc, &rc)) == -1)
		return rc;
	resolve_creds(tc, co);
	kd.max = lc->max_tunnels;
	if ((kd.pid = calloc(kd.max, sizeof(*kd.pid))) == NULL ||
	    compat_pipe(sigpipe_fds, 1) == -1) {
		log_error("listener: %s", strerror(errno));
		free(kd.pid);
		close(lfd);
		return EXIT_IO;
	}
	set_signals(on_signal);
	rc = serve_loop(lfd, lc, tc, &kd);
	close(lfd);
	kids_stop(&kd);
	log_trace(1, "listener stopped");
	set_signals(SIG_DFL);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	free(kd.pid);
	return rc;
}
