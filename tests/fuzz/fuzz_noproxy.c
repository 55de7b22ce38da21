/*
 * no_proxy matching: LIST LF HOST.  "*" matches anything, a valid host
 * listed alone matches itself, and case never matters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxyurl.h"
#include "target.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct target t;
	char *s, *host, *up;
	size_t i;
	int m;

	if ((s = malloc(2 * size + 2)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	host = memchr(s, '\n', size);
	if (host != NULL)
		*host++ = '\0';
	else
		host = s + size;
	up = s + size + 1;
	for (i = 0; host[i] != '\0'; i++)
		up[i] = host[i] >= 'a' && host[i] <= 'z' ?
		    (char)(host[i] - 32) : host[i];
	up[i] = '\0';
	m = noproxy_match(s, host);
	if ((m != 0 && m != 1) || noproxy_match(s, up) != m ||
	    noproxy_match("*", host) != 1)
		abort();
	if (target_parse_host(host, strlen(host), &t) == TARGET_OK &&
	    noproxy_match(t.host, t.host) != 1)
		abort();
	free(s);
	return 0;
}
