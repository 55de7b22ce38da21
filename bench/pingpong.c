/*
 * pingpong [-n ROUNDS] [-b BANNER] [-t SECS] -- COMMAND [ARG...]
 *
 * Runs COMMAND (a tunnel client) with its standard input and output on
 * pipes of ours, as ssh runs a ProxyCommand, and measures through it:
 *   first_ns   from just before fork() to the first byte of BANNER read
 *              back from its standard output (the target speaks first);
 *   rtt        ROUNDS round trips of one byte ('x') to an echo server:
 *              median, mean and 99th percentile, in nanoseconds;
 * then sends 'Q' (the echo server closes), closes the pipes, and reaps the
 * command with wait4(): its peak RSS (ru_maxrss, KiB) and CPU time.
 * One line of "key=value" on standard output; exit 0 when every byte came
 * back as sent, 1 otherwise.  Every wait is bounded by -t (default 60 s).
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>

#include "common.h"

#define ROUNDS_MAX	1000000

static int timeout_ms = 60000;

/* Read exactly n bytes from fd within the time limit. */
static int
read_full(int fd, char *buf, size_t n, uint64_t *t_first)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t r;
	int pr;

	while (n > 0) {
		r = read(fd, buf, n);
		if (r > 0) {
			if (t_first != NULL && *t_first == 0)
				*t_first = now_ns();
			buf += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return -1;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		pr = poll(&p, 1, timeout_ms);
		if (pr == 0)
			return -1;
	}
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reap pid within secs seconds, then TERM, then KILL. */
static int
reap(pid_t pid, int secs, struct rusage *ru, int *killed)
{
	int st, i;
	pid_t r;

	for (i = 0; i < secs * 1000; i++) {
		r = wait4(pid, &st, WNOHANG, ru);
		if (r == pid)
			return st;
		usleep(1000);
	}
	*killed = 1;
	kill(pid, SIGTERM);
	for (i = 0; i < 2000; i++) {
		if (wait4(pid, &st, WNOHANG, ru) == pid)
			return st;
		usleep(1000);
	}
	kill(pid, SIGKILL);
	wait4(pid, &st, 0, ru);
	return st;
}

int
main(int argc, char **argv)
{
	static uint64_t rtt[ROUNDS_MAX];
	const char *banner = "SSH-2.0-bench\r\n";
	char buf[256], c;
	long rounds = 1000, i;
	int in[2], out[2], ch, ok = 1, killed = 0, st, secs = 60;
	uint64_t t0, t_first = 0, t, sum = 0;
	struct rusage ru;
	pid_t pid;
	size_t blen;
	ssize_t r;

	bench_prog = "pingpong";
	while ((ch = getopt(argc, argv, "n:b:t:")) != -1) {
		switch (ch) {
		case 'n': rounds = atol(optarg); break;
		case 'b': banner = optarg; break;
		case 't': secs = atoi(optarg); break;
		default: die("usage: pingpong [-n ROUNDS] [-b BANNER] [-t SECS] -- COMMAND [ARG...]");
		}
	}
	argv += optind;
	if (argv[0] == NULL || rounds < 1 || rounds > ROUNDS_MAX || secs < 1)
		die("usage: pingpong [-n ROUNDS] [-b BANNER] [-t SECS] -- COMMAND [ARG...]");
	timeout_ms = secs * 1000;
	blen = strlen(banner);
	if (blen == 0 || blen > sizeof(buf))
		die("bad banner");
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)secs * 3 + (unsigned)(rounds / 1000) + 10);
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		die("pipe:");

	t0 = now_ns();
	if ((pid = fork()) == -1)
		die("fork:");
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	(void)fcntl(out[0], F_SETFL, O_NONBLOCK);

	if (read_full(out[0], buf, blen, &t_first) == -1 ||
	    memcmp(buf, banner, blen) != 0) {
		fprintf(stderr, "pingpong: no banner from %s\n", argv[0]);
		ok = 0;
	}
	for (i = 0; ok && i < rounds; i++) {
		t = now_ns();
		if (write(in[1], "x", 1) != 1 ||
		    read_full(out[0], &c, 1, NULL) == -1 || c != 'x') {
			fprintf(stderr, "pingpong: round trip %ld failed\n", i);
			ok = 0;
			break;
		}
		rtt[i] = now_ns() - t;
		sum += rtt[i];
	}
	/* End: the echo server closes on 'Q'; expect end of output. */
	(void)write(in[1], "Q", 1);
	close(in[1]);
	{
		struct pollfd p = { out[0], POLLIN, 0 };
		uint64_t limit = now_ns() + 10ull * 1000000000u;
		while (now_ns() < limit) {
			r = read(out[0], buf, sizeof(buf));
			if (r == 0)
				break;
			if (r > 0) {
				ok = 0;	/* bytes nobody sent */
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				break;
			(void)poll(&p, 1, 100);
		}
	}
	close(out[0]);
	memset(&ru, 0, sizeof(ru));
	st = reap(pid, 10, &ru, &killed);

	if (ok) {
		qsort(rtt, (size_t)rounds, sizeof(rtt[0]), cmp_u64);
		printf("ok=1 first_ns=%llu rtt_p50_ns=%llu rtt_mean_ns=%llu "
		    "rtt_p99_ns=%llu", (unsigned long long)(t_first - t0),
		    (unsigned long long)rtt[rounds / 2],
		    (unsigned long long)(sum / (uint64_t)rounds),
		    (unsigned long long)rtt[rounds * 99 / 100]);
	} else
		printf("ok=0");
	printf(" maxrss_kb=%ld utime_us=%ld stime_us=%ld status=%d killed=%d\n",
	    ru.ru_maxrss, ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec,
	    ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec,
	    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), killed);
	return ok ? 0 : 1;
}
