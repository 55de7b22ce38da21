/*
 * thinrelay PROXYPORT PORT up|down [PIPESIZE]: the thinnest relay there can be, for
 * bench/analyze.py to measure what relaying itself costs on this machine:
 * CONNECT to 127.0.0.1:PORT through the proxy on 127.0.0.1:PROXYPORT,
 * then move one direction only with blocking splice() calls of up to
 * 1 MiB, no poll() at all, and the stdio pipe enlarged to PIPESIZE
 * (default 1 MiB; 0 leaves it as it is, 64 KiB on Linux).  Not a
 * usable client (one direction, no error handling worth the name).
 */
#include <fcntl.h>
#include <signal.h>

#include "common.h"

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	char req[128], c, tail[4] = { 0 };
	int s, n, up, pipesz = 1 << 20;
	ssize_t r;

	bench_prog = "thinrelay";
	if (argc != 4 && argc != 5)
		die("usage: thinrelay PROXYPORT PORT up|down [PIPESIZE]");
	if (argc == 5)
		pipesz = (int)parse_size(argv[4]);
	up = strcmp(argv[3], "up") == 0;
	alarm(600);
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)atoi(argv[1]));
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(s, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		die("connect:");
	n = snprintf(req, sizeof(req), "CONNECT 127.0.0.1:%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%s\r\n\r\n", argv[2], argv[2]);
	if (write_all(s, req, (size_t)n) == -1)
		die("write:");
	/* The reply header, a byte at a time: nothing after it is eaten. */
	while (memcmp(tail, "\r\n\r\n", 4) != 0) {
		if (read(s, &c, 1) != 1)
			die("no reply");
		memmove(tail, tail + 1, 3);
		tail[3] = c;
	}
	if (pipesz > 0)
		(void)fcntl(up ? 0 : 1, F_SETPIPE_SZ, pipesz);
	if (up) {
		while ((r = splice(0, NULL, s, NULL, 1 << 20, SPLICE_F_MOVE)) > 0)
			;
		while (read(s, req, sizeof(req)) > 0)
			;
	} else {
		while ((r = splice(s, NULL, 1, NULL, 1 << 20, SPLICE_F_MOVE)) > 0)
			;
	}
	return r == 0 ? 0 : 1;
}
