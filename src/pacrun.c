#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cred.h"
#include "exitcodes.h"
#include "log.h"
#include "net.h"
#include "pac.h"
#include "pacfetch.h"
#include "pacresult.h"
#include "pacrun.h"
#include "pacstate.h"
#include "util.h"
#include "waitset.h"

#define FAILED_MAX	2048		/* the line naming every entry */
#define WHY_MAX		512		/* why one entry failed */
#define MEMO_MS		(60 * 1000)	/* a fetch's outcome stands */

/*
 * What this process last learnt of a remote PAC.  A listener asks the PAC
 * for every tunnel, and the fetch is the one part of that which blocks
 * (its loop: every tunnel): for MEMO_MS after a fetch, its outcome stands
 * (the text the server sent or confirmed, the cached copy that stood in
 * for it, or why there was none) and the server is not asked again.  A
 * stdio run fetches once, as before.
 */
static struct {
	char		*url;
	struct buf	 body;
	int64_t		 when;		/* now_ms(); 0: nothing learnt */
	int		 ok;
	char		 err[PAC_ANSWER_MAX];
} memo;

/* One tunnel's PAC: the evaluation, then the entries one by one. */
enum rstate { R_EVAL, R_ENTRY, R_DONE };

struct pac_run {
	enum rstate		 state;
	const char		*name;		/* the PAC's URL */
	const struct tunnel_cfg	*c;
	struct stream		*s;
	int64_t			 deadline;
	int			 rc;		/* R_DONE's */
	struct pac_child	 pc;
	struct pac_entry	 e[PAC_ENTRIES_MAX];
	int			 late[PAC_ENTRIES_MAX];
	size_t			 n, i, tries, used;
	char			 failed[FAILED_MAX];
	char			 url[AUTHORITY_MAX + 16];	/* FindProxyForURL's */
	char			 auth[AUTHORITY_MAX];	/* entry i's */
	char			 why[WHY_MAX];
	struct tunnel		*t;		/* entry i's, under way */
	struct tunnel_cfg	 tc;		/* its configuration */
	struct proxy		 p;		/* its proxy */
};

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
		tunnel_note(c, "PAC %s: fetched (200)", name);
		pac_cache_store(name, pac, &k->v);
		return 0;
	}
	if (rc == 304 && k->have) {
		log_trace(1, "PAC %s: not modified: the cached copy", name);
		tunnel_note(c, "PAC %s: not modified (304): the cached copy",
		    name);
		pac_cache_touch(name);
	} else if (k->have && k->age >= 0 && k->age <= PAC_CACHE_MAX_AGE) {
		log_trace(1, "PAC %s: cannot fetch: %s; using the copy cached "
		    "%lld minutes ago", name, err, (long long)(k->age / 60));
		tunnel_note(c, "PAC %s: cannot fetch: %s; using the copy "
		    "cached %lld minutes ago", name, err,
		    (long long)(k->age / 60));
	} else {
		if (rc == 304)
			snprintf(err, errlen, "304 Not Modified, and no cached "
			    "copy");
		return -1;
	}
	*use_cache = 1;
	return 0;
}

/* Whether the memo holds url's outcome, learnt within MEMO_MS. */
static int
memo_fresh(const char *url)
{
	return memo.when != 0 && now_ms() - memo.when < MEMO_MS &&
	    strcmp(memo.url, url) == 0;
}

static void
memo_keep(const char *url, int ok, const struct buf *body, const char *err)
{
	free(memo.url);
	buf_free(&memo.body);
	memo.when = 0;
	buf_init(&memo.body, PAC_MAX);
	if ((memo.url = dup_bytes(url, strlen(url))) == NULL ||
	    (ok && buf_add(&memo.body, body->data != NULL ? body->data : "",
	    body->len) == -1))
		return;
	memo.ok = ok;
	snprintf(memo.err, sizeof(memo.err), "%s", ok ? "" : err);
	memo.when = now_ms();
}

/*
 * A remote PAC into pac, unless the cached copy stands (*use_cache, k):
 * revalidated against that copy, which stands in (up to
 * PAC_CACHE_MAX_AGE old) when the server cannot be reached.  The copy
 * goes to a held child (pc) before the fetch, so that loading the engine
 * and compiling overlap it.  0, or -1 with err set.
 */
static int
fetch(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_job *j, struct pac_child *pc, struct cached *k,
    struct buf *pac, int *use_cache, char *err, size_t errlen)
{
	int64_t confirmed = 0;
	int rc;

	tunnel_note(c, "PAC %s: fetching", name);
	k->have = pac_cache_load(name, &k->body, &k->v, &confirmed) == 0;
	k->age = (int64_t)time(NULL) - confirmed;
	j->script = k->body.data != NULL ? k->body.data : "";
	j->len = k->body.len;
	if (k->have)
		pac_start(pc, j, 1, err, errlen);
	rc = revalidated(name, c, pac_fetch(name, c->tls, &k->v, deadline,
	    pac, err, errlen), k, pac, use_cache, err, errlen);
	memo_keep(name, rc == 0, *use_cache ? &k->body : pac, err);
	return rc;
}

/*
 * Get the PAC and start its evaluation (j has all but the script), in a
 * child held (pac_go) so that nothing of the PAC runs before the caller
 * said what runs.  A remote PAC is fetched, or taken from the memo.  0;
 * 1 when the PAC cannot be fetched, 2 when the evaluator cannot start,
 * err saying why.
 */
static int
start_eval(const char *name, const struct tunnel_cfg *c, int64_t deadline,
    struct pac_job *j, struct pac_child *pc, char *err, size_t errlen)
{
	const struct buf *text = NULL;
	struct cached k;
	struct buf pac;
	int use_cache = 0, rc = 1;

	memset(&k, 0, sizeof(k));
	buf_init(&k.body, PAC_MAX);
	buf_init(&pac, PAC_MAX);
	if (!pac_is_remote(name)) {
		tunnel_note(c, "PAC %s: reading the file", name);
		if (pac_fetch(name, c->tls, NULL, deadline, &pac, err,
		    errlen) == -1)
			goto out;
	} else if (memo_fresh(name)) {
		log_trace(2, "PAC %s: as learnt %lld s ago", name,
		    (long long)((now_ms() - memo.when) / 1000));
		snprintf(err, errlen, "%s", memo.err);
		if (!memo.ok)
			goto out;
		text = &memo.body;
	} else if (fetch(name, c, deadline, j, pc, &k, &pac, &use_cache, err,
	    errlen) == -1)
		goto out;
	rc = 2;
	if (pac_started(pc) && use_cache) {
		rc = 0;
		goto out;
	}
	/* New text (or the held child did not start: again, for why). */
	pac_stop(pc);
	if (text == NULL)
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
	/* A listener's, for the proxies its tunnels met. */
	cred_forget_all();
}

void
pac_server_start(const struct tunnel_cfg *c)
{
	char err[200];

	if (pac_server_open(pac_forget_secrets, c, err, sizeof(err)) == -1)
		log_warn("PAC: cannot start the evaluator server: %s; "
		    "evaluating from the listener", err);
}

void
pac_server_stop(void)
{
	pac_server_close();
}

const char *
pac_run_via(const struct pac_run *r)
{
	return r->auth[0] != '\0' ? r->auth : NULL;
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
				tunnel_note(c, "PAC: %s could not be reached "
				    "%lld s ago: trying it last", key,
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

/*
 * The answer in words: the entries in r, ordered by the failover memory,
 * and R_ENTRY; or EXIT_PAC.
 */
static int
answered(struct pac_run *r, enum pac_rc prc, char *ans)
{
	const struct tunnel_cfg *c = r->c;
	char shown[SHOW_BUF];
	enum pacres_rc rrc;
	size_t i, bad;

	if (prc != PAC_OK) {
		tunnel_note(c, "failed: PAC %s: %s", r->name, ans);
		log_error("PAC %s: %s", r->name, ans);
		return EXIT_PAC;
	}
	log_trace(1, "PAC %s: \"%s\"", r->name, show_text(shown,
	    sizeof(shown), ans, strlen(ans)));
	tunnel_note(c, "PAC: FindProxyForURL(\"%s\", \"%s\") = \"%s\"",
	    r->url, c->target.host, shown);
	rrc = pacres_parse(ans, strlen(ans), r->e, PAC_ENTRIES_MAX, &r->n,
	    &bad);
	if (rrc != PACRES_OK) {
		tunnel_note(c, "failed: PAC %s: unusable answer: %s", r->name,
		    pacres_strerror(rrc));
		log_error("PAC %s: unusable answer \"%s\": %s", r->name,
		    show_text(shown, sizeof(shown), ans, strlen(ans)),
		    pacres_strerror(rrc));
		return EXIT_PAC;
	}
	order_entries(c, r->e, r->n, r->late, (int64_t)time(NULL));
	for (i = 0; i < r->n; i++)
		r->tries += r->e[i].kind != PAC_SOCKS;
	r->state = R_ENTRY;
	return 0;
}

/* The evaluation's step: TUNNEL_AGAIN, 0 once answered, or EXIT_PAC. */
static int
step_eval(struct pac_run *r, struct waitset *ws)
{
	char ans[PAC_ANSWER_MAX];
	enum pac_rc prc;

	if (!pac_read(&r->pc, &prc, ans, sizeof(ans))) {
		if (now_ms() < r->deadline) {
			waitset_clear(ws);
			(void)waitset_add(ws, r->pc.fd, POLLIN);
			/* Readable when the evaluator server ends. */
			if (pac_server_fd(&r->pc) != -1)
				(void)waitset_add(ws, pac_server_fd(&r->pc),
				    POLLIN);
			ws->until = r->deadline;
			return TUNNEL_AGAIN;
		}
		prc = pac_expire(&r->pc, ans, sizeof(ans));
	}
	return answered(r, prc, ans);
}

/*
 * The next entry to try begun (r->t), its name in r->auth: 0; or -1 when
 * none is left.  SOCKS entries are passed over, and said so.
 */
static int
next_entry(struct pac_run *r, int *rc)
{
	const struct pac_entry *e = NULL;
	int64_t left;

	for (; r->i < r->n; r->i++) {
		e = &r->e[r->i];
		if (e->kind == PAC_DIRECT)
			snprintf(r->auth, sizeof(r->auth), "DIRECT");
		else if (target_authority(&e->addr, r->auth,
		    sizeof(r->auth)) == -1)
			continue;
		if (e->kind != PAC_SOCKS)
			break;
		log_trace(1, "PAC: skipping SOCKS %s: postern speaks HTTP "
		    "CONNECT only", r->auth);
		tunnel_note(r->c, "PAC: skipping SOCKS %s: postern speaks HTTP "
		    "CONNECT only", r->auth);
	}
	if (r->i == r->n || e == NULL)
		return -1;
	if ((left = r->deadline - now_ms()) < 1)
		left = 1;
	tunnel_note(r->c, "PAC: trying %s%s%s", e->kind == PAC_DIRECT ? "" :
	    pac_kind_name(e->kind), e->kind == PAC_DIRECT ? "" : " ",
	    r->auth);
	r->tc = *r->c;
	proxy_clear(&r->p);
	memset(&r->p, 0, sizeof(r->p));
	r->tc.hops = &r->p;
	r->tc.nhops = e->kind != PAC_DIRECT;
	r->tc.timeout_ms = left / (int64_t)r->tries--;
	r->tc.errbuf = r->why;
	r->tc.errlen = sizeof(r->why);
	if (r->tc.nhops) {
		r->p.tls = e->kind == PAC_HTTPS;
		r->p.addr = e->addr;
		snprintf(r->p.name, sizeof(r->p.name), "%s", r->auth);
	}
	r->t = tunnel_begin(&r->tc, r->s, rc);
	return 0;
}

/*
 * An entry's outcome: kept in the failover memory; one that could not be
 * reached is named in r->failed and the next is to be tried (-1), any
 * other outcome is the run's (its rc, EXIT_OK too).
 */
static int
entry_done(struct pac_run *r, int rc)
{
	const struct pac_entry *e = &r->e[r->i];
	size_t room = sizeof(r->failed) - r->used;

	tunnel_end(r->t);	/* s closed, unless the tunnel was made */
	r->t = NULL;
	note_entry(e, rc == EXIT_CONNECT, r->late[r->i]);
	if (rc != EXIT_CONNECT)
		return rc;
	log_trace(1, "PAC: %s: %s; trying the next entry", r->auth, r->why);
	tunnel_note(r->c, "PAC: %s could not be reached; trying the next "
	    "entry", r->auth);
	r->used += (size_t)snprintf(r->failed + r->used, room, "%s%s%s%s (%s)",
	    r->used ? "; " : "", e->kind == PAC_DIRECT ? "" :
	    pac_kind_name(e->kind), e->kind == PAC_DIRECT ? "" : " ", r->auth,
	    r->why);
	if (r->used >= sizeof(r->failed))
		r->used = sizeof(r->failed) - 1;
	r->i++;
	return -1;
}

/* The entries' steps: TUNNEL_AGAIN, or the run's result. */
static int
step_entries(struct pac_run *r, struct waitset *ws)
{
	int rc;

	for (;;) {
		if (r->t == NULL) {
			if (next_entry(r, &rc) == -1)
				break;
			if (r->t == NULL)
				return rc;	/* as tunnel_open() would */
		}
		if ((rc = tunnel_step(r->t, ws)) == TUNNEL_AGAIN)
			return rc;
		if ((rc = entry_done(r, rc)) != -1)
			return rc;
	}
	tunnel_note(r->c, "failed: no entry of the PAC %s could be reached: "
	    "%s", r->name, r->failed);
	log_error("no entry of the PAC %s could be reached: %s", r->name,
	    r->failed);
	return EXIT_CONNECT;
}

struct pac_run *
pac_run_begin(const char *name, const struct tunnel_cfg *c, struct stream *s,
    int *rc)
{
	char err[PAC_ANSWER_MAX];
	struct pac_run *r;
	struct pac_job j;
	int src;

	stream_init(s, -1);
	/* Before the clock starts: a key's pass phrase is the user's time. */
	if (strncasecmp_ascii(name, "https://", 8) == 0 &&
	    tls_prepare(c->tls, err, sizeof(err)) == -1) {
		log_error("PAC %s: cannot fetch: TLS: %s", name, err);
		*rc = EXIT_PAC;
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_error("out of memory");
		*rc = EXIT_IO;
		return NULL;
	}
	r->name = name;
	r->c = c;
	r->s = s;
	r->deadline = now_ms() + c->timeout_ms;
	pac_url(&c->target, r->url, sizeof(r->url));
	memset(&j, 0, sizeof(j));
	j.name = name;
	j.url = r->url;
	j.host = c->target.host;
	j.route = c->target.host;
	j.now = (int64_t)time(NULL) * 1000;
	j.deadline = r->deadline;
	j.keep_code = 1;
	j.forget = pac_forget_secrets;
	j.forget_arg = c;
	if ((src = start_eval(name, c, r->deadline, &j, &r->pc, err,
	    sizeof(err))) == 0) {
		log_trace(1, "PAC %s: FindProxyForURL(\"%s\", \"%s\")", name,
		    r->url, c->target.host);
		pac_go(&r->pc);
		return r;
	}
	if (src == 1) {
		tunnel_note(c, "failed: PAC %s: cannot fetch: %s", name, err);
		log_error("PAC %s: cannot fetch: %s", name, err);
	} else {
		log_trace(1, "PAC %s: FindProxyForURL(\"%s\", \"%s\")", name,
		    r->url, c->target.host);
		tunnel_note(c, "failed: PAC %s: %s", name, err);
		log_error("PAC %s: %s", name, err);
	}
	free(r);
	*rc = EXIT_PAC;
	return NULL;
}

int
pac_run_step(struct pac_run *r, struct waitset *ws)
{
	int rc = 0;

	if (r->state == R_DONE)
		return r->rc;
	if (r->state == R_EVAL)
		rc = step_eval(r, ws);
	if (rc == 0 && r->state == R_ENTRY)
		rc = step_entries(r, ws);
	if (rc == TUNNEL_AGAIN)
		return rc;
	r->state = R_DONE;
	r->rc = rc;
	return rc;
}

void
pac_run_end(struct pac_run *r)
{
	if (r == NULL)
		return;
	if (r->t != NULL)
		tunnel_end(r->t);
	pac_stop(&r->pc);
	proxy_clear(&r->p);
	free(r);
}

int
pac_tunnel(const char *name, const struct tunnel_cfg *c, struct stream *s)
{
	struct pac_run *r;
	struct waitset ws;
	int rc;

	if ((r = pac_run_begin(name, c, s, &rc)) == NULL)
		return rc;
	while ((rc = pac_run_step(r, &ws)) == TUNNEL_AGAIN)
		if (waitset_poll(&ws) == -1) {
			log_error("poll: %s", strerror(errno));
			rc = EXIT_IO;
			break;
		}
	pac_run_end(r);
	return rc;
}
