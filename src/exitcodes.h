#ifndef POSTERN_EXITCODES_H
#define POSTERN_EXITCODES_H

/* The exit status classes of the contract (DESIGN.md, postern(1)). */
enum {
	EXIT_OK		= 0,
	EXIT_IO		= 1,	/* I/O error after the tunnel was up */
	EXIT_USAGE	= 2,	/* bad option, target or proxy URL */
	EXIT_CONNECT	= 3,	/* resolve/connect to the proxy, or timeout */
	EXIT_TLS	= 4,
	EXIT_AUTH	= 5,
	EXIT_REFUSED	= 6,	/* 403, 405, other 4xx/5xx */
	EXIT_UNREACHABLE = 7,	/* 502, 503, 504 */
	EXIT_PROTOCOL	= 8,	/* not valid HTTP, or a limit exceeded */
	EXIT_IDLE	= 9,	/* no traffic for --idle-timeout */
	EXIT_PAC	= 10,	/* PAC not fetched or evaluated, or unusable */
};

#endif
