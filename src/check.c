/*
 * postern --check: the handshake of a run, told on stdout one step per
 * line as it happens, with the exit class and a sentence of advice for
 * the common failures.  tunnel.c, net.c and tls.c record the facts
 * (through tunnel_cfg.report); this file only says them.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "exitcodes.h"
#include "net.h"
#include "pacrun.h"
#include "stream.h"
#include "util.h"

#define BANNER_WAIT_MS	1000	/* for the target's first bytes */
#define BANNER_MAX	256	/* bytes of them shown */

struct check {
	int64_t	 t0;
	char	 failed[1024];	/* the failure, as the run said it */
};

__attribute__((format(printf, 1, 2)))
static void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	/* Each step shows as it happens: a hang shows where it hangs. */
	fflush(stdout);
}

static void
on_line(void *arg, const char *text)
{
	struct check *ck = arg;

	if (strncmp(text, "failed: ", 8) == 0)
		snprintf(ck->failed, sizeof(ck->failed), "%s", text + 8);
	say("%s", text);
}

static const char *
exit_meaning(int rc)
{
	static const char *const m[] = {
		"the tunnel is established",
		"an I/O error",
		"a usage error",
		"the proxy could not be reached",
		"TLS with the proxy failed",
		"proxy authentication failed",
		"the proxy refused the tunnel",
		"the proxy could not reach the target",
		"the proxy's answer was not valid HTTP",
		"idle timeout",
		"the PAC could not be used",
	};

	return rc >= 0 && rc <= EXIT_PAC ? m[rc] : "unknown";
}

/* Whether "ssh." before the target's host names a host: not before an
 * IP literal, nor before a name that has it already. */
static int
ssh_name(const struct target *tg)
{
	size_t n = strlen(tg->host);

	return !tg->ipv6 && strspn(tg->host, "0123456789.") != n &&
	    strncmp(tg->host, "ssh.", 4) != 0;
}

/* One sentence for the causes users meet most. */
static const char *
advice(int rc, const struct check *ck, const struct target *tg, char *buf,
    size_t len)
{
	const char *f = ck->failed;

	switch (rc) {
	case EXIT_REFUSED:
		if (strstr(f, ": 403") != NULL && tg->port == 22 &&
		    ssh_name(tg))
			snprintf(buf, len, "the proxy does not allow port 22; "
			    "try ssh.%s port 443 (as GitHub and GitLab offer), "
			    "or sshd on port 443", tg->host);
		else if (strstr(f, ": 403") != NULL && tg->port == 22)
			snprintf(buf, len, "the proxy does not allow port 22; "
			    "have sshd on %s listen on port 443 too, and use "
			    "that", tg->host);
		else if (strstr(f, ": 403") != NULL)
			snprintf(buf, len, "the proxy's policy refuses port %u; "
			    "many proxies allow only 443", tg->port);
		else
			snprintf(buf, len, "the proxy refuses this target; "
			    "ask its administrators what it allows");
		return buf;
	case EXIT_TLS:
		if (strstr(f, "local issuer") != NULL ||
		    strstr(f, "self-signed") != NULL ||
		    strstr(f, "self signed") != NULL)
			return "a TLS-inspecting proxy? use --proxy-cacert with "
			    "its CA";
		if (strstr(f, "does not speak TLS") != NULL)
			return "the proxy speaks plain HTTP on this port: use "
			    "http:// in its URL";
		return "check the proxy's name, its certificate and "
		    "--proxy-cacert";
	case EXIT_CONNECT:
		return "check the proxy's host and port, and that it is "
		    "reachable from this network";
	case EXIT_AUTH:
		return "check the user and password (-U, netrc) or the "
		    "Kerberos ticket (klist)";
	case EXIT_UNREACHABLE:
		return "the proxy cannot reach the target: check its name "
		    "and port as the proxy sees them";
	case EXIT_PROTOCOL:
		return "is it an HTTP proxy? an https:// proxy needs https:// "
		    "in its URL";
	case EXIT_PAC:
		return "check the PAC's URL and that it returns a PROXY entry "
		    "for this target";
	}
	return NULL;
}

/* What the target sends first: an sshd says who it is. */
static void
first_bytes(struct stream *s)
{
	char data[BANNER_MAX], shown[BANNER_MAX * 4 + 4];
	int64_t deadline = now_ms() + BANNER_WAIT_MS;
	size_t n;
	ssize_t r;

	for (;;) {
		r = stream_read(s, data, sizeof(data));
		if (r > 0)
			break;
		if (r == 0) {
			say("%s", "the target closed the tunnel without a "
			    "byte");
			return;
		}
		if (errno != EAGAIN || net_wait(s->fd, s->want_r, deadline) !=
		    1) {
			say("%s", "the target sent nothing within 1 s (normal "
			    "when the client speaks first, as in HTTP)");
			return;
		}
	}
	n = (size_t)r;
	while (n > 0 && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	escape_text(shown, sizeof(shown), data, n);
	say("the target sent: %s", shown);
}

int
check_run(const struct check_cfg *cc, const struct tunnel_cfg *c)
{
	struct tunnel_report rep;
	struct tunnel_cfg tc = *c;
	struct check ck;
	struct stream s;
	char buf[512], tgt[AUTHORITY_MAX];
	const char *adv;
	size_t i;
	int rc;

	memset(&ck, 0, sizeof(ck));
	ck.t0 = now_ms();
	rep.line = on_line;
	rep.arg = &ck;
	tc.report = &rep;
	if (target_authority(&c->target, tgt, sizeof(tgt)) == -1)
		tgt[0] = '\0';
	say("postern --check %s", tgt);
	if (cc->listen != NULL) {
		rc = listen_check(cc->listen, buf, sizeof(buf));
		say("listener: -L %s: %s", cc->listen->arg, buf);
		if (rc != EXIT_OK) {
			say("result: exit %d, the listener cannot be opened",
			    rc);
			return rc;
		}
	}
	if (cc->pac != NULL)
		say("proxy: chosen by the PAC %s", cc->pac);
	else if (c->nhops == 0)
		say("proxy: none, %s: connecting directly", cc->how);
	for (i = 0; cc->pac == NULL && i < c->nhops; i++) {
		say("proxy %zu: %s://%s (from %s)", i + 1, c->hops[i].tls ?
		    "https" : "http", c->hops[i].name, cc->how);
	}
	rc = cc->pac != NULL ? pac_tunnel(cc->pac, &tc, &s) :
	    tunnel_open(&tc, &s);
	say("result: exit %d, %s (%lld ms in all)", rc, exit_meaning(rc),
	    (long long)(now_ms() - ck.t0));
	if (rc != EXIT_OK) {
		if ((adv = advice(rc, &ck, &c->target, buf, sizeof(buf))) !=
		    NULL)
			say("advice: %s", adv);
		return rc;
	}
	first_bytes(&s);
	stream_close(&s);
	return rc;
}
