#ifndef POSTERN_PACRESULT_H
#define POSTERN_PACRESULT_H

#include <stddef.h>

#include "target.h"

#define PAC_ENTRIES_MAX	16	/* entries kept from one answer */

enum pac_kind {
	PAC_DIRECT = 0,
	PAC_HTTP,		/* PROXY h:p, HTTP h:p */
	PAC_HTTPS,		/* HTTPS h:p: TLS to the proxy */
	PAC_SOCKS,		/* SOCKS, SOCKS4, SOCKS5: recognised, skipped */
};

struct pac_entry {
	enum pac_kind	 kind;
	struct target	 addr;		/* unset for DIRECT */
};

enum pacres_rc {
	PACRES_OK = 0,
	PACRES_EMPTY,		/* no entry at all */
	PACRES_BAD_KEYWORD,
	PACRES_NO_HOST,		/* PROXY without host:port */
	PACRES_BAD_HOST,
	PACRES_EXTRA,		/* more than one word after the keyword */
	PACRES_DIRECT_ARG,	/* DIRECT followed by a word */
	PACRES_ONLY_SOCKS,
	PACRES_TOO_MANY,
};

/*
 * A FindProxyForURL answer: ";"-separated entries, keywords in any case,
 * spaces and tabs around words, empty entries ignored.  A proxy without a
 * port gets 80 (PROXY, HTTP) or 443 (HTTPS), as browsers do.  On success
 * out[0..*n) are the entries in order, SOCKS ones included; on error
 * *bad is the index (from 0) of the entry that failed.
 */
enum pacres_rc	pacres_parse(const char *, size_t, struct pac_entry *out,
		    size_t max, size_t *n, size_t *bad);
const char	*pacres_strerror(enum pacres_rc);
const char	*pac_kind_name(enum pac_kind);

#endif
