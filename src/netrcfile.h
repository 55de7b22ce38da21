#ifndef POSTERN_NETRCFILE_H
#define POSTERN_NETRCFILE_H

#include <stddef.h>

#include "buf.h"

/*
 * Reading a netrc file safely: the I/O edge in front of netrc.c.  The
 * file is opened without following a symlink and without blocking on a
 * FIFO, and then checked on the open descriptor (no race between check
 * and use): a regular file, owned by the effective user, not readable or
 * writable by group or others, at most NETRC_FILE_MAX bytes.
 */

enum netrcfile_rc {
	NETRC_READ_OK = 0,	/* out holds the contents */
	NETRC_MISSING,		/* no such file: not worth a message */
	NETRC_INSECURE,		/* group/other access or another owner */
	NETRC_SKIPPED,		/* symlink, directory, FIFO, device */
	NETRC_READ_TOO_LARGE,	/* over NETRC_FILE_MAX */
	NETRC_READ_ERROR,	/* open or read failed otherwise */
};

/*
 * out is initialised here (the caller passes an unused struct buf) and
 * holds the contents only on NETRC_READ_OK; the caller buf_wipe()s it.
 * Otherwise msg gets one line for the user naming path and the reason,
 * never any of the file's contents (NETRC_MISSING leaves it empty).
 * An insecure file is not read at all: neither its passwords nor its
 * logins are used.
 */
enum netrcfile_rc netrcfile_read(const char *path, struct buf *out,
	    char *msg, size_t msglen);

#endif
