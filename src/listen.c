/*
 * The listener: postern -L [ADDR:]PORT [HOST PORT].
 *
 * One process and one event loop for every tunnel, rather than a process
 * per accepted connection (the inetd/sshd way).  A process per tunnel
 * was the first design here; it cost a fork() per tunnel and 86 KB of
 * memory per open one, more than socat's own fork per connection, and a
 * listener exists to be cheaper than starting a tool per connection.
 *
 * The loop reuses the stdio code path rather than copying it: a tunnel
 * here is the same handshake (tunnel_begin/tunnel_step) and the same
 * relay (relay_plan/relay_step) as a stdio run, which drives them one at
 * a time through the same steps.  Each step returns what it waits for (a
 * struct waitset) and never blocks, so one poll() serves them all; the
 * proxy's name is looked up in a thread (net.c).  What still blocks the
 * loop, briefly, has no non-blocking form: a password prompt (at most
 * once: the credentials are kept), and a Kerberos call for Negotiate.
 *
 * Isolation is the price: a tunnel's failure ends that tunnel, but a bug
 * that crashes one would end them all.  What a peer sends is read only
 * by the request and reply parsers, which are bounded, unit-tested and
 * fuzzed.  Resources: a tunnel's descriptors, buffers and pipes are
 * freed with it (tests count the listener's fds over 500 tunnels), and
 * an idle tunnel holds no buffer and no pipe.
 *
 * Over --max-tunnels the listener stops accepting until a tunnel ends:
 * new connections wait in the kernel's backlog, as they do while the
 * process is out of descriptors.  SIGTERM and SIGINT reach the loop
 * through a pipe, so that none is lost between a check and poll().
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
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
#include "pacrun.h"
#include "proxyurl.h"
#include "relay.h"
#include "request.h"
#include "util.h"
#include "waitset.h"

#define LISTEN_BACKLOG	128
#define SYSTEMD_FD	3		/* SD_LISTEN_FDS_START */
#define REQ_PEEK_MAX	4096		/* request bytes looked at a time */
#define DRAIN_MAX	(64 * 1024)	/* read past after an error reply */
#define DRAIN_MS	1000
#define PEER_MAX	(INET6_ADDRSTRLEN + 8)
#define REPLY_MAX	2048		/* an error reply, with its reason */
#define FDS_PER_TUNNEL	6		/* client, proxy, two pipes */
#define FDS_SPARE	64		/* for the listener's own */
#define ACCEPT_RETRY_MS	250		/* after accept() ran out of fds */

static volatile sig_atomic_t got_stop;
static int sigpipe_fds[2] = { -1, -1 };

/*
 * One tunnel, through its states: the client's request (proxy mode), the
 * handshake upstream, our reply to the client (proxy mode), the relay; or
 * after an error reply, reading past what the client still sends.
 */
enum cstate { C_REQUEST, C_TUNNEL, C_REPLY, C_RELAY, C_DRAIN, C_OVER };

struct conn {
	int		 fd;
	enum cstate	 state;
	char		 peer[PEER_MAX];
	char		 target[AUTHORITY_MAX];
	int64_t		 start;
	int64_t		 until;		/* of the request, reply or drain */
	int		 status;	/* HTTP status told to the client */
	int		 rc;		/* the tunnel's exit class */
	struct tunnel_cfg tc;		/* the listener's, with this target */
	struct http_req	*rq;		/* C_REQUEST */
	const struct handshake *h;	/* C_TUNNEL: the handshake */
	void		*hs;
	char		 via[AUTHORITY_MAX + 8];	/* a PAC's choice */
	struct stream	 s;		/* the tunnel, once made */
	int		 have_s;
	struct relay	*r;		/* C_RELAY */
	int		 planned;	/* the relay waits on its plan */
	char		*out;		/* C_REPLY: what is left to send */
	size_t		 outlen;
	int		 out_ok;	/* it is the 200 */
	size_t		 drained;
	uint64_t	 up, down;	/* bytes, once the relay is over */
	struct waitset	 ws;		/* what the state waits for */
	int		 waiting;	/* this step set ws */
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

	(void)sig;
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
 * is known (-U, the URL, POSTERN_PROXY_USER), gather the credentials now;
 * for one whose user is not (or that a PAC names), the first 407 finds
 * them (netrc, or a prompt on the terminal) and the process keeps them
 * for every later tunnel (tunnel_cfg.keep_creds), until it exits.
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
	tc->keep_creds = 1;
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

/* Wait for fd's events until the time given (none: -1). */
static void
conn_wait(struct conn *k, short events, int64_t until)
{
	waitset_clear(&k->ws);
	(void)waitset_add(&k->ws, k->fd, events);
	k->ws.until = until;
	k->waiting = 1;
}

/*
 * Tell the client why: then C_REPLY sends it, and C_DRAIN reads past
 * what the client still sends for a moment, since closing with unread
 * bytes would reset the connection and could lose the reply before the
 * client reads it.
 */
static void
reply_error(struct conn *k, int status, const char *why)
{
	char out[REPLY_MAX];
	int n;

	k->status = status;
	n = snprintf(out, sizeof(out), "HTTP/1.1 %d %s\r\n%sContent-Type: "
	    "text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n"
	    "%s\n", status, status_text(status), status == 405 ?
	    "Allow: CONNECT\r\n" : "", strlen(why) + 1, why);
	if (n < 0 || (size_t)n >= sizeof(out) ||
	    (k->out = malloc((size_t)n)) == NULL) {
		k->state = C_OVER;
		return;
	}
	memcpy(k->out, out, (size_t)n);
	k->outlen = (size_t)n;
	k->out_ok = 0;
	k->state = C_REPLY;
	k->until = now_ms() + DRAIN_MS;
}

static void
reply_ok(struct conn *k)
{
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";

	if ((k->out = malloc(sizeof(ok) - 1)) == NULL) {
		k->state = C_OVER;
		return;
	}
	memcpy(k->out, ok, sizeof(ok) - 1);
	k->outlen = sizeof(ok) - 1;
	k->out_ok = 1;
	k->status = 200;
	k->state = C_REPLY;
	k->until = now_ms() + k->tc.timeout_ms;
}

/* What the client of the local proxy is told when the tunnel failed. */
static int
fail_status(int rc, int64_t took_ms, int64_t timeout_ms)
{
	if ((rc == EXIT_CONNECT || rc == EXIT_TLS) && took_ms >= timeout_ms)
		return 504;
	return rc == EXIT_REFUSED ? 403 : 502;
}

/*
 * A tunnel's handshake: through the proxies given, or those a PAC chooses
 * for its target, the same steps in either case; chosen once, at start.
 */
struct handshake {
	void		*(*begin)(const struct listen_cfg *, struct conn *);
	int		 (*step)(void *, struct waitset *);
	void		 (*end)(void *);
	const char	*(*via)(const void *);	/* the PAC's entry */
};

static void *
proxy_begin(const struct listen_cfg *lc, struct conn *k)
{
	(void)lc;
	return tunnel_begin(&k->tc, &k->s, &k->rc);
}

static int
proxy_step(void *hs, struct waitset *ws)
{
	return tunnel_step(hs, ws);
}

static void
proxy_end(void *hs)
{
	tunnel_end(hs);
}

static void *
pac_begin(const struct listen_cfg *lc, struct conn *k)
{
	return pac_run_begin(lc->pac, &k->tc, &k->s, &k->rc);
}

static int
pac_step(void *hs, struct waitset *ws)
{
	return pac_run_step(hs, ws);
}

static void
pac_end(void *hs)
{
	pac_run_end(hs);
}

static const char *
pac_via(const void *hs)
{
	return pac_run_via(hs);
}

static const struct handshake by_proxy = { proxy_begin, proxy_step,
	proxy_end, NULL };
static const struct handshake by_pac = { pac_begin, pac_step, pac_end,
	pac_via };

static const struct handshake *
handshake_of(const struct listen_cfg *lc)
{
	return lc->pac != NULL ? &by_pac : &by_proxy;
}

/* The handshake upstream begins, for k->tc's target: 0, or -1 with
 * k->rc after saying why. */
static int
tunnel_go(struct conn *k, const struct listen_cfg *lc)
{
	(void)target_authority(&k->tc.target, k->target, sizeof(k->target));
	k->h = handshake_of(lc);
	if ((k->hs = k->h->begin(lc, k)) == NULL)
		return -1;
	k->have_s = 1;
	k->state = C_TUNNEL;
	return 0;
}

/* A whole request: its target, and the proxies for it. */
static void
request_done(struct conn *k, const struct listen_cfg *lc, enum req_rc rc)
{
	char shown[SHOW_BUF];
	struct http_req *rq = k->rq;

	if (rc != REQ_DONE) {
		if (rc == REQ_METHOD)
			log_error("%s: method %s not allowed: only CONNECT",
			    k->peer, show_text(shown, sizeof(shown), rq->method,
			    strlen(rq->method)));
		else
			log_error("%s: bad request: %s%s%s", k->peer,
			    request_strerror(rc), rc == REQ_BAD_TARGET ? ": " :
			    "", rc == REQ_BAD_TARGET ?
			    target_strerror(rq->target_rc) : "");
		reply_error(k, rc == REQ_METHOD ? 405 : 400,
		    log_last_error());
		return;
	}
	k->tc.target = rq->target;
	if (lc->no_proxy != NULL && noproxy_match(lc->no_proxy,
	    k->tc.target.host)) {
		log_trace(1, "no_proxy matches %s: connecting directly",
		    k->tc.target.host);
		k->tc.nhops = 0;
	}
	if (tunnel_go(k, lc) == -1)
		reply_error(k, fail_status(k->rc, 0, 1), log_last_error());
}

/*
 * Read the client's request, no byte past its header: what follows is
 * the tunnel's, and stays in the socket for the relay.
 */
static void
do_request(struct conn *k, const struct listen_cfg *lc)
{
	char buf[REQ_PEEK_MAX];
	enum req_rc rc;
	size_t used;
	ssize_t n;

	for (;;) {
		n = recv(k->fd, buf, sizeof(buf), MSG_PEEK);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (now_ms() < k->until) {
				conn_wait(k, POLLIN, k->until);
				return;
			}
			log_error("%s: no request within the connect timeout",
			    k->peer);
			k->state = C_OVER;
			return;
		}
		if (n <= 0) {
			log_error("%s: closed before a whole request%s%s",
			    k->peer, n == 0 ? "" : ": ", n == 0 ? "" :
			    strerror(errno));
			k->state = C_OVER;
			return;
		}
		rc = request_feed(k->rq, buf, (size_t)n, &used);
		if (used > 0 && recv(k->fd, buf, used, 0) != (ssize_t)used) {
			k->state = C_OVER;
			return;
		}
		if (rc != REQ_MORE)
			break;
	}
	request_done(k, lc, rc);
	free(k->rq);
	k->rq = NULL;
}

static void
do_tunnel(struct conn *k, const struct listen_cfg *lc)
{
	const struct handshake *h = k->h;
	int rc;

	if ((rc = h->step(k->hs, &k->ws)) == TUNNEL_AGAIN) {
		k->waiting = 1;
		return;
	}
	if (h->via != NULL && h->via(k->hs) != NULL)
		snprintf(k->via, sizeof(k->via), "%s (PAC)", h->via(k->hs));
	h->end(k->hs);
	k->hs = NULL;
	k->rc = rc;
	if (rc != EXIT_OK) {
		k->have_s = 0;
		if (lc->forward)
			k->state = C_OVER;
		else
			reply_error(k, fail_status(rc, now_ms() - k->start,
			    k->tc.timeout_ms), log_last_error());
		return;
	}
	if (!lc->forward) {
		reply_ok(k);
		return;
	}
	k->state = C_RELAY;
}

/* Our reply to the client, as much as it takes now. */
static void
do_reply(struct conn *k)
{
	ssize_t n;

	while (k->outlen > 0) {
		n = send(k->fd, k->out, k->outlen, COMPAT_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    now_ms() < k->until) {
			conn_wait(k, POLLOUT, k->until);
			return;
		}
		if (n <= 0) {
			k->state = C_OVER;
			return;
		}
		memmove(k->out, k->out + n, k->outlen - (size_t)n);
		k->outlen -= (size_t)n;
	}
	free(k->out);
	k->out = NULL;
	if (k->out_ok) {
		k->state = C_RELAY;
		return;
	}
	(void)shutdown(k->fd, SHUT_WR);
	k->state = C_DRAIN;
	k->until = now_ms() + DRAIN_MS;
}

static void
do_drain(struct conn *k)
{
	char junk[4096];
	ssize_t n;

	while (k->drained < DRAIN_MAX) {
		n = recv(k->fd, junk, sizeof(junk), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    now_ms() < k->until) {
			conn_wait(k, POLLIN, k->until);
			return;
		}
		if (n <= 0)
			break;
		k->drained += (size_t)n;
	}
	k->state = C_OVER;
}

static void
do_relay(struct conn *k, const struct listen_cfg *lc)
{
	int rc = RELAY_AGAIN;

	if (k->r == NULL && (k->r = relay_new(&k->s, &(struct relay_cfg){
	    .in_fd = k->fd, .out_fd = k->fd, .half_close = 1,
	    .idle_ms = lc->idle_ms })) == NULL) {
		k->rc = EXIT_IO;
		k->state = C_OVER;
		return;
	}
	/* A plan that needs no poll() (more is waiting, as in a bulk
	 * transfer) is stepped at once; the relay itself says when it has
	 * gone on long enough without one. */
	do {
		if (k->planned)
			rc = relay_step(k->r, &k->ws);
		if (rc == RELAY_AGAIN)
			rc = relay_plan(k->r, &k->ws);
		k->planned = rc == RELAY_AGAIN;
	} while (k->planned && k->ws.n == 0);
	k->waiting = k->planned;
	if (rc != RELAY_AGAIN) {
		k->rc = rc;
		k->state = C_OVER;
	}
}

/* -v: one line per tunnel, at its end. */
static void
log_tunnel(const struct conn *k)
{
	const struct tunnel_cfg *tc = &k->tc;
	char via[AUTHORITY_MAX + 32];
	int64_t ms = now_ms() - k->start;

	if (k->via[0] != '\0')
		snprintf(via, sizeof(via), "%s", k->via);
	else if (k->h != NULL && k->h->via != NULL)
		snprintf(via, sizeof(via), "the PAC");
	else if (tc->nhops == 0)
		snprintf(via, sizeof(via), "direct");
	else if (tc->nhops == 1)
		snprintf(via, sizeof(via), "%s", tc->hops[0].name);
	else
		snprintf(via, sizeof(via), "%s (+%zu)", tc->hops[0].name,
		    tc->nhops - 1);
	log_trace(1, "tunnel %s -> %s via %s: %llu bytes up, %llu down, "
	    "%lld.%03lld s, status %d, exit %d", k->peer, k->target[0] ?
	    k->target : "?", via, (unsigned long long)k->up,
	    (unsigned long long)k->down, (long long)(ms / 1000),
	    (long long)(ms % 1000), k->status, k->rc);
}

/* Run k until it must wait, or is over.  -q: a tunnel says nothing. */
static void
conn_run(struct conn *k, const struct listen_cfg *lc)
{
	int verbosity = log_verbosity;

	if (log_verbosity < 0)
		log_verbosity = LOG_SILENT;
	/* ws keeps its revents for the step (the relay's) that wants them,
	 * until a state sets it again. */
	k->waiting = 0;
	for (;;) {
		switch (k->state) {
		case C_REQUEST:
			do_request(k, lc);
			break;
		case C_TUNNEL:
			do_tunnel(k, lc);
			break;
		case C_REPLY:
			do_reply(k);
			break;
		case C_RELAY:
			do_relay(k, lc);
			break;
		case C_DRAIN:
			do_drain(k);
			break;
		case C_OVER:
			break;
		}
		if (k->state == C_OVER || k->waiting)
			break;
	}
	if (k->state == C_OVER) {
		if (k->r != NULL)
			relay_bytes(k->r, &k->up, &k->down);
		log_tunnel(k);
	}
	log_verbosity = verbosity;
}

static void
conn_free(struct conn *k)
{
	if (k->hs != NULL) {
		k->h->end(k->hs);	/* which closes the stream */
		k->have_s = 0;
	}
	relay_free(k->r);
	if (k->have_s)
		stream_close(&k->s);
	free(k->rq);
	free(k->out);
	close(k->fd);
	free(k);
}

/* The tunnels open, and the poll() array over all of them. */
struct loop {
	int		 lfd;
	struct conn	**conn;
	size_t		 n;
	size_t		 max;
	struct pollfd	*pfd;
	int64_t		 accept_at;	/* after EMFILE: accept() again then,
					   or when a tunnel ends */
};

static void
loop_drop(struct loop *L, size_t i)
{
	conn_free(L->conn[i]);
	L->conn[i] = L->conn[--L->n];
	L->accept_at = 0;
}

static void
accept_one(struct loop *L, const struct listen_cfg *lc,
    const struct tunnel_cfg *tc)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[PEER_MAX];
	struct conn *k;
	int fd;

	if ((fd = compat_accept(L->lfd, (struct sockaddr *)&ss, &sl)) == -1) {
		if (errno == EMFILE || errno == ENFILE) {
			/* Descriptors held elsewhere (a lookup, a PAC child,
			 * another process) come back without a tunnel ending:
			 * try again after a while too. */
			log_error("accept: %s: waiting for a tunnel to end",
			    strerror(errno));
			L->accept_at = now_ms() + ACCEPT_RETRY_MS;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			log_error("accept: %s", strerror(errno));
		return;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		log_error("listener: %s", strerror(errno));
		free(k);
		close(fd);
		return;
	}
	k->fd = fd;
	sockaddr_text(&ss, host, sizeof(host), k->peer, sizeof(k->peer));
	if (lc->allow != NULL && !noproxy_match(lc->allow, host)) {
		log_warn("%s: connection closed: not in --allow", k->peer);
		close(fd);
		free(k);
		return;
	}
	k->start = now_ms();
	k->tc = *tc;
	if (lc->forward) {
		if (tunnel_go(k, lc) == -1)
			k->state = C_OVER;
	} else if ((k->rq = malloc(sizeof(*k->rq))) == NULL) {
		k->state = C_OVER;
	} else {
		request_init(k->rq);
		k->state = C_REQUEST;
		k->until = k->start + tc->timeout_ms;
	}
	L->conn[L->n++] = k;
	conn_run(k, lc);
	if (k->state == C_OVER)
		loop_drop(L, L->n - 1);
}

/* One poll() over the signal pipe, the listening socket and every
 * tunnel's wait; then each tunnel whose wait is over takes a step. */
static int
loop_once(struct loop *L, const struct listen_cfg *lc,
    const struct tunnel_cfg *tc)
{
	struct waitset *ws;
	int64_t until = -1, now;
	size_t i, j, np = 2;
	char drain[64];
	int n, timeout;

	now = now_ms();
	if (L->accept_at != 0 && now >= L->accept_at)
		L->accept_at = 0;
	L->pfd[0] = (struct pollfd){ sigpipe_fds[0], POLLIN, 0 };
	/* At the cap, connections wait in the backlog. */
	L->pfd[1] = (struct pollfd){ L->n < L->max && L->accept_at == 0 ?
	    L->lfd : -1, POLLIN, 0 };
	until = L->accept_at != 0 ? L->accept_at : -1;
	for (i = 0; i < L->n; i++) {
		ws = &L->conn[i]->ws;
		for (j = 0; j < ws->n; j++)
			L->pfd[np++] = ws->fd[j];
		if (ws->until >= 0 && (until < 0 || ws->until < until))
			until = ws->until;
	}
	now = now_ms();
	timeout = until < 0 ? -1 : until <= now ? 0 : until - now > 60000 ?
	    60000 : (int)(until - now);
	if ((n = poll(L->pfd, (nfds_t)np, timeout)) == -1) {
		if (errno == EINTR)
			return 0;
		log_error("poll: %s", strerror(errno));
		return -1;
	}
	if (L->pfd[0].revents != 0)
		while (read(sigpipe_fds[0], drain, sizeof(drain)) > 0)
			;
	if (got_stop)
		return 0;
	now = now_ms();
	np = 2;
	for (i = 0; i < L->n; i++) {
		ws = &L->conn[i]->ws;
		n = 0;
		for (j = 0; j < ws->n; j++) {
			ws->fd[j].revents = L->pfd[np++].revents;
			n |= ws->fd[j].revents != 0;
		}
		if (!n && (ws->until < 0 || now < ws->until))
			continue;
		conn_run(L->conn[i], lc);
	}
	/* Dropped after the walk, which the pfd indexes follow. */
	for (i = L->n; i-- > 0; )
		if (L->conn[i]->state == C_OVER)
			loop_drop(L, i);
	if (L->pfd[1].fd != -1 && L->pfd[1].revents != 0)
		accept_one(L, lc, tc);
	return 0;
}

/*
 * Each tunnel holds up to FDS_PER_TUNNEL descriptors: the soft limit
 * goes up to what --max-tunnels needs, as far as the hard one allows, and
 * when even that is too few, fewer tunnels run at once and the others
 * wait in the backlog, rather than fail for want of a descriptor halfway
 * through.  The tunnels that fit.
 */
static size_t
fit_fd_limit(size_t tunnels)
{
	rlim_t want = (rlim_t)tunnels * FDS_PER_TUNNEL + FDS_SPARE;
	struct rlimit rl;
	size_t fit;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= want)
		return tunnels;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ?
	    rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 && getrlimit(RLIMIT_NOFILE,
	    &rl) == -1)
		return tunnels;
	if (rl.rlim_cur >= want)
		return tunnels;
	fit = rl.rlim_cur > FDS_SPARE + FDS_PER_TUNNEL ?
	    (size_t)(rl.rlim_cur - FDS_SPARE) / FDS_PER_TUNNEL : 1;
	log_warn("listener: %llu open files (ulimit -n) allow %zu tunnels at "
	    "once, not %zu: more wait for one to end",
	    (unsigned long long)rl.rlim_cur, fit, tunnels);
	return fit;
}

int
listen_run(struct listen_cfg *lc, struct tunnel_cfg *tc,
    struct cred_opts *co)
{
	struct loop L;
	int rc;

	memset(&L, 0, sizeof(L));
	/* Before any credential, tunnel or thread exists: the PAC
	 * evaluators are forked from this clean copy, not from the loop. */
	if (lc->pac != NULL)
		pac_server_start(tc);
	if ((L.lfd = open_listener(lc, &rc)) == -1) {
		pac_server_stop();
		return rc;
	}
	resolve_creds(tc, co);
	L.max = fit_fd_limit(lc->max_tunnels);
	if ((L.conn = calloc(L.max, sizeof(*L.conn))) == NULL ||
	    (L.pfd = calloc(2 + L.max * WAIT_FDS, sizeof(*L.pfd))) == NULL ||
	    compat_pipe(sigpipe_fds, 1) == -1) {
		log_error("listener: %s", strerror(errno));
		free(L.conn);
		free(L.pfd);
		close(L.lfd);
		pac_server_stop();
		return EXIT_IO;
	}
	set_signals(on_signal);
	rc = EXIT_OK;
	while (!got_stop)
		if (loop_once(&L, lc, tc) == -1) {
			rc = EXIT_IO;
			break;
		}
	close(L.lfd);
	while (L.n > 0)
		loop_drop(&L, L.n - 1);
	cred_forget_all();
	pac_server_stop();
	log_trace(1, "listener stopped");
	set_signals(SIG_DFL);
	close(sigpipe_fds[0]);
	close(sigpipe_fds[1]);
	free(L.conn);
	free(L.pfd);
	return rc;
}
