/*
 * tls_prepare(): the TLS context is published only when it is complete.
 * A setup that failed half way must not leave a context behind that a
 * later call would take as ready: one made before its trust anchors were
 * loaded verifies nothing.
 */
#include "tls.h"
#include "tap.h"

int
main(void)
{
	struct tls_opts bad = { .cafile = "/nonexistent/ca.pem" };
	struct tls_opts bad_key = { .cert = "/nonexistent/client.pem" };
	char msg[512];

	is_int(tls_prepare(&bad, msg, sizeof(msg)), -1,
	    "missing --proxy-cacert: setup fails");
	is_str(msg, "cannot load trust anchors from /nonexistent/ca.pem: "
	    "No such file or directory", "the message names the file and why");
	is_int(tls_prepare(&bad, msg, sizeof(msg)), -1,
	    "a second call fails again: nothing half made was kept");
	is_int(tls_prepare(&bad_key, msg, sizeof(msg)), -1,
	    "a missing client certificate fails after the trust store loaded");
	is_int(tls_prepare(&bad_key, msg, sizeof(msg)), -1,
	    "and again: the context without its certificate was not kept");
	return done_testing();
}
