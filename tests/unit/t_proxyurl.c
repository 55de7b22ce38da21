/*
 * Proxy URLs (HOSTILE-INPUTS rows 52-55), their redaction for messages,
 * the environment's order of precedence (row 56) and no_proxy matching
 * with curl's syntax.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxyurl.h"
#include "tap.h"
#include "util.h"

static const char *
rcname(enum purl_rc rc)
{
	static const char *const names[] = { "PURL_OK", "PURL_EMPTY",
	    "PURL_BAD_SCHEME", "PURL_BAD_HOST", "PURL_BAD_PORT",
	    "PURL_HAS_PATH", "PURL_BAD_ESCAPE", "PURL_CTL_IN_USERINFO",
	    "PURL_USERINFO_TOO_LONG", "PURL_NOMEM" };

	if ((size_t)rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	return "(unknown)";
}

static const char *
esc(const char *s)
{
	static char out[4][200];
	static int i;

	if (s == NULL)
		return "(null)";
	i = (i + 1) % 4;
	escape_text(out[i], sizeof(out[i]), s, strlen(s));
	return out[i];
}

static int
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

struct ucase {
	const char	*url;
	enum purl_rc	 rc;
	const char	*host;		/* on PURL_OK */
	unsigned	 port;
	int		 tls;
	const char	*user;		/* NULL: none */
	const char	*pass;
	const char	*name;
};

static const struct ucase urls[] = {
	/* Row 52: percent-decoded exactly once. */
	{ "http://user:p%40ss%3Aw@proxy:3128", PURL_OK, "proxy", 3128, 0,
	    "user", "p@ss:w", "proxy:3128" },
	{ "http://us%65r:pa%2525ss@proxy:3128", PURL_OK, "proxy", 3128, 0,
	    "user", "pa%25ss", "proxy:3128" },
	{ "http://user:pa%2Fss%23%3F@proxy:3128", PURL_OK, "proxy", 3128, 0,
	    "user", "pa/ss#?", "proxy:3128" },
	{ "http://j%C3%BCrgen:%e2%82%ac@proxy:3128", PURL_OK, "proxy", 3128, 0,
	    "j\xc3\xbcrgen", "\xe2\x82\xac", "proxy:3128" },
	{ "http://user@proxy:3128", PURL_OK, "proxy", 3128, 0, "user", NULL,
	    "proxy:3128" },
	{ "http://user:@proxy:3128", PURL_OK, "proxy", 3128, 0, "user", "",
	    "proxy:3128" },
	{ "http://:pw@proxy:3128", PURL_OK, "proxy", 3128, 0, "", "pw",
	    "proxy:3128" },
	{ "http://user:pa ss@proxy:3128", PURL_OK, "proxy", 3128, 0, "user",
	    "pa ss", "proxy:3128" },
	{ "user:pass@proxy.corp:8080", PURL_OK, "proxy.corp", 8080, 0, "user",
	    "pass", "proxy.corp:8080" },

	/* Forms and default ports. */
	{ "proxy.corp:3128", PURL_OK, "proxy.corp", 3128, 0, NULL, NULL,
	    "proxy.corp:3128" },
	{ "proxy.corp", PURL_OK, "proxy.corp", 80, 0, NULL, NULL,
	    "proxy.corp:80" },
	{ "http://proxy", PURL_OK, "proxy", 80, 0, NULL, NULL, "proxy:80" },
	{ "https://proxy", PURL_OK, "proxy", 443, 1, NULL, NULL, "proxy:443" },
	{ "https://proxy:8443", PURL_OK, "proxy", 8443, 1, NULL, NULL,
	    "proxy:8443" },
	{ "HTTP://Proxy.Corp:8080", PURL_OK, "Proxy.Corp", 8080, 0, NULL, NULL,
	    "Proxy.Corp:8080" },
	{ "HtTpS://p:1", PURL_OK, "p", 1, 1, NULL, NULL, "p:1" },
	{ "http://proxy:3128/", PURL_OK, "proxy", 3128, 0, NULL, NULL,
	    "proxy:3128" },
	{ "http://proxy/", PURL_OK, "proxy", 80, 0, NULL, NULL, "proxy:80" },
	{ "http://192.0.2.1:3128", PURL_OK, "192.0.2.1", 3128, 0, NULL, NULL,
	    "192.0.2.1:3128" },
	{ "http://proxy:65535", PURL_OK, "proxy", 65535, 0, NULL, NULL,
	    "proxy:65535" },

	/* Row 55: IPv6. */
	{ "http://[::1]:3128", PURL_OK, "::1", 3128, 0, NULL, NULL,
	    "[::1]:3128" },
	{ "http://[::1]", PURL_OK, "::1", 80, 0, NULL, NULL, "[::1]:80" },
	{ "http://u:p@[2001:db8::1]:3128/", PURL_OK, "2001:db8::1", 3128, 0,
	    "u", "p", "[2001:db8::1]:3128" },
	{ "[::1]:3128", PURL_OK, "::1", 3128, 0, NULL, NULL, "[::1]:3128" },
	{ "http://[::1", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://[::1]x:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://[fe80::1%25eth0]:3128", PURL_BAD_HOST, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://[::1]:", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },

	/* Row 55: ports. */
	{ "http://proxy:0", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "proxy:", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:65536", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:-1", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:+3128", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:3128x", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy: 3128", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:99999999999", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://proxy:3128:80", PURL_BAD_PORT, NULL, 0, 0, NULL, NULL,
	    NULL },

	/* Path, query, fragment. */
	{ "http://proxy:3128/path", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://proxy:3128//", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy:3128?x=1", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://proxy:3128/?x=1", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://proxy:3128#frag", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://proxy/#", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL, NULL },

	/* Schemes. */
	{ "socks5://proxy:1080", PURL_BAD_SCHEME, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "socks5h://proxy:1080", PURL_BAD_SCHEME, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "ftp://proxy", PURL_BAD_SCHEME, NULL, 0, 0, NULL, NULL, NULL },
	{ "://proxy:3128", PURL_BAD_SCHEME, NULL, 0, 0, NULL, NULL, NULL },
	{ "httpx://proxy", PURL_BAD_SCHEME, NULL, 0, 0, NULL, NULL, NULL },
	{ "http:/proxy:3128", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL, NULL },
	{ "", PURL_EMPTY, NULL, 0, 0, NULL, NULL, NULL },

	/* Hosts. */
	{ "http://", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://user:pass@", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://user:pass@:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://pr oxy:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://pr%6fxy:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL, NULL },
	{ "http://proxy\r\n:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://pr\xc3\xb6xy:3128", PURL_BAD_HOST, NULL, 0, 0, NULL, NULL,
	    NULL },

	/* Row 52: bad percent-encoding. */
	{ "http://us%zzer:pw@proxy", PURL_BAD_ESCAPE, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user:pw%@proxy", PURL_BAD_ESCAPE, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user:pw%4@proxy", PURL_BAD_ESCAPE, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user:%4g@proxy", PURL_BAD_ESCAPE, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user%:pw@proxy", PURL_BAD_ESCAPE, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user:%%41@proxy", PURL_BAD_ESCAPE, NULL, 0, 0, NULL, NULL,
	    NULL },

	/* Row 54: no CTL after decoding. */
	{ "http://user:pw%0d%0aX-Evil:%201@proxy", PURL_CTL_IN_USERINFO, NULL,
	    0, 0, NULL, NULL, NULL },
	{ "http://user%0a:pw@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:pw%00@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:pw%0D@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:pw%09@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:pw%1b@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:pw%7F@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:p\tw@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://us\x01r:pw@proxy", PURL_CTL_IN_USERINFO, NULL, 0, 0, NULL,
	    NULL, NULL },

	/* Row 53: unencoded '@' and ':' in the password; the host is what
	 * follows the last '@' and never holds password bytes. */
	{ "http://user:p@ss@proxy:3128", PURL_OK, "proxy", 3128, 0, "user",
	    "p@ss", "proxy:3128" },
	{ "http://user:pass@evil.example@proxy:3128", PURL_OK, "proxy", 3128,
	    0, "user", "pass@evil.example", "proxy:3128" },
	{ "http://user:p:a:ss@proxy:3128", PURL_OK, "proxy", 3128, 0, "user",
	    "p:a:ss", "proxy:3128" },
	{ "http://u@v:w@proxy:3128", PURL_OK, "proxy", 3128, 0, "u@v", "w",
	    "proxy:3128" },
	{ "http://user:pass@proxy:3128@", PURL_BAD_HOST, NULL, 0, 0, NULL,
	    NULL, NULL },
	{ "http://user:pa/ss@proxy:3128", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user:pa#ss@proxy:3128", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://user:pa?ss@proxy:3128", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
	{ "http://proxy:3128/@evil:80", PURL_HAS_PATH, NULL, 0, 0, NULL, NULL,
	    NULL },
};

static void
test_urls(void)
{
	const struct ucase *c;
	struct proxy p;
	enum target_rc detail;
	enum purl_rc rc;
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		c = &urls[i];
		memset(&p, 0x55, sizeof(p));
		rc = proxyurl_parse(c->url, &p, &detail);
		if (!ok(rc == c->rc, "\"%s\" -> %s", esc(c->url),
		    rcname(c->rc))) {
			printf("#   got %s\n", rcname(rc));
			if (rc == PURL_OK)
				proxy_clear(&p);
			continue;
		}
		if (rc != PURL_OK) {
			ok(p.user == NULL && p.pass == NULL,
			    "\"%s\": no credentials kept after the error",
			    esc(c->url));
			continue;
		}
		if (!ok(strcmp(p.addr.host, c->host) == 0 &&
		    p.addr.port == c->port && p.tls == c->tls &&
		    strcmp(p.name, c->name) == 0,
		    "\"%s\": host %s, port %u, %s", esc(c->url), c->host,
		    c->port, c->tls ? "https" : "http"))
			printf("#   got host '%s' port %u tls %d name '%s'\n",
			    esc(p.addr.host), p.addr.port, p.tls, esc(p.name));
		if (!ok(same(p.user, c->user) && same(p.pass, c->pass),
		    "\"%s\": user %s, password %s", esc(c->url), esc(c->user),
		    esc(c->pass)))
			printf("#   got user %s, password %s\n", esc(p.user),
			    esc(p.pass));
		proxy_clear(&p);
		ok(p.user == NULL && p.pass == NULL,
		    "\"%s\": proxy_clear drops the credentials", esc(c->url));
	}
}

/* What the caller shows: the failing part, never the userinfo. */
static void
test_detail(void)
{
	struct proxy p;
	enum target_rc d;

	d = TARGET_OK;
	is_int(proxyurl_parse("http://[::1", &p, &d), PURL_BAD_HOST,
	    "detail: unterminated bracket");
	is_int(d, TARGET_BAD_IPV6, "detail: ... names the IPv6 literal");
	is_int(proxyurl_parse("http://[fe80::1%25eth0]:3128", &p, &d),
	    PURL_BAD_HOST, "detail: zone ID");
	is_int(d, TARGET_ZONE_ID, "detail: ... names the zone ID");
	is_int(proxyurl_parse("http://pr oxy", &p, &d), PURL_BAD_HOST,
	    "detail: space in the host");
	is_int(d, TARGET_BAD_HOST, "detail: ... names a bad character");
	is_int(proxyurl_parse("http://user:pw@", &p, &d), PURL_BAD_HOST,
	    "detail: empty host after the userinfo");
	is_int(d, TARGET_EMPTY_HOST, "detail: ... names the empty host");
	is_int(proxyurl_parse("http://proxy:0", &p, &d), PURL_BAD_PORT,
	    "detail: port 0");
	is_int(d, TARGET_OK, "detail: ... none for a port");
}

static void
test_userinfo_limits(void)
{
	char url[8 * USERINFO_MAX], user[4 * USERINFO_MAX];
	struct proxy p;
	enum target_rc d;
	enum purl_rc rc;
	size_t i;

	memset(user, 'u', USERINFO_MAX);
	user[USERINFO_MAX] = '\0';
	snprintf(url, sizeof(url), "http://%s:pw@proxy:3128", user);
	rc = proxyurl_parse(url, &p, &d);
	ok(rc == PURL_OK && p.user != NULL &&
	    strlen(p.user) == USERINFO_MAX, "user of USERINFO_MAX bytes: kept");
	proxy_clear(&p);

	user[USERINFO_MAX] = 'u';
	user[USERINFO_MAX + 1] = '\0';
	snprintf(url, sizeof(url), "http://%s:pw@proxy:3128", user);
	is_int(proxyurl_parse(url, &p, &d), PURL_USERINFO_TOO_LONG,
	    "user of USERINFO_MAX + 1 bytes: too long");

	/* Encoded, it is the decoded length that counts. */
	for (i = 0; i < USERINFO_MAX; i++)
		memcpy(user + 3 * i, "%41", 3);
	user[3 * USERINFO_MAX] = '\0';
	snprintf(url, sizeof(url), "http://u:%s@proxy:3128", user);
	rc = proxyurl_parse(url, &p, &d);
	ok(rc == PURL_OK && p.pass != NULL &&
	    strlen(p.pass) == USERINFO_MAX && p.pass[0] == 'A',
	    "password of USERINFO_MAX encoded bytes: decoded and kept");
	proxy_clear(&p);
}

/* proxyurl_redact never shows what comes before the last '@'. */
static void
test_redact(void)
{
	static const struct {
		const char	*url;
		const char	*want;
		const char	*secret;	/* must not appear */
	} t[] = {
		{ "http://user:secret@proxy:3128",
		    "http://<userinfo>@proxy:3128", "secret" },
		{ "https://user:secret@proxy:3128",
		    "https://<userinfo>@proxy:3128", "secret" },
		{ "user:secret@proxy:3128", "<userinfo>@proxy:3128", "secret" },
		{ "http://user:p@ss@proxy:3128", "http://<userinfo>@proxy:3128",
		    "ss" },
		{ "socks5://user:secret@proxy:1080",
		    "socks5://<userinfo>@proxy:1080", "secret" },
		{ "http://user:pa/ss@proxy:3128",
		    "http://<userinfo>@proxy:3128", "pa/ss" },
		{ "http://proxy:3128", "http://proxy:3128", NULL },
		{ "proxy:3128", "proxy:3128", NULL },
		{ "http://pro\r\nxy:3128", "http://pro\\r\\nxy:3128", NULL },
		{ "http://u:s@pro\x1bxy", "http://<userinfo>@pro\\x1bxy",
		    "u:s" },
		/* No scheme, and "://" inside the password (rejected as an
		 * unknown scheme, then shown in the error message). */
		{ "usr:se://cret@proxy:3128", "<userinfo>@proxy:3128",
		    "cret" },
		{ "alice:hunter2://x@proxy:3128", "<userinfo>@proxy:3128",
		    "hunter2" },
	};
	char out[256], small[12];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		proxyurl_redact(t[i].url, out, sizeof(out));
		if (!ok(strcmp(out, t[i].want) == 0 &&
		    (t[i].secret == NULL || strstr(out, t[i].secret) == NULL),
		    "redact \"%s\" -> \"%s\"", esc(t[i].url), esc(t[i].want)))
			printf("#   got \"%s\"\n", esc(out));
	}
	memset(small, 'X', sizeof(small));
	proxyurl_redact("http://user:secret@proxy:3128", small, 8);
	ok(memchr(small, '\0', 8) != NULL && strstr(small, "sec") == NULL &&
	    small[8] == 'X', "redact into 8 bytes: terminated, no secret");
	{
		char url[1200];

		memset(url, 's', sizeof(url));
		memcpy(url, "http://u:", 9);
		snprintf(url + 1000, sizeof(url) - 1000, "@proxy:3128");
		proxyurl_redact(url, out, sizeof(out));
		ok(strcmp(out, "http://<userinfo>@proxy:3128") == 0,
		    "redact a 1000-byte userinfo");
	}
}

/* proxy_from_env with an injected getenv. */
static const char *env_names[8], *env_values[8];
static size_t env_n;
static int env_read_http_proxy_upper;

static const char *
fake_getenv(const char *name)
{
	size_t i;

	if (strcmp(name, "HTTP_PROXY") == 0)
		env_read_http_proxy_upper = 1;
	for (i = 0; i < env_n; i++)
		if (strcmp(env_names[i], name) == 0)
			return env_values[i];
	return NULL;
}

static void
env_set(const char *name, const char *value)
{
	env_names[env_n] = name;
	env_values[env_n++] = value;
}

static void
test_env(void)
{
	static const char *const order[] = { "POSTERN_PROXY", "https_proxy",
	    "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "http_proxy" };
	const size_t n = sizeof(order) / sizeof(order[0]);
	const char *v, *name;
	size_t i, j, bad = 0;

	/* Each alone. */
	for (i = 0; i < n; i++) {
		env_n = 0;
		env_set(order[i], "p:1");
		name = NULL;
		v = proxy_from_env(fake_getenv, &name);
		ok(v != NULL && strcmp(v, "p:1") == 0 && name != NULL &&
		    strcmp(name, order[i]) == 0, "env: %s alone is used",
		    order[i]);
	}
	/* Every pair, set in both orders: the earlier in the list wins. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++) {
			int k, ok_;

			for (k = 0; k < 2; k++) {
				env_n = 0;
				if (k == 0) {
					env_set(order[i], "high:1");
					env_set(order[j], "low:2");
				} else {
					env_set(order[j], "low:2");
					env_set(order[i], "high:1");
				}
				name = NULL;
				v = proxy_from_env(fake_getenv, &name);
				ok_ = v != NULL && strcmp(v, "high:1") == 0 &&
				    name != NULL && strcmp(name, order[i]) == 0;
				if (!ok_ && bad++ == 0)
					printf("# %s and %s: got %s from %s\n",
					    order[i], order[j],
					    v ? v : "(null)",
					    name ? name : "(null)");
			}
		}
	ok(bad == 0, "env: for each of the %zu pairs the earlier one wins",
	    n * (n - 1) / 2);

	/* Empty values are skipped. */
	env_n = 0;
	env_set("POSTERN_PROXY", "");
	env_set("https_proxy", "");
	env_set("ALL_PROXY", "all:3");
	env_set("http_proxy", "plain:4");
	v = proxy_from_env(fake_getenv, &name);
	ok(v != NULL && strcmp(v, "all:3") == 0 &&
	    strcmp(name, "ALL_PROXY") == 0,
	    "env: empty POSTERN_PROXY and https_proxy are skipped");

	/* HTTP_PROXY is never read (httpoxy). */
	env_n = 0;
	env_read_http_proxy_upper = 0;
	env_set("HTTP_PROXY", "evil:666");
	name = "untouched";
	v = proxy_from_env(fake_getenv, &name);
	ok(v == NULL, "env: HTTP_PROXY alone gives no proxy");
	ok(!env_read_http_proxy_upper,
	    "env: HTTP_PROXY is never even looked up");
	env_set("http_proxy", "good:1");
	v = proxy_from_env(fake_getenv, &name);
	ok(v != NULL && strcmp(v, "good:1") == 0, "env: http_proxy beside "
	    "HTTP_PROXY is used");

	env_n = 0;
	v = proxy_from_env(fake_getenv, &name);
	ok(v == NULL, "env: nothing set gives NULL");
	env_set("no_proxy", "*");
	env_set("NO_PROXY", "*");
	ok(proxy_from_env(fake_getenv, &name) == NULL,
	    "env: no_proxy is not a proxy");
}

static void
test_noproxy(void)
{
	static const struct {
		const char	*list;
		const char	*host;
		int		 match;
	} t[] = {
		{ "*", "example.com", 1 },
		{ "*", "192.0.2.1", 1 },
		{ "*", "::1", 1 },
		{ "foo, *", "example.com", 1 },
		{ "*.example.com", "www.example.com", 0 },
		{ "**", "example.com", 0 },
		{ "", "example.com", 0 },
		{ " , ,, ", "example.com", 0 },

		/* Names: themselves and their subdomains. */
		{ "example.com", "example.com", 1 },
		{ "example.com", "www.example.com", 1 },
		{ "example.com", "a.b.example.com", 1 },
		{ ".example.com", "example.com", 1 },
		{ ".example.com", "www.example.com", 1 },
		{ "ample.com", "example.com", 0 },
		{ "example.com", "badexample.com", 0 },
		{ ".example.com", "badexample.com", 0 },
		{ "example.com", "example.com.evil", 0 },
		{ "www.example.com", "example.com", 0 },
		{ "com", "example.com", 1 },
		{ "EXAMPLE.Com", "www.example.COM", 1 },
		{ "example.com", "example.com.", 1 },
		{ "example.com.", "example.com", 1 },
		{ "example.com", "www.example.com.", 1 },
		{ ".", "example.com", 0 },
		{ "localhost", "localhost", 1 },

		/* Lists: commas, spaces, tabs, empty entries. */
		{ "foo.org,example.com", "www.example.com", 1 },
		{ "foo.org, example.com", "example.com", 1 },
		{ "foo.org example.com", "example.com", 1 },
		{ "foo.org\texample.com", "example.com", 1 },
		{ ",,foo.org,, ,example.com,", "example.com", 1 },
		{ "  example.com  ", "example.com", 1 },
		{ "foo.org,bar.net", "example.com", 0 },

		/* IPv4. */
		{ "192.0.2.1", "192.0.2.1", 1 },
		{ "192.0.2.1", "192.0.2.10", 0 },
		{ "192.0.2.10", "192.0.2.1", 0 },
		{ "10.0.0.0/8", "10.255.1.2", 1 },
		{ "10.0.0.0/8", "11.0.0.1", 0 },
		{ "10.1.2.3/8", "10.9.9.9", 1 },
		{ "192.168.1.0/24", "192.168.1.77", 1 },
		{ "192.168.1.0/24", "192.168.2.77", 0 },
		{ "192.168.1.0/23", "192.168.1.77", 1 },
		{ "192.168.0.0/23", "192.168.1.77", 1 },
		{ "192.168.2.0/23", "192.168.1.77", 0 },
		{ "192.0.2.1/32", "192.0.2.1", 1 },
		{ "192.0.2.1/32", "192.0.2.2", 0 },
		{ "0.0.0.0/0", "203.0.113.9", 1 },
		{ "0.0.0.0/0", "::1", 0 },
		{ "10.0.0.0/33", "10.0.0.1", 0 },
		{ "192.0.2.1/33", "192.0.2.1", 0 },
		{ "10.0.0.0/", "10.0.0.1", 0 },
		{ "10.0.0.0/x", "10.0.0.1", 0 },
		{ "10.0.0.0/-1", "10.0.0.1", 0 },
		{ "10.0.0.0/8/8", "10.0.0.1", 0 },
		{ "10.0.0.0/33, 10.0.0.1", "10.0.0.1", 1 },
		{ "10.0.0", "10.0.0.1", 0 },

		/* IPv6. */
		{ "::1", "::1", 1 },
		{ "[::1]", "::1", 1 },
		{ "::1", "::2", 0 },
		{ "2001:db8::1", "2001:DB8:0:0::1", 1 },
		{ "2001:db8::/64", "2001:db8::dead:beef", 1 },
		{ "2001:db8::/64", "2001:db8:0:1::1", 0 },
		{ "[2001:db8::]/64", "2001:db8::7", 1 },
		{ "2001:db8::1/128", "2001:db8::1", 1 },
		{ "2001:db8::1/128", "2001:db8::2", 0 },
		{ "2001:db8::/129", "2001:db8::1", 0 },
		{ "2001:db8::1/129", "2001:db8::1", 0 },
		{ "::/0", "2001:db8::1", 1 },
		{ "::/0", "192.0.2.1", 0 },
		{ "fe80::/10", "fe80::1", 1 },
		{ "fe80::/10", "febf::1", 1 },
		{ "fe80::/10", "fec0::1", 0 },
		{ "192.0.2.1", "::ffff:192.0.2.1", 0 },

		/* A name never matches an IP, nor an IP a name. */
		{ "example.com", "192.0.2.1", 0 },
		{ "1", "192.0.2.1", 0 },
		{ "2.1", "192.0.2.1", 0 },
		{ ".1", "192.0.2.1", 0 },
		{ "localhost", "127.0.0.1", 0 },
		{ "localhost", "::1", 0 },
		{ "192.0.2.1", "host.192.0.2.1.example", 0 },
		{ "10.0.0.0/8", "10.example", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(noproxy_match(t[i].list, t[i].host), t[i].match,
		    "no_proxy \"%s\" %s %s", esc(t[i].list),
		    t[i].match ? "matches" : "does not match", t[i].host);

	/* An entry longer than any name is ignored, not truncated. */
	{
		char list[600];

		memset(list, 'a', 500);
		snprintf(list + 500, sizeof(list) - 500, ".example.com");
		is_int(noproxy_match(list, "example.com"), 0,
		    "no_proxy: a 512-byte entry matches nothing");
		is_int(noproxy_match(list, list), 0,
		    "no_proxy: ... not even itself");
	}
}

/* --check names the entry that matched. */
static void
test_noproxy_which(void)
{
	const char *list = " example.org, .corp.example ,10.0.0.0/8";
	size_t off = 0, len = 0;

	is_int(noproxy_which(list, "db.corp.example", &off, &len), 1,
	    "noproxy_which: a suffix matches");
	is_int((int)off, 14, "noproxy_which: its offset");
	is_int((int)len, 13, "noproxy_which: its length");
	is_int(noproxy_which(list, "10.1.2.3", &off, &len), 1,
	    "noproxy_which: a CIDR matches");
	ok(strncmp(list + off, "10.0.0.0/8", len) == 0 && len == 10,
	    "noproxy_which: the CIDR entry");
	is_int(noproxy_which(list, "example.com", &off, &len), 0,
	    "noproxy_which: no match");
}

static void
test_strerror(void)
{
	int rc, r2, good = 1;

	for (rc = PURL_EMPTY; rc <= PURL_NOMEM; rc++) {
		if (strcmp(proxyurl_strerror(rc), "unknown error") == 0)
			good = 0;
		for (r2 = PURL_EMPTY; r2 < rc; r2++)
			if (strcmp(proxyurl_strerror(rc),
			    proxyurl_strerror(r2)) == 0)
				good = 0;
	}
	ok(good, "proxyurl_strerror: a distinct message per error");
}

/* Where main() blanks the password in argv. */
static void
test_password_span(void)
{
	static const struct {
		const char	*url;
		const char	*pass;		/* NULL: none */
	} t[] = {
		{ "http://alice:pw@proxy:3128", "pw" },
		{ "https://alice:p%40ss%3Aw0rd@proxy", "p%40ss%3Aw0rd" },
		{ "alice:p@ss@proxy:3128/", "p@ss" },
		{ "http://alice:a:b@[2001:db8::1]:3128", "a:b" },
		{ "http://alice:@proxy:3128", "" },
		{ "http://alice@proxy:3128", NULL },
		{ "http://proxy:3128", NULL },
		{ "proxy:3128", NULL },
		{ "ftp://alice:pw@proxy", NULL },
		{ "http://proxy:3128/path?a:b@c", NULL },
	};
	char got[64];
	size_t i, off, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!proxyurl_password(t[i].url, &off, &len)) {
			ok(t[i].pass == NULL, "proxyurl_password(%s): none",
			    t[i].url);
			continue;
		}
		snprintf(got, sizeof(got), "%.*s", (int)len, t[i].url + off);
		is_str(got, t[i].pass, "proxyurl_password(%s)", t[i].url);
	}
}

int
main(void)
{
	test_password_span();
	test_urls();
	test_detail();
	test_userinfo_limits();
	test_redact();
	test_env();
	test_noproxy();
	test_noproxy_which();
	test_strerror();
	return done_testing();
}
