#!/usr/bin/env bats
# Every exit status of the contract that issue 2 covers, each with its one
# line on stderr, against real proxies where they give the answer (squid,
# tinyproxy) and the scripted fake proxy where no real one does. Nothing may
# reach stdout unless a 2xx came first.

load helpers

setup_file() {
	require_postern
	start_squid --auth basic
	export AUTH_SQUID_PORT=$SQUID_PORT
	start_squid
	start_tinyproxy
}

setup() {
	CLOSED=$(closed_port)
}

# fake_reply REPLY [fakeproxy ARG…]: a fake proxy answering REPLY, in $FP.
fake_reply() {
	local reply=$1
	shift
	start_fakeproxy FP --reply "$reply" "$@"
}

# --- 3: cannot reach the proxy, or it timed out ------------------------------

@test "exit 3: the proxy's port is closed" {
	run -3 --separate-stderr postern -x "127.0.0.1:$CLOSED" 127.0.0.1 22 </dev/null
	assert_stderr "postern: cannot connect to proxy 127.0.0.1:$CLOSED: Connection refused"
	assert_equal "$output" "" stdout
}

@test "exit 3: the proxy's port is closed (http:// URL from https_proxy)" {
	export https_proxy="http://127.0.0.1:$CLOSED"
	run -3 --separate-stderr postern 127.0.0.1 22 </dev/null
	assert_stderr "postern: cannot connect to proxy 127.0.0.1:$CLOSED: Connection refused"
}

@test "exit 3: -t 1 against a proxy that accepts and never answers" {
	start_fakeproxy FP --mode silent
	run -3 --separate-stderr timeout 10 "$POSTERN" -t 1 -x "127.0.0.1:$FP" \
	    127.0.0.1 22 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP: timed out after 1 s waiting for the reply to CONNECT"
	assert_equal "$output" "" stdout
	assert_request "$FP_REQ" 127.0.0.1:22
}

@test "exit 3: -t 1 is a deadline for the whole reply, not reset by each byte" {
	# One byte a second: the status line alone takes longer than -t.
	fake_reply 'HTTP/1.1 200 Connection established\r\n\r\nlate' --mode slow
	run -3 --separate-stderr timeout 10 "$POSTERN" -t 1 -x "127.0.0.1:$FP" \
	    127.0.0.1 22 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP: timed out after 1 s waiting for the reply to CONNECT"
	assert_equal "$output" "" stdout
}

@test "a reply dribbled one byte at a time within -t still opens the tunnel" {
	fake_reply 'HTTP/1.1 200 OK\r\n\r\n' --banner 'hi\n' --mode slow --interval 0.02
	run -0 --separate-stderr postern -t 20 -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "hi" stdout
	assert_stderr ""
}

# --- 5: the proxy wants credentials and none are configured ------------------

@test "exit 5: squid demands Basic credentials (407) and none are configured" {
	run -5 --separate-stderr postern -x "127.0.0.1:$AUTH_SQUID_PORT" 127.0.0.1 22 </dev/null
	[[ $stderr == "postern: 127.0.0.1:$AUTH_SQUID_PORT requires authentication (offered: Basic) and no credentials were found"* ]] ||
	    fail "stderr: $stderr"
	[[ $stderr != *$'\n'* ]] || fail "more than one line: $stderr"
	assert_equal "$output" "" stdout
}

@test "exit 5: a 407 offering two schemes names both" {
	fake_reply 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'
	run -5 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	if have_negotiate; then
		[[ $stderr == "postern: 127.0.0.1:$FP asks for Negotiate: no Kerberos ticket (run kinit); and no credentials were found for the other schemes (offered: Negotiate, Basic; looked in: "* ]] ||
		    fail "stderr: $stderr"
	else
		[[ $stderr == "postern: 127.0.0.1:$FP requires authentication (offered: Negotiate, Basic) and no credentials were found"* ]] ||
		    fail "stderr: $stderr"
	fi
	[[ $stderr != *$'\n'* ]] || fail "more than one line: $stderr"
	assert_equal "$output" "" stdout
}

# --- 6: the proxy refused ----------------------------------------------------

@test "exit 6: squid refuses CONNECT to a denied port with 403 Forbidden" {
	run -6 --separate-stderr postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SQUID_BLOCKED_PORT" </dev/null
	assert_stderr "postern: 127.0.0.1:$SQUID_PORT refused CONNECT 127.0.0.1:$SQUID_BLOCKED_PORT: 403 Forbidden"
	# squid's HTML error page is the body of the reply: never on stdout.
	assert_equal "$output" "" stdout
	wait_grep "$SQUID_LOG" "TCP_DENIED[A-Z_]*/403 .*CONNECT 127.0.0.1:$SQUID_BLOCKED_PORT "
}

@test "exit 6: tinyproxy cannot connect and answers 500 Unable to connect" {
	run -6 --separate-stderr postern -x "127.0.0.1:$TINYPROXY_PORT" 127.0.0.1 "$CLOSED" </dev/null
	assert_stderr "postern: 127.0.0.1:$TINYPROXY_PORT refused CONNECT 127.0.0.1:$CLOSED: 500 Unable to connect"
	assert_equal "$output" "" stdout
}

@test "exit 6: 405 Method Not Allowed with a body, body not on stdout" {
	fake_reply 'HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/html\r\nContent-Length: 14\r\n\r\n<p>no way</p>\n'
	run -6 --separate-stderr postern -x "127.0.0.1:$FP" example.org 443 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP refused CONNECT example.org:443: 405 Method Not Allowed"
	assert_equal "$output" "" stdout
}

# --- 7: the proxy could not reach the target ---------------------------------

@test "exit 7: squid cannot connect to a closed target port (503)" {
	run -7 --separate-stderr postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$CLOSED" </dev/null
	assert_stderr "postern: 127.0.0.1:$SQUID_PORT could not reach 127.0.0.1:$CLOSED: 503 Service Unavailable"
	assert_equal "$output" "" stdout
}

@test "exit 7: 502 Bad Gateway" {
	fake_reply 'HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n'
	run -7 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 "$CLOSED" </dev/null
	assert_stderr "postern: 127.0.0.1:$FP could not reach 127.0.0.1:$CLOSED: 502 Bad Gateway"
	assert_equal "$output" "" stdout
}

@test "exit 7: 504 Gateway Timeout" {
	fake_reply 'HTTP/1.0 504 Gateway Timeout\r\n\r\n'
	run -7 --separate-stderr postern -x "127.0.0.1:$FP" db.internal 5432 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP could not reach db.internal:5432: 504 Gateway Timeout"
}

# --- 8: not HTTP, or over a limit ---------------------------------------------

@test "exit 8: a garbage reply" {
	fake_reply 'garbage\r\n\r\n'
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"garbage\""
	assert_equal "$output" "" stdout
}

@test "exit 8: binary garbage is shown escaped" {
	fake_reply '\x1b[2J\x00\xff\r\n\r\n'
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	# Whatever the escaping looks like, no raw control byte reaches stderr.
	[[ $stderr == "postern: 127.0.0.1:$FP: invalid reply to CONNECT: "*'"'*'"' ]] ||
	    fail "stderr: $stderr"
	[[ $stderr == *'\x1b[2J\x00\xff'* ]] || fail "not shown escaped: $stderr"
	if printf '%s' "$stderr" | LC_ALL=C grep -q '[[:cntrl:]]'; then
		fail "a control character reached stderr: $(printf '%s' "$stderr" | od -c)"
	fi
	assert_equal "$output" "" stdout
}

@test "exit 8: malformed status lines" {
	local line
	for line in 'http/1.1 200 OK' 'HTTP/2.0 200 OK' 'HTTP/1.1 2000 OK' \
	    'HTTP/1.1 20 OK' 'HTTPS/1.1 200 OK' 'HTTP/1.1 2OO OK'; do
		fake_reply "$line\\r\\n\\r\\n"
		run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
		assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"$line\""
		assert_equal "$output" "" "stdout for $line"
	done
}

@test "exit 8: a header line without a colon" {
	fake_reply 'HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\nsecret'
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: malformed header line: \"NoColonHere\""
	assert_equal "$output" "" stdout
}

@test "exit 8: a header section over 65536 bytes (endless header lines)" {
	# Lines of 4000 bytes: the size limit trips before the field count's.
	fake_reply 'HTTP/1.1 200 OK\r\n' --mode endless \
	    --repeat "X-Filler: $(printf 'f%.0s' {1..3988})\\r\\n"
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[[ $stderr == "postern: 127.0.0.1:$FP: invalid reply to CONNECT: header section exceeds 65536 bytes"* ]] ||
	    fail "stderr: $stderr"
	[[ $stderr != *$'\n'* ]] || fail "more than one line on stderr: $stderr"
	assert_equal "$output" "" stdout
}

@test "exit 8: a single header line longer than the header section limit" {
	local reply=$BATS_TEST_TMPDIR/reply
	{
		printf 'HTTP/1.1 200 OK\r\nX-Long: '
		head -c 70000 /dev/zero | tr '\0' a
		printf '\r\n\r\n'
	} >"$reply"
	start_fakeproxy FP --reply-file "$reply"
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[[ $stderr == "postern: 127.0.0.1:$FP: invalid reply to CONNECT: "* ]] || fail "stderr: $stderr"
	# The offending line is shown truncated, not whole.
	[[ ${#stderr} -lt 1024 ]] || fail "stderr is ${#stderr} bytes long"
	assert_equal "$output" "" stdout
}

@test "exit 8: too many header fields" {
	local reply=$BATS_TEST_TMPDIR/reply
	{
		printf 'HTTP/1.1 200 OK\r\n'
		for ((i = 0; i < 10000; i++)); do printf 'X:y\r\n'; done
		printf '\r\n'
	} >"$reply"
	# 50000 bytes: under the size limit, so the count limit must trip.
	start_fakeproxy FP --reply-file "$reply"
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[[ $stderr == "postern: 127.0.0.1:$FP: invalid reply to CONNECT: more than 100 header fields: \"X:y"* ]] ||
	    fail "stderr: $stderr"
	assert_equal "$output" "" stdout
}

@test "exit 8: the proxy closes the connection in the middle of the reply" {
	fake_reply 'HTTP/1.1 200 OK\r\nVia: 1.1 fake\r\n'
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: the proxy closed the connection during the reply"
	assert_equal "$output" "" stdout
}

@test "exit 8: the proxy closes the connection without answering" {
	fake_reply ''
	run -8 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_stderr "postern: 127.0.0.1:$FP closed the connection without replying to CONNECT 127.0.0.1:22"
	assert_equal "$output" "" stdout
}

# --- 2: usage errors, and nothing is sent ------------------------------------

@test "exit 2: a bad target, and the proxy receives nothing" {
	start_fakeproxy FP
	run -2 --separate-stderr postern -x "127.0.0.1:$FP" $'a\r\nb' 22 </dev/null
	# The first line is the message; cli.bats checks that it is the only one.
	[[ ${stderr_lines[0]} == 'postern: invalid target host: "a\r\nb"'* ]] ||
	    fail "stderr: $stderr"
	assert_equal "$output" "" stdout
	assert_no_request "$FP_REQ"
}

@test "exit 2: a bad port, and the proxy receives nothing" {
	start_fakeproxy FP
	run -2 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 0 </dev/null
	assert_equal "${stderr_lines[0]}" 'postern: invalid port: "0" (a number from 1 to 65535)'
	assert_equal "$output" "" stdout
	assert_no_request "$FP_REQ"
}

@test "exit 2: no proxy configured anywhere" {
	run -2 --separate-stderr postern 127.0.0.1 22 </dev/null
	assert_equal "${stderr_lines[0]}" "postern: no proxy configured: use -x or set https_proxy or http_proxy"
	assert_equal "$output" "" stdout
}

# --- 1: an I/O error once the tunnel is up -----------------------------------

@test "exit 1: the proxy resets the connection in the middle of the tunnel" {
	fake_reply 'HTTP/1.1 200 OK\r\n\r\n' --banner 'partial' --mode reset
	run -1 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[[ $stderr == postern:* && $stderr != *$'\n'* ]] || fail "stderr: $stderr"
}

@test "exit 1: stdout goes away while data is still coming" {
	start_target SRC source --size $((8 << 20))
	fake_reply 'HTTP/1.1 200 OK\r\n\r\n' --mode relay --target "127.0.0.1:$SRC"
	run -0 bash -c '"$1" -x "127.0.0.1:$2" 127.0.0.1 "$3" 2>"$4" </dev/null |
	    head -c 10 >/dev/null; echo "${PIPESTATUS[0]}"' \
	    sh "$POSTERN" "$FP" "$SRC" "$BATS_TEST_TMPDIR/err"
	assert_equal "$output" 1 "postern's exit status"
	run cat "$BATS_TEST_TMPDIR/err"
	[[ $output == postern:* && $output != *$'\n'* ]] || fail "stderr: $output"
}
