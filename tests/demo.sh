#!/usr/bin/env bash
# make demo: fetch a web page through a throwaway tinyproxy with postern,
# and show what happened. Everything listens on 127.0.0.1 only and is
# stopped (by PID) on the way out.

set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$PWD
POSTERN=${POSTERN:-$ROOT/build/postern}

tests/deps.sh tinyproxy python3 || exit 1
if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=python3; fi
if [[ ! -x $POSTERN ]]; then
	echo "demo: no postern binary at $POSTERN (run make)" >&2
	exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/postern-demo.XXXXXX") || exit 1
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() {
	(exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The web server: picks its own port and writes it to a file.
cat >"$dir/page.html" <<'EOF'
<!doctype html>
<title>postern demo</title>
<p>This page came through an HTTP proxy, in a tunnel opened by postern.</p>
EOF
"$PY" tests/lib/tcpserve.py http --body-file "$dir/page.html" \
    --port-file "$dir/web.port" --idle 60 >"$dir/web.log" 2>&1 </dev/null &
pids+=($!)
for ((i = 0; i < 100; i++)); do
	[[ -s $dir/web.port ]] && break
	sleep 0.1
done
web_port=$(cat "$dir/web.port" 2>/dev/null)
if [[ -z $web_port ]]; then
	echo "demo: the web server did not start:" >&2
	cat "$dir/web.log" >&2
	exit 1
fi

# tinyproxy on a port the kernel says is free (retried if it is taken).
proxy_port=
for ((try = 0; try < 5; try++)); do
	port=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$dir/tinyproxy.conf" <<-EOF
		Port $port
		Listen 127.0.0.1
		Allow 127.0.0.1
		Timeout 60
		LogFile "$dir/tinyproxy.log"
		LogLevel Connect
		PidFile "$dir/tinyproxy.pid"
	EOF
	tinyproxy -d -c "$dir/tinyproxy.conf" >"$dir/tinyproxy.out" 2>&1 </dev/null &
	pid=$!
	pids+=("$pid")
	for ((i = 0; i < 100; i++)); do
		if port_open "$port"; then
			proxy_port=$port
			break 2
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
if [[ -z $proxy_port ]]; then
	echo "demo: tinyproxy did not start:" >&2
	cat "$dir/tinyproxy.out" >&2
	exit 1
fi

echo "== postern demo"
echo "   web server: 127.0.0.1:$web_port (python3, tests/lib/tcpserve.py)"
echo "   proxy:      tinyproxy on 127.0.0.1:$proxy_port"
echo
echo "== command"
echo "   printf 'GET / HTTP/1.0\\r\\nHost: 127.0.0.1:$web_port\\r\\n\\r\\n' |"
echo "   postern -v -x http://127.0.0.1:$proxy_port 127.0.0.1 $web_port"
echo
printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$web_port" |
    timeout 30 "$POSTERN" -v -x "http://127.0.0.1:$proxy_port" 127.0.0.1 "$web_port" \
    >"$dir/stdout" 2>"$dir/stderr"
status=$?

echo "== postern's trace (stderr)"
sed 's/^/   /' "$dir/stderr"
echo
echo "== what came through the tunnel (stdout: the web server's reply)"
sed 's/\r$//; s/^/   /' "$dir/stdout"
echo
echo "== what tinyproxy logged"
grep -E 'CONNECT|Established|Closed' "$dir/tinyproxy.log" | sed 's/^/   /'
echo
echo "== exit status: $status"
if [[ $status -eq 0 ]] && grep -q 'came through an HTTP proxy' "$dir/stdout"; then
	echo "   the page arrived whole through the proxy."
else
	echo "   the page did not arrive: see the trace above."
fi
exit "$status"
