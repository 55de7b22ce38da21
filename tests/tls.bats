#!/usr/bin/env bats
# https:// proxies: squid behind stunnel4, with a CA and certificates made by
# the test. Verification (CA file, CA directory, none), the distinct failures
# (unknown CA, expired, another name, a plain port, a missing client
# certificate), client certificates, and the relay over TLS: ssh, large
# transfers in both directions at once, end of input, close_notify.

load helpers
load lib/tls
load lib/stall

setup_file() {
	require_postern
	make_pki "$BATS_FILE_TMPDIR/pki"
	start_squid
	start_stunnel TLS "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key"
	start_stunnel EXPIRED "$SQUID_PORT" "$PKI/expired.pem" "$PKI/expired.key"
	start_stunnel OTHER "$SQUID_PORT" "$PKI/other.pem" "$PKI/other.key"
	start_stunnel CLIENTAUTH "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key" \
	    "verify = 2" "CAfile = $PKI/clientca.pem"
	# The same with TLS 1.2 at most: there a missing client certificate
	# fails the handshake itself.
	start_stunnel CLIENTAUTH12 "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key" \
	    "verify = 2" "CAfile = $PKI/clientca.pem" "sslVersionMax = TLSv1.2"
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
	start_target ECHO16 echo --close-after $((16 << 20))
	start_target SOURCE16 source --file "$d/16m"
}

# traced SYSCALLS PORT: postern through the https proxy to 127.0.0.1:PORT
# under strace, which writes the calls named to $BATS_TEST_TMPDIR/trace.
traced() {
	command -v strace >/dev/null || skip "strace is not installed"
	# LeakSanitizer cannot run under ptrace: leave leaks to the other tests.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    strace -e trace="$1" -o "$BATS_TEST_TMPDIR/trace" "$POSTERN" \
	    -x "https://localhost:$TLS" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$2"
}

# squid's access log shows a tunnel to 127.0.0.1:PORT.
assert_tunnel_to() {
	wait_for_line "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$1 "
}

# squid never saw a CONNECT to 127.0.0.1:PORT (a port no other test uses).
# postern has exited: once every stunnel has ended each connection it
# accepted before a marker, and squid has logged a marker CONNECT made after
# that, a CONNECT from postern would be in squid's log.
refute_tunnel_to() {
	stunnels_settled || return
	squid_marker "$SQUID_PORT" "$SQUID_LOG" "$1" || return
	if grep -q "CONNECT 127\.0\.0\.1:$1 " "$SQUID_LOG"; then
		fail "squid received a CONNECT to port $1: $(grep "CONNECT 127\.0\.0\.1:$1 " "$SQUID_LOG")"
	fi
}

# A target port nobody listens on, for failures that must not get as far as
# the CONNECT: if one did, squid's log would name it.
unused_target() {
	closed_port
}

@test "https proxy with --proxy-cacert: stunnel in front of squid carries the tunnel" {
	run -0 --separate-stderr postern -x "https://localhost:$TLS" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	assert_tunnel_to "$PING"
}

@test "https proxy without a CA option: the system store does not know the test CA, exit 4" {
	local port
	port=$(unused_target)
	run -4 --separate-stderr postern -x "https://localhost:$TLS" 127.0.0.1 "$port" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$TLS failed: certificate verify failed (unable to get local issuer certificate)"
	refute_tunnel_to "$port"
}

# tls_setup_error MESSAGE OPTION…: postern with these TLS options fails
# before any CONNECT, exit 4, saying MESSAGE after "TLS with … failed: ".
tls_setup_error() {
	local want=$1 port
	shift
	port=$(unused_target)
	run -4 --separate-stderr postern -x "https://localhost:$TLS" "$@" \
	    127.0.0.1 "$port" </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$TLS failed: $want"
	refute_tunnel_to "$port"
}

@test "unusable TLS files: the message names the cause, not the layer that gave up" {
	local d=$BATS_TEST_TMPDIR
	echo "not PEM" >"$d/junk.pem"
	tls_setup_error "cannot load trust anchors from $d/none.pem: No such file or directory" \
	    --proxy-cacert "$d/none.pem"
	tls_setup_error "cannot load trust anchors from $d/junk.pem: Not a directory" \
	    --proxy-capath "$d/junk.pem"
	tls_setup_error "cannot load trust anchors from $d/none: No such file or directory" \
	    --proxy-capath "$d/none"
	tls_setup_error "cannot load client certificate $d/none.pem: No such file or directory" \
	    --proxy-cacert "$PKI/ca.pem" --proxy-cert "$d/none.pem"
	tls_setup_error "cannot load client certificate $d/junk.pem: no PEM data of the kind wanted (no start line)" \
	    --proxy-cacert "$PKI/ca.pem" --proxy-cert "$d/junk.pem"
	tls_setup_error "cannot load client key $PKI/client.pem: no private key in PEM form found" \
	    --proxy-cacert "$PKI/ca.pem" --proxy-cert "$PKI/client.pem"
	tls_setup_error "cannot load client key $PKI/server.key: it is not the key of the certificate" \
	    --proxy-cacert "$PKI/ca.pem" --proxy-cert "$PKI/client.pem" --proxy-key "$PKI/server.key"
}

@test "https proxy with --proxy-cacert naming another CA: unknown CA, exit 4" {
	local port
	port=$(unused_target)
	run -4 --separate-stderr postern -x "https://localhost:$TLS" \
	    --proxy-cacert "$PKI/clientca.pem" 127.0.0.1 "$port" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$TLS failed: certificate verify failed (unable to get local issuer certificate)"
	refute_tunnel_to "$port"
}

@test "--proxy-insecure: the tunnel works and the warning is printed" {
	run -0 --separate-stderr postern -x "https://localhost:$TLS" --proxy-insecure \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr "postern: warning: --proxy-insecure: the certificate of localhost:$TLS is not verified"
}

@test "--proxy-insecure warns even with -q, and accepts an expired certificate" {
	run -0 --separate-stderr postern -q -x "https://localhost:$EXPIRED" \
	    --proxy-insecure 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr "postern: warning: --proxy-insecure: the certificate of localhost:$EXPIRED is not verified"
}

@test "an expired certificate: exit 4, certificate has expired" {
	local port
	port=$(unused_target)
	run -4 --separate-stderr postern -x "https://localhost:$EXPIRED" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$port" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$EXPIRED failed: certificate verify failed (certificate has expired)"
	refute_tunnel_to "$port"
}

@test "a certificate for another name: exit 4, hostname mismatch" {
	local port
	port=$(unused_target)
	run -4 --separate-stderr postern -x "https://localhost:$OTHER" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$port" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$OTHER failed: certificate verify failed (hostname mismatch)"
	refute_tunnel_to "$port"
}

@test "a proxy given by IP address: the certificate's IP SAN is checked" {
	run -0 --separate-stderr postern -x "https://127.0.0.1:$TLS" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	run -4 --separate-stderr postern -x "https://127.0.0.1:$OTHER" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with 127.0.0.1:$OTHER failed: certificate verify failed (IP address mismatch)"
}

@test "a plain-HTTP proxy port given as https://: exit 4, does not speak TLS" {
	local port start=$SECONDS
	port=$(unused_target)
	run -4 --separate-stderr postern -t 3 -x "https://127.0.0.1:$SQUID_PORT" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$port" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with 127.0.0.1:$SQUID_PORT failed: the proxy does not speak TLS on this port (wrong version number); is it an http:// proxy?"
	((SECONDS - start <= 5)) || fail "took $((SECONDS - start)) s"
}

@test "a proxy port that accepts and says nothing: the handshake times out at -t, exit 4" {
	local start=$SECONDS
	start_fakeproxy FP --mode silent
	run -4 --separate-stderr postern -t 2 -x "https://127.0.0.1:$FP" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 22 </dev/null
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with 127.0.0.1:$FP failed: timed out during the handshake (does the proxy speak TLS on this port?)"
	((SECONDS - start <= 5)) || fail "took $((SECONDS - start)) s"
}

@test "the four certificate failures give four different messages" {
	local m1 m2 m3 m4
	m1=$(postern -x "https://localhost:$TLS" 127.0.0.1 22 2>&1 </dev/null | sed "s/:$TLS /:P /")
	m2=$(postern -x "https://localhost:$EXPIRED" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 22 2>&1 </dev/null |
	    sed "s/:$EXPIRED /:P /")
	m3=$(postern -x "https://localhost:$OTHER" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 22 2>&1 </dev/null |
	    sed "s/:$OTHER /:P /")
	m4=$(postern -t 3 -x "https://localhost:$SQUID_PORT" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 22 2>&1 </dev/null |
	    sed "s/:$SQUID_PORT /:P /")
	[[ -n $m1 && -n $m2 && -n $m3 && -n $m4 ]] || fail "an empty message: '$m1' '$m2' '$m3' '$m4'"
	assert_equal "$(printf '%s\n' "$m1" "$m2" "$m3" "$m4" | sort -u | wc -l)" 4 "distinct messages"
}

@test "client certificate required (verify = 2): passes with --proxy-cert and --proxy-key" {
	run -0 --separate-stderr postern -x "https://localhost:$CLIENTAUTH" --proxy-cacert "$PKI/ca.pem" \
	    --proxy-cert "$PKI/client.pem" --proxy-key "$PKI/client.key" \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	assert_tunnel_to "$PING"
}

@test "client certificate required: --proxy-cert alone, with the key in the same file" {
	cat "$PKI/client.pem" "$PKI/client.key" >"$BATS_TEST_TMPDIR/both.pem"
	run -0 --separate-stderr postern -x "https://localhost:$CLIENTAUTH" --proxy-cacert "$PKI/ca.pem" \
	    --proxy-cert "$BATS_TEST_TMPDIR/both.pem" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
}

# expect_alert TRIES MESSAGE POSTERN-ARG…: every one of TRIES runs of postern
# exits 4 with the alert that the proxy sent after the handshake (MESSAGE is
# what follows "CONNECT: ", the alert and any hint after it). The
# proxy rejects the client's certificate once the client's handshake is
# done (TLS 1.3), then closes: by then postern may be writing the CONNECT
# or reading the reply, and both must report the alert, not the reset that
# follows it. The race goes either way, hence several tries (counted in
# "try": bats' run overwrites a variable named i).
expect_alert() {
	local tries=$1 alert=$2 try bad=0 send recv
	shift 2
	send="postern: TLS with localhost:$CLIENTAUTH failed sending CONNECT: $alert"
	recv="postern: TLS with localhost:$CLIENTAUTH failed reading the reply to CONNECT: $alert"
	for ((try = 1; try <= tries; try++)); do
		run --separate-stderr postern "$@" </dev/null
		if [[ $status -ne 4 || -n $output ||
		    ($stderr != "$send" && $stderr != "$recv") ]]; then
			printf 'try %d: status %d, stdout %q, stderr %q\n' "$try" "$status" \
			    "$output" "$stderr" >&2
			bad=$((bad + 1))
		fi
	done
	((bad == 0)) || fail "$bad of $tries tries did not report the alert with exit 4"
}

@test "client certificate required, none given (TLS 1.3): exit 4 with the proxy's alert, every time" {
	local port
	port=$(unused_target)
	expect_alert 20 "tlsv13 alert certificate required; the proxy requires a client certificate (--proxy-cert)" \
	    -x "https://localhost:$CLIENTAUTH" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$port"
	refute_tunnel_to "$port"
}

@test "client certificate required, none given (TLS 1.2): exit 4, handshake failure names --proxy-cert" {
	local port
	port=$(unused_target)
	run -4 --separate-stderr postern -x "https://localhost:$CLIENTAUTH12" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$port" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$CLIENTAUTH12 failed: handshake failure (sslv3 alert handshake failure); the proxy may require a client certificate (--proxy-cert)"
	refute_tunnel_to "$port"
}

@test "client certificate from a CA the proxy does not trust: exit 4 with the proxy's alert, every time" {
	local port
	port=$(unused_target)
	# server.pem is signed by the proxy's CA, not by the client CA.
	expect_alert 20 "tlsv1 alert unknown ca" \
	    -x "https://localhost:$CLIENTAUTH" --proxy-cacert "$PKI/ca.pem" \
	    --proxy-cert "$PKI/server.pem" --proxy-key "$PKI/server.key" \
	    127.0.0.1 "$port"
	refute_tunnel_to "$port"
}

@test "--proxy-capath with a directory made by openssl rehash passes" {
	run -0 --separate-stderr postern -x "https://localhost:$TLS" \
	    --proxy-capath "$PKI/capath" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
}

@test "--proxy-capath with a directory without the CA: exit 4, unknown CA" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	run -4 --separate-stderr postern -x "https://localhost:$TLS" \
	    --proxy-capath "$BATS_TEST_TMPDIR/empty" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "" stdout
	assert_stderr "postern: TLS with localhost:$TLS failed: certificate verify failed (unable to get local issuer certificate)"
}

@test "-v says that the certificate was verified, and which TLS version" {
	run -0 --separate-stderr postern -v -x "https://localhost:$TLS" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	[[ $stderr == *"postern: TLS: TLSv1.3, "*", certificate verified"* ]] || fail "stderr: $stderr"
}

# ssh_cmd [POSTERN-OPTION…]: SSH_CMD is an ssh command line whose
# ProxyCommand is postern with these options.
ssh_cmd() {
	local proxycmd
	proxycmd=$(printf '%q ' "$POSTERN" "$@")
	mapfile -t SSH_CMD < <(ssh_args)
	SSH_CMD=(ssh "${SSH_CMD[@]}" -o "ProxyCommand=$proxycmd%h %p" -p "$SSHD_PORT")
}

@test "ssh through the https proxy with ProxyCommand postern runs a command" {
	ssh_cmd -x "https://localhost:$TLS" --proxy-cacert "$PKI/ca.pem"
	run -0 timeout 60 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" 'echo "remote says $((6 * 7))"' </dev/null
	assert_equal "$output" "remote says 42"
	assert_tunnel_to "$SSHD_PORT"
}

@test "ssh through the https proxy: 4 MiB up and 4 MiB down arrive intact" {
	local in=$BATS_TEST_TMPDIR/in
	head -c $((4 << 20)) /dev/urandom >"$in"
	ssh_cmd -x "https://localhost:$TLS" --proxy-cacert "$PKI/ca.pem"
	timeout 120 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" \
	    'sha256sum | cut -c1-64; head -c 4194304 /dev/zero | tr "\0" x' \
	    <"$in" >"$BATS_TEST_TMPDIR/out"
	assert_equal "$(head -n 1 "$BATS_TEST_TMPDIR/out")" "$(sha "$in")" sha256
	tail -n +2 "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/down"
	assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/down")" 4194304 size
	assert_equal "$(tr -d x <"$BATS_TEST_TMPDIR/down" | wc -c)" 0 "bytes other than x"
}

@test "printf 'GET …' | postern through the https proxy: stdin ends at once, the whole reply arrives" {
	local out=$BATS_TEST_TMPDIR/out want=$BATS_TEST_TMPDIR/want
	printf 'GET / HTTP/1.0\r\n\r\n' |
	    postern -x "https://localhost:$TLS" --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$HTTP" >"$out"
	{
		printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
		    "$(wc -c <"$BATS_FILE_TMPDIR/small.body")"
		cat "$BATS_FILE_TMPDIR/small.body"
	} >"$want"
	cmp "$out" "$want"
	assert_tunnel_to "$HTTP"
}

@test "records go out several to a system call: 16 MiB up in fewer writes than records" {
	local out=$BATS_TEST_TMPDIR/out trace=$BATS_TEST_TMPDIR/trace
	traced write,sendto "$ECHO16" <"$RANDOM16" >"$out"
	assert_equal "$(stat -c %s "$out")" $((16 << 20)) size
	# 16 MiB is 1024 full records: one write each would be 1024 calls on
	# the socket; gathered four to a call, a few hundred.  Any descriptor
	# above 2 is the socket (bats keeps some of its own open).
	local n
	n=$(grep -cE '^(write|sendto)\(([3-9]|[1-9][0-9]+),' "$trace" || true)
	echo "socket writes: $n"
	[ "$n" -gt 0 ]
	[ "$n" -lt 600 ]
}

@test "a bulk upload reads on without asking poll() each time: few polls between full reads" {
	local out=$BATS_TEST_TMPDIR/out trace=$BATS_TEST_TMPDIR/trace
	traced poll,read "$ECHO16" <"$RANDOM16" >"$out"
	assert_equal "$(stat -c %s "$out")" $((16 << 20)) size
	# A file is always readable: a full 64 KiB read of standard input
	# is followed by the next one, with a poll() only every few dozen
	# buffers.  Later the proxy falls behind and the socket, not the
	# file, sets the pace: count only the polls before the 64th read.
	# One poll per read would make 63 or more.
	local polls
	polls=$(awk '/^read\(0,.*= 65536$/ && ++reads == 64 { exit }
	    /^poll\(/ && reads > 0 { n++ } END { print n + 0 }' "$trace")
	echo "polls before the 64th full read of standard input: $polls"
	[ "$polls" -lt 32 ]
}

@test "a download reads several records at a time: 16 MiB down in fewer reads than records" {
	local out=$BATS_TEST_TMPDIR/out trace=$BATS_TEST_TMPDIR/trace
	traced read "$SOURCE16" </dev/null >"$out"
	cmp "$out" "$RANDOM16"
	# 1024 full records.  A read buffer of one record's size takes them
	# one per read(), 1024 or more; room for four takes several at once
	# whenever they are waiting.  Descriptors above 2 are the socket.
	local n
	n=$(grep -cE '^read\(([3-9]|[1-9][0-9]+),.*= [1-9][0-9]*$' "$trace" || true)
	echo "socket reads that returned bytes: $n"
	[ "$n" -gt 0 ]
	[ "$n" -lt 800 ]
}

@test "64 MiB of random bytes echoed through the https proxy come back with the same checksum" {
	local out=$BATS_TEST_TMPDIR/out
	POSTERN_TIMEOUT=300 postern -x "https://localhost:$TLS" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$ECHO64" <"$RANDOM64" >"$out"
	assert_equal "$(stat -c %s "$out")" $((64 << 20)) size
	assert_equal "$(sha "$out")" "$RANDOM64_SHA" sha256
}

@test "TLS relay, both directions at once: 64 MiB up while 64 MiB come down, pipes at both ends" {
	run -0 bash -c 'set -o pipefail; cat "$1" |
	    timeout 300 "$2" -x "https://localhost:$3" --proxy-cacert "$4" 127.0.0.1 "$5" |
	    sha256sum' sh "$RANDOM64" "$POSTERN" "$TLS" "$PKI/ca.pem" "$ECHO64"
	assert_equal "${output%% *}" "$RANDOM64_SHA" sha256
}

@test "TLS relay, both directions at once with a stalled reader: no deadlock when writes would block" {
	# The reader sleeps first: the echo's replies pile up, the proxy
	# stops reading, and postern's TLS writes must wait (WANT_WRITE)
	# while it keeps the other direction moving once the reader wakes.
	run -0 bash -c 'set -o pipefail; cat "$1" |
	    timeout 300 "$2" -x "https://localhost:$3" --proxy-cacert "$4" 127.0.0.1 "$5" |
	    { sleep 3; sha256sum; }' sh "$RANDOM64" "$POSTERN" "$TLS" "$PKI/ca.pem" "$ECHO64"
	assert_equal "${output%% *}" "$RANDOM64_SHA" sha256
}

@test "Basic credentials to squid behind stunnel go inside TLS" {
	start_squid --auth basic
	start_stunnel AUTHTLS "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key"
	run -0 --separate-stderr postern -x "https://localhost:$AUTHTLS" --proxy-cacert "$PKI/ca.pem" \
	    -U "alice:$SQUID_PASSWORD" 127.0.0.1 "$PING" <<<"ping"
	assert_equal "$output" "ping" stdout
	assert_stderr ""
	wait_for_line "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$PING alice "
}

@test "-N over TLS: the end of input is sent as close_notify, and the reply still arrives" {
	start_tlsproxy TP
	run -0 --separate-stderr postern -N -x "https://localhost:$TP" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 22 <<<"hello"
	assert_equal "$output" "close_notify after 6 bytes" stdout
	assert_stderr ""
	assert_equal "$(cat "$TP_LOG")" \
	    $'sni localhost\nrequest CONNECT 127.0.0.1:22 HTTP/1.1\nclose_notify after 6 bytes' log
}

@test "without -N over TLS the end of input is not passed on: the server hears nothing" {
	start_tlsproxy TP
	run -124 timeout 3 "$POSTERN" -x "https://localhost:$TP" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 22 <<<"hello"
	assert_equal "$output" "" stdout
}

@test "data and close_notify read in one go end the tunnel at once, the TCP connection still open" {
	start_tlsproxy TP --end notify-hold
	# The proxy holds the connection for 30 s: a postern that missed the
	# close_notify would wait for it.
	run -0 --separate-stderr timeout 15 "$POSTERN" -N -x "https://localhost:$TP" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 22 <<<"hello"
	assert_equal "$output" "close_notify after 6 bytes" stdout
	assert_stderr ""
}

@test "the proxy ends the TLS tunnel with a bare TCP close: exit 0, every byte delivered" {
	start_tlsproxy TP --end tcp
	run -0 --separate-stderr postern -N -x "https://localhost:$TP" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 22 <<<"hello"
	assert_equal "$output" "close_notify after 6 bytes" stdout
	assert_stderr ""
}

@test "a stalled reader costs a TLS tunnel no CPU: the relay sleeps while stdout is full" {
	local cpu=$BATS_TEST_TMPDIR/cpu
	# 3 s with stdout full: a relay that polls with a zero timeout because
	# OpenSSL holds records burns them all.
	run -0 stalled_download "$cpu" 3 -x "https://localhost:$TLS" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$SOURCE16"
	assert_equal "$output" "$(sha "$RANDOM16")" sha256
	assert_cpu_below "$cpu" 0.6
}

@test "an https proxy named with its trailing dot (localhost.): checked as localhost, SNI without the dot" {
	can_override_hosts || skip "needs root and mount namespaces (with_hosts)"
	start_tlsproxy TP
	printf '127.0.0.1 localhost localhost.\n' >"$BATS_TEST_TMPDIR/hosts"
	run -0 --separate-stderr with_hosts "$BATS_TEST_TMPDIR/hosts" timeout 20 \
	    "$POSTERN" -N -x "https://localhost.:$TP" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 22 <<<"hello"
	assert_equal "$output" "close_notify after 6 bytes" stdout
	assert_stderr ""
	grep -qx "sni localhost" "$TP_LOG"
}

@test "the pass phrase of --proxy-key is asked before -t starts: a slow answer does not time out" {
	local key=$BATS_TEST_TMPDIR/enc.key t=$BATS_TEST_TMPDIR/terminal
	openssl pkey -in "$PKI/client.key" -aes256 -passout pass:s3cret -out "$key"
	# Answered after 2 s, with -t 1: the time at the prompt is the user's.
	run --separate-stderr timeout -k 5 60 "$PY" "$LIB/ttyprompt.py" --delay 2 \
	    --transcript "$t" --answer "Pass phrase for $key: =s3cret" -- \
	    "$POSTERN" -t 1 -x "https://localhost:$CLIENTAUTH" --proxy-cacert "$PKI/ca.pem" \
	    --proxy-cert "$PKI/client.pem" --proxy-key "$key" 127.0.0.1 "$PING" \
	    < <(printf 'ping\n')
	echo "terminal: $(cat "$t")"
	assert_equal "$status" 0 status
	assert_equal "$output" "ping" stdout
	grep -qx "answered Pass phrase for $key: : echo off" "$t"
}

