#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/opensslv.h>

#include "auth.h"
#include "buf.h"
#include "check.h"
#include "compat.h"
#include "creds.h"
#include "exitcodes.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "pacrun.h"
#include "proxyurl.h"
#include "relay.h"
#include "stream.h"
#include "target.h"
#include "tls.h"
#include "tunnel.h"
#include "util.h"

#define HEADERS_MAX	64		/* -H options */
#define SERVICE_MAX	64		/* bytes of --proxy-service-name */
#define SERVICE_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789-_."
#define TIMEOUT_DEFAULT_MS (30 * 1000)
#define TIMEOUT_MAX_MS	(24 * 3600 * 1000)

struct config {
	char		*proxy_args[HOPS_MAX];	/* in argv: blanked once parsed */
	size_t		 nproxy_args;
	struct proxy	 hops[HOPS_MAX];
	size_t		 nhops;
	struct target	 target;
	char		*headers[HEADERS_MAX];
	size_t		 nheaders;
	const char	*ua;
	int64_t		 timeout_ms;
	int		 half_close;
	int		 fdpass;
	int64_t		 idle_ms;
	int		 family;
	unsigned	 auth_allowed;
	const char	*service;	/* --proxy-service-name */
	const char	*pac;		/* --pac or POSTERN_PAC */
	struct cred_opts creds;
	char		*user_copy;	/* -U, ours: argv's is blanked */
	struct tls_opts	 tls;
	struct listen_cfg listen;	/* -L */
	int		 check;		/* --check */
	char		 how[320];	/* how the proxy was chosen */
};

/* Options that only matter together, checked after the last one. */
struct flags {
	int	verbose;
	int	quiet;
	int	ipv4;
	int	ipv6;
};

static const char usage_text[] =
"usage: postern [options] HOST PORT\n"
"       postern [options] HOST:PORT\n"
"       postern [options] -L [ADDR:]PORT [HOST PORT]\n"
"\n"
"  -x, --proxy URL             proxy to CONNECT through: http://[user[:pass]@]host[:port],\n"
"                              https://..., or host:port; repeat to chain proxies\n"
"      --pac URL               proxy auto-configuration: http(s)://, file://, a path\n"
"  -U, --proxy-user USER[:PASS]  credentials for the (first) proxy\n"
"      --netrc-file FILE       where to look up credentials (default $NETRC, ~/.netrc)\n"
"      --no-netrc              do not read any netrc file\n"
"      --auth LIST             allowed schemes: basic,digest,ntlm,negotiate or any (default any)\n"
"      --proxy-service-name NAME  Kerberos service for Negotiate (default HTTP)\n"
"      --proxy-cacert FILE     trust anchors for an https proxy (default: system store)\n"
"      --proxy-capath DIR      directory of trust anchors for an https proxy\n"
"      --proxy-cert FILE       TLS client certificate for the proxy (PEM)\n"
"      --proxy-key FILE        its private key (PEM; default: in the certificate file)\n"
"      --proxy-insecure        do not verify the proxy's certificate (unsafe)\n"
"  -H, --header 'NAME: VALUE'  extra header on the CONNECT request (repeatable)\n"
"  -A, --user-agent STRING     User-Agent of the CONNECT request (default postern/VERSION)\n"
"  -t, --connect-timeout SECS  bound on reaching the proxy and the CONNECT exchange (default 30)\n"
"  -N, --half-close            pass the end of input on to the tunnel and keep reading\n"
"      --idle-timeout SECS     end the tunnel after SECS without traffic (default: never)\n"
"      --fdpass                hand the connected socket to ssh (ProxyUseFdpass yes)\n"
"  -L, --listen [ADDR:]PORT    listen (default 127.0.0.1, or \"systemd\"): forward each\n"
"                              connection to HOST PORT, or without it be a CONNECT proxy\n"
"      --allow CIDR[,CIDR...]  clients allowed to connect (needed off loopback)\n"
"      --max-tunnels N         tunnels at once; more wait (default 256)\n"
"  -4, --ipv4                  reach the proxy over IPv4 only\n"
"  -6, --ipv6                  reach the proxy over IPv6 only\n"
"      --check                 go as far as the CONNECT, report each step on stdout\n"
"  -v, --verbose               trace the exchange on stderr (repeat for more)\n"
"  -q, --quiet                 print nothing but errors\n"
"  -V, --version               print the version and the features built in\n"
"  -h, --help                  print this help\n";

enum {
	OPT_NETRC_FILE = 256,
	OPT_NO_NETRC,
	OPT_PAC,
	OPT_AUTH,
	OPT_CACERT,
	OPT_CAPATH,
	OPT_CERT,
	OPT_KEY,
	OPT_INSECURE,
	OPT_IDLE,
	OPT_FDPASS,
	OPT_SERVICE,
	OPT_ALLOW,
	OPT_MAX_TUNNELS,
	OPT_CHECK,
};

static const struct option longopts[] = {
	{ "proxy",		required_argument,	NULL, 'x' },
	{ "proxy-user",		required_argument,	NULL, 'U' },
	{ "pac",		required_argument,	NULL, OPT_PAC },
	{ "netrc-file",		required_argument,	NULL, OPT_NETRC_FILE },
	{ "no-netrc",		no_argument,		NULL, OPT_NO_NETRC },
	{ "auth",		required_argument,	NULL, OPT_AUTH },
	{ "proxy-service-name",	required_argument,	NULL, OPT_SERVICE },
	{ "proxy-cacert",	required_argument,	NULL, OPT_CACERT },
	{ "proxy-capath",	required_argument,	NULL, OPT_CAPATH },
	{ "proxy-cert",		required_argument,	NULL, OPT_CERT },
	{ "proxy-key",		required_argument,	NULL, OPT_KEY },
	{ "proxy-insecure",	no_argument,		NULL, OPT_INSECURE },
	{ "header",		required_argument,	NULL, 'H' },
	{ "user-agent",		required_argument,	NULL, 'A' },
	{ "connect-timeout",	required_argument,	NULL, 't' },
	{ "half-close",		no_argument,		NULL, 'N' },
	{ "idle-timeout",	required_argument,	NULL, OPT_IDLE },
	{ "fdpass",		no_argument,		NULL, OPT_FDPASS },
	{ "listen",		required_argument,	NULL, 'L' },
	{ "allow",		required_argument,	NULL, OPT_ALLOW },
	{ "max-tunnels",	required_argument,	NULL, OPT_MAX_TUNNELS },
	{ "check",		no_argument,		NULL, OPT_CHECK },
	{ "ipv4",		no_argument,		NULL, '4' },
	{ "ipv6",		no_argument,		NULL, '6' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "help",		no_argument,		NULL, 'h' },
	{ NULL,			0,			NULL, 0 }
};

__attribute__((noreturn, format(printf, 1, 2)))
static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	/* One line, as every error: the help is a flag away. */
	va_start(ap, fmt);
	log_verror(fmt, ap);
	va_end(ap);
	exit(EXIT_USAGE);
}

static const char *
show(const char *s)
{
	static char out[SHOW_BUF];

	return show_text(out, sizeof(out), s, strlen(s));
}

/* A -H value in a message: the credentials of Proxy-Authorization never. */
static const char *
show_header(const char *h)
{
	static char out[SHOW_BUF];

	if (http_redact_field(h, strlen(h), out, sizeof(out)))
		return out;
	return show(h);
}

/*
 * Overwrite a secret in argv, which /proc/PID/cmdline shows to every
 * local user, as curl does; postern works on its own copy.  Until this
 * runs the secret is visible, hence the manual's advice to use netrc.
 */
static void
blank_arg(char *s, size_t n)
{
	memset(s, '*', n);
}

/*
 * ssh may start a ProxyCommand with fds closed; anything we open later must
 * not land on 0, 1 or 2.
 */
static void
sane_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

static void
on_signal(int sig)
{
	relay_stdio_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
version(void)
{
	printf("postern %s\n", POSTERN_VERSION);
	printf("proxies: http https chains%s\n", pac_builtin ? " pac" : "");
	printf("auth: basic digest ntlm%s\n", AUTH_BUILTIN & AUTH_NEGOTIATE ?
	    " negotiate" : "");
	printf("relay: %s, poll; fdpass\n", COMPAT_SPLICE ? "splice" :
	    "read/write");
	printf("system: %s\n", *compat_features() != '\0' ?
	    compat_features() : "POSIX.1-2008 only");
#ifdef POSTERN_OSSL_LAZY
	printf("built with %s, loaded only for https proxies, Digest and "
	    "NTLM\n", OPENSSL_VERSION_TEXT);
#else
	printf("built with %s, linked\n", OPENSSL_VERSION_TEXT);
#endif
}

static void
parse_target(struct config *c, int argc, char **argv)
{
	enum target_rc rc;
	const char *host = argv[0], *port = argc == 2 ? argv[1] : NULL;

	if (argc < 1 && c->listen.arg != NULL)
		return;		/* a local CONNECT proxy */
	c->listen.forward = 1;
	if (argc < 1)
		usage_error("missing target: HOST PORT or HOST:PORT");
	if (argc > 2)
		usage_error("too many arguments: \"%s\"", show(argv[2]));
	rc = target_parse(host, port, &c->target);
	if (rc == TARGET_BAD_PORT)
		usage_error("invalid port: \"%s\" (a number from 1 to 65535)",
		    show(port ? port : strrchr(host, ':') + 1));
	if (rc == TARGET_NO_PORT)
		usage_error("missing port in \"%s\": use HOST PORT or HOST:PORT",
		    show(host));
	if (rc != TARGET_OK)
		usage_error("invalid target host: \"%s\": %s", show(host),
		    target_strerror(rc));
}

static void
add_proxy(struct config *c, const char *url, const char *from)
{
	char shown[SHOW_BUF];
	struct proxy *p = &c->hops[c->nhops];
	enum target_rc detail;
	enum purl_rc rc;

	rc = proxyurl_parse(url, p, &detail);
	if (rc != PURL_OK) {
		proxyurl_redact(url, shown, sizeof(shown));
		if (rc == PURL_BAD_HOST && detail != TARGET_OK)
			usage_error("invalid proxy URL \"%s\"%s: %s", shown, from,
			    target_strerror(detail));
		usage_error("invalid proxy URL \"%s\"%s: %s", shown, from,
		    proxyurl_strerror(rc));
	}
	if (p->user != NULL)
		creds_protect();
	c->nhops++;
}

static const char *
env_get(const char *name)
{
	return getenv(name);
}

static void
choose_proxies(struct config *c)
{
	const char *url, *var, *np;
	char from[64], entry[SHOW_BUF];
	size_t i, off, len;

	snprintf(c->how, sizeof(c->how), "-x");
	for (i = 0; i < c->nproxy_args; i++) {
		add_proxy(c, c->proxy_args[i], "");
		if (proxyurl_password(c->proxy_args[i], &off, &len))
			blank_arg(c->proxy_args[i] + off, len);
	}
	if (c->nhops > 0) {
		c->pac = NULL;	/* -x before --pac wins */
		return;
	}
	if (c->pac == NULL && (url = getenv("POSTERN_PAC")) != NULL &&
	    *url != '\0')
		c->pac = url;
	if (c->pac != NULL) {
		if (!pac_builtin)
			usage_error("--pac: built without PAC support (PAC=0)");
		return;		/* the PAC decides, not no_proxy */
	}
	url = proxy_from_env(env_get, &var);
	np = getenv("no_proxy");
	if (np == NULL || *np == '\0')
		np = getenv("NO_PROXY");
	if (c->listen.arg != NULL && !c->listen.forward)
		c->listen.no_proxy = np;	/* applied per request */
	if (np != NULL && noproxy_which(np, c->target.host, &off, &len)) {
		snprintf(c->how, sizeof(c->how), "the entry \"%s\" of %s "
		    "matches %s", show_text(entry, sizeof(entry), np + off,
		    len), np == getenv("no_proxy") ? "no_proxy" : "NO_PROXY",
		    c->target.host);
		log_trace(1, "no_proxy matches %s: connecting directly",
		    c->target.host);
		return;
	}
	if (url == NULL)
		usage_error("no proxy configured: use -x or set https_proxy or "
		    "http_proxy");
	snprintf(from, sizeof(from), " (from %s)", var);
	snprintf(c->how, sizeof(c->how), "%s", var);
	add_proxy(c, url, from);
}

/* Refuse --fdpass where it cannot work, before anything is sent. */
static void
check_fdpass(const struct config *c)
{
	struct stat st;
	size_t i;

	for (i = 0; i < c->nhops; i++)
		if (c->hops[i].tls)
			usage_error("--fdpass cannot be used with an https proxy "
			    "(%s): the TLS session cannot be handed over",
			    c->hops[i].name);
	if (fstat(1, &st) == -1 || !S_ISSOCK(st.st_mode))
		usage_error("--fdpass: standard output is not a Unix socket "
		    "(use it with ssh's ProxyUseFdpass yes)");
}

/* -U: checked, copied, and its password blanked in argv. */
static void
set_user(struct config *c, char *arg)
{
	const char *p;
	char *colon;

	/* Credentials must not split a header or reach a terminal raw
	 * (RFC 7617 §2: no CTLs). */
	for (p = arg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			usage_error("invalid -U: control character in the user "
			    "or password");
	creds_protect();
	free_secret(&c->user_copy);
	if ((c->user_copy = dup_bytes(arg, strlen(arg))) == NULL)
		usage_error("out of memory");
	c->creds.user_arg = c->user_copy;
	if ((colon = strchr(arg, ':')) != NULL)
		blank_arg(colon + 1, strlen(colon + 1));
}

/*
 * -H: checked and copied; the value of a credential field (a token for
 * Proxy-Authorization) is blanked in argv as a password is.
 */
static void
add_header(struct config *c, char *arg)
{
	char scratch[SHOW_BUF], *h;

	if (c->nheaders == HEADERS_MAX)
		usage_error("too many -H headers (at most %d)", HEADERS_MAX);
	if (!http_header_valid(arg))
		usage_error("invalid header \"%s\": use 'Name: value' without "
		    "CR or LF", show_header(arg));
	if ((h = dup_bytes(arg, strlen(arg))) == NULL)
		usage_error("out of memory");
	if (http_redact_field(arg, strlen(arg), scratch, sizeof(scratch)))
		blank_arg(strchr(arg, ':') + 1, strlen(strchr(arg, ':') + 1));
	c->headers[c->nheaders++] = h;
}

/* Where the proxies are and who we are to them.  0: not one of these. */
static int
proxy_option(struct config *c, int ch, char *arg)
{
	switch (ch) {
	case 'x':
		if (c->pac != NULL)
			usage_error("-x after --pac: the PAC chooses the proxy, "
			    "a chain behind it is not supported");
		if (c->nproxy_args == HOPS_MAX)
			usage_error("too many proxies (at most %d)", HOPS_MAX);
		c->proxy_args[c->nproxy_args++] = arg;
		return 1;
	case 'U':
		set_user(c, arg);
		return 1;
	case OPT_PAC:
		if (*arg == '\0')
			usage_error("--pac needs a URL or a path");
		c->pac = arg;
		return 1;
	case OPT_NETRC_FILE:
		c->creds.netrc_file = arg;
		return 1;
	case OPT_NO_NETRC:
		c->creds.no_netrc = 1;
		return 1;
	case OPT_AUTH:
		if (auth_parse_list(arg, &c->auth_allowed) == -1)
			usage_error("invalid --auth \"%s\": use a comma list of "
			    "basic, digest, ntlm, negotiate, or any", show(arg));
		if ((c->auth_allowed & AUTH_BUILTIN) == 0)
			usage_error("--auth \"%s\": no scheme that is built in",
			    show(arg));
		return 1;
	case OPT_SERVICE:
		/* The first part of a Kerberos principal: no "@" or "/". */
		if (*arg == '\0' || strlen(arg) > SERVICE_MAX ||
		    strspn(arg, SERVICE_CHARS) != strlen(arg))
			usage_error("invalid --proxy-service-name \"%s\": use "
			    "letters, digits, '-', '_' or '.'", show(arg));
		c->service = arg;
		return 1;
	}
	return 0;
}

static int
tls_option(struct config *c, int ch, char *arg)
{
	switch (ch) {
	case OPT_CACERT:
		c->tls.cafile = arg;
		return 1;
	case OPT_CAPATH:
		c->tls.capath = arg;
		return 1;
	case OPT_CERT:
		c->tls.cert = arg;
		return 1;
	case OPT_KEY:
		c->tls.key = arg;
		return 1;
	case OPT_INSECURE:
		c->tls.insecure = 1;
		return 1;
	}
	return 0;
}

/* The CONNECT request and the tunnel's timing. */
static int
request_option(struct config *c, int ch, char *arg)
{
	switch (ch) {
	case 'H':
		add_header(c, arg);
		return 1;
	case 'A':
		if (has_crlfnul(arg, strlen(arg)))
			usage_error("invalid user agent \"%s\": CR or LF",
			    show(arg));
		c->ua = *arg ? arg : NULL;
		return 1;
	case 't':
		if (parse_seconds(arg, TIMEOUT_MAX_MS, &c->timeout_ms) == -1)
			usage_error("invalid timeout: \"%s\" (seconds, more "
			    "than 0 and at most 86400)", show(arg));
		return 1;
	case 'N':
		c->half_close = 1;
		return 1;
	case OPT_IDLE:
		if (parse_seconds(arg, TIMEOUT_MAX_MS, &c->idle_ms) == -1)
			usage_error("invalid idle timeout: \"%s\" (seconds, "
			    "more than 0 and at most 86400)", show(arg));
		return 1;
	case OPT_FDPASS:
		c->fdpass = 1;
		return 1;
	case OPT_CHECK:
		c->check = 1;
		return 1;
	}
	return 0;
}

/* -L and what goes with it. */
static int
listen_option(struct config *c, int ch, char *arg)
{
	char bad[SHOW_BUF];
	const char *why;

	switch (ch) {
	case 'L':
		if (listen_parse(arg, &c->listen, &why) == -1)
			usage_error("invalid -L \"%s\": %s", show(arg), why);
		c->listen.arg = arg;
		return 1;
	case OPT_ALLOW:
		if (*arg == '\0' || listen_allow_valid(arg, bad,
		    sizeof(bad)) == -1)
			usage_error("invalid --allow entry \"%s\": use IP "
			    "addresses or CIDR ranges, comma separated",
			    *arg == '\0' ? "" : bad);
		c->listen.allow = arg;
		return 1;
	case OPT_MAX_TUNNELS:
		if (parse_uint(arg, 1, LISTEN_TUNNELS_MAX,
		    &c->listen.max_tunnels) == -1)
			usage_error("invalid --max-tunnels: \"%s\" (a number "
			    "from 1 to %d)", show(arg), LISTEN_TUNNELS_MAX);
		return 1;
	}
	return 0;
}

/* How postern talks to the user and reaches the proxy. */
static int
mode_option(struct flags *f, int ch)
{
	switch (ch) {
	case '4':
		f->ipv4 = 1;
		return 1;
	case '6':
		f->ipv6 = 1;
		return 1;
	case 'v':
		f->verbose++;
		return 1;
	case 'q':
		f->quiet = 1;
		return 1;
	case 'V':
		version();
		exit(EXIT_OK);
	case 'h':
		fputs(usage_text, stdout);
		exit(EXIT_OK);
	}
	return 0;
}

__attribute__((noreturn))
static void
bad_option(int ch, char **argv)
{
	if (ch == ':')
		usage_error("option %s needs an argument (see postern --help)",
		    show(argv[optind - 1]));
	if (optopt != 0 && optopt != '?')
		usage_error("unknown option -%c (see postern --help)", optopt);
	usage_error("unknown option %s (see postern --help)",
	    show(argv[optind - 1]));
}

/* One line per conflict, after all options are known. */
static void
check_conflicts(const struct config *c, const struct flags *f)
{
	if (f->ipv4 && f->ipv6)
		usage_error("-4 and -6 cannot be used together");
	if (f->verbose && f->quiet)
		usage_error("-v and -q cannot be used together");
	if (c->creds.no_netrc && c->creds.netrc_file != NULL)
		usage_error("--netrc-file and --no-netrc cannot be used together");
	if (c->tls.key != NULL && c->tls.cert == NULL)
		usage_error("--proxy-key needs --proxy-cert");
	if (c->fdpass && c->half_close)
		usage_error("--fdpass and -N cannot be used together: ssh owns "
		    "the socket after the handover");
	if (c->listen.arg == NULL && (c->listen.allow != NULL ||
	    c->listen.max_tunnels != 0))
		usage_error("--allow and --max-tunnels need -L");
	if (c->listen.arg != NULL && c->fdpass)
		usage_error("-L and --fdpass cannot be used together");
	if (c->check && c->fdpass)
		usage_error("--check and --fdpass cannot be used together");
	if (c->fdpass && c->idle_ms > 0)
		usage_error("--fdpass and --idle-timeout cannot be used "
		    "together: no relay runs after the handover");
}

static void
parse_options(struct config *c, int argc, char **argv)
{
	struct flags f = { 0, 0, 0, 0 };
	int ch;

	c->timeout_ms = TIMEOUT_DEFAULT_MS;
	c->ua = "postern/" POSTERN_VERSION;
	c->auth_allowed = AUTH_BUILTIN;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":x:U:H:A:t:NL:46vqVh", longopts,
	    NULL)) != -1)
		if (!proxy_option(c, ch, optarg) && !tls_option(c, ch, optarg) &&
		    !request_option(c, ch, optarg) &&
		    !listen_option(c, ch, optarg) && !mode_option(&f, ch))
			bad_option(ch, argv);
	check_conflicts(c, &f);
	c->family = f.ipv4 ? AF_INET : f.ipv6 ? AF_INET6 : AF_UNSPEC;
	log_verbosity = f.quiet ? -1 : f.verbose;
	parse_target(c, argc - optind, argv + optind);
}

static void
tunnel_config(struct config *c, struct tunnel_cfg *tc)
{
	memset(tc, 0, sizeof(*tc));
	tc->hops = c->hops;
	tc->nhops = c->nhops;
	tc->target = c->target;
	tc->ua = c->ua;
	tc->headers = c->headers;
	tc->nheaders = c->nheaders;
	tc->family = c->family;
	tc->timeout_ms = c->timeout_ms;
	tc->auth_allowed = c->auth_allowed;
	tc->service = c->service;
	tc->creds = &c->creds;
	tc->tls = &c->tls;
}

/* --check: the path a run would take; with -L, to the target given. */
static int
check(struct config *c, struct tunnel_cfg *tc)
{
	struct check_cfg cc = { c->how, c->pac, c->listen.arg != NULL ?
	    &c->listen : NULL };

	if (c->listen.arg != NULL && !c->listen.forward)
		usage_error("--check with -L needs a target: HOST PORT");
	return check_run(&cc, tc);
}

int
main(int argc, char **argv)
{
	static struct config c;
	struct tunnel_cfg tc;
	struct stream s;
	size_t i;
	int rc;

	sane_fds();
	signal(SIGPIPE, SIG_IGN);
	parse_options(&c, argc, argv);
	choose_proxies(&c);
	if (c.fdpass)
		check_fdpass(&c);
	tunnel_config(&c, &tc);
	if (c.check)
		rc = check(&c, &tc);
	else if (c.listen.arg != NULL) {
		if (c.listen.max_tunnels == 0)
			c.listen.max_tunnels = LISTEN_TUNNELS_DEFAULT;
		c.listen.idle_ms = c.idle_ms;
		c.listen.pac = c.pac;
		rc = listen_run(&c.listen, &tc, &c.creds);
	} else if (c.pac != NULL)
		rc = pac_tunnel(c.pac, &tc, &s);
	else
		rc = tunnel_open(&tc, &s);
	/* The handshake is over: credentials from the URLs go now. */
	for (i = 0; i < c.nhops; i++)
		proxy_clear(&c.hops[i]);
	for (i = 0; i < c.nheaders; i++)
		free_secret(&c.headers[i]);
	free_secret(&c.user_copy);
	c.creds.user_arg = NULL;
	if (rc != EXIT_OK || c.listen.arg != NULL || c.check)
		return rc;
	if (c.fdpass) {
		/* Bytes we already read past the 2xx header cannot travel
		 * with the descriptor: relay instead of losing them. */
		if (stream_pending(&s) == 0) {
			rc = relay_fdpass(s.fd);
			stream_close(&s);
			return rc;
		}
		log_trace(1, "--fdpass: bytes came with the proxy's reply; "
		    "relaying instead");
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	relay_stdio_nonblock();
	atexit(relay_stdio_restore);
	rc = relay_run(&s, &(struct relay_cfg){ .in_fd = 0, .out_fd = 1,
	    .half_close = c.half_close, .idle_ms = c.idle_ms });
	stream_close(&s);
	return rc;
}
