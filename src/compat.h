#ifndef POSTERN_COMPAT_H
#define POSTERN_COMPAT_H

/*
 * What the system offers beyond POSIX.1-2008, in one place.  The Makefile
 * sets a HAVE_x for each call a system has (by `uname -s`; none with
 * POSIX=1); every function here has a portable path beside the faster or
 * stronger one, and the rest of postern calls only these.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <stddef.h>

/*
 * Whether the relay can splice() between a pipe and a socket (Linux).
 * Without it every direction copies through a buffer: the same relay,
 * one mode fewer.
 */
#ifdef HAVE_SPLICE
#define COMPAT_SPLICE	1
#else
#define COMPAT_SPLICE	0
#endif

/*
 * The flags of a send() that must not raise SIGPIPE.  Without
 * MSG_NOSIGNAL, sockets from compat_socket() carry SO_NOSIGPIPE where the
 * system has it, and main() ignores SIGPIPE before anything is sent.
 */
#ifdef HAVE_MSG_NOSIGNAL
#define COMPAT_NOSIGNAL	MSG_NOSIGNAL
#else
#define COMPAT_NOSIGNAL	0
#endif

/* splice() up to n bytes from in to out, never blocking; -1 with errno
 * ENOSYS where there is none (COMPAT_SPLICE is 0 and nobody calls it). */
ssize_t	compat_splice(int in, int out, size_t n);

/* Ask that the pipe fd hold want bytes; its size afterwards, or 0 when
 * the system cannot tell or change it. */
size_t	compat_pipe_size(int fd, size_t want);

/* pipe() whose ends are close-on-exec, and non-blocking with nonblock. */
int	compat_pipe(int fd[2], int nonblock);

/* A non-blocking, close-on-exec stream socket that raises no SIGPIPE
 * where the system can say so per socket. */
int	compat_socket(int family);

/* accept() of a socket that is non-blocking and close-on-exec, and
 * raises no SIGPIPE where the system can say so per socket. */
int	compat_accept(int lfd, struct sockaddr *, socklen_t *);

/* n bytes from the system's generator; -1 if it cannot give them. */
int	compat_random(void *, size_t n);

/* Keep other processes of the same user from reading our memory where
 * the system can (core dumps are turned off by the caller everywhere). */
void	compat_undumpable(void);

/* Zero n bytes in a way the compiler cannot drop as a dead store. */
void	compat_wipe(void *, size_t n);

/*
 * The address of the first interface that is up and not a loopback, of
 * family (AF_INET or AF_INET6), as text: 0, or -1 when there is none or
 * the system cannot list its interfaces (getifaddrs() is not POSIX).
 */
int	compat_if_address(int family, char *out, size_t outlen);

/* The optional calls this build uses, space separated ("" for none). */
const char	*compat_features(void);

#endif
