#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "compat.h"
#include "prompt.h"
#include "log.h"
#include "net.h"
#include "ossl.h"
#include "stream.h"
#include "tls.h"
#include "util.h"

/* Room for four full records, as many as one relay buffer holds: a busy
 * download then reads several with each read(). */
#define TLS_READ_BUF	(4 * (16384 + 256) + 512)

static SSL_CTX *ctx;		/* one per process, made on first use */
static BIO_METHOD *stream_bio;

/*
 * A BIO that reads and writes through a lower stream, so that TLS with a
 * later proxy of a chain runs inside the tunnel of the earlier one.  The
 * upper stream's want_r/want_w are set from what the lower one waits for:
 * a TLS read may need the socket writable, and the reverse.
 */
struct bio_link {
	struct stream	*upper;
	struct stream	*lower;
	int		 eof;		/* the lower stream has ended */
};

static int
bio_read(BIO *b, char *p, size_t n, size_t *got)
{
	struct bio_link *l = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	r = stream_read(l->lower, p, n);
	if (r > 0) {
		*got = (size_t)r;
		return 1;
	}
	/* What the lower stream waits for is what the upper call under
	 * way (a read, a write, the handshake) waits for. */
	if (r == -1 && errno == EAGAIN) {
		*l->upper->cur_want = l->lower->want_r;
		BIO_set_retry_read(b);
	}
	l->eof = r == 0;
	return r == 0 ? 0 : -1;
}

static int
bio_write(BIO *b, const char *p, size_t n, size_t *put)
{
	struct bio_link *l = BIO_get_data(b);
	ssize_t r;

	BIO_clear_retry_flags(b);
	r = stream_write(l->lower, p, n);
	if (r > 0) {
		*put = (size_t)r;
		return 1;
	}
	if (r == -1 && errno == EAGAIN) {
		*l->upper->cur_want = l->lower->want_w;
		BIO_set_retry_write(b);
	}
	return -1;
}

/*
 * OpenSSL asks BIO_CTRL_EOF before it takes an end without close_notify
 * as an orderly one (SSL_OP_IGNORE_UNEXPECTED_EOF): answered as a socket
 * would, so that a chain's inner session ends as the first one does.
 */
static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	const struct bio_link *l = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_EOF:
		return l->eof;
	default:
		return 0;
	}
}

static int
bio_destroy(BIO *b)
{
	free(BIO_get_data(b));
	BIO_set_data(b, NULL);
	return 1;
}

/*
 * The pass phrase of an encrypted --proxy-key comes from the terminal,
 * never from stdin (OpenSSL's default), which is the tunnel's data.
 */
static int
passphrase(char *buf, int size, int rwflag, void *arg)
{
	const char *key = arg;
	char q[512], *p;
	size_t n;

	(void)rwflag;
	snprintf(q, sizeof(q), "Pass phrase for %s: ", key);
	if ((p = prompt_tty(q, 1)) == NULL)
		return 0;
	n = strlen(p);
	if (n >= (size_t)size)
		n = 0;
	memcpy(buf, p, n);
	wipe(p, strlen(p));
	free(p);
	return (int)n;
}

/* 0 when path is a directory, else the errno that says why not. */
static int
dir_error(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return errno;
	return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
}

/* Where the proxy's certificate is checked against. */
static int
load_trust(SSL_CTX *c, const struct tls_opts *o, char *msg, size_t msglen)
{
	char err[256];
	int e;

	if (o->cafile == NULL && o->capath == NULL) {
		if (SSL_CTX_set_default_verify_paths(c) == 1)
			return 0;
		ossl_error_string(err, sizeof(err));
		snprintf(msg, msglen, "cannot load the system's trust anchors: "
		    "%s", err);
		return -1;
	}
	/* OpenSSL looks into the directory only when verifying, and a
	 * missing one then shows as an unknown issuer. */
	if (o->capath != NULL && (e = dir_error(o->capath)) != 0) {
		snprintf(msg, msglen, "cannot load trust anchors from %s: %s",
		    o->capath, strerror(e));
		return -1;
	}
	if (SSL_CTX_load_verify_locations(c, o->cafile, o->capath) != 1) {
		ossl_error_string(err, sizeof(err));
		snprintf(msg, msglen, "cannot load trust anchors from %s: %s",
		    o->cafile ? o->cafile : o->capath, err);
		return -1;
	}
	return 0;
}

/* --proxy-cert and --proxy-key; the pass phrase is asked here. */
static int
load_client_cert(SSL_CTX *c, const struct tls_opts *o, char *msg,
    size_t msglen)
{
	const char *key = o->key ? o->key : o->cert;
	char err[256];

	SSL_CTX_set_default_passwd_cb(c, passphrase);
	SSL_CTX_set_default_passwd_cb_userdata(c, (void *)key);
	if (SSL_CTX_use_certificate_chain_file(c, o->cert) != 1) {
		ossl_error_string(err, sizeof(err));
		snprintf(msg, msglen, "cannot load client certificate %s: %s",
		    o->cert, err);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		ossl_error_string(err, sizeof(err));
		snprintf(msg, msglen, "cannot load client key %s: %s", key,
		    err);
		return -1;
	}
	return 0;
}

/*
 * The context is built whole in a local and published only when
 * complete: a half-made one left in ctx would verify nothing the next
 * time it is used.
 */
int
tls_prepare(const struct tls_opts *o, char *msg, size_t msglen)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	SSL_CTX *c;
	char err[256];

	if (ctx != NULL)
		return 0;
	if (ossl_need(OSSL_SSL, msg, msglen) == -1)
		return -1;
	if (OPENSSL_init_ssl(ossl_init_opts(), NULL) != 1 ||
	    (c = SSL_CTX_new(TLS_client_method())) == NULL) {
		ossl_error_string(err, sizeof(err));
		snprintf(msg, msglen, "cannot set up TLS: %s", err);
		return -1;
	}
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	/* A proxy that drops TCP without close_notify still ends the tunnel
	 * cleanly, as a plain proxy's close does. */
	SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Read ahead: one read() takes what TLS_READ_BUF holds, where
	 * otherwise each record would need two (header, then body). */
	SSL_CTX_set_read_ahead(c, 1);
	SSL_CTX_set_default_read_buffer_len(c, TLS_READ_BUF);
	SSL_CTX_set_verify(c, o->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
	    NULL);
	if (SSL_CTX_set_alpn_protos(c, alpn, sizeof(alpn) - 1) != 0) {
		ossl_error_string(err, sizeof(err));
		snprintf(msg, msglen, "cannot set up TLS: %s", err);
		goto fail;
	}
	if (load_trust(c, o, msg, msglen) == -1 ||
	    (o->cert != NULL && load_client_cert(c, o, msg, msglen) == -1))
		goto fail;
	ctx = c;
	return 0;
fail:
	SSL_CTX_free(c);
	return -1;
}

/*
 * Records out of the relay go through a buffer that is sent with one
 * send() for several of them: OpenSSL writes each 16 KiB record on its
 * own, and a system call per record was a quarter of a TLS upload's CPU.
 * What send() does not take stays here; tls_flush() sends it later.
 */
#define WB_SIZE		(4 * (16384 + 256))	/* four records, overhead */

struct wbuf {
	int	 fd;
	size_t	 off;		/* start of the bytes not yet sent */
	size_t	 len;		/* bytes held, from off */
	char	 data[WB_SIZE];
};

static BIO_METHOD *wbuf_bio;

/* Send what wb holds.  0 when empty, -1 with errno (EAGAIN: later). */
static int
wbuf_send(struct wbuf *wb)
{
	ssize_t r;

	while (wb->len > 0) {
		r = send(wb->fd, wb->data + wb->off, wb->len, COMPAT_NOSIGNAL);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		wb->off += (size_t)r;
		wb->len -= (size_t)r;
	}
	wb->off = 0;
	return 0;
}

static int
wbuf_write(BIO *b, const char *p, size_t n, size_t *put)
{
	struct wbuf *wb = BIO_get_data(b);
	size_t room;

	BIO_clear_retry_flags(b);
	if (wb->off + wb->len + n > WB_SIZE) {
		if (wbuf_send(wb) == -1 && errno != EAGAIN)
			return -1;
		if (wb->len > 0 && wb->off > 0) {
			memmove(wb->data, wb->data + wb->off, wb->len);
			wb->off = 0;
		}
	}
	room = WB_SIZE - wb->off - wb->len;
	if (room == 0) {
		BIO_set_retry_write(b);
		return -1;
	}
	if (n > room)
		n = room;
	memcpy(wb->data + wb->off + wb->len, p, n);
	wb->len += n;
	*put = n;
	return 1;
}

static long
wbuf_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct wbuf *wb = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		/* OpenSSL flushes after an alert or a handshake message. */
		BIO_clear_retry_flags(b);
		if (wbuf_send(wb) == 0)
			return 1;
		if (errno == EAGAIN)
			BIO_set_retry_write(b);
		return 0;
	case BIO_CTRL_WPENDING:
		return (long)wb->len;
	default:
		return 0;
	}
}

static int
wbuf_destroy(BIO *b)
{
	free(BIO_get_data(b));
	BIO_set_data(b, NULL);
	return 1;
}

/*
 * The TLS layer of a stream: its session, the records it gathers (only
 * straight on the socket), and whether what it read ahead is known to be
 * the start of a record.
 */
struct tls_layer {
	SSL		*ssl;
	struct wbuf	*wb;
	int		 starved;	/* the last read needs bytes from
					   below: what is buffered is not a
					   whole record */
	char		 err[256];	/* the last error in words */
};

static struct tls_layer *
layer_of(const struct stream *s)
{
	return s->layer;
}

/* Map an SSL result to errno and poll events; 0 means "orderly end". */
static ssize_t
tls_result(struct stream *s, int ret, int write, short *want)
{
	struct tls_layer *t = layer_of(s);

	switch (SSL_get_error(t->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		if (!write)
			t->starved = 1;
		/* Over a lower stream the BIO already noted what it waits
		 * for; over the socket, it is what OpenSSL says. */
		if (s->lower == NULL)
			*want = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		if (s->lower == NULL)
			*want = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		if (!write)
			return 0;
		errno = EPIPE;
		return -1;
	case SSL_ERROR_SYSCALL:
		ERR_clear_error();
		if (errno != 0)
			return -1;
		/* No errno to tell: say so, rather than pass for a reset
		 * the kernel never reported. */
		snprintf(t->err, sizeof(t->err), "the connection ended inside "
		    "a TLS record");
		s->failed = 1;
		errno = EPROTO;
		return -1;
	default:
		ossl_error_string(t->err, sizeof(t->err));
		s->failed = 1;
		errno = EPROTO;
		return -1;
	}
}

static ssize_t
tls_read(struct stream *s, void *p, size_t n)
{
	struct tls_layer *t = layer_of(s);
	size_t got;
	int ret;

	s->want_r = POLLIN;
	s->cur_want = &s->want_r;
	ret = SSL_read_ex(t->ssl, p, n, &got);
	t->starved = 0;
	if (ret == 1)
		return (ssize_t)got;
	return tls_result(s, ret, 0, &s->want_r);
}

static ssize_t
tls_write(struct stream *s, const void *p, size_t n)
{
	struct tls_layer *t = layer_of(s);
	size_t put;
	int ret;

	s->want_w = POLLOUT;
	s->cur_want = &s->want_w;
	ret = SSL_write_ex(t->ssl, p, n, &put);
	if (ret == 1)
		return (ssize_t)put;
	return tls_result(s, ret, 1, &s->want_w);
}

/*
 * close_notify.  When the layer below cannot take it now, OpenSSL keeps
 * it and the next call goes on with it; the peer's own close_notify or
 * FIN still ends our reading side later.
 */
static int
tls_shutdown(struct stream *s)
{
	struct tls_layer *t = layer_of(s);
	int ret;

	s->want_w = POLLOUT;
	s->cur_want = &s->want_w;
	if ((ret = SSL_shutdown(t->ssl)) >= 0)
		return 0;
	return tls_result(s, ret, 1, &s->want_w) == 0 ? 0 : -1;
}

static size_t
tls_pending(const struct stream *s)
{
	const struct tls_layer *t = layer_of(s);
	size_t n = (size_t)SSL_pending(t->ssl);

	/* Bytes read ahead count only while they may hold a whole record:
	 * after a read that wanted more, they are the start of one, and
	 * only poll() can tell when the rest comes. */
	if (n == 0 && !t->starved && SSL_has_pending(t->ssl))
		n = 1;
	return n;
}

static int
tls_flush(struct stream *s)
{
	struct wbuf *wb = layer_of(s)->wb;

	if (wb == NULL || wbuf_send(wb) == 0)
		return 0;
	if (errno == EAGAIN)
		s->want_w = POLLOUT;
	return -1;
}

static size_t
tls_unflushed(const struct stream *s)
{
	const struct wbuf *wb = layer_of(s)->wb;

	return wb != NULL ? wb->len : 0;
}

/*
 * From now on the records written go through a buffer of ours, several
 * to a send(); only straight on the socket (a chain's inner session
 * writes into the tunnel's own records).  Failing that, each record is
 * sent on its own: slower, no less correct.
 */
static int
tls_gather(struct stream *s)
{
	struct tls_layer *t = layer_of(s);
	struct wbuf *wb;
	BIO *b;

	if (s->lower != NULL || t->wb != NULL)
		return 0;
	if (wbuf_bio == NULL) {
		wbuf_bio = BIO_meth_new(BIO_get_new_index() |
		    BIO_TYPE_SOURCE_SINK, "postern record buffer");
		if (wbuf_bio == NULL ||
		    !BIO_meth_set_write_ex(wbuf_bio, wbuf_write) ||
		    !BIO_meth_set_ctrl(wbuf_bio, wbuf_ctrl) ||
		    !BIO_meth_set_destroy(wbuf_bio, wbuf_destroy))
			return -1;
	}
	if ((wb = malloc(sizeof(*wb))) == NULL)
		return -1;
	if ((b = BIO_new(wbuf_bio)) == NULL) {
		free(wb);
		return -1;
	}
	wb->fd = s->fd;
	wb->off = wb->len = 0;
	BIO_set_data(b, wb);
	BIO_set_init(b, 1);
	/* The socket BIO stays for reading. */
	SSL_set0_wbio(t->ssl, b);
	t->wb = wb;
	return 0;
}

static const char *
tls_error(const struct stream *s)
{
	const struct tls_layer *t = layer_of(s);

	return t->err[0] != '\0' ? t->err : "unknown TLS error";
}

static void
tls_free(struct stream *s)
{
	struct tls_layer *t = layer_of(s);

	SSL_free(t->ssl);	/* and the gathering BIO with t->wb */
	wipe(t, sizeof(*t));
	free(t);
}

static const struct stream_ops tls_ops = {
	.name = "TLS",
	.read = tls_read,
	.write = tls_write,
	.shutdown = tls_shutdown,
	.pending = tls_pending,
	.flush = tls_flush,
	.unflushed = tls_unflushed,
	.gather = tls_gather,
	.error = tls_error,
	.free = tls_free,
};

/* Move *s into a heap copy that the new TLS stream runs over. */
static int
link_lower(SSL *ssl, struct stream *s)
{
	struct bio_link *l;
	struct stream *lower;
	BIO *b;

	if (stream_bio == NULL) {
		stream_bio = BIO_meth_new(BIO_get_new_index() |
		    BIO_TYPE_SOURCE_SINK, "postern stream");
		if (stream_bio == NULL ||
		    !BIO_meth_set_read_ex(stream_bio, bio_read) ||
		    !BIO_meth_set_write_ex(stream_bio, bio_write) ||
		    !BIO_meth_set_ctrl(stream_bio, bio_ctrl) ||
		    !BIO_meth_set_destroy(stream_bio, bio_destroy))
			return -1;
	}
	if ((lower = malloc(sizeof(*lower))) == NULL)
		return -1;
	if ((l = malloc(sizeof(*l))) == NULL || (b = BIO_new(stream_bio)) ==
	    NULL) {
		free(l);
		free(lower);
		return -1;
	}
	BIO_set_init(b, 1);
	*lower = *s;
	stream_init(s, lower->fd);
	s->lower = lower;
	l->upper = s;
	l->lower = lower;
	l->eof = 0;
	BIO_set_data(b, l);
	SSL_set_bio(ssl, b, b);
	return 0;
}

/* Say what went wrong in words a user can act on. */
static void
handshake_error(SSL *ssl, int ret, char *msg, size_t msglen)
{
	unsigned long e = ERR_peek_error();
	long v = SSL_get_verify_result(ssl);
	int reason = ERR_GET_REASON(e);
	char err[256];

	if (v != X509_V_OK) {
		ERR_clear_error();
		snprintf(msg, msglen, "certificate verify failed (%s)",
		    X509_verify_cert_error_string(v));
		return;
	}
	if (e == 0) {
		snprintf(msg, msglen, "%s", SSL_get_error(ssl, ret) ==
		    SSL_ERROR_SYSCALL && errno != 0 ? strerror(errno) :
		    "the proxy closed the connection during the handshake");
		return;
	}
	ossl_error_string(err, sizeof(err));
	if (reason == SSL_R_WRONG_VERSION_NUMBER ||
	    reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
	    reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST)
		snprintf(msg, msglen, "the proxy does not speak TLS on this "
		    "port (%s); is it an http:// proxy?", err);
	else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
	    reason == SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE ||
	    reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
		snprintf(msg, msglen, "handshake failure (%s); the proxy may "
		    "require a client certificate (--proxy-cert)", err);
	else
		snprintf(msg, msglen, "%s", err);
}

/*
 * The name the certificate must carry, and the SNI.  A fully qualified
 * name written with its trailing dot ("proxy.corp.") is the same host,
 * but certificates and SNI never carry the dot (RFC 6066 §3): it goes,
 * as curl does.
 */
static int
set_peer_name(SSL *ssl, const struct target *host)
{
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);
	char name[sizeof(host->host)];
	size_t len = strlen(host->host);

	if (host->ipv6 || strspn(host->host, "0123456789.") == len)
		/* An IP literal: check the address, send no SNI (RFC 6066
		 * §3 forbids literals in server_name). */
		return X509_VERIFY_PARAM_set1_ip_asc(vp, host->host) == 1 ?
		    0 : -1;
	memcpy(name, host->host, len + 1);
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0';
	if (SSL_set1_host(ssl, name) != 1 ||
	    SSL_set_tlsext_host_name(ssl, name) != 1)
		return -1;
	X509_VERIFY_PARAM_set_hostflags(vp,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 0;
}

int
tls_step(struct stream *s, const struct tls_opts *o, short *events,
    char *msg, size_t msglen)
{
	struct tls_layer *t = s->layer;
	SSL *ssl = t->ssl;
	int ret, err;

	s->cur_want = &s->want_r;
	while ((ret = SSL_connect(ssl)) != 1) {
		err = SSL_get_error(ssl, ret);
		if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
			handshake_error(ssl, ret, msg, msglen);
			return -1;
		}
		if (s->lower != NULL && stream_pending(s->lower) > 0)
			continue;
		*events = s->lower != NULL ? s->want_r :
		    err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	log_trace(1, "TLS: %s, %s%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), o->insecure ? ", certificate NOT "
	    "verified" : ", certificate verified");
	return 1;
}

int
tls_begin(struct stream *s, const struct tls_opts *o,
    const struct target *host, char *msg, size_t msglen)
{
	struct tls_layer *t;
	SSL *ssl = NULL;

	if (tls_prepare(o, msg, msglen) == -1)
		return -1;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (ssl = SSL_new(ctx)) == NULL || set_peer_name(ssl, host) == -1)
		goto fail;
	/* Straight on the socket for the first proxy; through the stream
	 * when it is already a tunnel or holds bytes given back. */
	if (!stream_is_layered(s) && s->lower == NULL && s->pblen == 0) {
		if (SSL_set_fd(ssl, s->fd) != 1)
			goto fail;
	} else if (link_lower(ssl, s) == -1)
		goto fail;
	/* From here the stream owns the session, whatever happens. */
	t->ssl = ssl;
	s->ops = &tls_ops;
	s->layer = t;
	return 0;
fail:
	ossl_error_string(msg, msglen);
	SSL_free(ssl);
	free(t);
	return -1;
}

int
tls_start(struct stream *s, const struct tls_opts *o,
    const struct target *host, int64_t deadline, char *msg, size_t msglen)
{
	short ev;
	int n;

	if (tls_begin(s, o, host, msg, msglen) == -1)
		return -1;
	while ((n = tls_step(s, o, &ev, msg, msglen)) == 0) {
		if ((n = net_wait(s->fd, ev, deadline)) == 1)
			continue;
		if (n == 0)
			snprintf(msg, msglen, "%s", TLS_TIMEOUT_TEXT);
		else
			snprintf(msg, msglen, "poll: %s", strerror(errno));
		return -1;
	}
	return n == 1 ? 0 : -1;
}

/* Where the trust anchors came from, as the options say. */
static void
describe_verify(SSL *ssl, const struct tls_opts *o, struct tls_info *out)
{
	long v = SSL_get_verify_result(ssl);
	char store[280];

	if (o->insecure) {
		snprintf(out->verify, sizeof(out->verify), "NOT verified "
		    "(--proxy-insecure)");
		return;
	}
	if (o->cafile != NULL || o->capath != NULL)
		snprintf(store, sizeof(store), "%s%s%s%s%s",
		    o->cafile ? "--proxy-cacert " : "", o->cafile ? o->cafile :
		    "", o->cafile && o->capath ? ", " : "", o->capath ?
		    "--proxy-capath " : "", o->capath ? o->capath : "");
	else
		snprintf(store, sizeof(store), "the system store");
	if (v == X509_V_OK)
		snprintf(out->verify, sizeof(out->verify), "verified against "
		    "%s", store);
	else
		snprintf(out->verify, sizeof(out->verify), "NOT verified "
		    "against %s: %s", store, X509_verify_cert_error_string(v));
}

static void
describe_cert(SSL *ssl, struct tls_info *out)
{
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	X509 *x;
	struct tm tm;

	/* The chain is kept even when verification failed, the peer
	 * certificate only when it passed; its first is the proxy's. */
	if (chain == NULL || OPENSSL_sk_num((const OPENSSL_STACK *)chain) < 1)
		return;
	x = OPENSSL_sk_value((const OPENSSL_STACK *)chain, 0);
	X509_NAME_oneline(X509_get_subject_name(x), out->subject,
	    sizeof(out->subject));
	X509_NAME_oneline(X509_get_issuer_name(x), out->issuer,
	    sizeof(out->issuer));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		strftime(out->expires, sizeof(out->expires),
		    "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int
tls_describe(const struct stream *s, const struct tls_opts *o,
    struct tls_info *out)
{
	const unsigned char *alpn = NULL;
	unsigned alpnlen = 0;
	SSL *ssl;

	memset(out, 0, sizeof(*out));
	if (s->ops != &tls_ops || s->layer == NULL)
		return -1;
	ssl = layer_of(s)->ssl;
	snprintf(out->version, sizeof(out->version), "%s",
	    SSL_get_version(ssl));
	snprintf(out->cipher, sizeof(out->cipher), "%s",
	    SSL_get_cipher_name(ssl) ? SSL_get_cipher_name(ssl) : "none");
	SSL_get0_alpn_selected(ssl, &alpn, &alpnlen);
	if (alpn != NULL && alpnlen > 0 && alpnlen < sizeof(out->alpn))
		memcpy(out->alpn, alpn, alpnlen);
	describe_cert(ssl, out);
	describe_verify(ssl, o, out);
	return 0;
}
