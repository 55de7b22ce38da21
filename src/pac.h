#ifndef POSTERN_PAC_H
#define POSTERN_PAC_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define PAC_ANSWER_MAX	4096	/* bytes of an answer or a reason */

/*
 * The resolver the PAC's dnsResolve() and friends use: the addresses of
 * host of family (AF_INET, or AF_UNSPEC for all), ";"-separated into
 * out.  0, or -1 when the name does not resolve.
 */
typedef int (*pac_resolve_fn)(const char *host, int family, char *out,
    size_t outlen);

struct pac_job {
	const char	*script;	/* the PAC */
	size_t		 len;
	const char	*name;		/* the PAC in messages */
	const char	*url;		/* FindProxyForURL's arguments */
	const char	*host;
	const char	*route;		/* an address myIpAddress() routes
					 * toward, or NULL */
	int64_t		 now;		/* ms since the epoch: the clock of
					 * weekdayRange and the like */
	int64_t		 deadline;	/* now_ms() clock */
	pac_resolve_fn	 resolve;	/* NULL: the system's */
	int		 keep_code;	/* load and keep its bytecode in the
					 * cache directory (pacstate.h) */
	void		 (*forget)(const void *);	/* pac_start's child
					 * calls it first: wipe the secrets
					 * it inherited */
	const void	*forget_arg;
};

enum pac_rc {
	PAC_OK = 0,
	PAC_NOT_BUILT,
	PAC_LOAD,	/* the JavaScript engine could not be loaded */
	PAC_SYNTAX,
	PAC_THROW,
	PAC_BAD_RESULT,	/* no function, or not a string */
	PAC_NOMEM,
	PAC_CPU,	/* over its CPU time */
	PAC_TIMEOUT,	/* over the deadline */
	PAC_CRASH,
	PAC_SYSTEM,	/* fork(), pipe() and the like */
};

extern const int pac_builtin;	/* 1 when built with PAC support */

/*
 * An evaluation in a child process, with its CPU time and memory bounded
 * and the engine loaded only there; the caller bounds its time, and never
 * blocks on it.
 */
struct pac_child {
	pid_t	 pid;		/* 0: none (reaped), and no fd open */
	int	 fd;		/* the answer comes here; -1: read */
	int	 go;		/* the go-ahead; -1: none, or given */
	unsigned job;		/* the evaluator server's child: its job's
				 * id (pid is 0 then); 0: none */
	unsigned gen;		/* which server it went to */
	size_t	 got;
	char	 buf[PAC_ANSWER_MAX + 2];
};

/*
 * Start evaluating j (whose memory the child inherits: the caller may
 * free it afterwards).  With hold, the child makes ready (loads the
 * engine, creates the heap, compiles or loads the PAC's code) and runs
 * nothing of the PAC until pac_go(); pac_stop() without it ends it
 * unseen.  PAC_OK, or the class with out saying why.
 */
enum pac_rc	pac_start(struct pac_child *, const struct pac_job *j,
		    int hold, char *out, size_t outlen);
void		pac_go(struct pac_child *);
/*
 * The answer, without blocking: 0 while there is none yet (poll fd for
 * POLLIN), else 1 with *rc and out (the answer when PAC_OK, else the
 * reason).  The child may still be on its way out: pac_stop() reaps it.
 */
int		pac_read(struct pac_child *, enum pac_rc *rc, char *out,
		    size_t outlen);
/* The deadline passed: the child stopped, PAC_TIMEOUT with the reason. */
enum pac_rc	pac_expire(struct pac_child *, char *out, size_t outlen);
/* Kill the child unless it has ended, and reap it; any time, twice too,
 * and on a pac_child all zero (none). */
void		pac_stop(struct pac_child *);
/* Whether pac_start() started a child that pac_stop() has not ended. */
int		pac_started(const struct pac_child *);
/*
 * A second descriptor to poll beside fd while waiting for the answer (it
 * turns readable when the evaluator server ends), or -1.
 */
int		pac_server_fd(const struct pac_child *);

/*
 * The evaluator server (pacserve.c): a process of its own from which
 * pac_start()'s children are forked, rather than from the caller.  For a
 * long-running process with many tunnels: open it at its start, before
 * it reads a credential, opens a socket or starts a thread, so that the
 * children inherit none of them.  forget (NULL: none) is called in the
 * server first, with arg: wipe the secrets it inherited.  0, or -1 with
 * err saying why (pac_start() then forks from the caller, as without).
 * A server that ends is started again, from the caller as it is then.
 * pac_server_close() ends it and its children; pac_server_pid() is its
 * process, 0 when none runs.
 */
int		pac_server_open(void (*forget)(const void *),
		    const void *arg, char *err, size_t errlen);
void		pac_server_close(void);
pid_t		pac_server_pid(void);

/* The same in this process, unbounded but for the heap: for tests. */
enum pac_rc	pac_eval_here(const struct pac_job *, char *out, size_t outlen);

#endif
