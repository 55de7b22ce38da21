#!/usr/bin/env bats
# postern -L: a listener that forwards every connection through the proxy
# to one target, or (without a target) a local CONNECT proxy. Real squid,
# tinyproxy and sshd; every listener on 127.0.0.1 on a port chosen at run
# time, stopped by PID.

load helpers

setup_file() {
	require_postern
	start_squid
	start_tinyproxy
	start_echo
}

# start_listener [POSTERN-OPTION…] -- LISTEN-ARGS…: postern -L on a free
# port; LPORT is the port, LPID the listener's PID, LERR its stderr.
start_listener() {
	local dir=$BATS_TEST_TMPDIR attempt
	LERR=$dir/listener.err
	for ((attempt = 0; attempt < 5; attempt++)); do
		LPORT=$(free_port)
		spawn "$LERR" "$POSTERN" -L "127.0.0.1:$LPORT" "$@"
		LPID=$SPAWNED_PID
		wait_port 127.0.0.1 "$LPORT" "$LPID" 20 && return 0
		stop_pid "$LPID"
	done
	cat "$LERR" >&2
	fail "postern -L did not start"
}


# roundtrip PORT IN OUT: IN through the listener on PORT to the echo
# target; what came back in OUT (the client half-closes at the end of IN).
roundtrip() {
	timeout 30 socat -t 30 - "TCP:127.0.0.1:$1" <"$2" >"$3"
}

# connect_req PORT TARGET: a CONNECT through the local proxy on PORT; the
# reply's header and body in REPLY.
connect_req() {
	REPLY=$(printf 'CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n' "$2" "$2" |
	    timeout 30 socat -t 30 - "TCP:127.0.0.1:$1" | tr -d '\r')
}

# echoes PORT [ECHOCLIENT-OPTION…]: tests/lib/echoclient.py through the
# listener on PORT, bounded.
echoes() {
	timeout 120 "$PY" "$LIB/echoclient.py" "$@"
}

@test "forwarding through squid: a checksummed echo" {
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --size 1000000
	assert_equal "$output" "ok"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT "
}

@test "forwarding through tinyproxy: a checksummed echo" {
	start_listener -x "127.0.0.1:$TINYPROXY_PORT" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --size 1000000
	assert_equal "$output" "ok"
}

@test "forwarding through squid with Basic: the password is used by every tunnel" {
	start_squid --auth basic
	start_listener -x "127.0.0.1:$SQUID_PORT" -U "alice:$SQUID_PASSWORD" \
	    127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --count 3
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT alice "
}

@test "50 tunnels at once, each checked" {
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --count 50 --parallel 50 --size 100000
	assert_equal "$(grep -c '^ok$' <<<"$output")" 50
}

@test "local CONNECT proxy through squid and tinyproxy: a checksummed echo" {
	start_listener -x "127.0.0.1:$SQUID_PORT"
	run -0 echoes "$LPORT" --connect "127.0.0.1:$ECHO_PORT" --size 1000000
	assert_equal "$output" "ok"
	start_listener -x "127.0.0.1:$TINYPROXY_PORT"
	run -0 echoes "$LPORT" --connect "127.0.0.1:$ECHO_PORT" --count 20 --parallel 20
}
