#!/usr/bin/env bats
# Proxy authentication end to end: squid with basic_ncsa_auth,
# digest_file_auth and ntlm_fake_auth, and tests/lib/authproxy.py for the
# 407s squid never sends (it recomputes every Digest and NTLMv2 answer on its
# own). Every run of postern is bounded (timeout) and has no controlling
# terminal (setsid), so the /dev/tty prompt is never reached, except where
# tests/lib/ttyprompt.py gives it a terminal of its own and answers it.

load helpers
load lib/auth

# alice's password holds "@" and ":", which the URL must percent-encode.
ALICE_PW='p@ss:w0rd'
ALICE_PW_URL='p%40ss%3Aw0rd'
DIGEST_PW='d1gest-secret'

setup_file() {
	require_postern
	start_squid_auth BASIC basic --user "alice:$ALICE_PW"
	start_squid_auth DIGEST digest --realm postern-digest --user "alice:$DIGEST_PW"
	start_squid_auth NTLM ntlm
	start_sshd
	local d=$BATS_FILE_TMPDIR
	printf 'the reply through an authenticated tunnel\n' >"$d/small.body"
	start_target HTTP http --body-file "$d/small.body"
}

# Each test gets an empty HOME of its own: no ~/.netrc unless it writes one.
setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	unset NETRC POSTERN_PROXY_USER POSTERN_PROXY_PASSWORD
}

get_request() {
	printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n'
}

# The reply of tcpserve.py http for small.body, byte for byte.
expected_reply() {
	printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
	    "$(wc -c <"$BATS_FILE_TMPDIR/small.body")"
	cat "$BATS_FILE_TMPDIR/small.body"
}

# ping_through [POSTERN-OPTION…] -x PROXY: five bytes to an echo target that
# closes after echoing them; they must come back, and postern exit 0.
ping_through() {
	start_target PING echo --close-after 5
	run --separate-stderr postern "$@" 127.0.0.1 "$PING" < <(printf 'ping\n')
}

# ssh_remote_42: run `echo "remote says 42"` over SSH_CMD; assert it.
ssh_remote_42() {
	run --separate-stderr "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" \
	    'echo "remote says $((6 * 7))"' </dev/null
	[[ $status -eq 0 ]] || fail "ssh status $status; stderr: $stderr"
	assert_equal "$output" "remote says 42"
}

# --- squid with basic_ncsa_auth: ssh with credentials from everywhere -------

@test "squid Basic: ssh with the credentials in ~/.netrc" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	local mark
	mark=$(log_lines_now "$BASIC_LOG")
	ssh_via -x "127.0.0.1:$BASIC_PORT"
	ssh_remote_42
	wait_log "$BASIC_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT alice " "$mark"
}

@test "squid Basic: ssh with POSTERN_PROXY_USER and POSTERN_PROXY_PASSWORD" {
	export POSTERN_PROXY_USER=alice POSTERN_PROXY_PASSWORD=$ALICE_PW
	local mark
	mark=$(log_lines_now "$BASIC_LOG")
	ssh_via -x "127.0.0.1:$BASIC_PORT"
	ssh_remote_42
	wait_log "$BASIC_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT alice " "$mark"
}

@test "squid Basic: ssh with the credentials in the proxy URL, percent-encoded" {
	local mark
	mark=$(log_lines_now "$BASIC_LOG")
	ssh_via -x "http://alice:$ALICE_PW_URL@127.0.0.1:$BASIC_PORT"
	ssh_remote_42
	wait_log "$BASIC_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT alice " "$mark"
}

@test "squid Basic: ssh with -U alice and the password from netrc (alice's entry, not bob's)" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login bob password not-this-one
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	local mark
	mark=$(log_lines_now "$BASIC_LOG")
	ssh_via -U alice -x "127.0.0.1:$BASIC_PORT"
	ssh_remote_42
	wait_log "$BASIC_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT alice " "$mark"
}

@test "squid Basic: wrong password: exit 5 naming the proxy, the scheme and the realm" {
	local mark
	mark=$(log_lines_now "$BASIC_LOG")
	ping_through -U alice:not-the-password -x "127.0.0.1:$BASIC_PORT"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT rejected the credentials (Basic, realm \"postern-test\")"
	assert_equal "$output" "" stdout
	# One request without credentials, one with: two 407s, no tunnel.
	wait_log "$BASIC_LOG" "TCP_DENIED/407 .*CONNECT 127.0.0.1:$PING alice " "$mark"
	assert_no_log "$BASIC_LOG" TCP_TUNNEL "$mark"
}

@test "squid Basic: no credentials anywhere: exit 5 naming the places looked" {
	local mark
	mark=$(log_lines_now "$BASIC_LOG")
	ping_through -x "127.0.0.1:$BASIC_PORT"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, $HOME/.netrc, /dev/tty)"
	assert_equal "$output" "" stdout
	wait_log "$BASIC_LOG" "TCP_DENIED/407 .*CONNECT 127.0.0.1:$PING " "$mark"
	assert_equal "$(log_since "$BASIC_LOG" "$mark" | grep -c .)" 1 "requests squid saw"
}

@test "squid Basic: no credentials anywhere and --no-netrc: exit 5 naming the places looked" {
	ping_through --no-netrc -x "127.0.0.1:$BASIC_PORT"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, /dev/tty)"
	assert_equal "$output" "" stdout
}

# at_terminal TRANSCRIPT [--answer TEXT=REPLY]… -- POSTERN-ARG…: postern
# with "ping\n" on stdin and a terminal of its own, as from ssh in a shell.
at_terminal() {
	local t=$1
	shift
	python3 -c 'import os; os.openpty()' 2>/dev/null || skip "no pseudo-terminals here"
	start_target PING echo --close-after 5
	local args=()
	while [[ $1 != -- ]]; do
		args+=("$1")
		shift
	done
	shift
	run --separate-stderr timeout -k 5 60 python3 "$BATS_TEST_DIRNAME/lib/ttyprompt.py" \
	    --transcript "$t" "${args[@]}" -- "$POSTERN" "$@" 127.0.0.1 "$PING" \
	    < <(printf 'ping\n')
}

@test "squid Basic: no credentials but a terminal: user and password asked on /dev/tty, the password unechoed" {
	local t=$BATS_TEST_TMPDIR/terminal mark
	mark=$(log_lines_now "$BASIC_LOG")
	at_terminal "$t" --answer "Proxy user for 127.0.0.1:$BASIC_PORT: =alice" \
	    --answer "Proxy password for 127.0.0.1:$BASIC_PORT: =$ALICE_PW" \
	    -- -x "127.0.0.1:$BASIC_PORT"
	echo "terminal: $(cat "$t")"
	assert_equal "$status" 0 status
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	grep -qx "answered Proxy user for 127.0.0.1:$BASIC_PORT: : echo on" "$t"
	grep -qx "answered Proxy password for 127.0.0.1:$BASIC_PORT: : echo off" "$t"
	# The user name is echoed as typed; the password never shows.
	grep -q "alice" "$t"
	! grep -qF "$ALICE_PW" "$t"
	wait_log "$BASIC_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$PING alice " "$mark"
}

@test "squid Basic: -U alice and a terminal: only the password is asked" {
	local t=$BATS_TEST_TMPDIR/terminal
	at_terminal "$t" --answer "Proxy password for 127.0.0.1:$BASIC_PORT: =$ALICE_PW" \
	    -- -U alice -x "127.0.0.1:$BASIC_PORT"
	echo "terminal: $(cat "$t")"
	assert_equal "$status" 0 status
	assert_equal "$output" "ping" stdout
	! grep -q "Proxy user for" "$t"
	grep -qx "answered Proxy password for 127.0.0.1:$BASIC_PORT: : echo off" "$t"
}

@test "squid Basic: an empty answer at the terminal is no credential: exit 5, nothing sent" {
	local t=$BATS_TEST_TMPDIR/terminal mark
	mark=$(log_lines_now "$BASIC_LOG")
	at_terminal "$t" --answer "Proxy user for 127.0.0.1:$BASIC_PORT: =" \
	    -- -x "127.0.0.1:$BASIC_PORT"
	assert_equal "$status" 5 status
	assert_equal "$output" "" stdout
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, $HOME/.netrc, /dev/tty)"
	! grep -q "Proxy password for" "$t"
	assert_no_log "$BASIC_LOG" TCP_TUNNEL "$mark"
}

@test "squid Basic: -vvv shows 'Proxy-Authorization: Basic <redacted>' and never the password" {
	local b64pw
	b64pw=$(b64 "alice:$ALICE_PW")
	ping_through -vvv -x "http://alice:$ALICE_PW_URL@127.0.0.1:$BASIC_PORT"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	[[ $stderr == *"> Proxy-Authorization: Basic <redacted>"* ]] ||
	    fail "no redacted Proxy-Authorization line in: $stderr"
	# The trace did show the exchange: the 407 and the retried CONNECT.
	[[ $stderr == *"< HTTP/1.1 407 "* ]] || fail "no 407 in the trace: $stderr"
	assert_not_in "$stderr" "$ALICE_PW" "the password"
	assert_not_in "$stderr" "$ALICE_PW_URL" "the percent-encoded password"
	assert_not_in "$stderr" "$b64pw" "the base64 of user:password"
	assert_not_in "$stderr" "${b64pw:0:12}" "the start of the base64 of user:password"
}

# --- squid with digest_file_auth -------------------------------------------

@test "squid Digest: printf 'GET …' | postern gets the whole reply" {
	local out=$BATS_TEST_TMPDIR/out mark
	mark=$(log_lines_now "$DIGEST_LOG")
	run -0 --separate-stderr pipe_to "$out" -U "alice:$DIGEST_PW" \
	    -x "127.0.0.1:$DIGEST_PORT" 127.0.0.1 "$HTTP"
	assert_stderr ""
	expected_reply >"$BATS_TEST_TMPDIR/want"
	cmp "$out" "$BATS_TEST_TMPDIR/want"
	wait_log "$DIGEST_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$HTTP alice " "$mark"
}

@test "squid Digest: wrong password: exit 5 with the realm in the message" {
	ping_through -U alice:wrong -x "127.0.0.1:$DIGEST_PORT"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$DIGEST_PORT rejected the credentials (Digest, realm \"postern-digest\")"
	assert_equal "$output" "" stdout
}

@test "squid Digest: --auth basic when the proxy offers only Digest: exit 5, nothing sent" {
	local mark
	mark=$(log_lines_now "$DIGEST_LOG")
	ping_through --auth basic -U "alice:$DIGEST_PW" -x "127.0.0.1:$DIGEST_PORT"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$DIGEST_PORT requires authentication with a scheme postern cannot use (offered: Digest; see --auth)"
	assert_equal "$output" "" stdout
	wait_log "$DIGEST_LOG" "TCP_DENIED/407 .*CONNECT 127.0.0.1:$PING " "$mark"
	assert_equal "$(log_since "$DIGEST_LOG" "$mark" | grep -c .)" 1 "requests squid saw"
}

# --- squid with ntlm_fake_auth ----------------------------------------------

@test "squid NTLM: --auth ntlm tunnels, and squid's log names the user" {
	local mark
	mark=$(log_lines_now "$NTLM_LOG")
	ping_through --auth ntlm -U 'POSTERN\alice:any-password' -x "127.0.0.1:$NTLM_PORT"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	wait_log "$NTLM_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$PING [^ ]*alice " "$mark"
}

# --- the scripted proxy: Digest checked by its own computation --------------

@test "authproxy Digest SHA-256: the response verifies, the tunnel carries the bytes" {
	start_authproxy AP --mode digest --algorithm SHA-256 --password 's3cret "q"'
	ping_through -U 'alice:s3cret "q"' -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge ok
	assert_connections "$AP_REC" 1 1
	[[ $(rec_field "$AP_REC" 4 | tail -1) == 'Digest username="alice", realm="postern-authproxy", '*'algorithm=SHA-256'* ]] ||
	    fail "Digest answer: $(cat "$AP_REC")"
}

@test "authproxy Digest SHA-512-256: the response verifies, the tunnel carries the bytes" {
	start_authproxy AP --mode digest --algorithm SHA-512-256 --password s3cret
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge ok
	[[ $(rec_field "$AP_REC" 4 | tail -1) == *'algorithm=SHA-512-256'* ]] ||
	    fail "Digest answer: $(cat "$AP_REC")"
}

@test "authproxy Digest SHA-512-256-sess and MD5: the responses verify" {
	local alg
	for alg in SHA-512-256-sess SHA-256-sess MD5 MD5-sess; do
		start_authproxy AP --mode digest --algorithm "$alg" --password s3cret
		ping_through -U alice:s3cret -x "127.0.0.1:$AP"
		assert_equal "$status" 0 "$alg status (stderr: $stderr)"
		assert_equal "$output" ping "$alg stdout"
		assert_verdicts "$AP_REC" challenge ok
		stop_pid "$AP_PID" || true
	done
}

@test "authproxy Digest: a wrong password fails the proxy's check: exit 5, realm in the message" {
	start_authproxy AP --mode digest --algorithm SHA-256 --password s3cret
	ping_through -U alice:not-s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP rejected the credentials (Digest, realm \"postern-authproxy\")"
	assert_equal "$output" "" stdout
	assert_verdicts "$AP_REC" challenge wrong
}

@test "authproxy Digest stale=true once: the second answer, to the new nonce, succeeds without a prompt" {
	start_authproxy AP --mode digest-stale --algorithm SHA-256 --password s3cret
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge stale ok
	assert_connections "$AP_REC" 1 1 1
	# The two answers were to two different nonces.
	local n1 n2
	n1=$(sed -n 2p "$AP_REC" | grep -o 'nonce="[^"]*"')
	n2=$(sed -n 3p "$AP_REC" | grep -o 'nonce="[^"]*"')
	[[ -n $n1 && -n $n2 && $n1 != "$n2" ]] || fail "nonces: $n1 / $n2"
}

@test "authproxy Digest stale=true every time: one extra try only, then exit 5" {
	start_authproxy AP --mode digest-stale --stale-always --algorithm SHA-256 --password s3cret
	POSTERN_TIMEOUT=20 ping_through -t 10 -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP rejected the credentials (Digest, realm \"postern-authproxy\")"
	assert_verdicts "$AP_REC" challenge stale stale
}

@test "authproxy Digest: -vvv shows neither the password nor the response" {
	start_authproxy AP --mode digest --algorithm SHA-256 --password s3cret-pw
	ping_through -vvv -U alice:s3cret-pw -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_verdicts "$AP_REC" challenge ok
	local authz resp cnonce
	authz=$(rec_field "$AP_REC" 4 | tail -1)
	resp=$(grep -o 'response="[0-9a-f]*"' <<<"$authz" | cut -d'"' -f2)
	cnonce=$(grep -o 'cnonce="[^"]*"' <<<"$authz" | cut -d'"' -f2)
	[[ ${#resp} -eq 64 ]] || fail "no SHA-256 response in $authz"
	[[ $stderr == *"> Proxy-Authorization: Digest <redacted>"* ]] ||
	    fail "no redacted Proxy-Authorization line in: $stderr"
	assert_not_in "$stderr" "s3cret-pw" "the password"
	assert_not_in "$stderr" "$resp" "the Digest response"
	assert_not_in "$stderr" "$cnonce" "the cnonce"
	assert_not_in "$stderr" "$(b64 "alice:s3cret-pw")" "the base64 of user:password"
}

# --- the scripted proxy: NTLMv2 checked by its own computation ------------

@test "authproxy NTLM: Type 1, 2, 3 on one connection; the NTLMv2 response verifies" {
	start_authproxy AP --mode ntlm --user 'POSTERN\alice' --password 'Pa55 wörd'
	ping_through --auth ntlm -U 'POSTERN\alice:Pa55 wörd' -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge challenge ok
	assert_connections "$AP_REC" 1 1 1
}

# ntlm_type N: the NTLM message type (byte 8) of the Nth request recorded.
ntlm_type() {
	local t
	t=$(sed -n "$1p" "$AP_REC" | cut -f4)
	printf '%s' "${t#NTLM }" | base64 -d | od -An -tu1 -j8 -N1 | tr -d ' '
}

# ntlm_starts_over ARG: authproxy --mode ntlm ARG ends the connection of its
# first Type 2; the tunnel still carries the bytes, and the new connection
# starts over with a Type 1, its Type 3 answering that connection's Type 2.
ntlm_starts_over() {
	start_authproxy AP --mode ntlm "$1" --user 'POSTERN\alice' --password s3cret
	ping_through -U 'POSTERN\alice:s3cret' -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge challenge challenge ok
	assert_connections "$AP_REC" 1 1 2 2
	assert_equal "$(ntlm_type 3)" 1 "message type on the new connection"
	assert_equal "$(ntlm_type 4)" 3 "message type of the last request"
}

@test "authproxy NTLM: Type 2 on a 407 that closes: Type 1 again on a new connection, never a Type 3 there" {
	ntlm_starts_over --close-first-type2
}

@test "authproxy NTLM: Type 2 on a 407 whose body is cut off: Type 1 again on a new connection, never a Type 3 there" {
	ntlm_starts_over --cut-first-type2-body
}

@test "authproxy NTLM: a wrong password fails the proxy's check: exit 5" {
	start_authproxy AP --mode ntlm --user 'POSTERN\alice' --password right
	ping_through -U 'POSTERN\alice:wrong' -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP rejected the credentials (NTLM)"
	assert_verdicts "$AP_REC" challenge challenge wrong
}

@test "authproxy NTLM: -vvv shows neither the password nor the NTLM messages" {
	start_authproxy AP --mode ntlm --user 'POSTERN\alice' --password s3cret-pw
	ping_through -vvv -U 'POSTERN\alice:s3cret-pw' -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_verdicts "$AP_REC" challenge challenge ok
	local type1 type3
	type1=$(sed -n 2p "$AP_REC" | cut -f4)
	type3=$(sed -n 3p "$AP_REC" | cut -f4)
	[[ $type1 == "NTLM "* && $type3 == "NTLM "* ]] || fail "record: $(cat "$AP_REC")"
	assert_equal "$(grep -c '^> Proxy-Authorization: NTLM <redacted>$' <<<"$stderr")" 2 \
	    "redacted NTLM lines"
	assert_not_in "$stderr" "${type1#NTLM }" "the Type 1 message"
	assert_not_in "$stderr" "${type3#NTLM }" "the Type 3 message"
	assert_not_in "$stderr" "${type3:5:40}" "the start of the Type 3 message"
	assert_not_in "$stderr" "s3cret-pw" "the password"
}

# --- the scripted proxy: framing of the 407 and the 407 loop ----------------

@test "authproxy: 407 then close: postern reconnects and succeeds on the second connection" {
	start_authproxy AP --mode basic-close --password s3cret
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge ok
	assert_connections "$AP_REC" 1 2
	# The first request carried no credentials: nothing is sent before a 407.
	assert_equal "$(sed -n 1p "$AP_REC" | cut -f4)" - "first Proxy-Authorization"
	assert_equal "$(sed -n 2p "$AP_REC" | cut -f4)" "Basic $(b64 alice:s3cret)" \
	    "second Proxy-Authorization"
}

@test "authproxy: HTTP/1.0 407 whose body ends at close: postern reconnects and succeeds" {
	start_authproxy AP --mode basic-close --http10 --password s3cret
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge ok
	assert_connections "$AP_REC" 1 2
}

@test "authproxy: 407 kept alive with a chunked body: the retry comes on the same connection" {
	start_authproxy AP --mode basic-chunked --password s3cret
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	assert_verdicts "$AP_REC" challenge ok
	assert_connections "$AP_REC" 1 1
	assert_equal "$(grep -c 'open$' "$AP_LOG")" 1 "connections opened"
}

@test "authproxy: 407 forever: exit 5 after one answer, bounded" {
	start_authproxy AP --mode static --challenge 'Basic realm="forever"'
	POSTERN_TIMEOUT=20 ping_through -t 10 -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP rejected the credentials (Basic, realm \"forever\")"
	assert_equal "$output" "" stdout
	assert_verdicts "$AP_REC" challenge wrong
}

@test "authproxy: 407 forever offering Digest, NTLM and Basic: no fallback to a weaker scheme" {
	start_authproxy AP --mode static \
	    --challenge 'Digest realm="forever", nonce="abc", qop="auth", algorithm=SHA-256' \
	    --challenge 'Basic realm="forever-basic"'
	POSTERN_TIMEOUT=20 ping_through -t 10 -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP rejected the credentials (Digest, realm \"forever\")"
	assert_verdicts "$AP_REC" challenge wrong
	if rec_field "$AP_REC" 4 | grep -q '^Basic '; then
		fail "Basic was sent: $(cat "$AP_REC")"
	fi
}

@test "authproxy: 407 without Proxy-Authenticate: exit 5, no credentials sent" {
	start_authproxy AP --mode static
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP requires authentication but sent no Proxy-Authenticate challenge"
	assert_verdicts "$AP_REC" challenge
}

@test "authproxy: a proxy offering only Negotiate: exit 5 'offered: Negotiate', no credentials sent" {
	start_authproxy AP --mode static --challenge Negotiate
	ping_through -U alice:s3cret -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	if have_negotiate; then
		# Built in: GSSAPI is asked, and there is no ticket here.
		assert_stderr "postern: 127.0.0.1:$AP asks for Negotiate: no Kerberos ticket (run kinit); no other scheme offered"
	else
		assert_stderr "postern: 127.0.0.1:$AP requires authentication with a scheme postern cannot use (offered: Negotiate)"
	fi
	assert_verdicts "$AP_REC" challenge
}

# --- what is never sent ------------------------------------------------------

@test "authproxy: -U alice and no password anywhere: nothing sent, exit 5 naming the places looked" {
	start_authproxy AP --mode basic-close --password s3cret
	ping_through -U alice -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP requires authentication (offered: Basic) and no credentials were found (looked in: -U, $HOME/.netrc, /dev/tty)"
	# Not "alice" with an empty password that nobody gave.
	assert_verdicts "$AP_REC" challenge
}

@test "stdin is the tunnel: a password is never read from it" {
	start_authproxy AP --mode basic-close --password from-stdin
	start_target PING echo --close-after 11
	run --separate-stderr postern -U alice -x "127.0.0.1:$AP" 127.0.0.1 "$PING" \
	    < <(printf 'from-stdin\n')
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP requires authentication (offered: Basic) and no credentials were found (looked in: -U, $HOME/.netrc, /dev/tty)"
	assert_verdicts "$AP_REC" challenge
	if grep -qF "Basic $(b64 alice:from-stdin)" "$AP_REC"; then
		fail "the password was read from stdin: $(cat "$AP_REC")"
	fi
	assert_not_in "$stderr" from-stdin "the bytes of stdin"
}

@test "chained proxies: -U and POSTERN_PROXY_* belong to the first proxy only" {
	start_squid
	start_authproxy AP --mode basic-close --password s3cret
	export POSTERN_PROXY_USER=alice POSTERN_PROXY_PASSWORD=s3cret
	ping_through -U alice:s3cret -x "127.0.0.1:$SQUID_PORT" -x "127.0.0.1:$AP"
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$AP requires authentication (offered: Basic) and no credentials were found (looked in: the proxy URL, $HOME/.netrc, /dev/tty)"
	assert_verdicts "$AP_REC" challenge
	assert_equal "$(rec_field "$AP_REC" 4)" - "Proxy-Authorization the second proxy got"
}

@test "chained proxies: the second proxy's URL credentials go to it, none to the first" {
	start_squid
	start_authproxy AP --mode basic-close --password 's3:cr@t'
	ping_through -x "127.0.0.1:$SQUID_PORT" -x "http://alice:s3%3Acr%40t@127.0.0.1:$AP"
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_verdicts "$AP_REC" challenge ok
	assert_connections "$AP_REC" 1 2
	wait_log "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$AP -"
}

@test "squid Basic: ^C, SIGTERM, SIGHUP or SIGQUIT at the password prompt: the signal ends postern, echo is back on" {
	local t=$BATS_TEST_TMPDIR/terminal sig code q="Proxy password for 127.0.0.1:$BASIC_PORT: "
	for sig in INT:130 TERM:143 HUP:129 QUIT:131; do
		code=${sig#*:} sig=${sig%:*}
		at_terminal "$t" --signal "$q=$sig" -- -U alice -x "127.0.0.1:$BASIC_PORT"
		echo "terminal after SIG$sig: $(cat "$t")"
		assert_equal "$status" "$code" "status after SIG$sig"
		assert_equal "$output" "" "stdout after SIG$sig"
		grep -qx "signalled SIG$sig at $q" "$t"
		grep -qx "at the end: echo on" "$t"
	done
}

@test "squid Basic: ^Z at the password prompt stops postern with echo on; after fg the question comes again and the tunnel works" {
	local t=$BATS_TEST_TMPDIR/terminal q="Proxy password for 127.0.0.1:$BASIC_PORT: "
	at_terminal "$t" --signal "$q=TSTP" --answer "$q=$ALICE_PW" \
	    -- -U alice -x "127.0.0.1:$BASIC_PORT"
	echo "terminal: $(cat "$t")"
	assert_equal "$status" 0 status
	assert_equal "$output" ping stdout
	assert_equal "$(tr -d '\r' <"$t" | grep -v '^$' | tail -n 5)" "$q
signalled SIGTSTP at $q
stopped: echo on
answered $q: echo off
at the end: echo on" "the end of the transcript"
	assert_equal "$(grep -o "$q" "$t" | grep -c .)" 4 \
	    "the question asked twice (and named twice in the notes)"
	! grep -qF "$ALICE_PW" "$t"
}

# cmdline_is PID ARG…: /proc/PID/cmdline holds exactly these arguments.
cmdline_is() {
	local pid=$1 want=$BATS_TEST_TMPDIR/cmdline.want
	shift
	printf '%s\0' "$@" >"$want"
	# Through a pipe: cmp takes /proc's size of 0 at its word.
	cat "/proc/$pid/cmdline" | cmp -s - "$want" && return 0
	printf 'cmdline of %s:\n' "$pid" >&2
	od -c "/proc/$pid/cmdline" >&2
	return 1
}

@test "squid Basic: -U's password is blanked in /proc/PID/cmdline while the tunnel runs, the user name stays" {
	start_echo
	run_held -U "alice:$ALICE_PW" -x "127.0.0.1:$BASIC_PORT"
	cmdline_is "$HELD_PID" "$POSTERN" -U "alice:*********" -x "127.0.0.1:$BASIC_PORT" \
	    127.0.0.1 "$ECHO_PORT"
	stop_held
}

@test "squid Basic: a proxy URL's password is blanked in /proc/PID/cmdline while the tunnel runs" {
	start_echo
	run_held --proxy="http://alice:$ALICE_PW_URL@127.0.0.1:$BASIC_PORT"
	cmdline_is "$HELD_PID" "$POSTERN" "--proxy=http://alice:*************@127.0.0.1:$BASIC_PORT" \
	    127.0.0.1 "$ECHO_PORT"
	stop_held
}

@test "squid Basic: a -H Proxy-Authorization value is blanked in /proc/PID/cmdline, and still sent" {
	local h
	h="Proxy-Authorization: Basic $(b64 "alice:$ALICE_PW")"
	start_echo
	run_held -H "$h" -x "127.0.0.1:$BASIC_PORT"
	cmdline_is "$HELD_PID" "$POSTERN" -H "Proxy-Authorization:$(printf '%*s' $((${#h} - 20)) '' | tr ' ' '*')" \
	    -x "127.0.0.1:$BASIC_PORT" 127.0.0.1 "$ECHO_PORT"
	stop_held
}
