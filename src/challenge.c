#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "util.h"

/*
 * The grammar, from RFC 9110 §11.2-11.3 and §5.6:
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *   token68    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * and a field is a comma list of challenges whose own params are comma
 * lists too, so after a comma the next element is a param if it reads
 * "token BWS =", and a new challenge otherwise.  Empty list elements are
 * allowed (§5.6.1).  Every scan below is bounded by the field's length and
 * never reads past it.
 */

struct span {
	size_t	 start;
	size_t	 end;
};

struct field {
	const char	*s;
	size_t		 len;
};

static int
is_t68char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("-._~+/", c) != NULL;
}

static size_t
skip_ows(const struct field *f, size_t i)
{
	while (i < f->len && (f->s[i] == ' ' || f->s[i] == '\t'))
		i++;
	return i;
}

static size_t
scan_token(const struct field *f, size_t i)
{
	while (i < f->len && is_tchar((unsigned char)f->s[i]))
		i++;
	return i;
}

/*
 * A quoted-string starting at f->s[i] == '"'.  On success *end is just
 * past the closing quote and *vlen the length once quoted-pairs are
 * resolved.  A CTL other than HTAB, or the end of the field, before the
 * closing quote is an error (qdtext and quoted-pair, RFC 9110 §5.6.4).
 */
static int
scan_quoted(const struct field *f, size_t i, size_t *end, size_t *vlen)
{
	size_t n = 0;
	unsigned char c;

	for (i++; i < f->len; i++) {
		c = (unsigned char)f->s[i];
		if (c == '"') {
			*end = i + 1;
			*vlen = n;
			return 0;
		}
		if (c == '\\') {
			if (++i >= f->len)
				return -1;
			c = (unsigned char)f->s[i];
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
		n++;
	}
	return -1;
}

/* Copy a value into the set's storage, resolving quoted-pairs. */
static const char *
store(struct challenge_set *cs, const struct field *f, struct span sp,
    int quoted)
{
	char *dst;
	size_t i;

	if (sp.end - sp.start + 1 > cs->cap - cs->used)
		return NULL;
	dst = cs->store + cs->used;
	if (quoted) {
		size_t o = 0;

		for (i = sp.start + 1; i + 1 < sp.end; i++) {
			if (f->s[i] == '\\')
				i++;
			dst[o++] = f->s[i];
		}
		dst[o] = '\0';
		cs->used += o + 1;
	} else {
		memcpy(dst, f->s + sp.start, sp.end - sp.start);
		dst[sp.end - sp.start] = '\0';
		cs->used += sp.end - sp.start + 1;
	}
	return dst;
}

struct rawparam {
	struct span	 name;
	struct span	 value;		/* quotes included when quoted */
	size_t		 vlen;		/* unquoted length */
	int		 quoted;
	size_t		 end;
};

/* "token BWS =": is what starts at i meant as an auth-param? */
static int
looks_like_param(const struct field *f, size_t i)
{
	size_t j = scan_token(f, i);

	if (j == i)
		return 0;
	j = skip_ows(f, j);
	return j < f->len && f->s[j] == '=';
}

/* auth-param at i; -1 when it is not one (or its value is malformed). */
static int
scan_param(const struct field *f, size_t i, struct rawparam *p)
{
	size_t j;

	p->name.start = i;
	p->name.end = j = scan_token(f, i);
	if (j == i)
		return -1;
	j = skip_ows(f, j);
	if (j >= f->len || f->s[j] != '=')
		return -1;
	j = skip_ows(f, j + 1);
	p->value.start = j;
	if (j < f->len && f->s[j] == '"') {
		if (scan_quoted(f, j, &p->value.end, &p->vlen) == -1)
			return -1;
		p->quoted = 1;
	} else {
		p->value.end = scan_token(f, j);
		if (p->value.end == j)
			return -1;
		p->vlen = p->value.end - j;
		p->quoted = 0;
	}
	p->end = p->value.end;
	return 0;
}

/* token68 at i, which must be followed by OWS and a comma or the end. */
static size_t
scan_token68(const struct field *f, size_t i)
{
	size_t j = i, k;

	while (j < f->len && is_t68char((unsigned char)f->s[j]))
		j++;
	if (j == i)
		return i;
	while (j < f->len && f->s[j] == '=')
		j++;
	k = skip_ows(f, j);
	if (k < f->len && f->s[k] != ',')
		return i;
	return j;
}

static void
add_param(struct challenge_set *cs, struct challenge *c,
    const struct field *f, const struct rawparam *p)
{
	const char *name, *value;
	size_t k, nlen = p->name.end - p->name.start;

	if (c->err != CH_OK)
		return;
	if (nlen > CHALLENGE_NAME_MAX || p->vlen > CHALLENGE_VALUE_MAX) {
		c->err = CH_TOO_LONG;
		return;
	}
	for (k = 0; k < c->nparam; k++)
		if (strlen(c->param[k].name) == nlen &&
		    strncasecmp_ascii(c->param[k].name,
		    f->s + p->name.start, nlen) == 0) {
			c->err = CH_DUPLICATE;
			return;
		}
	if (c->nparam == CHALLENGE_PARAMS_MAX) {
		c->err = CH_TOO_MANY;
		return;
	}
	name = store(cs, f, p->name, 0);
	value = store(cs, f, p->value, p->quoted);
	if (name == NULL || value == NULL) {
		c->err = CH_TOO_LONG;	/* cannot happen: storage is sized */
		return;
	}
	c->param[c->nparam].name = name;
	c->param[c->nparam].value = value;
	c->nparam++;
}

/*
 * The params of challenge c, after its scheme and the spaces that follow.
 * Returns the index where the next challenge starts, or f->len when the
 * field is used up or given up on.
 */
static size_t
parse_args(struct challenge_set *cs, struct challenge *c,
    const struct field *f, size_t i)
{
	struct rawparam p;
	struct span sp;
	size_t j;

	if (i >= f->len || f->s[i] == ',')
		return i;
	if (scan_param(f, i, &p) == -1) {
		/* Not a param: then a token68, or nothing valid. */
		j = scan_token68(f, i);
		if (j == i) {
			c->err = CH_SYNTAX;
			return f->len;
		}
		sp.start = i;
		sp.end = j;
		if (j - i > CHALLENGE_TOKEN68_MAX) {
			if (c->err == CH_OK)
				c->err = CH_TOO_LONG;
		} else if (c->err == CH_OK &&
		    (c->token68 = store(cs, f, sp, 0)) == NULL)
			c->err = CH_TOO_LONG;
		j = skip_ows(f, j);
		/* Only a comma or the end can follow (scan_token68). */
		while (j < f->len && (f->s[j] == ',' || f->s[j] == ' ' ||
		    f->s[j] == '\t'))
			j++;
		if (j < f->len && looks_like_param(f, j)) {
			/* token68 and auth-params do not mix (§11.3). */
			c->err = CH_SYNTAX;
			return f->len;
		}
		return j;
	}
	for (;;) {
		add_param(cs, c, f, &p);
		j = skip_ows(f, p.end);
		if (j >= f->len)
			return j;
		if (f->s[j] != ',') {
			c->err = CH_SYNTAX;
			return f->len;
		}
		while (j < f->len && (f->s[j] == ',' || f->s[j] == ' ' ||
		    f->s[j] == '\t'))
			j++;
		if (j >= f->len || !looks_like_param(f, j))
			return j;
		if (scan_param(f, j, &p) == -1) {
			c->err = CH_SYNTAX;
			return f->len;
		}
	}
}

static void
parse_field(struct challenge_set *cs, const struct field *f, size_t fieldno)
{
	struct challenge *c;
	struct span sp;
	size_t i = 0, j;

	for (;;) {
		while (i < f->len && (f->s[i] == ',' || f->s[i] == ' ' ||
		    f->s[i] == '\t'))
			i++;
		if (i >= f->len)
			return;
		if (cs->n == CHALLENGE_MAX) {
			cs->dropped = 1;
			return;
		}
		c = &cs->ch[cs->n];
		memset(c, 0, sizeof(*c));
		c->field = fieldno;
		j = scan_token(f, i);
		if (j == i) {
			/* Not even a scheme: nothing here can be trusted. */
			c->scheme = "";
			c->err = CH_SYNTAX;
			cs->n++;
			return;
		}
		sp.start = i;
		sp.end = j;
		if (j - i > CHALLENGE_SCHEME_MAX) {
			sp.end = i + CHALLENGE_SCHEME_MAX;
			c->err = CH_TOO_LONG;
		}
		if ((c->scheme = store(cs, f, sp, 0)) == NULL) {
			c->scheme = "";
			c->err = CH_TOO_LONG;
		}
		cs->n++;
		if (j >= f->len || f->s[j] == ',') {
			i = j;
			continue;
		}
		if (f->s[j] != ' ' && f->s[j] != '\t') {
			c->err = CH_SYNTAX;
			return;
		}
		i = parse_args(cs, c, f, skip_ows(f, j));
	}
}

enum challenge_rc
challenge_parse(struct challenge_set *cs, const char *const *fields,
    size_t nfields)
{
	struct field f;
	size_t k, total = 0;

	memset(cs, 0, sizeof(*cs));
	for (k = 0; k < nfields; k++) {
		size_t n = fields[k] != NULL ? strlen(fields[k]) : 0;

		if (n > CHALLENGE_INPUT_MAX - total)
			return CHALLENGE_TOO_LONG;
		total += n;
	}
	/*
	 * Each stored string comes from its own span of at least one byte
	 * of input and takes at most that span plus a NUL, so twice the
	 * input is always enough and nothing grows later.
	 */
	cs->cap = 2 * total + 1;
	if ((cs->store = malloc(cs->cap)) == NULL)
		return CHALLENGE_NOMEM;
	for (k = 0; k < nfields; k++) {
		if (fields[k] == NULL)
			continue;
		f.s = fields[k];
		f.len = strlen(fields[k]);
		parse_field(cs, &f, k);
	}
	return CHALLENGE_OK;
}

void
challenge_free(struct challenge_set *cs)
{
	/* Challenges can carry nonces and NTLM blobs: wipe, not just free. */
	if (cs->store != NULL) {
		wipe(cs->store, cs->cap);
		free(cs->store);
	}
	memset(cs, 0, sizeof(*cs));
}

const char *
challenge_param(const struct challenge *c, const char *name)
{
	size_t k;

	for (k = 0; k < c->nparam; k++)
		if (strcasecmp_ascii(c->param[k].name, name) == 0)
			return c->param[k].value;
	return NULL;
}

const char *
challenge_strerror(enum challenge_err e)
{
	switch (e) {
	case CH_OK:
		return "no error";
	case CH_SYNTAX:
		return "malformed challenge";
	case CH_DUPLICATE:
		return "parameter given twice";
	case CH_TOO_LONG:
		return "challenge value too long";
	case CH_TOO_MANY:
		return "too many challenge parameters";
	}
	return "unknown error";
}
