#ifndef POSTERN_PAC_H
#define POSTERN_PAC_H

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
	void		 (*forget)(const void *);	/* pac_eval's child
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
 * Evaluate in a child process, with its CPU time, memory and the deadline
 * bounded, and the engine loaded only there.  PAC_OK: out holds the
 * answer; otherwise out holds the reason.
 */
enum pac_rc	pac_eval(const struct pac_job *, char *out, size_t outlen);
/* The same in this process, unbounded but for the heap: for tests. */
enum pac_rc	pac_eval_here(const struct pac_job *, char *out, size_t outlen);

#endif
