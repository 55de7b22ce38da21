#ifndef POSTERN_TARGET_H
#define POSTERN_TARGET_H

#include <stddef.h>

#define HOST_MAX	253	/* RFC 1035 name length, without the root dot */
#define LABEL_MAX	63
#define AUTHORITY_MAX	(HOST_MAX + 16)	/* "[" host "]:" port, NUL */

struct target {
	char		host[HOST_MAX + 2];	/* no brackets around IPv6 */
	unsigned	port;
	int		ipv6;			/* host is an IPv6 literal */
};

enum target_rc {
	TARGET_OK = 0,
	TARGET_EMPTY_HOST,
	TARGET_BAD_HOST,	/* a character a host name cannot hold */
	TARGET_NON_ASCII,
	TARGET_HOST_TOO_LONG,
	TARGET_LABEL_TOO_LONG,
	TARGET_BAD_IPV6,
	TARGET_ZONE_ID,
	TARGET_NO_PORT,
	TARGET_BAD_PORT,
};

/* A bare host (an IPv6 literal with or without brackets). */
enum target_rc	target_parse_host(const char *, size_t, struct target *);
/* HOST PORT, or HOST:PORT / [v6]:PORT when port is NULL. */
enum target_rc	target_parse(const char *host, const char *port,
		    struct target *);
/* "host:port" or "[v6]:port" into buf; -1 if it does not fit. */
int		target_authority(const struct target *, char *, size_t);
const char	*target_strerror(enum target_rc);

#endif
