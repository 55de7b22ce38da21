#ifndef POSTERN_PACMATCH_H
#define POSTERN_PACMATCH_H

#include <stddef.h>

/*
 * shExpMatch(s, pattern) of a PAC: 1 when the whole of s matches the
 * pattern, where "*" is any run of characters and "?" one character,
 * neither of them a line terminator, and every other character stands
 * for itself, case-sensitive.  That is what the browsers' translation to
 * RegExp ("^" + pattern with "*" as ".*" and "?" as "." + "$") matches.
 * s and pattern are Duktape's strings as duk_get_lstring() gives them:
 * UTF-8 with surrogates encoded one by one (CESU-8), NULs allowed.
 */
int	pac_shexp_match(const char *s, size_t slen, const char *pat,
	    size_t plen);

#endif
