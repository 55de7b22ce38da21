#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "netrc.h"
#include "netrcfile.h"
#include "util.h"

#define PATH_SHOW_MAX	256	/* bytes of the path shown in a message */

__attribute__((format(printf, 4, 5)))
static void
say(char *msg, size_t msglen, const char *path, const char *fmt, ...)
{
	char shown[PATH_SHOW_MAX];
	char tail[256];
	va_list ap;
	int n;

	if (msglen == 0)
		return;
	/* The path may come from $NETRC: show it escaped. */
	escape_text(shown, sizeof(shown), path, strlen(path));
	va_start(ap, fmt);
	n = vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	if (n < 0)
		tail[0] = '\0';
	n = snprintf(msg, msglen, "%s %s", shown, tail);
	if (n < 0)
		msg[0] = '\0';
}

/*
 * The checks on the open descriptor: a regular file of ours that nobody
 * else may read or write, within NETRC_FILE_MAX.
 */
static enum netrcfile_rc
check_file(int fd, const char *path, char *msg, size_t msglen)
{
	struct stat st;
	char shown[PATH_SHOW_MAX];

	if (fstat(fd, &st) == -1) {
		say(msg, msglen, path, "cannot be examined: %s",
		    strerror(errno));
		return NETRC_READ_ERROR;
	}
	if (!S_ISREG(st.st_mode)) {
		say(msg, msglen, path, "is %s, not a regular file: ignored",
		    S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISFIFO(st.st_mode) ? "a FIFO" : "a special file");
		return NETRC_SKIPPED;
	}
	/* As ftp(1) and Python's netrc do: another's file is not ours. */
	if (st.st_uid != geteuid()) {
		say(msg, msglen, path, "is not owned by you: its passwords are "
		    "not used");
		return NETRC_INSECURE;
	}
	if ((st.st_mode & 077) != 0) {
		escape_text(shown, sizeof(shown), path, strlen(path));
		say(msg, msglen, path, "is %s by group or others: its "
		    "passwords are not used (chmod 600 %s)",
		    (st.st_mode & 044) != 0 ? "readable" : (st.st_mode & 022) !=
		    0 ? "writable" : "usable", shown);
		return NETRC_INSECURE;
	}
	if (st.st_size > NETRC_FILE_MAX) {
		say(msg, msglen, path, "is too large (over %d bytes): ignored",
		    NETRC_FILE_MAX);
		return NETRC_READ_TOO_LARGE;
	}
	return NETRC_READ_OK;
}

/* The size can change under us: the buffer's ceiling still holds. */
static enum netrcfile_rc
read_all(int fd, const char *path, struct buf *out, char *msg,
    size_t msglen)
{
	enum netrcfile_rc rc = NETRC_READ_OK;
	char chunk[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			say(msg, msglen, path, "cannot be read: %s",
			    strerror(errno));
			rc = NETRC_READ_ERROR;
			break;
		}
		if (n == 0)
			break;
		if (buf_add(out, chunk, (size_t)n) == -1) {
			say(msg, msglen, path, "is too large (over %d bytes): "
			    "ignored", NETRC_FILE_MAX);
			rc = NETRC_READ_TOO_LARGE;
			break;
		}
	}
	wipe(chunk, sizeof(chunk));
	return rc;
}

enum netrcfile_rc
netrcfile_read(const char *path, struct buf *out, char *msg, size_t msglen)
{
	enum netrcfile_rc rc;
	int fd, save_errno;

	buf_init(out, NETRC_FILE_MAX);
	if (msglen > 0)
		msg[0] = '\0';
	/*
	 * O_NOFOLLOW: a symlink is not followed (ELOOP); O_NONBLOCK: a FIFO
	 * opens at once instead of waiting for a writer, and fstat below
	 * turns it away before any read.
	 */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return NETRC_MISSING;
		if (errno == ELOOP) {
			say(msg, msglen, path, "is a symbolic link: ignored");
			return NETRC_SKIPPED;
		}
		say(msg, msglen, path, "cannot be opened: %s", strerror(errno));
		return NETRC_READ_ERROR;
	}
	if ((rc = check_file(fd, path, msg, msglen)) == NETRC_READ_OK)
		rc = read_all(fd, path, out, msg, msglen);
	if (rc != NETRC_READ_OK)
		buf_wipe(out);
	save_errno = errno;
	close(fd);
	errno = save_errno;
	return rc;
}
