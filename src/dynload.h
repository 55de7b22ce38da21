#ifndef POSTERN_DYNLOAD_H
#define POSTERN_DYNLOAD_H

#include <stddef.h>

/*
 * Optional libraries (OpenSSL, GSSAPI, Duktape) are opened when first
 * needed, so that a plain tunnel never maps them.  Each keeps a table of
 * function pointers; dynsym names one and where its slot is.
 */
struct dynsym {
	const char	*name;
	size_t		 off;		/* offsetof() in the table */
};

/*
 * Open lib and fill table's slots for syms: all or nothing (RTLD_NOW, so
 * that a missing symbol shows here and not as a crash later).  Returns
 * the handle, open for the life of the process, or NULL with err saying
 * what failed: dlerror()'s words, or "LIB has no SYMBOL".
 */
void	*dynload(const char *lib, const struct dynsym *syms, size_t n,
	    void *table, char *err, size_t errlen);

#endif
