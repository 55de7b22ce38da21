/*
 * The credentials a process keeps by proxy name (cred.h): what a listener
 * asks once and gives to every later tunnel.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cred.h"
#include "tap.h"

static void
test_keep(void)
{
	struct cred c = { "alice", "s3cret" }, got;

	ok(cred_kept("proxy:3128", &got) == -1 && got.user == NULL,
	    "nothing kept at first");
	ok(cred_keep("proxy:3128", &c) == 0, "kept");
	ok(cred_kept("proxy:3128", &got) == 0, "found by its proxy");
	is_str(got.user, "alice", "the user");
	is_str(got.pass, "s3cret", "the password");
	ok(got.user != c.user && got.pass != c.pass, "a copy, not the kept "
	    "strings");
	cred_wipe(&got);
	ok(cred_kept("proxy:8080", &got) == -1, "another port is another "
	    "proxy");
	c.pass = "n3w";
	ok(cred_keep("proxy:3128", &c) == 0, "kept again");
	ok(cred_kept("proxy:3128", &got) == 0, "found again");
	is_str(got.pass, "n3w", "the newer password replaces the older");
	cred_wipe(&got);
	cred_forget("proxy:3128");
	ok(cred_kept("proxy:3128", &got) == -1, "forgotten (rejected)");
}

static void
test_room(void)
{
	struct cred c = { "u", "p" }, got;
	char name[32];
	int i, all = 1;

	for (i = 0; i < 17; i++) {
		snprintf(name, sizeof(name), "proxy%d:3128", i);
		all &= cred_keep(name, &c) == 0;
	}
	ok(all, "17 proxies kept in turn");
	ok(cred_kept("proxy0:3128", &got) == -1, "the oldest made room");
	ok(cred_kept("proxy16:3128", &got) == 0, "the newest is there");
	cred_wipe(&got);
	ok(cred_kept("proxy1:3128", &got) == 0, "the second oldest is there");
	cred_wipe(&got);
	cred_forget_all();
	ok(cred_kept("proxy16:3128", &got) == -1, "all forgotten");
}

int
main(void)
{
	test_keep();
	test_room();
	return done_testing();
}
