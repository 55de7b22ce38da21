#include <stdlib.h>
#include <string.h>

#include "netrc.h"
#include "util.h"

struct lexer {
	const char	*s;
	size_t		 len;
	size_t		 i;
	char		 tok[NETRC_TOKEN_MAX + 1];
	size_t		 toklen;
};

struct entry {
	int	 used;			/* a machine or default was opened */
	size_t	 line;			/* where its keyword is, from 1 */
	int	 is_default;
	int	 host_match;
	int	 have_login;
	int	 have_pass;
	char	 login[NETRC_TOKEN_MAX + 1];
	char	 pass[NETRC_TOKEN_MAX + 1];
};

/* The three entries netrc_find() keeps while it reads. */
struct entries {
	struct entry	 cur;		/* the one being read */
	struct entry	 found;		/* the first machine entry that fits */
	struct entry	 dflt;		/* the first default that fits */
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

/* Next token into lx->tok: 1, 0 at the end, or -(enum netrc_rc). */
static int
next_token(struct lexer *lx)
{
	size_t i;
	char c;

	for (;;) {
		while (lx->i < lx->len && is_space(lx->s[lx->i]))
			lx->i++;
		if (lx->i >= lx->len)
			return 0;
		if (lx->s[lx->i] != '#')
			break;
		while (lx->i < lx->len && lx->s[lx->i] != '\n')
			lx->i++;
	}
	lx->toklen = 0;
	if (lx->s[lx->i] == '"') {
		/* A quoted token ends on its line (curl reads by line). */
		for (lx->i++;; lx->i++) {
			if (lx->i >= lx->len || lx->s[lx->i] == '\n')
				return -NETRC_SYNTAX;
			c = lx->s[lx->i];
			if (c == '"') {
				lx->i++;
				break;
			}
			if (c == '\\') {
				if (++lx->i >= lx->len)
					return -NETRC_SYNTAX;
				c = lx->s[lx->i];
				if (c == 'n')
					c = '\n';
				else if (c == 'r')
					c = '\r';
				else if (c == 't')
					c = '\t';
			}
			if (lx->toklen == NETRC_TOKEN_MAX)
				return -NETRC_TOO_LARGE;
			lx->tok[lx->toklen++] = c;
		}
	} else {
		while (lx->i < lx->len && !is_space(lx->s[lx->i])) {
			if (lx->toklen == NETRC_TOKEN_MAX)
				return -NETRC_TOO_LARGE;
			lx->tok[lx->toklen++] = lx->s[lx->i++];
		}
	}
	lx->tok[lx->toklen] = '\0';
	/*
	 * A NUL, CR, LF or other control character has no business in a
	 * host, login or password: it would cut or split the header built
	 * from it (curl tests 480, 792).
	 */
	for (i = 0; i < lx->toklen; i++)
		if ((unsigned char)lx->tok[i] < 0x20 ||
		    (unsigned char)lx->tok[i] == 0x7f)
			return -NETRC_BAD_CHAR;
	return 1;
}

/* The value after a keyword: the end of the file there is an error. */
static int
value_token(struct lexer *lx)
{
	int t = next_token(lx);

	return t == 0 ? -NETRC_SYNTAX : t;
}

/* macdef: the rest of its line, then lines up to an empty one. */
static void
skip_macdef(struct lexer *lx)
{
	while (lx->i < lx->len && lx->s[lx->i] != '\n')
		lx->i++;
	if (lx->i < lx->len)
		lx->i++;
	while (lx->i < lx->len) {
		if (lx->s[lx->i] == '\n') {
			lx->i++;
			return;
		}
		if (lx->s[lx->i] == '\r' && lx->i + 1 < lx->len &&
		    lx->s[lx->i + 1] == '\n') {
			lx->i += 2;
			return;
		}
		while (lx->i < lx->len && lx->s[lx->i] != '\n')
			lx->i++;
		if (lx->i < lx->len)
			lx->i++;
	}
}

/* Host names compare case-insensitively; "proxy." is "proxy". */
static int
host_eq(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen == blen && strncasecmp_ascii(a, b, alen) == 0;
}

static int
entry_fits(const struct entry *e, const char *user)
{
	return user == NULL || !e->have_login || strcmp(e->login, user) == 0;
}

/* Close the entry being read: is it the one we want? */
static void
finish(struct entries *e, const char *user)
{
	if (e->cur.used && entry_fits(&e->cur, user)) {
		if (e->cur.is_default && !e->dflt.used)
			e->dflt = e->cur;
		else if (!e->cur.is_default && e->cur.host_match &&
		    !e->found.used)
			e->found = e->cur;
	}
	wipe(&e->cur, sizeof(e->cur));
}

static int
keyword(const struct lexer *lx, const char *kw)
{
	return strcasecmp_ascii(lx->tok, kw) == 0;
}

/* Every line within NETRC_LINE_MAX, the file within NETRC_FILE_MAX. */
static enum netrc_rc
check_sizes(const char *buf, size_t len)
{
	size_t i, start = 0;

	if (len > NETRC_FILE_MAX)
		return NETRC_TOO_LARGE;
	for (i = 0; i <= len; i++)
		if (i == len || buf[i] == '\n') {
			if (i - start > NETRC_LINE_MAX)
				return NETRC_TOO_LARGE;
			start = i + 1;
		}
	return NETRC_OK;
}

/* login, password or account: the value goes to the entry being read. */
static int
entry_value(struct lexer *lx, struct entry *cur)
{
	char *dst = NULL;
	int *have = NULL, t;

	if (keyword(lx, "login")) {
		dst = cur->login;
		have = &cur->have_login;
	} else if (keyword(lx, "password")) {
		dst = cur->pass;
		have = &cur->have_pass;
	}
	if ((t = value_token(lx)) != 1)
		return t;
	/* Outside an entry there is nothing to attach to. */
	if (dst != NULL && cur->used) {
		memcpy(dst, lx->tok, lx->toklen + 1);
		*have = 1;
	}
	return 1;
}

/* The line of offset i (just past a token: on its line), from 1. */
static size_t
line_at(const char *s, size_t i)
{
	size_t n = 1, k;

	for (k = 0; k < i; k++)
		if (s[k] == '\n')
			n++;
	return n;
}

/* Read the whole buffer: 0 at its end, or -(enum netrc_rc). */
static int
scan(struct lexer *lx, struct entries *e, const char *host, const char *user)
{
	int t;

	while ((t = next_token(lx)) == 1) {
		if (keyword(lx, "machine") || keyword(lx, "default")) {
			finish(e, user);
			e->cur.used = 1;
			e->cur.line = line_at(lx->s, lx->i);
			if (keyword(lx, "default")) {
				e->cur.is_default = 1;
				continue;
			}
			if ((t = value_token(lx)) != 1)
				return t;
			e->cur.host_match = host_eq(lx->tok, lx->toklen, host);
		} else if (keyword(lx, "login") || keyword(lx, "password") ||
		    keyword(lx, "account")) {
			if ((t = entry_value(lx, &e->cur)) != 1)
				return t;
		} else if (keyword(lx, "macdef")) {
			/* A macro ends the entry before it (ftp(1)). */
			finish(e, user);
			skip_macdef(lx);
		}
		/* Anything else (port, unknown words) is skipped, as curl does. */
	}
	if (t == 0)
		finish(e, user);
	return t;
}

/* The chosen entry's login (else the user asked for) and password. */
static enum netrc_rc
copy_out(const struct entry *use, const char *user, struct cred *out)
{
	if (use->have_login)
		out->user = dup_bytes(use->login, strlen(use->login));
	else if (user != NULL)
		out->user = dup_bytes(user, strlen(user));
	if ((use->have_login || user != NULL) && out->user == NULL)
		return NETRC_NOMEM;
	if (use->have_pass &&
	    (out->pass = dup_bytes(use->pass, strlen(use->pass))) == NULL)
		return NETRC_NOMEM;
	return NETRC_OK;
}

enum netrc_rc
netrc_find(const char *buf, size_t len, const char *host, const char *user,
    struct cred *out)
{
	size_t line;

	return netrc_find_line(buf, len, host, user, out, &line);
}

enum netrc_rc
netrc_find_line(const char *buf, size_t len, const char *host,
    const char *user, struct cred *out, size_t *line)
{
	struct lexer *lx = NULL;
	struct entries *e = NULL;
	enum netrc_rc rc;
	int t;

	out->user = NULL;
	out->pass = NULL;
	if ((rc = check_sizes(buf, len)) != NETRC_OK)
		return rc;
	/* Three entries and a token of 4 KiB each: too big for the stack. */
	lx = calloc(1, sizeof(*lx));
	e = calloc(1, sizeof(*e));
	rc = NETRC_NOMEM;
	if (lx == NULL || e == NULL)
		goto out;
	lx->s = buf;
	lx->len = len;
	if ((t = scan(lx, e, host, user)) < 0)
		rc = (enum netrc_rc)-t;
	else if (e->found.used) {
		rc = copy_out(&e->found, user, out);
		*line = e->found.line;
	} else if (e->dflt.used) {
		rc = copy_out(&e->dflt, user, out);
		*line = e->dflt.line;
	} else
		rc = NETRC_NOT_FOUND;
out:
	if (rc != NETRC_OK)
		cred_wipe(out);
	if (lx != NULL) {
		wipe(lx, sizeof(*lx));
		free(lx);
	}
	if (e != NULL) {
		wipe(e, sizeof(*e));
		free(e);
	}
	return rc;
}

const char *
netrc_strerror(enum netrc_rc rc)
{
	switch (rc) {
	case NETRC_OK:
		return "ok";
	case NETRC_NOT_FOUND:
		return "no entry for the host";
	case NETRC_SYNTAX:
		return "syntax error (unterminated quote or missing value)";
	case NETRC_TOO_LARGE:
		return "netrc too large (token, line or file over the limit)";
	case NETRC_BAD_CHAR:
		return "control character in a token";
	case NETRC_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}
