#!/usr/bin/env bash
# tests/bench-smoke.sh DIR: `make bench-quick` with its report in DIR, as
# one TAP test: the harness runs, every client it found moves its bytes,
# and the table has postern's row with figures in it.  No figure is
# compared with anything: timings do not belong in a test.
set -u
cd "$(dirname "$0")/.." || exit 2
dir=$1
mkdir -p "$dir"
echo "1..1"
if ! make -s bench-quick BENCH_ARGS="--out $dir" >"$dir/run.log" 2>&1; then
	echo "not ok 1 - make bench-quick exited non-zero"
	tail -n 15 "$dir/run.log" | sed 's/^/# /'
	exit 0
fi
row=$(grep -m1 '^| postern |' "$dir/latest.md" 2>/dev/null)
if [[ ! $row =~ ^\|\ postern\ \|\ [0-9]+\ \( ]]; then
	echo "not ok 1 - make bench-quick printed no figures for postern"
	sed 's/^/# /' "$dir/latest.md" 2>/dev/null | head -n 20
	exit 0
fi
echo "ok 1 - make bench-quick ran and printed its table ($(grep -c '^| ' "$dir/latest.md") table rows)"
