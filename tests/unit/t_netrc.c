#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "netrc.h"
#include "netrcfile.h"
#include "tap.h"

static const struct {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	const char	*host;
	const char	*user;
	enum netrc_rc	 rc;
	const char	*want_user;
	const char	*want_pass;
} cases[] = {
	{ "plain entry", "machine proxy login u password p\n", 0,
	  "proxy", NULL, NETRC_OK, "u", "p" },
	{ "quoted tokens", "machine proxy login \"u s\" password \"pass "
	  "word\"\n", 0, "proxy", NULL, NETRC_OK, "u s", "pass word" },
	{ "escapes \\\" \\\\ and \\x", "machine proxy login u password "
	  "\"a\\\"b\\\\c\\x\"\n", 0, "proxy", NULL, NETRC_OK, "u",
	  "a\"b\\cx" },
	{ "\\n escape makes a LF: refused", "machine proxy login u password "
	  "\"a\\nb\"\n", 0, "proxy", NULL, NETRC_BAD_CHAR, NULL, NULL },
	{ "\\r escape: refused", "machine proxy login u password \"a\\rb\"",
	  0, "proxy", NULL, NETRC_BAD_CHAR, NULL, NULL },
	{ "\\t escape: refused", "machine proxy login u password \"a\\tb\"",
	  0, "proxy", NULL, NETRC_BAD_CHAR, NULL, NULL },
	{ "raw control character: refused", "machine proxy login u password "
	  "a\001b\n", 0, "proxy", NULL, NETRC_BAD_CHAR, NULL, NULL },
	{ "NUL inside a token: refused", "machine proxy login u password "
	  "a\0b\n", 35, "proxy", NULL, NETRC_BAD_CHAR, NULL, NULL },
	{ "macdef skipped, later machine found (curl tests 494, 1672)",
	  "macdef init\ncd /pub\n\"broken quote\n\nmachine proxy login u "
	  "password p\n", 0, "proxy", NULL, NETRC_OK, "u", "p" },
	{ "macdef swallows to the empty line", "machine proxy login u\n"
	  "macdef x\npassword p\n\n", 0, "proxy", NULL, NETRC_OK, "u", NULL },
	{ "no newline at the end, mid-token (CVE-2022-35260)",
	  "machine proxy login u password secr", 0, "proxy", NULL, NETRC_OK,
	  "u", "secr" },
	{ "unterminated quote at the end", "machine proxy login u password "
	  "\"abc", 0, "proxy", NULL, NETRC_SYNTAX, NULL, NULL },
	{ "unterminated quote mid-file (curl test 680)", "machine proxy "
	  "login u password \"abc\nmachine other login a password b\n", 0,
	  "proxy", NULL, NETRC_SYNTAX, NULL, NULL },
	{ "keyword without its value", "machine proxy login", 0, "proxy",
	  NULL, NETRC_SYNTAX, NULL, NULL },
	{ "default as fallback", "machine other login a password b\n"
	  "default login d password e\n", 0, "proxy", NULL, NETRC_OK, "d",
	  "e" },
	{ "default before the machine", "default login d password e\n"
	  "machine proxy login u password p\n", 0, "proxy", NULL, NETRC_OK,
	  "u", "p" },
	{ "case-insensitive host and keywords", "MACHINE Proxy.Example.COM "
	  "LOGIN u PASSWORD p\n", 0, "proxy.example.com", NULL, NETRC_OK,
	  "u", "p" },
	{ "trailing dot in the file", "machine proxy.example.com. login u "
	  "password p\n", 0, "proxy.example.com", NULL, NETRC_OK, "u", "p" },
	{ "trailing dot in the host", "machine proxy.example.com login u "
	  "password p\n", 0, "proxy.example.com.", NULL, NETRC_OK, "u", "p" },
	{ "no password is no password (CVE-2024-11053)", "machine proxy "
	  "login u\nmachine other login u password X\n", 0, "proxy", NULL,
	  NETRC_OK, "u", NULL },
	{ "no password, default after (CVE-2024-11053)", "machine proxy "
	  "login u\ndefault login u password X\n", 0, "proxy", NULL,
	  NETRC_OK, "u", NULL },
	{ "login mismatch: keep looking", "machine proxy login alice "
	  "password a\nmachine proxy login bob password b\n", 0, "proxy",
	  "bob", NETRC_OK, "bob", "b" },
	{ "login mismatch: nothing else", "machine proxy login alice "
	  "password a\n", 0, "proxy", "carol", NETRC_NOT_FOUND, NULL, NULL },
	{ "login mismatch: default with that login", "machine proxy login "
	  "alice password a\ndefault login carol password c\n", 0, "proxy",
	  "carol", NETRC_OK, "carol", "c" },
	{ "entry without login serves the given user", "machine proxy "
	  "password p\n", 0, "proxy", "bob", NETRC_OK, "bob", "p" },
	{ "first matching entry wins", "machine proxy login a password 1\n"
	  "machine proxy login b password 2\n", 0, "proxy", NULL, NETRC_OK,
	  "a", "1" },
	{ "comments", "# machine proxy login x password y\nmachine proxy "
	  "login u password p # trailing words\n", 0, "proxy", NULL, NETRC_OK,
	  "u", "p" },
	{ "CRLF line ends", "machine proxy\r\nlogin u\r\npassword p\r\n", 0,
	  "proxy", NULL, NETRC_OK, "u", "p" },
	{ "account and unknown words skipped", "machine proxy login u "
	  "account acct port 3128 password p\n", 0, "proxy", NULL, NETRC_OK,
	  "u", "p" },
	{ "one line, many entries", "machine a login x password y machine "
	  "proxy login u password p", 0, "proxy", NULL, NETRC_OK, "u", "p" },
	{ "no entry", "machine other login a password b\n", 0, "proxy", NULL,
	  NETRC_NOT_FOUND, NULL, NULL },
	{ "empty file", "", 0, "proxy", NULL, NETRC_NOT_FOUND, NULL, NULL },
	{ "host is not a prefix match", "machine proxy.corp login u password "
	  "p\n", 0, "proxy", NULL, NETRC_NOT_FOUND, NULL, NULL },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static void
free_cred(struct cred *c)
{
	free(c->user);
	free(c->pass);
	c->user = c->pass = NULL;
}

static void
test_find(void)
{
	struct cred c;
	enum netrc_rc rc;
	size_t i, len;
	char *copy;

	for (i = 0; i < NCASES; i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		/* Exact-size heap copy, so ASan sees any over-read. */
		copy = malloc(len ? len : 1);
		memcpy(copy, cases[i].text, len);
		rc = netrc_find(copy, len, cases[i].host, cases[i].user, &c);
		is_int(rc, cases[i].rc, "%s: result", cases[i].name);
		if (cases[i].rc == NETRC_OK) {
			is_str(c.user, cases[i].want_user, "%s: login",
			    cases[i].name);
			is_str(c.pass, cases[i].want_pass, "%s: password",
			    cases[i].name);
		} else
			ok(c.user == NULL && c.pass == NULL,
			    "%s: nothing returned", cases[i].name);
		free_cred(&c);
		free(copy);
	}
}

static void
test_limits(void)
{
	struct buf b;
	struct cred c;
	size_t i;

	buf_init(&b, 1 << 20);
	/* A token of 4 KiB is fine, one byte more is not. */
	buf_addstr(&b, "machine proxy login u password ");
	for (i = 0; i < NETRC_TOKEN_MAX; i++)
		buf_add(&b, "x", 1);
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_OK,
	    "4 KiB token accepted");
	ok(c.pass != NULL && strlen(c.pass) == NETRC_TOKEN_MAX,
	    "4 KiB token whole");
	free_cred(&c);
	buf_add(&b, "x", 1);
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_TOO_LARGE,
	    "4 KiB + 1 token: too large");
	/* The same inside quotes. */
	buf_reset(&b);
	buf_addstr(&b, "machine proxy login u password \"");
	for (i = 0; i < NETRC_TOKEN_MAX + 1; i++)
		buf_add(&b, "x", 1);
	buf_addstr(&b, "\"");
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_TOO_LARGE,
	    "quoted token over 4 KiB: too large");
	/* A 1 MiB token is stopped by the line and file limits first. */
	buf_reset(&b);
	buf_addstr(&b, "machine proxy login u password ");
	for (i = 0; i < 1024 * 1024 - 64; i++)
		buf_add(&b, "x", 1);
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_TOO_LARGE,
	    "1 MiB token: too large");
	/* A 20 KiB line of short tokens. */
	buf_reset(&b);
	for (i = 0; i < 20 * 1024 / 8; i++)
		buf_addstr(&b, "port 21 ");
	buf_addstr(&b, "\nmachine proxy login u password p\n");
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_TOO_LARGE,
	    "20 KiB line: too large");
	/* 130 KiB of short lines. */
	buf_reset(&b);
	buf_addstr(&b, "machine proxy login u password p\n");
	while (b.len <= NETRC_FILE_MAX)
		buf_addstr(&b, "# just a comment line\n");
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_TOO_LARGE,
	    "file over 128 KiB: too large");
	/* A long macro body is skipped, within the limits. */
	buf_reset(&b);
	buf_addstr(&b, "macdef big\n");
	for (i = 0; i < 1000; i++)
		buf_addstr(&b, "echo \"unbalanced \\ quote\n");
	buf_addstr(&b, "\nmachine proxy login u password p");
	is_int(netrc_find(b.data, b.len, "proxy", NULL, &c), NETRC_OK,
	    "long macdef skipped");
	is_str(c.pass, "p", "long macdef: entry after it");
	free_cred(&c);
	ok(netrc_strerror(NETRC_TOO_LARGE) != NULL &&
	    strstr(netrc_strerror(NETRC_TOO_LARGE), "too large") != NULL,
	    "strerror says too large");
	buf_free(&b);
}

static char dir[64];

static char *
path_of(const char *name)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void
write_file(const char *name, const char *text, mode_t mode)
{
	int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd == -1 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("# cannot write %s\n", name);
	close(fd);
	chmod(path_of(name), mode);
}

static void
test_file(void)
{
	static const char secret[] = "machine proxy login u password s3cr3t\n";
	char msg[512], target[256];
	struct buf b;
	enum netrcfile_rc rc;
	int fd;

	snprintf(dir, sizeof(dir), "%s/t_netrc.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	/* A FIFO must not block: if open() waited, the alarm ends us. */
	alarm(10);

	write_file("good", secret, 0600);
	rc = netrcfile_read(path_of("good"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_READ_OK, "0600 file read");
	ok(b.len == strlen(secret) && memcmp(b.data, secret, b.len) == 0,
	    "0600 file contents");
	is_str(msg, "", "0600 file: no message");
	buf_wipe(&b);

	write_file("open", secret, 0644);
	rc = netrcfile_read(path_of("open"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_INSECURE, "0644 file: insecure");
	ok(strstr(msg, "is readable by group or others: its passwords are "
	    "not used (chmod 600 ") != NULL, "0644 file: message: %s", msg);
	ok(strstr(msg, "s3cr3t") == NULL, "0644 file: no contents in msg");
	ok(b.data == NULL && b.len == 0, "0644 file: nothing handed back");

	write_file("gw", secret, 0620);
	rc = netrcfile_read(path_of("gw"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_INSECURE, "0620 file: insecure");
	ok(strstr(msg, "writable by group or others") != NULL,
	    "0620 file: says writable");

	if (mkfifo(path_of("fifo"), 0600) == 0) {
		rc = netrcfile_read(path_of("fifo"), &b, msg, sizeof(msg));
		is_int(rc, NETRC_SKIPPED, "FIFO skipped without hanging");
		ok(strstr(msg, "FIFO") != NULL, "FIFO: message: %s", msg);
	} else
		ok(0, "mkfifo");

	mkdir(path_of("adir"), 0700);
	rc = netrcfile_read(path_of("adir"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_SKIPPED, "directory skipped");
	ok(strstr(msg, "directory") != NULL, "directory: message: %s", msg);

	snprintf(target, sizeof(target), "%s", path_of("good"));
	if (symlink(target, path_of("link")) == 0) {
		rc = netrcfile_read(path_of("link"), &b, msg, sizeof(msg));
		is_int(rc, NETRC_SKIPPED, "symlink skipped");
		ok(strstr(msg, "symbolic link") != NULL,
		    "symlink: message: %s", msg);
	} else
		ok(0, "symlink");

	rc = netrcfile_read(path_of("missing"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_MISSING, "missing file");
	is_str(msg, "", "missing file: no message");
	rc = netrcfile_read(path_of("missing/sub"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_MISSING, "missing directory on the way");

	/* 129 KiB, mode 0600: too large, not read. */
	fd = open(path_of("huge"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd != -1) {
		if (ftruncate(fd, 129 * 1024) == -1)
			printf("# ftruncate failed\n");
		close(fd);
	}
	rc = netrcfile_read(path_of("huge"), &b, msg, sizeof(msg));
	is_int(rc, NETRC_READ_TOO_LARGE, "129 KiB file: too large");

	/* A control character in the path is shown escaped. */
	write_file("esc\033[2J", secret, 0644);
	netrcfile_read(path_of("esc\033[2J"), &b, msg, sizeof(msg));
	ok(strchr(msg, '\033') == NULL && strstr(msg, "\\x1b") != NULL,
	    "path escaped in the message");

	/* Someone else's file. */
	if (geteuid() == 0) {
		write_file("theirs", secret, 0600);
		if (chown(path_of("theirs"), 12345, 12345) == 0) {
			rc = netrcfile_read(path_of("theirs"), &b, msg,
			    sizeof(msg));
			is_int(rc, NETRC_INSECURE, "another user's file");
			ok(strstr(msg, "not owned by you") != NULL,
			    "another user's file: message: %s", msg);
		} else
			ok(0, "chown");
		unlink(path_of("theirs"));
	} else {
		ok(1, "# SKIP another user's file needs root");
		ok(1, "# SKIP another user's file needs root");
	}
	alarm(0);

	unlink(path_of("good"));
	unlink(path_of("open"));
	unlink(path_of("gw"));
	unlink(path_of("fifo"));
	unlink(path_of("link"));
	unlink(path_of("huge"));
	unlink(path_of("esc\033[2J"));
	rmdir(path_of("adir"));
	rmdir(dir);
}

/* --check names the line of the entry used: machine first, default last. */
static void
test_line(void)
{
	static const char buf[] = "# comment\n\nmachine other login x "
	    "password y\ndefault login d password e\nmachine\n  proxy\n"
	    "  login alice\n  password \"p w\"\n";
	struct cred c;
	size_t line = 0;

	is_int(netrc_find_line(buf, sizeof(buf) - 1, "proxy", NULL, &c,
	    &line), NETRC_OK, "netrc_find_line: found");
	is_int((int)line, 5, "netrc_find_line: the line of \"machine\"");
	is_str(c.user, "alice", "netrc_find_line: its login");
	cred_wipe(&c);
	is_int(netrc_find_line(buf, sizeof(buf) - 1, "nowhere", NULL, &c,
	    &line), NETRC_OK, "netrc_find_line: default");
	is_int((int)line, 4, "netrc_find_line: the line of \"default\"");
	cred_wipe(&c);
}

int
main(void)
{
	test_find();
	test_line();
	test_limits();
	test_file();
	return done_testing();
}
