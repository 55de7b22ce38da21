#!/usr/bin/env bats
# OpenSSL is loaded only when a tunnel needs it (src/ossl.h): a plain proxy
# with no authentication or Basic maps neither library, Digest and NTLM load
# libcrypto, an https proxy loads libssl too.  Where a library cannot be
# loaded, the tunnels that do not need it still work, and those that do
# fail with the documented exit code and a message that names the library.

load helpers
load lib/auth
load lib/tls

setup_file() {
	require_postern
	if ! "$POSTERN" -V | grep -q 'loaded only for'; then
		export OSSL_LINKED=1
	fi
	make_pki "$BATS_FILE_TMPDIR/pki"
	start_squid
	start_stunnel TLS "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key"
	start_squid_auth BASIC basic --user alice:basicpw
	start_squid_auth DIGEST digest --realm postern-digest --user alice:digestpw
	start_echo
	# Echoes one line of 4 bytes and closes, so that a pipeline ends.
	start_target LINE echo --close-after 4
}

setup() {
	[[ -z ${OSSL_LINKED:-} ]] || skip "built with OpenSSL linked (OPENSSL_LINK)"
}

# mapped PID: the OpenSSL libraries PID has mapped, one name a line.
mapped() {
	grep -oE 'lib(ssl|crypto)\.so[.0-9]*' /proc/"$1"/maps | sort -u
}

# without_openssl CMD…: CMD in a mount namespace of its own where every
# libssl and libcrypto the dynamic linker knows of is an empty file.
without_openssl() {
	unshare -rm -- bash -c '
		for lib in $(ldconfig -p |
		    awk "/lib(ssl|crypto)\\.so\\.[0-9]+ / { print \$NF }"); do
			mount --bind /dev/null "$lib" || exit 99
		done
		exec "$@"' without_openssl "$@"
}

require_unshare() {
	unshare -rm -- true 2>/dev/null ||
	    skip "no mount namespace here (unshare -rm): cannot hide OpenSSL"
}

@test "-V says that OpenSSL is loaded only when needed" {
	run "$POSTERN" -V
	[ "$status" -eq 0 ]
	[[ $output == *"built with OpenSSL "*", loaded only for https proxies, Digest and NTLM"* ]]
}

@test "a plain tunnel maps neither libssl nor libcrypto" {
	run_held -x "127.0.0.1:$SQUID_PORT"
	run mapped "$HELD_PID"
	stop_held
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "Basic authentication maps neither library" {
	run_held -x "127.0.0.1:$BASIC_PORT" -U alice:basicpw
	run mapped "$HELD_PID"
	stop_held
	[ -z "$output" ]
}

@test "Digest authentication loads libcrypto and not libssl" {
	run_held -x "127.0.0.1:$DIGEST_PORT" -U alice:digestpw
	run mapped "$HELD_PID"
	stop_held
	assert_equal "$output" "libcrypto.so.3"
}

@test "an https proxy loads libssl and libcrypto" {
	run_held -x "https://127.0.0.1:$TLS" --proxy-cacert "$PKI/ca.pem"
	run mapped "$HELD_PID"
	stop_held
	assert_equal "$output" $'libcrypto.so.3\nlibssl.so.3'
}

@test "with OpenSSL unloadable, a plain tunnel and Basic still carry bytes" {
	require_unshare
	run without_openssl "$POSTERN" -x "127.0.0.1:$SQUID_PORT" \
	    127.0.0.1 "$LINE" < <(printf 'one\n')
	[ "$status" -eq 0 ]
	assert_equal "$output" "one"
	run without_openssl "$POSTERN" -x "127.0.0.1:$BASIC_PORT" \
	    -U alice:basicpw 127.0.0.1 "$LINE" < <(printf 'two\n')
	[ "$status" -eq 0 ]
	assert_equal "$output" "two"
}

@test "with OpenSSL unloadable, an https proxy fails with exit 4 and names it" {
	require_unshare
	run --separate-stderr without_openssl "$POSTERN" \
	    -x "https://127.0.0.1:$TLS" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$ECHO_PORT" </dev/null
	[ "$status" -eq 4 ]
	[ -z "$output" ]
	# The dynamic linker's own words follow, such as "file too short".
	[[ $stderr == "postern: TLS with 127.0.0.1:$TLS failed: cannot load OpenSSL: "*"libcrypto.so.3: "?* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "with OpenSSL unloadable, a Digest proxy fails with exit 5 and says why" {
	require_unshare
	run --separate-stderr without_openssl "$POSTERN" \
	    -x "127.0.0.1:$DIGEST_PORT" -U alice:digestpw \
	    127.0.0.1 "$ECHO_PORT" </dev/null
	[ "$status" -eq 5 ]
	[ -z "$output" ]
	assert_stderr "postern: 127.0.0.1:$DIGEST_PORT: authentication: Digest and NTLM need OpenSSL's libcrypto, which could not be loaded (is OpenSSL 3 installed?)"
}
