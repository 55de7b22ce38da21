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

/*
 * Untrusted text quoted in a message (a bad argument, a bad reply line):
 * at most SHOW_MAX bytes of it, escaped as by escape_text, and "..." when
 * it was longer.  dst needs SHOW_BUF bytes; returns dst.
 */
#define SHOW_MAX	100
#define SHOW_BUF	(SHOW_MAX * 4 + 4)
const char	*show_text(char *dst, size_t dstlen, const void *src, size_t len);

/* Zero a secret so that no later read of the memory finds it. */
void	wipe(void *, size_t);

/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char	*dup_bytes(const char *s, size_t n);

/* Wipe the string *s, free it and set *s to NULL; NULL is no string. */
void	free_secret(char **s);

/* The value of a hex digit, or -1. */
int	hexval(int);

/* True if s[0..len) holds CR, LF or NUL. */
int	has_crlfnul(const char *, size_t);

/* RFC 9110 §5.6.2 tchar: a byte of a token (a field name, a scheme). */
int	is_tchar(unsigned char);

/*
 * Does the comma list v[0..len) hold the element tok (case-insensitive,
 * RFC 9110 §5.6.1)?  Each element is cut at its first ';' (parameters),
 * and OWS around it is ignored.  With last non-NULL, the answer is
 * whether tok is the final element (Transfer-Encoding, RFC 9112 §6.3).
 */
int	list_has_token(const char *v, size_t len, const char *tok, int *last);

int	strcasecmp_ascii(const char *, const char *);
int	strncasecmp_ascii(const char *, const char *, size_t);

#endif
