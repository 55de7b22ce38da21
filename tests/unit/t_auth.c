#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_int.h"
#include "authwire.h"
#include "buf.h"
#include "challenge.h"
#include "md4.h"
#include "tap.h"

/*
 * Expected values that are not quoted from a specification were computed
 * independently with Python's hashlib and hmac (and a pure-Python MD4),
 * not with this code.
 */

#define OUT_MAX	(64 * 1024)

/* RFC 7616 §3.9.1 */
#define R_REALM		"http-auth@example.org"
#define R_NONCE		"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define R_CNONCE	"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define R_OPAQUE	"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

/* MS-NLMP §4.2.4: AV pairs NbDomainName "Domain", NbComputerName "Server" */
#define NLMP_TI	"02000c0044006f006d00610069006e00" \
		"01000c00530065007200760065007200" "00000000"

static unsigned char rnd_byte = 0xaa;
static int rnd_seq;		/* 1: 0, 1, 2, ...; 0: rnd_byte repeated */
static int rnd_fail;
static int64_t clock_now;

static int
fake_random(void *p, size_t n)
{
	unsigned char *b = p;
	size_t i;

	if (rnd_fail)
		return -1;
	for (i = 0; i < n; i++)
		b[i] = rnd_seq ? (unsigned char)i : rnd_byte;
	return 0;
}

static int64_t
fake_now(void)
{
	return clock_now;
}

static const struct auth_env env = { fake_random, fake_now };

static size_t
unhex(const char *s, unsigned char *out)
{
	size_t n = 0;
	unsigned v;
	int k;

	for (; s[0] != '\0' && s[1] != '\0'; s += 2) {
		v = 0;
		for (k = 0; k < 2; k++)
			v = v << 4 | (unsigned)(s[k] <= '9' ? s[k] - '0' :
			    s[k] - 'a' + 10);
		out[n++] = (unsigned char)v;
	}
	return n;
}

static const char *
hex(const void *p, size_t n)
{
	static char h[4][2 * 4096 + 1];
	static int k;

	k = (k + 1) % 4;
	if (n > 4096)
		n = 4096;
	auth_hex(p, n, h[k]);
	return h[k];
}

static void
test_parse_list(void)
{
	unsigned m = 0;

	is_int(auth_parse_list("basic", &m), 0, "list: basic");
	is_int(m, AUTH_BASIC, "list: basic mask");
	is_int(auth_parse_list("Basic, NTLM", &m), 0, "list: two, spaced");
	is_int(m, AUTH_BASIC | AUTH_NTLM, "list: two mask");
	is_int(auth_parse_list("any", &m), 0, "list: any");
	is_int(m, AUTH_BUILTIN, "list: any is what is built in");
	is_int(auth_parse_list("negotiate,digest", &m), 0, "list: negotiate");
	is_int(m, AUTH_NEGOTIATE | AUTH_DIGEST, "list: negotiate mask");
	m = 77;
	is_int(auth_parse_list("basic,foo", &m), -1, "list: unknown name");
	is_int(m, 77, "list: mask untouched on error");
	is_int(auth_parse_list("", &m), -1, "list: empty");
	is_int(auth_parse_list("basic,,ntlm", &m), -1, "list: empty item");
	is_int(auth_parse_list("basicx", &m), -1, "list: prefix only");
	is_str(auth_scheme_name(AUTH_NTLM), "NTLM", "scheme name");
	is_str(auth_scheme_name(AUTH_DIGEST), "Digest", "scheme name Digest");
	ok(auth_strerror(AUTH_REJECTED) != NULL &&
	    auth_strerror((enum auth_rc)99) != NULL, "strerror total");
}

static void
test_base64(void)
{
	/* RFC 4648 §10 */
	static const char *v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	static const char *bad[] = { "Zg=", "Zm9", "Z===", "====", "Zg=a",
	    "Zm9v!A==", "Zm=v", "Zg==Zg==" };
	unsigned char d[16];
	struct buf b;
	size_t i, n;

	buf_init(&b, 64);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		auth_base64_encode(&b, v[i][0], strlen(v[i][0]));
		is_str(b.len ? b.data : "", v[i][1], "base64 \"%s\"", v[i][0]);
		if (i == 0)
			continue;
		ok(auth_base64_decode(v[i][1], strlen(v[i][1]), d, sizeof(d),
		    &n) == 0 && n == strlen(v[i][0]) &&
		    memcmp(d, v[i][0], n) == 0, "unbase64 %s", v[i][1]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(auth_base64_decode(bad[i], strlen(bad[i]), d, sizeof(d),
		    &n), -1, "unbase64 refuses %s", bad[i]);
	is_int(auth_base64_decode("Zm9vYmFy", 8, d, 5, &n), -1,
	    "unbase64 refuses to overflow");
	buf_free(&b);
}

static void
test_md4(void)
{
	/* RFC 1320 §A.5 */
	static const char *v[][2] = {
		{ "", "31d6cfe0d16ae931b73c59d7e0c089c0" },
		{ "a", "bde52cb31de33e46245e05fbdbd6fb24" },
		{ "abc", "a448017aaf21d8525fc10ae87aa6729d" },
		{ "message digest", "d9130a8164549fe818874806e1c7014b" },
		{ "abcdefghijklmnopqrstuvwxyz",
		  "d79e1c308aa5bbcdeea8ed63df412da9" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		  "0123456789", "043f8582f241db351ce627e153e7f0e4" },
		{ "1234567890123456789012345678901234567890"
		  "1234567890123456789012345678901234567890",
		  "e33b4ddc9c38f2199c3e7b164fcc0536" },
	};
	unsigned char d[MD4_DIGEST_LEN];
	struct md4_ctx ctx;
	size_t i, k, len;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		md4(v[i][0], strlen(v[i][0]), d);
		is_str(hex(d, 16), v[i][1], "MD4 RFC 1320 \"%.20s\"", v[i][0]);
	}
	/* The same, fed one byte at a time and in odd pieces. */
	len = strlen(v[6][0]);
	md4_init(&ctx);
	for (k = 0; k < len; k++)
		md4_update(&ctx, v[6][0] + k, 1);
	md4_final(&ctx, d);
	is_str(hex(d, 16), v[6][1], "MD4 bytewise");
	md4_init(&ctx);
	md4_update(&ctx, v[6][0], 63);
	md4_update(&ctx, v[6][0] + 63, len - 63);
	md4_final(&ctx, d);
	is_str(hex(d, 16), v[6][1], "MD4 split at 63");
	/* NT hash of "Password", MS-NLMP §4.2.4.1 input. */
	md4("P\0a\0s\0s\0w\0o\0r\0d\0", 16, d);
	is_str(hex(d, 16), "a4f49c406510bdcab6824ee7c30fd852",
	    "NT hash of Password");
}

static void
test_basic(void)
{
	struct cred c;
	struct buf out;

	buf_init(&out, OUT_MAX);
	c.user = "Aladdin";
	c.pass = "open sesame";
	is_int(auth_basic_response(&c, &out), AUTH_OK, "Basic ok");
	is_str(out.data, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
	    "Basic RFC 7617 §2 example");
	/* RFC 7617 §2.1: UTF-8 bytes as given */
	buf_reset(&out);
	c.user = "test";
	c.pass = "123\xc2\xa3";
	auth_basic_response(&c, &out);
	is_str(out.data, "Basic dGVzdDoxMjPCow==", "Basic UTF-8 password");
	buf_reset(&out);
	c.user = "";
	c.pass = "";
	auth_basic_response(&c, &out);
	is_str(out.data, "Basic Og==", "Basic empty user and password");
	c.user = "a:b";
	c.pass = "x";
	is_int(auth_basic_response(&c, &out), AUTH_NO_CREDENTIALS,
	    "Basic refuses a colon in the user-id");
	c.user = "a";
	c.pass = "x\r\nX-Injected: 1";
	is_int(auth_basic_response(&c, &out), AUTH_NO_CREDENTIALS,
	    "Basic refuses CR LF in the password");
	c.pass = "x\x7f";
	is_int(auth_basic_response(&c, &out), AUTH_NO_CREDENTIALS,
	    "Basic refuses DEL");
	c.pass = NULL;
	is_int(auth_basic_response(&c, &out), AUTH_NO_CREDENTIALS,
	    "Basic: no password is not an empty password");
	buf_free(&out);
}

/* Parse one field into cs; the first challenge is returned. */
static const struct challenge *
one(struct challenge_set *cs, const char *field)
{
	const char *f[1];

	f[0] = field;
	challenge_parse(cs, f, 1);
	return &cs->ch[0];
}

static void
digest_case(const char *name, const char *field, const char *user,
    const char *pass, const char *method, const char *uri,
    const char *cnonce, const char *want)
{
	struct challenge_set cs;
	struct cred c;
	struct buf out;
	enum auth_rc rc;

	buf_init(&out, OUT_MAX);
	c.user = (char *)user;
	c.pass = (char *)pass;
	rc = auth_digest_response(one(&cs, field), &c, method, uri, cnonce, 1,
	    &out);
	is_int(rc, AUTH_OK, "%s: ok", name);
	is_str(out.data, want, "%s", name);
	challenge_free(&cs);
	buf_free(&out);
}

#define RFC_FIELD(alg, qop)						\
	"Digest realm=\"" R_REALM "\", qop=\"" qop "\", algorithm=" alg \
	", nonce=\"" R_NONCE "\", opaque=\"" R_OPAQUE "\""
#define RFC_HEAD							\
	"Digest username=\"Mufasa\", realm=\"" R_REALM "\", nonce=\""	\
	R_NONCE "\", uri=\"/dir/index.html\", cnonce=\"" R_CNONCE	\
	"\", nc=00000001, "
#define RFC_TAIL(alg)	"\", opaque=\"" R_OPAQUE "\", algorithm=" alg

static void
test_digest_vectors(void)
{
	/* RFC 7616 §3.9.1, both algorithms. */
	digest_case("RFC 7616 §3.9.1 MD5", RFC_FIELD("MD5", "auth, auth-int"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth, response=\"8ca523f5e9506fed4657c9700eebdbec"
	    RFC_TAIL("MD5"));
	digest_case("RFC 7616 §3.9.1 SHA-256",
	    RFC_FIELD("SHA-256", "auth, auth-int"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth, response=\"753927fa0e85d155564e2e272a28d180"
	    "2ca10daf4496794697cf8db5856cb6c1" RFC_TAIL("SHA-256"));
	/* The same inputs through the other algorithms (Python hashlib). */
	digest_case("SHA-512-256", RFC_FIELD("SHA-512-256", "auth"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth, response=\"430d05014cecc49cab6fbe03176d41a1"
	    "da86cbfe24a16580e22aaad928d960d0" RFC_TAIL("SHA-512-256"));
	digest_case("SHA-512-256-sess", RFC_FIELD("SHA-512-256-sess", "auth"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth, response=\"3f2a34f923c38b0fb26dce2fdfc2ce32"
	    "6c23cecf86fbb1444f3e51fbbc2cb92e" RFC_TAIL("SHA-512-256-sess"));
	digest_case("SHA-256-sess", RFC_FIELD("sha-256-SESS", "auth"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth, response=\"2fd51b3a77ad75bad6afad6003e818d7"
	    "67133c46d9e2749e7f5232ae1ea3efd7" RFC_TAIL("SHA-256-sess"));
	digest_case("MD5-sess", RFC_FIELD("MD5-sess", "auth"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth, response=\"e783283f46242139c486a698fec7211d"
	    RFC_TAIL("MD5-sess"));
	digest_case("auth-int over an empty body", RFC_FIELD("MD5", "auth-int"),
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    RFC_HEAD "qop=auth-int, response=\"8804a53d3640a40a4f73cea12c5ba451"
	    RFC_TAIL("MD5"));
	/* userhash (RFC 7616 §3.4.4): H(user:realm) as the username. */
	digest_case("userhash SHA-256",
	    RFC_FIELD("SHA-256", "auth") ", userhash=true",
	    "Mufasa", "Circle of Life", "GET", "/dir/index.html", R_CNONCE,
	    "Digest username=\"a947aad205e80e429958a387394944c6b496301e79f89d3"
	    "5a4cc23b6ee12b5b6\", realm=\"" R_REALM "\", nonce=\"" R_NONCE
	    "\", uri=\"/dir/index.html\", cnonce=\"" R_CNONCE "\", "
	    "nc=00000001, qop=auth, response=\"753927fa0e85d155564e2e272a28d1"
	    "802ca10daf4496794697cf8db5856cb6c1" RFC_TAIL("SHA-256")
	    ", userhash=true");
	/* curl test 206: RFC 2617 server without qop, CONNECT. */
	digest_case("no qop: RFC 2617 formula (curl test 206)",
	    "Digest realm=\"weirdorealm\", nonce=\"12345\"", "silly", "person",
	    "CONNECT", "test.remote.haxx.se.206:8990", "unused",
	    "Digest username=\"silly\", realm=\"weirdorealm\", nonce=\"12345\""
	    ", uri=\"test.remote.haxx.se.206:8990\", "
	    "response=\"003e36decb4dbf6366b3ecb9b87c24ec\"");
	/* '"' and '\' escaped on the wire, raw in the hash. */
	digest_case("quoted values escaped",
	    "Digest realm=\"r\", nonce=\"n\", qop=auth", "a\"b\\c", "p",
	    "CONNECT", "h:1", "000102030405060708090a0b0c0d0e0f",
	    "Digest username=\"a\\\"b\\\\c\", realm=\"r\", nonce=\"n\", "
	    "uri=\"h:1\", cnonce=\"000102030405060708090a0b0c0d0e0f\", "
	    "nc=00000001, qop=auth, "
	    "response=\"bdaae64d0ea54a5f32eabb9d74bc87ee\"");
}

static void
test_digest_usable(void)
{
	static const struct {
		const char	*field;
		int		 ok;
		int		 alg, sess, qop, stale, userhash;
	} v[] = {
		{ "Digest nonce=x", 1, DIGEST_MD5, 0, DIGEST_QOP_NONE, 0, 0 },
		{ "Digest nonce=x, algorithm=\"MD5\", qop=\"auth-int,auth\"",
		  1, DIGEST_MD5, 0, DIGEST_QOP_AUTH, 0, 0 },
		{ "Digest nonce=x, qop=\"auth-int\", stale=TRUE, userhash=true",
		  1, DIGEST_MD5, 0, DIGEST_QOP_AUTH_INT, 1, 1 },
		{ "Digest nonce=x, qop=auth, stale=false",
		  1, DIGEST_MD5, 0, DIGEST_QOP_AUTH, 0, 0 },
		{ "Digest nonce=x, qop=auth, algorithm=SHA-512-256-sess",
		  1, DIGEST_SHA512_256, 1, DIGEST_QOP_AUTH, 0, 0 },
		{ "Digest nonce=x, charset=UTF-8, qop=auth",
		  1, DIGEST_MD5, 0, DIGEST_QOP_AUTH, 0, 0 },
		{ "Digest nonce=x, algorithm=SHA-1", 0, 0, 0, 0, 0, 0 },
		{ "Digest nonce=x, algorithm=foo", 0, 0, 0, 0, 0, 0 },
		{ "Digest nonce=x, qop=\"foo\"", 0, 0, 0, 0, 0, 0 },
		{ "Digest nonce=x, algorithm=MD5-sess", 0, 0, 0, 0, 0, 0 },
		{ "Digest realm=x", 0, 0, 0, 0, 0, 0 },
		{ "Digest nonce=\"\"", 0, 0, 0, 0, 0, 0 },
		{ "Digest ,,,,", 0, 0, 0, 0, 0, 0 },
		{ "Digest abc==", 0, 0, 0, 0, 0, 0 },
	};
	struct challenge_set cs;
	struct digest_info di;
	size_t i;
	int r;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		r = auth_digest_usable(one(&cs, v[i].field), &di);
		is_int(r == 0, v[i].ok, "usable? %s", v[i].field);
		if (r == 0 && v[i].ok)
			ok((int)di.alg == v[i].alg && di.sess == v[i].sess &&
			    (int)di.qop == v[i].qop && di.stale == v[i].stale &&
			    di.userhash == v[i].userhash,
			    "digest info of %s", v[i].field);
		challenge_free(&cs);
	}
}

static void
test_ntlm_vectors(void)
{
	unsigned char owf[16], srv[8], cli[8], ts[8] = { 0 }, ti[64], lm[24];
	size_t tilen;
	struct buf nt;

	/* MS-NLMP §4.2.4.1.1 */
	is_int(auth_ntlm_ntowfv2("User", "Domain", "Password", owf), AUTH_OK,
	    "NTOWFv2 ok");
	is_str(hex(owf, 16), "0c868a403bfd7a93a3001ef22ef02e3f",
	    "NTOWFv2 MS-NLMP §4.2.4.1.1");
	auth_ntlm_ntowfv2("user", "Domain", "Password", owf);
	is_str(hex(owf, 16), "0c868a403bfd7a93a3001ef22ef02e3f",
	    "NTOWFv2 upper-cases the user");
	auth_ntlm_ntowfv2("User", "domain", "Password", owf);
	ok(strcmp(hex(owf, 16), "0c868a403bfd7a93a3001ef22ef02e3f") != 0,
	    "NTOWFv2 keeps the domain's case");

	auth_ntlm_ntowfv2("User", "Domain", "Password", owf);
	unhex("0123456789abcdef", srv);
	memset(cli, 0xaa, sizeof(cli));
	tilen = unhex(NLMP_TI, ti);
	buf_init(&nt, 4096);
	is_int(auth_ntlm_v2(owf, srv, cli, ts, ti, tilen, &nt, lm), AUTH_OK,
	    "NTLMv2 ok");
	is_str(hex(nt.data, 16), "68cd0ab851e51c96aabc927bebef6a1c",
	    "NTProofStr MS-NLMP §4.2.4.2.2");
	is_str(hex(nt.data, nt.len), "68cd0ab851e51c96aabc927bebef6a1c"
	    "0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
	    NLMP_TI "00000000", "NtChallengeResponse MS-NLMP §4.2.4.2.2");
	is_str(hex(lm, 24), "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
	    "LMv2 MS-NLMP §4.2.4.2.1");
	buf_free(&nt);
}

/* A Type 2 message: flags, challenge, target name and target info. */
static size_t
make_type2(unsigned char *m, uint32_t flags, const unsigned char *ti,
    size_t tilen)
{
	static const unsigned char name[] = "S\0e\0r\0v\0e\0r\0";
	size_t off;

	memset(m, 0, 56);
	memcpy(m, "NTLMSSP", 8);
	m[8] = 2;
	m[12] = 12;
	m[14] = 12;
	m[16] = 56;
	m[20] = (unsigned char)flags;
	m[21] = (unsigned char)(flags >> 8);
	m[22] = (unsigned char)(flags >> 16);
	m[23] = (unsigned char)(flags >> 24);
	unhex("0123456789abcdef", m + 24);
	m[40] = (unsigned char)tilen;
	m[41] = (unsigned char)(tilen >> 8);
	m[42] = (unsigned char)tilen;
	m[43] = (unsigned char)(tilen >> 8);
	off = 56 + 12;
	m[44] = (unsigned char)off;
	m[45] = (unsigned char)(off >> 8);
	memcpy(m + 48, "\x06\x00\x70\x17\x00\x00\x00\x0f", 8);
	memcpy(m + 56, name, 12);
	memcpy(m + off, ti, tilen);
	return off + tilen;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Security buffer of a Type 3 at hdr: its bytes as hex. */
static const char *
field3(const unsigned char *m, size_t mlen, size_t hdr)
{
	size_t len = (size_t)(m[hdr] | m[hdr + 1] << 8);
	size_t off = le32(m + hdr + 4);

	if (off > mlen || len > mlen - off)
		return "(out of bounds)";
	return hex(m + off, len);
}

static void
test_ntlm_type3(void)
{
	unsigned char ti[256], m[512], t3[1024];
	struct buf b64, out;
	struct cred c;
	size_t tilen, mlen, t3len;

	c.user = "Domain\\User";
	c.pass = "Password";
	tilen = unhex(NLMP_TI, ti);
	mlen = make_type2(m, 0xe28a8233U, ti, tilen);
	buf_init(&b64, 4096);
	buf_init(&out, OUT_MAX);
	auth_base64_encode(&b64, m, mlen);

	/* Client challenge aa..aa, FILETIME 0, as in MS-NLMP §4.2.4. */
	rnd_seq = 0;
	rnd_byte = 0xaa;
	clock_now = -11644473600LL;
	is_int(auth_ntlm_type3(b64.data, &c, &env, &out), AUTH_OK,
	    "Type 3 built");
	ok(strncmp(out.data, "NTLM ", 5) == 0, "Type 3 has the scheme");
	ok(auth_base64_decode(out.data + 5, out.len - 5, t3, sizeof(t3),
	    &t3len) == 0, "Type 3 is base64");
	ok(t3len >= 64 && memcmp(t3, "NTLMSSP", 8) == 0 && le32(t3 + 8) == 3,
	    "Type 3 signature and type");
	is_str(field3(t3, t3len, 12),
	    "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa",
	    "Type 3 carries LMv2 of MS-NLMP §4.2.4.2.1");
	is_str(field3(t3, t3len, 20), "68cd0ab851e51c96aabc927bebef6a1c"
	    "0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
	    NLMP_TI "00000000", "Type 3 carries the §4.2.4.2.2 NTLMv2 response");
	is_str(field3(t3, t3len, 28), "44006f006d00610069006e00",
	    "Type 3 domain in UTF-16LE");
	is_str(field3(t3, t3len, 36), "5500730065007200",
	    "Type 3 user in UTF-16LE, case kept");
	is_str(field3(t3, t3len, 44), "", "Type 3 workstation empty");
	ok((le32(t3 + 60) & 0x00000203U) == 0x00000201U,
	    "Type 3 flags: NTLM and UNICODE, not OEM");

	/* user@domain splits the same way. */
	c.user = "User@Domain";
	buf_reset(&out);
	auth_ntlm_type3(b64.data, &c, &env, &out);
	auth_base64_decode(out.data + 5, out.len - 5, t3, sizeof(t3), &t3len);
	is_str(field3(t3, t3len, 20), "68cd0ab851e51c96aabc927bebef6a1c"
	    "0101000000000000" "0000000000000000" "aaaaaaaaaaaaaaaa" "00000000"
	    NLMP_TI "00000000", "user@domain gives the same response");

	/* OEM chosen by the proxy: names as bytes. */
	buf_reset(&b64);
	mlen = make_type2(m, 0x00808202U, ti, tilen);
	auth_base64_encode(&b64, m, mlen);
	buf_reset(&out);
	auth_ntlm_type3(b64.data, &c, &env, &out);
	auth_base64_decode(out.data + 5, out.len - 5, t3, sizeof(t3), &t3len);
	is_str(field3(t3, t3len, 36), "55736572", "OEM: user as bytes");
	ok((le32(t3 + 60) & 0x3U) == 0x2U, "OEM: flag OEM, not UNICODE");

	/* The proxy's MsvAvTimestamp is used, and LM is Z(24). */
	{
		unsigned char ti2[64];
		size_t n = 0;

		memcpy(ti2, "\x07\x00\x08\x00" "\x01\x02\x03\x04\x05\x06\x07\x08"
		    "\x00\x00\x00\x00", 16);
		n = 16;
		buf_reset(&b64);
		mlen = make_type2(m, 0xe28a8233U, ti2, n);
		auth_base64_encode(&b64, m, mlen);
		buf_reset(&out);
		clock_now = 1700000000;
		auth_ntlm_type3(b64.data, &c, &env, &out);
		auth_base64_decode(out.data + 5, out.len - 5, t3, sizeof(t3),
		    &t3len);
		is_str(field3(t3, t3len, 12), "000000000000000000000000000000"
		    "000000000000000000", "timestamp present: LM is Z(24)");
		ok(strncmp(field3(t3, t3len, 20) + 32 + 16,
		    "0102030405060708", 16) == 0,
		    "timestamp present: the proxy's is used");
	}
	/* Our clock otherwise: 2023-11-14T22:13:20Z as FILETIME. */
	buf_reset(&b64);
	mlen = make_type2(m, 0xe28a8233U, ti, tilen);
	auth_base64_encode(&b64, m, mlen);
	buf_reset(&out);
	clock_now = 1700000000;
	auth_ntlm_type3(b64.data, &c, &env, &out);
	auth_base64_decode(out.data + 5, out.len - 5, t3, sizeof(t3), &t3len);
	ok(strncmp(field3(t3, t3len, 20) + 32 + 16, "00006dc64717da01", 16) ==
	    0, "no timestamp: env->now() as FILETIME");

	rnd_fail = 1;
	buf_reset(&out);
	is_int(auth_ntlm_type3(b64.data, &c, &env, &out), AUTH_NOMEM,
	    "Type 3 without randomness fails");
	rnd_fail = 0;
	buf_free(&out);
	buf_free(&b64);
}

static void
put32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
test_ntlm_type2_hostile(void)
{
	unsigned char ti[64], base[256], *m, *big;
	struct ntlm_type2 t2;
	size_t tilen, mlen, bigti = 60 * 1024;

	tilen = unhex(NLMP_TI, ti);
	mlen = make_type2(base, 0xe28a8233U, ti, tilen);
	m = malloc(mlen);

#define RESET()	memcpy(m, base, mlen)
	RESET();
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_OK, "Type 2 sane");
	ok(t2.tilen == tilen && t2.ti == m + 68 && !t2.have_ts,
	    "Type 2 target info found");
	RESET();
	m[7] = 'X';
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "Type 2 bad signature");
	RESET();
	m[8] = 3;
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "Type 2 with type 3");
	RESET();
	is_int(auth_ntlm_parse_type2(m, 31, &t2), AUTH_BAD_CHALLENGE,
	    "Type 2 of 31 bytes");
	RESET();
	is_int(auth_ntlm_parse_type2(m, 40, &t2), AUTH_BAD_CHALLENGE,
	    "Type 2 claiming target info in 40 bytes");
	RESET();
	put32le(m + 44, 0xfffffff0U);
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "target info offset 0xFFFFFFF0");
	RESET();
	m[40] = (unsigned char)(mlen - 68 + 1);
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "target info length past the message");
	RESET();
	m[40] = 0xff;
	m[41] = 0xff;
	put32le(m + 44, 0xffffff00U);
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "target info offset + length wraps");
	RESET();
	put32le(m + 44, 16);
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "target info inside the header");
	RESET();
	/* squid's ntlm_fake_auth sends a bogus TargetName offset; the
	 * field is never read, so the message is still usable. */
	put32le(m + 16, 0xaaaaaaaeU);
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_OK,
	    "target name offset out of range: ignored, never read");
	RESET();
	m[68 + 2] = 0xff;		/* first AV pair claims 255 bytes */
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_BAD_CHALLENGE,
	    "AV pair longer than target info");
	RESET();
	m[40] = 2;			/* target info cut inside a pair header */
	is_int(auth_ntlm_parse_type2(m, mlen, &t2), AUTH_OK,
	    "AV walk stops at a short tail");
	free(m);

	/* 60 KiB of target info: refused, never copied. */
	big = calloc(1, 68 + bigti);
	make_type2(big, 0xe28a8233U, ti, 0);
	big[40] = (unsigned char)bigti;
	big[41] = (unsigned char)(bigti >> 8);
	is_int(auth_ntlm_parse_type2(big, 68 + bigti, &t2), AUTH_TOO_LONG,
	    "60 KiB target info refused");
	free(big);
#undef RESET
}

/* auth_next with fields given inline. */
static enum auth_rc
next(struct auth_state *st, const struct cred *c, struct buf *out, ...)
{
	const char *f[8];
	size_t n = 0;
	va_list ap;

	va_start(ap, out);
	while (n < 8 && (f[n] = va_arg(ap, const char *)) != NULL)
		n++;
	va_end(ap);
	return auth_next(st, f, n, c, "db.internal:5432", &env, out);
}

static void
new_state(struct auth_state *st, unsigned allowed)
{
	memset(st, 0, sizeof(*st));
	st->allowed = allowed;
}

/* The Type 2 of MS-NLMP §4.2.4, base64, as a challenge field. */
static void
type2_field(struct buf *f)
{
	unsigned char ti[64], m[256];
	size_t mlen;

	mlen = make_type2(m, 0xe28a8233U, ti, unhex(NLMP_TI, ti));
	buf_reset(f);
	buf_addstr(f, "NTLM ");
	auth_base64_encode(f, m, mlen);
}

#define TYPE1	"NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAgAAAAAAAAACAAAAA="

static void
test_loop(void)
{
	struct auth_state st;
	struct cred c = { "alice", "secret" }, nopass = { "alice", NULL };
	struct buf out, t2, big;
	const char *all[] = { "Basic realm=\"b\"", "Digest realm=\"proxy\", "
	    "nonce=\"abc\", qop=auth, algorithm=SHA-256", "NTLM" };
	size_t i;

	buf_init(&out, OUT_MAX);
	buf_init(&t2, OUT_MAX);
	rnd_seq = 1;

	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Newauth realm=\"apps\", type=1, "
	    "title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", NULL),
	    AUTH_OK, "Newauth + Basic: ok");
	is_str(out.data, "Basic YWxpY2U6c2VjcmV0", "Newauth + Basic: Basic");
	is_str(st.offered, "Newauth, Basic", "offered lists both");
	is_str(st.realm, "simple", "realm of the chosen challenge");
	is_int(st.scheme, AUTH_BASIC, "scheme in progress");
	is_int(next(&st, &c, &out, "Basic realm=\"simple\"", NULL),
	    AUTH_REJECTED, "Basic tried twice: rejected");
	ok(out.len == 0, "rejected: nothing to send");
	is_int(st.scheme, AUTH_BASIC, "rejected: scheme named");
	is_str(st.realm, "simple", "rejected: realm named");

	new_state(&st, AUTH_BUILTIN);
	is_int(auth_next(&st, all, 3, &c, "db.internal:5432", &env, &out),
	    AUTH_OK, "all offered: ok");
	is_str(out.data, TYPE1, "all offered: NTLM Type 1 (curl's + UNICODE)");
	is_str(st.offered, "Basic, Digest, NTLM", "all offered: offered");

	new_state(&st, AUTH_BASIC | AUTH_DIGEST);
	is_int(auth_next(&st, all, 3, &c, "db.internal:5432", &env, &out),
	    AUTH_OK, "no NTLM allowed: ok");
	is_str(out.data, "Digest username=\"alice\", realm=\"proxy\", "
	    "nonce=\"abc\", uri=\"db.internal:5432\", "
	    "cnonce=\"000102030405060708090a0b0c0d0e0f\", nc=00000001, "
	    "qop=auth, response=\"935b13de8ae81a5803ed0806503e2502ab4db173"
	    "da1fa1c93faacd802decc23a\", algorithm=SHA-256",
	    "no NTLM allowed: Digest SHA-256 for CONNECT, cnonce from env");
	is_str(st.realm, "proxy", "Digest realm");

	new_state(&st, AUTH_BASIC);
	is_int(auth_next(&st, all, 3, &c, "db.internal:5432", &env, &out),
	    AUTH_OK, "--auth basic: ok");
	ok(strncmp(out.data, "Basic ", 6) == 0, "--auth basic: Basic sent");
	is_str(st.realm, "b", "--auth basic: its realm");

	/* Among Digest challenges the strongest algorithm wins. */
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Digest nonce=1, qop=auth",
	    "Digest nonce=2, qop=auth, algorithm=SHA-512-256-sess",
	    "Digest nonce=3, qop=auth, algorithm=SHA-256", NULL), AUTH_OK,
	    "three Digests: ok");
	ok(strstr(out.data, "algorithm=SHA-512-256-sess") != NULL &&
	    strstr(out.data, "nonce=\"2\"") != NULL,
	    "three Digests: SHA-512-256 chosen");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Digest nonce=1, algorithm=SHA-1",
	    "Digest nonce=2, algorithm=MD5", NULL), AUTH_OK,
	    "unknown algorithm skipped: ok");
	ok(strstr(out.data, "nonce=\"2\"") != NULL,
	    "unknown algorithm skipped: MD5 used");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Digest nonce=1, algorithm=SHA-1", NULL),
	    AUTH_NO_SCHEME, "only an unknown algorithm: no scheme");

	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, NULL), AUTH_NO_CHALLENGE,
	    "no fields: no challenge");
	is_int(next(&st, &c, &out, " , ", NULL), AUTH_NO_CHALLENGE,
	    "empty field: no challenge");

	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Negotiate", NULL), AUTH_NO_SCHEME,
	    "only Negotiate: no scheme");
	is_str(st.offered, "Negotiate", "only Negotiate: offered named");
	new_state(&st, AUTH_NTLM);
	is_int(next(&st, &c, &out, "Basic realm=x", NULL), AUTH_NO_SCHEME,
	    "Basic not allowed: no scheme");

	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, NULL, &out, "Basic realm=\"corp\"", "NTLM", NULL),
	    AUTH_NO_CREDENTIALS, "no credentials");
	is_str(st.offered, "Basic, NTLM", "no credentials: offered filled");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &nopass, &out, "Basic realm=\"corp\"", NULL),
	    AUTH_NO_CREDENTIALS, "no password: no credentials");
	is_str(st.realm, "corp", "no credentials: realm filled");
	ok(st.tried == 0, "no credentials: nothing counted as tried");

	/* NTLM: Type 1, Type 2 → Type 3, then a 407 is a rejection. */
	type2_field(&t2);
	rnd_seq = 0;
	rnd_byte = 0xaa;
	clock_now = -11644473600LL;
	c.user = "Domain\\User";
	c.pass = "Password";
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "NTLM", "Basic realm=x", NULL), AUTH_OK,
	    "NTLM step 1 ok");
	is_str(out.data, TYPE1, "NTLM step 1: Type 1");
	ok(auth_needs_same_connection(&st), "NTLM step 1: same connection");
	is_int(next(&st, &c, &out, t2.data, NULL), AUTH_OK, "NTLM step 2 ok");
	ok(strncmp(out.data, "NTLM TlRMTVNTUAADAAAA", 21) == 0,
	    "NTLM step 2: Type 3");
	ok(!auth_needs_same_connection(&st), "NTLM step 2: exchange done");
	is_int(next(&st, &c, &out, "NTLM", "Basic realm=x", NULL),
	    AUTH_REJECTED, "NTLM step 3: rejected");
	is_int(st.scheme, AUTH_NTLM, "NTLM rejected: scheme named");
	auth_connection_reset(&st);
	is_int(next(&st, &c, &out, "NTLM", NULL), AUTH_REJECTED,
	    "reset after Type 3 buys no new try");

	/* The connection went away between Type 1 and Type 3. */
	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "NTLM", NULL);
	auth_connection_reset(&st);
	ok(!auth_needs_same_connection(&st), "reset: no exchange pending");
	is_int(next(&st, &c, &out, t2.data, NULL), AUTH_OK,
	    "reset: restarts ok");
	is_str(out.data, TYPE1, "reset: restarts from Type 1");
	is_int(next(&st, &c, &out, t2.data, NULL), AUTH_OK,
	    "reset: then Type 3");
	ok(strncmp(out.data, "NTLM TlRMTVNTUAADAAAA", 21) == 0,
	    "reset: Type 3 on the new connection");

	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "NTLM", NULL);
	is_int(next(&st, &c, &out, "NTLM", NULL), AUTH_REJECTED,
	    "no Type 2 after Type 1: rejected");
	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "NTLM", NULL);
	is_int(next(&st, &c, &out, "NTLM !!!!", NULL), AUTH_BAD_CHALLENGE,
	    "Type 2 not base64: bad challenge");
	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "NTLM", NULL);
	is_int(next(&st, &c, &out, "NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAgAAAAAAAAA"
	    "CAAAAA=", NULL), AUTH_BAD_CHALLENGE, "Type 1 as Type 2: bad");
	ok(out.len == 0, "bad Type 2: nothing to send");
	/* 60 KiB of target info: about 80 KiB of base64, over our bounds. */
	buf_init(&big, 256 * 1024);
	buf_addstr(&big, "NTLM ");
	for (i = 0; i < 80 * 1024; i++)
		buf_add(&big, "A", 1);
	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "NTLM", NULL);
	is_int(next(&st, &c, &out, big.data, NULL), AUTH_TOO_LONG,
	    "80 KiB Type 2: too long");

	/* Digest stale=true: one more try with the new nonce, no more. */
	c.user = "alice";
	c.pass = "secret";
	rnd_seq = 1;
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Digest realm=r, nonce=n1, qop=auth",
	    NULL), AUTH_OK, "Digest first try");
	is_int(next(&st, &c, &out, "Digest realm=r, nonce=n2, qop=auth, "
	    "stale=true", NULL), AUTH_OK, "stale=true: retried");
	ok(strstr(out.data, "nonce=\"n2\"") != NULL &&
	    strstr(out.data, "nc=00000001") != NULL,
	    "stale=true: new nonce, count restarts");
	ok(st.stale_used, "stale retry spent");
	is_int(next(&st, &c, &out, "Digest realm=r, nonce=n3, qop=auth, "
	    "stale=true", NULL), AUTH_REJECTED, "stale=true again: rejected");
	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "Digest realm=r, nonce=n1, qop=auth", NULL);
	is_int(next(&st, &c, &out, "Digest realm=r, nonce=n2, qop=auth, "
	    "stale=false", NULL), AUTH_REJECTED, "stale=false: rejected");
	new_state(&st, AUTH_BUILTIN);
	next(&st, &c, &out, "Digest realm=r, nonce=n1, qop=auth", NULL);
	is_int(next(&st, &c, &out, "Basic realm=r", NULL), AUTH_REJECTED,
	    "no fallback from Digest to Basic");

	/* Malformed or unusable challenges. */
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Basic realm=\"unterminated", NULL),
	    AUTH_BAD_CHALLENGE, "only a malformed Basic: bad challenge");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Basic realm=\"a\", realm=\"b\"",
	    "Digest realm=x", NULL), AUTH_BAD_CHALLENGE,
	    "duplicate param: bad challenge");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Basic \"oh please\"", "Digest nonce=1",
	    NULL), AUTH_OK, "malformed Basic, usable Digest: Digest");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "\"Basic\" realm=x", NULL),
	    AUTH_BAD_CHALLENGE, "garbage field: bad challenge");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Digest realm=x", NULL), AUTH_NO_SCHEME,
	    "Digest without nonce: no scheme");
	buf_reset(&big);
	buf_addstr(&big, "Digest qop=auth, nonce=\"");
	for (i = 0; i < 64 * 1024; i++)
		buf_add(&big, "n", 1);
	buf_addstr(&big, "\"");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, big.data, NULL), AUTH_NO_SCHEME,
	    "64 KiB nonce: skipped, no scheme");
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, big.data, "Basic realm=x", NULL), AUTH_OK,
	    "64 KiB nonce: Basic used instead");

	/* What reaches messages is printable and bounded. */
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, "Basic realm=\"\x1b[31mred\"", NULL),
	    AUTH_BAD_CHALLENGE, "ESC in a realm: malformed");
	next(&st, &c, &out, "Basic realm=\"caf\xc3\xa9 \\\\\"", NULL);
	is_str(st.realm, "caf\\xc3\\xa9 \\\\", "realm escaped");
	buf_reset(&big);
	for (i = 0; i < 40; i++)
		buf_printf(&big, "%sScheme%02zuWithAVeryLongName", i ? ", " : "",
		    i);
	new_state(&st, AUTH_BUILTIN);
	is_int(next(&st, &c, &out, big.data, NULL), AUTH_NO_SCHEME,
	    "forty unknown schemes: no scheme");
	ok(strlen(st.offered) < sizeof(st.offered) &&
	    strcmp(st.offered + strlen(st.offered) - 3, "...") == 0,
	    "offered truncated with ...: %s", st.offered);

	/* The caller's ceiling on the header value holds. */
	{
		struct buf small;

		buf_init(&small, 10);
		new_state(&st, AUTH_BUILTIN);
		is_int(next(&st, &c, &small, "Basic", NULL), AUTH_TOO_LONG,
		    "out too small: too long");
		buf_free(&small);
	}
	/* A 2 KiB password is over AUTH_CRED_MAX. */
	{
		char *p = malloc(AUTH_CRED_MAX + 2);

		memset(p, 'p', AUTH_CRED_MAX + 1);
		p[AUTH_CRED_MAX + 1] = '\0';
		c.pass = p;
		new_state(&st, AUTH_BUILTIN);
		is_int(next(&st, &c, &out, "Basic", NULL), AUTH_TOO_LONG,
		    "over-long password: too long");
		free(p);
	}
	buf_free(&big);
	buf_free(&t2);
	buf_free(&out);
}

int
main(void)
{
	test_parse_list();
	test_base64();
	test_md4();
	test_basic();
	test_digest_vectors();
	test_digest_usable();
	test_ntlm_vectors();
	test_ntlm_type3();
	test_ntlm_type2_hostile();
	test_loop();
	return done_testing();
}
