/*
 * The PAC evaluator as a child process that never blocks its caller
 * (pac_start, pac_go, pac_read, pac_expire, pac_stop): held children run
 * nothing until the go-ahead, a late one is stopped at its deadline, and
 * none is left behind.  Skipped (one TAP skip line) in a PAC=0 build or
 * when Duktape cannot be loaded.
 */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pac.h"
#include "tap.h"
#include "util.h"

#define HOLD_WAIT_MS	300	/* a held child that ran would answer */

static const char quick[] = "function FindProxyForURL(u, h) "
    "{ return 'PROXY ' + h + ':1'; }";
static const char endless[] = "function FindProxyForURL(u, h) "
    "{ for (;;) ; }";

static void
job(struct pac_job *j, const char *script, int64_t deadline)
{
	memset(j, 0, sizeof(*j));
	j->script = script;
	j->len = strlen(script);
	j->name = "t_pacrun";
	j->url = "https://h.test:22/";
	j->host = "h.test";
	j->deadline = deadline;
}

/* No child of this process is left, running or a zombie. */
static int
no_child(void)
{
	return waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD;
}

/* Wait on the child's answer until it comes or ms pass: pac_read's. */
static int
wait_read(struct pac_child *pc, int ms, enum pac_rc *rc, char *out,
    size_t outlen)
{
	int64_t until = now_ms() + ms, left;
	struct pollfd p;

	while (!pac_read(pc, rc, out, outlen)) {
		if ((left = until - now_ms()) <= 0)
			return 0;
		p.fd = pc->fd;
		p.events = POLLIN;
		poll(&p, 1, (int)left);
	}
	return 1;
}

static void
test_held(void)
{
	char out[PAC_ANSWER_MAX];
	struct pac_child pc;
	struct pac_job j;
	enum pac_rc rc = PAC_OK;

	job(&j, quick, now_ms() + 10000);
	is_int(pac_start(&pc, &j, 1, out, sizeof(out)), PAC_OK, "held: started");
	ok(!wait_read(&pc, HOLD_WAIT_MS, &rc, out, sizeof(out)),
	    "held: no answer before the go-ahead");
	pac_stop(&pc);
	ok(pc.pid == 0 && pc.fd == -1 && pc.go == -1, "held: stopped unseen");
	ok(no_child(), "held: reaped");

	is_int(pac_start(&pc, &j, 1, out, sizeof(out)), PAC_OK,
	    "go: started");
	pac_go(&pc);
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "go: answered");
	is_int(rc, PAC_OK, "go: PAC_OK");
	is_str(out, "PROXY h.test:1", "go: the answer");
	pac_stop(&pc);
	pac_stop(&pc);
	ok(no_child(), "go: reaped, twice stopped");
}

static void
test_errors(void)
{
	char out[PAC_ANSWER_MAX];
	struct pac_child pc;
	struct pac_job j;
	enum pac_rc rc = PAC_OK;

	/* A syntax error found while held waits for the go-ahead. */
	job(&j, "function (", now_ms() + 10000);
	pac_start(&pc, &j, 1, out, sizeof(out));
	ok(!wait_read(&pc, HOLD_WAIT_MS, &rc, out, sizeof(out)),
	    "syntax error: told after the go-ahead only");
	pac_go(&pc);
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "syntax error: "
	    "answered");
	is_int(rc, PAC_SYNTAX, "syntax error: PAC_SYNTAX");
	pac_stop(&pc);

	/* Past its deadline: stopped, reaped, PAC_TIMEOUT. */
	job(&j, endless, now_ms() + 200);
	pac_start(&pc, &j, 0, out, sizeof(out));
	ok(!wait_read(&pc, 200, &rc, out, sizeof(out)), "endless: no answer");
	is_int(pac_expire(&pc, out, sizeof(out)), PAC_TIMEOUT,
	    "endless: PAC_TIMEOUT");
	is_str(out, "did not finish in time (-t)", "endless: the reason");
	ok(pc.pid == 0 && no_child(), "endless: reaped");

	/* Killed from outside: what it died of. */
	job(&j, endless, now_ms() + 10000);
	pac_start(&pc, &j, 0, out, sizeof(out));
	kill(pc.pid, SIGTERM);
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "killed: told");
	is_int(rc, PAC_CRASH, "killed: PAC_CRASH");
	is_str(out, "the evaluator died of signal 15", "killed: the reason");
	ok(pc.pid == 0 && no_child(), "killed: reaped");
}

int
main(void)
{
	char out[PAC_ANSWER_MAX];
	struct pac_job j;

	if (!pac_builtin) {
		ok(1, "# SKIP built without PAC support");
		return done_testing();
	}
	job(&j, "", 0);
	if (pac_eval_here(&j, out, sizeof(out)) == PAC_LOAD) {
		ok(1, "# SKIP %s", out);
		return done_testing();
	}
	test_held();
	test_errors();
	return done_testing();
}
