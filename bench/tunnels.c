/*
 * tunnels: the client side of the listener section, against a listener on
 * 127.0.0.1:PORT that forwards every connection to an echo server (echod)
 * or to discard.  A tunnel counts as set up when its first byte has come
 * back: connect, send one byte, read it.
 *
 *   tunnels rate PORT COUNT PARALLEL
 *	COUNT tunnels, PARALLEL at a time, each closed once set up; prints
 *	"COUNT ELAPSED_NS MEDIAN_NS" (all of them, and one's median).
 *   tunnels hold PORT COUNT
 *	COUNT tunnels set up one after another and kept open; prints
 *	"held COUNT", then closes them all when its stdin ends.
 *   tunnels send PORT BYTES
 *	BYTES zero bytes through one tunnel to discard, then half-close and
 *	wait for the far side's close; prints the CLOCK_MONOTONIC ns at which
 *	it began to connect.
 *
 * Any tunnel that fails ends the run: exit 1 with the reason on stderr.
 */
#include <pthread.h>
#include <signal.h>

#include "common.h"

#define WAIT_MS		30000		/* for one echoed byte, or the close */
#define PAR_MAX		1024
#define COUNT_MAX	100000

static int port;
static unsigned long count, next_i;
static uint64_t *took;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int
dial(void)
{
	struct sockaddr_in sin;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket:");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect 127.0.0.1:%d:", port);
	set_nodelay(fd);
	return fd;
}

/* Wait for fd to be readable; read what is there. */
static ssize_t
wait_read(int fd, char *buf, size_t n)
{
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t r;
	int pr;

	do
		pr = poll(&p, 1, WAIT_MS);
	while (pr == -1 && errno == EINTR);
	if (pr == 0)
		die("no answer through the tunnel within %d ms", WAIT_MS);
	do
		r = read(fd, buf, n);
	while (r == -1 && errno == EINTR);
	return r;
}

/* One tunnel set up: connect, one byte there and back. */
static int
tunnel_up(void)
{
	char c = 'x';
	int fd = dial();

	if (write_all(fd, &c, 1) == -1)
		die("send through the tunnel:");
	c = 0;
	if (wait_read(fd, &c, 1) != 1 || c != 'x')
		die("the tunnel closed before its byte came back:");
	return fd;
}

static void *
rate_worker(void *arg)
{
	unsigned long i;
	uint64_t t0;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		i = next_i++;
		pthread_mutex_unlock(&lock);
		if (i >= count)
			return NULL;
		t0 = now_ns();
		close(tunnel_up());
		took[i] = now_ns() - t0;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
rate(unsigned long par)
{
	pthread_t t[PAR_MAX];
	unsigned long i;
	uint64_t t0, el;

	if ((took = calloc(count, sizeof(*took))) == NULL)
		die("calloc:");
	t0 = now_ns();
	for (i = 0; i < par; i++)
		if (pthread_create(&t[i], NULL, rate_worker, NULL) != 0)
			die("pthread_create failed");
	for (i = 0; i < par; i++)
		pthread_join(t[i], NULL);
	el = now_ns() - t0;
	qsort(took, count, sizeof(*took), cmp_u64);
	printf("%lu %llu %llu\n", count, (unsigned long long)el,
	    (unsigned long long)took[count / 2]);
	return 0;
}

static int
hold(void)
{
	char buf[256];
	unsigned long i;
	ssize_t r;
	int *fds;

	if ((fds = calloc(count, sizeof(*fds))) == NULL)
		die("calloc:");
	for (i = 0; i < count; i++)
		fds[i] = tunnel_up();
	printf("held %lu\n", count);
	fflush(stdout);
	do
		r = read(0, buf, sizeof(buf));
	while (r > 0 || (r == -1 && errno == EINTR));
	for (i = 0; i < count; i++)
		close(fds[i]);
	return 0;
}

static int
send_bytes(unsigned long long n)
{
	static char zero[65536];
	uint64_t t0 = now_ns();
	size_t k;
	char junk[4096];
	int fd = dial();

	while (n > 0) {
		k = n < sizeof(zero) ? (size_t)n : sizeof(zero);
		if (write_all(fd, zero, k) == -1)
			die("send through the tunnel:");
		n -= k;
	}
	if (shutdown(fd, SHUT_WR) == -1)
		die("shutdown:");
	while (wait_read(fd, junk, sizeof(junk)) > 0)
		;
	close(fd);
	printf("%llu\n", (unsigned long long)t0);
	return 0;
}

static unsigned long
number(const char *s, unsigned long lo, unsigned long hi)
{
	unsigned long long n = parse_size(s);

	if (n < lo || n > hi)
		die("%s: out of range (%lu to %lu)", s, lo, hi);
	return (unsigned long)n;
}

int
main(int argc, char **argv)
{
	bench_prog = "tunnels";
	signal(SIGPIPE, SIG_IGN);
	alarm(1200);
	if (argc < 4)
		die("usage: tunnels rate PORT COUNT PARALLEL | hold PORT COUNT "
		    "| send PORT BYTES");
	port = (int)number(argv[2], 1, 65535);
	if (strcmp(argv[1], "send") == 0)
		return send_bytes(parse_size(argv[3]));
	count = number(argv[3], 1, COUNT_MAX);
	if (strcmp(argv[1], "hold") == 0)
		return hold();
	if (strcmp(argv[1], "rate") == 0 && argc == 5)
		return rate(number(argv[4], 1, PAR_MAX));
	die("unknown mode: %s", argv[1]);
}
