#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "util.h"

#define FAILED_MAX	2048		/* the line naming every entry */

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
	if (pac_fetch(name, c->tls, NULL, deadline, &pac, err,
	    sizeof(err)) == -1) {
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
	log_trace(1, "PAC %s: FindProxyForURL(\"%s\", \"%s\")", name, url,
	    c->target.host);
	if (pac_eval(&j, err, sizeof(err)) != PAC_OK) {
		log_error("PAC %s: %s", name, err);
		goto out;
	}
	log_trace(1, "PAC %s: \"%s\"", name, show_text(shown, sizeof(shown),
	    err, strlen(err)));
	prc = pacres_parse(err, strlen(err), e, PAC_ENTRIES_MAX, n, &bad);
	if (prc != PACRES_OK) {
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

int
pac_tunnel(const char *name, const struct tunnel_cfg *c, struct stream *s)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	char why[512], failed[FAILED_MAX] = "", auth[AUTHORITY_MAX];
	int64_t deadline, left;
	size_t n, i, tries = 0, used = 0;
	int rc;

	/* Before the clock starts: a key's pass phrase is the user's time. */
	if (strncasecmp_ascii(name, "https://", 8) == 0 &&
	    tls_prepare(c->tls, why, sizeof(why)) == -1) {
		log_error("PAC %s: cannot fetch: TLS: %s", name, why);
		return EXIT_PAC;
	}
	deadline = now_ms() + c->timeout_ms;
	if ((rc = ask(name, c, deadline, e, &n)) != 0)
		return rc;
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
			continue;
		}
		if ((left = deadline - now_ms()) < 1)
			left = 1;
		rc = try_entry(&e[i], c, left / (int64_t)tries--, s, why,
		    sizeof(why));
		if (rc != EXIT_CONNECT)
			return rc;
		log_trace(1, "PAC: %s: %s; trying the next entry", auth, why);
		used += (size_t)snprintf(failed + used, sizeof(failed) - used,
		    "%s%s%s%s (%s)", used ? "; " : "", e[i].kind == PAC_DIRECT ?
		    "" : pac_kind_name(e[i].kind), e[i].kind == PAC_DIRECT ?
		    "" : " ", auth, why);
		if (used >= sizeof(failed))
			used = sizeof(failed) - 1;
	}
	log_error("no entry of the PAC %s could be reached: %s", name, failed);
	return EXIT_CONNECT;
}
