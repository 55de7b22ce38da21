#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "creds.h"
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

/* Reasons whose OpenSSL words do not tell a user what is wrong. */
static const struct {
	int		 lib, reason;
	const char	*text;
} plain_reasons[] = {
	{ ERR_LIB_PEM, PEM_R_NO_START_LINE,
	    "no PEM data of the kind wanted (no start line)" },
	{ ERR_LIB_OSSL_DECODER, ERR_R_UNSUPPORTED,
	    "no private key in PEM form found" },
	{ ERR_LIB_X509, X509_R_KEY_VALUES_MISMATCH,
	    "it is not the key of the certificate" },
};

/*
 * The first error of the queue is the cause ("No such file or directory",
 * "no start line"); those after it only say who gave up ("system lib",
 * "PEM lib").
 */
void
tls_error_string(char *buf, size_t len)
{
	unsigned long e = ERR_peek_error();
	const char *r = NULL;
	size_t i;

	if (e == 0)
		r = "TLS error";
	else if (ERR_SYSTEM_ERROR(e))
		r = strerror(ERR_GET_REASON(e));
	for (i = 0; r == NULL && i < sizeof(plain_reasons) /
	    sizeof(plain_reasons[0]); i++)
		if (ERR_GET_LIB(e) == plain_reasons[i].lib &&
		    ERR_GET_REASON(e) == plain_reasons[i].reason)
			r = plain_reasons[i].text;
	if (r == NULL) {
		ossl_load_reasons();
		r = ERR_reason_error_string(e);
	}
	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else
		snprintf(buf, len, "OpenSSL error %08lX", e);
	ERR_clear_error();
}

/*
 * A BIO that reads and writes through a lower stream, so that TLS with a
 * later proxy of a chain runs inside the tunnel of the earlier one.  The
 * upper stream's want_r/want_w are set from what the lower one waits for:
 * a TLS read may need the socket writable, and the reverse.
 */
struct bio_link {
	struct stream	*upper;
	struct stream	*lower;
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

static long
bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	return cmd == BIO_CTRL_FLUSH ? 1 : 0;
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
	if ((p = creds_prompt(q, 1)) == NULL)
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

static int
setup_ctx(const struct tls_opts *o, char *msg, size_t msglen)
{
	static const unsigned char alpn[] = "\x08http/1.1";
	char err[256];
	int e;

	if (ctx != NULL)
		return 0;
	if (ossl_need(OSSL_SSL, msg, msglen) == -1)
		return -1;
	if (OPENSSL_init_ssl(ossl_init_opts(), NULL) != 1 ||
	    (ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* A proxy that drops TCP without close_notify still ends the tunnel
	 * cleanly, as a plain proxy's close does. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Read ahead: one read() takes what TLS_READ_BUF holds, where
	 * otherwise each record would need two (header, then body). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_default_read_buffer_len(ctx, TLS_READ_BUF);
	if (SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1) != 0)
		goto fail;
	if (o->cafile != NULL || o->capath != NULL) {
		/* OpenSSL looks into the directory only when verifying, and
		 * a missing one then shows as an unknown issuer. */
		if (o->capath != NULL && (e = dir_error(o->capath)) != 0) {
			snprintf(msg, msglen, "cannot load trust anchors from "
			    "%s: %s", o->capath, strerror(e));
			return -1;
		}
		if (SSL_CTX_load_verify_locations(ctx, o->cafile, o->capath) !=
		    1) {
			tls_error_string(err, sizeof(err));
			snprintf(msg, msglen, "cannot load trust anchors from %s: "
			    "%s", o->cafile ? o->cafile : o->capath, err);
			return -1;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		goto fail;
	SSL_CTX_set_verify(ctx, o->insecure ? SSL_VERIFY_NONE :
	    SSL_VERIFY_PEER, NULL);
	if (o->cert != NULL) {
		SSL_CTX_set_default_passwd_cb(ctx, passphrase);
		SSL_CTX_set_default_passwd_cb_userdata(ctx,
		    (void *)(o->key ? o->key : o->cert));
		if (SSL_CTX_use_certificate_chain_file(ctx, o->cert) != 1) {
			tls_error_string(err, sizeof(err));
			snprintf(msg, msglen, "cannot load client certificate %s: "
			    "%s", o->cert, err);
			return -1;
		}
		if (SSL_CTX_use_PrivateKey_file(ctx, o->key ? o->key : o->cert,
		    SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			tls_error_string(err, sizeof(err));
			snprintf(msg, msglen, "cannot load client key %s: %s",
			    o->key ? o->key : o->cert, err);
			return -1;
		}
	}
	return 0;
fail:
	tls_error_string(err, sizeof(err));
	snprintf(msg, msglen, "cannot set up TLS: %s", err);
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
		r = send(wb->fd, wb->data + wb->off, wb->len, MSG_NOSIGNAL);
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

int
tls_coalesce(struct stream *s)
{
	struct wbuf *wb;
	BIO *b;

	if (s->ssl == NULL || s->lower != NULL || s->wb != NULL)
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
	SSL_set0_wbio(s->ssl, b);
	s->wb = wb;
	return 0;
}

int
tls_flush(struct stream *s)
{
	struct wbuf *wb = s->wb;

	if (wb == NULL || wbuf_send(wb) == 0)
		return 0;
	if (errno == EAGAIN)
		s->want_w = POLLOUT;
	return -1;
}

size_t
tls_unflushed(const struct stream *s)
{
	const struct wbuf *wb = s->wb;

	return wb != NULL ? wb->len : 0;
}

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
	tls_error_string(err, sizeof(err));
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

int
tls_start(struct stream *s, const struct tls_opts *o,
    const struct target *host, int64_t deadline, char *msg, size_t msglen)
{
	X509_VERIFY_PARAM *vp;
	SSL *ssl;
	int ret, err, n;

	if (setup_ctx(o, msg, msglen) == -1)
		return -1;
	if ((ssl = SSL_new(ctx)) == NULL) {
		tls_error_string(msg, msglen);
		return -1;
	}
	vp = SSL_get0_param(ssl);
	if (host->ipv6 || strspn(host->host, "0123456789.") ==
	    strlen(host->host)) {
		/* An IP literal: check the address, send no SNI (RFC 6066
		 * §3 forbids literals in server_name). */
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, host->host) != 1)
			goto fail;
	} else {
		if (SSL_set1_host(ssl, host->host) != 1 ||
		    SSL_set_tlsext_host_name(ssl, host->host) != 1)
			goto fail;
		X509_VERIFY_PARAM_set_hostflags(vp,
		    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	}
	/* Straight on the socket for the first proxy; through the stream
	 * when it is already a tunnel or holds bytes given back. */
	if (s->ssl == NULL && s->lower == NULL && s->pblen == 0) {
		if (SSL_set_fd(ssl, s->fd) != 1)
			goto fail;
	} else if (link_lower(ssl, s) == -1)
		goto fail;
	s->ssl = ssl;
	s->cur_want = &s->want_r;
	for (;;) {
		ret = SSL_connect(ssl);
		if (ret == 1)
			break;
		err = SSL_get_error(ssl, ret);
		if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
			short ev = s->lower != NULL ? s->want_r :
			    err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;

			if (s->lower != NULL && stream_pending(s->lower) > 0)
				continue;
			n = net_wait(s->fd, ev, deadline);
			if (n == 1)
				continue;
			if (n == 0)
				snprintf(msg, msglen, "timed out during the "
				    "handshake (does the proxy speak TLS on this "
				    "port?)");
			else
				snprintf(msg, msglen, "poll: %s", strerror(errno));
			return -1;
		}
		handshake_error(ssl, ret, msg, msglen);
		return -1;
	}
	log_trace(1, "TLS: %s, %s%s", SSL_get_version(ssl),
	    SSL_get_cipher_name(ssl), o->insecure ? ", certificate NOT "
	    "verified" : ", certificate verified");
	return 0;
fail:
	tls_error_string(msg, msglen);
	if (s->ssl != ssl)
		SSL_free(ssl);
	return -1;
}
