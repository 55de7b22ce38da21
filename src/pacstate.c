#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pacstate.h"
#include "util.h"

#define DIR_MAX		1024		/* a state directory's path */
#define CACHE_MAGIC	"postern PAC cache 1\n"
#define CODE_MAGIC	"postern PAC code 1\n"
#define CODE_HEAD_MAX	(PAC_CODE_KEY_MAX * 2 + 256)
#define DOWN_MAGIC	"postern unreachable 1\n"
#define DOWN_FILE	"unreachable"
#define DOWN_BYTES	(PAC_DOWN_MAX * (PAC_DOWN_NAME_MAX + 24) + 64)

/* mkdir for this user alone; an existing directory is fine. */
static int
make_dir(const char *path)
{
	return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/*
 * The directory for the cache, or for what lasts until logout (runtime):
 * created when missing.  0, or -1 when there is none.
 */
static int
state_dir(int runtime, char *out, size_t len)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *c = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (runtime && rt != NULL && rt[0] == '/')
		n = snprintf(out, len, "%s/postern", rt);
	else if (c != NULL && c[0] == '/') {
		if (make_dir(c) == -1)
			return -1;
		n = snprintf(out, len, "%s/postern", c);
	} else if (home != NULL && home[0] == '/') {
		n = snprintf(out, len, "%s/.cache", home);
		if (n < 0 || (size_t)n >= len || make_dir(out) == -1)
			return -1;
		n = snprintf(out, len, "%s/.cache/postern", home);
	} else
		return -1;
	if (n < 0 || (size_t)n >= len)
		return -1;
	return make_dir(out);
}

#define FNV_START	UINT64_C(14695981039346656037)

/* FNV-1a, continued from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;

	while (len-- > 0)
		h = (h ^ *c++) * UINT64_C(1099511628211);
	return h;
}

/* A file name per URL (the URL inside the file is checked). */
static void
cache_path(const char *dir, const char *url, char *out, size_t len)
{
	snprintf(out, len, "%s/pac-%016llx", dir,
	    (unsigned long long)fnv(FNV_START, url, strlen(url)));
}

/* A file of ours, into b: 0 with its mtime, or -1 (absent, foreign,
 * not a regular file, too large). */
static int
read_own(const char *path, struct buf *b, int64_t *mtime)
{
	struct stat st;
	char chunk[8192];
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		log_trace(2, "%s: not a file of this user alone: ignored", path);
		goto out;
	}
	*mtime = (int64_t)st.st_mtime;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_add(b, chunk, (size_t)n) == -1)
			goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write path through a temporary file renamed over it. */
static void
write_atomic(const char *path, const char *head, size_t hlen,
    const char *body, size_t blen)
{
	char tmp[DIR_MAX + 64];
	int fd, n, ok;

	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp) || (fd = mkstemp(tmp)) == -1)
		return;
	ok = write_all(fd, head, hlen) == 0 && write_all(fd, body, blen) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) == -1) {
		log_trace(1, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
}

/* One "key value\n" line of a header at *p: the value into out. */
static int
header_line(const char **p, const char *end, const char *key, char *out,
    size_t outlen)
{
	size_t klen = strlen(key), vlen;
	const char *nl;

	if ((size_t)(end - *p) <= klen || memcmp(*p, key, klen) != 0 ||
	    (*p)[klen] != ' ' ||
	    (nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return -1;
	vlen = (size_t)(nl - *p) - klen - 1;
	if (vlen >= outlen || memchr(*p + klen + 1, '\0', vlen) != NULL)
		return -1;
	memcpy(out, *p + klen + 1, vlen);
	out[vlen] = '\0';
	*p = nl + 1;
	return 0;
}

int
pac_cache_load(const char *url, struct buf *body, struct pac_validators *v,
    int64_t *confirmed)
{
	char dir[DIR_MAX], path[DIR_MAX + 32], u[PAC_VALIDATOR_MAX * 8];
	const char *p, *end;
	struct buf b;
	int rc = -1;

	if (state_dir(0, dir, sizeof(dir)) == -1)
		return -1;
	cache_path(dir, url, path, sizeof(path));
	buf_init(&b, PAC_MAX + sizeof(u) + 2 * PAC_VALIDATOR_MAX + 64);
	if (read_own(path, &b, confirmed) == -1 || b.data == NULL)
		goto out;
	p = b.data;
	end = b.data + b.len;
	if (b.len < sizeof(CACHE_MAGIC) - 1 ||
	    memcmp(p, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1) != 0)
		goto out;
	p += sizeof(CACHE_MAGIC) - 1;
	if (header_line(&p, end, "url", u, sizeof(u)) == -1 ||
	    strcmp(u, url) != 0 ||
	    header_line(&p, end, "etag", v->etag, sizeof(v->etag)) == -1 ||
	    header_line(&p, end, "last-modified", v->last_modified,
	    sizeof(v->last_modified)) == -1 || p == end || *p++ != '\n')
		goto out;
	buf_reset(body);
	rc = buf_add(body, p, (size_t)(end - p));
out:
	if (rc == -1)
		memset(v, 0, sizeof(*v));
	buf_free(&b);
	return rc;
}

void
pac_cache_store(const char *url, const struct buf *body,
    const struct pac_validators *v)
{
	char dir[DIR_MAX], path[DIR_MAX + 32];
	struct buf head;

	if (state_dir(0, dir, sizeof(dir)) == -1 || strchr(url, '\n') != NULL)
		return;
	cache_path(dir, url, path, sizeof(path));
	buf_init(&head, PAC_VALIDATOR_MAX * 12);
	if (buf_printf(&head, "%surl %s\netag %s\nlast-modified %s\n\n",
	    CACHE_MAGIC, url, v->etag, v->last_modified) == 0)
		write_atomic(path, head.data, head.len,
		    body->data != NULL ? body->data : "", body->len);
	buf_free(&head);
}

void
pac_cache_touch(const char *url)
{
	char dir[DIR_MAX], path[DIR_MAX + 32];

	if (state_dir(0, dir, sizeof(dir)) == -1)
		return;
	cache_path(dir, url, path, sizeof(path));
	if (utimensat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW) == -1)
		log_trace(1, "cannot touch %s: %s", path, strerror(errno));
}

/* "when name\n" lines after the magic: all of them, or -1 if one is not
 * such a line (the file is then ignored whole). */
static int
down_parse(const struct buf *b, struct pac_down *d, size_t max, size_t *n)
{
	const char *p, *end = b->data + b->len, *nl, *sp;
	char *e;
	long long when;
	size_t len;

	*n = 0;
	if (b->len < sizeof(DOWN_MAGIC) - 1 ||
	    memcmp(b->data, DOWN_MAGIC, sizeof(DOWN_MAGIC) - 1) != 0)
		return -1;
	for (p = b->data + sizeof(DOWN_MAGIC) - 1; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL ||
		    *p < '0' || *p > '9' || *n == max)
			return -1;
		errno = 0;
		when = strtoll(p, &e, 10);
		len = (size_t)(nl - sp - 1);
		if (e != sp || errno != 0 || len == 0 ||
		    len >= sizeof(d->name) || memchr(sp + 1, '\0', len) != NULL)
			return -1;
		memcpy(d[*n].name, sp + 1, len);
		d[*n].name[len] = '\0';
		d[(*n)++].when = when;
	}
	return 0;
}

static size_t
down_read(char *path, size_t pathlen, struct pac_down *d, size_t max)
{
	char dir[DIR_MAX];
	struct buf b;
	int64_t mtime;
	size_t n = 0;

	if (state_dir(1, dir, sizeof(dir)) == -1)
		return 0;
	snprintf(path, pathlen, "%s/%s", dir, DOWN_FILE);
	buf_init(&b, DOWN_BYTES);
	if (read_own(path, &b, &mtime) == 0 && b.data != NULL &&
	    down_parse(&b, d, max, &n) == -1) {
		log_trace(1, "%s: not a list of proxies: ignored", path);
		n = 0;
	}
	buf_free(&b);
	return n;
}

size_t
pac_down_load(struct pac_down *out, size_t max, int64_t now)
{
	struct pac_down d[PAC_DOWN_MAX];
	char path[DIR_MAX + 32];
	size_t n, i, k = 0;

	n = down_read(path, sizeof(path), d, PAC_DOWN_MAX);
	for (i = 0; i < n && k < max; i++)
		if (d[i].when <= now && now - d[i].when < PAC_DOWN_SECS)
			out[k++] = d[i];
	return k;
}

void
pac_down_note(const char *name, int down, int64_t now)
{
	struct pac_down d[PAC_DOWN_MAX];
	char path[DIR_MAX + 32];
	struct buf b;
	size_t n, i, kept = 0;

	if (strlen(name) >= sizeof(d[0].name) || strchr(name, '\n') != NULL)
		return;
	n = down_read(path, sizeof(path), d, PAC_DOWN_MAX);
	buf_init(&b, DOWN_BYTES);
	buf_addstr(&b, DOWN_MAGIC);
	/* The newest last: when full, the oldest goes. */
	for (i = n > PAC_DOWN_MAX - 1 ? n - (PAC_DOWN_MAX - 1) : 0; i < n; i++)
		if (strcmp(d[i].name, name) != 0 && d[i].when <= now &&
		    now - d[i].when < PAC_DOWN_SECS && buf_printf(&b,
		    "%lld %s\n", (long long)d[i].when, d[i].name) == 0)
			kept++;
	if (down)
		buf_printf(&b, "%lld %s\n", (long long)now, name);
	if (down || kept != n)
		write_atomic(path, b.data, b.len, "", 0);
	buf_free(&b);
}

/* The code file of a source compiled under key (the key and the whole
 * source inside the file are checked: the name is only where to look). */
static int
code_path(const char *key, const char *src, size_t len, char *out,
    size_t outlen)
{
	char dir[DIR_MAX];

	if (state_dir(0, dir, sizeof(dir)) == -1)
		return -1;
	snprintf(out, outlen, "%s/code-%016llx", dir, (unsigned long long)
	    fnv(fnv(FNV_START, key, strlen(key) + 1), src, len));
	return 0;
}

/*
 * The file: the magic, "key KEY", "source N", "code N", "check FNV-1a of
 * the code" lines, an empty line, the source, the code.  Loading
 * bytecode that Duktape did not write is unsafe (its loader trusts it):
 * the file must be this user's alone, written whole by rename(), of this
 * engine (the key), of this very source byte for byte, and its code
 * intact (the check, against a disk's errors, the lengths against a cut).
 */
int
pac_code_load(const char *key, const char *src, size_t len, struct buf *code)
{
	char path[DIR_MAX + 32], k[PAC_CODE_KEY_MAX], n[3][24], sum[24];
	const char *p, *end;
	unsigned long slen, clen;
	struct buf b;
	int64_t mtime;
	int rc = -1;

	if (code_path(key, src, len, path, sizeof(path)) == -1)
		return -1;
	buf_init(&b, CODE_HEAD_MAX + PAC_MAX + PAC_CODE_MAX);
	if (read_own(path, &b, &mtime) == -1 || b.data == NULL)
		goto out;
	p = b.data;
	end = b.data + b.len;
	if (b.len < sizeof(CODE_MAGIC) - 1 ||
	    memcmp(p, CODE_MAGIC, sizeof(CODE_MAGIC) - 1) != 0)
		goto out;
	p += sizeof(CODE_MAGIC) - 1;
	if (header_line(&p, end, "key", k, sizeof(k)) == -1 ||
	    strcmp(k, key) != 0 ||
	    header_line(&p, end, "source", n[0], sizeof(n[0])) == -1 ||
	    header_line(&p, end, "code", n[1], sizeof(n[1])) == -1 ||
	    header_line(&p, end, "check", n[2], sizeof(n[2])) == -1 ||
	    p == end || *p++ != '\n' ||
	    parse_uint(n[0], 0, PAC_MAX, &slen) == -1 ||
	    parse_uint(n[1], 1, PAC_CODE_MAX, &clen) == -1 ||
	    slen != len || (size_t)(end - p) != slen + clen ||
	    memcmp(p, src, len) != 0 ||
	    snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)
	    fnv(FNV_START, p + slen, clen)) < 0 || strcmp(sum, n[2]) != 0) {
		log_trace(2, "%s: not this PAC's code: ignored", path);
		goto out;
	}
	buf_reset(code);
	rc = buf_add(code, p + slen, clen);
out:
	buf_free(&b);
	return rc;
}

void
pac_code_store(const char *key, const char *src, size_t len,
    const void *code, size_t clen)
{
	char path[DIR_MAX + 32];
	struct buf head, body;

	if (strchr(key, '\n') != NULL || strlen(key) >= PAC_CODE_KEY_MAX ||
	    len > PAC_MAX || clen == 0 || clen > PAC_CODE_MAX ||
	    code_path(key, src, len, path, sizeof(path)) == -1)
		return;
	buf_init(&head, CODE_HEAD_MAX);
	buf_init(&body, PAC_MAX + PAC_CODE_MAX);
	if (buf_printf(&head, "%skey %s\nsource %zu\ncode %zu\ncheck "
	    "%016llx\n\n", CODE_MAGIC, key, len, clen, (unsigned long long)
	    fnv(FNV_START, code, clen)) == 0 && buf_add(&body, src, len) == 0 &&
	    buf_add(&body, code, clen) == 0)
		write_atomic(path, head.data, head.len, body.data, body.len);
	buf_free(&body);
	buf_free(&head);
}
