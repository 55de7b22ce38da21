#!/usr/bin/env bats
# IPv6: a proxy on ::1, targets written [::1]:PORT or ::1 PORT, and the
# request line and Host header in the bracketed form of RFC 9110 §7.2 and
# RFC 3986 §3.2.2. Skipped, with the reason, where ::1 is not available.

load helpers

setup_file() {
	have_ipv6 || return 0
	require_postern
	export IPV6=1
	start_squid
	start_target ECHO6 echo --close-after 5 --listen ::1
	start_target ECHO4 echo --close-after 5
}

setup() {
	[[ ${IPV6-} == 1 ]] || skip "no IPv6 loopback (::1) here"
	start_fakeproxy FP6 --listen ::1 \
	    --reply 'HTTP/1.1 200 Connection established\r\n\r\n' --banner 'v6 tunnel\n'
}

@test "proxy on [::1], target [::1]:PORT: request line and Host in brackets" {
	run -0 postern -x "http://[::1]:$FP6" "[::1]:$ECHO6" </dev/null
	assert_equal "$output" "v6 tunnel"
	assert_bytes "$FP6_REQ" 'CONNECT [::1]:%s HTTP/1.1\r\nHost: [::1]:%s\r\nUser-Agent: postern/%s\r\n\r\n' \
	    "$ECHO6" "$ECHO6" "$VERSION"
}

@test "target as ::1 PORT gives the same request" {
	run -0 postern -x "http://[::1]:$FP6" ::1 "$ECHO6" </dev/null
	assert_request "$FP6_REQ" "[::1]:$ECHO6"
}

@test "target as [::1] PORT gives the same request" {
	run -0 postern -x "http://[::1]:$FP6" '[::1]' "$ECHO6" </dev/null
	assert_request "$FP6_REQ" "[::1]:$ECHO6"
}

@test "a long IPv6 literal is sent as given, in brackets" {
	run -0 postern -x "[::1]:$FP6" 2001:db8:0:0:1:0:0:1 443 </dev/null
	assert_request "$FP6_REQ" "[2001:db8:0:0:1:0:0:1]:443"
}

@test "bare [::1]:PORT as the proxy" {
	run -0 postern -x "[::1]:$FP6" 127.0.0.1 22 </dev/null
	assert_equal "$output" "v6 tunnel"
	assert_request "$FP6_REQ" 127.0.0.1:22
}

@test "-6 reaches the proxy on ::1; -4 cannot" {
	run -0 postern -6 -x "http://[::1]:$FP6" 127.0.0.1 22 </dev/null
	assert_equal "$output" "v6 tunnel"
	rm -f "$FP6_REQ"
	run -3 postern -4 -x "http://[::1]:$FP6" 127.0.0.1 22 </dev/null
	assert_no_request "$FP6_REQ"
}

@test "squid on [::1]: ping echoed from [::1]:PORT" {
	[[ $SQUID_V6 == 1 ]] || skip "squid is not listening on ::1"
	run -0 postern -x "http://[::1]:$SQUID_PORT" "[::1]:$ECHO6" <<<"ping"
	assert_equal "$output" "ping"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT \[::1\]:$ECHO6 "
}

@test "squid on [::1], target 127.0.0.1" {
	[[ $SQUID_V6 == 1 ]] || skip "squid is not listening on ::1"
	run -0 postern -x "[::1]:$SQUID_PORT" 127.0.0.1 "$ECHO4" <<<"ping"
	assert_equal "$output" "ping"
}

@test "squid on 127.0.0.1, target [::1]:PORT" {
	run -0 postern -x "127.0.0.1:$SQUID_PORT" "[::1]:$ECHO6" <<<"ping"
	assert_equal "$output" "ping"
}

@test "-4 and -6 pick the family of a name that has both" {
	can_override_hosts || skip "needs root and mount namespaces to give test names addresses"
	# Two fake proxies on the same port number, one per family.
	local port attempt
	for ((attempt = 0; attempt < 10; attempt++)); do
		port=$(free_port both)
		start_fakeproxy DUAL4 --port "$port" --banner 'via v4\n' &&
		    start_fakeproxy DUAL6 --port "$port" --listen ::1 --banner 'via v6\n' &&
		    break
	done
	[[ $DUAL4 == "$port" && $DUAL6 == "$port" ]] || fail "could not start both proxies"
	printf '127.0.0.1 dual.postern.test\n::1 dual.postern.test\n' >"$BATS_TEST_TMPDIR/hosts"
	run -0 with_hosts "$BATS_TEST_TMPDIR/hosts" timeout 20 "$POSTERN" -4 \
	    -x "dual.postern.test:$port" 127.0.0.1 22 </dev/null
	assert_equal "$output" "via v4"
	run -0 with_hosts "$BATS_TEST_TMPDIR/hosts" timeout 20 "$POSTERN" -6 \
	    -x "dual.postern.test:$port" 127.0.0.1 22 </dev/null
	assert_equal "$output" "via v6"
}

@test "a name with both families whose IPv6 address refuses: the IPv4 one is used" {
	can_override_hosts || skip "needs root and mount namespaces to give test names addresses"
	local port attempt
	for ((attempt = 0; attempt < 10; attempt++)); do
		port=$(free_port both)
		start_fakeproxy ONLY4 --port "$port" --banner 'via v4\n' && break
	done
	printf '::1 dual.postern.test\n127.0.0.1 dual.postern.test\n' >"$BATS_TEST_TMPDIR/hosts"
	run -0 with_hosts "$BATS_TEST_TMPDIR/hosts" timeout 20 "$POSTERN" \
	    -x "dual.postern.test:$port" 127.0.0.1 22 </dev/null
	assert_equal "$output" "via v4"
}
