#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "dynload.h"

void *
dynload(const char *lib, const struct dynsym *syms, size_t n, void *table,
    char *err, size_t errlen)
{
	void *h, *p;
	size_t i;

	if ((h = dlopen(lib, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if ((p = dlsym(h, syms[i].name)) == NULL) {
			snprintf(err, errlen, "%s has no %s", lib, syms[i].name);
			dlclose(h);
			return NULL;
		}
		/* POSIX guarantees that a dlsym() result converts to a
		 * function pointer; memcpy keeps ISO C quiet about it. */
		memcpy((char *)table + syms[i].off, &p, sizeof(p));
	}
	return h;
}
