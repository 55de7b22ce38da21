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

/* Where the parts of a proxy URL are, before any decoding. */
struct url_parts {
	int		 tls;		/* https:// */
	const char	*auth;		/* the authority, userinfo included */
	const char	*end;		/* the end of the authority */
	const char	*colon;		/* between user and password, or NULL */
	const char	*at;		/* the end of the userinfo, or NULL */
	const char	*host;		/* after the userinfo */
};

static enum purl_rc
split_url(const char *url, struct url_parts *u)
{
	const char *s = url, *c;

	memset(u, 0, sizeof(*u));
	if (*s == '\0')
		return PURL_EMPTY;
	if (strstr(s, "://") != NULL) {
		if (strncasecmp_ascii(s, "http://", 7) == 0)
			s += 7;
		else if (strncasecmp_ascii(s, "https://", 8) == 0) {
			u->tls = 1;
			s += 8;
		} else
			return PURL_BAD_SCHEME;
	}
	u->auth = s;
	u->end = s + strcspn(s, "/?#");
	/* A lone trailing slash is common in http_proxy values. */
	if (*u->end != '\0' && strcmp(u->end, "/") != 0)
		return PURL_HAS_PATH;
	/*
	 * Userinfo ends at the last '@', so that a password holding an
	 * unencoded '@' never becomes part of the host name.
	 */
	for (c = u->auth; c < u->end; c++)
		if (*c == '@')
			u->at = c;
	if (u->at != NULL)
		u->colon = memchr(u->auth, ':', (size_t)(u->at - u->auth));
	u->host = u->at != NULL ? u->at + 1 : u->auth;
	return PURL_OK;
}

static enum purl_rc
decode_userinfo(const struct url_parts *u, struct proxy *p)
{
	enum purl_rc rc;

	if (u->at == NULL)
		return PURL_OK;
	rc = pct_decode(u->auth, (size_t)((u->colon ? u->colon : u->at) -
	    u->auth), &p->user);
	if (rc == PURL_OK && u->colon != NULL)
		rc = pct_decode(u->colon + 1, (size_t)(u->at - u->colon - 1),
		    &p->pass);
	return rc;
}

/* ":port" from s to end, or nothing: the scheme's port. */
static enum purl_rc
parse_port(const char *s, const char *end, int tls, unsigned *port)
{
	char portstr[8];
	unsigned long v;
	size_t plen;

	if (s == end) {
		*port = tls ? 443 : 80;
		return PURL_OK;
	}
	if (*s != ':')
		return PURL_BAD_HOST;
	plen = (size_t)(end - s - 1);
	if (plen == 0 || plen >= sizeof(portstr))
		return PURL_BAD_PORT;
	memcpy(portstr, s + 1, plen);
	portstr[plen] = '\0';
	if (parse_uint(portstr, 1, 65535, &v) == -1)
		return PURL_BAD_PORT;
	*port = (unsigned)v;
	return PURL_OK;
}

static enum purl_rc
parse_hostport(const struct url_parts *u, struct proxy *p,
    enum target_rc *detail)
{
	const char *hostend;
	enum purl_rc rc;

	if (*u->host == '[') {
		hostend = memchr(u->host, ']', (size_t)(u->end - u->host));
		if (hostend == NULL) {
			*detail = TARGET_BAD_IPV6;
			return PURL_BAD_HOST;
		}
		hostend++;
	} else
		hostend = u->host + strcspn(u->host, ":/?#");
	if (hostend > u->end)
		hostend = u->end;
	*detail = target_parse_host(u->host, (size_t)(hostend - u->host),
	    &p->addr);
	if (*detail != TARGET_OK)
		return PURL_BAD_HOST;
	if ((rc = parse_port(hostend, u->end, p->tls, &p->addr.port)) !=
	    PURL_OK)
		return rc;
	if (target_authority(&p->addr, p->name, sizeof(p->name)) == -1)
		return PURL_BAD_HOST;
	return PURL_OK;
}

enum purl_rc
proxyurl_parse(const char *url, struct proxy *p, enum target_rc *detail)
{
	struct url_parts u;
	enum purl_rc rc;

	memset(p, 0, sizeof(*p));
	*detail = TARGET_OK;
	if ((rc = split_url(url, &u)) != PURL_OK)
		return rc;
	p->tls = u.tls;
	if ((rc = decode_userinfo(&u, p)) == PURL_OK &&
	    (rc = parse_hostport(&u, p, detail)) == PURL_OK)
		return PURL_OK;
	proxy_clear(p);
	return rc;
}

int
proxyurl_password(const char *url, size_t *off, size_t *len)
{
	struct url_parts u;

	if (split_url(url, &u) != PURL_OK || u.colon == NULL)
		return 0;
	*off = (size_t)(u.colon + 1 - url);
	*len = (size_t)(u.at - u.colon - 1);
	return 1;
}

void
proxy_clear(struct proxy *p)
{
	free_secret(&p->user);
	free_secret(&p->pass);
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
	size_t off, len;

	return noproxy_which(list, host, &off, &len);
}

int
noproxy_which(const char *list, const char *host, size_t *off, size_t *len)
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
		*off = (size_t)(e - list);
		*len = elen;
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
