# Helpers for postern's bats suites: load with `load helpers`.
#
# Servers (squid, tinyproxy, sshd and the python3 servers in tests/lib) listen
# on loopback addresses, on ports chosen at run time; start functions wait for
# them in bounded loops, and stop_servers ends exactly the processes that were
# started, by PID. Servers started from setup_file belong to the file and are
# stopped by teardown_file; servers started from a test (or its setup) belong
# to that test and are stopped by teardown. Both default teardowns are
# defined here; a suite that defines its own must call stop_servers.

bats_require_minimum_version 1.5.0

TESTS_DIR=$(cd "$BATS_TEST_DIRNAME" && pwd)
ROOT=$(cd "$TESTS_DIR/.." && pwd)
LIB=$TESTS_DIR/lib
: "${POSTERN:=$ROOT/build/postern}"
export POSTERN

# The system python starts in a tenth of the time of a pyenv shim.
if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=python3; fi

VERSION=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$ROOT/Makefile")

# Nothing from the caller's environment may pick a proxy or credentials for
# postern: no proxy variables, no ~/.netrc (HOME is a directory of our own).
unset POSTERN_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY \
    http_proxy HTTP_PROXY no_proxy NO_PROXY \
    POSTERN_PROXY_USER POSTERN_PROXY_PASSWORD NETRC
export HOME=$BATS_FILE_TMPDIR/home
# Nor a Kerberos ticket or realm: a suite that wants them makes its own
# (tests/lib/krb5.bash).
export KRB5CCNAME=FILE:$BATS_FILE_TMPDIR/no-kerberos-ticket KRB5_CONFIG=/dev/null
unset KRB5_KDC_PROFILE KRB5_KTNAME KRB5_CLIENT_KTNAME
mkdir -p "$HOME"
export LC_ALL=C

# Every run of postern is bounded: a hang shows up as status 124. setsid
# takes the controlling terminal away, so that nothing can prompt on
# /dev/tty when the suites run from a terminal.
postern() {
	timeout -k 5 "${POSTERN_TIMEOUT:-60}" setsid -w "$POSTERN" "$@"
}

fail() {
	printf '%s\n' "$*" >&2
	return 1
}

# Where the current scope keeps its files and its list of PIDs.
scratch_dir() {
	if [[ -n ${BATS_TEST_TMPDIR-} ]]; then
		printf '%s\n' "$BATS_TEST_TMPDIR"
	else
		printf '%s\n' "$BATS_FILE_TMPDIR"
	fi
}

_pid_registry() {
	printf '%s/.server-pids\n' "$(scratch_dir)"
}

# spawn LOGFILE CMD [ARG…]: start CMD in the background, remember its PID in
# SPAWNED_PID and in the scope's registry. fd 3 is bats' own and must not be
# inherited, or bats waits for the server to exit.
spawn() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 </dev/null 3>&- &
	SPAWNED_PID=$!
	printf '%s\n' "$SPAWNED_PID" >>"$(_pid_registry)"
}

_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	# A zombie answers kill -0 but is gone for our purposes.
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

# stop_pid PID: TERM, up to 10 s for it to go, then KILL.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		_alive "$pid" || break
		sleep 0.1
	done
	if _alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# Stop every server this scope started, newest first.
stop_servers() {
	local reg pid pids=()
	reg=$(_pid_registry)
	[[ -f $reg || -f $reg.dirs ]] || return 0
	[[ -f $reg ]] || : >"$reg"
	mapfile -t pids <"$reg"
	rm -f "$reg"
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		[[ -n $pid ]] && stop_pid "$pid"
	done
	if [[ -f $reg.dirs ]]; then
		xargs -d '\n' rm -rf -- <"$reg.dirs"
		rm -f "$reg.dirs"
	fi
	return 0
}

teardown() {
	stop_servers
}

teardown_file() {
	stop_servers
}

# wait_for_file FILE PID [SECONDS]: until FILE is non-empty; fails early if
# PID died.
wait_for_file() {
	local file=$1 pid=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		[[ -s $file ]] && return 0
		_alive "$pid" || { [[ -s $file ]]; return; }
		sleep 0.05
	done
	return 1
}

# port_open HOST PORT: can a TCP connection be made?
port_open() {
	(exec 9<>"/dev/tcp/$1/$2") 2>/dev/null
}

# wait_port HOST PORT PID [SECONDS]: until HOST:PORT accepts connections; fails
# early if PID died (a lost race for the port, or a bad config).
wait_port() {
	local host=$1 port=$2 pid=$3 secs=${4:-20} i
	for ((i = 0; i < secs * 10; i++)); do
		port_open "$host" "$port" && return 0
		_alive "$pid" || return 1
		sleep 0.1
	done
	return 1
}

have_ipv6() {
	"$PY" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	    2>/dev/null
}

# free_port [both]: a port the kernel says is free on 127.0.0.1 (and on ::1
# too with "both"). Servers that cannot be told to pick their own are
# retried on a new port when they fail to bind.
free_port() {
	"$PY" - "${1:-}" <<-'EOF'
		import socket, sys
		for _ in range(50):
		    s = socket.socket()
		    s.bind(("127.0.0.1", 0))
		    port = s.getsockname()[1]
		    if sys.argv[1] == "both":
		        t = socket.socket(socket.AF_INET6)
		        try:
		            t.bind(("::1", port))
		        except OSError:
		            continue
		        finally:
		            t.close()
		    print(port)
		    break
		else:
		    sys.exit(1)
	EOF
}

# A port on which nothing listens (as far as the kernel knows right now).
closed_port() {
	free_port
}

_export() {
	printf -v "$1" '%s' "$2"
	export "${1?}"
}

# start_py VAR SCRIPT [ARG…]: start a python3 server from tests/lib that picks
# its own port; VAR gets the port, VAR_LOG the file of its stdout and stderr.
start_py() {
	local var=$1 script=$2 dir pid
	shift 2
	dir=$(scratch_dir)
	rm -f "$dir/$var.port"
	spawn "$dir/$var.out" "$PY" "$LIB/$script" --port-file "$dir/$var.port" "$@"
	pid=$SPAWNED_PID
	if ! wait_for_file "$dir/$var.port" "$pid" 10; then
		cat "$dir/$var.out" >&2
		fail "$script $* did not start"
		return 1
	fi
	_export "$var" "$(<"$dir/$var.port")"
	_export "${var}_PID" "$pid"
}

# start_target VAR MODE [ARG…]: a tcpserve.py target (echo, http, source,
# eofreply); VAR_LOG is its event log (one line per connection event).
start_target() {
	local var=$1 dir
	shift
	dir=$(scratch_dir)
	: >"$dir/$var.events"
	start_py "$var" tcpserve.py "$@" --log "$dir/$var.events" || return
	_export "${var}_LOG" "$dir/$var.events"
}

# start_echo [ARG…]: an echo target in ECHO_PORT.
start_echo() {
	start_target ECHO_PORT echo "$@"
}

# start_fakeproxy VAR [ARG…]: a fakeproxy.py; VAR_REQ is the file where it
# records the request (absent until a client connects), VAR_LOG its events.
# Beside VAR_REQ, VAR.port, VAR.addr and VAR.pid say where it listens and
# which process it is, for assert_no_request.
start_fakeproxy() {
	local var=$1 dir addr=127.0.0.1 args i
	shift
	args=("$@")
	for ((i = 0; i + 1 < ${#args[@]}; i++)); do
		[[ ${args[i]} == --listen ]] && addr=${args[i + 1]}
	done
	dir=$(scratch_dir)
	rm -f "$dir/$var.req"
	: >"$dir/$var.events"
	printf '%s\n' "$addr" >"$dir/$var.addr"
	start_py "$var" fakeproxy.py --record "$dir/$var.req" \
	    --log "$dir/$var.events" "$@" || return
	printf '%s\n' "$SPAWNED_PID" >"$dir/$var.pid"
	_export "${var}_REQ" "$dir/$var.req"
	_export "${var}_LOG" "$dir/$var.events"
}

# Directories a daemon that drops privileges (squid runs as "proxy" when
# started by root) must be able to reach: make the path from the bats run
# directory down to DIR traversable, and DIR writable for USER.
_open_dir_for() {
	local user=$1 dir=$2 d
	[[ $(id -u) -eq 0 ]] || return 0
	id "$user" >/dev/null 2>&1 || return 0
	chown "$user" "$dir"
	d=$dir
	while [[ $d != / && $d != "$BATS_RUN_TMPDIR" && $d == "$BATS_RUN_TMPDIR"/* ]]; do
		d=$(dirname "$d")
		chmod o+x "$d"
	done
	command -v runuser >/dev/null || return 0
	runuser -u "$user" -- test -w "$dir" 2>/dev/null
}

_subst() {
	# _subst TEMPLATE OUT KEY=VALUE…: replace @KEY@ by VALUE.
	local tpl=$1 out=$2 kv key val content
	shift 2
	content=$(<"$tpl")
	for kv in "$@"; do
		key=${kv%%=*}
		val=${kv#*=}
		content=${content//"@$key@"/$val}
	done
	printf '%s\n' "$content" >"$out"
}

# start_squid [--auth basic] [SQUID.CONF LINE…]: squid on 127.0.0.1:SQUID_PORT
# (and on [::1]:SQUID_PORT when IPv6 loopback works: SQUID_V6=1). CONNECT is
# allowed to every port but SQUID_BLOCKED_PORT (9), which squid answers with
# 403 (and to SQUID_ALSO_BLOCKED, a list of ports, when it is set). SQUID_LOG
# is its access log. With --auth basic, squid demands Basic
# credentials (user alice, password in SQUID_PASSWORD) with a 407. With
# --auth negotiate (or negotiate,basic: both offered, Negotiate first) it
# takes Kerberos tickets for HTTP/localhost of the realm of start_kdc
# (tests/lib/krb5.bash), checked with the key in KRB5_KEYTAB.
start_squid() {
	local dir port attempt ports pid extra auth=
	command -v squid >/dev/null || { fail "squid is not installed (tests/deps.sh)"; return 1; }
	if [[ ${1-} == --auth ]]; then
		case ${2-} in
		basic | negotiate | negotiate,basic) auth=$2 ;;
		*) fail "start_squid: unknown auth scheme ${2-}"; return 1 ;;
		esac
		shift 2
	fi
	extra=$(printf '%s\n' "$@")
	dir=$(scratch_dir)/squid.$$.$RANDOM
	mkdir -p "$dir"
	if ! _open_dir_for proxy "$dir"; then
		dir=$(mktemp -d /tmp/postern-squid.XXXXXX)
		printf '%s\n' "$dir" >>"$(_pid_registry).dirs"
		chmod 755 "$dir"
		chown proxy "$dir"
	fi
	local authconf=
	if [[ $auth == negotiate* ]]; then
		# The helper inherits KRB5_CONFIG; no replay cache to keep.
		authconf=$(printf '%s\n' \
		    "auth_param negotiate program /usr/lib/squid/negotiate_kerberos_auth -s HTTP/localhost@$KRB5_REALM -k $KRB5_KEYTAB -t none" \
		    "auth_param negotiate children 2 startup=1" \
		    "auth_param negotiate keep_alive on")
	fi
	if [[ $auth == basic || $auth == *,basic ]]; then
		_export SQUID_PASSWORD "pw-$RANDOM-$RANDOM"
		printf 'alice:%s\n' "$(openssl passwd -apr1 "$SQUID_PASSWORD")" >"$dir/htpasswd"
		chmod 644 "$dir/htpasswd"
		authconf=$(printf '%s\n' "$authconf" \
		    "auth_param basic program /usr/lib/squid/basic_ncsa_auth $dir/htpasswd" \
		    "auth_param basic children 2 startup=1" \
		    "auth_param basic realm postern-test")
	fi
	if [[ -n $auth ]]; then
		authconf=$(printf '%s\n' "$authconf" \
		    "acl authed proxy_auth REQUIRED" \
		    "http_access deny !authed")
	fi
	_export SQUID_V6 0
	have_ipv6 && SQUID_V6=1
	for ((attempt = 0; attempt < 5; attempt++)); do
		if [[ $SQUID_V6 == 1 ]]; then
			port=$(free_port both)
			ports=$(printf 'http_port 127.0.0.1:%s\nhttp_port [::1]:%s' "$port" "$port")
		else
			port=$(free_port)
			ports="http_port 127.0.0.1:$port"
		fi
		_subst "$LIB/squid.conf.in" "$dir/squid.conf" "HTTP_PORTS=$ports" \
		    "DIR=$dir" "BLOCKED_PORT=9${SQUID_ALSO_BLOCKED:+ $SQUID_ALSO_BLOCKED}" \
		    "AUTH=$authconf" "EXTRA=$extra"
		spawn "$dir/squid.out" squid -N -f "$dir/squid.conf"
		pid=$SPAWNED_PID
		if wait_port 127.0.0.1 "$port" "$pid" 30; then
			_export SQUID_PORT "$port"
			_export SQUID_PID "$pid"
			_export SQUID_DIR "$dir"
			_export SQUID_LOG "$dir/access.log"
			_export SQUID_BLOCKED_PORT 9
			return 0
		fi
		stop_pid "$pid"
	done
	cat "$dir/squid.out" "$dir/cache.log" >&2 2>/dev/null
	fail "squid did not start"
}

# start_tinyproxy [TINYPROXY.CONF LINE…]: tinyproxy on 127.0.0.1:TINYPROXY_PORT,
# CONNECT allowed to every port; TINYPROXY_LOG is its log.
start_tinyproxy() {
	local dir port attempt pid extra
	command -v tinyproxy >/dev/null || { fail "tinyproxy is not installed (tests/deps.sh)"; return 1; }
	extra=$(printf '%s\n' "$@")
	dir=$(scratch_dir)/tinyproxy.$$.$RANDOM
	mkdir -p "$dir"
	for ((attempt = 0; attempt < 5; attempt++)); do
		port=$(free_port)
		_subst "$LIB/tinyproxy.conf.in" "$dir/tinyproxy.conf" "PORT=$port" \
		    "DIR=$dir" "EXTRA=$extra"
		spawn "$dir/tinyproxy.out" tinyproxy -d -c "$dir/tinyproxy.conf"
		pid=$SPAWNED_PID
		if wait_port 127.0.0.1 "$port" "$pid" 20; then
			_export TINYPROXY_PORT "$port"
			_export TINYPROXY_PID "$pid"
			_export TINYPROXY_LOG "$dir/tinyproxy.log"
			return 0
		fi
		stop_pid "$pid"
	done
	cat "$dir/tinyproxy.out" "$dir/tinyproxy.log" >&2 2>/dev/null
	fail "tinyproxy did not start"
}

# start_sshd: sshd on 127.0.0.1:SSHD_PORT accepting the key SSH_KEY for the
# current user; SSH_KNOWN_HOSTS holds its host key. ssh_args prints the
# ssh options that go with it (one per line).
start_sshd() {
	local dir port attempt pid user
	[[ -x /usr/sbin/sshd ]] || { fail "sshd is not installed (tests/deps.sh)"; return 1; }
	dir=$(scratch_dir)/sshd.$$.$RANDOM
	mkdir -p "$dir"
	user=$(id -un)
	ssh-keygen -q -t ed25519 -N '' -C postern-test-host -f "$dir/host_ed25519" || return
	ssh-keygen -q -t ed25519 -N '' -C postern-test-client -f "$dir/client_ed25519" || return
	cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
	if [[ $(id -u) -eq 0 && ! -d /run/sshd ]]; then
		mkdir -p /run/sshd
		chmod 755 /run/sshd
	fi
	for ((attempt = 0; attempt < 5; attempt++)); do
		port=$(free_port)
		_subst "$LIB/sshd_config.in" "$dir/sshd_config" "PORT=$port" \
		    "DIR=$dir" "USER=$user"
		spawn "$dir/sshd.log" /usr/sbin/sshd -D -e -f "$dir/sshd_config"
		pid=$SPAWNED_PID
		if wait_port 127.0.0.1 "$port" "$pid" 20; then
			printf '[127.0.0.1]:%s %s\n' "$port" \
			    "$(cut -d' ' -f1,2 "$dir/host_ed25519.pub")" >"$dir/known_hosts"
			_export SSHD_PORT "$port"
			_export SSHD_PID "$pid"
			_export SSHD_DIR "$dir"
			_export SSHD_LOG "$dir/sshd.log"
			_export SSH_USER "$user"
			_export SSH_KEY "$dir/client_ed25519"
			_export SSH_KNOWN_HOSTS "$dir/known_hosts"
			return 0
		fi
		stop_pid "$pid"
	done
	cat "$dir/sshd.log" >&2
	fail "sshd did not start"
}

ssh_args() {
	printf '%s\n' -F /dev/null -i "$SSH_KEY" -o IdentitiesOnly=yes \
	    -o UserKnownHostsFile="$SSH_KNOWN_HOSTS" \
	    -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes \
	    -o BatchMode=yes -o ConnectTimeout=30 -o LogLevel=ERROR
}

# can_override_hosts: can with_hosts work here (root, and mount namespaces)?
can_override_hosts() {
	[[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null &&
	    unshare -m true 2>/dev/null
}

# with_hosts HOSTSFILE CMD [ARG…]: run CMD in a private mount namespace in
# which /etc/hosts is HOSTSFILE, so that names like www.postern.test resolve
# to loopback addresses without touching the machine's /etc/hosts.
with_hosts() {
	local hosts=$1
	shift
	unshare -m -- sh -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' \
	    sh "$hosts" "$@"
}

# wait_grep FILE ERE [SECONDS]: until a line of FILE matches (a server may
# write its log line a moment after the client has seen the connection end).
wait_grep() {
	local file=$1 re=$2 secs=${3:-5} i
	for ((i = 0; i < secs * 20; i++)); do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	printf 'no line matching %s in %s:\n' "$re" "$file" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# squid_marker PORT LOG [NOT-PORT]: ask the squid on 127.0.0.1:PORT for a
# tunnel to a closed port (not NOT-PORT), as a marker, and wait until its
# access LOG has the line for it. squid logs a transaction when it ends; one
# that reached it before the marker and did the same work (a CONNECT that
# fails to connect) has been logged by then.
squid_marker() {
	local port=$1 log=$2 not=${3-} mark
	mark=$(closed_port)
	while [[ $mark == "$not" ]]; do mark=$(closed_port); done
	(
		exec 9<>"/dev/tcp/127.0.0.1/$port" || exit 1
		printf 'CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n\r\n' \
		    "$mark" "$mark" >&9
		IFS= read -r -t 120 line <&9
	) || { fail "no answer from squid on port $port to a marker CONNECT"; return 1; }
	wait_grep "$log" "CONNECT 127\.0\.0\.1:$mark " 120
}

# assert_equal GOT WANT [WHAT]
assert_equal() {
	[[ $1 == "$2" ]] && return 0
	printf '%s differs\n  got:  %q\n  want: %q\n' "${3:-value}" "$1" "$2" >&2
	return 1
}

# assert_bytes FILE PRINTF-FORMAT [ARG…]: FILE holds exactly these bytes.
assert_bytes() {
	local file=$1 want
	shift
	want=$(scratch_dir)/.want.$RANDOM
	# shellcheck disable=SC2059
	printf -- "$@" >"$want"
	cmp -s "$file" "$want" && return 0
	{
		echo "bytes of $file differ"
		echo "  got:"
		od -c "$file" 2>&1 | sed 's/^/    /'
		echo "  want:"
		od -c "$want" | sed 's/^/    /'
	} >&2
	return 1
}

# fakeproxy_marker ADDR PORT TOKEN: make a marker connection to the fake
# proxy at ADDR:PORT and print its answer, which it gives only once every
# connection it accepted before the marker has been recorded (fakeproxy.py).
fakeproxy_marker() {
	(
		exec 9<>"/dev/tcp/$1/$2" || exit 1
		printf 'POSTERN-MARKER %s\r\n\r\n' "$3" >&9
		IFS= read -r -t 180 line <&9 || exit 1
		printf '%s\n' "$line"
	)
}

# assert_no_request REQFILE: the fake proxy that records into REQFILE (from
# start_fakeproxy) got no connection at all. The runs of postern before are
# over, so a connection one of them made is in the proxy's accept queue ahead
# of a marker made now; the marker's answer comes once the proxy has
# recorded every such connection, and only then does a missing REQFILE
# prove that none came. (A proxy that has exited, idle, records nothing
# more: its REQFILE is final.)
assert_no_request() {
	local req=$1 base=${1%.req} token answer
	token=$RANDOM$RANDOM
	if ! answer=$(fakeproxy_marker "$(<"$base.addr")" "$(<"$base.port")" "$token"); then
		if _alive "$(<"$base.pid")"; then
			fail "no answer from the fake proxy to a marker connection"
			return 1
		fi
		answer="marker $token after (the proxy has exited)"
	fi
	if [[ $answer != "marker $token after "* ]]; then
		fail "the fake proxy still has a connection it has not recorded ($answer)"
		return 1
	fi
	[[ ! -e $req ]] && return 0
	echo "the proxy received a connection; it recorded:" >&2
	od -c "$req" >&2
	return 1
}

# assert_stderr WANT: the stderr of the last `run --separate-stderr` is
# exactly this one line.
assert_stderr() {
	assert_equal "$stderr" "$1" stderr
}

# assert_request REQFILE TARGET: the fake proxy received exactly the request
# postern sends for TARGET (host:port or [v6]:port) without -H or -A.
assert_request() {
	assert_bytes "$1" 'CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: postern/%s\r\n\r\n' \
	    "$2" "$2" "$VERSION"
}

# sha FILE: its SHA-256 in hex.
sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# postern_relay: how the build under test relays, as its -V says:
# "splice" or "read/write" (a build without splice, such as make POSIX=1).
postern_relay() {
	"$POSTERN" -V | sed -n 's/^relay: \([^,]*\),.*/\1/p'
}

# have_negotiate: is Negotiate built into the postern under test?
have_negotiate() {
	"$POSTERN" -V | grep -q '^auth: .*negotiate'
}

require_postern() {
	[[ -x $POSTERN ]] || fail "no postern binary at $POSTERN (run make)"
}

# clean_exec CMD [ARG…]: exec CMD with nothing open but 0, 1 and 2, so that
# what /proc shows afterwards is postern's own (bats keeps fds of its own).
clean_exec() {
	local fd
	for fd in /proc/"$BASHPID"/fd/*; do
		fd=${fd##*/}
		((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
	done
	exec "$@"
}

# run_held PROXY-OPTIONS…: postern to the echo server with stdin and stdout
# on FIFOs that stay open, so the relay keeps running; HELD_PID is its PID
# once "hello" came back through the tunnel.
run_held() {
	local dir=$BATS_TEST_TMPDIR
	mkfifo "$dir/in" "$dir/out"
	cat "$dir/out" >"$dir/got" &
	HELD_CAT=$!
	(clean_exec "$POSTERN" "$@" 127.0.0.1 "$ECHO_PORT") <"$dir/in" \
	    >"$dir/out" 2>"$dir/err" &
	HELD_PID=$!
	exec 7>"$dir/in"
	printf 'hello\n' >&7
	wait_grep "$dir/got" '^hello$' 20
}

stop_held() {
	exec 7>&-
	kill "$HELD_PID" 2>/dev/null || true
	wait "$HELD_PID" 2>/dev/null || true
	wait "$HELD_CAT" 2>/dev/null || true
}
