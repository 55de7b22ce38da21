#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "exitcodes.h"
#include "log.h"
#include "net.h"
#include "pac.h"
#include "pacresult.h"
#include "pacrun.h"
#include "util.h"

#define PAC_HEAD_MAX	(16 * 1024)	/* header block of the PAC server */
#define PAC_REQ_MAX	2048
#define FAILED_MAX	2048		/* the line naming every entry */

static int
read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	char chunk[8192];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			rc = -1;
			break;
		}
		if (buf_add(out, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "larger than %d KiB",
			    PAC_MAX / 1024);
			rc = -1;
			break;
		}
	}
	close(fd);
	return rc;
}

/* http://host[:port][/path]: the request, and where to connect. */
static int
http_request(const char *url, struct target *t, struct buf *req)
{
	const char *auth = url + strlen("http://"), *path;
	char a[AUTHORITY_MAX];
	size_t alen;

	path = auth + strcspn(auth, "/?#");
	alen = (size_t)(path - auth);
	if (alen == 0 || alen >= sizeof(a) || memchr(auth, '@', alen) != NULL)
		return -1;
	memcpy(a, auth, alen);
	a[alen] = '\0';
	if (target_parse(a, NULL, t) != TARGET_OK &&
	    target_parse(a, "80", t) != TARGET_OK)
		return -1;
	if (*path == '\0' || *path == '#')
		path = "/";
	if (strpbrk(path, " \t\r\n") != NULL)
		return -1;
	return buf_printf(req, "GET %.*s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: postern/%s\r\nAccept: */*\r\nConnection: close\r\n\r\n",
	    (int)strcspn(path, "#"), path, a, POSTERN_VERSION);
}

/* Send req, read to the end: 0, or -1 with err set. */
static int
exchange(int fd, const struct buf *req, int64_t deadline, struct buf *resp,
    char *err, size_t errlen)
{
	char chunk[8192];
	size_t off = 0;
	ssize_t n;

	while (off < req->len) {
		if (net_wait(fd, POLLOUT, deadline) != 1)
			goto slow;
		if ((n = send(fd, req->data + off, req->len - off, 0)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		off += (size_t)n;
	}
	for (;;) {
		if (net_wait(fd, POLLIN, deadline) != 1)
			goto slow;
		if ((n = recv(fd, chunk, sizeof(chunk), 0)) == 0)
			return 0;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			return -1;
		}
		if (buf_add(resp, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "larger than %d KiB",
			    PAC_MAX / 1024);
			return -1;
		}
	}
slow:
	snprintf(err, errlen, "timed out (-t)");
	return -1;
}

/* The status line and the body of resp: 0 with the body in out. */
static int
http_body(const struct buf *resp, struct buf *out, char *err, size_t errlen)
{
	const char *end, *eol;
	char shown[SHOW_BUF];
	size_t hlen;

	if (resp->len < 12 || memcmp(resp->data, "HTTP/1.", 7) != 0 ||
	    (end = strstr(resp->data, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "not an HTTP reply");
		return -1;
	}
	eol = strstr(resp->data, "\r\n");
	if (memcmp(resp->data + 8, " 200", 4) != 0) {
		snprintf(err, errlen, "%s", show_text(shown, sizeof(shown),
		    resp->data + 9, (size_t)(eol - resp->data - 9)));
		return -1;
	}
	hlen = (size_t)(end - resp->data) + 4;
	if (buf_add(out, resp->data + hlen, resp->len - hlen) == -1) {
		snprintf(err, errlen, "larger than %d KiB", PAC_MAX / 1024);
		return -1;
	}
	return 0;
}

static int
http_fetch(const char *url, int64_t deadline, struct buf *out, char *err,
    size_t errlen)
{
	struct buf req, resp;
	struct target t;
	int fd, rc = -1;

	buf_init(&req, PAC_REQ_MAX);
	buf_init(&resp, PAC_MAX + PAC_HEAD_MAX);
	if (http_request(url, &t, &req) == -1) {
		snprintf(err, errlen, "invalid URL");
		goto out;
	}
	log_trace(1, "fetching the PAC from %s:%u", t.host, t.port);
	if (net_connect(t.host, t.port, AF_UNSPEC, deadline, &fd, err,
	    errlen) != NET_OK)
		goto out;
	rc = exchange(fd, &req, deadline, &resp, err, errlen);
	close(fd);
	if (rc == 0)
		rc = http_body(&resp, out, err, errlen);
out:
	buf_free(&req);
	buf_free(&resp);
	return rc;
}

static int
fetch(const char *url, int64_t deadline, struct buf *out, char *err,
    size_t errlen)
{
	if (strncasecmp_ascii(url, "http://", 7) == 0)
		return http_fetch(url, deadline, out, err, errlen);
	if (strncasecmp_ascii(url, "https://", 8) == 0) {
		snprintf(err, errlen, "https:// is not supported yet");
		return -1;
	}
	if (strncasecmp_ascii(url, "file://", 7) == 0)
		url += 7;
	return read_file(url, out, err, errlen);
}

/* FindProxyForURL's url: https://HOST[:PORT]/, [v6] in brackets. */
static void
pac_url(const struct target *t, char *url, size_t len)
{
	char port[8] = "";

	if (t->port != 443)
		snprintf(port, sizeof(port), ":%u", t->port);
	snprintf(url, len, "https://%s%s%s%s/", t->ipv6 ? "[" : "", t->host,
	    t->ipv6 ? "]" : "", port);
}

/* The answer of the PAC for c->target: 0 with the entries, or EXIT_PAC. */
static int
ask(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_entry *e, size_t *n)
{
	char err[PAC_ANSWER_MAX], url[AUTHORITY_MAX + 16], shown[SHOW_BUF];
	struct pac_job j;
	struct buf pac;
	enum pacres_rc prc;
	size_t bad;
	int rc = EXIT_PAC;

	buf_init(&pac, PAC_MAX);
	if (fetch(name, deadline, &pac, err, sizeof(err)) == -1) {
		log_error("PAC %s: cannot fetch: %s", name, err);
		goto out;
	}
	pac_url(&c->target, url, sizeof(url));
	memset(&j, 0, sizeof(j));
	j.script = pac.data != NULL ? pac.data : "";
	j.len = pac.len;
	j.name = name;
	j.url = url;
	j.host = c->target.host;
	j.route = c->target.host;
	j.now = (int64_t)time(NULL) * 1000;
	j.deadline = deadline;
	log_trace(1, "PAC %s: FindProxyForURL(\"%s\", \"%s\")", name, url,
	    c->target.host);
	if (pac_eval(&j, err, sizeof(err)) != PAC_OK) {
		log_error("PAC %s: %s", name, err);
		goto out;
	}
	log_trace(1, "PAC %s: \"%s\"", name, show_text(shown, sizeof(shown),
	    err, strlen(err)));
	prc = pacres_parse(err, strlen(err), e, PAC_ENTRIES_MAX, n, &bad);
	if (prc != PACRES_OK) {
		log_error("PAC %s: unusable answer \"%s\": %s", name,
		    show_text(shown, sizeof(shown), err, strlen(err)),
		    pacres_strerror(prc));
		goto out;
	}
	rc = 0;
out:
	buf_free(&pac);
	return rc;
}

/* One entry's try; EXIT_CONNECT with why set when it cannot be reached. */
static int
try_entry(const struct pac_entry *e, const struct tunnel_cfg *c,
    int64_t share, struct stream *s, char *why, size_t whylen)
{
	struct tunnel_cfg tc = *c;
	struct proxy p;

	memset(&p, 0, sizeof(p));
	tc.hops = &p;
	tc.nhops = e->kind != PAC_DIRECT;
	tc.timeout_ms = share;
	tc.errbuf = why;
	tc.errlen = whylen;
	if (tc.nhops) {
		p.tls = e->kind == PAC_HTTPS;
		p.addr = e->addr;
		if (target_authority(&e->addr, p.name, sizeof(p.name)) == -1)
			return EXIT_USAGE;
	}
	return tunnel_open(&tc, s);
}

int
pac_tunnel(const char *name, const struct tunnel_cfg *c, struct stream *s)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	char why[512], failed[FAILED_MAX] = "", auth[AUTHORITY_MAX];
	int64_t deadline = now_ms() + c->timeout_ms, left;
	size_t n, i, tries = 0, used = 0;
	int rc;

	if ((rc = ask(name, c, deadline, e, &n)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		tries += e[i].kind != PAC_SOCKS;
	for (i = 0; i < n; i++) {
		if (e[i].kind == PAC_DIRECT)
			snprintf(auth, sizeof(auth), "DIRECT");
		else if (target_authority(&e[i].addr, auth, sizeof(auth)) == -1)
			continue;
		if (e[i].kind == PAC_SOCKS) {
			log_trace(1, "PAC: skipping SOCKS %s: postern speaks "
			    "HTTP CONNECT only", auth);
			continue;
		}
		if ((left = deadline - now_ms()) < 1)
			left = 1;
		rc = try_entry(&e[i], c, left / (int64_t)tries--, s, why,
		    sizeof(why));
		if (rc != EXIT_CONNECT)
			return rc;
		log_trace(1, "PAC: %s: %s; trying the next entry", auth, why);
		used += (size_t)snprintf(failed + used, sizeof(failed) - used,
		    "%s%s%s%s (%s)", used ? "; " : "", e[i].kind == PAC_DIRECT ?
		    "" : pac_kind_name(e[i].kind), e[i].kind == PAC_DIRECT ?
		    "" : " ", auth, why);
		if (used >= sizeof(failed))
			used = sizeof(failed) - 1;
	}
	log_error("no entry of the PAC %s could be reached: %s", name, failed);
	return EXIT_CONNECT;
}
