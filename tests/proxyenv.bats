#!/usr/bin/env bats
# Which proxy postern uses when -x is not given, and when no_proxy sends it
# straight to the target. Each environment variable points at a fake proxy
# of its own that answers "via NAME"; the one whose name comes out is the
# one postern chose. A direct connection reaches an echo server, and then no
# proxy may have recorded a connection.

load helpers

# Variable names, in the order of precedence of DESIGN.md.
PRECEDENCE=(POSTERN_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY http_proxy)

setup_file() {
	require_postern
	local v
	for v in "${PRECEDENCE[@]}" x HTTP_PROXY; do
		start_fakeproxy "P_$v" --reply 'HTTP/1.1 200 Connection established\r\n\r\n' \
		    --banner "via $v\\n"
	done
	start_echo --close-after 5
	if have_ipv6; then
		start_target ECHO6 echo --close-after 5 --listen ::1
	fi
	# Names for the suffix rules; resolved only inside with_hosts.
	printf '127.0.0.1 localhost\n127.0.0.1 postern.test www.postern.test deep.www.postern.test\n' \
	    >"$BATS_FILE_TMPDIR/hosts"
	export HOSTS=$BATS_FILE_TMPDIR/hosts
}

setup() {
	local v req
	for v in "${PRECEDENCE[@]}" x HTTP_PROXY; do
		req=P_${v}_REQ
		rm -f "${!req}"
	done
}

# url_of NAME: the URL of the fake proxy standing for variable NAME.
url_of() {
	local port=P_$1
	printf 'http://127.0.0.1:%s\n' "${!port}"
}

# set_from I: export every variable of PRECEDENCE from index I on.
set_from() {
	local i
	for ((i = $1; i < ${#PRECEDENCE[@]}; i++)); do
		export "${PRECEDENCE[i]}=$(url_of "${PRECEDENCE[i]}")"
	done
}

# assert_direct: the last run reached the echo server with no proxy.
assert_direct() {
	assert_equal "$output" "ping" "stdout (the echo of a direct connection)"
	local v req
	for v in "${PRECEDENCE[@]}" x HTTP_PROXY; do
		req=P_${v}_REQ
		assert_no_request "${!req}" || fail "proxy for $v got a connection"
	done
}

@test "POSTERN_PROXY comes first" {
	set_from 0
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via POSTERN_PROXY"
	assert_request "$P_POSTERN_PROXY_REQ" 127.0.0.1:22
}

@test "https_proxy comes before HTTPS_PROXY, all_proxy, ALL_PROXY, http_proxy" {
	set_from 1
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via https_proxy"
}

@test "HTTPS_PROXY comes before all_proxy, ALL_PROXY, http_proxy" {
	set_from 2
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via HTTPS_PROXY"
}

@test "all_proxy comes before ALL_PROXY, http_proxy" {
	set_from 3
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via all_proxy"
}

@test "ALL_PROXY comes before http_proxy" {
	set_from 4
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via ALL_PROXY"
}

@test "http_proxy alone is used" {
	set_from 5
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via http_proxy"
	assert_request "$P_http_proxy_REQ" 127.0.0.1:22
}

@test "each variable alone is used" {
	local v
	for v in "${PRECEDENCE[@]}"; do
		run -0 env "$v=$(url_of "$v")" timeout 20 "$POSTERN" 127.0.0.1 22 </dev/null
		assert_equal "$output" "via $v" "output with only $v set"
	done
}

@test "an empty variable is skipped for the next one" {
	set_from 3
	export POSTERN_PROXY= https_proxy= HTTPS_PROXY=
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via all_proxy"
}

@test "HTTP_PROXY (uppercase) is not read, as in curl" {
	export HTTP_PROXY=$(url_of HTTP_PROXY)
	run -2 postern 127.0.0.1 22 </dev/null
	assert_no_request "$P_HTTP_PROXY_REQ"
}

@test "-x comes before every variable" {
	set_from 0
	run -0 postern -x "$(url_of x)" 127.0.0.1 22 </dev/null
	assert_equal "$output" "via x"
}

@test "a bare host:port and a URL with a trailing / work in the environment" {
	export https_proxy=127.0.0.1:$P_https_proxy
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via https_proxy"
	export https_proxy=http://127.0.0.1:$P_https_proxy/
	run -0 postern 127.0.0.1 22 </dev/null
	assert_equal "$output" "via https_proxy"
}

@test "no proxy anywhere: exit 2 and nothing sent" {
	run -2 --separate-stderr postern 127.0.0.1 "$ECHO_PORT" </dev/null
	assert_equal "${stderr_lines[0]}" "postern: no proxy configured: use -x or set https_proxy or http_proxy"
	assert_equal "$(cat "$ECHO_PORT_LOG")" "" "echo server log"
}

# --- no_proxy: each rule of curl's syntax -------------------------------------

@test "no_proxy='*': direct" {
	set_from 0
	export no_proxy='*'
	run -0 postern 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy with an IPv4 literal: direct" {
	set_from 0
	export no_proxy=127.0.0.1
	run -0 postern 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy with an IPv4 CIDR range: direct" {
	set_from 0
	export no_proxy=127.0.0.0/8
	run -0 postern 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy with an IPv6 literal: direct" {
	[[ -n ${ECHO6-} ]] || skip "no IPv6 loopback (::1) here"
	set_from 0
	export no_proxy=::1
	run -0 postern ::1 "$ECHO6" <<<"ping"
	assert_direct
	run -0 postern "[::1]:$ECHO6" <<<"ping"
	assert_direct
}

@test "no_proxy with an IPv6 CIDR range: direct" {
	[[ -n ${ECHO6-} ]] || skip "no IPv6 loopback (::1) here"
	set_from 0
	export no_proxy=::1/128
	run -0 postern "[::1]:$ECHO6" <<<"ping"
	assert_direct
	export no_proxy=::/0
	run -0 postern "[::1]:$ECHO6" <<<"ping"
	assert_direct
}

@test "NO_PROXY (uppercase) is read too" {
	set_from 0
	export NO_PROXY=127.0.0.1
	run -0 postern 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy is a comma list, white space around the items ignored" {
	set_from 0
	export no_proxy='example.com, 10.0.0.0/8 ,127.0.0.1'
	run -0 postern 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy with a host name: the host itself goes direct" {
	set_from 0
	export no_proxy=localhost
	run -0 postern localhost "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy with a domain: the domain and its subdomains go direct (suffix match)" {
	can_override_hosts || skip "needs root and mount namespaces to give test names addresses"
	set_from 0
	export no_proxy=postern.test
	local h
	for h in postern.test www.postern.test deep.www.postern.test; do
		run -0 with_hosts "$HOSTS" timeout 20 "$POSTERN" "$h" "$ECHO_PORT" <<<"ping"
		assert_direct
	done
}

@test "no_proxy with a leading dot: subdomains go direct" {
	can_override_hosts || skip "needs root and mount namespaces to give test names addresses"
	set_from 0
	export no_proxy=.postern.test
	run -0 with_hosts "$HOSTS" timeout 20 "$POSTERN" www.postern.test "$ECHO_PORT" <<<"ping"
	assert_direct
	run -0 with_hosts "$HOSTS" timeout 20 "$POSTERN" deep.www.postern.test "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy names match without regard to case" {
	can_override_hosts || skip "needs root and mount namespaces to give test names addresses"
	set_from 0
	export no_proxy=POSTERN.Test
	run -0 with_hosts "$HOSTS" timeout 20 "$POSTERN" www.postern.test "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy matches but no proxy is configured at all: direct, not an error" {
	export no_proxy=127.0.0.1
	run -0 postern 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_direct
}

@test "no_proxy does not apply to -x" {
	export no_proxy='*'
	run -0 postern -x "$(url_of x)" 127.0.0.1 "$ECHO_PORT" <<<"ping"
	assert_equal "$output" "via x"
	assert_request "$P_x_REQ" "127.0.0.1:$ECHO_PORT"
}

@test "no_proxy that does not match: through the proxy" {
	set_from 1
	local np
	# A suffix only matches at a dot; an address only matches itself or
	# its range.
	for np in postern.test .postern.test ostern.test www.postern.test \
	    127.0.0.2 10.0.0.0/8 127.0.0.0/32 ::1 ::1/128 'example.com,*.org'; do
		export no_proxy=$np
		run -0 postern badpostern.test 22 </dev/null
		assert_equal "$output" "via https_proxy" "output for target badpostern.test, no_proxy=$np"
		run -0 postern 127.0.0.1 22 </dev/null
		assert_equal "$output" "via https_proxy" "output for target 127.0.0.1, no_proxy=$np"
	done
	assert_request "$P_https_proxy_REQ" 127.0.0.1:22
}

@test "no_proxy: a name target is not matched by an address rule" {
	set_from 1
	export no_proxy=127.0.0.0/8
	run -0 postern example.test 22 </dev/null
	assert_equal "$output" "via https_proxy"
	assert_request "$P_https_proxy_REQ" example.test:22
}
