#!/usr/bin/env bats
# Portability (issue 12): the strict POSIX build (make posix, in
# build/posix) calls none of Linux's own functions; -V of every build names
# its relay and the optional calls it uses; and what the portable paths
# must give, every build gives: a socket that is non-blocking and
# close-on-exec, and no death by SIGPIPE.

load helpers

setup() {
	require_postern
}

# nm_undefined OBJ…: the functions the objects call from outside.
nm_undefined() {
	command -v nm >/dev/null || skip "nm is not installed"
	nm -u "$@" | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u
}

# posix_tree: build/posix, or a skip that says why there is none.
posix_tree() {
	[[ -x $ROOT/build/posix/postern ]] && compgen -G "$ROOT/build/posix/obj/*.o" >/dev/null ||
	    skip "no POSIX build in build/posix (make posix makes it; make check does)"
}

@test "the POSIX build's objects call none of splice, pipe2, getrandom, prctl, explicit_bzero, getifaddrs" {
	posix_tree
	local called bad sym
	called=$(nm_undefined "$ROOT"/build/posix/obj/*.o)
	bad=$(grep -xE 'splice|pipe2|getrandom|prctl|explicit_bzero|accept4|dup3|getifaddrs' <<<"$called" || true)
	assert_equal "$bad" "" "Linux-only calls in build/posix/obj"
	# What compat.o calls instead: the portable paths.
	called=$(nm_undefined "$ROOT/build/posix/obj/compat.o")
	for sym in pipe fcntl socket open read; do
		grep -qx "$sym" <<<"$called" || fail "compat.o does not call $sym"
	done
}

@test "the POSIX build's -V: a read/write relay, POSIX.1-2008 calls only" {
	posix_tree
	run -0 "$ROOT/build/posix/postern" -V
	[[ $output == *$'\n'"relay: read/write, poll; fdpass"$'\n'* ]] || fail "$output"
	[[ $output == *$'\n'"system: POSIX.1-2008 only"$'\n'* ]] || fail "$output"
}

@test "-V names the relay the build's objects use: splice only where they call splice()" {
	local obj relay called
	obj=$(dirname "$POSTERN")/obj
	relay=$(postern_relay)
	case $relay in
	splice | read/write) ;;
	*) fail "-V names no relay: $("$POSTERN" -V)" ;;
	esac
	compgen -G "$obj/*.o" >/dev/null || skip "no objects beside $POSTERN to compare -V with"
	called=$(nm_undefined "$obj"/*.o)
	if grep -qx splice <<<"$called"; then
		assert_equal "$relay" splice "relay of a build that calls splice()"
	else
		assert_equal "$relay" read/write "relay of a build that does not call splice()"
	fi
}

@test "-V's system line names each optional call the objects make, and no other" {
	local obj called line name sym
	obj=$(dirname "$POSTERN")/obj
	compgen -G "$obj/*.o" >/dev/null || skip "no objects beside $POSTERN to compare -V with"
	called=$(nm_undefined "$obj"/*.o)
	line=$("$POSTERN" -V | sed -n 's/^system: //p')
	[[ -n $line ]] || fail "no system line in -V"
	for name in splice pipe2 getrandom arc4random_buf prctl procctl explicit_bzero \
	    getifaddrs; do
		sym=0
		grep -qx "$name" <<<"$called" && sym=1
		if [[ " $line " == *" $name "* ]]; then
			[[ $sym == 1 ]] || fail "-V names $name, which the objects never call"
		else
			[[ $sym == 0 ]] || fail "the objects call $name, which -V does not name: $line"
		fi
	done
}

@test "the tunnel's socket is non-blocking and close-on-exec (SOCK_CLOEXEC, or fcntl without it)" {
	local flags
	start_echo
	start_fakeproxy FP --mode relay
	run_held -x "127.0.0.1:$FP"
	flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$HELD_PID/fdinfo/3")
	run readlink "/proc/$HELD_PID/fd/3"
	stop_held
	[[ $output == socket:* ]] || fail "fd 3 is not the socket: $output"
	echo "flags of fd 3: $flags"
	(( (8#$flags & 8#4000) != 0 )) || fail "O_NONBLOCK is not set"
	(( (8#$flags & 8#2000000) != 0 )) || fail "O_CLOEXEC is not set"
}

@test "stdout's reader gone: exit 1 and one line, even when started with SIGPIPE at its default" {
	start_fakeproxy FP --banner 'tunnel\n'
	# The reader of stdout is closed before postern starts; python resets
	# SIGPIPE to its default in the child, so only postern's own handling
	# (ignoring it in main, on which the builds without MSG_NOSIGNAL rely
	# for the socket too) stands between a write and death by signal.
	run -0 "$PY" -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=w,
                   stderr=subprocess.PIPE, timeout=30, restore_signals=True)
print("status %d" % p.returncode)
sys.stdout.write(p.stderr.decode())
' "$POSTERN" -x "127.0.0.1:$FP" 127.0.0.1 22
	assert_equal "${lines[0]}" "status 1" "exit status (negative: a signal)"
	assert_equal "${lines[1]-}" "postern: writing standard output: Broken pipe" stderr
	assert_equal "${#lines[@]}" 2 "lines"
}
