/*
 * Every PAC function through pac_eval_here(), in this process: a fixed
 * clock, a stub resolver that counts its calls, a fixed time zone.  The
 * date and time functions are checked at a moment where local time and GMT
 * fall on different days, months and years, and with ranges that wrap.
 * The JavaScript ones are skipped (one TAP skip line) in a PAC=0 build or
 * when Duktape cannot be loaded.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pac.h"
#include "pacjs.h"
#include "pacmatch.h"
#include "pacrun.h"
#include "pacstate.h"
#include "tap.h"

#define SCRIPT_MAX	4096

/*
 * Tuesday 2024-12-31 23:30:00 GMT; with TZ XST-2 the local time is
 * Wednesday 2025-01-01 01:30:00.
 */
#define NOW_MS		INT64_C(1735687800000)
#define LOCAL_TZ	"XST-2"

static int lookups;

static const struct {
	const char	*host;
	const char	*v4;		/* AF_INET; NULL: none */
	const char	*all;		/* AF_UNSPEC; NULL: none */
} names[] = {
	{ "www.corp.test", "10.1.2.3", "10.1.2.3" },
	{ "v6.test", "10.1.2.4", "2001:db8::5;10.1.2.4" },
	{ "only6.test", NULL, "2001:db8::6" },
};

static int
stub_resolve(const char *host, int family, char *out, size_t outlen)
{
	const char *a;
	size_t i;

	lookups++;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].host, host) != 0)
			continue;
		a = family == AF_INET ? names[i].v4 : names[i].all;
		if (a == NULL)
			return -1;
		snprintf(out, outlen, "%s", a);
		return 0;
	}
	return -1;
}

static enum pac_rc last_rc;
static int code_job;		/* run_script's jobs keep their code */

/* The script run with the fixed clock; its answer or "ERROR: reason". */
static const char *
run_script(const char *script, const char *route)
{
	static char out[PAC_ANSWER_MAX];
	struct pac_job j;

	memset(&j, 0, sizeof(j));
	j.script = script;
	j.len = strlen(script);
	j.name = "t_pac";
	j.url = "https://h.test:22/";
	j.host = "h.test";
	j.route = route;
	j.now = NOW_MS;
	j.resolve = stub_resolve;
	j.keep_code = code_job;
	if ((last_rc = pac_eval_here(&j, out, sizeof(out))) != PAC_OK) {
		memmove(out + 7, out, strlen(out) + 1 > sizeof(out) - 7 ?
		    sizeof(out) - 8 : strlen(out) + 1);
		memcpy(out, "ERROR: ", 7);
		out[sizeof(out) - 1] = '\0';
	}
	return out;
}

/* The value of a JavaScript expression, as String() makes it. */
static const char *
js(const char *expr)
{
	char script[SCRIPT_MAX];

	snprintf(script, sizeof(script),
	    "function FindProxyForURL(url, host) { return String(%s); }", expr);
	return run_script(script, "127.0.0.1");
}

static const struct jcase {
	const char	*expr;
	const char	*want;
} plain[] = {
	{ "isPlainHostName('www')", "true" },
	{ "isPlainHostName('www.corp.test')", "false" },
	{ "isPlainHostName('2001:db8::1')", "false" },
	{ "dnsDomainIs('www.corp.test', '.corp.test')", "true" },
	{ "dnsDomainIs('WWW.Corp.Test', '.corp.test')", "true" },
	{ "dnsDomainIs('evilcorp.test', '.corp.test')", "false" },
	{ "dnsDomainIs('www', '.corp.test')", "false" },
	{ "localHostOrDomainIs('www', 'www.corp.test')", "true" },
	{ "localHostOrDomainIs('www.corp.test', 'www.corp.test')", "true" },
	{ "localHostOrDomainIs('www.other.test', 'www.corp.test')", "false" },
	{ "localHostOrDomainIs('home', 'www.corp.test')", "false" },
	{ "dnsDomainLevels('www')", "0" },
	{ "dnsDomainLevels('www.corp.test')", "2" },
	{ "shExpMatch('a.corp.test', '*.corp.test')", "true" },
	{ "shExpMatch('corp.test', '*.corp.test')", "false" },
	{ "shExpMatch('a.b', 'a?b')", "true" },
	{ "shExpMatch('axxb', 'a?b')", "false" },
	{ "shExpMatch('axb', 'a.b')", "false" },
	{ "shExpMatch('a+b', 'a+b')", "true" },
	{ "shExpMatch('aab', 'a+b')", "false" },
	{ "shExpMatch('(x)[y]', '(x)[y]')", "true" },
	{ "shExpMatch('2001:db8::1', '2001:db8:*')", "true" },
	{ "shExpMatch('abc', '*')", "true" },
	{ "shExpMatch('', '*')", "true" },
	{ "shExpMatch('', '')", "true" },
	{ "shExpMatch('a', '')", "false" },
	{ "shExpMatch('', '?')", "false" },
	{ "shExpMatch('abc', '***')", "true" },
	{ "shExpMatch('abc', '*b*')", "true" },
	{ "shExpMatch('abc', '*d*')", "false" },
	{ "shExpMatch('abcab', '*ab')", "true" },
	{ "shExpMatch('abcac', '*ab')", "false" },
	{ "shExpMatch('abcab', 'a*b*a*b')", "true" },
	{ "shExpMatch('abcb', 'a*b*a*b')", "false" },
	{ "shExpMatch('ab', '?*?')", "true" },
	{ "shExpMatch('a', '?*?')", "false" },
	{ "shExpMatch('mississippi', 'm*iss*ppi')", "true" },
	{ "shExpMatch('mississippi', 'm*iss*ipi')", "false" },
	{ "shExpMatch('ABC', 'abc')", "false" },
	{ "shExpMatch('abc', 'a?C')", "false" },
	{ "shExpMatch('abc', 'abc*x')", "false" },
	{ "shExpMatch('a.b.c', '*.c')", "true" },
	{ "shExpMatch('abc', 'a.c')", "false" },
	{ "shExpMatch('a^b$c', 'a^b$c')", "true" },
	{ "shExpMatch('a{2}', 'a{2}')", "true" },
	{ "shExpMatch('aa', 'a{2}')", "false" },
	{ "shExpMatch('a|b', 'a|b')", "true" },
	{ "shExpMatch('a', 'a|b')", "false" },
	{ "shExpMatch('b', '[ab]')", "false" },
	{ "shExpMatch('[ab]', '[ab]')", "true" },
	{ "shExpMatch('a\\\\d', 'a\\\\d')", "true" },
	{ "shExpMatch('a1', 'a\\\\d')", "false" },
	{ "shExpMatch('/x/', '/*/')", "true" },
	{ "shExpMatch('a(b', 'a(*')", "true" },
	{ "shExpMatch('a-z', '[a-z]')", "false" },
	{ "shExpMatch('\\u00e9t\\u00e9', '?t?')", "true" },
	{ "shExpMatch('\\u00e9', '?\?')", "false" },
	{ "shExpMatch('\\u00e9t\\u00e9', '*\\u00e9')", "true" },
	{ "shExpMatch('\\u20ac', '\\u20ac')", "true" },
	{ "shExpMatch('\\ud83d\\ude00', '?')", "false" },
	{ "shExpMatch('\\ud83d\\ude00', '?\?')", "true" },
	{ "shExpMatch('x\\ud83d\\ude00', 'x*')", "true" },
	{ "shExpMatch('a\\nb', 'a*b')", "false" },
	{ "shExpMatch('a\\nb', 'a?b')", "false" },
	{ "shExpMatch('a\\rb', '*')", "false" },
	{ "shExpMatch('a\\u2028b', 'a*')", "false" },
	{ "shExpMatch('a\\nb', 'a\\nb')", "true" },
	{ "shExpMatch('xa\\nby', '*a\\nb*')", "true" },
	{ "shExpMatch('xa\\nby\\nz', '*\\n*')", "false" },
	{ "shExpMatch('a\\u0000b', 'a?b')", "true" },
	{ "shExpMatch('a\\u0000b', 'a')", "false" },
	{ "shExpMatch(12345, '12*5')", "true" },
	{ "shExpMatch(null, 'n?ll')", "true" },
	{ "shExpMatch('undefined')", "true" },
	{ "shExpMatch('ab', { toString: function () { return 'a*'; } })", "true" },
	/* Native: a RegExp per call made a big PAC slow (bench "pac"). */
	{ "/\\[native code\\]/.test(String(shExpMatch))", "true" },
	{ "convert_addr('10.1.2.3')", "167838211" },
	{ "convert_addr('255.255.255.255')", "4294967295" },
	{ "dnsResolve('www.corp.test')", "10.1.2.3" },
	{ "dnsResolve('v6.test')", "10.1.2.4" },
	{ "dnsResolve('only6.test')", "null" },
	{ "dnsResolve('nx.test')", "null" },
	{ "isResolvable('www.corp.test')", "true" },
	{ "isResolvable('only6.test')", "false" },
	{ "isResolvable('nx.test')", "false" },
	{ "isInNet('www.corp.test', '10.0.0.0', '255.0.0.0')", "true" },
	{ "isInNet('10.1.2.3', '10.1.0.0', '255.255.0.0')", "true" },
	{ "isInNet('10.2.2.3', '10.1.0.0', '255.255.0.0')", "false" },
	{ "isInNet('10.2.2.3', '0.0.0.0', '0.0.0.0')", "true" },
	{ "isInNet('nx.test', '0.0.0.0', '0.0.0.0')", "false" },
	{ "dnsResolveEx('v6.test')", "2001:db8::5;10.1.2.4" },
	{ "dnsResolveEx('only6.test')", "2001:db8::6" },
	{ "dnsResolveEx('nx.test')", "" },
	{ "isResolvableEx('only6.test')", "true" },
	{ "isResolvableEx('nx.test')", "false" },
	{ "isInNetEx('2001:db8::1', '2001:db8::/32')", "true" },
	{ "isInNetEx('2001:db9::1', '2001:db8::/32')", "false" },
	{ "isInNetEx('2001:db8::1', '::/0')", "true" },
	{ "isInNetEx('2001:db8::1', '2001:db8::1/128')", "true" },
	{ "isInNetEx('2001:db8::1', '2001:db8::/129')", "false" },
	{ "isInNetEx('10.1.2.3', '10.0.0.0/8')", "true" },
	{ "isInNetEx('10.1.2.3', '10.1.2.2/31')", "true" },
	{ "isInNetEx('10.1.2.3', '10.1.2.4/31')", "false" },
	{ "isInNetEx('10.1.2.3', '2001:db8::/32')", "false" },
	{ "isInNetEx('10.1.2.3', '10.0.0.0')", "false" },
	{ "isInNetEx('10.1.2.3', '10.0.0.0/x')", "false" },
	{ "sortIpAddressList('10.0.0.10;2001:db8::2;10.0.0.9;2001:db8::1')",
	    "2001:db8::1;2001:db8::2;10.0.0.9;10.0.0.10" },
	{ "sortIpAddressList('10.0.0.1')", "10.0.0.1" },
	{ "sortIpAddressList('x;10.0.0.1')", "false" },
	{ "sortIpAddressList('')", "false" },
	{ "getClientVersion()", "1.0" },
	{ "alert('hello')", "undefined" },
	{ "myIpAddress()", "127.0.0.1" },
};

/* At NOW_MS: GMT is TUE 2024-12-31 23:30, local WED 2025-01-01 01:30. */
static const struct jcase dated[] = {
	{ "weekdayRange('TUE', 'GMT')", "true" },
	{ "weekdayRange('tue', 'gmt')", "true" },
	{ "weekdayRange('TUE')", "false" },
	{ "weekdayRange('WED')", "true" },
	{ "weekdayRange('MON', 'WED')", "true" },
	{ "weekdayRange('MON', 'TUE')", "false" },
	{ "weekdayRange('SAT', 'TUE', 'GMT')", "true" },
	{ "weekdayRange('SAT', 'TUE')", "false" },
	{ "weekdayRange('FRI', 'MON', 'GMT')", "false" },
	{ "weekdayRange('XYZ')", "false" },
	{ "dateRange(31, 'GMT')", "true" },
	{ "dateRange(31)", "false" },
	{ "dateRange(1)", "true" },
	{ "dateRange('DEC', 'GMT')", "true" },
	{ "dateRange('JAN')", "true" },
	{ "dateRange(2024, 'GMT')", "true" },
	{ "dateRange(2025)", "true" },
	{ "dateRange(2024)", "false" },
	{ "dateRange('NOV', 'FEB')", "true" },
	{ "dateRange('NOV', 'FEB', 'GMT')", "true" },
	{ "dateRange('MAR', 'OCT')", "false" },
	{ "dateRange(15, 5, 'GMT')", "true" },
	{ "dateRange(2, 30)", "false" },
	{ "dateRange(1, 'DEC', 2024, 31, 'DEC', 2024, 'GMT')", "true" },
	{ "dateRange(1, 'DEC', 2024, 31, 'DEC', 2024)", "false" },
	{ "dateRange(20, 'DEC', 2024, 10, 'JAN', 2025)", "true" },
	{ "dateRange('DEC', 2024, 'JAN', 2025, 'GMT')", "true" },
	{ "dateRange('JAN', 2025, 'MAR', 2025, 'GMT')", "false" },
	{ "dateRange(1, 'DEC')", "false" },
	{ "timeRange(23, 'GMT')", "true" },
	{ "timeRange(23)", "false" },
	{ "timeRange(1)", "true" },
	{ "timeRange(22, 2)", "true" },
	{ "timeRange(22, 2, 'GMT')", "true" },
	{ "timeRange(0, 1)", "false" },
	{ "timeRange(1, 2)", "true" },
	{ "timeRange(1, 30, 1, 30)", "true" },
	{ "timeRange(1, 31, 2, 0)", "false" },
	{ "timeRange(23, 31, 0, 0, 'GMT')", "false" },
	{ "timeRange(23, 0, 0, 30, 'GMT')", "true" },
	{ "timeRange(23, 30, 0, 23, 30, 0, 'GMT')", "true" },
	{ "timeRange(23, 30, 1, 23, 59, 59, 'GMT')", "false" },
	{ "timeRange(1, 2, 3)", "false" },
};

/*
 * The matcher itself, in every build: what JavaScript cannot easily hand
 * it (bytes that are not UTF-8), and patterns that a backtracking RegExp
 * takes exponential time over.
 */
static void
test_shexp(void)
{
	static const struct {
		const char	*s, *p;
		size_t		 slen, plen;
		int		 want;
	} t[] = {
		{ "a\x80" "b", "a?b", 3, 3, 1 },		/* a stray byte: one */
		{ "a\xc3", "a?", 2, 2, 1 },		/* cut short: one */
		{ "\xc3\xa9", "?", 2, 1, 1 },
		{ "\xc3\xa9", "\xc3?", 2, 2, 0 },	/* not half of one */
		{ "\xf0\x9f\x98\x80", "?", 4, 1, 1 },
		{ "\xe2\x80\xa9", "*", 3, 1, 0 },	/* U+2029 */
		{ "\xe2\x80\xaa", "?", 3, 1, 1 },	/* U+202A is not */
		{ "a\0b", "a*", 3, 2, 1 },
		{ "x\r\ny", "x\r\ny", 4, 4, 1 },
		{ "x\r\ny", "x\ny", 4, 3, 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", 40, 34, 0 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
		    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", 40, 34, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(pac_shexp_match(t[i].s, t[i].slen, t[i].p, t[i].plen),
		    t[i].want, "pac_shexp_match case %zu", i);
}

static int
all_zero(const char *p, size_t n)
{
	while (n-- > 0)
		if (*p++ != '\0')
			return 0;
	return 1;
}

/* What the evaluator's child wipes: -U, -H, and the environment's. */
static void
test_forget(void)
{
	char user[] = "u:s3cret", hdr[] = "Proxy-Authorization: Basic czM=";
	char *hdrs[] = { hdr };
	struct cred_opts co;
	struct tunnel_cfg c;
	const char *pw, *url, *home;

	setenv("POSTERN_PROXY_PASSWORD", "s3cret", 1);
	setenv("https_proxy", "http://u:s3cret@proxy.test:3128", 1);
	pw = getenv("POSTERN_PROXY_PASSWORD");
	url = getenv("https_proxy");
	home = getenv("HOME");
	memset(&co, 0, sizeof(co));
	memset(&c, 0, sizeof(c));
	co.user_arg = user;
	c.creds = &co;
	c.headers = hdrs;
	c.nheaders = 1;
	pac_forget_secrets(&c);
	ok(all_zero(user, sizeof(user)), "forget: the -U copy is wiped");
	ok(all_zero(hdr, sizeof(hdr)), "forget: -H values are wiped");
	ok(all_zero(pw, 6), "forget: POSTERN_PROXY_PASSWORD is wiped");
	ok(all_zero(url, 31), "forget: a proxy URL variable is wiped");
	ok(home == NULL || home[0] == '/', "forget: other variables stay");
	unsetenv("POSTERN_PROXY_PASSWORD");
	unsetenv("https_proxy");
}

static void
run_table(const struct jcase *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		is_str(js(t[i].expr), t[i].want, "%s", t[i].expr);
}

/* A name asked for three times in one evaluation is looked up once; a
 * new evaluation asks again. */
static void
test_lookup_cache(void)
{
	lookups = 0;
	is_str(js("dnsResolve('www.corp.test') + isResolvable('www.corp.test')"
	    " + isInNet('www.corp.test', '10.0.0.0', '255.0.0.0')"),
	    "10.1.2.3truetrue", "three uses of one name");
	is_int(lookups, 1, "one lookup for them");
	lookups = 0;
	is_str(js("dnsResolveEx('nx.test') + dnsResolveEx('nx.test') + "
	    "dnsResolve('nx.test')"), "null", "a failed lookup is kept too");
	is_int(lookups, 2, "once per family");
}

static int
have_ipv6_loopback(void)
{
	struct sockaddr_in6 a;
	int fd, r;

	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) == -1)
		return 0;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_port = htons(9);
	a.sin6_addr = in6addr_loopback;
	r = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return r;
}

/* Toward the route when it is an address; else an address all the same. */
static void
test_my_address(void)
{
	const char *r;
	unsigned char a[16];

	r = run_script("function FindProxyForURL(u, h) "
	    "{ return myIpAddressEx(); }", "127.0.0.1");
	ok(strlen(r) > 10 && strcmp(r + strlen(r) - 10, ";127.0.0.1") == 0 ?
	    1 : strcmp(r, "127.0.0.1") == 0, "myIpAddressEx toward 127.0.0.1 "
	    "ends with it: %s", r);
	r = run_script("function FindProxyForURL(u, h) "
	    "{ return myIpAddress(); }", "h.test");
	ok(inet_pton(AF_INET, r, a) == 1, "myIpAddress toward a name is an "
	    "IPv4 address: %s", r);
	if (!have_ipv6_loopback()) {
		ok(1, "# SKIP no IPv6 loopback");
		return;
	}
	r = run_script("function FindProxyForURL(u, h) "
	    "{ return myIpAddressEx(); }", "::1");
	ok(strncmp(r, "::1;", 4) == 0 || strcmp(r, "::1") == 0,
	    "myIpAddressEx toward ::1 starts with it: %s", r);
}

/* alert() goes to the -v trace, escaped. */
static void
test_alert(void)
{
	char path[] = "/tmp/t_pac.XXXXXX", got[256];
	FILE *f;
	size_t n;
	int fd, saved;

	if ((fd = mkstemp(path)) == -1 || (saved = dup(2)) == -1) {
		ok(0, "alert: a temporary file");
		return;
	}
	unlink(path);
	fflush(stderr);
	dup2(fd, 2);
	log_verbosity = 1;
	js("alert('line\\none')");
	log_verbosity = 0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	is_str(got, "postern: PAC alert: line\\none\n", "alert at -v");
}

/* Whether the file at path holds the PAC functions' code. */
static int
is_utils_code(const char *path)
{
	char b[16384];
	size_t n = 0;
	FILE *f;

	if ((f = fopen(path, "r")) != NULL) {
		n = fread(b, 1, sizeof(b) - 1, f);
		fclose(f);
	}
	b[n] = '\0';
	return strstr(b, "var __postern_days") != NULL;
}

/*
 * The one code-* file of dir/postern (with utils, the PAC functions'
 * one, else any other) into path and b (-1: not one).
 */
static int
code_file_of(const char *dir, int utils, char *path, size_t len, char *b,
    size_t blen, size_t *got)
{
	char d[512], p[1024];
	struct dirent *e;
	DIR *dp;
	FILE *f;
	int n = 0;

	snprintf(d, sizeof(d), "%s/postern", dir);
	if ((dp = opendir(d)) == NULL)
		return -1;
	while ((e = readdir(dp)) != NULL) {
		snprintf(p, sizeof(p), "%s/%s", d, e->d_name);
		if (strncmp(e->d_name, "code-", 5) == 0 &&
		    is_utils_code(p) == utils && n++ == 0)
			snprintf(path, len, "%s", p);
	}
	closedir(dp);
	if (n != 1 || (f = fopen(path, "r")) == NULL)
		return -1;
	*got = fread(b, 1, blen, f);
	fclose(f);
	return 0;
}

static int
code_file(const char *dir, char *path, size_t len, char *b, size_t blen,
    size_t *got)
{
	return code_file_of(dir, 0, path, len, b, blen, got);
}

static void
put_file(const char *path, const char *b, size_t len)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fwrite(b, 1, len, f);
		fclose(f);
	}
}

/* The code at the end of a code file b of len bytes, or NULL. */
static const char *
code_part(const char *b, size_t len, size_t *clen)
{
	const char *p = strstr(b, "\ncode ");

	if (p == NULL || (*clen = strtoul(p + 6, NULL, 10)) == 0 ||
	    *clen > len)
		return NULL;
	return b + len - *clen;
}

/*
 * The PAC functions' code is kept as a PAC's is, and it is what runs:
 * other code stored under their source (with a valid check) answers.
 * dir holds their code file and no other.
 */
static void
test_utils_code(const char *dir)
{
	static const char x[] = "function FindProxyForURL(u, h) "
	    "{ return 'DIRECT'; }\nfunction __postern_call(u, h) "
	    "{ return 'RPROXY swapped:1'; }";
	char pu[1024], px[1024], fu[16384], fx[8192], key[256];
	const char *k, *code = NULL;
	size_t lu = 0, lx = 0, clen = 0, n;

	memset(fu, 0, sizeof(fu));
	memset(fx, 0, sizeof(fx));
	ok(code_file_of(dir, 1, pu, sizeof(pu), fu, sizeof(fu) - 1, &lu) ==
	    0, "code cache: the PAC functions' code kept");
	is_str(run_script(x, NULL), "DIRECT", "code cache: a script that "
	    "defines __postern_call");
	if ((k = strstr(fu, "\nkey ")) != NULL &&
	    (n = strcspn(k + 5, "\n")) < sizeof(key) &&
	    code_file(dir, px, sizeof(px), fx, sizeof(fx) - 1, &lx) == 0)
		code = code_part(fx, lx, &clen);
	if (code == NULL) {
		ok(0, "code cache: the functions' code replaced");
		return;
	}
	snprintf(key, sizeof(key), "%.*s", (int)n, k + 5);
	pac_code_store(key, pacjs_utils, strlen(pacjs_utils), code, clen);
	is_str(run_script("function FindProxyForURL(u, h) { return 'DIRECT'; }",
	    NULL), "PROXY swapped:1", "code cache: the PAC functions' kept "
	    "code is what runs");
	unlink(px);
	while (code_file_of(dir, 0, px, sizeof(px), fx, sizeof(fx), &lx) == 0)
		unlink(px);
	unlink(pu);
}

/*
 * The bytecode kept beside the cache (keep_code): written on the first
 * run, loaded on the next (B's code under A's source makes A answer as
 * B: it is the code that ran), recompiled when its check fails.
 */
static void
test_code_cache(void)
{
	static const char a[] = "function FindProxyForURL(u, h) "
	    "{ return 'PROXY a:1'; }";
	static const char b[] = "function FindProxyForURL(u, h) "
	    "{ return 'PROXY b:2'; }";
	char dir[] = "/tmp/t_pac.XXXXXX", pa[1024], pb[1024], fa[8192], fb[8192];
	char *src;
	size_t la = 0, lb = 0;
	int ok_files;

	if (mkdtemp(dir) == NULL) {
		ok(0, "code cache: a temporary directory");
		return;
	}
	setenv("XDG_CACHE_HOME", dir, 1);
	code_job = 1;
	is_str(run_script(b, NULL), "PROXY b:2", "code cache: B compiled");
	ok_files = code_file(dir, pb, sizeof(pb), fb, sizeof(fb), &lb) == 0;
	ok(ok_files, "code cache: B's code kept");
	unlink(pb);
	is_str(run_script(a, NULL), "PROXY a:1", "code cache: A compiled");
	ok_files = ok_files &&
	    code_file(dir, pa, sizeof(pa), fa, sizeof(fa), &la) == 0;
	ok(ok_files, "code cache: A's code kept");
	is_str(run_script(a, NULL), "PROXY a:1", "code cache: A loaded");
	/* B's file with A's source (as long as B's) in place of B's. */
	src = ok_files ? strstr(fb, "\n\n") : NULL;
	if (src == NULL || (size_t)(src + 2 - fb) + strlen(b) > lb) {
		ok(0, "code cache: B's file as expected");
		src = fb;
	}
	memcpy(src + 2, a, strlen(a));
	put_file(pa, fb, lb);
	chmod(pa, 0620);
	is_str(run_script(a, NULL), "PROXY a:1", "code cache: a file others "
	    "may write is ignored");
	put_file(pa, fb, lb);
	chmod(pa, 0600);
	is_str(run_script(a, NULL), "PROXY b:2", "code cache: the kept code "
	    "is what runs");
	/* The answer's last digit in the code (after the source) changed. */
	for (src = fa + la; la > 9 && src-- > fa + 9 &&
	    memcmp(src - 9, "PROXY a:1", 9) != 0;)
		;
	src[-1] = '0';
	put_file(pa, fa, la);
	is_str(run_script(a, NULL), "PROXY a:1", "code cache: a file whose "
	    "code fails its check is compiled afresh");
	unlink(pa);
	test_utils_code(dir);
	code_job = 0;
	unlink(pb);
	snprintf(pa, sizeof(pa), "%s/postern", dir);
	rmdir(pa);
	rmdir(dir);
	unsetenv("XDG_CACHE_HOME");
}

static void
test_entry_points(void)
{
	is_str(run_script("function FindProxyForURL(u, h) { return 'DIRECT'; }"
	    "function FindProxyForURLEx(u, h) { return 'PROXY ex:1'; }",
	    NULL), "PROXY ex:1", "FindProxyForURLEx is preferred");
	is_str(run_script("function FindProxyForURL(u, h) { return u + ' ' +"
	    " h; }", NULL), "https://h.test:22/ h.test", "url and host");
	is_str(run_script("var FindProxyForURL = 1;", NULL),
	    "ERROR: defines no function FindProxyForURL", "no function");
	is_int(last_rc, PAC_BAD_RESULT, "no function: PAC_BAD_RESULT");
	is_str(run_script("function FindProxyForURL(u, h) { return null; }",
	    NULL), "ERROR: returned null, not a string", "null");
	is_str(run_script("function FindProxyForURL(u, h) { }", NULL),
	    "ERROR: returned undefined, not a string", "undefined");
	is_str(run_script("function dnsResolve(h) { return '10.9.9.9'; }\n"
	    "function FindProxyForURL(u, h) { return isInNet('x', '10.9.0.0', "
	    "'255.255.0.0') ? 'DIRECT' : 'PROXY p:1'; }", NULL), "DIRECT",
	    "a PAC may redefine a function the others call");
}

int
main(void)
{
	char out[PAC_ANSWER_MAX];
	struct pac_job j;

	test_shexp();
	test_forget();
	if (!pac_builtin) {
		ok(1, "# SKIP built without PAC support");
		return done_testing();
	}
	memset(&j, 0, sizeof(j));
	j.script = j.name = j.url = j.host = "";
	if (pac_eval_here(&j, out, sizeof(out)) == PAC_LOAD) {
		ok(1, "# SKIP %s", out);
		return done_testing();
	}
	setenv("TZ", LOCAL_TZ, 1);
	tzset();
	run_table(plain, sizeof(plain) / sizeof(plain[0]));
	run_table(dated, sizeof(dated) / sizeof(dated[0]));
	test_lookup_cache();
	test_my_address();
	test_alert();
	test_entry_points();
	test_code_cache();
	return done_testing();
}
