#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "tunnel.h"
#include "util.h"

#define READ_CHUNK	(16 * 1024)	/* one read of the reply */
#define SHOW_MAX	100		/* bytes of a bad line in a message */

enum tstate { T_CONNECT, T_SEND, T_READ_HEAD, T_DONE, T_FAILED };

static const char *const tstate_names[] = { "CONNECT", "SEND", "READ_HEAD",
	"DONE", "FAILED" };

struct tunnel {
	const struct tunnel_cfg	*cfg;
	enum tstate		 state;
	size_t			 hop;		/* index of the hop we talk to */
	const char		*name;		/* that hop's host:port */
	char			 next[AUTHORITY_MAX];	/* what we ask for */
	int64_t			 deadline;
	struct stream		*s;
	struct buf		 req;
	struct http_resp	 rp;
	int			 rc;		/* exit class once T_FAILED */
};

static void
tunnel_enter(struct tunnel *t, enum tstate st)
{
	log_trace(2, "%s: %s -> %s", t->name, tstate_names[t->state],
	    tstate_names[st]);
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

static void
do_connect(struct tunnel *t)
{
	const struct tunnel_cfg *c = t->cfg;
	const struct target *a = c->nhops ? &c->hops[0].addr : &c->target;
	const char *what = c->nhops ? "proxy " : "";
	char err[256], secs[32];
	enum net_rc rc;
	int fd;

	log_trace(1, "connecting to %s%s", what, t->name);
	rc = net_connect(a->host, a->port, c->family, t->deadline, &fd, err,
	    sizeof(err));
	switch (rc) {
	case NET_OK:
		break;
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
	tunnel_enter(t, c->nhops ? T_SEND : T_DONE);
}

/* Wait for the stream, or fail the tunnel at the deadline. */
static int
wait_stream(struct tunnel *t, const char *doing)
{
	char secs[32];
	int n;

	n = net_wait(t->s->fd, t->s->want, t->deadline);
	if (n == 1)
		return 0;
	if (n == 0) {
		fmt_secs(secs, sizeof(secs), t->cfg->timeout_ms);
		tunnel_fail(t, EXIT_CONNECT, "%s: timed out after %s %s", t->name,
		    secs, doing);
	} else
		tunnel_fail(t, EXIT_CONNECT, "%s: poll: %s", t->name,
		    strerror(errno));
	return -1;
}

static void
do_send(struct tunnel *t)
{
	const struct tunnel_cfg *c = t->cfg;
	size_t off = 0;
	ssize_t n;

	if (http_connect_request(&t->req, t->next, c->ua, c->headers,
	    c->nheaders, NULL) == -1) {
		tunnel_fail(t, EXIT_USAGE, "CONNECT request too long");
		return;
	}
	log_headers(1, "> ", t->req.data, t->req.len - 2);
	while (off < t->req.len) {
		n = stream_write(t->s, t->req.data + off, t->req.len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EAGAIN) {
			if (wait_stream(t, "sending CONNECT") == -1)
				return;
			continue;
		}
		tunnel_fail(t, EXIT_CONNECT, "%s: sending CONNECT: %s", t->name,
		    n == 0 ? "connection closed" : strerror(errno));
		return;
	}
	http_resp_init(&t->rp);
	tunnel_enter(t, T_READ_HEAD);
}

static void
bad_reply(struct tunnel *t, enum http_rc rc)
{
	char show[SHOW_MAX * 4 + 8];
	size_t n = t->rp.linelen;

	if (n > SHOW_MAX)
		n = SHOW_MAX;
	escape_text(show, sizeof(show), t->rp.line, n);
	if (n < t->rp.linelen && sizeof(show) > 4)
		snprintf(show + strlen(show), sizeof(show) - strlen(show),
		    "...");
	tunnel_fail(t, EXIT_PROTOCOL, "%s: invalid reply to CONNECT: %s: "
	    "\"%s\"", t->name, http_strerror(rc), show);
}

/* The schemes named by the Proxy-Authenticate fields, for a message. */
static void
offered(const struct http_resp *rp, char *out, size_t len)
{
	size_t i, o = 0, l;
	const char *v;

	out[0] = '\0';
	for (i = 0; i < rp->nauth; i++) {
		v = rp->auth[i];
		l = strcspn(v, " \t,");
		if (l == 0 || o + l + 3 >= len)
			continue;
		if (o > 0) {
			memcpy(out + o, ", ", 2);
			o += 2;
		}
		escape_text(out + o, len - o, v, l);
		o = strlen(out);
	}
	if (o == 0)
		snprintf(out, len, "none");
}

static void
final_reply(struct tunnel *t)
{
	struct http_resp *rp = &t->rp;
	char reason[256], schemes[128];
	int st = rp->status;

	escape_text(reason, sizeof(reason), rp->reason, strlen(rp->reason));
	if (st >= 200 && st <= 299) {
		/* RFC 9110 §9.3.6: a 2xx has no body, whatever its framing
		 * fields say. */
		log_trace(1, "%s: tunnel to %s established", t->name, t->next);
		tunnel_enter(t, T_DONE);
		return;
	}
	if (st == 407) {
		offered(rp, schemes, sizeof(schemes));
		tunnel_fail(t, EXIT_AUTH, "%s requires authentication "
		    "(offered: %s) and no credentials are configured", t->name,
		    schemes);
		return;
	}
	if (st == 502 || st == 503 || st == 504)
		tunnel_fail(t, EXIT_UNREACHABLE, "%s could not reach %s: %d%s%s",
		    t->name, t->next, st, *reason ? " " : "", reason);
	else
		tunnel_fail(t, EXIT_REFUSED, "%s refused CONNECT %s: %d%s%s",
		    t->name, t->next, st, *reason ? " " : "", reason);
}

static void
do_read_head(struct tunnel *t, struct buf *leftover)
{
	char data[READ_CHUNK];
	enum http_rc rc;
	size_t used;
	ssize_t n;

	for (;;) {
		n = stream_read(t->s, data, sizeof(data));
		if (n == -1 && errno == EAGAIN) {
			if (wait_stream(t, "waiting for the reply to CONNECT") ==
			    -1)
				return;
			continue;
		}
		if (n == -1) {
			tunnel_fail(t, EXIT_CONNECT, "%s: reading the reply to "
			    "CONNECT: %s", t->name, strerror(errno));
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
		final_reply(t);
		if (t->state == T_DONE &&
		    buf_add(leftover, data + used, (size_t)n - used) == -1)
			tunnel_fail(t, EXIT_IO, "out of memory");
		return;
	}
}

int
tunnel_open(const struct tunnel_cfg *c, struct stream *s,
    struct buf *leftover)
{
	struct tunnel t;

	memset(&t, 0, sizeof(t));
	t.cfg = c;
	t.s = s;
	t.deadline = now_ms() + c->timeout_ms;
	t.state = T_CONNECT;
	buf_init(&t.req, HTTP_REQUEST_MAX);
	stream_init(s, -1);
	t.name = c->nhops ? c->hops[0].name : t.next;
	if (target_authority(&c->target, t.next, sizeof(t.next)) == -1) {
		log_error("target too long");
		return EXIT_USAGE;
	}
	while (t.state != T_DONE && t.state != T_FAILED) {
		switch (t.state) {
		case T_CONNECT:
			do_connect(&t);
			break;
		case T_SEND:
			do_send(&t);
			break;
		case T_READ_HEAD:
			do_read_head(&t, leftover);
			http_resp_free(&t.rp);
			break;
		default:
			break;
		}
	}
	buf_free(&t.req);
	if (t.state == T_FAILED) {
		stream_close(s);
		return t.rc;
	}
	return EXIT_OK;
}
