/*
 * The system calls beyond POSIX.1-2008 and the portable paths beside them
 * (src/compat.c, issue 12): whichever a build has, the descriptors come
 * out close-on-exec and as blocking as asked, the generator gives bytes,
 * a wipe zeroes, and splice is there exactly when the build says so.  Run
 * against every build, the POSIX one (make POSIX=1) checks the portable
 * paths, the others Linux's.
 */
#ifdef HAVE_PRCTL
#include <sys/prctl.h>
#endif
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "tap.h"

#define RANDOM_LEN	32		/* bytes of one draw */
#define RANDOM_BIG	(1024 * 1024)	/* a draw larger than one read */

static int
cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl != -1 && (fl & FD_CLOEXEC) != 0;
}

static int
nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl != -1 && (fl & O_NONBLOCK) != 0;
}

static void
test_pipe(void)
{
	int fd[2];
	char c;

	if (!ok(compat_pipe(fd, 1) == 0, "compat_pipe non-blocking: made"))
		return;
	ok(cloexec(fd[0]) && cloexec(fd[1]), "both ends close-on-exec");
	ok(nonblocking(fd[0]) && nonblocking(fd[1]), "both ends non-blocking");
	ok(read(fd[0], &c, 1) == -1 && errno == EAGAIN,
	    "an empty pipe does not block its reader: EAGAIN");
	ok(write(fd[1], "x", 1) == 1 && read(fd[0], &c, 1) == 1 && c == 'x',
	    "a byte goes through");
	close(fd[0]);
	close(fd[1]);
	if (!ok(compat_pipe(fd, 0) == 0, "compat_pipe blocking: made"))
		return;
	ok(cloexec(fd[0]) && cloexec(fd[1]), "both ends close-on-exec");
	ok(!nonblocking(fd[0]) && !nonblocking(fd[1]), "both ends blocking");
	close(fd[0]);
	close(fd[1]);
}

static void
test_socket(void)
{
	int fd, type = 0;
	socklen_t len = sizeof(type);

	if (!ok((fd = compat_socket(AF_INET)) != -1, "compat_socket: made"))
		return;
	ok(cloexec(fd), "the socket is close-on-exec");
	ok(nonblocking(fd), "the socket is non-blocking");
	ok(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	    type == SOCK_STREAM, "the socket is a stream socket");
	close(fd);
}

static void
test_random(void)
{
	unsigned char a[RANDOM_LEN], b[RANDOM_LEN], *big;
	size_t i, zero = 0;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ok(compat_random(a, sizeof(a)) == 0 && compat_random(b, sizeof(b)) ==
	    0, "compat_random gives bytes");
	ok(memcmp(a, b, sizeof(a)) != 0, "two draws differ");
	if ((big = calloc(1, RANDOM_BIG)) == NULL)
		return;
	ok(compat_random(big, RANDOM_BIG) == 0, "compat_random: 1 MiB in "
	    "one call");
	/* 1 MiB of zeroes where the generator stopped short would show as
	 * about 4096 zero bytes per 1 MiB more than chance gives. */
	for (i = 0; i < RANDOM_BIG; i++)
		zero += big[i] == 0;
	ok(zero < RANDOM_BIG / 128, "and all of it was written (%zu zero "
	    "bytes, about %d expected)", zero, RANDOM_BIG / 256);
	free(big);
}

static void
test_wipe(void)
{
	char secret[] = "correct horse battery staple";
	size_t i, left = 0;

	compat_wipe(secret, sizeof(secret));
	for (i = 0; i < sizeof(secret); i++)
		left += secret[i] != 0;
	is_int(left, 0, "compat_wipe zeroes every byte");
}

static void
test_splice(void)
{
	int a[2], b[2];
	char buf[4] = "";
	ssize_t r;

	if (compat_pipe(a, 1) == -1 || compat_pipe(b, 1) == -1) {
		ok(0, "compat_splice: pipes");
		return;
	}
	(void)!write(a[1], "abc", 3);
	r = compat_splice(a[0], b[1], 3);
	if (COMPAT_SPLICE)
		ok(r == 3 && read(b[0], buf, 3) == 3 && memcmp(buf, "abc", 3) ==
		    0, "compat_splice moves bytes between pipes");
	else
		ok(r == -1 && errno == ENOSYS, "without splice compat_splice "
		    "says ENOSYS");
	ok((compat_pipe_size(a[1], 1 << 20) >= 65536) ==
	    (strstr(compat_features(), "F_SETPIPE_SZ") != NULL),
	    "compat_pipe_size tells a size where the system can");
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

static void
test_features(void)
{
	const char *f = compat_features();
	size_t n = strlen(f);

	ok(n == 0 || (f[0] != ' ' && f[n - 1] != ' '), "compat_features: "
	    "words without a space at either end ('%s')", f);
	ok((strstr(f, "splice") != NULL) == COMPAT_SPLICE,
	    "it names splice exactly when the relay can use it");
}

/* Where the system lists its interfaces, an address that is not a
 * loopback; in the portable build none. */
static void
test_if_address(void)
{
	char a[INET6_ADDRSTRLEN];
	unsigned char b[16];
	int r;

	r = compat_if_address(AF_INET, a, sizeof(a));
#ifdef HAVE_GETIFADDRS
	if (r == -1) {
		ok(1, "# SKIP no interface but the loopback");
		return;
	}
	ok(inet_pton(AF_INET, a, b) == 1 && b[0] != 127,
	    "compat_if_address: an IPv4 address not in 127/8 (%s)", a);
	ok(strstr(compat_features(), "getifaddrs") != NULL, "-V names getifaddrs");
#else
	(void)b;
	is_int(r, -1, "compat_if_address: none in the portable build");
	ok(strstr(compat_features(), "getifaddrs") == NULL,
	    "-V does not name getifaddrs");
#endif
}

static void
test_undumpable(void)
{
	compat_undumpable();
#ifdef HAVE_PRCTL
	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "compat_undumpable: "
	    "the process is no longer dumpable");
#else
	ok(1, "compat_undumpable: no call to check in this build");
#endif
}

int
main(void)
{
	test_pipe();
	test_socket();
	test_random();
	test_wipe();
	test_splice();
	test_features();
	test_if_address();
	test_undumpable();
	return done_testing();
}
