#!/usr/bin/env bats
# The relay: bytes in both directions through real proxies, end of input,
# bytes that arrive with the proxy's 200, and large transfers checked by
# checksum.

load helpers
load lib/stall

setup_file() {
	require_postern
	start_squid
	start_tinyproxy
	local d=$BATS_FILE_TMPDIR
	printf 'the whole reply, line 1\nline 2\n' >"$d/small.body"
	start_target HTTP http --body-file "$d/small.body"
	start_target SLOWHTTP http --body-file "$d/small.body" --delay 2
	head -c $((32 << 20)) /dev/urandom >"$d/32m"
	export BIG_SHA=$(sha "$d/32m")
	start_target BIG source --file "$d/32m"
	head -c $((64 << 20)) /dev/urandom >"$d/64m"
	export RANDOM64=$d/64m RANDOM64_SHA=$(sha "$d/64m")
	start_target ECHO64 echo --close-after $((64 << 20))
	start_target PING echo --close-after 5
	start_target EOFREPLY eofreply
	start_target BANNER echo --banner 'SSH-2.0-postern_test\r\n' --close-after 5
	# Says hello, shuts down its sending side, and reads on to the end.
	start_target SINK sink --banner 'hello\n'
	head -c 20000000 /dev/urandom >"$d/20m"
	export SINK_IN=$d/20m SINK_SHA=$(sha "$d/20m")
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

@test "printf 'GET …' | postern through squid: stdin ends at once, the whole reply arrives" {
	local out=$BATS_TEST_TMPDIR/out
	get_request | postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$HTTP" >"$out"
	expected_reply >"$BATS_TEST_TMPDIR/want"
	cmp "$out" "$BATS_TEST_TMPDIR/want"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$HTTP "
}

@test "printf 'GET …' | postern through squid: a server that answers after a delay" {
	local out=$BATS_TEST_TMPDIR/out
	get_request | postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SLOWHTTP" >"$out"
	expected_reply >"$BATS_TEST_TMPDIR/want"
	cmp "$out" "$BATS_TEST_TMPDIR/want"
}

@test "printf 'GET …' | postern through tinyproxy: the whole reply arrives" {
	local out=$BATS_TEST_TMPDIR/out
	get_request | postern -x "127.0.0.1:$TINYPROXY_PORT" 127.0.0.1 "$SLOWHTTP" >"$out"
	expected_reply >"$BATS_TEST_TMPDIR/want"
	cmp "$out" "$BATS_TEST_TMPDIR/want"
}

@test "32 MiB download through squid with stdin at EOF from the start arrives whole" {
	local out=$BATS_TEST_TMPDIR/out
	POSTERN_TIMEOUT=300 postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$BIG" </dev/null >"$out"
	assert_equal "$(stat -c %s "$out")" $((32 << 20)) size
	assert_equal "$(sha "$out")" "$BIG_SHA" sha256
}

@test "32 MiB download through tinyproxy with stdin at EOF from the start arrives whole" {
	local out=$BATS_TEST_TMPDIR/out
	POSTERN_TIMEOUT=300 postern -x "127.0.0.1:$TINYPROXY_PORT" 127.0.0.1 "$BIG" </dev/null >"$out"
	assert_equal "$(stat -c %s "$out")" $((32 << 20)) size
	assert_equal "$(sha "$out")" "$BIG_SHA" sha256
}

@test "32 MiB download through squid while stdin stays open: exit 0 when the far side closes" {
	local out=$BATS_TEST_TMPDIR/out fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	# Opened read-write, the FIFO never reaches end of file: postern must
	# end because the tunnel closed, not because its input did.
	POSTERN_TIMEOUT=300 postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$BIG" 0<>"$fifo" >"$out"
	assert_equal "$(sha "$out")" "$BIG_SHA" sha256
}

@test "64 MiB of random bytes echoed through squid come back with the same checksum" {
	local out=$BATS_TEST_TMPDIR/out
	POSTERN_TIMEOUT=300 postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO64" \
	    <"$RANDOM64" >"$out"
	assert_equal "$(stat -c %s "$out")" $((64 << 20)) size
	assert_equal "$(sha "$out")" "$RANDOM64_SHA" sha256
}

@test "64 MiB of random bytes echoed through tinyproxy come back with the same checksum" {
	local out=$BATS_TEST_TMPDIR/out
	POSTERN_TIMEOUT=300 postern -x "127.0.0.1:$TINYPROXY_PORT" 127.0.0.1 "$ECHO64" \
	    <"$RANDOM64" >"$out"
	assert_equal "$(stat -c %s "$out")" $((64 << 20)) size
	assert_equal "$(sha "$out")" "$RANDOM64_SHA" sha256
}

@test "64 MiB echoed with stdin a pipe and stdout a pipe" {
	run -0 bash -c 'cat "$1" | timeout 300 "$2" -x "127.0.0.1:$3" 127.0.0.1 "$4" | sha256sum' \
	    sh "$RANDOM64" "$POSTERN" "$SQUID_PORT" "$ECHO64"
	assert_equal "${output%% *}" "$RANDOM64_SHA" sha256
}

@test "-N: a target that reads until end of input gets it and answers (half-close carried by the proxy)" {
	start_fakeproxy FP --mode relay
	run -0 --separate-stderr postern -N -x "127.0.0.1:$FP" 127.0.0.1 "$EOFREPLY" <<<"hello"
	assert_equal "$output" "EOF after 6 bytes: hello" stdout
	assert_stderr ""
	grep -qx "client eof after 6" "$FP_LOG"
}

@test "without -N the end of input is not passed on: that target never answers" {
	start_fakeproxy FP --mode relay
	# Bounded: postern keeps the tunnel open, so timeout ends it.
	run -124 timeout 3 "$POSTERN" -x "127.0.0.1:$FP" 127.0.0.1 "$EOFREPLY" <<<"hello"
	assert_equal "$output" "" stdout
}

@test "-N with a large input: everything reaches the target before the FIN" {
	start_fakeproxy FP --mode relay
	local in=$BATS_TEST_TMPDIR/in
	head -c 1000000 /dev/urandom >"$in"
	postern -N -x "127.0.0.1:$FP" 127.0.0.1 "$EOFREPLY" <"$in" >"$BATS_TEST_TMPDIR/out"
	{ printf 'EOF after 1000000 bytes: '; cat "$in"; } >"$BATS_TEST_TMPDIR/want"
	cmp "$BATS_TEST_TMPDIR/out" "$BATS_TEST_TMPDIR/want"
}

@test "a target that speaks first: its banner in the same write as the 200 is not lost" {
	start_fakeproxy FP --reply 'HTTP/1.1 200 Connection established\r\n\r\n' \
	    --banner 'SSH-2.0-OpenSSH_9.2\r\n'
	postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" 'SSH-2.0-OpenSSH_9.2\r\n'
}

@test "binary bytes right after the 200 (CRLFCRLF, NUL, 0xFF, another status line) pass unchanged" {
	start_fakeproxy FP --reply 'HTTP/1.1 200 OK\r\n\r\n' \
	    --banner '\r\n\r\n\x00\xffHTTP/1.1 403 Forbidden\r\n\r\n\x00'
	postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" '\r\n\r\n\000\377HTTP/1.1 403 Forbidden\r\n\r\n\000'
}

@test "a target that speaks first, through squid: banner then the echo" {
	run -0 postern -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$BANNER" <<<"ping"
	assert_equal "$output" $'SSH-2.0-postern_test\r\nping' stdout
}

@test "a 200 carrying Content-Length: 5 still delivers everything after the header" {
	start_fakeproxy FP --reply 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n' \
	    --banner '0123456789abcdefghij'
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "0123456789abcdefghij" stdout
}

@test "a 200 carrying Transfer-Encoding: chunked is not decoded" {
	start_fakeproxy FP --reply 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' \
	    --banner '0\r\n\r\nraw'
	postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null >"$BATS_TEST_TMPDIR/out"
	assert_bytes "$BATS_TEST_TMPDIR/out" '0\r\n\r\nraw'
}

@test "an HTTP/1.0 200 with headers and LF-only line endings opens the tunnel" {
	start_fakeproxy FP --reply 'HTTP/1.0 200 Connection established\nProxy-agent: fake\n\n' \
	    --banner 'up'
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "up" stdout
}

@test "a 100 Continue before the 200 is skipped" {
	start_fakeproxy FP --reply 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n' \
	    --banner 'up'
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "up" stdout
}

@test "any 2xx opens the tunnel (204 with an empty reason phrase)" {
	start_fakeproxy FP --reply 'HTTP/1.1 204 \r\n\r\n' --banner 'up'
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "up" stdout
}

@test "stdin and stdout the same socket (inetd style)" {
	# socat would be the usual way; python3 hands postern one socket as fd 0
	# and fd 1 and checks that the echo came back on it.
	run -0 "$PY" - "$POSTERN" "$SQUID_PORT" "$PING" <<-'EOF'
		import socket, subprocess, sys
		a, b = socket.socketpair()
		p = subprocess.Popen([sys.argv[1], "-x", "127.0.0.1:" + sys.argv[2],
		                      "127.0.0.1", sys.argv[3]],
		                     stdin=b.fileno(), stdout=b.fileno())
		b.close()
		a.sendall(b"ping\n")
		a.settimeout(30)
		got = b""
		while True:
		    chunk = a.recv(100)
		    if not chunk:
		        break
		    got += chunk
		print(repr(got), p.wait(timeout=30))
	EOF
	assert_equal "$output" "b'ping\\n' 0"
}

@test "a stalled reader costs a plain tunnel no CPU: the relay sleeps while stdout is full" {
	local cpu=$BATS_TEST_TMPDIR/cpu
	run -0 stalled_download "$cpu" 3 -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$BIG"
	assert_equal "$output" "$BIG_SHA" sha256
	assert_cpu_below "$cpu" 0.6
}

@test "-N: a target that closes its side first still gets all of stdin, and the end of it" {
	start_fakeproxy FP --mode relay
	run -0 --separate-stderr postern -N -x "127.0.0.1:$FP" 127.0.0.1 "$SINK" <"$SINK_IN"
	assert_equal "$output" "hello" stdout
	assert_stderr ""
	wait_grep "$SINK_LOG" "^eof after " 30
	grep -qx "eof after 20000000 sha256 $SINK_SHA" "$SINK_LOG"
}

@test "without -N, a target that closes its side first gets every byte postern read" {
	start_fakeproxy FP --mode relay
	local fd pos
	# postern shares the file's offset with this shell: where it stopped
	# is what it read.
	exec {fd}<"$SINK_IN"
	run -0 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 "$SINK" <&$fd
	pos=$(awk '$1 == "pos:" { print $2 }' "/proc/$BASHPID/fdinfo/$fd")
	exec {fd}<&-
	assert_equal "$output" "hello" stdout
	assert_stderr ""
	wait_grep "$SINK_LOG" "^eof after " 30
	grep -q "^eof after $pos " "$SINK_LOG"
}

@test "-N: the far side's end reaches stdout at once, and stdin is still sent after it" {
	start_fakeproxy FP --mode relay
	local in=$BATS_TEST_TMPDIR/in out=$BATS_TEST_TMPDIR/out w pid
	mkfifo "$in"
	exec {w}<>"$in"
	# Only this shell may hold the fifo open for writing.
	("$POSTERN" -N -x "127.0.0.1:$FP" 127.0.0.1 "$SINK" <"$in" {w}>&- |
	    { cat >"$out"; echo done >"$out.eof"; }) {w}>&- &
	pid=$!
	printf 'first ' >&$w
	# stdout ends while this shell still holds stdin open.
	wait_for_file "$out.eof" "$pid" 20
	assert_equal "$(cat "$out")" "hello" stdout
	printf 'second' >&$w
	exec {w}>&-
	wait "$pid"
	wait_grep "$SINK_LOG" "^eof after " 20
	grep -q "^eof after 12 " "$SINK_LOG"
}

