#!/usr/bin/env bats
# Proxy chains, -x A -x B …: postern asks A for a tunnel to B, speaks to B
# through it (TLS inside the tunnel when B is https), and asks B for the
# target. Real squids (one of them demanding Basic credentials) and stunnel
# in front of them; each proxy's access log shows what it was asked for.

load helpers
load lib/tls
load lib/stall

setup_file() {
	require_postern
	make_pki "$BATS_FILE_TMPDIR/pki"
	# A: the first hop. B: a second one. BAUTH: a second one that wants
	# Basic credentials (alice, BAUTH_PASSWORD).
	start_squid
	export A=$SQUID_PORT A_LOG=$SQUID_LOG
	start_squid
	export B=$SQUID_PORT B_LOG=$SQUID_LOG
	start_squid --auth basic
	export BAUTH=$SQUID_PORT BAUTH_LOG=$SQUID_LOG BAUTH_PASSWORD=$SQUID_PASSWORD
	unset SQUID_PORT SQUID_LOG SQUID_PASSWORD
	# S: https in front of B. SA: https in front of A. SEXP: in front of B
	# with an expired certificate.
	start_stunnel S "$B" "$PKI/server.pem" "$PKI/server.key"
	start_stunnel SA "$A" "$PKI/server.pem" "$PKI/server.key"
	start_stunnel SEXP "$B" "$PKI/expired.pem" "$PKI/expired.key"
	start_sshd

	local d=$BATS_FILE_TMPDIR
	printf 'the whole reply, line 1\nline 2\n' >"$d/small.body"
	start_target HTTP http --body-file "$d/small.body"
	start_target PING echo --close-after 5
	head -c $((64 << 20)) /dev/urandom >"$d/64m"
	export RANDOM64=$d/64m RANDOM64_SHA=$(sha "$d/64m")
	start_target ECHO64 echo --close-after $((64 << 20))
	head -c $((16 << 20)) /dev/urandom >"$d/16m"
	export RANDOM16=$d/16m
	start_target SOURCE16 source --file "$d/16m"
}

# tunnel_in LOG HOST:PORT: that squid's access log shows a tunnel to it.
tunnel_in() {
	wait_for_line "$1" "TCP_TUNNEL/200 .*CONNECT ${2//./\\.} "
}

# no_connect_in LOG HOST:PORT: that squid was never asked for it.
no_connect_in() {
	if grep -q "CONNECT ${2//./\\.} " "$1"; then
		fail "unexpected CONNECT $2 in $1: $(grep "CONNECT ${2//./\\.} " "$1")"
	fi
}

@test "squid → squid: A is asked for B, B for the target" {
	run -0 --separate-stderr postern -x "http://127.0.0.1:$A" -x "http://127.0.0.1:$B" \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	tunnel_in "$A_LOG" "127.0.0.1:$B"
	tunnel_in "$B_LOG" "127.0.0.1:$PING"
	no_connect_in "$A_LOG" "127.0.0.1:$PING"
}

@test "squid → squid with bare host:port proxies, and -v naming each hop" {
	run -0 --separate-stderr postern -v -x "127.0.0.1:$A" -x "127.0.0.1:$B" \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	[[ $stderr == *"postern: 127.0.0.1:$A: tunnel to 127.0.0.1:$B established"* ]] ||
	    fail "stderr: $stderr"
	[[ $stderr == *"postern: 127.0.0.1:$B: tunnel to 127.0.0.1:$PING established"* ]] ||
	    fail "stderr: $stderr"
}

@test "squid → (stunnel → squid): http first hop, https second hop with --proxy-cacert" {
	run -0 --separate-stderr postern -x "http://127.0.0.1:$A" -x "https://localhost:$S" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	tunnel_in "$A_LOG" "localhost:$S"
	tunnel_in "$B_LOG" "127.0.0.1:$PING"
}

@test "(stunnel → squid) → squid: https first hop, plain second hop" {
	run -0 --separate-stderr postern -x "https://localhost:$SA" -x "http://127.0.0.1:$B" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	tunnel_in "$A_LOG" "127.0.0.1:$B"
	tunnel_in "$B_LOG" "127.0.0.1:$PING"
}

@test "https → https: TLS to the second hop inside TLS to the first" {
	POSTERN_TIMEOUT=20 run -0 --separate-stderr postern -x "https://localhost:$SA" -x "https://localhost:$S" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	tunnel_in "$A_LOG" "localhost:$S"
	tunnel_in "$B_LOG" "127.0.0.1:$PING"
}

@test "three hops: squid → squid → (stunnel → squid)" {
	run -0 --separate-stderr postern -x "127.0.0.1:$A" -x "127.0.0.1:$B" \
	    -x "https://localhost:$S" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	tunnel_in "$A_LOG" "127.0.0.1:$B"
	tunnel_in "$B_LOG" "localhost:$S"
	tunnel_in "$B_LOG" "127.0.0.1:$PING"
}

@test "second hop asks for Basic: credentials from its URL's userinfo" {
	run -0 --separate-stderr postern -x "http://127.0.0.1:$A" \
	    -x "http://alice:$BAUTH_PASSWORD@127.0.0.1:$BAUTH" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	tunnel_in "$A_LOG" "127.0.0.1:$BAUTH"
	wait_for_line "$BAUTH_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$PING alice "
}

@test "second hop asks for Basic: credentials from netrc for that hop's host" {
	printf 'machine localhost login alice password %s\n' "$BAUTH_PASSWORD" \
	    >"$BATS_TEST_TMPDIR/netrc"
	chmod 600 "$BATS_TEST_TMPDIR/netrc"
	run -0 --separate-stderr postern --netrc-file "$BATS_TEST_TMPDIR/netrc" \
	    -x "http://127.0.0.1:$A" -x "http://localhost:$BAUTH" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	wait_for_line "$BAUTH_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$PING alice "
}

@test "second hop's credentials are not sent to the first hop" {
	# The first hop is a recording relay: the CONNECT it received must be
	# the bare one; B's 407 and the retry with credentials pass inside
	# the tunnel.
	start_fakeproxy FP --mode relay
	run -0 --separate-stderr postern -x "http://127.0.0.1:$FP" \
	    -x "http://alice:$BAUTH_PASSWORD@127.0.0.1:$BAUTH" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_request "$FP_REQ" "127.0.0.1:$BAUTH"
}

@test "second hop's password never reaches stderr, even at -vvv" {
	run -0 --separate-stderr postern -vvv -x "http://127.0.0.1:$A" \
	    -x "http://alice:$BAUTH_PASSWORD@127.0.0.1:$BAUTH" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	[[ $stderr == *"Proxy-Authorization: Basic <redacted>"* ]] || fail "stderr: $stderr"
	[[ $stderr != *"$BAUTH_PASSWORD"* ]] || fail "the password is on stderr"
	[[ $stderr != *"$(printf 'alice:%s' "$BAUTH_PASSWORD" | base64)"* ]] ||
	    fail "the Basic credentials are on stderr"
}

@test "-U belongs to the first hop: the second hop's 407 finds no credentials, exit 5 naming it" {
	run -5 --separate-stderr postern --no-netrc -U "alice:$BAUTH_PASSWORD" \
	    -x "http://127.0.0.1:$A" -x "http://127.0.0.1:$BAUTH" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: 127.0.0.1:$BAUTH requires authentication (offered: Basic) and no credentials were found (looked in: the proxy URL, /dev/tty)"
}

@test "a wrong password for the second hop: exit 5 naming it" {
	run -5 --separate-stderr postern -x "http://127.0.0.1:$A" \
	    -x "http://alice:wrong@127.0.0.1:$BAUTH" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: 127.0.0.1:$BAUTH rejected the credentials (Basic, realm \"postern-test\")"
}

@test "the second hop refuses the target with 403: exit 6 naming the second hop" {
	run -6 --separate-stderr postern -x "http://127.0.0.1:$A" -x "http://127.0.0.1:$B" \
	    127.0.0.1 9 </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: 127.0.0.1:$B refused CONNECT 127.0.0.1:9: 403 Forbidden"
}

@test "the second hop's port is closed: the first hop cannot reach it, exit 7 naming it" {
	local port
	port=$(closed_port)
	run -7 --separate-stderr postern -x "http://127.0.0.1:$A" -x "http://127.0.0.1:$port" \
	    127.0.0.1 "$PING" </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: 127.0.0.1:$A could not reach 127.0.0.1:$port: 503 Service Unavailable"
}

@test "the second hop is https with an expired certificate: exit 4 naming it" {
	run -4 --separate-stderr postern -x "http://127.0.0.1:$A" -x "https://localhost:$SEXP" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$SEXP failed: certificate verify failed (certificate has expired)"
}

@test "the second hop is https and its CA is not trusted: exit 4 naming it" {
	run -4 --separate-stderr postern -x "http://127.0.0.1:$A" -x "https://localhost:$S" \
	    127.0.0.1 "$PING" </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$S failed: certificate verify failed (unable to get local issuer certificate)"
}

@test "the second hop is named https:// but speaks plain HTTP: exit 4 naming it" {
	run -4 --separate-stderr postern -t 3 -x "http://127.0.0.1:$A" -x "https://127.0.0.1:$B" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with 127.0.0.1:$B failed: the proxy does not speak TLS on this port (wrong version number); is it an http:// proxy?"
}

@test "printf 'GET …' | postern through squid → (stunnel → squid): stdin ends at once, the whole reply arrives" {
	local out=$BATS_TEST_TMPDIR/out want=$BATS_TEST_TMPDIR/want
	printf 'GET / HTTP/1.0\r\n\r\n' | postern -x "127.0.0.1:$A" -x "https://localhost:$S" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$HTTP" >"$out"
	{
		printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
		    "$(wc -c <"$BATS_FILE_TMPDIR/small.body")"
		cat "$BATS_FILE_TMPDIR/small.body"
	} >"$want"
	cmp "$out" "$want"
}

@test "ssh through squid → (stunnel → squid)" {
	local proxycmd
	proxycmd=$(printf '%q ' "$POSTERN" -x "127.0.0.1:$A" -x "https://localhost:$S" \
	    --proxy-cacert "$PKI/ca.pem")
	mapfile -t args < <(ssh_args)
	run -0 timeout 60 ssh "${args[@]}" -o "ProxyCommand=$proxycmd%h %p" -p "$SSHD_PORT" \
	    "$SSH_USER@127.0.0.1" 'echo "two hops, $((6 * 7))"' </dev/null
	assert_equal "$output" "two hops, 42"
	tunnel_in "$B_LOG" "127.0.0.1:$SSHD_PORT"
}

@test "64 MiB up while 64 MiB come down through squid → (stunnel → squid): TLS inside the tunnel" {
	run -0 bash -c 'set -o pipefail; cat "$1" |
	    timeout 300 "$2" -x "127.0.0.1:$3" -x "https://localhost:$4" --proxy-cacert "$5" \
	    127.0.0.1 "$6" | sha256sum' sh "$RANDOM64" "$POSTERN" "$A" "$S" "$PKI/ca.pem" "$ECHO64"
	assert_equal "${output%% *}" "$RANDOM64_SHA" sha256
}

@test "64 MiB both ways through (stunnel → squid) → (stunnel → squid) with a stalled reader" {
	local err=$BATS_TEST_TMPDIR/err
	run bash -c 'set -o pipefail; timeout 300 "$2" -x "https://localhost:$3" \
	    -x "https://localhost:$4" --proxy-cacert "$5" 127.0.0.1 "$6" <"$1" 2>"$7" |
	    { sleep 3; sha256sum; }' sh "$RANDOM64" "$POSTERN" "$SA" "$S" "$PKI/ca.pem" \
	    "$ECHO64" "$err"
	# On a failure, say what postern said.
	cat "$err"
	[ "$status" -eq 0 ]
	[ ! -s "$err" ]
	assert_equal "${output%% *}" "$RANDOM64_SHA" sha256
}

@test "a stalled reader costs a chain of TLS hops no CPU: the relay sleeps while stdout is full" {
	local cpu=$BATS_TEST_TMPDIR/cpu
	run -0 stalled_download "$cpu" 3 -x "https://localhost:$SA" \
	    -x "https://localhost:$S" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$SOURCE16"
	assert_equal "$output" "$(sha "$RANDOM16")" sha256
	assert_cpu_below "$cpu" 0.6
}

@test "https → https whose second hop ends its TLS with a bare TCP close: exit 0, every byte delivered" {
	start_tlsproxy TP --end tcp
	# The inner session ends without close_notify, as the first hop's may:
	# the same orderly end, not an error.
	run -0 --separate-stderr postern -N -x "https://localhost:$SA" -x "https://localhost:$TP" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 22 <<<"hello"
	assert_equal "$output" "close_notify after 6 bytes" stdout
	assert_stderr ""
}

