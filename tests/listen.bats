#!/usr/bin/env bats
# postern -L: a listener that forwards every connection through the proxy
# to one target, or (without a target) a local CONNECT proxy. Real squid,
# tinyproxy and sshd; every listener on 127.0.0.1 on a port chosen at run
# time, stopped by PID.

load helpers
load lib/tls

setup() {
	LWRAP=()
}

setup_file() {
	require_postern
	start_squid
	start_tinyproxy
	start_echo
}

# start_listener [POSTERN-OPTION…] -- LISTEN-ARGS…: postern -L on a free
# port; LPORT is the port, LPID the listener's PID, LERR its stderr.  With
# LWRAP set (an array), postern runs under that command, which must exec
# it (prlimit, env).
start_listener() {
	local dir=$BATS_TEST_TMPDIR attempt
	LERR=$dir/listener.err
	for ((attempt = 0; attempt < 5; attempt++)); do
		LPORT=$(free_port)
		spawn "$LERR" "${LWRAP[@]}" "$POSTERN" -L "127.0.0.1:$LPORT" "$@"
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

@test "ssh to the test sshd through a forwarding listener" {
	start_sshd
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SSHD_PORT"
	mapfile -t args < <(ssh_args)
	run -0 timeout 60 ssh "${args[@]}" -o "HostKeyAlias=[127.0.0.1]:$SSHD_PORT" \
	    -p "$LPORT" "$SSH_USER@127.0.0.1" 'echo "remote says $((6 * 7))"' </dev/null
	assert_equal "$output" "remote says 42"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT "
}

@test "curl -p -x fetches a page through the local CONNECT proxy" {
	start_target HTTP_PORT http --body 'through the listener\n'
	start_listener -v -x "127.0.0.1:$SQUID_PORT"
	run -0 timeout 60 curl -sS -p -x "http://127.0.0.1:$LPORT" \
	    "http://127.0.0.1:$HTTP_PORT/"
	assert_equal "$output" "through the listener"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$HTTP_PORT "
	wait_grep "$LERR" "tunnel 127.0.0.1:[0-9]+ -> 127.0.0.1:$HTTP_PORT via 127.0.0.1:$SQUID_PORT: [0-9]+ bytes up, [0-9]+ down, .* status 200, exit 0"
}

# connect_req PORT REQUEST: send REQUEST (printf format) to the local proxy
# on PORT; its reply, CRs removed, in REPLY.
connect_req() {
	REPLY=$(printf "$2" | timeout 60 "$PY" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=50)
s.sendall(sys.stdin.buffer.read())
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sys.stdout.buffer.write(out)' "$1" | tr -d '\r')
}

@test "local proxy: 400 for a malformed request, 405 with Allow for GET" {
	start_listener -x "127.0.0.1:$SQUID_PORT"
	connect_req "$LPORT" 'CONNECT nowhere HTTP/1.1\r\n\r\n'
	[[ $REPLY == "HTTP/1.1 400 Bad Request"* ]] || fail "$REPLY"
	[[ $REPLY == *"bad request: invalid CONNECT target: "* ]] || fail "$REPLY"
	connect_req "$LPORT" 'GET http://example.org/ HTTP/1.1\r\nHost: example.org\r\n\r\n'
	[[ $REPLY == "HTTP/1.1 405 Method Not Allowed"* ]] || fail "$REPLY"
	grep -qx 'Allow: CONNECT' <<<"$REPLY"
	wait_grep "$LERR" "method GET not allowed: only CONNECT"
}

@test "local proxy: 403 when squid refuses the port" {
	start_listener -x "127.0.0.1:$SQUID_PORT"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$SQUID_BLOCKED_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 403 Forbidden"* ]] || fail "$REPLY"
	grep -q "refused CONNECT 127.0.0.1:$SQUID_BLOCKED_PORT: 403" <<<"$REPLY"
	wait_grep "$LERR" "refused CONNECT 127.0.0.1:$SQUID_BLOCKED_PORT: 403"
}

@test "local proxy: 502 for a dead upstream and for failed authentication" {
	local dead
	dead=$(closed_port)
	start_listener -x "127.0.0.1:$dead"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$ECHO_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 502 Bad Gateway"* ]] || fail "$REPLY"
	grep -q "cannot connect to proxy 127.0.0.1:$dead" <<<"$REPLY" ||
	    grep -q "cannot connect to 127.0.0.1:$dead" <<<"$REPLY" || fail "$REPLY"
	start_squid --auth basic
	start_listener --no-netrc -x "127.0.0.1:$SQUID_PORT"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$ECHO_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 502 Bad Gateway"* ]] || fail "$REPLY"
	grep -q "requires authentication" <<<"$REPLY"
}

@test "local proxy: 504 when the upstream does not answer within -t" {
	start_target MUTE_PORT eofreply
	start_listener -t 1 -x "127.0.0.1:$MUTE_PORT"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$ECHO_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 504 Gateway Timeout"* ]] || fail "$REPLY"
	grep -q "timed out" <<<"$REPLY"
}

@test "a client that connects and sends nothing does not block others" {
	start_listener -x "127.0.0.1:$SQUID_PORT"
	exec 5<>"/dev/tcp/127.0.0.1/$LPORT"
	run -0 echoes "$LPORT" --connect "127.0.0.1:$ECHO_PORT" --count 5 --parallel 5
	exec 5>&-
}

# squid_tunnels PORT: how many CONNECTs to 127.0.0.1:PORT squid has logged
# (it logs each when its tunnel closes).
squid_tunnels() {
	grep -c "CONNECT 127.0.0.1:$1 " "$SQUID_LOG" 2>/dev/null || true
}

@test "SIGTERM with tunnels open: exit 0, every tunnel ended, no process left" {
	local hold=$BATS_TEST_TMPDIR/release before i
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	before=$(squid_tunnels "$ECHO_PORT")
	echoes "$LPORT" --count 3 --parallel 3 --hold "$hold" >"$BATS_TEST_TMPDIR/held" &
	local client=$!
	wait_grep "$BATS_TEST_TMPDIR/held" '^held$' 30
	# One process holds them all: nothing of it is left to stop.
	[ -z "$(ps -o pid= --ppid "$LPID")" ] || fail "children: $(ps -o pid= --ppid "$LPID")"
	kill -TERM "$LPID"
	local st=0
	wait "$LPID" || st=$?
	assert_equal "$st" 0
	# The three upstream connections were closed, not left to the client.
	for ((i = 0; i < 100; i++)); do
		(($(squid_tunnels "$ECHO_PORT") >= before + 3)) && break
		sleep 0.1
	done
	(($(squid_tunnels "$ECHO_PORT") >= before + 3)) || fail "squid saw $(squid_tunnels "$ECHO_PORT") - $before tunnels end"
	touch "$hold"
	wait "$client" || true
}

@test "one process for 200 tunnels at once, and an idle tunnel costs under 16 KiB" {
	local hold=$BATS_TEST_TMPDIR/release kb0 kb1
	start_listener --max-tunnels 300 -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --count 2 --size 10
	kb0=$(awk '/^Pss:/ { print $2 }' "/proc/$LPID/smaps_rollup")
	echoes "$LPORT" --count 200 --parallel 50 --size 10 --hold "$hold" >"$BATS_TEST_TMPDIR/held" &
	local client=$!
	wait_grep "$BATS_TEST_TMPDIR/held" '^held$' 60
	assert_equal "$(grep -c '^ok$' "$BATS_TEST_TMPDIR/held")" 200
	[ -z "$(ps -o pid= --ppid "$LPID")" ] || fail "the listener has children"
	kb1=$(awk '/^Pss:/ { print $2 }' "/proc/$LPID/smaps_rollup")
	echo "PSS ${kb0} KiB idle, ${kb1} KiB with 200 tunnels open"
	# AddressSanitizer's redzones and quarantine are no measure of it.
	grep -qa __asan_init "$POSTERN" ||
	    ((kb1 - kb0 < 200 * 16)) || fail "$(( (kb1 - kb0) / 200 )) KiB per idle tunnel"
	touch "$hold"
	wait "$client"
}

@test "500 tunnels in a row: the listener's fd count does not change" {
	local before after
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --count 5 --size 10
	before=$(ls "/proc/$LPID/fd" | wc -l)
	run -0 echoes "$LPORT" --count 500 --size 10
	after=$(ls "/proc/$LPID/fd" | wc -l)
	assert_equal "$after" "$before"
	[ -z "$(ps -o stat= --ppid "$LPID" | grep Z)" ] || fail "zombies"
}

@test "a low open-file limit: fewer tunnels at once, said at start, and every one served" {
	LWRAP=(prlimit --nofile=100:100)
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	wait_grep "$LERR" "^postern: listener: 100 open files \(ulimit -n\) allow 6 tunnels at once, not 256: more wait for one to end$"
	run -0 echoes "$LPORT" --count 40 --parallel 40 --size 20000
	assert_equal "$(grep -c '^ok$' <<<"$output")" 40
}

@test "accept() out of descriptors with no tunnel open: the listener tries again" {
	local shim=$BATS_TEST_TMPDIR/accept_emfile.so
	cc -shared -fPIC -o "$shim" "$LIB/accept_emfile.c" -ldl 2>/dev/null ||
	    skip "cannot build an LD_PRELOAD shim here"
	# start_listener's probe connection meets the failing accept().
	LWRAP=(env LD_PRELOAD="$shim"
	    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
	start_listener -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	wait_grep "$LERR" "accept: Too many open files: waiting for a tunnel to end"
	run -0 timeout 20 "$PY" "$LIB/echoclient.py" "$LPORT" --count 3
	assert_equal "$output" "ok"$'\n'"ok"$'\n'"ok"
}

@test "--idle-timeout: an idle tunnel is closed, and the listener says why" {
	start_listener --idle-timeout 1 -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	# One byte there and back, then the tunnel idles until it is closed.
	connect_req "$LPORT" x
	assert_equal "$REPLY" "x"
	wait_grep "$LERR" "^postern: no traffic for 1 s: closing the tunnel \(--idle-timeout\)$"
	_alive "$LPID" || fail "the listener ended"
}

@test "--max-tunnels 2: more connections wait, and all are served" {
	start_listener --max-tunnels 2 -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --count 10 --parallel 10
	assert_equal "$(grep -c '^ok$' <<<"$output")" 10
}

@test "-L systemd: started by systemd-socket-activate" {
	command -v systemd-socket-activate >/dev/null ||
	    fail "systemd-socket-activate is not installed (tests/deps.sh)"
	local port
	port=$(free_port)
	spawn "$BATS_TEST_TMPDIR/sa.err" systemd-socket-activate -l "127.0.0.1:$port" \
	    "$POSTERN" -L systemd -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	wait_port 127.0.0.1 "$port" "$SPAWNED_PID" 20
	run -0 echoes "$port" --count 3
}

@test "-L systemd without socket activation: exit 3" {
	run -3 --separate-stderr postern -L systemd -x "127.0.0.1:$SQUID_PORT"
	assert_stderr "postern: -L systemd: no socket passed (LISTEN_PID and LISTEN_FDS are not set for this process)"
}

@test "usage: bad -L, non-loopback without --allow, --allow without -L" {
	run -2 --separate-stderr postern -L 127.0.0.1:0 -x 127.0.0.1:1
	assert_stderr 'postern: invalid -L "127.0.0.1:0": invalid port (a number from 1 to 65535)'
	run -2 --separate-stderr postern -L "0.0.0.0:$(free_port)" -x 127.0.0.1:1
	[[ $stderr == *"listening on a non-loopback address needs --allow"* ]] || fail "$stderr"
	run -2 --separate-stderr postern --allow 10.0.0.0/8 -x 127.0.0.1:1 h 1
	assert_stderr "postern: --allow and --max-tunnels need -L"
	run -2 --separate-stderr postern -L 1 --allow 10.0.0.0/33 -x 127.0.0.1:1
	assert_stderr 'postern: invalid --allow entry "10.0.0.0/33": use IP addresses or CIDR ranges, comma separated'
}

@test "cannot bind: exit 3" {
	start_listener -x "127.0.0.1:$SQUID_PORT"
	run -3 --separate-stderr postern -L "127.0.0.1:$LPORT" -x "127.0.0.1:$SQUID_PORT"
	[[ $stderr == "postern: cannot listen on 127.0.0.1:$LPORT: "* ]] || fail "$stderr"
}

@test "--allow: a listed peer is served, another is closed at once and logged" {
	# Every server a test starts listens on loopback: the peers differ by
	# the loopback address they connect from (127.0.0.2 listed, 127.0.0.1
	# not).
	local port dir=$BATS_TEST_TMPDIR
	port=$(free_port)
	spawn "$dir/allow.err" "$POSTERN" -L "127.0.0.1:$port" --allow 127.0.0.2/32 \
	    -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	wait_port 127.0.0.1 "$port" "$SPAWNED_PID" 20
	run -0 echoes "$port" --source 127.0.0.2
	assert_equal "$output" "ok"
	run -1 echoes "$port" --source 127.0.0.1
	wait_grep "$dir/allow.err" "^postern: 127.0.0.1:[0-9]+: connection closed: not in --allow$"
}

# The PID of the program ttyprompt.py (PID) runs: its leader's child.
ttyprompt_job() {
	local leader
	leader=$(ps -o pid= --ppid "$1" | tr -d ' ')
	ps -o pid= --ppid "$leader" | tr -d ' '
}

# tty_listener TRANSCRIPT COUNT ANSWER… -- POSTERN-OPTION…: a forwarding
# listener to the echo target under tests/lib/ttyprompt.py, which types
# each ANSWER (PROMPT=REPLY) at its prompt; COUNT echoes through it, then
# SIGTERM, which must end it with exit 0.
tty_listener() {
	local t=$1 count=$2 port tp job st=0 answers=()
	shift 2
	while [[ $1 != -- ]]; do
		answers+=(--answer "$1")
		shift
	done
	shift
	port=$(free_port)
	"$PY" "$LIB/ttyprompt.py" --timeout 90 --transcript "$t" "${answers[@]}" \
	    -- "$POSTERN" -L "127.0.0.1:$port" "$@" 127.0.0.1 "$ECHO_PORT" \
	    </dev/null >"$BATS_TEST_TMPDIR/tty.out" 2>&1 3>&- &
	tp=$!
	wait_port 127.0.0.1 "$port" "$tp" 30 || fail "the listener did not start"
	run -0 echoes "$port" --count "$count"
	assert_equal "$(grep -c '^ok$' <<<"$output")" "$count"
	job=$(ttyprompt_job "$tp")
	[[ -n $job ]] || fail "no listener under ttyprompt"
	kill -TERM "$job"
	wait "$tp" || st=$?
	echo "terminal: $(cat "$t")"
	assert_equal "$st" 0
}

@test "squid Basic, -U alice and a terminal: the password is asked once for two tunnels" {
	python3 -c 'import os; os.openpty()' 2>/dev/null || skip "no pseudo-terminals here"
	start_squid --auth basic
	local t=$BATS_TEST_TMPDIR/terminal
	tty_listener "$t" 2 "Proxy password for 127.0.0.1:$SQUID_PORT: =$SQUID_PASSWORD" \
	    -- -U alice -x "127.0.0.1:$SQUID_PORT"
	assert_equal "$(grep -c '^Proxy password for' "$t")" 1
	assert_equal "$(grep -c '^answered ' "$t")" 1
	! grep -qF "$SQUID_PASSWORD" "$t"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT alice "
	# wait_port's probe made a tunnel too: two or more, all as alice.
	(($(grep -c "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT alice " "$SQUID_LOG") >= 2))
}

@test "squid Basic, no user given: asked at the first 407, once, and kept for the next tunnels" {
	python3 -c 'import os; os.openpty()' 2>/dev/null || skip "no pseudo-terminals here"
	start_squid --auth basic
	local t=$BATS_TEST_TMPDIR/terminal
	tty_listener "$t" 3 "Proxy user for 127.0.0.1:$SQUID_PORT: =alice" \
	    "Proxy password for 127.0.0.1:$SQUID_PORT: =$SQUID_PASSWORD" \
	    -- --no-netrc -x "127.0.0.1:$SQUID_PORT"
	assert_equal "$(grep -c '^Proxy user for' "$t")" 1
	assert_equal "$(grep -c '^Proxy password for' "$t")" 1
	! grep -qF "$SQUID_PASSWORD" "$t"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT alice "
	(($(grep -c "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT alice " "$SQUID_LOG") >= 3))
}

@test "local proxy: the upstream down then up: 502, then the next client is served" {
	local port dir=$BATS_TEST_TMPDIR pid
	port=$(closed_port)
	start_listener -x "127.0.0.1:$port"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$ECHO_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 502 Bad Gateway"* ]] || fail "$REPLY"
	_subst "$LIB/tinyproxy.conf.in" "$dir/tinyproxy.conf" "PORT=$port" \
	    "DIR=$dir" "EXTRA="
	spawn "$dir/tinyproxy.out" tinyproxy -d -c "$dir/tinyproxy.conf"
	pid=$SPAWNED_PID
	wait_port 127.0.0.1 "$port" "$pid" 20 ||
	    skip "port $port was taken before tinyproxy could bind it"
	run -0 echoes "$LPORT" --connect "127.0.0.1:$ECHO_PORT"
	assert_equal "$output" "ok"
	_alive "$LPID" || fail "the listener ended"
}

@test "-L [::1]:PORT: an IPv6 listener" {
	have_ipv6 || skip "no IPv6 loopback (::1) on this machine"
	local port dir=$BATS_TEST_TMPDIR
	port=$(free_port both)
	spawn "$dir/v6.err" "$POSTERN" -v -L "[::1]:$port" -x "127.0.0.1:$SQUID_PORT" \
	    127.0.0.1 "$ECHO_PORT"
	wait_port ::1 "$port" "$SPAWNED_PID" 20 || fail "$(cat "$dir/v6.err")"
	run -0 echoes "$port" --host ::1 --size 100000
	assert_equal "$output" "ok"
	wait_grep "$dir/v6.err" "^postern: listening on \[::1\]:$port$"
	wait_grep "$dir/v6.err" "tunnel \[::1\]:[0-9]+ -> 127.0.0.1:$ECHO_PORT via "
}

@test "-q: a tunnel's failure is told to its client only; the listener's own still shows" {
	local dead
	dead=$(closed_port)
	start_listener -q -x "127.0.0.1:$dead"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$ECHO_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 502 Bad Gateway"* ]] || fail "$REPLY"
	connect_req "$LPORT" 'GET / HTTP/1.1\r\n\r\n'
	[[ $REPLY == "HTTP/1.1 405 Method Not Allowed"* ]] || fail "$REPLY"
	# Each reply was sent after its tunnel's log line would have been.
	assert_equal "$(cat "$LERR")" ""
	run -3 --separate-stderr postern -q -L "127.0.0.1:$LPORT" -x "127.0.0.1:$dead"
	[[ $stderr == "postern: cannot listen on 127.0.0.1:$LPORT: "* ]] || fail "$stderr"
}

@test "git clone over https through the local CONNECT proxy" {
	command -v git >/dev/null || fail "git is not installed"
	local dir=$BATS_TEST_TMPDIR hport
	make_pki
	git init -q "$dir/src"
	printf 'cloned through postern -L\n' >"$dir/src/README"
	git -C "$dir/src" add README
	git -C "$dir/src" -c user.name=t -c user.email=t@example.org commit -qm one
	mkdir "$dir/www"
	git clone -q --bare "$dir/src" "$dir/www/repo.git"
	# The dumb protocol: static files, served by http.server behind stunnel.
	git -C "$dir/www/repo.git" update-server-info
	hport=$(free_port)
	spawn "$dir/http.log" "$PY" -m http.server --bind 127.0.0.1 \
	    --directory "$dir/www" "$hport"
	wait_port 127.0.0.1 "$hport" "$SPAWNED_PID" 20 || fail "http.server did not start"
	start_stunnel HTTPS "$hport" "$PKI/server.pem" "$PKI/server.key"
	start_listener -v -x "127.0.0.1:$SQUID_PORT"
	run -0 env -u no_proxy -u NO_PROXY GIT_SSL_CAINFO="$PKI/ca.pem" \
	    https_proxy="http://127.0.0.1:$LPORT" GIT_TERMINAL_PROMPT=0 \
	    timeout 60 git clone -q "https://127.0.0.1:$HTTPS/repo.git" "$dir/dst"
	assert_equal "$(cat "$dir/dst/README")" "cloned through postern -L"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$HTTPS "
	wait_grep "$LERR" "tunnel 127.0.0.1:[0-9]+ -> 127.0.0.1:$HTTPS via 127.0.0.1:$SQUID_PORT: .* status 200, exit 0"
}

# listen_pac NAME BODY: a PAC file for this test; LPAC is its path.
listen_pac() {
	LPAC=$BATS_TEST_TMPDIR/$1.pac
	printf '%s\n' "$2" >"$LPAC"
}

@test "local proxy with a PAC: the proxy chosen per target, failover past a dead one" {
	local dead i
	dead=$(closed_port)
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
	listen_pac corp "function FindProxyForURL(url, host) {
	if (host == \"localhost\")
		return \"PROXY 127.0.0.1:$dead; PROXY 127.0.0.1:$TINYPROXY_PORT\";
	return \"PROXY 127.0.0.1:$SQUID_PORT\";
}"
	start_listener -v --pac "$LPAC"
	run -0 echoes "$LPORT" --connect "127.0.0.1:$ECHO_PORT" --count 5 --parallel 5
	assert_equal "$(grep -c '^ok$' <<<"$output")" 5
	run -0 echoes "$LPORT" --connect "localhost:$ECHO_PORT" --count 5 --parallel 5
	assert_equal "$(grep -c '^ok$' <<<"$output")" 5
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$ECHO_PORT "
	wait_grep "$LERR" "tunnel 127.0.0.1:[0-9]+ -> 127.0.0.1:$ECHO_PORT via 127.0.0.1:$SQUID_PORT \(PAC\): "
	wait_grep "$LERR" "tunnel 127.0.0.1:[0-9]+ -> localhost:$ECHO_PORT via 127.0.0.1:$TINYPROXY_PORT \(PAC\): "
	# One child, the evaluators' clean server, and no evaluator left.
	local srv
	srv=$(ps -o pid= --ppid "$LPID" | tr -d ' ')
	[ "$(wc -w <<<"$srv")" -eq 1 ] || fail "children: $(ps -o pid=,args= --ppid "$LPID")"
	# An evaluator exits once it has answered: all are gone soon.
	for ((i = 0; i < 100; i++)); do
		[ -z "$(ps -o pid= --ppid "$srv")" ] && break
		sleep 0.1
	done
	[ -z "$(ps -o pid= --ppid "$srv")" ] || fail "evaluators left: $(ps -o pid=,args= --ppid "$srv")"
	# The server holds no tunnel's descriptor: stdio and its socket.
	assert_equal "$(ls "/proc/$srv/fd" | wc -l)" 4
}

@test "forwarding with a PAC: 20 tunnels at once; a PAC that throws is a 502 with its reason" {
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
	listen_pac fwd "function FindProxyForURL(url, host) { return \"PROXY 127.0.0.1:$SQUID_PORT\"; }"
	start_listener --pac "$LPAC" 127.0.0.1 "$ECHO_PORT"
	run -0 echoes "$LPORT" --count 20 --parallel 20 --size 20000
	assert_equal "$(grep -c '^ok$' <<<"$output")" 20
	stop_pid "$LPID"
	listen_pac bad 'function FindProxyForURL(url, host) { throw new Error("no proxy for " + host); }'
	start_listener --pac "$LPAC"
	connect_req "$LPORT" "CONNECT 127.0.0.1:$ECHO_PORT HTTP/1.1\r\n\r\n"
	[[ $REPLY == "HTTP/1.1 502 Bad Gateway"* ]] || fail "$REPLY"
	grep -q "no proxy for 127.0.0.1" <<<"$REPLY" || fail "$REPLY"
	_alive "$LPID" || fail "the listener ended"
}
