#!/bin/bash
# bench/deps.sh: the peers and services the benchmark compares postern with,
# from Debian's packages.  As root, a missing one is installed with apt-get
# (an `apt-get update` first only if the install fails); one that cannot be
# installed is reported, and the benchmark goes on without it.  Never fails.
set -u

# command  Debian package
TABLE='proxytunnel proxytunnel
corkscrew corkscrew
connect connect-proxy
nc netcat-openbsd
ncat ncat
socat socat
gnuplot gnuplot-nox
/usr/bin/stunnel4 stunnel4
squid squid
/usr/sbin/sshd openssh-server
scp openssh-client
openssl openssl
head coreutils'

present() {
	case $1 in
	/*) [ -x "$1" ] ;;
	nc) command -v nc >/dev/null 2>&1 && nc -h 2>&1 | grep -q -- '-X proxy_protocol' ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

missing=
while read -r cmd pkg; do
	present "$cmd" || missing="$missing $pkg"
done <<<"$TABLE"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: not root, not installing:$missing (the bench runs without them)" >&2
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
install() {
	# shellcheck disable=SC2086
	timeout 600 apt-get install -y -q --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	    "$@" </dev/null >/dev/null
}
echo "bench: installing:$missing" >&2
# shellcheck disable=SC2086
if ! install $missing; then
	timeout 300 apt-get update -q </dev/null >/dev/null 2>&1
	# One at a time, so that one that cannot be had does not stop the rest.
	for pkg in $missing; do
		install "$pkg" || echo "bench: could not install $pkg: going on without it" >&2
	done
fi
while read -r cmd pkg; do
	present "$cmd" || echo "bench: $cmd ($pkg) is still missing: its rows are skipped" >&2
done <<<"$TABLE"
exit 0
