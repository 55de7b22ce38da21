#!/usr/bin/env bats
# What a tunnel holds and leaves behind: its file descriptors, a tunnel
# that goes quiet (--idle-timeout), and --fdpass, after which no process
# relays at all.

load helpers
load lib/auth

setup_file() {
	require_postern
	start_squid
	start_echo
}

# fd_snapshot PID: "fd -> what" lines of PID's open descriptors.
fd_snapshot() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		printf '%s -> %s\n' "${fd##*/}" "$(readlink "$fd")"
	done | sort -n
}

@test "a relaying postern holds stdin, stdout, stderr and one socket, nothing else" {
	run_held -x "127.0.0.1:$SQUID_PORT"
	run fd_snapshot "$HELD_PID"
	stop_held
	printf '%s\n' "$output"
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[0]} == "0 -> "*"/in" ]]
	[[ ${lines[1]} == "1 -> "*"/out" ]]
	[[ ${lines[3]} =~ ^3\ -\>\ socket: ]]
}

@test "after a 407 answered on the same connection, still one socket" {
	start_squid --auth basic
	run_held -x "127.0.0.1:$SQUID_PORT" -U "alice:$SQUID_PASSWORD"
	run fd_snapshot "$HELD_PID"
	stop_held
	printf '%s\n' "$output"
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[3]} =~ ^[0-9]+\ -\>\ socket: ]]
}

@test "after a 407 that closed the connection, the first socket is closed too" {
	start_authproxy AP --mode basic-close --password s3cret
	run_held -x "127.0.0.1:$AP" -U alice:s3cret
	run fd_snapshot "$HELD_PID"
	stop_held
	printf '%s\n' "$output"
	assert_connections "$AP_REC" 1 2
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[3]} =~ ^3\ -\>\ socket: ]]
}

@test "with a file on stdout the relay splices through one pipe of its own, or copies with none" {
	local dir=$BATS_TEST_TMPDIR relay pipes
	# A build without splice (make POSIX=1) copies through its buffer.
	relay=$(postern_relay)
	case $relay in
	splice) pipes=2 ;;
	read/write) pipes=0 ;;
	*) fail "-V names no relay: '$relay'" ;;
	esac
	mkfifo "$dir/in"
	(clean_exec "$POSTERN" -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 \
	    "$ECHO_PORT") <"$dir/in" >"$dir/got" 2>"$dir/err" &
	HELD_PID=$!
	exec 7>"$dir/in"
	printf 'hello\n' >&7
	wait_grep "$dir/got" '^hello$' 20
	run fd_snapshot "$HELD_PID"
	exec 7>&-
	kill "$HELD_PID"
	wait "$HELD_PID" || true
	printf '%s\n' "$output"
	# 0, 1, 2, the socket and, when splicing, the two ends of one pipe.
	[ "${#lines[@]}" -eq $((4 + pipes)) ]
	[ "$(grep -c -- '-> socket:' <<<"$output")" -eq 1 ]
	[ "$(grep -c -- '-> pipe:' <<<"$output" || true)" -eq "$pipes" ]
}

@test "--idle-timeout ends a quiet tunnel with exit 9 and its message" {
	local dir=$BATS_TEST_TMPDIR
	mkfifo "$dir/in"
	exec 7<>"$dir/in"
	run timeout 30 "$POSTERN" --idle-timeout 1 -x "127.0.0.1:$SQUID_PORT" \
	    127.0.0.1 "$ECHO_PORT" <"$dir/in"
	exec 7>&-
	[ "$status" -eq 9 ]
	[ "$output" = "postern: no traffic for 1 s: closing the tunnel (--idle-timeout)" ]
}

@test "--idle-timeout counts from the last bytes moved, not from the start" {
	# Six lines half a second apart outlast a 2 s bound only if each one
	# restarts the count; then the tunnel goes quiet and ends with 9.
	run timeout 30 "$POSTERN" --idle-timeout 2 -x "127.0.0.1:$SQUID_PORT" \
	    127.0.0.1 "$ECHO_PORT" < <(for i in 1 2 3 4 5 6; do
		echo "line $i"; sleep 0.5; done)
	[ "$status" -eq 9 ]
	[ "${lines[5]}" = "line 6" ]
	[ "${lines[6]}" = "postern: no traffic for 2 s: closing the tunnel (--idle-timeout)" ]
}

@test "--fdpass hands the connected socket over stdout and exits 0" {
	run timeout 30 "$PY" "$LIB/fdrecv.py" --send 'through the handed socket
' -- "$POSTERN" --fdpass -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "fd: through the handed socket" ]
	[ "${lines[1]}" = "exit: 0" ]
}

@test "--fdpass relays instead when bytes came with the proxy's 200" {
	start_fakeproxy FP --mode close --banner 'SSH-2.0-banner\r\n'
	run timeout 30 "$PY" "$LIB/fdrecv.py" -- "$POSTERN" --fdpass \
	    -x "127.0.0.1:$FP" 127.0.0.1 22
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "data: SSH-2.0-banner"$'\r' ]
	[ "${lines[1]}" = "exit: 0" ]
}

@test "--fdpass with stdout not a socket: exit 2, nothing sent" {
	start_fakeproxy FP
	run timeout 10 "$POSTERN" --fdpass -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "postern: --fdpass: standard output is not a Unix socket (use it with ssh's ProxyUseFdpass yes)" ]
	assert_no_request "$FP_REQ"
}

@test "--fdpass with an https proxy: exit 2, nothing sent" {
	start_fakeproxy FP
	run timeout 10 "$POSTERN" --fdpass -x "https://127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "postern: --fdpass cannot be used with an https proxy (127.0.0.1:$FP): the TLS session cannot be handed over" ]
	assert_no_request "$FP_REQ"
}

@test "ssh with ProxyUseFdpass and postern --fdpass runs a command" {
	start_sshd
	local proxycmd
	proxycmd=$(printf '%q ' "$POSTERN" --fdpass -x "127.0.0.1:$SQUID_PORT")
	mapfile -t args < <(ssh_args)
	run -0 timeout 60 ssh "${args[@]}" -o ProxyUseFdpass=yes \
	    -o "ProxyCommand=$proxycmd%h %p" -p "$SSHD_PORT" \
	    "$SSH_USER@127.0.0.1" 'echo "fd passed $((6 * 7))"' </dev/null
	[ "$output" = "fd passed 42" ]
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT "
}

@test "bytes that came with the 200 go out at once, while the tunnel stays open" {
	# The proxy's 200 and the target's greeting in one write; the target
	# then waits for an answer.  postern must show the greeting without
	# waiting for more from the socket (it once spun here instead).
	local port dir=$BATS_TEST_TMPDIR
	port=$(free_port)
	"$PY" -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
open(sys.argv[2], "w").write("1")
s.settimeout(30); c, _ = s.accept(); c.settimeout(30); d = b""
while b"\r\n\r\n" not in d: d += c.recv(4096)
c.sendall(b"HTTP/1.1 200 OK\r\n\r\nGREETING\n")
c.sendall(b"answer:" + c.recv(100)); c.close()' "$port" "$dir/ready" &
	local srv=$!
	wait_for_file "$dir/ready" "$srv" 10
	mkfifo "$dir/in"
	timeout 30 "$POSTERN" -x "127.0.0.1:$port" 127.0.0.1 22 <"$dir/in" >"$dir/got" &
	local pid=$!
	exec 7>"$dir/in"
	wait_grep "$dir/got" '^GREETING$' 10
	printf 'yes\n' >&7
	exec 7>&-
	wait "$pid"
	wait "$srv" || true
	[ "$(cat "$dir/got")" = "$(printf 'GREETING\nanswer:yes')" ]
}
