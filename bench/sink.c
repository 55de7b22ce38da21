/*
 * sink N: read standard input to its end (spliced to /dev/null when it is
 * a pipe) and print "COUNT T_NS": the bytes read and the CLOCK_MONOTONIC
 * time at which the N-th arrived (0 if it never did).  Exit 0 when COUNT
 * is N exactly.
 */
#include <sys/stat.h>

#include <fcntl.h>

#include "common.h"

#define CHUNK	(1024 * 1024)

int
main(int argc, char **argv)
{
	static char buf[CHUNK];
	unsigned long long n, got = 0;
	uint64_t t_n = 0;
	struct stat st;
	int nul, use_splice;
	ssize_t r;

	bench_prog = "sink";
	if (argc != 2)
		die("usage: sink N");
	n = parse_size(argv[1]);
	alarm(1200);
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	use_splice = nul != -1 && fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
	/* The pipe keeps its default size, as ssh's own pipes do. */
	for (;;) {
		if (use_splice)
			r = splice(0, NULL, nul, NULL, CHUNK, SPLICE_F_MOVE);
		else
			r = read(0, buf, CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && use_splice && errno == EINVAL) {
			use_splice = 0;
			continue;
		}
		if (r <= 0)
			break;
		got += (unsigned long long)r;
		if (t_n == 0 && got >= n)
			t_n = now_ns();
	}
	printf("%llu %llu\n", got, (unsigned long long)t_n);
	return got == n ? 0 : 1;
}
