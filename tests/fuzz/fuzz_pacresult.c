/*
 * The PAC answer parser.  An accepted answer has between 1 and the
 * maximum of entries, not all SOCKS, and every proxy's authority parses
 * back to the same host and port.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pacresult.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	struct target back;
	char buf[AUTHORITY_MAX];
	size_t i, n, bad, socks = 0;

	if (pacres_parse((const char *)data, size, e, PAC_ENTRIES_MAX, &n,
	    &bad) != PACRES_OK) {
		if (bad > PAC_ENTRIES_MAX)
			abort();
		return 0;
	}
	if (n == 0 || n > PAC_ENTRIES_MAX)
		abort();
	for (i = 0; i < n; i++) {
		socks += e[i].kind == PAC_SOCKS;
		if (e[i].kind == PAC_DIRECT)
			continue;
		if (target_authority(&e[i].addr, buf, sizeof(buf)) == -1 ||
		    strpbrk(buf, "\r\n \t;") != NULL ||
		    target_parse(buf, NULL, &back) != TARGET_OK ||
		    strcmp(back.host, e[i].addr.host) != 0 ||
		    back.port != e[i].addr.port)
			abort();
	}
	if (socks == n)
		abort();
	return 0;
}
