#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "compat.h"
#include "exitcodes.h"
#include "gss.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "tunnel.h"
#include "util.h"
#include "waitset.h"

#define READ_CHUNK	(16 * 1024)	/* one read of the reply */
#define ROUNDS_MAX	8		/* 407s in one handshake, all hops */
#define AUTHZ_MAX	HTTP_AUTHZ_MAX	/* a Proxy-Authorization value */

/*
 * A 407 goes T_READ_HEAD -> T_READ_BODY -> T_AUTH, as curl orders it: the
 * body is read past (or the connection given up) before the next
 * Proxy-Authorization is computed, so that it is computed for the
 * connection that will carry it, and a prompt for a password never holds
 * a half-read reply.  T_AUTH then goes to T_SEND on the same connection
 * or to T_CONNECT on a new one.
 */
enum tstate { T_CONNECT, T_TLS, T_SEND, T_READ_HEAD, T_READ_BODY, T_AUTH,
	T_DONE, T_FAILED };

static const char *const tstate_names[] = { "CONNECT", "TLS", "SEND",
	"READ_HEAD", "READ_BODY", "AUTH", "DONE", "FAILED" };

/* What each proxy of the chain keeps across reconnects. */
struct hopstate {
	struct auth_state	 as;
	struct cred		 cred;
	int			 have_cred;
	char			 where[256];	/* where credentials were sought */
	struct buf		 authz;		/* next Proxy-Authorization */
	int			 ticket_told;	/* --check said which ticket */
};

struct tunnel {
	const struct tunnel_cfg	*cfg;
	enum tstate		 state;
	size_t			 hop;		/* index of the hop we talk to */
	const char		*name;		/* its host:port */
	char			 next[AUTHORITY_MAX];	/* what we ask it for */
	char			 target[AUTHORITY_MAX];
	int64_t			 deadline;
	int			 rounds;
	struct stream		*s;
	struct buf		 req;
	struct http_resp	 rp;
	int			 have_rp;
	char			 rest[READ_CHUNK];	/* read past a header */
	size_t			 restlen;
	struct hopstate		 hs[HOPS_MAX];
	int			 reconnect;	/* the 407's connection is spent */
	int			 rc;		/* exit class once T_FAILED */
	int64_t			 phase_t0;	/* --check: when this step began */
	/* Where a step that had to wait takes up again. */
	struct waitset		 ws;		/* what it waits for */
	int			 waiting;
	struct net_conn		*nc;		/* T_CONNECT under way */
	struct net_info		 ni;
	int			 tls_begun;	/* T_TLS under way */
	int			 req_built;	/* T_SEND under way */
	size_t			 sent;
	int			 body_begun;	/* T_READ_BODY under way */
	enum http_rc		 body_rc;
	const char		*body_why;
};

static void
report_v(const struct tunnel_cfg *c, const char *fmt, va_list ap)
{
	char line[1024];

	if (c->report == NULL)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	c->report->line(c->report->arg, line);
}

void
tunnel_note(const struct tunnel_cfg *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(c, fmt, ap);
	va_end(ap);
}

/* --check: one line of the report. */
__attribute__((format(printf, 2, 3)))
static void
note(struct tunnel *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_v(t->cfg, fmt, ap);
	va_end(ap);
}

/* Milliseconds since the step began, and the next one begins now. */
static long long
phase_ms(struct tunnel *t)
{
	int64_t now = now_ms(), ms = now - t->phase_t0;

	t->phase_t0 = now;
	return (long long)ms;
}

static void
tunnel_enter(struct tunnel *t, enum tstate st)
{
	log_trace(2, "%s: %s -> %s", t->name, tstate_names[t->state],
	    tstate_names[st]);
	/* Leaving the reply states: the parsed reply is spent. */
	if (t->have_rp && st != T_READ_BODY && st != T_AUTH) {
		http_resp_free(&t->rp);
		t->have_rp = 0;
	}
	/* A connection that will carry nothing more is closed at once, not
	 * held open while the user answers a prompt. */
	if (st == T_CONNECT || st == T_FAILED || (st == T_AUTH && t->reconnect))
		stream_close(t->s);
	t->state = st;
}

__attribute__((format(printf, 3, 4)))
static void
tunnel_fail(struct tunnel *t, int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A caller that tells the failure itself may try another way. */
	if (rc == EXIT_CONNECT && t->cfg->errbuf != NULL)
		note(t, "unreachable: %s", msg);
	else
		note(t, "failed: %s", msg);
	if (rc == EXIT_CONNECT && t->cfg->errbuf != NULL)
		snprintf(t->cfg->errbuf, t->cfg->errlen, "%s", msg);
	else
		log_error("%s", msg);
	t->rc = rc;
	tunnel_enter(t, T_FAILED);
}

static void
fmt_secs(char *buf, size_t len, int64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%.3g s", (double)ms / 1000);
}

/* Point the tunnel at hop i: its name, and what we ask it to reach. */
static void
set_hop(struct tunnel *t, size_t i)
{
	const struct tunnel_cfg *c = t->cfg;

	t->hop = i;
	t->name = c->hops[i].name;
	snprintf(t->next, sizeof(t->next), "%s", i + 1 < c->nhops ?
	    c->hops[i + 1].name : t->target);
}

/* The connection to the first hop (or the target) under way. */
static enum net_rc
connect_step(struct tunnel *t, int *fd, char *err, size_t errlen)
{
	const struct tunnel_cfg *c = t->cfg;
	const struct target *a = c->nhops ? &c->hops[0].addr : &c->target;
	const char *what = c->nhops ? "proxy " : "";
	enum net_rc rc;

	if (t->nc == NULL) {
		if (c->nhops)
			set_hop(t, 0);
		log_trace(1, "connecting to %s%s", what, t->name);
		note(t, "connecting to %s%s", what, t->name);
		memset(&t->ni, 0, sizeof(t->ni));
		/* What the connection went through is for --check. */
		if ((rc = net_conn_start(&t->nc, a->host, a->port, c->family,
		    t->deadline, c->report != NULL ? &t->ni : NULL)) !=
		    NET_OK) {
			snprintf(err, errlen, "%s", strerror(errno));
			return rc;
		}
	}
	rc = net_conn_step(t->nc, &t->ws, fd, err, errlen);
	if (rc == NET_AGAIN) {
		t->waiting = 1;
		return rc;
	}
	net_conn_free(t->nc);
	t->nc = NULL;
	if (t->ni.addrs[0] != '\0')
		note(t, "%s resolved to %s in %lld ms", a->host, t->ni.addrs,
		    (long long)t->ni.resolve_ms);
	return rc;
}

static void
do_connect(struct tunnel *t)
{
	const struct tunnel_cfg *c = t->cfg;
	const struct target *a = c->nhops ? &c->hops[0].addr : &c->target;
	const char *what = c->nhops ? "proxy " : "";
	char err[256], secs[32];
	enum net_rc rc;
	int fd;

	switch ((rc = connect_step(t, &fd, err, sizeof(err)))) {
	case NET_OK:
		break;
	case NET_AGAIN:
		return;
	case NET_TIMEOUT:
		fmt_secs(secs, sizeof(secs), c->timeout_ms);
		tunnel_fail(t, EXIT_CONNECT, "timed out after %s connecting to "
		    "%s%s", secs, what, t->name);
		return;
	case NET_RESOLVE:
		tunnel_fail(t, EXIT_CONNECT, "cannot resolve %s%s: %s", what,
		    a->host, err);
		return;
	default:
		tunnel_fail(t, EXIT_CONNECT, "cannot connect to %s%s: %s", what,
		    t->name, err);
		return;
	}
	stream_init(t->s, fd);
	log_trace(1, "connected to %s%s", what, t->name);
	note(t, "connected to %s port %u in %lld ms", t->ni.peer, a->port,
	    (long long)t->ni.connect_ms);
	t->phase_t0 = now_ms();
	if (c->nhops == 0)
		tunnel_enter(t, T_DONE);
	else
		tunnel_enter(t, c->hops[0].tls ? T_TLS : T_SEND);
}

/*
 * The step must wait for the stream: it takes up again from the state it
 * is in, once the socket has events.  At the deadline the tunnel fails
 * instead, saying what it was doing.
 */
static void
wait_for(struct tunnel *t, short events, const char *doing)
{
	char secs[32];

	if (now_ms() >= t->deadline) {
		fmt_secs(secs, sizeof(secs), t->cfg->timeout_ms);
		if (t->state == T_TLS)
			tunnel_fail(t, EXIT_TLS, "TLS with %s failed: %s",
			    t->name, TLS_TIMEOUT_TEXT);
		else
			tunnel_fail(t, EXIT_CONNECT, "%s: timed out after %s "
			    "%s", t->name, secs, doing);
		return;
	}
	waitset_clear(&t->ws);
	(void)waitset_add(&t->ws, t->s->fd, events);
	t->ws.until = t->deadline;
	t->waiting = 1;
}

static void
note_tls(struct tunnel *t)
{
	struct tls_info ti;
	long long ms = phase_ms(t);

	if (t->cfg->report == NULL ||
	    tls_describe(t->s, t->cfg->tls, &ti) == -1)
		return;
	if (ti.version[0] != '\0' && strcmp(ti.cipher, "(NONE)") != 0 &&
	    strcmp(ti.cipher, "none") != 0)
		note(t, "TLS: %s, %s, ALPN %s (%lld ms)", ti.version, ti.cipher,
		    ti.alpn[0] ? ti.alpn : "none", ms);
	if (ti.subject[0] != '\0') {
		note(t, "certificate subject: %s", ti.subject);
		note(t, "certificate issuer: %s", ti.issuer);
		note(t, "certificate expires: %s", ti.expires);
	}
	note(t, "certificate %s", ti.verify);
}

static void
do_tls(struct tunnel *t)
{
	const struct proxy *p = &t->cfg->hops[t->hop];
	char msg[512];
	short ev;
	int n;

	if (!t->tls_begun) {
		if (t->cfg->tls->insecure)
			log_error("warning: --proxy-insecure: the certificate of "
			    "%s is not verified", t->name);
		log_trace(1, "%s: TLS handshake", t->name);
		note(t, "%s: TLS handshake", t->name);
		if (tls_begin(t->s, t->cfg->tls, &p->addr, msg, sizeof(msg)) ==
		    -1) {
			tunnel_fail(t, EXIT_TLS, "TLS with %s failed: %s",
			    t->name, msg);
			return;
		}
		t->tls_begun = 1;
	}
	if ((n = tls_step(t->s, t->cfg->tls, &ev, msg, sizeof(msg))) == 0) {
		wait_for(t, ev, "during the TLS handshake");
		return;
	}
	t->tls_begun = 0;
	note_tls(t);
	if (n == -1) {
		tunnel_fail(t, EXIT_TLS, "TLS with %s failed: %s", t->name, msg);
		return;
	}
	tunnel_enter(t, T_SEND);
}

/* An I/O error on the stream, in words and with its class. */
static void
io_fail(struct tunnel *t, const char *doing, ssize_t n)
{
	const char *e;

	if (n == -1 && t->s->failed) {
		/* TLS 1.3 refuses a missing client certificate only after
		 * the handshake, so it surfaces here. */
		e = stream_error(t->s);
		tunnel_fail(t, EXIT_TLS, "TLS with %s failed %s: %s%s", t->name,
		    doing, e, strstr(e, "certificate required") != NULL ?
		    "; the proxy requires a client certificate (--proxy-cert)" :
		    "");
	}
	else
		tunnel_fail(t, EXIT_CONNECT, "%s: %s: %s", t->name, doing,
		    n == 0 ? "connection closed" : strerror(errno));
}

static void
do_send(struct tunnel *t)
{
	const struct tunnel_cfg *c = t->cfg;
	struct hopstate *hs = &t->hs[t->hop];
	ssize_t n;

	if (!t->req_built) {
		if (http_connect_request(&t->req, t->next, c->ua, c->headers,
		    c->nheaders, hs->authz.len ? hs->authz.data : NULL) == -1) {
			tunnel_fail(t, EXIT_USAGE, "%s: CONNECT request too "
			    "long", t->name);
			return;
		}
		log_headers(1, "> ", t->req.data, t->req.len - 2);
		note(t, "%s: CONNECT %s%s", t->name, t->next, hs->authz.len ?
		    " (with Proxy-Authorization)" : "");
		phase_ms(t);
		t->req_built = 1;
		t->sent = 0;
	}
	while (t->sent < t->req.len) {
		n = stream_write(t->s, t->req.data + t->sent,
		    t->req.len - t->sent);
		if (n > 0) {
			t->sent += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EAGAIN) {
			wait_for(t, t->s->want_w, "sending CONNECT");
			if (t->waiting)
				return;
			goto out;
		}
		/* A TLS proxy that refuses our certificate after the
		 * handshake sends an alert and resets: the alert says why,
		 * so read it before reporting the reset. */
		if (n == -1 && stream_is_layered(t->s) && !t->s->failed) {
			char junk[64];
			int save = errno;

			if (stream_read(t->s, junk, sizeof(junk)) != -1 ||
			    !t->s->failed)
				errno = save;
			else {
				io_fail(t, "reading the reply to CONNECT", -1);
				goto out;
			}
		}
		io_fail(t, "sending CONNECT", n);
		goto out;
	}
	tunnel_enter(t, T_READ_HEAD);
	http_resp_init(&t->rp);
	t->have_rp = 1;
out:
	/* The request may hold credentials. */
	buf_reset(&t->req);
	t->req_built = 0;
}

static void
bad_reply(struct tunnel *t, enum http_rc rc)
{
	char show[SHOW_BUF];
	size_t n = t->rp.linelen;

	/* The line's own CR is its terminator, not part of what we show. */
	if (n > 0 && t->rp.line[n - 1] == '\r')
		n--;
	if (n == 0) {
		tunnel_fail(t, EXIT_PROTOCOL, "%s: invalid reply to CONNECT: %s",
		    t->name, http_strerror(rc));
		return;
	}
	tunnel_fail(t, EXIT_PROTOCOL, "%s: invalid reply to CONNECT: %s: "
	    "\"%s\"", t->name, http_strerror(rc),
	    show_text(show, sizeof(show), t->rp.line, n));
}

static void
final_reply(struct tunnel *t)
{
	struct http_resp *rp = &t->rp;
	char reason[256];
	int st = rp->status;

	escape_text(reason, sizeof(reason), rp->reason, strlen(rp->reason));
	if (st >= 200 && st <= 299) {
		/* RFC 9110 §9.3.6: a 2xx has no body, whatever its framing
		 * fields say; what follows the header is the tunnel's. */
		log_trace(1, "%s: tunnel to %s established", t->name, t->next);
		if (stream_unread(t->s, t->rest, t->restlen) == -1) {
			tunnel_fail(t, EXIT_IO, "out of memory");
			return;
		}
		t->restlen = 0;
		if (t->hop + 1 == t->cfg->nhops) {
			tunnel_enter(t, T_DONE);
			return;
		}
		set_hop(t, t->hop + 1);
		tunnel_enter(t, t->cfg->hops[t->hop].tls ? T_TLS : T_SEND);
		return;
	}
	if (st == 407) {
		tunnel_enter(t, T_READ_BODY);
		return;
	}
	if (st == 502 || st == 503 || st == 504)
		tunnel_fail(t, EXIT_UNREACHABLE, "%s could not reach %s: %d%s%s",
		    t->name, t->next, st, *reason ? " " : "", reason);
	else
		tunnel_fail(t, EXIT_REFUSED, "%s refused CONNECT %s: %d%s%s",
		    t->name, t->next, st, *reason ? " " : "", reason);
}

/* The status line as the proxy sent it, and how long it took. */
static void
note_status(struct tunnel *t)
{
	char line[256];
	const char *h = t->rp.head.data;
	size_t n = 0;

	if (t->cfg->report == NULL)
		return;
	while (n < t->rp.head.len && h[n] != '\r' && h[n] != '\n')
		n++;
	escape_text(line, sizeof(line), t->rp.head.data, n);
	note(t, "%s answered: %s (%lld ms)", t->name, line, phase_ms(t));
}

static void
do_read_head(struct tunnel *t)
{
	char *data = t->rest;
	enum http_rc rc;
	size_t used;
	ssize_t n;

	for (;;) {
		n = stream_read(t->s, data, sizeof(t->rest));
		if (n == -1 && errno == EAGAIN) {
			wait_for(t, t->s->want_r, "waiting for the reply to "
			    "CONNECT");
			return;
		}
		if (n == -1) {
			io_fail(t, "reading the reply to CONNECT", n);
			return;
		}
		if (n == 0) {
			if (t->rp.hdrbytes == 0)
				tunnel_fail(t, EXIT_PROTOCOL, "%s closed the "
				    "connection without replying to CONNECT %s",
				    t->name, t->next);
			else
				tunnel_fail(t, EXIT_PROTOCOL, "%s: invalid reply "
				    "to CONNECT: the proxy closed the connection "
				    "during the reply", t->name);
			return;
		}
		rc = http_feed(&t->rp, data, (size_t)n, &used);
		if (rc == HTTP_MORE)
			continue;
		if (rc != HTTP_DONE) {
			bad_reply(t, rc);
			return;
		}
		log_headers(1, "< ", t->rp.head.data, t->rp.head.len - 1);
		note_status(t);
		/* Keep what came after the header at the front of rest. */
		memmove(t->rest, data + used, (size_t)n - used);
		t->restlen = (size_t)n - used;
		final_reply(t);
		return;
	}
}

static int64_t
wall_now(void)
{
	return (int64_t)time(NULL);
}

/*
 * With keep_creds, the credentials a tunnel found (netrc, a prompt) are
 * kept by the proxy's name for the rest of the process (cred.h): a
 * listener asks once per proxy, not once per tunnel, whether the proxy
 * came from -x or from a PAC.  The proxy's own (-U, its URL) come first.
 * Credentials the proxy rejected are forgotten, so that the next tunnel
 * asks again.
 */
static const char *
cred_key(const struct tunnel *t, char *key, size_t len)
{
	const struct proxy *p = &t->cfg->hops[t->hop];

	/* The scheme too: what was typed for an https proxy must not go
	 * out in clear to a plain one on the same host and port. */
	snprintf(key, len, "%s://%s", p->tls ? "https" : "http", p->name);
	return key;
}

static int
kept_creds(struct tunnel *t, struct cred *out)
{
	char key[AUTHORITY_MAX + 16];

	if (!t->cfg->keep_creds || t->cfg->hops[t->hop].pass != NULL)
		return -1;
	return cred_kept(cred_key(t, key, sizeof(key)), out);
}

static void
keep_creds(struct tunnel *t)
{
	char key[AUTHORITY_MAX + 16];

	if (t->cfg->keep_creds && t->cfg->hops[t->hop].pass == NULL)
		(void)cred_keep(cred_key(t, key, sizeof(key)),
		    &t->hs[t->hop].cred);
}

static void
forget_creds(struct tunnel *t)
{
	char key[AUTHORITY_MAX + 16];

	if (t->cfg->keep_creds)
		cred_forget(cred_key(t, key, sizeof(key)));
}

static void
auth_failed(struct tunnel *t, enum auth_rc rc)
{
	struct hopstate *hs = &t->hs[t->hop];
	const char *offered = hs->as.offered[0] ? hs->as.offered : "none";
	char realm[160] = "";

	if (hs->as.realm[0])
		snprintf(realm, sizeof(realm), ", realm \"%s\"", hs->as.realm);
	switch (rc) {
	case AUTH_NEGOTIATE_FAILED:
		tunnel_fail(t, EXIT_AUTH, "%s asks for Negotiate: %s; %s", t->name,
		    hs->as.nego_why, hs->as.nego_rest != NULL ?
		    hs->as.nego_rest : "no other scheme offered");
		break;
	case AUTH_NO_CREDENTIALS:
		if (hs->as.failed & AUTH_NEGOTIATE) {
			tunnel_fail(t, EXIT_AUTH, "%s asks for Negotiate: %s; "
			    "and no credentials were found for the other "
			    "schemes (offered: %s; looked in: %s)", t->name,
			    hs->as.nego_why, offered, hs->where[0] ? hs->where :
			    "nowhere");
			break;
		}
		tunnel_fail(t, EXIT_AUTH, "%s requires authentication (offered: "
		    "%s) and no credentials were found (looked in: %s)",
		    t->name, offered, hs->where[0] ? hs->where : "nowhere");
		break;
	case AUTH_REJECTED:
		forget_creds(t);
		tunnel_fail(t, EXIT_AUTH, "%s rejected the credentials (%s%s)",
		    t->name, auth_scheme_name(hs->as.scheme), realm);
		break;
	case AUTH_NO_CHALLENGE:
		tunnel_fail(t, EXIT_AUTH, "%s requires authentication but sent "
		    "no Proxy-Authenticate challenge", t->name);
		break;
	case AUTH_NO_SCHEME:
		tunnel_fail(t, EXIT_AUTH, "%s requires authentication with a "
		    "scheme postern cannot use (offered: %s%s)", t->name,
		    offered, t->cfg->auth_allowed != AUTH_BUILTIN ?
		    "; see --auth" : "");
		break;
	case AUTH_BAD_CHALLENGE:
		tunnel_fail(t, EXIT_PROTOCOL, "%s: invalid Proxy-Authenticate "
		    "challenge (%s%s)", t->name, offered, realm);
		break;
	default:
		tunnel_fail(t, EXIT_AUTH, "%s: authentication: %s", t->name,
		    auth_strerror(rc));
		break;
	}
}

/*
 * Read past the 407's body so that its connection can carry the next
 * request.  When it cannot (the proxy closes it, the body has no known
 * end, or the body never comes), the next request goes on a new one.
 */
static void
do_read_body(struct tunnel *t)
{
	char data[READ_CHUNK];
	size_t used;
	ssize_t n;

	if (!t->body_begun) {
		t->body_begun = 1;
		t->body_rc = HTTP_MORE;
		t->body_why = NULL;
		if (http_reusable(&t->rp))
			t->body_rc = http_body_feed(&t->rp, t->rest,
			    t->restlen, &used);
		else
			t->body_why = "the proxy closes the connection after "
			    "407";
		t->restlen = 0;
	}
	while (t->body_rc == HTTP_MORE && t->body_why == NULL) {
		n = stream_read(t->s, data, sizeof(data));
		if (n == -1 && errno == EAGAIN) {
			wait_for(t, t->s->want_r, "reading the 407 body");
			return;
		}
		if (n <= 0)
			t->body_why = "connection lost in the 407 body";
		else
			t->body_rc = http_body_feed(&t->rp, data, (size_t)n,
			    &used);
	}
	t->body_begun = 0;
	t->reconnect = t->body_rc != HTTP_DONE;
	if (t->reconnect)
		log_trace(1, "%s: %s; reconnecting", t->name, t->body_why !=
		    NULL ? t->body_why : http_strerror(t->body_rc));
	tunnel_enter(t, T_AUTH);
}

/*
 * The connection the 407 came on is gone, and what belonged to it goes
 * too.  The proxies before this one answered on it: their exchanges start
 * afresh (a Digest nonce or an NTLM session does not carry over), with the
 * credentials kept.  A Type 3 answers the Type 2 of one connection only,
 * and a GSSAPI context waiting for the proxy's token is as bound, so such
 * an exchange with this proxy starts over; returns its scheme when it does.
 */
static int
forget_connection(struct tunnel *t)
{
	struct hopstate *hs = &t->hs[t->hop];
	size_t i;

	for (i = 0; i < t->hop; i++) {
		auth_state_clear(&t->hs[i].as);
		buf_reset(&t->hs[i].authz);
	}
	if (!auth_needs_same_connection(&hs->as))
		return 0;
	return auth_connection_reset(&hs->as);
}

/*
 * The next Proxy-Authorization.  Credentials are looked for only when the
 * scheme chosen wants them: no password prompt for a proxy we cannot
 * answer anyway, nor for one that takes a Kerberos ticket.
 */
static enum auth_rc
next_authz(struct tunnel *t, const char *const *fields, size_t nfields,
    const struct auth_env *env)
{
	struct hopstate *hs = &t->hs[t->hop];
	enum auth_rc rc;
	int64_t t0;

	buf_reset(&hs->authz);
	rc = auth_next(&hs->as, fields, nfields, hs->have_cred ? &hs->cred :
	    NULL, t->next, env, &hs->authz);
	if (rc != AUTH_NO_CREDENTIALS || hs->have_cred)
		return rc;
	t0 = now_ms();
	if (kept_creds(t, &hs->cred) == 0) {
		hs->have_cred = 1;
		snprintf(hs->where, sizeof(hs->where), "an earlier tunnel");
	} else if (creds_get(t->cfg->creds, &t->cfg->hops[t->hop], t->hop,
	    &hs->cred, hs->where, sizeof(hs->where)) == 0) {
		hs->have_cred = 1;
		keep_creds(t);
	}
	/* Time spent at a prompt is the user's, not the proxy's. */
	t->deadline += now_ms() - t0;
	if (!hs->have_cred)
		return rc;
	return auth_next(&hs->as, fields, nfields, &hs->cred, t->next, env,
	    &hs->authz);
}

static void
gss_trace(void *arg, const char *line)
{
	log_trace(1, "%s", line);
	note(arg, "%s", line);
}

/* --check: the Kerberos ticket Negotiate would use, or why there is none. */
static void
note_ticket(struct tunnel *t)
{
	char client[256], why[256], when[32];
	int64_t secs;
	time_t end;
	struct tm tm;

	if (t->cfg->report == NULL)
		return;
	if (gss_ticket(client, sizeof(client), &secs, why, sizeof(why)) ==
	    -1) {
		note(t, "Negotiate: no ticket: %s", why);
		return;
	}
	end = time(NULL) + (time_t)secs;
	if (secs < 0 || gmtime_r(&end, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(when, sizeof(when), "no end");
	note(t, "Negotiate: ticket of %s, valid until %s", client, when);
}

/* The next Proxy-Authorization, for the connection that will carry it. */
static void
do_auth(struct tunnel *t)
{
	static const struct auth_env env = { compat_random, wall_now };
	struct hopstate *hs = &t->hs[t->hop];
	const char *const *fields = (const char *const *)t->rp.auth;
	const char *restart[1];
	size_t nfields = t->rp.nauth;
	enum auth_rc rc;
	int scheme;

	if (++t->rounds > ROUNDS_MAX) {
		tunnel_fail(t, EXIT_AUTH, "%s: giving up after %d authentication "
		    "rounds", t->name, ROUNDS_MAX);
		return;
	}
	hs->as.allowed = t->cfg->auth_allowed;
	/* Negotiate: the service at the proxy's host as the URL names it,
	 * never a canonical name or a reverse lookup. */
	hs->as.service = t->cfg->service;
	hs->as.host = t->cfg->hops[t->hop].addr.host;
	hs->as.gss = gss_ops();
	hs->as.trace = gss_trace;
	hs->as.trace_arg = t;
	if (t->reconnect && (scheme = forget_connection(t)) != 0) {
		log_trace(1, "%s: the %s exchange lost its connection; "
		    "starting over", t->name, auth_scheme_name(scheme));
		restart[0] = auth_scheme_name(scheme);
		fields = restart;
		nfields = 1;
	}
	rc = next_authz(t, fields, nfields, &env);
	if (!hs->ticket_told && (hs->as.scheme == AUTH_NEGOTIATE ||
	    (hs->as.failed & AUTH_NEGOTIATE))) {
		hs->ticket_told = 1;
		note_ticket(t);
	}
	if (rc != AUTH_OK) {
		auth_failed(t, rc);
		return;
	}
	note(t, "%s offers: %s; answering with %s%s%s", t->name,
	    hs->as.offered[0] ? hs->as.offered : "none",
	    auth_scheme_name(hs->as.scheme), hs->have_cred ?
	    ", credentials from " : "", hs->have_cred ?
	    hs->where : "");
	log_trace(1, "%s: answering with %s%s", t->name,
	    auth_scheme_name(hs->as.scheme), t->cfg->hops[t->hop].tls ? "" :
	    hs->as.scheme == AUTH_BASIC ? " (in clear over plain HTTP: "
	    "prefer an https:// proxy)" : "");
	tunnel_enter(t, t->reconnect ? T_CONNECT : T_SEND);
}

/*
 * TLS is set up, and a client key's pass phrase asked, before the clock
 * of -t starts: the time at a prompt is the user's, and a wrong file is
 * reported before anything is sent.
 */
static int
prepare_tls(const struct tunnel_cfg *c)
{
	char msg[512];
	size_t i;

	for (i = 0; i < c->nhops; i++) {
		if (!c->hops[i].tls)
			continue;
		if (tls_prepare(c->tls, msg, sizeof(msg)) == 0)
			return 0;
		log_error("TLS with %s failed: %s", c->hops[i].name, msg);
		return EXIT_TLS;
	}
	return 0;
}

struct tunnel *
tunnel_begin(const struct tunnel_cfg *c, struct stream *s, int *rc)
{
	struct tunnel *t;
	size_t i;

	stream_init(s, -1);
	if ((*rc = prepare_tls(c)) != 0)
		return NULL;
	/* Heap: the reply parser holds a few line buffers. */
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_error("out of memory");
		*rc = EXIT_IO;
		return NULL;
	}
	t->cfg = c;
	t->s = s;
	t->deadline = now_ms() + c->timeout_ms;
	t->state = T_CONNECT;
	buf_init(&t->req, HTTP_REQUEST_MAX + HTTP_AUTHZ_LINE_MAX);
	for (i = 0; i < HOPS_MAX; i++)
		buf_init(&t->hs[i].authz, AUTHZ_MAX);
	if (target_authority(&c->target, t->target, sizeof(t->target)) == -1) {
		log_error("target too long");
		free(t);
		*rc = EXIT_USAGE;
		return NULL;
	}
	t->name = t->target;
	return t;
}

int
tunnel_step(struct tunnel *t, struct waitset *ws)
{
	t->waiting = 0;
	while (!t->waiting && t->state != T_DONE && t->state != T_FAILED) {
		switch (t->state) {
		case T_CONNECT:
			do_connect(t);
			break;
		case T_TLS:
			do_tls(t);
			break;
		case T_SEND:
			do_send(t);
			break;
		case T_READ_HEAD:
			do_read_head(t);
			break;
		case T_READ_BODY:
			do_read_body(t);
			break;
		case T_AUTH:
			do_auth(t);
			break;
		default:
			break;
		}
	}
	if (t->waiting) {
		*ws = t->ws;
		return TUNNEL_AGAIN;
	}
	return t->state == T_DONE ? EXIT_OK : t->rc;
}

void
tunnel_end(struct tunnel *t)
{
	size_t i;

	if (t == NULL)
		return;
	net_conn_free(t->nc);
	if (t->state != T_DONE)
		stream_close(t->s);
	if (t->have_rp)
		http_resp_free(&t->rp);
	buf_wipe(&t->req);
	for (i = 0; i < HOPS_MAX; i++) {
		buf_wipe(&t->hs[i].authz);
		cred_wipe(&t->hs[i].cred);
		auth_state_clear(&t->hs[i].as);
	}
	wipe(t->rest, sizeof(t->rest));
	free(t);
}

int
tunnel_open(const struct tunnel_cfg *c, struct stream *s)
{
	struct tunnel *t;
	struct waitset ws;
	int rc;

	if ((t = tunnel_begin(c, s, &rc)) == NULL)
		return rc;
	while ((rc = tunnel_step(t, &ws)) == TUNNEL_AGAIN)
		if (waitset_poll(&ws) == -1) {
			log_error("poll: %s", strerror(errno));
			rc = EXIT_IO;
			break;
		}
	tunnel_end(t);
	return rc;
}
