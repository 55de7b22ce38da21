#ifndef POSTERN_CHALLENGE_H
#define POSTERN_CHALLENGE_H

#include <stddef.h>

/*
 * Proxy-Authenticate parsing (RFC 9110 §11.2, §11.3, §11.6.1).  Pure: the
 * field values of one 407 go in, a bounded list of challenges comes out.
 * Every string in the result is NUL-terminated, unquoted (quoted-pairs
 * resolved, RFC 9110 §5.6.4) and lives in the set's own storage until
 * challenge_free().
 */

#define CHALLENGE_MAX		32	/* challenges kept per 407 */
#define CHALLENGE_PARAMS_MAX	16	/* auth-params per challenge */
#define CHALLENGE_SCHEME_MAX	64	/* bytes of an auth-scheme name */
#define CHALLENGE_NAME_MAX	64	/* bytes of an auth-param name */
#define CHALLENGE_VALUE_MAX	4096	/* bytes of an auth-param value */
#define CHALLENGE_TOKEN68_MAX	16384	/* bytes of a token68 (NTLM Type 2) */
#define CHALLENGE_INPUT_MAX	(256 * 1024)	/* all fields together */

/* Why a challenge cannot be used; it stays in the list for messages. */
enum challenge_err {
	CH_OK = 0,
	CH_SYNTAX,		/* not a challenge as RFC 9110 §11.3 has it */
	CH_DUPLICATE,		/* a param name occurs twice (§11.2) */
	CH_TOO_LONG,		/* a name or value over our bounds */
	CH_TOO_MANY,		/* more params than CHALLENGE_PARAMS_MAX */
};

struct challenge_param {
	const char	*name;		/* as sent; compare case-insensitively */
	const char	*value;		/* token or unquoted quoted-string */
};

struct challenge {
	const char		*scheme;	/* as sent */
	const char		*token68;	/* NULL unless one was sent */
	struct challenge_param	 param[CHALLENGE_PARAMS_MAX];
	size_t			 nparam;
	enum challenge_err	 err;
	size_t			 field;		/* index of its field */
};

struct challenge_set {
	struct challenge	 ch[CHALLENGE_MAX];
	size_t			 n;
	int			 dropped;	/* challenges past CHALLENGE_MAX */
	char			*store;
	size_t			 used;
	size_t			 cap;
};

enum challenge_rc {
	CHALLENGE_OK = 0,
	CHALLENGE_TOO_LONG,	/* fields longer than CHALLENGE_INPUT_MAX */
	CHALLENGE_NOMEM,
};

/*
 * Parse every field in order.  Syntax errors do not fail the call: the
 * challenge where one occurs is marked (err != CH_OK) and the rest of that
 * field is given up, since there is no safe point to resynchronise at;
 * challenges before it, and other fields, are kept.  The set must be
 * released with challenge_free() whatever the result.
 */
enum challenge_rc challenge_parse(struct challenge_set *,
	    const char *const *fields, size_t nfields);
void	challenge_free(struct challenge_set *);

/* The value of a param, matched case-insensitively; NULL if absent. */
const char	*challenge_param(const struct challenge *, const char *name);

const char	*challenge_strerror(enum challenge_err);

#endif
