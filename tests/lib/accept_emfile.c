/*
 * LD_PRELOAD shim for listen.bats: the first accept() (or accept4()) the
 * process makes fails with EMFILE, as when descriptors held by something
 * other than a tunnel run out; every later one is the real call.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include <dlfcn.h>
#include <errno.h>

static int failed;

int
accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) =
	    (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT,
	    "accept4");

	if (!failed) {
		failed = 1;
		errno = EMFILE;
		return -1;
	}
	return real(fd, sa, len, flags);
}

int
accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) =
	    (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT,
	    "accept");

	if (!failed) {
		failed = 1;
		errno = EMFILE;
		return -1;
	}
	return real(fd, sa, len);
}
