/*
 * Target parsing.  Input with a NUL is HOST NUL PORT (two arguments),
 * without one it is HOST:PORT.  An accepted target's authority holds no
 * byte that could end the request line or change its meaning, and parses
 * back to the same target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "target.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target t, back;
	char *s, *nul, buf[AUTHORITY_MAX];

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	target_parse_host((const char *)data, size, &t);
	nul = memchr(s, '\0', size);
	if (target_parse(s, nul != NULL ? nul + 1 : NULL, &t) == TARGET_OK) {
		if (target_authority(&t, buf, sizeof(buf)) == -1 ||
		    strpbrk(buf, "\r\n \t/@%?#") != NULL ||
		    target_parse(buf, NULL, &back) != TARGET_OK ||
		    strcmp(back.host, t.host) != 0 || back.port != t.port ||
		    back.ipv6 != t.ipv6 || t.port < 1 || t.port > 65535)
			abort();
	}
	free(s);
	return 0;
}
