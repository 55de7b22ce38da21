#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compat.h"
#include "creds.h"
#include "log.h"
#include "netrc.h"
#include "netrcfile.h"
#include "prompt.h"
#include "util.h"

#define PATH_MAX_LEN	4096

void
creds_protect(void)
{
	static int done;
	struct rlimit rl = { 0, 0 };

	if (done)
		return;
	done = 1;
	(void)setrlimit(RLIMIT_CORE, &rl);
	compat_undumpable();
}

static void
add_where(char *where, size_t len, const char *what)
{
	size_t o = strlen(where);

	snprintf(where + o, len - o, "%s%s", o ? ", " : "", what);
}

static const char *
netrc_path(const struct cred_opts *o, char *buf, size_t len)
{
	const char *home, *env;

	if (o->netrc_file != NULL)
		return o->netrc_file;
	if ((env = getenv("NETRC")) != NULL && *env != '\0')
		return env;
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		return NULL;
	if (snprintf(buf, len, "%s/.netrc", home) >= (int)len)
		return NULL;
	return buf;
}

/*
 * Fill user and/or pass from netrc; messages for an unusable file.  found
 * says which file and line gave them.
 */
static void
from_netrc(const struct cred_opts *o, const struct proxy *p, char **user,
    char **pass, char *where, size_t wherelen, char *found, size_t foundlen)
{
	char pathbuf[PATH_MAX_LEN], msg[512];
	struct cred nc = { NULL, NULL };
	enum netrcfile_rc frc;
	enum netrc_rc rc;
	const char *path;
	struct buf b;
	size_t line;

	if (o->no_netrc || (path = netrc_path(o, pathbuf, sizeof(pathbuf))) ==
	    NULL)
		return;
	add_where(where, wherelen, path);
	buf_init(&b, NETRC_FILE_MAX);
	msg[0] = '\0';
	frc = netrcfile_read(path, &b, msg, sizeof(msg));
	if (frc != NETRC_READ_OK) {
		if (msg[0] != '\0')
			log_warn("%s", msg);
		else if (frc == NETRC_MISSING && o->netrc_file != NULL)
			log_warn("--netrc-file %s: no such file", path);
		goto out;
	}
	creds_protect();
	rc = netrc_find_line(b.data, b.len, p->addr.host, *user, &nc, &line);
	if (rc != NETRC_OK) {
		if (rc != NETRC_NOT_FOUND)
			log_warn("%s: %s", path, netrc_strerror(rc));
		goto out;
	}
	log_trace(1, "%s: credentials for %s found in %s", p->name,
	    p->addr.host, path);
	snprintf(found, foundlen, "%s line %zu", path, line);
	if (*user == NULL) {
		*user = nc.user;
		nc.user = NULL;
	}
	if (*pass == NULL) {
		*pass = nc.pass;
		nc.pass = NULL;
	}
out:
	cred_wipe(&nc);
	buf_wipe(&b);
}

/* On success, where names the source: one, or one for each. */
static void
said_where(char *where, size_t len, const char *usrc, const char *psrc)
{
	const char *u = *usrc ? usrc : "/dev/tty", *p = *psrc ? psrc :
	    "/dev/tty";

	if (strcmp(u, p) == 0)
		snprintf(where, len, "%s", u);
	else
		snprintf(where, len, "the user from %s, the password from %s", u,
		    p);
}

int
creds_get(const struct cred_opts *o, const struct proxy *p, size_t i,
    struct cred *out, char *where, size_t wherelen)
{
	char *user = NULL, *pass = NULL, q[AUTHORITY_MAX + 64];
	char nfound[PATH_MAX_LEN + 32] = "", usrc[sizeof(nfound)];
	char psrc[sizeof(nfound)];
	const char *colon, *env;
	int pass_env = 0;

	where[0] = '\0';
	out->user = out->pass = NULL;
	if (i == 0 && o->user_arg != NULL) {
		add_where(where, wherelen, "-U");
		colon = strchr(o->user_arg, ':');
		user = dup_bytes(o->user_arg, colon ? (size_t)(colon -
		    o->user_arg) : strlen(o->user_arg));
		if (colon != NULL)
			pass = dup_bytes(colon + 1, strlen(colon + 1));
	} else if (p->user != NULL) {
		add_where(where, wherelen, "the proxy URL");
		user = dup_bytes(p->user, strlen(p->user));
		if (p->pass != NULL)
			pass = dup_bytes(p->pass, strlen(p->pass));
	} else if (i == 0 && (env = getenv("POSTERN_PROXY_USER")) != NULL &&
	    *env != '\0') {
		add_where(where, wherelen, "POSTERN_PROXY_USER");
		user = dup_bytes(env, strlen(env));
	} else if (i == 0)
		add_where(where, wherelen, "-U, the proxy URL, "
		    "POSTERN_PROXY_USER");
	else
		add_where(where, wherelen, "the proxy URL");
	if (pass == NULL && i == 0 &&
	    (env = getenv("POSTERN_PROXY_PASSWORD")) != NULL) {
		pass = dup_bytes(env, strlen(env));
		pass_env = 1;
	}
	/* Where each came from, said on success (--check). */
	snprintf(usrc, sizeof(usrc), "%s", user != NULL ? where : "");
	snprintf(psrc, sizeof(psrc), "%s", pass == NULL ? "" : pass_env ?
	    "POSTERN_PROXY_PASSWORD" : where);
	if (user == NULL || pass == NULL)
		from_netrc(o, p, &user, &pass, where, wherelen, nfound,
		    sizeof(nfound));
	if (user != NULL && usrc[0] == '\0')
		snprintf(usrc, sizeof(usrc), "%s", nfound);
	if (pass != NULL && psrc[0] == '\0')
		snprintf(psrc, sizeof(psrc), "%s", nfound);
	if (user == NULL) {
		snprintf(q, sizeof(q), "Proxy user for %s: ", p->name);
		user = prompt_tty(q, 0);
		if (user != NULL && *user == '\0')
			free_secret(&user);
	}
	if (user != NULL && pass == NULL) {
		snprintf(q, sizeof(q), "Proxy password for %s: ", p->name);
		pass = prompt_tty(q, 1);
	}
	add_where(where, wherelen, "/dev/tty");
	/* A user without a password is no credential: an empty password
	 * is sent only when given as such ("-U alice:"). */
	if (user == NULL || pass == NULL) {
		free_secret(&user);
		free_secret(&pass);
		return -1;
	}
	creds_protect();
	out->user = user;
	out->pass = pass;
	said_where(where, wherelen, usrc, psrc);
	return 0;
}
