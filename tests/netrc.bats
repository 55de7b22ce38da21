#!/usr/bin/env bats
# Credentials from netrc files, end to end against squid with basic_ncsa_auth:
# which file is read ($NETRC, ~/.netrc, --netrc-file, --no-netrc), what is
# matched (the proxy's host, the login given with -U, default), the syntax
# (quoted tokens, comments, macdef), and the files whose passwords must not
# be used (readable or writable by others, owned by someone else, symbolic
# links, FIFOs). Every run of postern is bounded and has no controlling
# terminal.

load helpers
load lib/auth

ALICE_PW='p@ss:w0rd'
# bob's password holds a space and a double quote: only a quoted netrc
# token can carry it.
BOB_PW='pa ss"word'
BOB_PW_NETRC='"pa ss\"word"'

setup_file() {
	require_postern
	start_squid_auth BASIC basic --user "alice:$ALICE_PW" --user "bob:$BOB_PW"
}

setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	unset NETRC POSTERN_PROXY_USER POSTERN_PROXY_PASSWORD
	MARK=$(log_lines_now "$BASIC_LOG")
}

# through [POSTERN-OPTION…]: "ping\n" to an echo target through squid;
# -x is added unless the options give one.
through() {
	start_target PING echo --close-after 5
	local x=(-x "127.0.0.1:$BASIC_PORT") a
	for a in "$@"; do
		[[ $a == -x ]] && x=()
	done
	run --separate-stderr postern "${x[@]}" "$@" 127.0.0.1 "$PING" < <(printf 'ping\n')
}

# tunnel_ok USER: postern exited 0 with the bytes back, nothing on stderr,
# and squid logged the tunnel for USER.
tunnel_ok() {
	assert_equal "$status" 0 "status (stderr: $stderr)"
	assert_equal "$output" ping stdout
	assert_stderr ""
	wait_log "$BASIC_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$PING $1 " "$MARK"
}

# no_tunnel: squid opened no tunnel during this test.
no_tunnel() {
	assert_no_log "$BASIC_LOG" TCP_TUNNEL "$MARK"
}

no_creds_line() {
	printf 'postern: 127.0.0.1:%s requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, %s, /dev/tty)' \
	    "$BASIC_PORT" "$1"
}

@test "~/.netrc: machine entry for the proxy's host" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through
	tunnel_ok alice
}

@test "netrc: quoted tokens with a space and an escaped quote work against squid" {
	make_netrc "$HOME/.netrc" <<-'EOF'
		machine "127.0.0.1" login "bob" password "pa ss\"word"
	EOF
	through
	tunnel_ok bob
}

@test "netrc: comments, account, macdef and no trailing newline" {
	{
		printf '# my netrc\n'
		printf 'machine example.org login nobody password nothing\n'
		printf 'macdef init\nmachine 127.0.0.1 login mallory password from-a-macro\n\n'
		printf 'machine 127.0.0.1 # the proxy\n  login alice\n  account acct1\n  password %s' "$ALICE_PW"
	} | make_netrc "$HOME/.netrc"
	through
	tunnel_ok alice
}

@test "netrc: the default entry when no machine matches" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine proxy.example login carol password not-for-this-proxy
		default login alice password $ALICE_PW
	EOF
	through
	tunnel_ok alice
}

@test "netrc: the machine is the proxy's host, not the target's" {
	# The target is 127.0.0.1; the proxy is named "localhost".
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login bob password for-the-target-not-the-proxy
		machine localhost login alice password $ALICE_PW
	EOF
	through -4 -x "localhost:$BASIC_PORT"
	tunnel_ok alice
}

@test "netrc: -U alice picks alice's entry among several for the machine" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login bob password $BOB_PW_NETRC
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through -U alice
	tunnel_ok alice
}

@test "netrc: a user from the proxy URL takes its password from netrc" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login bob password $BOB_PW_NETRC
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through -x "http://alice@127.0.0.1:$BASIC_PORT"
	tunnel_ok alice
}

@test "netrc: POSTERN_PROXY_USER takes its password from netrc" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
		machine 127.0.0.1 login bob password $BOB_PW_NETRC
	EOF
	export POSTERN_PROXY_USER=bob
	through
	tunnel_ok bob
}

@test "\$NETRC is read instead of ~/.netrc" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password wrong-one
	EOF
	make_netrc "$BATS_TEST_TMPDIR/netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	export NETRC=$BATS_TEST_TMPDIR/netrc
	through
	tunnel_ok alice
}

@test "--netrc-file is read instead of \$NETRC" {
	make_netrc "$BATS_TEST_TMPDIR/env-netrc" <<-EOF
		machine 127.0.0.1 login alice password wrong-one
	EOF
	make_netrc "$BATS_TEST_TMPDIR/netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	export NETRC=$BATS_TEST_TMPDIR/env-netrc
	through --netrc-file "$BATS_TEST_TMPDIR/netrc"
	tunnel_ok alice
}

@test "--no-netrc: ~/.netrc is not read; exit 5 naming the places looked" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through --no-netrc
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, /dev/tty)"
	assert_equal "$output" "" stdout
	no_tunnel
}

@test "netrc readable by the group (640): its password is not used, with the message" {
	make_netrc "$HOME/.netrc" 640 <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is readable by group or others: its passwords are not used (chmod 600 $HOME/.netrc)
$(no_creds_line "$HOME/.netrc")"
	assert_equal "$output" "" stdout
	no_tunnel
}

@test "netrc readable by others (604): its password is not used, with the message" {
	make_netrc "$BATS_TEST_TMPDIR/netrc" 604 <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through --netrc-file "$BATS_TEST_TMPDIR/netrc"
	assert_equal "$status" 5 status
	assert_stderr "postern: $BATS_TEST_TMPDIR/netrc is readable by group or others: its passwords are not used (chmod 600 $BATS_TEST_TMPDIR/netrc)
$(no_creds_line "$BATS_TEST_TMPDIR/netrc")"
	no_tunnel
}

@test "netrc writable by the group (620): its password is not used, with the message" {
	make_netrc "$HOME/.netrc" 620 <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is writable by group or others: its passwords are not used (chmod 600 $HOME/.netrc)
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "netrc readable by the group, with -U alice: the netrc password still does not go out" {
	make_netrc "$HOME/.netrc" 640 <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	through -U alice
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is readable by group or others: its passwords are not used (chmod 600 $HOME/.netrc)
postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, $HOME/.netrc, /dev/tty)"
	no_tunnel
}

@test "netrc owned by another user: its password is not used, with the message" {
	[[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1 ||
	    skip "needs root and a user nobody to give the file away"
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	chown nobody "$HOME/.netrc"
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is not owned by you: its passwords are not used
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "netrc that is a symbolic link: not followed, with the message" {
	make_netrc "$BATS_TEST_TMPDIR/real-netrc" <<-EOF
		machine 127.0.0.1 login alice password $ALICE_PW
	EOF
	ln -s "$BATS_TEST_TMPDIR/real-netrc" "$HOME/.netrc"
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is a symbolic link: ignored
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "netrc that is a FIFO: no blocking, with the message" {
	mkfifo -m 600 "$HOME/.netrc"
	POSTERN_TIMEOUT=20 through -t 10
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is a FIFO, not a regular file: ignored
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "netrc with a wrong password: squid rejects it, exit 5 with the realm" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password not-the-password
	EOF
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT rejected the credentials (Basic, realm \"postern-test\")"
	no_tunnel
}

@test "netrc with a syntax error: a message naming the file, no credentials from it" {
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice password "unterminated
	EOF
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc: syntax error (unterminated quote or missing value)
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "netrc: a CR in a quoted password (\\r) is refused, never sent" {
	printf 'machine 127.0.0.1 login alice password "%s\\r\\nX-Injected: 1"\n' "$ALICE_PW" |
	    make_netrc "$HOME/.netrc"
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc: control character in a token
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "netrc: keywords and the machine name are case-insensitive" {
	make_netrc "$HOME/.netrc" <<-EOF
		MACHINE LocalHost LOGIN alice PASSWORD $ALICE_PW
	EOF
	through -4 -x "localhost:$BASIC_PORT"
	tunnel_ok alice
}

@test "netrc: a machine entry without a password never borrows another entry's" {
	# CVE-2024-11053: the password of the later entry is alice's real one;
	# if it went to the proxy, squid would open the tunnel.
	make_netrc "$HOME/.netrc" <<-EOF
		machine 127.0.0.1 login alice
		machine other.example login alice password $ALICE_PW
	EOF
	through
	assert_equal "$status" 5 status
	assert_stderr "$(no_creds_line "$HOME/.netrc")"
	assert_equal "$output" "" stdout
	no_tunnel
}

@test "netrc over 128 KiB: ignored, with the message" {
	{
		printf 'machine 127.0.0.1 login alice password %s\n' "$ALICE_PW"
		head -c $((130 * 1024)) /dev/zero | tr '\0' '#'
		printf '\n'
	} | make_netrc "$HOME/.netrc"
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is too large (over 131072 bytes): ignored
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "~/.netrc that is a directory: ignored, with the message" {
	mkdir -m 700 "$HOME/.netrc"
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: $HOME/.netrc is a directory, not a regular file: ignored
$(no_creds_line "$HOME/.netrc")"
	no_tunnel
}

@test "HOME unset or empty, no NETRC: no netrc is looked for" {
	unset HOME
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, /dev/tty)"
	export HOME=
	through
	assert_equal "$status" 5 status
	assert_stderr "postern: 127.0.0.1:$BASIC_PORT requires authentication (offered: Basic) and no credentials were found (looked in: -U, the proxy URL, POSTERN_PROXY_USER, /dev/tty)"
	no_tunnel
}
