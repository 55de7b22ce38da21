/*
 * Proxy URLs.  An accepted URL's host and port parse back from its name,
 * its user and password hold no control character, and the redacted form
 * of a URL with credentials starts with its scheme and "<userinfo>@".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxyurl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
has_ctl(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy p;
	struct target back;
	enum target_rc detail;
	char *s, shown[256];
	const char *sep;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (proxyurl_parse(s, &p, &detail) == PURL_OK) {
		if (target_parse(p.name, NULL, &back) != TARGET_OK ||
		    strcmp(back.host, p.addr.host) != 0 ||
		    back.port != p.addr.port || has_ctl(p.user) ||
		    has_ctl(p.pass) || (p.pass != NULL && p.user == NULL))
			abort();
		proxyurl_redact(s, shown, sizeof(shown));
		sep = strstr(s, "://");
		if (p.user != NULL && strncmp(shown + (sep ? sep - s + 3 : 0),
		    "<userinfo>@", 11) != 0)
			abort();
		proxy_clear(&p);
	} else if (p.user != NULL || p.pass != NULL)
		abort();
	free(s);
	return 0;
}
