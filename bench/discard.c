/*
 * discard N: accept one connection on 127.0.0.1 (the port is printed
 * first), read exactly N bytes (or up to end of input, if sooner) and
 * close.  Then print "COUNT T_NS": the bytes received and the
 * CLOCK_MONOTONIC time at which the last of them arrived.  Exit 0 when
 * COUNT is N.  Bytes go to /dev/null with splice(), not through this
 * process's memory, so that the sink costs the machine little.
 */
#include <fcntl.h>
#include <signal.h>

#include "common.h"

#define CHUNK	(1024 * 1024)

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	unsigned long long n, got = 0;
	uint64_t t_last = 0;
	int lfd, fd, nul, p[2], use_splice;
	ssize_t r, w;
	size_t want;

	bench_prog = "discard";
	if (argc != 2)
		die("usage: discard N");
	n = parse_size(argv[1]);
	alarm(1200);
	lfd = listen_local(0);
	fd = accept_one(lfd, 120);
	close(lfd);
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	use_splice = nul != -1 && pipe2(p, O_CLOEXEC) == 0;
	if (use_splice)
		(void)fcntl(p[1], F_SETPIPE_SZ, CHUNK);
	while (got < n) {
		want = n - got < CHUNK ? (size_t)(n - got) : CHUNK;
		if (use_splice)
			r = splice(fd, NULL, p[1], NULL, want, SPLICE_F_MOVE);
		else
			r = read(fd, buf, want);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (unsigned long long)r;
		t_last = now_ns();
		while (use_splice && r > 0) {
			w = splice(p[0], NULL, nul, NULL, (size_t)r, SPLICE_F_MOVE);
			if (w == -1 && errno == EINTR)
				continue;
			if (w <= 0)
				die("splice to /dev/null:");
			r -= w;
		}
	}
	close(fd);
	printf("%llu %llu\n", got, (unsigned long long)t_last);
	return got == n ? 0 : 1;
}
