#include <stddef.h>
#include <stdio.h>

#include "pac.h"

#ifndef POSTERN_PAC

const int pac_builtin = 0;

enum pac_rc
pac_start(struct pac_child *pc, const struct pac_job *j, int hold, char *out,
    size_t outlen)
{
	(void)hold;
	pc->pid = 0;
	pc->fd = pc->go = -1;
	return pac_eval_here(j, out, outlen);
}

void
pac_go(struct pac_child *pc)
{
	(void)pc;
}

/* pac_start() never starts one here: nothing to read or stop. */
int
pac_read(struct pac_child *pc, enum pac_rc *rc, char *out, size_t outlen)
{
	(void)pc;
	*rc = pac_eval_here(NULL, out, outlen);
	return 1;
}

enum pac_rc
pac_expire(struct pac_child *pc, char *out, size_t outlen)
{
	(void)pc;
	return pac_eval_here(NULL, out, outlen);
}

void
pac_stop(struct pac_child *pc)
{
	(void)pc;
}

int
pac_started(const struct pac_child *pc)
{
	(void)pc;
	return 0;
}

int
pac_server_fd(const struct pac_child *pc)
{
	(void)pc;
	return -1;
}

/* No evaluator runs anywhere: nothing to serve. */
int
pac_server_open(void (*forget)(const void *), const void *arg, char *err,
    size_t errlen)
{
	(void)forget;
	(void)arg;
	(void)err;
	(void)errlen;
	return 0;
}

void
pac_server_close(void)
{
}

pid_t
pac_server_pid(void)
{
	return 0;
}

enum pac_rc
pac_eval_here(const struct pac_job *j, char *out, size_t outlen)
{
	(void)j;
	snprintf(out, outlen, "built without PAC support (make PAC=0)");
	return PAC_NOT_BUILT;
}

#else

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <duktape.h>

#include "compat.h"
#include "dynload.h"
#include "log.h"
#include "pacjs.h"
#include "pacmatch.h"
#include "pacserve.h"
#include "pacstate.h"
#include "util.h"

#ifndef DUK_LIB
#define DUK_LIB		"libduktape.so.207"
#endif
#define HEAP_MAX	(64 * 1024 * 1024)	/* the JavaScript heap */
#define AS_MAX		(1024UL * 1024 * 1024)	/* the child's address space */
#define CPU_SECS	1			/* the child's CPU time */
#define LOOKUPS_MAX	32			/* names cached in one run */
#define ADDRS_MAX	1024			/* one lookup's answer */

/* Address sanitizers reserve terabytes of shadow: no RLIMIT_AS there. */
#if defined(__SANITIZE_ADDRESS__)
#define NO_RLIMIT_AS	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_RLIMIT_AS	1
#endif
#endif

const int pac_builtin = 1;

/* enum pac_rc as one letter on the pipe from the child. */
static const char letters[] = "RNLSTBMCXKY";

/* The Duktape functions postern calls, as duktape.h declares them. */
struct duk_fn {
	duk_context	*(*create_heap)(duk_alloc_function, duk_realloc_function,
			    duk_free_function, void *, duk_fatal_function);
	void		 (*destroy_heap)(duk_context *);
	duk_int_t	 (*eval_raw)(duk_context *, const char *, duk_size_t,
			    duk_uint_t);
	duk_int_t	 (*compile_raw)(duk_context *, const char *, duk_size_t,
			    duk_uint_t);
	duk_idx_t	 (*push_c_function)(duk_context *, duk_c_function,
			    duk_idx_t);
	duk_bool_t	 (*put_global_string)(duk_context *, const char *);
	duk_bool_t	 (*get_global_string)(duk_context *, const char *);
	const char	*(*push_string)(duk_context *, const char *);
	duk_int_t	 (*pcall)(duk_context *, duk_idx_t);
	const char	*(*get_lstring)(duk_context *, duk_idx_t, duk_size_t *);
	const char	*(*safe_to_lstring)(duk_context *, duk_idx_t,
			    duk_size_t *);
	const char	*(*to_lstring)(duk_context *, duk_idx_t, duk_size_t *);
	duk_bool_t	 (*get_prop_string)(duk_context *, duk_idx_t,
			    const char *);
	duk_bool_t	 (*is_number)(duk_context *, duk_idx_t);
	duk_int_t	 (*get_int)(duk_context *, duk_idx_t);
	void		 (*pop)(duk_context *);
	void		 (*push_null)(duk_context *);
	void		 (*push_boolean)(duk_context *, duk_bool_t);
	void		 (*push_number)(duk_context *, duk_double_t);
	duk_idx_t	 (*get_top)(duk_context *);
	void		 (*dup)(duk_context *, duk_idx_t);
	duk_int_t	 (*get_type)(duk_context *, duk_idx_t);
	void		 (*dump_function)(duk_context *);
	void		 (*load_function)(duk_context *);
	void		*(*get_buffer)(duk_context *, duk_idx_t, duk_size_t *);
	void		*(*push_buffer_raw)(duk_context *, duk_size_t,
			    duk_small_uint_t);
};

#define SYM(n)	{ "duk_" #n, offsetof(struct duk_fn, n) }
static const struct dynsym syms[] = {
	SYM(create_heap), SYM(destroy_heap), SYM(eval_raw), SYM(compile_raw),
	SYM(push_c_function), SYM(put_global_string), SYM(get_global_string),
	SYM(push_string), SYM(pcall), SYM(get_lstring), SYM(safe_to_lstring),
	SYM(to_lstring),
	SYM(get_prop_string), SYM(is_number), SYM(get_int), SYM(pop),
	SYM(push_null), SYM(push_boolean), SYM(push_number), SYM(get_top),
	SYM(dup), SYM(get_type), SYM(dump_function), SYM(load_function),
	SYM(get_buffer), SYM(push_buffer_raw),
};

static struct duk_fn fn;
static void *lib;

/* What the natives see: one evaluation at a time per process. */
static const struct pac_job *job;
static struct lookup {
	char	*host;
	int	 family;
	int	 ok;
	char	*addrs;
} lookups[LOOKUPS_MAX];
static size_t nlookups;
static size_t heap_used;
static int heap_full;
static char engine[PAC_CODE_KEY_MAX];	/* whose bytecode is loaded */

static int
load(char *err, size_t errlen)
{
	struct duk_fn f;
	char why[200];

	if (lib != NULL)
		return 0;
	if ((lib = dynload(DUK_LIB, syms, sizeof(syms) / sizeof(syms[0]), &f,
	    why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "cannot load %s: %s", DUK_LIB, why);
		return -1;
	}
	fn = f;
	return 0;
}

/*
 * The heap with a ceiling: each block carries its size in front, so that
 * what the PAC holds is known; Duktape collects garbage and retries, then
 * throws RangeError, when an allocation fails.
 */
union hdr {
	size_t		size;
	max_align_t	align;
};

static void *
heap_alloc(void *ud, duk_size_t n)
{
	union hdr *h;

	(void)ud;
	if (n > HEAP_MAX - heap_used || (h = malloc(sizeof(*h) + n)) == NULL) {
		heap_full = 1;
		return NULL;
	}
	h->size = n;
	heap_used += n;
	return h + 1;
}

static void
heap_free(void *ud, void *p)
{
	union hdr *h;

	(void)ud;
	if (p == NULL)
		return;
	h = (union hdr *)p - 1;
	heap_used -= h->size;
	free(h);
}

static void *
heap_realloc(void *ud, void *p, duk_size_t n)
{
	union hdr *h, *nh;

	if (p == NULL)
		return heap_alloc(ud, n);
	if (n == 0) {
		heap_free(ud, p);
		return NULL;
	}
	h = (union hdr *)p - 1;
	if (n > h->size && n - h->size > HEAP_MAX - heap_used) {
		heap_full = 1;
		return NULL;
	}
	if ((nh = realloc(h, sizeof(*nh) + n)) == NULL) {
		heap_full = 1;
		return NULL;
	}
	heap_used = heap_used - nh->size + n;
	nh->size = n;
	return nh + 1;
}

/* Duktape gives up: nothing to unwind to. */
static void
fatal(void *ud, const char *msg)
{
	(void)ud;
	log_error("PAC: JavaScript engine: %s", msg != NULL ? msg : "fatal");
	_exit(heap_full ? 3 : 2);
}

static int
sys_resolve(const char *host, int family, char *out, size_t outlen)
{
	struct addrinfo hints, *res, *ai;
	char a[INET6_ADDRSTRLEN];
	size_t used = 0;
	int n;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	*out = '\0';
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a, sizeof(a), NULL,
		    0, NI_NUMERICHOST) != 0 || strstr(out, a) != NULL)
			continue;
		n = snprintf(out + used, outlen - used, "%s%s",
		    used ? ";" : "", a);
		if (n < 0 || (size_t)n >= outlen - used)
			break;
		used += (size_t)n;
	}
	freeaddrinfo(res);
	return used > 0 ? 0 : -1;
}

/* A lookup, once per name and family in one evaluation. */
static const char *
lookup(const char *host, int family)
{
	char addrs[ADDRS_MAX];
	struct lookup *l;
	size_t i;
	int ok;

	for (i = 0; i < nlookups; i++)
		if (lookups[i].family == family &&
		    strcmp(lookups[i].host, host) == 0)
			return lookups[i].ok ? lookups[i].addrs : NULL;
	ok = (job->resolve != NULL ? job->resolve : sys_resolve)(host,
	    family, addrs, sizeof(addrs)) == 0;
	log_trace(2, "PAC: lookup %s: %s", host, ok ? addrs : "(none)");
	if (nlookups < LOOKUPS_MAX) {
		l = &lookups[nlookups];
		l->host = dup_bytes(host, strlen(host));
		l->addrs = dup_bytes(ok ? addrs : "", ok ? strlen(addrs) : 0);
		if (l->host != NULL && l->addrs != NULL) {
			l->family = family;
			l->ok = ok;
			nlookups++;
			return ok ? l->addrs : NULL;
		}
		free(l->host);
		free(l->addrs);
	}
	return NULL;	/* no room to keep the answer: as if unknown */
}

static void
lookups_clear(void)
{
	while (nlookups > 0) {
		nlookups--;
		free(lookups[nlookups].host);
		free(lookups[nlookups].addrs);
	}
}

static const char *
arg(duk_context *ctx, duk_idx_t i)
{
	return fn.safe_to_lstring(ctx, i, NULL);
}

static duk_ret_t
js_dns_resolve(duk_context *ctx)
{
	const char *a = lookup(arg(ctx, 0), AF_INET);
	char first[INET6_ADDRSTRLEN];
	size_t n;

	if (a == NULL) {
		fn.push_null(ctx);
		return 1;
	}
	n = strcspn(a, ";");
	snprintf(first, sizeof(first), "%.*s", (int)n, a);
	fn.push_string(ctx, first);
	return 1;
}

static duk_ret_t
js_dns_resolve_ex(duk_context *ctx)
{
	const char *a = lookup(arg(ctx, 0), AF_UNSPEC);

	fn.push_string(ctx, a != NULL ? a : "");
	return 1;
}

/*
 * The address of the interface that routes toward dest: a UDP socket
 * connected there sends nothing and does not block.  0 or -1.
 */
static int
route_from(int family, const char *dest, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, rc = -1;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		s4->sin_port = htons(9);
		sl = sizeof(*s4);
		if (inet_pton(AF_INET, dest, &s4->sin_addr) != 1)
			return -1;
	} else {
		s6->sin6_port = htons(9);
		sl = sizeof(*s6);
		if (inet_pton(AF_INET6, dest, &s6->sin6_addr) != 1)
			return -1;
	}
	if ((fd = socket(family, SOCK_DGRAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    inet_ntop(family, family == AF_INET ? (void *)&s4->sin_addr :
	    (void *)&s6->sin6_addr, out, (socklen_t)outlen) != NULL)
		rc = 0;
	close(fd);
	return rc;
}

/* Toward the target when it is an address, else toward a documentation
 * address (RFC 5737, RFC 3849), which takes the default route; without a
 * route, the first interface that is not a loopback. */
static int
my_address(int family, char *out, size_t outlen)
{
	const char *probe = family == AF_INET ? "192.0.2.1" : "2001:db8::1";

	if (job->route != NULL && route_from(family, job->route, out,
	    outlen) == 0)
		return 0;
	if (route_from(family, probe, out, outlen) == 0)
		return 0;
	return compat_if_address(family, out, outlen);
}

static duk_ret_t
js_my_ip_address(duk_context *ctx)
{
	char a[INET6_ADDRSTRLEN];

	fn.push_string(ctx, my_address(AF_INET, a, sizeof(a)) == 0 ? a :
	    "127.0.0.1");
	return 1;
}

static duk_ret_t
js_my_ip_address_ex(duk_context *ctx)
{
	char a6[INET6_ADDRSTRLEN], a4[INET6_ADDRSTRLEN], out[128];
	int h6 = my_address(AF_INET6, a6, sizeof(a6)) == 0;
	int h4 = my_address(AF_INET, a4, sizeof(a4)) == 0;

	snprintf(out, sizeof(out), "%s%s%s", h6 ? a6 : "", h6 && h4 ? ";" : "",
	    h4 ? a4 : h6 ? "" : "127.0.0.1");
	fn.push_string(ctx, out);
	return 1;
}

static duk_ret_t
js_alert(duk_context *ctx)
{
	char shown[SHOW_BUF];
	const char *m = arg(ctx, 0);

	log_trace(1, "PAC alert: %s", show_text(shown, sizeof(shown), m,
	    strlen(m)));
	return 0;
}

static duk_ret_t
js_now(duk_context *ctx)
{
	fn.push_number(ctx, (duk_double_t)job->now);
	return 1;
}

/* An address as 17 bytes: 0 for IPv6, 1 for IPv4, then the address. */
static int
addr_key(const char *s, size_t len, unsigned char key[17])
{
	char a[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(a))
		return -1;
	memcpy(a, s, len);
	a[len] = '\0';
	memset(key, 0, 17);
	if (inet_pton(AF_INET6, a, key + 1) == 1)
		return 0;
	key[0] = 1;
	return inet_pton(AF_INET, a, key + 1) == 1 ? 0 : -1;
}

/* isInNetEx("2001:db8::1", "2001:db8::/32"), IPv4 likewise. */
static duk_ret_t
js_is_in_net_ex(duk_context *ctx)
{
	unsigned char a[17], p[17];
	const char *ip = arg(ctx, 0), *pfx = arg(ctx, 1), *slash;
	unsigned long bits, i;
	char *end;
	int in = 0;

	slash = strchr(pfx, '/');
	if (slash != NULL && addr_key(ip, strlen(ip), a) == 0 &&
	    addr_key(pfx, (size_t)(slash - pfx), p) == 0 && a[0] == p[0] &&
	    slash[1] >= '0' && slash[1] <= '9') {
		bits = strtoul(slash + 1, &end, 10);
		in = *end == '\0' && bits <= (a[0] ? 32UL : 128UL);
		for (i = 0; in && i < bits; i++)
			in = ((a[1 + i / 8] ^ p[1 + i / 8]) &
			    (0x80 >> (i % 8))) == 0;
	}
	fn.push_boolean(ctx, in);
	return 1;
}

struct sorted {
	unsigned char	 key[17];
	const char	*s;
	size_t		 len;
};

static int
cmp_sorted(const void *a, const void *b)
{
	return memcmp(((const struct sorted *)a)->key,
	    ((const struct sorted *)b)->key, 17);
}

/* IPv6 before IPv4, each in ascending order; false if one is not an
 * address. */
static duk_ret_t
js_sort_ip_address_list(duk_context *ctx)
{
	struct sorted v[64];
	char out[64 * (INET6_ADDRSTRLEN + 1)];
	const char *l = arg(ctx, 0), *p;
	size_t n = 0, i, used = 0, len;

	for (p = l; *p != '\0'; p += len + (p[len] == ';')) {
		len = strcspn(p, ";");
		if (len == 0)
			continue;
		if (n == 64 || addr_key(p, len, v[n].key) == -1) {
			fn.push_boolean(ctx, 0);
			return 1;
		}
		v[n].s = p;
		v[n++].len = len;
	}
	qsort(v, n, sizeof(v[0]), cmp_sorted);
	*out = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%.*s",
		    i ? ";" : "", (int)v[i].len, v[i].s);
	if (n == 0)
		fn.push_boolean(ctx, 0);
	else
		fn.push_string(ctx, out);
	return 1;
}

/*
 * shExpMatch(s, pattern) in C: as JavaScript it built a RegExp per call,
 * and a corporate PAC calls it hundreds of times per answer.  Both
 * arguments are converted to strings, the pattern first, as String() did
 * (but for a Symbol, which ToString refuses with a TypeError).
 */
static duk_ret_t
js_sh_exp_match(duk_context *ctx)
{
	const char *s, *p;
	duk_size_t slen, plen;

	p = fn.to_lstring(ctx, 1, &plen);
	s = fn.to_lstring(ctx, 0, &slen);
	fn.push_boolean(ctx, pac_shexp_match(s, slen, p, plen));
	return 1;
}

static const struct {
	const char	*name;
	duk_c_function	 f;
	duk_idx_t	 nargs;
} natives[] = {
	{ "dnsResolve", js_dns_resolve, 1 },
	{ "dnsResolveEx", js_dns_resolve_ex, 1 },
	{ "myIpAddress", js_my_ip_address, 0 },
	{ "myIpAddressEx", js_my_ip_address_ex, 0 },
	{ "isInNetEx", js_is_in_net_ex, 2 },
	{ "sortIpAddressList", js_sort_ip_address_list, 1 },
	{ "shExpMatch", js_sh_exp_match, 2 },
	{ "alert", js_alert, 1 },
	{ "__postern_now", js_now, 0 },
};

/* The error on top of the stack, with its line when it has one. */
static void
error_text(duk_context *ctx, char *out, size_t outlen)
{
	char shown[SHOW_BUF];
	const char *m;
	int line = 0;

	if (fn.get_type(ctx, -1) == DUK_TYPE_OBJECT) {
		fn.get_prop_string(ctx, -1, "lineNumber");
		if (fn.is_number(ctx, -1))
			line = fn.get_int(ctx, -1);
		fn.pop(ctx);
	}
	m = fn.safe_to_lstring(ctx, -1, NULL);
	show_text(shown, sizeof(shown), m, strlen(m));
	if (line > 0 && strstr(m, "(line ") == NULL)
		snprintf(out, outlen, "%s (line %d)", shown, line);
	else
		snprintf(out, outlen, "%s", shown);
}

/* The engine's version and build ("ll u nl p2 a8 x64 linux gcc": byte
 * order, packing, alignment, architecture...), from the global Duktape
 * object before any script can change it: bytecode is theirs alone. */
static void
engine_key(duk_context *ctx)
{
	const char *env;

	fn.get_global_string(ctx, "Duktape");
	fn.get_prop_string(ctx, -1, "version");
	fn.get_prop_string(ctx, -2, "env");
	env = fn.get_lstring(ctx, -1, NULL);
	snprintf(engine, sizeof(engine), "duktape %d %s", fn.get_int(ctx, -2),
	    env != NULL ? env : "?");
	fn.pop(ctx);
	fn.pop(ctx);
	fn.pop(ctx);
}

/*
 * Code from the cache directory (pacstate.h) for src, on the stack: 0, or
 * -1 when none is kept for it by this engine.
 */
static int
load_code(duk_context *ctx, const char *src, size_t len)
{
	struct buf code;
	void *p;
	int rc = -1;

	buf_init(&code, PAC_CODE_MAX);
	if (pac_code_load(engine, src, len, &code) == 0) {
		p = fn.push_buffer_raw(ctx, code.len, 0);
		memcpy(p, code.data, code.len);
		fn.load_function(ctx);
		rc = 0;
	}
	buf_free(&code);
	return rc;
}

/*
 * src compiled as a program, on the stack (0), or its error in out (-1).
 * With keep, code kept for src is loaded instead, and what is compiled is
 * kept: at once, before any of it runs, so that what the cache holds is
 * the compiler's work and never something a script wrote.
 */
static int
compile(duk_context *ctx, const char *src, size_t len, const char *name,
    int keep, char *out, size_t outlen)
{
	duk_size_t n;
	void *p;

	if (keep && load_code(ctx, src, len) == 0)
		return 0;
	if (name != NULL)
		fn.push_string(ctx, name);
	if (fn.compile_raw(ctx, src, len, (name != NULL ? 1 :
	    DUK_COMPILE_NOFILENAME) | DUK_COMPILE_SAFE |
	    DUK_COMPILE_NOSOURCE) != DUK_EXEC_SUCCESS) {
		error_text(ctx, out, outlen);
		return -1;
	}
	if (keep) {
		fn.dup(ctx, -1);
		fn.dump_function(ctx);
		if ((p = fn.get_buffer(ctx, -1, &n)) != NULL)
			pac_code_store(engine, src, len, p, n);
		fn.pop(ctx);
	}
	return 0;
}

/*
 * The natives and the JavaScript PAC functions defined, __postern_call
 * on the stack.  The functions' code is kept as a PAC's is: compiling
 * them took a quarter of a cached PAC's evaluation.
 */
static enum pac_rc
setup(duk_context *ctx, char *out, size_t outlen)
{
	size_t i;

	engine_key(ctx);

	for (i = 0; i < sizeof(natives) / sizeof(natives[0]); i++) {
		fn.push_c_function(ctx, natives[i].f, natives[i].nargs);
		fn.put_global_string(ctx, natives[i].name);
	}
	if (compile(ctx, pacjs_utils, strlen(pacjs_utils), NULL,
	    job->keep_code, out, outlen) == -1 ||
	    fn.pcall(ctx, 0) != DUK_EXEC_SUCCESS) {
		error_text(ctx, out, outlen);
		return PAC_SYSTEM;
	}
	fn.pop(ctx);
	/* Held on the stack: the PAC may redefine the global. */
	fn.get_global_string(ctx, "__postern_call");
	return PAC_OK;
}

/*
 * All that comes before the PAC runs: the engine, a heap, the functions,
 * and the PAC compiled on top of the stack.  Nothing here runs any of
 * the PAC, nor shows anything (a compile error waits in out).
 */
static enum pac_rc
prepare(duk_context **ctx, char *out, size_t outlen)
{
	enum pac_rc rc;

	*ctx = NULL;
	if (load(out, outlen) == -1)
		return PAC_LOAD;
	heap_used = 0;
	heap_full = 0;
	if ((*ctx = fn.create_heap(heap_alloc, heap_realloc, heap_free, NULL,
	    fatal)) == NULL) {
		snprintf(out, outlen, "cannot create a JavaScript heap");
		return PAC_NOMEM;
	}
	if ((rc = setup(*ctx, out, outlen)) != PAC_OK)
		return rc;
	if (compile(*ctx, job->script, job->len, job->name, job->keep_code,
	    out, outlen) == -1)
		return heap_full ? PAC_NOMEM : PAC_SYNTAX;
	return PAC_OK;
}

/* The PAC's top level, then the call; the answer or the reason in out. */
static enum pac_rc
run(duk_context *ctx, char *out, size_t outlen)
{
	const char *r;
	size_t len;

	if (fn.pcall(ctx, 0) != DUK_EXEC_SUCCESS) {
		error_text(ctx, out, outlen);
		return heap_full ? PAC_NOMEM : PAC_THROW;
	}
	fn.pop(ctx);
	fn.dup(ctx, -1);
	fn.push_string(ctx, job->url);
	fn.push_string(ctx, job->host);
	if (fn.pcall(ctx, 2) != DUK_EXEC_SUCCESS) {
		error_text(ctx, out, outlen);
		return heap_full ? PAC_NOMEM : PAC_THROW;
	}
	if ((r = fn.get_lstring(ctx, -1, &len)) == NULL || len == 0) {
		snprintf(out, outlen, "internal error");
		return PAC_SYSTEM;
	}
	if (len - 1 >= outlen) {
		snprintf(out, outlen, "an answer of more than %zu bytes",
		    outlen - 1);
		return PAC_BAD_RESULT;
	}
	memcpy(out, r + 1, len - 1);
	out[len - 1] = '\0';
	return *r == 'R' ? PAC_OK : PAC_BAD_RESULT;
}

static enum pac_rc
outcome(enum pac_rc rc, char *out, size_t outlen)
{
	if (rc == PAC_NOMEM)
		snprintf(out, outlen, "out of memory (more than %d MiB)",
		    HEAP_MAX / (1024 * 1024));
	return rc;
}

enum pac_rc
pac_eval_here(const struct pac_job *j, char *out, size_t outlen)
{
	duk_context *ctx;
	enum pac_rc rc;

	job = j;
	if ((rc = prepare(&ctx, out, outlen)) == PAC_OK)
		rc = run(ctx, out, outlen);
	rc = outcome(rc, out, outlen);
	if (ctx != NULL)
		fn.destroy_heap(ctx);
	lookups_clear();
	job = NULL;
	return rc;
}

/*
 * The child: bounded, with nothing of the user's open.  It makes ready,
 * waits for the go-ahead on go when there is one (anything else: it is
 * not wanted, and leaves), then writes one answer ("R" answer, or a class
 * letter and the reason, then a NUL) on fd and exits at once: the heap
 * dies with the process, and the parent does not wait for the end.
 */
__attribute__((noreturn))
static void
child(const struct pac_job *j, int fd, int go)
{
	struct rlimit cpu = { CPU_SECS, CPU_SECS + 1 };
	char out[PAC_ANSWER_MAX + 2], c;
	duk_context *ctx;
	enum pac_rc rc;
	ssize_t n;
	int null;

	/* fork() copied the parent: an engine bug must find no secret. */
	if (j->forget != NULL)
		j->forget(j->forget_arg);
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 2)
			close(null);
	}
	setrlimit(RLIMIT_CPU, &cpu);
#ifndef NO_RLIMIT_AS
	{
		struct rlimit as = { AS_MAX, AS_MAX };

		setrlimit(RLIMIT_AS, &as);
	}
#endif
	job = j;
	rc = prepare(&ctx, out + 1, sizeof(out) - 2);
	if (go != -1) {
		while ((n = read(go, &c, 1)) == -1 && errno == EINTR)
			;
		if (n != 1 || c != 'G')
			_exit(0);
	}
	if (rc == PAC_OK)
		rc = run(ctx, out + 1, sizeof(out) - 2);
	rc = outcome(rc, out + 1, sizeof(out) - 2);
	out[0] = letters[rc];
	if (write(fd, out, strlen(out) + 1) == -1)
		_exit(1);
	_exit(0);
}

/*
 * j's child forked from here, with the answer's pipe a and the
 * go-ahead's g (-1s: none); every other descriptor closed in it, so
 * that it holds no socket of the caller's open.  0, or -1 with out.
 */
static int
fork_child(struct pac_child *pc, const struct pac_job *j, const int a[2],
    const int g[2], char *out, size_t outlen)
{
	fflush(stderr);
	if ((pc->pid = fork()) == -1) {
		snprintf(out, outlen, "fork: %s", strerror(errno));
		pc->pid = 0;
		return -1;
	}
	if (pc->pid == 0) {
		int keep[] = { 0, 1, 2, a[1], g[0] };

		pac_close_others(keep, sizeof(keep) / sizeof(keep[0]));
		child(j, a[1], g[0]);
	}
	return 0;
}

/* Both ends of p, when open. */
static void
close_pipe(int p[2])
{
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
}

/*
 * The child comes from the evaluator server when one runs (pacserve.c
 * says why), else from this process; either way the caller keeps the
 * pipes' other ends and reads, gives the go-ahead and stops alike.
 */
enum pac_rc
pac_start(struct pac_child *pc, const struct pac_job *j, int hold, char *out,
    size_t outlen)
{
	int a[2] = { -1, -1 }, g[2] = { -1, -1 }, rc;

	memset(pc, 0, sizeof(*pc));
	pc->fd = pc->go = -1;
	if (compat_pipe(a, 1) == -1 || (hold && compat_pipe(g, 0) == -1)) {
		snprintf(out, outlen, "pipe: %s", strerror(errno));
		close_pipe(a);
		return PAC_SYSTEM;
	}
	if (pacsrv_ready())
		rc = pacsrv_send(j, a[1], g[0], pc, out, outlen);
	else
		rc = fork_child(pc, j, a, g, out, outlen);
	if (rc == -1) {
		close_pipe(a);
		close_pipe(g);
		return PAC_SYSTEM;
	}
	close(a[1]);
	if (hold)
		close(g[0]);
	pc->fd = a[0];
	pc->go = g[1];
	return PAC_OK;
}

void
pac_go(struct pac_child *pc)
{
	if (pc->go == -1)
		return;
	if (write(pc->go, "G", 1) == -1)
		log_trace(2, "PAC: the evaluator is gone: %s", strerror(errno));
	close(pc->go);
	pc->go = -1;
}

/* Reap the child, killing it first unless it is known to have ended. */
static int
reap(struct pac_child *pc, int ended)
{
	pid_t r;
	int st = 0;

	if (pc->pid <= 0)
		return 0;
	if (!ended && waitpid(pc->pid, &st, WNOHANG) == pc->pid) {
		pc->pid = 0;
		return st;
	}
	if (!ended)
		kill(pc->pid, SIGKILL);
	while ((r = waitpid(pc->pid, &st, 0)) == -1 && errno == EINTR)
		;
	pc->pid = 0;
	return r == -1 ? 0 : st;
}

/* What a child that gave no answer died of. */
static enum pac_rc
child_death(int st, char *out, size_t outlen)
{
	if (WIFSIGNALED(st) && (WTERMSIG(st) == SIGXCPU ||
	    WTERMSIG(st) == SIGKILL)) {
		snprintf(out, outlen, "ran out of CPU time (%d s)", CPU_SECS);
		return PAC_CPU;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
		snprintf(out, outlen, "out of memory (more than %d MiB)",
		    HEAP_MAX / (1024 * 1024));
		return PAC_NOMEM;
	}
	if (WIFSIGNALED(st))
		snprintf(out, outlen, "the evaluator died of signal %d",
		    WTERMSIG(st));
	else
		snprintf(out, outlen, "the evaluator failed (status %d)",
		    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return PAC_CRASH;
}

/* The answer as the child wrote it, in buf[0..got); or the evaluator
 * server's trailer (pacserve.c) when it wrote none. */
static enum pac_rc
decode(struct pac_child *pc, char *out, size_t outlen)
{
	const char *c;
	char *end;
	long st;

	if (pc->got > 1 && pc->buf[0] == 'Z' &&
	    memchr(pc->buf, '\0', pc->got) == NULL) {
		/* The server's trailer: the child's wait status. */
		st = strtol(pc->buf + 1, &end, 10);
		if (*end == '\0' && st >= INT_MIN && st <= INT_MAX)
			return child_death((int)st, out, outlen);
	}
	if (pc->got > 0 && pc->buf[0] == 'E') {
		snprintf(out, outlen, "%s", pc->buf + 1);
		return PAC_SYSTEM;	/* the server could not fork */
	}
	if (pc->got == 0 || (c = strchr(letters, pc->buf[0])) == NULL ||
	    memchr(pc->buf, '\0', pc->got) != NULL) {
		snprintf(out, outlen, "the evaluator gave a garbled answer");
		return PAC_CRASH;
	}
	snprintf(out, outlen, "%s", pc->buf + 1);
	return (enum pac_rc)(c - letters);
}

/*
 * The end of the pipe from the evaluator server's child, without a whole
 * answer: the server's trailer, else the server has ended.
 */
static enum pac_rc
served_end(struct pac_child *pc, char *out, size_t outlen)
{
	enum pac_rc rc;

	if (pc->got > 0)
		rc = decode(pc, out, outlen);
	else if (pacsrv_gone(pc, out, outlen))
		rc = PAC_CRASH;
	else {
		snprintf(out, outlen, "the evaluator gave no answer");
		rc = PAC_CRASH;
	}
	pc->job = 0;
	return rc;
}

int
pac_read(struct pac_child *pc, enum pac_rc *rc, char *out, size_t outlen)
{
	ssize_t n;
	char *nul = NULL;
	int st;

	for (;;) {
		n = read(pc->fd, pc->buf + pc->got, sizeof(pc->buf) - 1 -
		    pc->got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Its server ended: no trailer will come. */
			if (pc->job == 0 || !pacsrv_gone(pc, out, outlen))
				return 0;
			n = 0;
		}
		if (n <= 0 || (nul = memchr(pc->buf + pc->got, '\0',
		    (size_t)n)) != NULL || pc->got + (size_t)n ==
		    sizeof(pc->buf) - 1)
			break;
		pc->got += (size_t)n;
	}
	close(pc->fd);
	pc->fd = -1;
	if (pc->job != 0 && pc->go != -1) {
		close(pc->go);	/* the server's child: nothing to reap */
		pc->go = -1;
	}
	if (n > 0) {
		/* The answer is whole: the child is on its way out (the
		 * server reaps its own). */
		pc->got = nul != NULL ? (size_t)(nul - pc->buf) :
		    pc->got + (size_t)n;
		pc->buf[pc->got] = '\0';
		*rc = decode(pc, out, outlen);
		pc->job = 0;
		return 1;
	}
	pc->buf[pc->got] = '\0';
	if (pc->job != 0) {
		*rc = served_end(pc, out, outlen);
		return 1;
	}
	/* The end without a NUL: the child has gone; what of? */
	if (pc->go != -1) {
		close(pc->go);
		pc->go = -1;
	}
	st = reap(pc, 1);
	if (n == -1 || pc->got == 0)
		*rc = child_death(st, out, outlen);
	else
		*rc = decode(pc, out, outlen);
	return 1;
}

enum pac_rc
pac_expire(struct pac_child *pc, char *out, size_t outlen)
{
	pac_stop(pc);
	snprintf(out, outlen, "did not finish in time (-t)");
	return PAC_TIMEOUT;
}

void
pac_stop(struct pac_child *pc)
{
	if (pc->pid <= 0 && pc->job == 0)
		return;
	if (pc->go != -1) {
		close(pc->go);
		pc->go = -1;
	}
	if (pc->fd != -1) {
		close(pc->fd);
		pc->fd = -1;
	}
	if (pc->job != 0) {
		pacsrv_kill(pc);	/* the server kills and reaps */
		pc->job = 0;
		return;
	}
	reap(pc, 0);
}

int
pac_started(const struct pac_child *pc)
{
	return pc->pid > 0 || pc->job != 0;
}

int
pac_server_fd(const struct pac_child *pc)
{
	return pacsrv_fd(pc);
}

int
pac_server_open(void (*forget)(const void *), const void *arg, char *err,
    size_t errlen)
{
	return pacsrv_open(child, forget, arg, err, errlen);
}

void
pac_server_close(void)
{
	pacsrv_close();
}

pid_t
pac_server_pid(void)
{
	return pacsrv_pid();
}

#endif /* POSTERN_PAC */
