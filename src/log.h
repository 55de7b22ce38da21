#ifndef POSTERN_LOG_H
#define POSTERN_LOG_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Messages on stderr.  verbosity: -1 with -q, 0 by default, 1.. per -v.
 * Errors always print; warnings unless -q; trace at -v and above.
 */
extern int log_verbosity;

/* A verbosity below -q: errors are not printed either (a listener's
 * tunnels under -q), but still kept for log_last_error(). */
#define LOG_SILENT	(-2)

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_error for a caller that adds to the message (usage, tunnel). */
void	log_verror(const char *, va_list)
	    __attribute__((format(printf, 1, 0)));
/* The last error logged, "" if none: what a listener tells its client. */
const char *log_last_error(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(int level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Trace a header block line by line behind a prefix ("> " or "< "), with
 * the credentials of any Authorization or Proxy-Authorization field
 * redacted (http_redact_field) and unprintable bytes escaped.
 */
void	log_headers(int level, const char *prefix, const char *, size_t);

#endif
