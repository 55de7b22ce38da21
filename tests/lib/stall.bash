# Helpers for the relay's resource bounds: what postern costs while the
# reader of its standard output does not read.

# stalled_download CPUFILE SECONDS POSTERN-ARGS...: run postern with stdin
# at EOF and its stdout read only after SECONDS; print the sha256 of what
# came out. CPUFILE gets postern's CPU seconds (cputime.py). A relay that
# sleeps in poll() while stdout is full uses next to none of them; one
# that spins uses them all.
stalled_download() {
	local cpu=$1 secs=$2
	shift 2
	set -o pipefail
	"$PY" "$LIB/cputime.py" "$cpu" "$POSTERN" "$@" </dev/null |
	    { sleep "$secs"; sha256sum; } | cut -d' ' -f1
}

# assert_cpu_below CPUFILE LIMIT
assert_cpu_below() {
	local used
	used=$(cat "$1")
	awk -v u="$used" -v l="$2" 'BEGIN { exit !(u < l) }' && return 0
	printf 'postern used %s CPU seconds, more than %s\n' "$used" "$2" >&2
	return 1
}
