#define OSSL_NO_REDIRECT

#include <stdio.h>
#include <string.h>

#include "ossl.h"

#ifdef POSTERN_OSSL_LAZY

#include <dlfcn.h>

#include "dynload.h"

#ifndef OSSL_LIBCRYPTO
#define OSSL_LIBCRYPTO	"libcrypto.so.3"
#endif
#ifndef OSSL_LIBSSL
#define OSSL_LIBSSL	"libssl.so.3"
#endif

struct ossl_funcs ossl_fn;

#define OSSL_SYM(f)	{ #f, offsetof(struct ossl_funcs, f) },
static const struct dynsym crypto_syms[] = { OSSL_CRYPTO_FUNCS(OSSL_SYM) };
static const struct dynsym ssl_syms[] = { OSSL_SSL_FUNCS(OSSL_SYM) };
#undef OSSL_SYM

static void *handle[2];		/* open for the life of the process */

/* Open lib and fill ossl_fn's slots for syms; all or nothing. */
static int
load(enum ossl_part part, const char *lib, const struct dynsym *syms,
    size_t n, char *msg, size_t msglen)
{
	char err[256];

	if ((handle[part] = dynload(lib, syms, n, &ossl_fn, err,
	    sizeof(err))) != NULL)
		return 0;
	snprintf(msg, msglen, "cannot load OpenSSL: %s (postern was built for "
	    "OpenSSL %d)", err, OPENSSL_VERSION_MAJOR);
	return -1;
}

int
ossl_need(enum ossl_part part, char *msg, size_t msglen)
{
	if (handle[OSSL_CRYPTO] == NULL && load(OSSL_CRYPTO, OSSL_LIBCRYPTO,
	    crypto_syms, sizeof(crypto_syms) / sizeof(crypto_syms[0]), msg,
	    msglen) == -1)
		return -1;
	if (part == OSSL_SSL && handle[OSSL_SSL] == NULL && load(OSSL_SSL,
	    OSSL_LIBSSL, ssl_syms, sizeof(ssl_syms) / sizeof(ssl_syms[0]), msg,
	    msglen) == -1)
		return -1;
	return 0;
}

int
ossl_loaded(enum ossl_part part)
{
	return handle[part] != NULL;
}

uint64_t
ossl_init_opts(void)
{
	return OPENSSL_INIT_NO_LOAD_SSL_STRINGS |
	    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
}

/*
 * The loaders of OpenSSL 1.1's API still load each library's strings in
 * OpenSSL 3 (once OPENSSL_INIT_NO_LOAD_* has run, the init flags no
 * longer can).  Looked up by name: a build of OpenSSL without them only
 * costs the words, and the error is still given by its code.
 */
static void
call_loader(void *h, const char *lib)
{
	char name[40];
	int (*fn)(void);
	void *p;

	snprintf(name, sizeof(name), "ERR_load_%s_strings", lib);
	if (h != NULL && (p = dlsym(h, name)) != NULL) {
		memcpy(&fn, &p, sizeof(p));
		(void)fn();
	}
}

void
ossl_load_reasons(void)
{
	static const char *const crypto_libs[] = { "ERR", "ASN1", "BIO",
	    "BN", "BUF", "CONF", "CRYPTO", "DH", "DSA", "EC", "EVP", "OBJ",
	    "OSSL_STORE", "PEM", "PKCS12", "PKCS7", "RAND", "RSA", "X509",
	    "X509V3" };
	static int done;
	size_t i;

	if (done || handle[OSSL_CRYPTO] == NULL)
		return;
	done = 1;
	for (i = 0; i < sizeof(crypto_libs) / sizeof(crypto_libs[0]); i++)
		call_loader(handle[OSSL_CRYPTO], crypto_libs[i]);
	call_loader(handle[OSSL_SSL], "SSL");
}

#else /* OpenSSL linked in */

int
ossl_need(enum ossl_part part, char *msg, size_t msglen)
{
	(void)part;
	(void)msg;
	(void)msglen;
	return 0;
}

int
ossl_loaded(enum ossl_part part)
{
	(void)part;
	return 1;
}

uint64_t
ossl_init_opts(void)
{
	return 0;
}

void
ossl_load_reasons(void)
{
}

#endif

#ifdef POSTERN_OSSL_LAZY
#define OSSL_CALL(f)	(*ossl_fn.f)
#else
#define OSSL_CALL(f)	f
#endif

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
ossl_error_string(char *buf, size_t len)
{
	unsigned long e = OSSL_CALL(ERR_peek_error)();
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
		r = OSSL_CALL(ERR_reason_error_string)(e);
	}
	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else
		snprintf(buf, len, "OpenSSL error %08lX", e);
	OSSL_CALL(ERR_clear_error)();
}
