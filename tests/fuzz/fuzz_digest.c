/*
 * Digest answers (RFC 7616).  The first byte picks the credentials and
 * the request target, the second the nonce count; the rest is the field
 * values of a 407, one per line.  Every challenge parsed is answered with
 * auth_digest_response(), which must accept exactly the challenges the
 * rules of RFC 7616 §3.3 leave usable (a nonce, a known algorithm, a qop
 * we know or none, no -sess without qop).  An answer must hold no CR, LF
 * or NUL, fit the 32 KiB the driver gives it, and read back, element by
 * element and through challenge_parse() too, as the quoted-strings and
 * tokens of §3.4 with every '"' and '\' escaped: username (or its hash),
 * realm, nonce and uri as sent, our cnonce and nc, and a response equal
 * to the one computed here from the RFC's formulas.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "auth_int.h"
#include "challenge.h"

#define OUT_MAX		(32 * 1024)	/* tunnel.c's AUTHZ_MAX */
#define CNONCE		"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define KV_MAX		16
#define HEX_MAX		(2 * EVP_MAX_MD_SIZE + 1)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char long1024[1025], long1025[1026];

static const struct {
	const char	*user;
	const char	*pass;
	enum auth_rc	 rc;
} creds[] = {
	{ "Mufasa", "Circle of Life", AUTH_OK },
	{ "J\xc3\xa4s\xc3\xb8n Doe", "Secret, or not?", AUTH_OK },
	{ "a\"b\\c", "p\"\\", AUTH_OK },
	{ "alice", "", AUTH_OK },
	{ "DOMAIN\\user", "x", AUTH_OK },
	{ long1024, "p", AUTH_OK },		/* all '"': 2 KiB quoted */
	{ long1025, "p", AUTH_TOO_LONG },
	{ "alice", NULL, AUTH_NO_CREDENTIALS },
	{ "al\rice", "p", AUTH_NO_CREDENTIALS },
	{ "bob", "p\tw", AUTH_NO_CREDENTIALS },
};
#define NCREDS	(sizeof(creds) / sizeof(creds[0]))

static const char *const uris[] = { "db.internal:5432", "[::1]:22",
	"www.example.org:443", "a\"b\\c:1" };
#define NURIS	(sizeof(uris) / sizeof(uris[0]))

static const struct {
	const char	*name;
	const EVP_MD	*(*md)(void);
	int		 sess;
} algs[] = {
	{ "MD5", EVP_md5, 0 },
	{ "MD5-sess", EVP_md5, 1 },
	{ "SHA-256", EVP_sha256, 0 },
	{ "SHA-256-sess", EVP_sha256, 1 },
	{ "SHA-512-256", EVP_sha512_256, 0 },
	{ "SHA-512-256-sess", EVP_sha512_256, 1 },
};
#define NALGS	(sizeof(algs) / sizeof(algs[0]))

struct kv {
	const char	*name;
	const char	*value;
	int		 quoted;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
eqi(const char *a, const char *b)
{
	for (; *a != '\0' && lower((unsigned char)*a) ==
	    lower((unsigned char)*b); a++)
		b++;
	return *a == '\0' && *b == '\0';
}

static const char *
param(const struct challenge *c, const char *name)
{
	size_t k;

	for (k = 0; k < c->nparam; k++)
		if (eqi(c->param[k].name, name))
			return c->param[k].value;
	return NULL;
}

/*
 * Is tok an element of the comma list (OWS around elements)?  As for
 * every list postern reads, an element ends at its parameters: "auth;x"
 * is auth.
 */
static int
in_list(const char *list, const char *tok)
{
	size_t n = strlen(tok), len;
	const char *e;

	for (;;) {
		while (*list == ' ' || *list == '\t' || *list == ',')
			list++;
		if (*list == '\0')
			return 0;
		for (e = list; *e != '\0' && *e != ',' && *e != ';'; e++)
			;
		len = (size_t)(e - list);
		while (*e != '\0' && *e != ',')
			e++;
		while (len > 0 && (list[len - 1] == ' ' ||
		    list[len - 1] == '\t'))
			len--;
		if (len == n) {
			size_t k;

			for (k = 0; k < n && lower((unsigned char)list[k]) ==
			    lower((unsigned char)tok[k]); k++)
				;
			if (k == n)
				return 1;
		}
		list = e;
	}
}

/* RFC 7616 §3.3 read again: the algorithm index and the qop, or -1. */
static int
usable(const struct challenge *c, const char **qop)
{
	const char *v;
	size_t i;

	if (c->err != CH_OK || c->token68 != NULL ||
	    (v = param(c, "nonce")) == NULL || *v == '\0')
		return -1;
	if ((v = param(c, "algorithm")) == NULL)
		v = "MD5";
	for (i = 0; i < NALGS && !eqi(v, algs[i].name); i++)
		;
	if (i == NALGS)
		return -1;
	if ((v = param(c, "qop")) == NULL)
		*qop = NULL;
	else if (in_list(v, "auth"))
		*qop = "auth";
	else if (in_list(v, "auth-int"))
		*qop = "auth-int";
	else
		return -1;
	if (algs[i].sess && *qop == NULL)
		return -1;
	return (int)i;
}

/* H(parts joined by ':') as lowercase hex. */
static void
h(const EVP_MD *md, char out[HEX_MAX], const char *a, const char *b,
    const char *c, const char *d, const char *e, const char *f)
{
	const char *p[6] = { a, b, c, d, e, f };
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	EVP_MD_CTX *ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, md, NULL) != 1)
		abort();
	for (i = 0; i < 6 && p[i] != NULL; i++)
		if ((i > 0 && EVP_DigestUpdate(ctx, ":", 1) != 1) ||
		    EVP_DigestUpdate(ctx, p[i], strlen(p[i])) != 1)
			abort();
	if (EVP_DigestFinal_ex(ctx, dig, &n) != 1)
		abort();
	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", dig[i]);
	out[2 * n] = '\0';
	EVP_MD_CTX_free(ctx);
}

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/*
 * "name=value, name=value": a value is a token, or a quoted-string in
 * which a backslash only ever escapes '"' or '\'.  Values are unquoted
 * into scratch.  Any other shape aborts.
 */
static size_t
walk(char *s, struct kv *kv, char *scratch)
{
	size_t n = 0;
	char *p = s, *o = scratch;

	for (;;) {
		if (n == KV_MAX)
			abort();
		kv[n].name = o;
		while (is_tchar((unsigned char)*p))
			*o++ = *p++;
		if (o == kv[n].name || *p++ != '=')
			abort();
		*o++ = '\0';
		kv[n].value = o;
		if ((kv[n].quoted = *p == '"')) {
			for (p++; *p != '"'; p++) {
				if (*p == '\\' && *++p != '"' && *p != '\\')
					abort();
				if (*p == '\0' || ((unsigned char)*p < 0x20 &&
				    *p != '\t') || *p == 0x7f)
					abort();
				*o++ = *p;
			}
			p++;
		} else {
			if (!is_tchar((unsigned char)*p))
				abort();
			while (is_tchar((unsigned char)*p))
				*o++ = *p++;
		}
		*o++ = '\0';
		n++;
		if (*p == '\0')
			return n;
		if (p[0] != ',' || p[1] != ' ')
			abort();
		p += 2;
	}
}

static void
want(const struct kv *kv, size_t n, const char *name, const char *value,
    int quoted)
{
	size_t k;

	for (k = 0; k < n && strcmp(kv[k].name, name) != 0; k++)
		;
	if (value == NULL) {
		if (k < n)
			abort();
		return;
	}
	if (k == n || strcmp(kv[k].value, value) != 0 ||
	    kv[k].quoted != quoted)
		abort();
}

static void
check_answer(const struct challenge *c, int a, const char *qop,
    const char *user, const char *pass, const char *uri, unsigned nc,
    const struct buf *out)
{
	struct challenge_set back;
	const char *one[1];
	char ha1[HEX_MAX], ha2[HEX_MAX], resp[HEX_MAX], uh[HEX_MAX];
	char hb[HEX_MAX], ncs[9], *copy, *scratch;
	const EVP_MD *md = algs[a].md();
	const char *realm, *nonce;
	struct kv kv[KV_MAX];
	size_t n, k, expect;
	int userhash;
	const char *v;

	if (strlen(out->data) != out->len || strpbrk(out->data, "\r\n") !=
	    NULL || strncmp(out->data, "Digest ", 7) != 0)
		abort();
	copy = strdup(out->data + 7);
	scratch = malloc(out->len + KV_MAX);
	if (copy == NULL || scratch == NULL)
		abort();
	n = walk(copy, kv, scratch);

	realm = (v = param(c, "realm")) != NULL ? v : "";
	nonce = param(c, "nonce");
	userhash = (v = param(c, "userhash")) != NULL && eqi(v, "true");
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	h(md, ha1, user, realm, pass, NULL, NULL, NULL);
	if (algs[a].sess)
		h(md, ha1, ha1, nonce, CNONCE, NULL, NULL, NULL);
	if (qop != NULL && strcmp(qop, "auth-int") == 0) {
		h(md, hb, "", NULL, NULL, NULL, NULL, NULL);
		h(md, ha2, "CONNECT", uri, hb, NULL, NULL, NULL);
	} else
		h(md, ha2, "CONNECT", uri, NULL, NULL, NULL, NULL);
	if (qop == NULL)
		h(md, resp, ha1, nonce, ha2, NULL, NULL, NULL);
	else
		h(md, resp, ha1, nonce, ncs, CNONCE, qop, ha2);
	if (userhash)
		h(md, uh, user, realm, NULL, NULL, NULL, NULL);

	want(kv, n, "username", userhash ? uh : user, 1);
	want(kv, n, "realm", realm, 1);
	want(kv, n, "nonce", nonce, 1);
	want(kv, n, "uri", uri, 1);
	want(kv, n, "response", resp, 1);
	want(kv, n, "cnonce", qop != NULL ? CNONCE : NULL, 1);
	want(kv, n, "nc", qop != NULL ? ncs : NULL, 0);
	want(kv, n, "qop", qop, 0);
	want(kv, n, "opaque", param(c, "opaque"), 1);
	want(kv, n, "algorithm", param(c, "algorithm") != NULL ?
	    algs[a].name : NULL, 0);
	want(kv, n, "userhash", userhash ? "true" : NULL, 0);
	expect = 5 + (qop != NULL ? 3 : 0) + (param(c, "opaque") != NULL) +
	    (param(c, "algorithm") != NULL) + userhash;
	if (n != expect)
		abort();

	/* What a proxy's parser of the same grammar makes of it. */
	one[0] = out->data;
	if (challenge_parse(&back, one, 1) != CHALLENGE_OK || back.n != 1 ||
	    back.ch[0].err != CH_OK || strcmp(back.ch[0].scheme, "Digest") !=
	    0 || back.ch[0].nparam != n)
		abort();
	for (k = 0; k < n; k++)
		if (strcmp(back.ch[0].param[k].name, kv[k].name) != 0 ||
		    strcmp(back.ch[0].param[k].value, kv[k].value) != 0)
			abort();
	challenge_free(&back);
	free(scratch);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct challenge_set cs;
	struct cred cred;
	struct buf out;
	const char **fields = NULL, *uri, *qop;
	enum auth_rc rc, expect;
	unsigned nc;
	size_t i, n = 1;
	char *s = NULL;
	int a;

	if (size < 2)
		return 0;
	if (long1024[0] == '\0') {
		memset(long1024, '"', sizeof(long1024) - 1);
		memset(long1025, 'a', sizeof(long1025) - 1);
	}
	i = data[0] % NCREDS;
	cred.user = (char *)creds[i].user;
	cred.pass = (char *)creds[i].pass;
	uri = uris[(data[0] / NCREDS) % NURIS];
	nc = data[1] == 0xff ? 0xffffffffU : data[1];
	data += 2;
	size -= 2;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	if ((s = malloc(size + 1)) == NULL ||
	    (fields = malloc(n * sizeof(*fields))) == NULL)
		goto out;
	memcpy(s, data, size);
	s[size] = '\0';
	fields[0] = s;
	for (i = 0, n = 1; i < size; i++)
		if (s[i] == '\n') {
			s[i] = '\0';
			fields[n++] = s + i + 1;
		}
	if (challenge_parse(&cs, fields, n) != CHALLENGE_OK) {
		challenge_free(&cs);
		goto out;
	}
	buf_init(&out, OUT_MAX);
	for (i = 0; i < cs.n; i++) {
		a = usable(&cs.ch[i], &qop);
		expect = a == -1 ? AUTH_BAD_CHALLENGE : creds[data[-2] %
		    NCREDS].rc;
		buf_reset(&out);
		rc = auth_digest_response(&cs.ch[i], &cred, "CONNECT", uri,
		    CNONCE, nc, &out);
		if (rc != expect)
			abort();
		if (rc == AUTH_OK)
			check_answer(&cs.ch[i], a, qop, cred.user, cred.pass,
			    uri, nc, &out);
	}
	buf_wipe(&out);
	challenge_free(&cs);
out:
	free(fields);
	free(s);
	return 0;
}
