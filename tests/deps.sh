#!/bin/sh
# Check for the commands postern's tests need; install the missing ones.
#
#   tests/deps.sh            everything `make check` uses
#   tests/deps.sh CMD…       only these (e.g. `tests/deps.sh tinyproxy python3`)
#
# As root, missing packages are installed with apt-get (noninteractive; an
# `apt-get update` is run only when the first install attempt fails). As
# another user, the packages to install are listed and the exit status is 1.
# When everything is there, it prints nothing.

set -u

# command  Debian package  (a command with a / is checked as a path)
TABLE='bats bats
squid squid
tinyproxy tinyproxy
/usr/sbin/sshd openssh-server
ssh openssh-client
ssh-keygen openssh-client
git git
python3 python3
mandoc mandoc
openssl openssl
clang clang
/usr/bin/stunnel4 stunnel4
htpasswd apache2-utils
make make
cc gcc
pkg-config pkg-config
timeout coreutils
unshare util-linux
strace strace
curl curl
systemd-socket-activate systemd
/usr/include/openssl/ssl.h libssl-dev
/usr/sbin/krb5kdc krb5-kdc
/usr/sbin/kadmin.local krb5-admin-server
kinit krb5-user
/usr/include/gssapi/gssapi.h libkrb5-dev
/usr/include/duktape.h duktape-dev'

present() {
	case $1 in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

package_of() {
	printf '%s\n' "$TABLE" | while read -r cmd pkg; do
		case $1 in
		"$cmd" | */"$cmd" | "${cmd##*/}") echo "$pkg"; break ;;
		esac
	done
}

if [ $# -gt 0 ]; then
	wanted=$*
else
	wanted=$(printf '%s\n' "$TABLE" | cut -d' ' -f1)
fi

missing_pkgs=
missing_cmds=
for cmd in $wanted; do
	present "$cmd" && continue
	pkg=$(package_of "$cmd")
	if [ -z "$pkg" ]; then
		echo "deps.sh: unknown command: $cmd" >&2
		exit 2
	fi
	missing_cmds="$missing_cmds $cmd"
	case " $missing_pkgs " in
	*" $pkg "*) ;;
	*) missing_pkgs="$missing_pkgs $pkg" ;;
	esac
done

[ -z "$missing_pkgs" ] && exit 0

echo "deps.sh: missing:$missing_cmds" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: as root, run: apt-get install -y --no-install-recommends$missing_pkgs" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	    $missing_pkgs </dev/null
}
echo "deps.sh: installing:$missing_pkgs" >&2
if ! apt_install; then
	echo "deps.sh: install failed; running apt-get update first" >&2
	apt-get update -q </dev/null || exit 1
	apt_install || exit 1
fi

# Installing squid or tinyproxy may start them as services on their default
# ports; the tests start their own instances and need nothing else.
still_missing=
for cmd in $wanted; do
	present "$cmd" || still_missing="$still_missing $cmd"
done
if [ -n "$still_missing" ]; then
	echo "deps.sh: still missing after install:$still_missing" >&2
	exit 1
fi
exit 0
