#ifndef POSTERN_PACSERVE_H
#define POSTERN_PACSERVE_H

#include <sys/types.h>

#include <stddef.h>

#include "pac.h"

/*
 * The evaluator server (pacserve.c): a process forked early that forks
 * each evaluation's child from its own clean state.  pac.c drives it;
 * this file knows processes and descriptors, nothing of JavaScript.
 */

/* What the server's child runs: pac.c's, which never returns. */
typedef void	(*pacsrv_run_fn)(const struct pac_job *, int fd, int go);

/*
 * Fork the server.  forget (may be NULL) is called in it first with arg,
 * and again in each one started later to replace one that ended.  0, or
 * -1 with err saying why.
 */
int	pacsrv_open(pacsrv_run_fn, void (*forget)(const void *),
	    const void *arg, char *err, size_t errlen);
/* The server ended, its children killed and reaped; no more started. */
void	pacsrv_close(void);
/* Its process, or 0 when none runs. */
pid_t	pacsrv_pid(void);
/*
 * Whether evaluations go to a server: one runs, or one was opened and
 * has ended, and another was started now (said on stderr).
 */
int	pacsrv_ready(void);
/*
 * Send j to the server: its child writes the answer on fd and waits for
 * the go-ahead on go (-1: none); both are the caller's to close after.
 * pc's job and gen are set.  0, or -1 with err saying why.
 */
int	pacsrv_send(const struct pac_job *j, int fd, int go,
	    struct pac_child *pc, char *err, size_t errlen);
/* Kill pc's child and reap it (the server does), unless it has ended. */
void	pacsrv_kill(const struct pac_child *pc);
/* Whether the server of pc's child has ended: 1 with why in out. */
int	pacsrv_gone(const struct pac_child *pc, char *out, size_t outlen);
/* A descriptor that turns readable when pc's server ends, or -1. */
int	pacsrv_fd(const struct pac_child *pc);

/*
 * Close every descriptor but the n in keep: in a child forked without
 * exec, which would hold the caller's sockets open (and delay their FIN)
 * as long as it runs.
 */
void	pac_close_others(const int *keep, size_t n);

#endif
