#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "exitcodes.h"
#include "log.h"
#include "net.h"
#include "pac.h"
#include "pacfetch.h"
#include "pacresult.h"
#include "pacrun.h"
#include "pacstate.h"
#include "util.h"

#define FAILED_MAX	2048		/* the line naming every entry */

/* --check: one line of the report (tunnel_cfg.report). */
__attribute__((format(printf, 2, 3)))
static void
pnote(const struct tunnel_cfg *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (c->report == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	c->report->line(c->report->arg, line);
}

/* FindProxyForURL's url: https://HOST[:PORT]/, [v6] in brackets. */
static void
pac_url(const struct target *t, char *url, size_t len)
{
	char port[8] = "";

	if (t->port != 443)
		snprintf(port, sizeof(port), ":%u", t->port);
	snprintf(url, len, "https://%s%s%s%s/", t->ipv6 ? "[" : "", t->host,
	    t->ipv6 ? "]" : "", port);
}

/*
 * The PAC into pac: a remote one revalidated against its cached copy,
 * which stands in (up to PAC_CACHE_MAX_AGE old) when the server cannot
 * be reached.  0, or -1 with err set.
 */
static int
get_pac(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct buf *pac, char *err, size_t errlen)
{
	struct pac_validators v;
	struct buf cached;
	int64_t confirmed, age;
	int have, rc;

	if (!pac_is_remote(name)) {
		pnote(c, "PAC %s: reading the file", name);
		return pac_fetch(name, c->tls, NULL, deadline, pac, err,
		    errlen) == -1 ? -1 : 0;
	}
	pnote(c, "PAC %s: fetching", name);
	memset(&v, 0, sizeof(v));
	buf_init(&cached, PAC_MAX);
	have = pac_cache_load(name, &cached, &v, &confirmed) == 0;
	age = (int64_t)time(NULL) - confirmed;
	rc = pac_fetch(name, c->tls, &v, deadline, pac, err, errlen);
	if (rc == 200) {
		pnote(c, "PAC %s: fetched (200)", name);
		pac_cache_store(name, pac, &v);
	} else if (rc == 304 && have) {
		log_trace(1, "PAC %s: not modified: the cached copy", name);
		pnote(c, "PAC %s: not modified (304): the cached copy", name);
		pac_cache_touch(name);
	} else if (have && age >= 0 && age <= PAC_CACHE_MAX_AGE) {
		log_trace(1, "PAC %s: cannot fetch: %s; using the copy cached "
		    "%lld minutes ago", name, err, (long long)(age / 60));
		pnote(c, "PAC %s: cannot fetch: %s; using the copy cached %lld "
		    "minutes ago", name, err, (long long)(age / 60));
		rc = 304;
	} else if (rc == 304) {
		snprintf(err, errlen, "304 Not Modified, and no cached copy");
		rc = -1;
	}
	if (rc == 304) {
		buf_reset(pac);
		rc = buf_add(pac, cached.data != NULL ? cached.data : "",
		    cached.len);
	}
	buf_free(&cached);
	return rc == -1 ? -1 : 0;
}

/* Variables that may hold a password (the URLs as user:pass@host). */
static const char *const secret_env[] = {
	"POSTERN_PROXY_PASSWORD", "POSTERN_PROXY", "https_proxy", "HTTPS_PROXY",
	"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY",
};

void
pac_forget_secrets(const void *arg)
{
	const struct tunnel_cfg *c = arg;
	char *v;
	size_t i;

	/* main's copies, not string constants: writable. */
	if (c->creds != NULL && c->creds->user_arg != NULL)
		wipe((char *)(uintptr_t)c->creds->user_arg,
		    strlen(c->creds->user_arg));
	for (i = 0; i < c->nheaders; i++)
		wipe(c->headers[i], strlen(c->headers[i]));
	for (i = 0; i < sizeof(secret_env) / sizeof(secret_env[0]); i++)
		if ((v = getenv(secret_env[i])) != NULL)
			wipe(v, strlen(v));
}

/* The answer of the PAC for c->target: 0 with the entries, or EXIT_PAC. */
static int
ask(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_entry *e, size_t *n)
{
	char err[PAC_ANSWER_MAX], url[AUTHORITY_MAX + 16], shown[SHOW_BUF];
	struct pac_job j;
	struct buf pac;
	enum pacres_rc prc;
	size_t bad;
	int rc = EXIT_PAC;

	buf_init(&pac, PAC_MAX);
	if (get_pac(name, c, deadline, &pac, err, sizeof(err)) == -1) {
		pnote(c, "failed: PAC %s: cannot fetch: %s", name, err);
		log_error("PAC %s: cannot fetch: %s", name, err);
		goto out;
	}
	pac_url(&c->target, url, sizeof(url));
	memset(&j, 0, sizeof(j));
	j.script = pac.data != NULL ? pac.data : "";
	j.len = pac.len;
	j.name = name;
	j.url = url;
	j.host = c->target.host;
	j.route = c->target.host;
	j.now = (int64_t)time(NULL) * 1000;
	j.deadline = deadline;
	j.keep_code = 1;
	j.forget = pac_forget_secrets;
	j.forget_arg = c;
	log_trace(1, "PAC %s: FindProxyForURL(\"%s\", \"%s\")", name, url,
	    c->target.host);
	if (pac_eval(&j, err, sizeof(err)) != PAC_OK) {
		pnote(c, "failed: PAC %s: %s", name, err);
		log_error("PAC %s: %s", name, err);
		goto out;
	}
	log_trace(1, "PAC %s: \"%s\"", name, show_text(shown, sizeof(shown),
	    err, strlen(err)));
	pnote(c, "PAC: FindProxyForURL(\"%s\", \"%s\") = \"%s\"", url,
	    c->target.host, shown);
	prc = pacres_parse(err, strlen(err), e, PAC_ENTRIES_MAX, n, &bad);
	if (prc != PACRES_OK) {
		pnote(c, "failed: PAC %s: unusable answer: %s", name,
		    pacres_strerror(prc));
		log_error("PAC %s: unusable answer \"%s\": %s", name,
		    show_text(shown, sizeof(shown), err, strlen(err)),
		    pacres_strerror(prc));
		goto out;
	}
	rc = 0;
out:
	buf_free(&pac);
	return rc;
}

/* One entry's try; EXIT_CONNECT with why set when it cannot be reached. */
static int
try_entry(const struct pac_entry *e, const struct tunnel_cfg *c,
    int64_t share, struct stream *s, char *why, size_t whylen)
{
	struct tunnel_cfg tc = *c;
	struct proxy p;

	memset(&p, 0, sizeof(p));
	tc.hops = &p;
	tc.nhops = e->kind != PAC_DIRECT;
	tc.timeout_ms = share;
	tc.errbuf = why;
	tc.errlen = whylen;
	if (tc.nhops) {
		p.tls = e->kind == PAC_HTTPS;
		p.addr = e->addr;
		if (target_authority(&e->addr, p.name, sizeof(p.name)) == -1)
			return EXIT_USAGE;
	}
	return tunnel_open(&tc, s);
}

/* "PROXY host:port" as the failover memory names an entry; -1 for one
 * it does not keep (DIRECT, SOCKS). */
static int
entry_key(const struct pac_entry *e, char *out, size_t len)
{
	char auth[AUTHORITY_MAX];
	int n;

	if (e->kind == PAC_DIRECT || e->kind == PAC_SOCKS ||
	    target_authority(&e->addr, auth, sizeof(auth)) == -1)
		return -1;
	n = snprintf(out, len, "%s %s", pac_kind_name(e->kind), auth);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * The entries that could not be reached in the last PAC_DOWN_SECS go
 * after the others, in their order; late[i] says which.
 */
static void
order_entries(const struct tunnel_cfg *c, struct pac_entry *e, size_t n,
    int *late, int64_t now)
{
	struct pac_down d[PAC_DOWN_MAX];
	struct pac_entry sorted[PAC_ENTRIES_MAX];
	char key[PAC_DOWN_NAME_MAX];
	int was[PAC_ENTRIES_MAX];
	size_t nd, i, k, pass, m = 0;

	nd = pac_down_load(d, PAC_DOWN_MAX, now);
	for (i = 0; i < n; i++) {
		was[i] = 0;
		for (k = 0; k < nd && entry_key(&e[i], key, sizeof(key)) == 0;
		    k++)
			if (strcmp(d[k].name, key) == 0) {
				log_trace(1, "PAC: %s could not be reached %lld s "
				    "ago: trying it last", key,
				    (long long)(now - d[k].when));
				pnote(c, "PAC: %s could not be reached %lld s "
				    "ago: trying it last", key,
				    (long long)(now - d[k].when));
				was[i] = 1;
				break;
			}
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++)
			if (was[i] == (int)pass) {
				late[m] = was[i];
				sorted[m++] = e[i];
			}
	memcpy(e, sorted, n * sizeof(e[0]));
}

/* Remember an entry that could not be reached; forget one that could. */
static void
note_entry(const struct pac_entry *e, int down, int late)
{
	char key[PAC_DOWN_NAME_MAX];

	if ((down || late) && entry_key(e, key, sizeof(key)) == 0)
		pac_down_note(key, down, (int64_t)time(NULL));
}

int
pac_tunnel(const char *name, const struct tunnel_cfg *c, struct stream *s)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	char why[512], failed[FAILED_MAX] = "", auth[AUTHORITY_MAX];
	int64_t deadline, left;
	size_t n, i, tries = 0, used = 0;
	int rc, late[PAC_ENTRIES_MAX];

	/* Before the clock starts: a key's pass phrase is the user's time. */
	if (strncasecmp_ascii(name, "https://", 8) == 0 &&
	    tls_prepare(c->tls, why, sizeof(why)) == -1) {
		log_error("PAC %s: cannot fetch: TLS: %s", name, why);
		return EXIT_PAC;
	}
	deadline = now_ms() + c->timeout_ms;
	if ((rc = ask(name, c, deadline, e, &n)) != 0)
		return rc;
	order_entries(c, e, n, late, (int64_t)time(NULL));
	for (i = 0; i < n; i++)
		tries += e[i].kind != PAC_SOCKS;
	for (i = 0; i < n; i++) {
		if (e[i].kind == PAC_DIRECT)
			snprintf(auth, sizeof(auth), "DIRECT");
		else if (target_authority(&e[i].addr, auth, sizeof(auth)) == -1)
			continue;
		if (e[i].kind == PAC_SOCKS) {
			log_trace(1, "PAC: skipping SOCKS %s: postern speaks "
			    "HTTP CONNECT only", auth);
			pnote(c, "PAC: skipping SOCKS %s: postern speaks HTTP "
			    "CONNECT only", auth);
			continue;
		}
		if ((left = deadline - now_ms()) < 1)
			left = 1;
		pnote(c, "PAC: trying %s%s%s", e[i].kind == PAC_DIRECT ? "" :
		    pac_kind_name(e[i].kind), e[i].kind == PAC_DIRECT ? "" :
		    " ", auth);
		rc = try_entry(&e[i], c, left / (int64_t)tries--, s, why,
		    sizeof(why));
		note_entry(&e[i], rc == EXIT_CONNECT, late[i]);
		if (rc != EXIT_CONNECT)
			return rc;
		log_trace(1, "PAC: %s: %s; trying the next entry", auth, why);
		pnote(c, "PAC: %s could not be reached; trying the next entry",
		    auth);
		used += (size_t)snprintf(failed + used, sizeof(failed) - used,
		    "%s%s%s%s (%s)", used ? "; " : "", e[i].kind == PAC_DIRECT ?
		    "" : pac_kind_name(e[i].kind), e[i].kind == PAC_DIRECT ?
		    "" : " ", auth, why);
		if (used >= sizeof(failed))
			used = sizeof(failed) - 1;
	}
	pnote(c, "failed: no entry of the PAC %s could be reached: %s", name,
	    failed);
	log_error("no entry of the PAC %s could be reached: %s", name, failed);
	return EXIT_CONNECT;
}
