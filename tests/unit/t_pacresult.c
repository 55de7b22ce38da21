/*
 * The PAC answer parser: the list grammar, keywords in any case, spaces,
 * default ports, junk, and the same entries whether a list is parsed whole
 * or entry by entry.
 */
#include <stdio.h>
#include <string.h>

#include "pacresult.h"
#include "tap.h"

struct tcase {
	const char	*in;
	enum pacres_rc	 rc;
	const char	*want;	/* entries as "KIND host:port," on success */
	size_t		 bad;	/* on error */
};

static const struct tcase cases[] = {
	{ "PROXY proxy.corp:3128", PACRES_OK, "PROXY proxy.corp:3128,", 0 },
	{ "PROXY a:8080; PROXY b:8080", PACRES_OK, "PROXY a:8080,PROXY b:8080,",
	    0 },
	{ "DIRECT", PACRES_OK, "DIRECT,", 0 },
	{ "direct", PACRES_OK, "DIRECT,", 0 },
	{ "  Proxy\ta:1 ;;  DiReCt ; ", PACRES_OK, "PROXY a:1,DIRECT,", 0 },
	{ "HTTP h:81", PACRES_OK, "PROXY h:81,", 0 },
	{ "https secure.corp:8443", PACRES_OK, "HTTPS secure.corp:8443,", 0 },
	{ "PROXY noport", PACRES_OK, "PROXY noport:80,", 0 },
	{ "HTTPS noport", PACRES_OK, "HTTPS noport:443,", 0 },
	{ "PROXY [2001:db8::1]:3128", PACRES_OK, "PROXY [2001:db8::1]:3128,",
	    0 },
	{ "SOCKS s:1080; PROXY p:1", PACRES_OK, "SOCKS s:1080,PROXY p:1,", 0 },
	{ "SOCKS5 s:1; socks4 t:2; DIRECT", PACRES_OK,
	    "SOCKS s:1,SOCKS t:2,DIRECT,", 0 },
	{ ";PROXY p:1;", PACRES_OK, "PROXY p:1,", 0 },

	{ "", PACRES_EMPTY, NULL, 0 },
	{ " ; ;\t", PACRES_EMPTY, NULL, 0 },
	{ "PROXY", PACRES_NO_HOST, NULL, 0 },
	{ "DIRECT; PROXY ", PACRES_NO_HOST, NULL, 1 },
	{ "PROXY a:1 b:2", PACRES_EXTRA, NULL, 0 },
	{ "DIRECT now", PACRES_DIRECT_ARG, NULL, 0 },
	{ "PROXYa:1", PACRES_BAD_KEYWORD, NULL, 0 },
	{ "FTP f:21", PACRES_BAD_KEYWORD, NULL, 0 },
	{ "PROXY a:1; junk", PACRES_BAD_KEYWORD, NULL, 1 },
	{ "PROXY a:0", PACRES_BAD_HOST, NULL, 0 },
	{ "PROXY a:99999", PACRES_BAD_HOST, NULL, 0 },
	{ "PROXY a:b:c", PACRES_BAD_HOST, NULL, 0 },
	{ "PROXY a/b:1", PACRES_BAD_HOST, NULL, 0 },
	{ "PROXY a\x7f:1", PACRES_BAD_HOST, NULL, 0 },
	{ "PROXY http://a:1", PACRES_BAD_HOST, NULL, 0 },
	{ "SOCKS s:1080", PACRES_ONLY_SOCKS, NULL, 0 },
	{ "SOCKS5 s:1; SOCKS t:2", PACRES_ONLY_SOCKS, NULL, 0 },
	{ "DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;"
	  "DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT;DIRECT",
	    PACRES_TOO_MANY, NULL, 16 },
};

static void
show_entries(const struct pac_entry *e, size_t n, char *out, size_t len)
{
	char auth[AUTHORITY_MAX];
	size_t i, used = 0;

	*out = '\0';
	for (i = 0; i < n; i++) {
		if (e[i].kind == PAC_DIRECT)
			snprintf(auth, sizeof(auth), "%s", "");
		else if (target_authority(&e[i].addr, auth, sizeof(auth)) == -1)
			snprintf(auth, sizeof(auth), "%s", "?");
		used += (size_t)snprintf(out + used, len - used, "%s%s%s,",
		    pac_kind_name(e[i].kind), *auth ? " " : "", auth);
		if (used >= len)
			return;
	}
}

/* The entries of a list are the entries of its pieces, in order. */
static void
check_split(const struct tcase *c, const char *whole)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	char got[512], piece[512];
	const char *p = c->in, *semi;
	size_t n, bad, used = 0;

	*piece = '\0';
	for (;;) {
		semi = strchr(p, ';');
		n = 0;
		if (pacres_parse(p, semi ? (size_t)(semi - p) : strlen(p), e,
		    PAC_ENTRIES_MAX, &n, &bad) == PACRES_EMPTY)
			n = 0;
		show_entries(e, n, got, sizeof(got));
		used += (size_t)snprintf(piece + used, sizeof(piece) - used, "%s",
		    got);
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	is_str(piece, whole, "\"%s\" entry by entry", c->in);
}

int
main(void)
{
	struct pac_entry e[PAC_ENTRIES_MAX];
	char got[512];
	size_t i, n, bad;
	enum pacres_rc rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		rc = pacres_parse(c->in, strlen(c->in), e, PAC_ENTRIES_MAX, &n,
		    &bad);
		is_int(rc, c->rc, "\"%s\": %s", c->in, pacres_strerror(c->rc));
		if (c->rc != PACRES_OK) {
			is_int(bad, c->bad, "\"%s\": failing entry", c->in);
			continue;
		}
		show_entries(e, n, got, sizeof(got));
		is_str(got, c->want, "\"%s\" entries", c->in);
		if (strchr(c->in, ';') != NULL)
			check_split(c, c->want);
	}
	rc = pacres_parse("PROXY a\r\nX: y:1", 15, e, PAC_ENTRIES_MAX, &n, &bad);
	is_int(rc, PACRES_BAD_HOST, "CR LF inside a host");
	/* A NUL inside the answer is junk, not an end. */
	rc = pacres_parse("PROXY a:1\0b", 11, e, PAC_ENTRIES_MAX, &n, &bad);
	is_int(rc, PACRES_BAD_HOST, "NUL inside a host");
	rc = pacres_parse("DIRECT\0", 7, e, PAC_ENTRIES_MAX, &n, &bad);
	is_int(rc, PACRES_BAD_KEYWORD, "NUL after DIRECT");
	/* Every prefix of a long list parses or fails without harm. */
	{
		const char *l = "PROXY a.corp:8080; HTTPS [::1]:443; DIRECT";

		for (i = 0; i <= strlen(l); i++)
			pacres_parse(l, i, e, PAC_ENTRIES_MAX, &n, &bad);
		ok(1, "every prefix of a list");
	}
	return done_testing();
}
