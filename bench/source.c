/*
 * source N: accept one connection on 127.0.0.1 (the port is printed
 * first), send N zero bytes, shut down the sending side and wait (at most
 * 30 s) for the peer to close, reading whatever it sends, so that no
 * reset can cut the tail of the data.  "SENT T_NS" is printed as soon as
 * the last byte is handed to the kernel (T_NS, CLOCK_MONOTONIC).
 */
#include <signal.h>

#include "common.h"

#define CHUNK	(1024 * 1024)

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	unsigned long long n, sent = 0;
	uint64_t t_last = 0;
	struct timeval tv = { 30, 0 };
	int lfd, fd;
	ssize_t r;
	size_t want;

	bench_prog = "source";
	if (argc != 2)
		die("usage: source N");
	n = parse_size(argv[1]);
	signal(SIGPIPE, SIG_IGN);
	alarm(1200);
	lfd = listen_local(0);
	fd = accept_one(lfd, 120);
	close(lfd);
	while (sent < n) {
		want = n - sent < CHUNK ? (size_t)(n - sent) : CHUNK;
		r = write(fd, buf, want);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sent += (unsigned long long)r;
	}
	t_last = now_ns();
	/* Report now: the harness reads this while the client finishes. */
	printf("%llu %llu\n", sent, (unsigned long long)t_last);
	fflush(stdout);
	(void)shutdown(fd, SHUT_WR);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((r = read(fd, buf, CHUNK)) > 0 || (r == -1 && errno == EINTR))
		;
	close(fd);
	return sent == n ? 0 : 1;
}
