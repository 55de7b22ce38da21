/*
 * The PAC evaluator as a child process that never blocks its caller
 * (pac_start, pac_go, pac_read, pac_expire, pac_stop): held children run
 * nothing until the go-ahead, a late one is stopped at its deadline, and
 * none is left behind.  Then pac_run_* in steps: two runs on one poll
 * loop against a local proxy that answers neither until it has both
 * CONNECTs, and an endless PAC that ends at its deadline with the caller
 * free meanwhile.  Then the evaluator server (pacserve.c): evaluations
 * forked from it rather than from the caller, children that hold none
 * of the caller's descriptors (a stdio run's too), the server's trailer
 * when a child dies without an answer, its kill at the caller's
 * deadline, the caller told at once when the server itself ends and
 * another started, and no zombie left in the server or here.  Skipped
 * (one TAP skip line) in a PAC=0 build or when Duktape cannot be loaded.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "pac.h"
#include "pacrun.h"
#include "stream.h"
#include "tap.h"
#include "tunnel.h"
#include "util.h"
#include "waitset.h"

#define HOLD_WAIT_MS	300	/* a held child that ran would answer */
#define EOF_WAIT_MS	300	/* a descriptor nobody holds is at EOF */
#define SETTLE_MS	3000	/* for the server to reap */

static const char quick[] = "function FindProxyForURL(u, h) "
    "{ return 'PROXY ' + h + ':1'; }";
static const char endless[] = "function FindProxyForURL(u, h) "
    "{ for (;;) ; }";
/* The evaluator's parent, through the resolver below. */
static const char parent[] = "function FindProxyForURL(u, h) "
    "{ return 'PROXY ' + dnsResolve('ppid') + ':1'; }";
static const char suicide[] = "function FindProxyForURL(u, h) "
    "{ dnsResolve('die'); return 'DIRECT'; }";

/* "ppid": the evaluator's parent as an address; "die": SIGTERM. */
static int
test_resolve(const char *host, int family, char *out, size_t outlen)
{
	(void)family;
	if (strcmp(host, "die") == 0)
		kill(getpid(), SIGTERM);
	if (strcmp(host, "ppid") != 0)
		return -1;
	snprintf(out, outlen, "%ld", (long)getppid());
	return 0;
}

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
	j->resolve = test_resolve;
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
	struct pollfd p[2];

	while (!pac_read(pc, rc, out, outlen)) {
		if ((left = until - now_ms()) <= 0)
			return 0;
		p[0].fd = pc->fd;
		p[1].fd = pac_server_fd(pc);	/* the server's end */
		p[0].events = p[1].events = POLLIN;
		poll(p, p[1].fd != -1 ? 2 : 1, (int)left);
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

/* Remove dir and what the runs left in dir/postern. */
static void
remove_dir(const char *dir)
{
	char d[512], p[1024];
	struct dirent *e;
	DIR *dp;

	snprintf(d, sizeof(d), "%s/postern", dir);
	if ((dp = opendir(d)) != NULL) {
		while ((e = readdir(dp)) != NULL)
			if (e->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
				unlink(p);
			}
		closedir(dp);
	}
	rmdir(d);
	rmdir(dir);
}

/* A PAC file in dir naming the proxy at port (or endless), its path in
 * path. */
static void
pac_file(const char *dir, int port, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s.pac", dir, port ? "proxy" : "endless");
	if ((f = fopen(path, "w")) == NULL)
		return;
	if (port)
		fprintf(f, "function FindProxyForURL(u, h) "
		    "{ return 'PROXY 127.0.0.1:%d'; }\n", port);
	else
		fprintf(f, "%s\n", endless);
	fclose(f);
}

static int
listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(fd, 8) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == -1)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
cfg(struct tunnel_cfg *c, const char *host, int64_t timeout)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->target.host, sizeof(c->target.host), "%s", host);
	c->target.port = 22;
	c->timeout_ms = timeout;
}

#define RUNS	2

/*
 * The proxy's side of the loop: accept, read each CONNECT whole, and
 * answer both once both have come (a caller that blocked in one run
 * would never send the other's).  The number of CONNECTs read.
 */
static int
proxy_turn(int lfd, struct pollfd *pl, int *conn, size_t *nconn, char
    req[RUNS][512], size_t got[RUNS], int *replied)
{
	static const char ok200[] = "HTTP/1.1 200 Connection established\r\n"
	    "\r\n";
	ssize_t n;
	size_t i, whole = 0;

	if (pl[0].revents != 0 && *nconn < RUNS &&
	    (conn[*nconn] = accept(lfd, NULL, NULL)) != -1)
		(*nconn)++;
	for (i = 0; i < *nconn; i++) {
		if (pl[1 + i].revents != 0 && got[i] < sizeof(req[i]) - 1 &&
		    (n = read(conn[i], req[i] + got[i], sizeof(req[i]) - 1 -
		    got[i])) > 0)
			got[i] += (size_t)n;
		req[i][got[i]] = '\0';
		whole += strstr(req[i], "\r\n\r\n") != NULL;
	}
	if (whole == RUNS && !*replied) {
		*replied = 1;
		for (i = 0; i < RUNS; i++)
			if (write(conn[i], ok200, sizeof(ok200) - 1) < 0)
				break;
	}
	return (int)whole;
}

static void
test_two_runs(const char *dir)
{
	struct tunnel_cfg c[RUNS];
	struct stream s[RUNS];
	struct pac_run *r[RUNS];
	struct waitset ws[RUNS];
	struct pollfd pl[1 + RUNS + RUNS * WAIT_FDS];
	char path[512], req[RUNS][512];
	size_t got[RUNS] = { 0 }, nconn = 0, i, k, np;
	int lfd, port, rc[RUNS], conn[RUNS], answered = 0, rounds = 0;
	int replied = 0;
	int64_t until = now_ms() + 10000;

	if ((lfd = listener(&port)) == -1) {
		ok(0, "two runs: a listener");
		return;
	}
	pac_file(dir, port, path, sizeof(path));
	cfg(&c[0], "a.test", 10000);
	cfg(&c[1], "b.test", 10000);
	for (i = 0; i < RUNS; i++) {
		rc[i] = TUNNEL_AGAIN;
		r[i] = pac_run_begin(path, &c[i], &s[i], &rc[i]);
		ok(r[i] != NULL, "two runs: run %zu begun", i);
		if (r[i] == NULL)
			return;
	}
	while ((rc[0] == TUNNEL_AGAIN || rc[1] == TUNNEL_AGAIN) &&
	    now_ms() < until) {
		rounds++;
		for (i = 0; i < RUNS; i++)
			if (rc[i] == TUNNEL_AGAIN)
				rc[i] = pac_run_step(r[i], &ws[i]);
		pl[0].fd = lfd;
		pl[0].events = POLLIN;
		for (i = 0; i < RUNS; i++) {
			pl[1 + i].fd = i < nconn ? conn[i] : -1;
			pl[1 + i].events = POLLIN;
		}
		for (np = 1 + RUNS, i = 0; i < RUNS; i++)
			for (k = 0; rc[i] == TUNNEL_AGAIN && k < ws[i].n; k++)
				pl[np++] = ws[i].fd[k];
		poll(pl, (nfds_t)np, 100);
		answered = proxy_turn(lfd, pl, conn, &nconn, req, got,
		    &replied);
	}
	is_int(answered, RUNS, "two runs: both CONNECTs reached the proxy "
	    "before either was answered");
	is_int(rc[0], EXIT_OK, "two runs: run 0 made its tunnel");
	is_int(rc[1], EXIT_OK, "two runs: run 1 made its tunnel");
	ok(got[0] > 0 && got[1] > 0 && strstr(req[0], "CONNECT ") == req[0] &&
	    (strstr(req[0], "a.test:22") != NULL) !=
	    (strstr(req[1], "a.test:22") != NULL), "two runs: one CONNECT each");
	ok(rounds > 2, "two runs: in steps");
	for (i = 0; i < RUNS; i++) {
		pac_run_end(r[i]);
		ok(s[i].fd >= 0, "two runs: run %zu's stream is open", i);
		stream_close(&s[i]);
	}
	for (i = 0; i < nconn; i++)
		close(conn[i]);
	close(lfd);
	ok(no_child(), "two runs: no evaluator left");
	unlink(path);
}

/* Whether fd reads EOF within ms: nobody else holds its peer. */
static int
eof_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	return poll(&p, 1, ms) == 1 && read(fd, &c, 1) == 0;
}

/*
 * The processes whose parent is pid (zombies too), from /proc: -1 where
 * there is none to read.
 */
static int
children_of(pid_t pid)
{
	char path[300], buf[512], *p, *end;
	struct dirent *e;
	DIR *d;
	FILE *f;
	size_t n;
	int count = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* "pid (comm) S ppid ...": comm may hold anything. */
		if ((p = strrchr(buf, ')')) == NULL || strlen(p) < 4)
			continue;
		if (strtol(p + 4, &end, 10) == (long)pid && *end == ' ')
			count++;
	}
	closedir(d);
	return count;
}

/* Whether the server has no child left within SETTLE_MS (1 where
 * /proc cannot tell). */
static int
server_settled(void)
{
	int64_t until = now_ms() + SETTLE_MS;
	int n;

	while ((n = children_of(pac_server_pid())) > 0 && now_ms() < until)
		poll(NULL, 0, 10);
	return n <= 0;
}

/*
 * An endless PAC under pac_run: each step returns at once, the run ends
 * with EXIT_PAC at its deadline, and the child is gone.  Served: the
 * steps wait on the server's end too, which reaps the child.
 */
static void
test_run_timeout(const char *dir, int served)
{
	struct tunnel_cfg c;
	struct waitset ws;
	struct stream s;
	struct pac_run *r;
	char path[512];
	int64_t t0, step, slowest = 0;
	int rc = -2, steps = 0, waits = 1;

	pac_file(dir, 0, path, sizeof(path));
	cfg(&c, "a.test", 400);
	t0 = now_ms();
	if ((r = pac_run_begin(path, &c, &s, &rc)) == NULL) {
		ok(0, "timeout: begun");
		return;
	}
	for (;;) {
		step = now_ms();
		if ((rc = pac_run_step(r, &ws)) != TUNNEL_AGAIN)
			break;
		if (now_ms() - step > slowest)
			slowest = now_ms() - step;
		steps++;
		waits = waits && ws.n == (served ? 2U : 1U) && ws.until > 0 &&
		    ws.until <= t0 + 400 + 5;
		waitset_poll(&ws);
	}
	is_int(rc, EXIT_PAC, "timeout: EXIT_PAC");
	ok(waits, "timeout: each step waits for the answer and the deadline");
	ok(steps >= 1 && slowest < 200, "timeout: no step blocks (%lld ms)",
	    (long long)slowest);
	ok(now_ms() - t0 >= 400 && now_ms() - t0 < 3000, "timeout: at the "
	    "deadline");
	pac_run_end(r);
	ok(served ? server_settled() : no_child(), "timeout: no evaluator "
	    "left");
	ok(s.fd == -1, "timeout: no stream");
	unlink(path);
}

/* A one-thread HTTP server: every request is answered with the PAC, and
 * the GETs counted (DIRECT tunnels to it send nothing). */
struct web {
	int		 fd;
	int		 port;
	int		 requests;
	pthread_t	 th;
};

static void *
web_serve(void *arg)
{
	static const char pac[] = "function FindProxyForURL(u, h) "
	    "{ return 'DIRECT'; }";
	struct web *w = arg;
	char req[2048], head[256];
	size_t got;
	ssize_t n;
	int c;

	while ((c = accept(w->fd, NULL, NULL)) != -1) {
		req[0] = '\0';
		for (got = 0; got < sizeof(req) - 1 &&
		    strstr(req, "\r\n\r\n") == NULL && (n = read(c, req + got,
		    sizeof(req) - 1 - got)) > 0; req[got] = '\0')
			got += (size_t)n;
		if (got > 4 && memcmp(req, "GET ", 4) == 0)
			__atomic_add_fetch(&w->requests, 1, __ATOMIC_SEQ_CST);
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: "
		    "%zu\r\n\r\n", sizeof(pac) - 1);
		if (write(c, head, strlen(head)) > 0 &&
		    write(c, pac, sizeof(pac) - 1) > 0)
			shutdown(c, SHUT_WR);
		close(c);
	}
	return NULL;
}

/*
 * A listener asks the PAC per tunnel but fetches it once a minute: the
 * second run within the minute is answered without a request.
 */
static void
test_memo(void)
{
	struct tunnel_cfg c;
	struct waitset ws;
	struct stream s;
	struct pac_run *r;
	struct web w;
	char url[64];
	int i, rc = -2, made = 0;

	memset(&w, 0, sizeof(w));
	if ((w.fd = listener(&w.port)) == -1 ||
	    pthread_create(&w.th, NULL, web_serve, &w) != 0) {
		ok(0, "memo: a web server");
		return;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/m.pac", w.port);
	cfg(&c, "127.0.0.1", 5000);
	c.target.port = (unsigned)w.port;	/* DIRECT: to the server */
	for (i = 0; i < 3; i++) {
		if ((r = pac_run_begin(url, &c, &s, &rc)) == NULL)
			break;
		while ((rc = pac_run_step(r, &ws)) == TUNNEL_AGAIN)
			waitset_poll(&ws);
		pac_run_end(r);
		made += rc == EXIT_OK;
		stream_close(&s);
	}
	is_int(made, 3, "memo: three tunnels");
	shutdown(w.fd, SHUT_RDWR);
	close(w.fd);
	pthread_join(w.th, NULL);
	is_int(w.requests, 1, "memo: one fetch for the three");
	ok(no_child(), "memo: no evaluator left");
}

/* A stdio run forks from itself: its child closes what it inherited. */
static void
test_direct_fds(void)
{
	char out[PAC_ANSWER_MAX];
	struct pac_child pc;
	struct pac_job j;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		ok(0, "socketpair");
		return;
	}
	job(&j, endless, now_ms() + 10000);
	is_int(pac_start(&pc, &j, 0, out, sizeof(out)), PAC_OK,
	    "direct: started");
	close(sp[0]);
	ok(eof_within(sp[1], EOF_WAIT_MS), "direct: the child holds none "
	    "of the caller's descriptors");
	close(sp[1]);
	pac_stop(&pc);
	ok(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "direct: reaped");
}

static void
test_served(void)
{
	char out[PAC_ANSWER_MAX], want[64];
	struct pac_child pc;
	struct pac_job j;
	enum pac_rc rc = PAC_OK;
	int sp[2];

	job(&j, parent, now_ms() + 10000);
	is_int(pac_start(&pc, &j, 1, out, sizeof(out)), PAC_OK,
	    "served: started");
	ok(pc.pid == 0 && pc.job != 0, "served: the server's child");
	ok(!wait_read(&pc, 300, &rc, out, sizeof(out)),
	    "served: held until the go-ahead");
	pac_go(&pc);
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "served: answered");
	is_int(rc, PAC_OK, "served: PAC_OK");
	snprintf(want, sizeof(want), "PROXY %ld:1", (long)pac_server_pid());
	is_str(out, want, "served: its parent is the server");
	ok(pac_server_pid() != getpid(), "served: not this process");
	pac_stop(&pc);

	/* The endless PAC runs on; the socket's peer is at EOF at once. */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		ok(0, "socketpair");
		return;
	}
	job(&j, endless, now_ms() + 300);
	is_int(pac_start(&pc, &j, 0, out, sizeof(out)), PAC_OK,
	    "served endless: started");
	close(sp[0]);
	ok(eof_within(sp[1], EOF_WAIT_MS), "served endless: the child holds "
	    "none of the caller's descriptors");
	close(sp[1]);
	ok(!wait_read(&pc, 300, &rc, out, sizeof(out)),
	    "served endless: no answer by its deadline");
	is_int(pac_expire(&pc, out, sizeof(out)), PAC_TIMEOUT,
	    "served endless: PAC_TIMEOUT");
	is_str(out, "did not finish in time (-t)", "served endless: the "
	    "reason");
	ok(pc.job == 0 && pc.fd == -1, "served endless: stopped");
	ok(server_settled(), "served endless: killed and reaped by the "
	    "server");
}

/* Deaths the server tells of in its trailer, and errors as before. */
static void
test_served_errors(void)
{
	char out[PAC_ANSWER_MAX];
	struct pac_child pc;
	struct pac_job j;
	enum pac_rc rc = PAC_OK;

	job(&j, suicide, now_ms() + 10000);
	pac_start(&pc, &j, 0, out, sizeof(out));
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "killed: told");
	is_int(rc, PAC_CRASH, "killed: PAC_CRASH");
	is_str(out, "the evaluator died of signal 15", "killed: the reason, "
	    "from the server");
	pac_stop(&pc);

	job(&j, "function (", now_ms() + 10000);
	pac_start(&pc, &j, 1, out, sizeof(out));
	pac_go(&pc);
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "syntax error: "
	    "answered");
	is_int(rc, PAC_SYNTAX, "syntax error: PAC_SYNTAX");
	pac_stop(&pc);
	ok(server_settled(), "errors: no zombie in the server");
}

/* The server killed under an evaluation: told at once, another one. */
static void
test_server_death(void)
{
	char out[PAC_ANSWER_MAX], want[64];
	struct pac_child pc;
	struct pac_job j;
	enum pac_rc rc = PAC_OK;
	pid_t old = pac_server_pid();
	int64_t t0;

	job(&j, endless, now_ms() + 10000);
	is_int(pac_start(&pc, &j, 0, out, sizeof(out)), PAC_OK,
	    "server death: started");
	/* Its child runs (and holds the answer's pipe) before the kill. */
	t0 = now_ms();
	while (children_of(old) == 0 && now_ms() - t0 < SETTLE_MS)
		poll(NULL, 0, 10);
	kill(old, SIGKILL);
	t0 = now_ms();
	ok(wait_read(&pc, 5000, &rc, out, sizeof(out)), "server death: told");
	ok(now_ms() - t0 < 500, "server death: at once, not when the "
	    "orphaned child ends");
	is_int(rc, PAC_CRASH, "server death: PAC_CRASH");
	is_str(out, "the PAC evaluator server ended (signal 9)",
	    "server death: the reason");
	pac_stop(&pc);
	ok(waitpid(old, NULL, WNOHANG) == -1 && errno == ECHILD,
	    "server death: reaped");

	job(&j, parent, now_ms() + 10000);
	is_int(pac_start(&pc, &j, 0, out, sizeof(out)), PAC_OK,
	    "restart: started");
	ok(pac_server_pid() > 0 && pac_server_pid() != old,
	    "restart: another server");
	ok(wait_read(&pc, 10000, &rc, out, sizeof(out)), "restart: answered");
	snprintf(want, sizeof(want), "PROXY %ld:1", (long)pac_server_pid());
	is_str(out, want, "restart: from the new server");
	pac_stop(&pc);
}

int
main(void)
{
	char out[PAC_ANSWER_MAX], dir[] = "/tmp/t_pacrun.XXXXXX";
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
	signal(SIGPIPE, SIG_IGN);	/* as main() has it */
	test_held();
	test_errors();
	if (mkdtemp(dir) == NULL) {
		ok(0, "a temporary directory");
		return done_testing();
	}
	setenv("XDG_CACHE_HOME", dir, 1);
	setenv("XDG_RUNTIME_DIR", dir, 1);
	test_two_runs(dir);
	test_run_timeout(dir, 0);
	test_memo();
	test_direct_fds();
	is_int(pac_server_open(NULL, NULL, out, sizeof(out)), 0,
	    "server: started");
	ok(pac_server_pid() > 0, "server: runs");
	test_served();
	test_served_errors();
	test_run_timeout(dir, 1);
	test_server_death();
	pac_server_close();
	ok(pac_server_pid() == 0, "close: no server");
	ok(no_child(), "close: no child left here");
	remove_dir(dir);
	return done_testing();
}
