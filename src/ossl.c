#define OSSL_NO_REDIRECT

#include <stdio.h>
#include <string.h>

#include "ossl.h"

#ifdef POSTERN_OSSL_LAZY

#include <dlfcn.h>

#ifndef OSSL_LIBCRYPTO
#define OSSL_LIBCRYPTO	"libcrypto.so.3"
#endif
#ifndef OSSL_LIBSSL
#define OSSL_LIBSSL	"libssl.so.3"
#endif

struct ossl_funcs ossl_fn;

struct sym {
	const char	*name;
	size_t		 off;
};

#define OSSL_SYM(f)	{ #f, offsetof(struct ossl_funcs, f) },
static const struct sym crypto_syms[] = { OSSL_CRYPTO_FUNCS(OSSL_SYM) };
static const struct sym ssl_syms[] = { OSSL_SSL_FUNCS(OSSL_SYM) };
#undef OSSL_SYM

static int loaded[2];

/* Open lib and fill the table's slots for syms; all or nothing. */
static int
load(const char *lib, const struct sym *syms, size_t n, char *msg,
    size_t msglen)
{
	void *h, *p;
	size_t i;

	/* RTLD_NOW: a missing symbol shows here, not as a crash later. */
	if ((h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(msg, msglen, "cannot load OpenSSL: %s", dlerror());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((p = dlsym(h, syms[i].name)) == NULL) {
			snprintf(msg, msglen, "cannot load OpenSSL: %s has no "
			    "%s (postern was built for OpenSSL %d)", lib,
			    syms[i].name, OPENSSL_VERSION_MAJOR);
			dlclose(h);
			return -1;
		}
		/* POSIX guarantees that a dlsym() result converts to a
		 * function pointer; memcpy keeps ISO C quiet about it. */
		memcpy((char *)&ossl_fn + syms[i].off, &p, sizeof(p));
	}
	/* The handle stays open for the life of the process. */
	return 0;
}

int
ossl_need(enum ossl_part part, char *msg, size_t msglen)
{
	if (!loaded[OSSL_CRYPTO]) {
		if (load(OSSL_LIBCRYPTO, crypto_syms, sizeof(crypto_syms) /
		    sizeof(crypto_syms[0]), msg, msglen) == -1)
			return -1;
		loaded[OSSL_CRYPTO] = 1;
	}
	if (part == OSSL_SSL && !loaded[OSSL_SSL]) {
		if (load(OSSL_LIBSSL, ssl_syms, sizeof(ssl_syms) /
		    sizeof(ssl_syms[0]), msg, msglen) == -1)
			return -1;
		loaded[OSSL_SSL] = 1;
	}
	return 0;
}

int
ossl_loaded(enum ossl_part part)
{
	return loaded[part];
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

#endif
