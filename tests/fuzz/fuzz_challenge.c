/*
 * Proxy-Authenticate parsing: the input is the field values of one 407,
 * one per line.  Properties: every scheme and param name is a token and
 * every value is free of CTLs but HTAB, all within their bounds and
 * inside the set's storage; parsing is deterministic and goes field by
 * field; a challenge that parsed cleanly comes back the same when written
 * out again, and clean fields mean the same apart or comma-joined (RFC
 * 9110 §5.3).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
is_token(const char *s, size_t max)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!is_tchar((unsigned char)s[n]))
			return 0;
	return n > 0 && n <= max;
}

/* 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int
is_token68(const char *s)
{
	size_t n = 0;
	unsigned char c;

	for (; (c = (unsigned char)s[n]) != '\0'; n++)
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~+/", c) != NULL))
			break;
	if (n == 0)
		return 0;
	while (s[n] == '=')
		n++;
	return s[n] == '\0' && n <= CHALLENGE_TOKEN68_MAX;
}

static void
in_store(const struct challenge_set *cs, const char *p)
{
	if (p < cs->store || p >= cs->store + cs->used ||
	    p + strlen(p) >= cs->store + cs->used)
		abort();
}

static void
check_set(const struct challenge_set *cs, const char *const *fields,
    size_t nfields)
{
	const struct challenge *c;
	const unsigned char *v;
	size_t i, k, lastfield = 0;

	if (cs->n > CHALLENGE_MAX || (cs->dropped && cs->n != CHALLENGE_MAX) ||
	    cs->used > cs->cap)
		abort();
	for (i = 0; i < cs->n; i++) {
		c = &cs->ch[i];
		if (c->field >= nfields || c->field < lastfield ||
		    c->err > CH_TOO_MANY || c->nparam > CHALLENGE_PARAMS_MAX)
			abort();
		lastfield = c->field;
		if (c->scheme[0] == '\0') {
			if (c->err == CH_OK)
				abort();
		} else {
			/* As sent: a token found in its own field. */
			in_store(cs, c->scheme);
			if (!is_token(c->scheme, CHALLENGE_SCHEME_MAX) ||
			    strstr(fields[c->field], c->scheme) == NULL)
				abort();
		}
		if (c->token68 != NULL) {
			in_store(cs, c->token68);
			if (c->nparam != 0 || !is_token68(c->token68) ||
			    strstr(fields[c->field], c->token68) == NULL)
				abort();
		}
		for (k = 0; k < c->nparam; k++) {
			in_store(cs, c->param[k].name);
			in_store(cs, c->param[k].value);
			if (!is_token(c->param[k].name, CHALLENGE_NAME_MAX) ||
			    strstr(fields[c->field], c->param[k].name) ==
			    NULL || strlen(c->param[k].value) >
			    CHALLENGE_VALUE_MAX)
				abort();
			/* qdtext and quoted-pair allow no CTL but HTAB. */
			for (v = (const unsigned char *)c->param[k].value;
			    *v != '\0'; v++)
				if ((*v < 0x20 && *v != '\t') || *v == 0x7f)
					abort();
			/* Names are unique, so lookup finds this very one. */
			if (challenge_param(c, c->param[k].name) !=
			    c->param[k].value)
				abort();
		}
	}
}

static int
same_ch(const struct challenge *a, const struct challenge *b)
{
	size_t k;

	if (strcmp(a->scheme, b->scheme) != 0 || a->err != b->err ||
	    a->nparam != b->nparam ||
	    (a->token68 == NULL) != (b->token68 == NULL) ||
	    (a->token68 != NULL && strcmp(a->token68, b->token68) != 0))
		return 0;
	for (k = 0; k < a->nparam; k++)
		if (strcmp(a->param[k].name, b->param[k].name) != 0 ||
		    strcmp(a->param[k].value, b->param[k].value) != 0)
			return 0;
	return 1;
}

/* One clean challenge as a field: scheme, then token68 or params. */
static char *
write_ch(const struct challenge *c)
{
	size_t k, n = strlen(c->scheme) + 2;
	const char *v;
	char *s, *o;

	if (c->token68 != NULL)
		n += strlen(c->token68);
	for (k = 0; k < c->nparam; k++)
		n += strlen(c->param[k].name) + 2 * strlen(c->param[k].value) +
		    5;
	if ((s = malloc(n)) == NULL)
		return NULL;
	o = s;
	memcpy(o, c->scheme, strlen(c->scheme));
	o += strlen(c->scheme);
	if (c->token68 != NULL) {
		*o++ = ' ';
		memcpy(o, c->token68, strlen(c->token68));
		o += strlen(c->token68);
	}
	for (k = 0; k < c->nparam; k++) {
		*o++ = k == 0 ? ' ' : ',';
		memcpy(o, c->param[k].name, strlen(c->param[k].name));
		o += strlen(c->param[k].name);
		*o++ = '=';
		*o++ = '"';
		for (v = c->param[k].value; *v != '\0'; v++) {
			if (*v == '"' || *v == '\\')
				*o++ = '\\';
			*o++ = *v;
		}
		*o++ = '"';
	}
	*o = '\0';
	return s;
}

/* Clean challenges written out one per field parse back the same. */
static void
check_roundtrip(const struct challenge_set *cs)
{
	struct challenge_set back;
	char *out[CHALLENGE_MAX];
	size_t i, m = 0;

	for (i = 0; i < cs->n; i++)
		if (cs->ch[i].err == CH_OK &&
		    (out[m++] = write_ch(&cs->ch[i])) == NULL) {
			m--;
			goto out;
		}
	if (challenge_parse(&back, (const char *const *)out, m) ==
	    CHALLENGE_OK) {
		if (back.n != m)
			abort();
		for (i = 0, m = 0; i < cs->n; i++)
			if (cs->ch[i].err == CH_OK &&
			    !same_ch(&cs->ch[i], &back.ch[m++]))
				abort();
	}
	challenge_free(&back);
out:
	while (m > 0)
		free(out[--m]);
}

/* The set is the fields' own challenges, one field after another. */
static void
check_by_field(const struct challenge_set *cs, const char *const *fields,
    size_t nfields)
{
	struct challenge_set one;
	size_t k, i, at = 0;

	for (k = 0; k < nfields && at < cs->n; k++) {
		if (challenge_parse(&one, &fields[k], 1) != CHALLENGE_OK)
			abort();
		for (i = 0; i < one.n && at < cs->n; i++, at++)
			if (!same_ch(&one.ch[i], &cs->ch[at]) ||
			    cs->ch[at].field != k)
				abort();
		challenge_free(&one);
	}
	if (!cs->dropped && at != cs->n)
		abort();
}

/* All clean: joining the fields with ", " changes nothing but indexes. */
static void
check_joined(const struct challenge_set *cs, const char *const *fields,
    size_t nfields)
{
	struct challenge_set j;
	const char *one[1];
	size_t k, n = 1;
	char *s, *o;

	if (cs->dropped)
		return;
	for (k = 0; k < cs->n; k++)
		if (cs->ch[k].err != CH_OK)
			return;
	for (k = 0; k < nfields; k++)
		n += strlen(fields[k]) + 2;
	if ((s = malloc(n)) == NULL)
		return;
	for (o = s, k = 0; k < nfields; k++) {
		if (k > 0) {
			memcpy(o, ", ", 2);
			o += 2;
		}
		memcpy(o, fields[k], strlen(fields[k]));
		o += strlen(fields[k]);
	}
	*o = '\0';
	one[0] = s;
	if (challenge_parse(&j, one, 1) == CHALLENGE_OK) {
		if (j.n != cs->n)
			abort();
		for (k = 0; k < j.n; k++)
			if (!same_ch(&j.ch[k], &cs->ch[k]))
				abort();
	}
	challenge_free(&j);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct challenge_set cs, again;
	const char **fields;
	size_t i, n = 1, total;
	char *s;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	s = malloc(size + 1);
	fields = malloc(n * sizeof(*fields));
	if (s == NULL || fields == NULL)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	fields[0] = s;
	for (i = 0, n = 1; i < size; i++)
		if (s[i] == '\n') {
			s[i] = '\0';
			fields[n++] = s + i + 1;
		}

	for (i = 0, total = 0; i < n; i++)
		total += strlen(fields[i]);
	if (challenge_parse(&cs, fields, n) != (total > CHALLENGE_INPUT_MAX ?
	    CHALLENGE_TOO_LONG : CHALLENGE_OK))
		abort();
	if (total > CHALLENGE_INPUT_MAX) {
		challenge_free(&cs);
		goto out;
	}
	if (challenge_parse(&again, fields, n) != CHALLENGE_OK)
		abort();
	check_set(&cs, fields, n);
	if (again.n != cs.n || again.dropped != cs.dropped)
		abort();
	for (i = 0; i < cs.n; i++)
		if (!same_ch(&cs.ch[i], &again.ch[i]) ||
		    cs.ch[i].field != again.ch[i].field)
			abort();
	check_roundtrip(&cs);
	check_by_field(&cs, fields, n);
	check_joined(&cs, fields, n);
	challenge_free(&again);
	challenge_free(&cs);
out:
	free(fields);
	free(s);
	return 0;
}
