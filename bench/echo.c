/*
 * echo [BANNER]: accept one connection on 127.0.0.1 (the port is printed
 * first), with TCP_NODELAY; send BANNER (if given) at once, as a server
 * that speaks first does (sshd), then echo every byte back as soon as it
 * arrives.  A 'Q' in the input ends it: the bytes before it are echoed,
 * then the connection is closed.  Prints the count of bytes echoed.
 */
#include <signal.h>

#include "common.h"

int
main(int argc, char **argv)
{
	char buf[65536], *q;
	unsigned long long echoed = 0;
	int lfd, fd, quit = 0;
	ssize_t r;

	bench_prog = "echo";
	signal(SIGPIPE, SIG_IGN);
	alarm(1200);
	lfd = listen_local(0);
	fd = accept_one(lfd, 120);
	close(lfd);
	set_nodelay(fd);
	if (argc > 1 && write_all(fd, argv[1], strlen(argv[1])) == -1)
		die("sending the banner:");
	while (!quit) {
		r = read(fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if ((q = memchr(buf, 'Q', (size_t)r)) != NULL) {
			r = q - buf;
			quit = 1;
		}
		if (r > 0 && write_all(fd, buf, (size_t)r) == -1)
			break;
		echoed += (unsigned long long)r;
	}
	close(fd);
	printf("%llu\n", echoed);
	return 0;
}
