#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyurl.h"
#include "util.h"

#define NOPROXY_ENTRY_MAX	(HOST_MAX + 8)	/* one entry, with "/len" */

/*
 * Percent-decode exactly once.  The result must not hold control
 * characters: CR or LF would inject headers, and RFC 7617 §2 forbids
 * CTLs in Basic credentials anyway.
 */
static enum purl_rc
pct_decode(const char *s, size_t len, char **out)
{
	char *d;
	size_t i, o = 0;
	int hi, lo;

	if (len > USERINFO_MAX * 3)
		return PURL_USERINFO_TOO_LONG;
	if ((d = malloc(len + 1)) == NULL)
		return PURL_NOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (len - i < 3)
				goto bad;
			if ((hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				goto bad;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			wipe(d, len + 1);
			free(d);
			return PURL_CTL_IN_USERINFO;
		}
		d[o++] = (char)c;
	}
	d[o] = '\0';
	if (o > USERINFO_MAX) {
		wipe(d, len + 1);
		free(d);
		return PURL_USERINFO_TOO_LONG;
	}
	*out = d;
	return PURL_OK;
bad:
	wipe(d, len + 1);
	free(d);
	return PURL_BAD_ESCAPE;
}

enum purl_rc
proxyurl_parse(const char *url, struct proxy *p, enum target_rc *detail)
{
	const char *s = url, *auth, *end, *at, *colon, *hostend;
	enum target_rc trc;
	enum purl_rc rc;
	unsigned long port;

	memset(p, 0, sizeof(*p));
	*detail = TARGET_OK;
	if (*s == '\0')
		return PURL_EMPTY;
	if (strstr(s, "://") != NULL) {
		if (strncasecmp_ascii(s, "http://", 7) == 0)
			s += 7;
		else if (strncasecmp_ascii(s, "https://", 8) == 0) {
			p->tls = 1;
			s += 8;
		} else
			return PURL_BAD_SCHEME;
	}
	auth = s;
	end = auth + strcspn(auth, "/?#");
	/* A lone trailing slash is common in http_proxy values. */
	if (*end != '\0' && strcmp(end, "/") != 0)
		return PURL_HAS_PATH;
	/*
	 * Userinfo ends at the last '@', so that a password holding an
	 * unencoded '@' never becomes part of the host name.
	 */
	at = NULL;
	for (colon = auth; colon < end; colon++)
		if (*colon == '@')
			at = colon;
	if (at != NULL) {
		colon = memchr(auth, ':', (size_t)(at - auth));
		rc = pct_decode(auth, (size_t)((colon ? colon : at) - auth),
		    &p->user);
		if (rc == PURL_OK && colon != NULL)
			rc = pct_decode(colon + 1, (size_t)(at - colon - 1),
			    &p->pass);
		if (rc != PURL_OK) {
			proxy_clear(p);
			return rc;
		}
		auth = at + 1;
	}
	if (*auth == '[') {
		hostend = memchr(auth, ']', (size_t)(end - auth));
		if (hostend == NULL) {
			*detail = TARGET_BAD_IPV6;
			rc = PURL_BAD_HOST;
			goto fail;
		}
		hostend++;
	} else
		hostend = auth + strcspn(auth, ":/?#");
	if (hostend > end)
		hostend = end;
	if ((trc = target_parse_host(auth, (size_t)(hostend - auth),
	    &p->addr)) != TARGET_OK) {
		*detail = trc;
		rc = PURL_BAD_HOST;
		goto fail;
	}
	if (hostend < end) {
		char portstr[8];
		size_t plen;

		if (*hostend != ':') {
			rc = PURL_BAD_HOST;
			goto fail;
		}
		plen = (size_t)(end - hostend - 1);
		if (plen == 0 || plen >= sizeof(portstr)) {
			rc = PURL_BAD_PORT;
			goto fail;
		}
		memcpy(portstr, hostend + 1, plen);
		portstr[plen] = '\0';
		if (parse_uint(portstr, 1, 65535, &port) == -1) {
			rc = PURL_BAD_PORT;
			goto fail;
		}
		p->addr.port = (unsigned)port;
	} else
		p->addr.port = p->tls ? 443 : 80;
	if (target_authority(&p->addr, p->name, sizeof(p->name)) == -1) {
		rc = PURL_BAD_HOST;
		goto fail;
	}
	return PURL_OK;
fail:
	proxy_clear(p);
	return rc;
}

void
proxy_clear(struct proxy *p)
{
	if (p->user != NULL) {
		wipe(p->user, strlen(p->user));
		free(p->user);
	}
	if (p->pass != NULL) {
		wipe(p->pass, strlen(p->pass));
		free(p->pass);
	}
	p->user = p->pass = NULL;
}

void
proxyurl_redact(const char *url, char *out, size_t len)
{
	const char *at = strrchr(url, '@');
	size_t slen;
	char tmp[512];
	int n;

	if (at == NULL) {
		escape_text(out, len, url, strlen(url));
		return;
	}
	/* A scheme is letters, digits, '+', '-', '.' then "://"; a "://"
	 * further on may be inside the password. */
	slen = strspn(url, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789+-.");
	if (slen == 0 || strncmp(url + slen, "://", 3) != 0 || url + slen > at)
		slen = 0;
	else
		slen += 3;
	n = snprintf(tmp, sizeof(tmp), "%.*s<userinfo>%s", (int)slen, url, at);
	if (n < 0)
		tmp[0] = '\0';
	escape_text(out, len, tmp, strlen(tmp));
}

const char *
proxy_from_env(const char *(*get)(const char *), const char **name)
{
	/* curl's order: the lowercase form first; HTTP_PROXY is never read
	 * because CGI sets it from a request header ("httpoxy"). */
	static const char *const vars[] = { "POSTERN_PROXY", "https_proxy",
	    "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "http_proxy" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		v = get(vars[i]);
		if (v != NULL && *v != '\0') {
			*name = vars[i];
			return v;
		}
	}
	return NULL;
}

static int
cidr_match(const char *entry, size_t elen, const char *host)
{
	unsigned char want[16], have[16];
	char addr[64], b[4];
	const char *slash, *a = entry;
	unsigned long bits;
	size_t alen, blen, i;
	int af, full;

	slash = memchr(entry, '/', elen);
	alen = slash ? (size_t)(slash - entry) : elen;
	if (alen >= 2 && a[0] == '[' && a[alen - 1] == ']') {
		a++;
		alen -= 2;
	}
	if (alen == 0 || alen >= sizeof(addr))
		return 0;
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	af = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(af, addr, want) != 1 || inet_pton(af, host, have) != 1)
		return 0;
	full = af == AF_INET6 ? 128 : 32;
	bits = (unsigned long)full;
	if (slash != NULL) {
		blen = (size_t)(entry + elen - slash - 1);
		if (blen == 0 || blen >= sizeof(b))
			return 0;
		memcpy(b, slash + 1, blen);
		b[blen] = '\0';
		if (parse_uint(b, 0, (unsigned long)full, &bits) == -1)
			return 0;
	}
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (want[i] != have[i])
			return 0;
	if (bits > 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits));

		if ((want[i] & mask) != (have[i] & mask))
			return 0;
	}
	return 1;
}

static int
is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

static int
name_match(const char *e, size_t elen, const char *host, size_t hlen)
{
	if (elen > 0 && e[0] == '.') {
		e++;
		elen--;
	}
	if (elen > 0 && e[elen - 1] == '.')
		elen--;
	if (elen == 0 || elen > hlen)
		return 0;
	if (strncasecmp_ascii(host + hlen - elen, e, elen) != 0)
		return 0;
	return elen == hlen || host[hlen - elen - 1] == '.';
}

int
noproxy_match(const char *list, const char *host)
{
	const char *p = list, *e;
	size_t elen, hlen = strlen(host);
	int ip = is_ip_literal(host);

	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		e = p;
		p += strcspn(p, ", \t");
		elen = (size_t)(p - e);
		if (elen == 0)
			continue;
		if (elen == 1 && e[0] == '*')
			return 1;
		if (elen > NOPROXY_ENTRY_MAX)
			continue;
		if (ip) {
			if (cidr_match(e, elen, host))
				return 1;
		} else if (name_match(e, elen, host, hlen))
			return 1;
	}
	return 0;
}

const char *
proxyurl_strerror(enum purl_rc rc)
{
	switch (rc) {
	case PURL_OK:
		return "no error";
	case PURL_EMPTY:
		return "empty URL";
	case PURL_BAD_SCHEME:
		return "unsupported scheme (use http:// or https://)";
	case PURL_BAD_HOST:
		return "invalid host";
	case PURL_BAD_PORT:
		return "invalid port";
	case PURL_HAS_PATH:
		return "a proxy URL has no path, query or fragment";
	case PURL_BAD_ESCAPE:
		return "bad percent-encoding in the user name or password";
	case PURL_CTL_IN_USERINFO:
		return "control character in the user name or password";
	case PURL_USERINFO_TOO_LONG:
		return "user name or password too long";
	case PURL_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}
