#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "log.h"
#include "util.h"

#define LOG_LINE_MAX	1024	/* one traced header line, escaped */

int log_verbosity;
static char last_error[LOG_LINE_MAX];

static void
vlog(const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int n;

	/* One write per message, so that lines do not interleave. */
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	fprintf(stderr, "postern: %s\n", line);
}

/* Kept for the listener, which also tells its client why. */
static void
vlog_error(const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	if (vsnprintf(last_error, sizeof(last_error), fmt, copy) < 0)
		last_error[0] = '\0';
	va_end(copy);
	if (log_verbosity > LOG_SILENT)
		vlog(fmt, ap);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_error(fmt, ap);
	va_end(ap);
}

void
log_verror(const char *fmt, va_list ap)
{
	vlog_error(fmt, ap);
}

const char *
log_last_error(void)
{
	return last_error;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < 0)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_trace(int level, const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < level)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void
log_headers(int level, const char *prefix, const char *s, size_t len)
{
	char esc[LOG_LINE_MAX];
	const char *end = s + len, *nl;
	size_t l;

	if (log_verbosity < level)
		return;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		l = nl ? (size_t)(nl - s) : (size_t)(end - s);
		if (l > 0 && s[l - 1] == '\r')
			l--;
		/* One rule, in http.c, says what of a credential is shown. */
		if (!http_redact_field(s, l, esc, sizeof(esc)))
			escape_text(esc, sizeof(esc), s, l);
		fprintf(stderr, "%s%s\n", prefix, esc);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}
