#!/usr/bin/env bats
# The command line: version, usage errors (exit 2, nothing sent, one line on
# stderr), the target forms, -v and -q. A fake proxy stands ready for every
# usage error, and must never see a connection.

load helpers

setup() {
	require_postern
	start_fakeproxy FP --reply 'HTTP/1.1 200 Connection established\r\n\r\n' \
	    --banner 'tunnel\n'
}

# usage_error ARG…: postern exits 2, its message on stderr starts with
# "postern: ", nothing is on stdout, and the proxy heard nothing. (That the
# message is one line is checked once, below.)
usage_error() {
	run -2 --separate-stderr postern "$@" </dev/null
	assert_equal "$output" "" stdout
	[[ ${stderr_lines[0]-} == "postern: "* ]] ||
	    fail "stderr does not start with 'postern: ': $stderr"
	assert_no_request "$FP_REQ"
}

# first_line_is WANT: the first line of stderr of the last run.
first_line_is() {
	assert_equal "${stderr_lines[0]-}" "$1" "first line of stderr"
}

# first_line_starts WANT: the first line of stderr starts with WANT.
first_line_starts() {
	[[ ${stderr_lines[0]-} == "$1"* ]] && return 0
	printf 'first line of stderr does not start with %q\n  it is: %q\n' \
	    "$1" "${stderr_lines[0]-}" >&2
	return 1
}

@test "-V prints the version on stdout and exits 0" {
	run -0 --separate-stderr postern -V </dev/null
	[[ ${lines[0]} == "postern $VERSION" || ${lines[0]} == "postern $VERSION "* ]] ||
	    fail "first line: ${lines[0]}"
	assert_stderr ""
}

@test "--version is -V" {
	run -0 postern -V </dev/null
	local short=$output
	run -0 postern --version </dev/null
	assert_equal "$output" "$short"
}

@test "-h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr postern -h </dev/null
	[[ $output == *HOST* && $output == *PORT* && $output == *--proxy* ]] ||
	    fail "usage: $output"
	assert_stderr ""
}

@test "an unknown option is a usage error, with the message prefixed 'postern: '" {
	# The wording is getopt's or postern's own; the prefix is the contract's,
	# whatever path postern was started by (ssh gives the full one).
	usage_error --bogus -x "127.0.0.1:$FP" 127.0.0.1 22
	[[ ${stderr_lines[0]} == *--bogus* ]] || fail "the option is not named: $stderr"
	usage_error -Z -x "127.0.0.1:$FP" 127.0.0.1 22
	[[ ${stderr_lines[0]} == *Z* ]] || fail "the option is not named: $stderr"
	usage_error -x
	[[ ${stderr_lines[0]} == *x* ]] || fail "the option is not named: $stderr"
}

@test "a usage error is one line on stderr (DESIGN: every error is one line)" {
	local args
	for args in "--bogus 127.0.0.1 22" "-x 127.0.0.1:$FP 127.0.0.1 0" \
	    "-x 127.0.0.1:$FP a/b 22" "-x 127.0.0.1:$FP -H NoColon 127.0.0.1 22" \
	    "127.0.0.1 22"; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr postern $args </dev/null
		assert_equal "${#stderr_lines[@]}" 1 "number of lines on stderr for: postern $args"
	done
}

@test "no target, a target without a port, or too many arguments: usage errors" {
	run -2 postern -x "127.0.0.1:$FP" </dev/null
	run -2 postern -x "127.0.0.1:$FP" 127.0.0.1 </dev/null
	run -2 postern -x "127.0.0.1:$FP" 127.0.0.1 22 extra </dev/null
	run -2 postern -x "127.0.0.1:$FP" 127.0.0.1:22 22 </dev/null
	assert_no_request "$FP_REQ"
}

@test "bad ports (0, 65536, -1, +22, 22abc, ' 22', 0x16, 99999999999999999999) are usage errors, HOST PORT form" {
	local p
	for p in 0 65536 -1 +22 22abc ' 22' '22 ' 0x16 022x 99999999999999999999; do
		run -2 --separate-stderr postern -x "127.0.0.1:$FP" -- 127.0.0.1 "$p" </dev/null
		first_line_is "postern: invalid port: \"$p\" (a number from 1 to 65535)"
		assert_equal "$output" "" "stdout for port '$p'"
	done
	assert_no_request "$FP_REQ"
}

@test "bad ports are usage errors, HOST:PORT form" {
	local p
	for p in 0 65536 -1 +22 22abc 0x16 99999999999999999999; do
		run -2 --separate-stderr postern -x "127.0.0.1:$FP" "127.0.0.1:$p" </dev/null
		first_line_is "postern: invalid port: \"$p\" (a number from 1 to 65535)"
	done
	assert_no_request "$FP_REQ"
}

@test "an empty port is a usage error" {
	usage_error -x "127.0.0.1:$FP" 127.0.0.1 ''
	first_line_is 'postern: invalid port: "" (a number from 1 to 65535)'
	usage_error -x "127.0.0.1:$FP" 127.0.0.1:
	first_line_starts 'postern: '
}

@test "ports 1 and 65535 are accepted" {
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1 1 </dev/null
	assert_equal "$output" "tunnel"
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1:65535 </dev/null
	assert_equal "$output" "tunnel"
	assert_request "$FP_REQ" 127.0.0.1:65535
}

@test "CR and LF in the target host: exit 2, shown escaped, nothing sent" {
	usage_error -x "127.0.0.1:$FP" $'a\r\nb' 22
	first_line_starts 'postern: invalid target host: "a\r\nb"'
	usage_error -x "127.0.0.1:$FP" $'evil\r\nX-Injected: 1\r\n:22'
	first_line_starts 'postern: invalid target'
	[[ ${stderr_lines[0]} == *'evil\r\nX-Injected: 1\r\n'* ]] || fail "not escaped: $stderr"
}

@test "a lone LF or CR in the target host: exit 2" {
	usage_error -x "127.0.0.1:$FP" $'a\nb' 22
	first_line_starts 'postern: invalid target host: "a\nb"'
	usage_error -x "127.0.0.1:$FP" $'a\rb' 22
	first_line_starts 'postern: invalid target host: "a\rb"'
}

@test "white space, '/', '@' and '%' in the target host: exit 2" {
	usage_error -x "127.0.0.1:$FP" 'a b' 22
	first_line_starts 'postern: invalid target host: "a b"'
	usage_error -x "127.0.0.1:$FP" $'a\tb' 22
	first_line_starts 'postern: invalid target host: "a\tb"'
	local h
	for h in a/b user@host 'a%41' ''; do
		usage_error -x "127.0.0.1:$FP" "$h" 22
	done
}

@test "a host name longer than DNS allows is a usage error" {
	usage_error -x "127.0.0.1:$FP" "$(printf 'a%.0s' {1..300})" 22
	usage_error -x "127.0.0.1:$FP" "$(printf 'a%.0s' {1..10000}).example" 22
}

@test "malformed bracketed targets are usage errors" {
	local t
	for t in '[::1' '[::1:22' '::1]:22' '[[::1]]:22' '[]:22' '[::1]22' '[nothex]:22'; do
		usage_error -x "127.0.0.1:$FP" "$t"
	done
}

@test "CR or LF in a -H value: exit 2, nothing sent" {
	usage_error -x "127.0.0.1:$FP" -H $'X-A: 1\r\nX-B: 2' 127.0.0.1 22
	first_line_starts 'postern: invalid header "X-A: 1\r\nX-B: 2"'
	usage_error -x "127.0.0.1:$FP" -H $'X-A: 1\nX-B: 2' 127.0.0.1 22
	usage_error -x "127.0.0.1:$FP" -H $'X-A: 1\r' 127.0.0.1 22
}

@test "a bad -H credential header: the message shows the scheme at most, never the secret" {
	usage_error -x "127.0.0.1:$FP" -H $'Proxy-Authorization: Basic s3cr3t\r\nX-B: 2' 127.0.0.1 22
	assert_stderr "postern: invalid header \"Proxy-Authorization: Basic <redacted>\": use 'Name: value' without CR or LF"
	usage_error -x "127.0.0.1:$FP" -H $'authorization: s3cr3t\n' 127.0.0.1 22
	assert_stderr "postern: invalid header \"authorization: <redacted>\": use 'Name: value' without CR or LF"
}

@test "a quoted bad argument is cut after 100 bytes, with \"...\"" {
	local long
	long=$(printf 'x%.0s' {1..150})
	usage_error -x "127.0.0.1:$FP" -A $'\n'"$long" 127.0.0.1 22
	assert_stderr "postern: invalid user agent \"\\n${long:0:99}...\": CR or LF"
}

@test "a -H without a colon or with an empty name: exit 2" {
	usage_error -x "127.0.0.1:$FP" -H 'NoColon' 127.0.0.1 22
	usage_error -x "127.0.0.1:$FP" -H ': value' 127.0.0.1 22
}

@test "CR or LF in the -A value: exit 2, nothing sent" {
	usage_error -x "127.0.0.1:$FP" -A $'agent\r\nX-Injected: 1' 127.0.0.1 22
	first_line_starts 'postern: invalid user agent "agent\r\nX-Injected: 1"'
	usage_error -x "127.0.0.1:$FP" -A $'agent\n' 127.0.0.1 22
}

@test "bad -t values are usage errors" {
	local t
	for t in abc -1 '' 1x 0x10 99999999999999999999; do
		usage_error -t "$t" -x "127.0.0.1:$FP" 127.0.0.1 22
	done
}

@test "bad proxy URLs are usage errors" {
	local u
	for u in "ftp://127.0.0.1:$FP" "socks5://127.0.0.1:$FP" 'http://127.0.0.1:0' \
	    'http://127.0.0.1:65536' 'http://127.0.0.1:80x' 'http://:3128' '' \
	    'http://a b:3128' $'http://a\r\nb:3128' '127.0.0.1:-1'; do
		usage_error -x "$u" 127.0.0.1 22
	done
}

@test "a bad proxy URL in the environment is a usage error too" {
	export https_proxy="ftp://127.0.0.1:$FP"
	usage_error 127.0.0.1 22
	first_line_starts "postern: invalid proxy URL \"ftp://127.0.0.1:$FP\" (from https_proxy)"
	export https_proxy=$'http://127.0.0.1:1\r\nX: y'
	usage_error 127.0.0.1 22
}

@test "the trace is off by default: a successful run prints nothing on stderr" {
	run -0 --separate-stderr postern -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
	assert_stderr ""
}

@test "-v traces the request and the reply on stderr, stdout untouched" {
	run -0 --separate-stderr postern -v -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
	[[ $stderr == *"CONNECT 127.0.0.1:22 HTTP/1.1"* ]] || fail "no request line in: $stderr"
	[[ $stderr == *"HTTP/1.1 200 Connection established"* ]] || fail "no status line in: $stderr"
}

@test "-v shows the proxy's text escaped: no terminal escapes reach stderr" {
	start_fakeproxy EVIL --reply 'HTTP/1.1 200 OK\x1b[2J\r\nX-Evil: \x1b]0;pwned\x07\r\n\r\n'
	run --separate-stderr postern -vv -x "127.0.0.1:$EVIL" 127.0.0.1 22 </dev/null
	if printf '%s' "$stderr" | grep -q $'\x1b'; then
		fail "ESC reached stderr: $(printf '%s' "$stderr" | od -c | head)"
	fi
}

@test "-q silences the trace" {
	run -0 --separate-stderr postern -q -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
	assert_stderr ""
}

@test "-v and -q together are a usage error" {
	usage_error -v -q -x "127.0.0.1:$FP" 127.0.0.1 22
	first_line_is "postern: -v and -q cannot be used together"
}

@test "-q still prints errors" {
	local closed
	closed=$(closed_port)
	run -3 --separate-stderr postern -q -x "127.0.0.1:$closed" 127.0.0.1 22 </dev/null
	assert_stderr "postern: cannot connect to proxy 127.0.0.1:$closed: Connection refused"
}

@test "long options work like the short ones" {
	run -0 postern --proxy "127.0.0.1:$FP" --header 'X-A: 1' --user-agent ua \
	    --connect-timeout 10 --half-close --quiet 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
	assert_bytes "$FP_REQ" 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nUser-Agent: ua\r\nX-A: 1\r\n\r\n'
}

@test "-4 reaches an IPv4 proxy" {
	run -0 postern -4 -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
}

@test "-6 cannot reach a proxy given as an IPv4 address: exit 3" {
	run -3 --separate-stderr postern -6 -x "127.0.0.1:$FP" 127.0.0.1 22 </dev/null
	[[ $stderr == postern:* ]] || fail "stderr: $stderr"
	assert_no_request "$FP_REQ"
}
