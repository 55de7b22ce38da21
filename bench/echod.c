/*
 * echod: accept connections on 127.0.0.1 (the port is printed first) until
 * killed, a thread per connection with TCP_NODELAY, echoing every byte
 * back as it arrives; the target of the listener section, where one run
 * opens hundreds of tunnels at once.
 */
#include <pthread.h>
#include <signal.h>

#include "common.h"

#define ECHOD_BACKLOG	1024
#define ECHOD_STACK	(64 * 1024)

static void *
serve(void *arg)
{
	char buf[16384];		/* well inside ECHOD_STACK */
	int fd = (int)(intptr_t)arg;
	ssize_t r;

	set_nodelay(fd);
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || write_all(fd, buf, (size_t)r) == -1)
			break;
	}
	close(fd);
	return NULL;
}

int
main(void)
{
	pthread_attr_t attr;
	pthread_t t;
	int lfd, fd;

	bench_prog = "echod";
	signal(SIGPIPE, SIG_IGN);
	alarm(3600);
	lfd = listen_local(0);
	if (listen(lfd, ECHOD_BACKLOG) == -1)
		die("listen:");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, ECHOD_STACK);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept:");
		}
		if (pthread_create(&t, &attr, serve, (void *)(intptr_t)fd) != 0) {
			errno = 0;
			die("pthread_create failed");
		}
	}
}
