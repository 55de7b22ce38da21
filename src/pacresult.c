#include <stdio.h>
#include <string.h>

#include "pacresult.h"
#include "util.h"

#define WORD_MAX	(AUTHORITY_MAX + 8)	/* one host:port word */

static const struct {
	const char	*word;
	enum pac_kind	 kind;
	unsigned	 port;		/* when the entry names none */
} keywords[] = {
	{ "DIRECT", PAC_DIRECT, 0 },
	{ "PROXY", PAC_HTTP, 80 },
	{ "HTTP", PAC_HTTP, 80 },
	{ "HTTPS", PAC_HTTPS, 443 },
	{ "SOCKS", PAC_SOCKS, 1080 },
	{ "SOCKS4", PAC_SOCKS, 1080 },
	{ "SOCKS5", PAC_SOCKS, 1080 },
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* The next word of s[*i..len), stopping at space; 0 when there is none. */
static size_t
next_word(const char *s, size_t len, size_t *i, const char **w)
{
	size_t start;

	while (*i < len && is_space(s[*i]))
		(*i)++;
	start = *i;
	while (*i < len && !is_space(s[*i]))
		(*i)++;
	*w = s + start;
	return *i - start;
}

static enum pacres_rc
parse_hostport(const char *w, size_t wlen, unsigned defport,
    struct target *t)
{
	char word[WORD_MAX], port[8];
	enum target_rc rc;

	if (wlen >= sizeof(word) || memchr(w, '\0', wlen) != NULL)
		return PACRES_BAD_HOST;
	memcpy(word, w, wlen);
	word[wlen] = '\0';
	rc = target_parse(word, NULL, t);
	if (rc == TARGET_NO_PORT) {
		snprintf(port, sizeof(port), "%u", defport);
		rc = target_parse(word, port, t);
	}
	return rc == TARGET_OK ? PACRES_OK : PACRES_BAD_HOST;
}

/* One entry, s[0..len) without its ";".  *skip: it was empty. */
static enum pacres_rc
parse_entry(const char *s, size_t len, struct pac_entry *e, int *skip)
{
	const char *w;
	size_t i = 0, wlen, k;

	*skip = 0;
	if ((wlen = next_word(s, len, &i, &w)) == 0) {
		*skip = 1;
		return PACRES_OK;
	}
	for (k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
		if (strlen(keywords[k].word) == wlen &&
		    strncasecmp_ascii(w, keywords[k].word, wlen) == 0)
			break;
	if (k == sizeof(keywords) / sizeof(keywords[0]))
		return PACRES_BAD_KEYWORD;
	memset(e, 0, sizeof(*e));
	e->kind = keywords[k].kind;
	wlen = next_word(s, len, &i, &w);
	if (e->kind == PAC_DIRECT)
		return wlen == 0 ? PACRES_OK : PACRES_DIRECT_ARG;
	if (wlen == 0)
		return PACRES_NO_HOST;
	if (parse_hostport(w, wlen, keywords[k].port, &e->addr) != PACRES_OK)
		return PACRES_BAD_HOST;
	if (next_word(s, len, &i, &w) != 0)
		return PACRES_EXTRA;
	return PACRES_OK;
}

enum pacres_rc
pacres_parse(const char *s, size_t len, struct pac_entry *out, size_t max,
    size_t *n, size_t *bad)
{
	struct pac_entry e;
	enum pacres_rc rc;
	size_t i = 0, end, nsocks = 0;
	const char *semi;
	int skip;

	*n = 0;
	*bad = 0;
	while (i < len) {
		semi = memchr(s + i, ';', len - i);
		end = semi != NULL ? (size_t)(semi - s) : len;
		if ((rc = parse_entry(s + i, end - i, &e, &skip)) != PACRES_OK)
			return rc;
		if (!skip) {
			if (*n == max)
				return PACRES_TOO_MANY;
			nsocks += e.kind == PAC_SOCKS;
			out[(*n)++] = e;
			*bad = *n;
		}
		i = end + 1;
	}
	*bad = 0;
	if (*n == 0)
		return PACRES_EMPTY;
	if (nsocks == *n)
		return PACRES_ONLY_SOCKS;
	return PACRES_OK;
}

const char *
pacres_strerror(enum pacres_rc rc)
{
	switch (rc) {
	case PACRES_OK:
		return "no error";
	case PACRES_EMPTY:
		return "an empty answer";
	case PACRES_BAD_KEYWORD:
		return "an unknown keyword (PROXY, HTTP, HTTPS, SOCKS or DIRECT)";
	case PACRES_NO_HOST:
		return "an entry without a host";
	case PACRES_BAD_HOST:
		return "an invalid host:port";
	case PACRES_EXTRA:
		return "more than one host:port in an entry";
	case PACRES_DIRECT_ARG:
		return "DIRECT followed by a word";
	case PACRES_ONLY_SOCKS:
		return "only SOCKS entries, which postern does not speak";
	case PACRES_TOO_MANY:
		return "too many entries";
	}
	return "unknown error";
}

const char *
pac_kind_name(enum pac_kind k)
{
	switch (k) {
	case PAC_DIRECT:
		return "DIRECT";
	case PAC_HTTP:
		return "PROXY";
	case PAC_HTTPS:
		return "HTTPS";
	case PAC_SOCKS:
		return "SOCKS";
	}
	return "?";
}
