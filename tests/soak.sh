#!/usr/bin/env bash
# make soak: many tunnels through a real squid, one after another and many
# at once, each moving a checksummed payload.  Reports failures, the peak
# RSS of the postern processes and what they left open.  Not part of make
# check; bounded in time (SOAK_SECONDS, default 900).
#
#   SOAK_SERIAL=2000 SOAK_PARALLEL=50 SOAK_BYTES=65536 tests/soak.sh [POSTERN]

set -u
cd "$(dirname "$0")/.." || exit 2
POSTERN=${1:-$PWD/build/postern}
SERIAL=${SOAK_SERIAL:-2000}
PARALLEL=${SOAK_PARALLEL:-50}
BYTES=${SOAK_BYTES:-65536}
DEADLINE=$((SECONDS + ${SOAK_SECONDS:-900}))
dir=$(mktemp -d /tmp/postern-soak.XXXXXX)
chmod 755 "$dir"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The target: an echo server that closes once it has echoed the payload.
python3 tests/lib/tcpserve.py echo --close-after "$BYTES" --idle 600 \
    --port-file "$dir/echo.port" >"$dir/echo.log" 2>&1 &
pids+=($!)
sport=$(free_port)
chown proxy "$dir" 2>/dev/null
cat >"$dir/squid.conf" <<CONF
http_port 127.0.0.1:$sport
http_access allow localhost
http_access deny all
cache deny all
access_log none
cache_log $dir/cache.log
pid_filename $dir/squid.pid
coredump_dir $dir
netdb_filename none
pinger_enable off
shutdown_lifetime 0 seconds
max_filedescriptors 4096
CONF
squid -N -f "$dir/squid.conf" >"$dir/squid.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	[[ -s $dir/echo.port ]] && (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null && break
	sleep 0.1
done
eport=$(<"$dir/echo.port")

head -c "$BYTES" /dev/urandom >"$dir/payload"
want=$(sha256sum <"$dir/payload" | cut -d' ' -f1)

# one N: a tunnel moving the payload there and back; prints "ok RSS-KB" or
# "fail RSS-KB status".
one() {
	local n=$1 got rc rss
	got=$( { /usr/bin/time -f '%M' -o "$dir/rss.$n" timeout 60 "$POSTERN" -q \
	    -x "127.0.0.1:$sport" 127.0.0.1 "$eport" <"$dir/payload" |
	    sha256sum | cut -d' ' -f1; } 2>"$dir/err.$n")
	rc=$?
	rss=$(tail -n 1 "$dir/rss.$n" 2>/dev/null)
	if [[ $got == "$want" && ! -s $dir/err.$n ]]; then
		echo "ok ${rss:-0}"
	else
		echo "fail ${rss:-0} $rc $(head -c 200 "$dir/err.$n")"
	fi
	rm -f "$dir/rss.$n" "$dir/err.$n"
}

report() {
	local label=$1 file=$2 ok fail peak
	ok=$(grep -c '^ok' "$file")
	fail=$(grep -c '^fail' "$file")
	peak=$(awk '{ if ($2 > m) m = $2 } END { print m + 0 }' "$file")
	printf '%s: %d ok, %d failed, peak RSS %d KB per process\n' "$label" \
	    "$ok" "$fail" "$peak"
	grep '^fail' "$file" | head -n 5
	[[ $fail -eq 0 ]]
}

status=0
start=$SECONDS
: >"$dir/serial"
for ((i = 0; i < SERIAL && SECONDS < DEADLINE; i++)); do
	one "$i" >>"$dir/serial"
done
report "serial, $SERIAL tunnels of $BYTES bytes ($((SECONDS - start)) s)" \
    "$dir/serial" || status=1

start=$SECONDS
: >"$dir/parallel"
for ((i = 0; i < PARALLEL; i++)); do
	one "p$i" >>"$dir/parallel" &
done
wait_jobs() {
	local j
	for j in $(jobs -p); do
		case " ${pids[*]} " in *" $j "*) continue ;; esac
		wait "$j"
	done
}
wait_jobs
report "parallel, $PARALLEL at once ($((SECONDS - start)) s)" \
    "$dir/parallel" || status=1

left=$(pgrep -f "^$POSTERN " | wc -l)
printf 'postern processes left: %d\n' "$left"
[[ $left -eq 0 ]] || status=1
printf 'squid fds at the end: %d\n' "$(ls /proc/"$(cat "$dir/squid.pid" 2>/dev/null || echo 0)"/fd 2>/dev/null | wc -l)"
exit $status
