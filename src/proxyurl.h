#ifndef POSTERN_PROXYURL_H
#define POSTERN_PROXYURL_H

#include <stddef.h>

#include "target.h"

#define USERINFO_MAX	1024	/* decoded user or password */

struct proxy {
	int		 tls;		/* https:// */
	struct target	 addr;		/* host and port */
	char		 name[AUTHORITY_MAX];	/* "host:port" for messages */
	char		*user;		/* percent-decoded, or NULL */
	char		*pass;		/* percent-decoded, or NULL */
};

enum purl_rc {
	PURL_OK = 0,
	PURL_EMPTY,
	PURL_BAD_SCHEME,
	PURL_BAD_HOST,
	PURL_BAD_PORT,
	PURL_HAS_PATH,
	PURL_BAD_ESCAPE,
	PURL_CTL_IN_USERINFO,
	PURL_USERINFO_TOO_LONG,
	PURL_NOMEM,
};

/*
 * http://[user[:pass]@]host[:port][/], https://…, or a bare host:port
 * (meaning http).  On error *detail names the part that failed, when
 * there is one worth showing (never userinfo).
 */
enum purl_rc	proxyurl_parse(const char *, struct proxy *, enum target_rc *);
void		proxy_clear(struct proxy *);	/* wipes the credentials */

/*
 * Where the password of a URL that proxyurl_parse() takes is, as written
 * (percent-encoded): 1 with *off and *len set, or 0 when there is none.
 */
int		proxyurl_password(const char *, size_t *off, size_t *len);
const char	*proxyurl_strerror(enum purl_rc);

/*
 * The URL with anything up to its last '@' replaced, safe for messages:
 * "http://<userinfo>@proxy:3128".
 */
void		proxyurl_redact(const char *, char *, size_t);

/*
 * The proxy from the environment, in the order of precedence of the
 * contract; *name is the variable it came from.  NULL if none is set.
 */
const char	*proxy_from_env(const char *(*getenv_fn)(const char *),
		    const char **name);

/*
 * curl's no_proxy syntax: comma- or space-separated entries; "*" alone
 * matches everything; a name matches itself and its subdomains, with or
 * without a leading dot; IP literals match exactly and CIDR ranges match
 * IP literals.  host is the bare target host (no brackets).
 */
int		noproxy_match(const char *list, const char *host);
/* noproxy_match(), and on a match the entry's place in list. */
int		noproxy_which(const char *list, const char *host, size_t *off,
		    size_t *len);

#endif
