#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "pacfetch.h"
#include "pacreply.h"
#include "stream.h"
#include "target.h"
#include "util.h"

#define PAC_REQ_MAX	2048

static int
read_file(const char *path, struct buf *out, char *err, size_t errlen)
{
	char chunk[8192];
	ssize_t n;
	int fd, rc = 200;

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

/* A validator goes back on the wire: printable ASCII only. */
static int
wire_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/*
 * scheme://host[:port][/path]: the request, and where to connect.  cond,
 * when set, makes it conditional (RFC 9110 §13.1.1, §13.1.3).
 */
static int
http_request(const char *url, int tls, const struct pac_validators *cond,
    struct target *t, struct buf *req)
{
	const char *auth = url + (tls ? 8 : 7), *path;
	char a[AUTHORITY_MAX];
	size_t alen;

	path = auth + strcspn(auth, "/?#");
	alen = (size_t)(path - auth);
	if (alen == 0 || alen >= sizeof(a) || memchr(auth, '@', alen) != NULL)
		return -1;
	memcpy(a, auth, alen);
	a[alen] = '\0';
	if (target_parse(a, NULL, t) != TARGET_OK &&
	    target_parse(a, tls ? "443" : "80", t) != TARGET_OK)
		return -1;
	if (*path == '\0' || *path == '#')
		path = "/";
	if (strpbrk(path, " \t\r\n") != NULL)
		return -1;
	if (buf_printf(req, "GET %.*s HTTP/1.0\r\nHost: %s\r\n"
	    "User-Agent: postern/%s\r\nAccept: */*\r\nConnection: close\r\n",
	    (int)strcspn(path, "#"), path, a, POSTERN_VERSION) == -1)
		return -1;
	if (cond != NULL && cond->etag[0] != '\0' && wire_safe(cond->etag) &&
	    buf_printf(req, "If-None-Match: %s\r\n", cond->etag) == -1)
		return -1;
	if (cond != NULL && cond->last_modified[0] != '\0' &&
	    wire_safe(cond->last_modified) && buf_printf(req,
	    "If-Modified-Since: %s\r\n", cond->last_modified) == -1)
		return -1;
	return buf_addstr(req, "\r\n");
}

/* Why an I/O call on s failed, in words. */
static int
io_error(const struct stream *s, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", s->failed ? stream_error(s) :
	    strerror(errno));
	return -1;
}

/* Send req, read until the answer is whole or ends: 0, or -1 with err
 * set. */
static int
exchange(struct stream *s, const struct buf *req, int64_t deadline,
    struct pac_reply *pr, char *err, size_t errlen)
{
	char chunk[8192];
	size_t off = 0, used;
	ssize_t n;

	while (off < req->len) {
		if ((n = stream_write(s, req->data + off, req->len - off)) > 0)
			off += (size_t)n;
		else if (n == -1 && errno == EAGAIN) {
			if (net_wait(s->fd, s->want_w, deadline) != 1)
				goto slow;
		} else
			return io_error(s, err, errlen);
	}
	for (;;) {
		if ((n = stream_read(s, chunk, sizeof(chunk))) == 0)
			return 0;
		if (n == -1 && errno == EAGAIN) {
			if (net_wait(s->fd, s->want_r, deadline) != 1)
				goto slow;
			continue;
		}
		if (n == -1)
			return io_error(s, err, errlen);
		if (pac_reply_feed(pr, chunk, (size_t)n, &used) != PACR_MORE)
			return 0;
	}
slow:
	snprintf(err, errlen, "timed out (-t)");
	return -1;
}

/* Connect, and run TLS over the socket for https. */
static int
open_stream(const struct target *t, const struct tls_opts *tls,
    int64_t deadline, struct stream *s, char *err, size_t errlen)
{
	char msg[512];
	int fd;

	log_trace(1, "fetching the PAC from %s:%u", t->host, t->port);
	if (net_connect(t->host, t->port, AF_UNSPEC, deadline, &fd, err,
	    errlen) != NET_OK)
		return -1;
	stream_init(s, fd);
	if (tls == NULL)
		return 0;
	if (tls_start(s, tls, t, deadline, msg, sizeof(msg)) == -1) {
		snprintf(err, errlen, "TLS: %s", msg);
		stream_close(s);
		return -1;
	}
	return 0;
}

static int
http_fetch(const char *url, const struct tls_opts *tls,
    struct pac_validators *cond, int64_t deadline, struct buf *out,
    char *err, size_t errlen)
{
	struct pac_reply pr;
	struct buf req;
	struct stream s;
	struct target t;
	int rc = -1;

	buf_init(&req, PAC_REQ_MAX);
	pac_reply_init(&pr, cond != NULL, out);
	if (http_request(url, tls != NULL, cond, &t, &req) == -1) {
		snprintf(err, errlen, "invalid URL");
		goto out;
	}
	if (open_stream(&t, tls, deadline, &s, err, errlen) == -1)
		goto out;
	rc = exchange(&s, &req, deadline, &pr, err, errlen);
	stream_close(&s);
	if (rc == 0)
		rc = pac_reply_end(&pr, cond, err, errlen);
out:
	pac_reply_free(&pr);
	buf_free(&req);
	return rc;
}

int
pac_is_remote(const char *url)
{
	return strncasecmp_ascii(url, "http://", 7) == 0 ||
	    strncasecmp_ascii(url, "https://", 8) == 0;
}

int
pac_fetch(const char *url, const struct tls_opts *tls,
    struct pac_validators *cond, int64_t deadline, struct buf *out,
    char *err, size_t errlen)
{
	char msg[512];

	if (strncasecmp_ascii(url, "http://", 7) == 0)
		return http_fetch(url, NULL, cond, deadline, out, err, errlen);
	if (strncasecmp_ascii(url, "https://", 8) == 0) {
		if (tls_prepare(tls, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "TLS: %s", msg);
			return -1;
		}
		return http_fetch(url, tls, cond, deadline, out, err, errlen);
	}
	if (strncasecmp_ascii(url, "file://", 7) == 0)
		url += 7;
	return read_file(url, out, err, errlen);
}
