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

/* The cached copy of a remote PAC, read before the fetch. */
struct cached {
	struct buf		 body;
	struct pac_validators	 v;
	int64_t			 age;		/* s since confirmed */
	int			 have;
};

/*
 * After the fetch of a remote PAC: which text stands, said in the trace
 * and the report.  0 with *use_cache set when the cached copy stands (the
 * server said 304, or cannot be reached and the copy is at most
 * PAC_CACHE_MAX_AGE old), 0 with the new text in pac (200), or -1 with
 * err set.
 */
static int
revalidated(const char *name, const struct tunnel_cfg *c, int rc,
    struct cached *k, struct buf *pac, int *use_cache, char *err,
    size_t errlen)
{
	*use_cache = 0;
	if (rc == 200) {
		pnote(c, "PAC %s: fetched (200)", name);
		pac_cache_store(name, pac, &k->v);
		return 0;
	}
	if (rc == 304 && k->have) {
		log_trace(1, "PAC %s: not modified: the cached copy", name);
		pnote(c, "PAC %s: not modified (304): the cached copy", name);
		pac_cache_touch(name);
	} else if (k->have && k->age >= 0 && k->age <= PAC_CACHE_MAX_AGE) {
		log_trace(1, "PAC %s: cannot fetch: %s; using the copy cached "
		    "%lld minutes ago", name, err, (long long)(k->age / 60));
		pnote(c, "PAC %s: cannot fetch: %s; using the copy cached %lld "
		    "minutes ago", name, err, (long long)(k->age / 60));
	} else {
		if (rc == 304)
			snprintf(err, errlen, "304 Not Modified, and no cached "
			    "copy");
		return -1;
	}
	*use_cache = 1;
	return 0;
}

/*
 * Get the PAC and start its evaluation (j has all but the script): a
 * remote one revalidated against its cached copy, which stands in (up to
 * PAC_CACHE_MAX_AGE old) when the server cannot be reached.  The cached
 * copy goes to a child before the fetch, so that loading the engine and
 * compiling overlap the fetch; a new text to a new child.  The child is
 * held (pac_go): nothing of the PAC runs before the caller said what it
 * runs.  0; 1 when the PAC cannot be fetched, 2 when the evaluator cannot
 * start, err saying why.
 */
static int
start_eval(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_job *j, struct pac_child *pc, char *err, size_t errlen)
{
	const struct buf *text;
	struct cached k;
	struct buf pac;
	int64_t confirmed = 0;
	int held = 0, use_cache = 0, rc = 1;

	memset(&k, 0, sizeof(k));
	buf_init(&k.body, PAC_MAX);
	buf_init(&pac, PAC_MAX);
	if (!pac_is_remote(name)) {
		pnote(c, "PAC %s: reading the file", name);
		if (pac_fetch(name, c->tls, NULL, deadline, &pac, err,
		    errlen) == -1)
			goto out;
	} else {
		pnote(c, "PAC %s: fetching", name);
		k.have = pac_cache_load(name, &k.body, &k.v, &confirmed) == 0;
		k.age = (int64_t)time(NULL) - confirmed;
		j->script = k.body.data != NULL ? k.body.data : "";
		j->len = k.body.len;
		held = k.have && pac_start(pc, j, 1, err, errlen) == PAC_OK;
		if (revalidated(name, c, pac_fetch(name, c->tls, &k.v,
		    deadline, &pac, err, errlen), &k, &pac, &use_cache, err,
		    errlen) == -1)
			goto out;
	}
	rc = 2;
	if (held && use_cache) {
		rc = 0;
		goto out;
	}
	/* New text (or the held child did not start: again, for why). */
	pac_stop(pc);
	text = use_cache ? &k.body : &pac;
	j->script = text->data != NULL ? text->data : "";
	j->len = text->len;
	if (pac_start(pc, j, 1, err, errlen) == PAC_OK)
		rc = 0;
out:
	if (rc == 1)
		pac_stop(pc);
	buf_free(&pac);
	buf_free(&k.body);
	return rc;
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

/* The child's answer, waited for until the deadline. */
static enum pac_rc
wait_answer(struct pac_child *pc, int64_t deadline, char *out, size_t outlen)
{
	struct pollfd p;
	enum pac_rc rc;
	int64_t left;

	while (!pac_read(pc, &rc, out, outlen)) {
		if ((left = deadline - now_ms()) <= 0)
			return pac_expire(pc, out, outlen);
		p.fd = pc->fd;
		p.events = POLLIN;
		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) == -1 &&
		    errno != EINTR) {
			snprintf(out, outlen, "poll: %s", strerror(errno));
			return PAC_SYSTEM;
		}
	}
	return rc;
}

/*
 * The answer of the PAC for c->target: 0 with the entries, or EXIT_PAC.
 * The child is left to end while the caller goes on: pac_stop() it.
 */
static int
ask(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_child *pc, struct pac_entry *e, size_t *n)
{
	char err[PAC_ANSWER_MAX], url[AUTHORITY_MAX + 16], shown[SHOW_BUF];
	struct pac_job j;
	enum pacres_rc rrc;
	enum pac_rc prc = PAC_SYSTEM;
	size_t bad;
	int rc;

	pac_url(&c->target, url, sizeof(url));
	memset(&j, 0, sizeof(j));
	j.name = name;
	j.url = url;
	j.host = c->target.host;
	j.route = c->target.host;
	j.now = (int64_t)time(NULL) * 1000;
	j.deadline = deadline;
	j.keep_code = 1;
	j.forget = pac_forget_secrets;
	j.forget_arg = c;
	memset(pc, 0, sizeof(*pc));
	if ((rc = start_eval(name, c, deadline, &j, pc, err, sizeof(err))) ==
	    1) {
		pnote(c, "failed: PAC %s: cannot fetch: %s", name, err);
		log_error("PAC %s: cannot fetch: %s", name, err);
		return EXIT_PAC;
	}
	log_trace(1, "PAC %s: FindProxyForURL(\"%s\", \"%s\")", name, url,
	    c->target.host);
	if (rc == 0) {
		pac_go(pc);
		prc = wait_answer(pc, deadline, err, sizeof(err));
	}
	if (rc != 0 || prc != PAC_OK) {
		pnote(c, "failed: PAC %s: %s", name, err);
		log_error("PAC %s: %s", name, err);
		return EXIT_PAC;
	}
	log_trace(1, "PAC %s: \"%s\"", name, show_text(shown, sizeof(shown),
	    err, strlen(err)));
	pnote(c, "PAC: FindProxyForURL(\"%s\", \"%s\") = \"%s\"", url,
	    c->target.host, shown);
	rrc = pacres_parse(err, strlen(err), e, PAC_ENTRIES_MAX, n, &bad);
	if (rrc != PACRES_OK) {
		pnote(c, "failed: PAC %s: unusable answer: %s", name,
		    pacres_strerror(rrc));
		log_error("PAC %s: unusable answer \"%s\": %s", name,
		    show_text(shown, sizeof(shown), err, strlen(err)),
		    pacres_strerror(rrc));
		return EXIT_PAC;
	}
	return 0;
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

/* The entries in order, each with its share of what is left. */
static int
try_entries(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_entry *e, size_t n, struct stream *s)
{
	char why[512], failed[FAILED_MAX] = "", auth[AUTHORITY_MAX];
	int64_t left;
	size_t i, tries = 0, used = 0;
	int rc, late[PAC_ENTRIES_MAX];

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

int
pac_tunnel(const char *name, const struct tunnel_cfg *c, struct stream *s)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	struct pac_child pc;
	char why[512];
	int64_t deadline;
	size_t n;
	int rc;

	/* Before the clock starts: a key's pass phrase is the user's time. */
	if (strncasecmp_ascii(name, "https://", 8) == 0 &&
	    tls_prepare(c->tls, why, sizeof(why)) == -1) {
		log_error("PAC %s: cannot fetch: TLS: %s", name, why);
		return EXIT_PAC;
	}
	deadline = now_ms() + c->timeout_ms;
	rc = ask(name, c, deadline, &pc, e, &n);
	if (rc == 0)
		rc = try_entries(name, c, deadline, e, n, s);
	pac_stop(&pc);
	return rc;
}
