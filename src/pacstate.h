#ifndef POSTERN_PACSTATE_H
#define POSTERN_PACSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "pacfetch.h"

#define PAC_CACHE_MAX_AGE	(7 * 24 * 3600)	/* s a cached PAC stands in */
#define PAC_DOWN_SECS		300		/* s an unreachable proxy is
						 * tried last */
#define PAC_DOWN_MAX		64		/* proxies remembered */
#define PAC_DOWN_NAME_MAX	300		/* "PROXY host:port" */
#define PAC_CODE_KEY_MAX	256		/* the engine's name */
#define PAC_CODE_MAX		(8 * 1024 * 1024) /* a PAC's bytecode */

/*
 * What postern keeps between runs for a PAC, in files written atomically
 * (a temporary file renamed) and read only when they are regular files of
 * this user: the last copy of a PAC fetched over http(s), under
 * $XDG_CACHE_HOME/postern/ (else ~/.cache/postern/), and the proxies that
 * could not be reached, under $XDG_RUNTIME_DIR/postern/ (else the cache
 * directory).  Nothing here is fatal: a file that cannot be read or
 * written is as if absent.
 */

/* The cached copy of url: 0 with its body, validators and the time (s)
 * it was last confirmed by the server, or -1. */
int	pac_cache_load(const char *url, struct buf *body,
	    struct pac_validators *, int64_t *confirmed);
/* Keep body as url's copy, confirmed now. */
void	pac_cache_store(const char *url, const struct buf *body,
	    const struct pac_validators *);
/* The server said the copy is current (304): confirmed now. */
void	pac_cache_touch(const char *url);

struct pac_down {
	char	name[PAC_DOWN_NAME_MAX];
	int64_t	when;			/* s since the epoch */
};

/*
 * The bytecode of a PAC compiled by the engine that key names (its
 * version and build), kept in the cache directory beside the PAC:
 * compiling a corporate PAC takes longer than running it.  0 with the
 * code when a file of this user holds, intact, the code compiled from
 * exactly src under key; else -1.
 */
int	pac_code_load(const char *key, const char *src, size_t len,
	    struct buf *code);
void	pac_code_store(const char *key, const char *src, size_t len,
	    const void *code, size_t clen);

/* The proxies remembered as unreachable within PAC_DOWN_SECS of now. */
size_t	pac_down_load(struct pac_down *, size_t max, int64_t now);
/* Remember name as unreachable at now (down), or forget it (!down). */
void	pac_down_note(const char *name, int down, int64_t now);

#endif
