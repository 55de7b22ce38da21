#ifndef POSTERN_UTIL_H
#define POSTERN_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Strict decimal in [min, max]: no sign, no space, no base prefix. */
int	parse_uint(const char *, unsigned long min, unsigned long max,
	    unsigned long *);
/* "2", "2.5", "0.25" seconds → milliseconds in [1, max_ms]. */
int	parse_seconds(const char *, int64_t max_ms, int64_t *ms);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t	now_ms(void);

/*
 * Copy len bytes of untrusted text into dst as printable ASCII: \r, \n,
 * \t and \\ as escapes, other bytes outside 0x20-0x7e as \xNN, and
 * "..." when it does not fit.  dst is always NUL-terminated.
 */
void	escape_text(char *dst, size_t dstlen, const void *src, size_t len);

/* Zero a secret so that no later read of the memory finds it. */
void	wipe(void *, size_t);

/* The value of a hex digit, or -1. */
int	hexval(int);

/* True if s[0..len) holds CR, LF or NUL. */
int	has_crlfnul(const char *, size_t);

int	strcasecmp_ascii(const char *, const char *);
int	strncasecmp_ascii(const char *, const char *, size_t);

#endif
