#ifndef POSTERN_NETRC_H
#define POSTERN_NETRC_H

#include <stddef.h>

#include "cred.h"

/*
 * netrc lookup, from bytes the caller read (netrcfile.c).  The grammar is
 * curl's: whitespace-separated tokens machine, default, login, password,
 * account and macdef (its body runs to the next empty line); '#' starts
 * a comment; a token may be a "quoted string" with \" \\ \n \r \t
 * escapes.  Keywords and host names compare case-insensitively, and a
 * trailing dot on a host name is ignored.
 */

#define NETRC_FILE_MAX	(128 * 1024)
#define NETRC_LINE_MAX	(16 * 1024)
#define NETRC_TOKEN_MAX	(4 * 1024)

enum netrc_rc {
	NETRC_OK = 0,		/* out filled (pass may be NULL) */
	NETRC_NOT_FOUND,	/* no machine entry and no default */
	NETRC_SYNTAX,		/* unterminated quote, keyword without value */
	NETRC_TOO_LARGE,	/* over a token, line or file limit */
	NETRC_BAD_CHAR,		/* NUL or a control character in a token */
	NETRC_NOMEM,
};

/*
 * Find the credentials for host.  The first "machine" entry naming host
 * wins; with user non-NULL an entry whose login differs is passed over.
 * "default" is used only when no machine entry matches.  The whole buffer
 * is checked, so an error anywhere is reported even after a match.  On
 * NETRC_OK out->user and out->pass are malloc'd (either may be NULL: a
 * missing password is never taken from another entry, CVE-2024-11053);
 * the caller wipes and frees them.  On any other result both are NULL.
 */
enum netrc_rc netrc_find(const char *buf, size_t len, const char *host,
	    const char *user, struct cred *out);

/* netrc_find(), and on NETRC_OK *line is where the entry starts (1: first). */
enum netrc_rc netrc_find_line(const char *buf, size_t len, const char *host,
	    const char *user, struct cred *out, size_t *line);

const char	*netrc_strerror(enum netrc_rc);

#endif
