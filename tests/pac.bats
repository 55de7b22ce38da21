#!/usr/bin/env bats
# Proxy auto-configuration: the PAC (from a file or a local HTTP server)
# chooses the proxy per target; entries are tried in order; any failure of
# the PAC is exit 10, never a silent DIRECT.

load helpers
load lib/tls

setup_file() {
	require_postern
	"$POSTERN" -V | grep -q '^proxies:.* pac$' || skip "built without PAC"
	make_pki "$BATS_FILE_TMPDIR/pki"
	start_squid
	start_tinyproxy
	start_stunnel TLS "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key"
	start_target ECHO2 echo --close-after 5
	start_target ECHO3 echo --close-after 5
	start_fakeproxy PA --reply 'HTTP/1.1 200 Connection established\r\n\r\n' \
	    --banner 'via A\n'
	start_fakeproxy PB --reply 'HTTP/1.1 200 Connection established\r\n\r\n' \
	    --banner 'via B\n'
	start_echo --close-after 5
	export DEAD=$(closed_port)
}

# Each test has its own cache and runtime directory: what one test leaves
# (a cached PAC, a proxy remembered as unreachable) is not seen by another.
setup() {
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
}

# pac NAME BODY: a PAC file in the test's directory; PAC is its path.
pac() {
	PAC=$BATS_TEST_TMPDIR/$1.pac
	printf '%s\n' "$2" >"$PAC"
}

@test "the PAC chooses the proxy per host" {
	pac choose "function FindProxyForURL(url, host) {
	if (dnsDomainIs(host, '.a.test')) return 'PROXY 127.0.0.1:$PA';
	return 'PROXY 127.0.0.1:$PB';
}"
	run -0 postern --pac "$PAC" db.a.test 22 </dev/null
	[ "$output" = "via A" ]
	run -0 postern --pac "file://$PAC" other.test 22 </dev/null
	[ "$output" = "via B" ]
	assert_request "$PB_REQ" other.test:22
}

@test "POSTERN_PAC is used; -x before --pac wins; -x after it is a usage error" {
	pac env "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PA'; }"
	POSTERN_PAC=$PAC POSTERN_PROXY=127.0.0.1:$PB run -0 postern t.test 22 </dev/null
	[ "$output" = "via A" ]
	run -0 postern -x "127.0.0.1:$PB" --pac "$PAC" t.test 22 </dev/null
	[ "$output" = "via B" ]
	run --separate-stderr -2 postern --pac "$PAC" -x "127.0.0.1:$PB" t.test 22
	assert_stderr "postern: -x after --pac: the PAC chooses the proxy, a chain behind it is not supported"
}

@test "url and host arguments: https://HOST:PORT/, :443 left out, IPv6 in brackets" {
	pac args "function FindProxyForURL(url, host) {
	if (url === 'https://h.test:22/' && host === 'h.test') return 'PROXY 127.0.0.1:$PA';
	if (url === 'https://h.test/' && host === 'h.test') return 'PROXY 127.0.0.1:$PA';
	if (url === 'https://[2001:db8::7]:22/' && host === '2001:db8::7') return 'PROXY 127.0.0.1:$PA';
	return 'PROXY 127.0.0.1:$PB';
}"
	run -0 postern --pac "$PAC" h.test 22 </dev/null
	[ "$output" = "via A" ]
	run -0 postern --pac "$PAC" h.test 443 </dev/null
	[ "$output" = "via A" ]
	run -0 postern --pac "$PAC" '[2001:db8::7]:22' </dev/null
	[ "$output" = "via A" ]
}

@test "DIRECT reaches the target; SOCKS entries are skipped" {
	pac direct "function FindProxyForURL(u, h) { return 'SOCKS5 127.0.0.1:$DEAD; DIRECT'; }"
	run -0 postern -v --pac "$PAC" 127.0.0.1 "$ECHO_PORT" <<<"ping"
	[ "${lines[-1]}" = "ping" ]
	[[ $output == *"PAC: skipping SOCKS 127.0.0.1:$DEAD"* ]]
}

@test "failover: a closed port moves on to the next entry" {
	pac failover "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$DEAD; PROXY 127.0.0.1:$PA'; }"
	run -0 postern --pac "$PAC" f.test 22 </dev/null
	[ "$output" = "via A" ]
}

@test "all entries dead: exit 3 naming each, and DIRECT only when listed" {
	local before
	before=$(grep -c '^connect' "$ECHO_PORT_LOG" || true)
	pac dead "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$DEAD; HTTPS 127.0.0.1:$DEAD'; }"
	run --separate-stderr -3 postern --pac "$PAC" 127.0.0.1 "$ECHO_PORT" </dev/null
	assert_stderr "postern: no entry of the PAC $PAC could be reached: PROXY 127.0.0.1:$DEAD (cannot connect to proxy 127.0.0.1:$DEAD: Connection refused); HTTPS 127.0.0.1:$DEAD (cannot connect to proxy 127.0.0.1:$DEAD: Connection refused)"
	# A marker through DIRECT: the target's log holds its connection and
	# no other before it.
	pac marker "function FindProxyForURL(u, h) { return 'DIRECT'; }"
	run -0 postern --pac "$PAC" 127.0.0.1 "$ECHO_PORT" <<<"ping"
	[ "$output" = "ping" ]
	wait_grep "$ECHO_PORT_LOG" "close after" 20
	[ "$(grep -c '^connect' "$ECHO_PORT_LOG")" = $((before + 1)) ]
}

@test "the PAC over http:// from a local server" {
	pac served "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PB'; }"
	start_target WEB http --body-file "$PAC"
	run -0 postern --pac "http://127.0.0.1:$WEB/proxy.pac" s.test 22 </dev/null
	[ "$output" = "via B" ]
	grep -q "request b'GET /proxy.pac HTTP/1.0'" "$WEB_LOG"
}

@test "a broken PAC is exit 10 with the reason" {
	pac syntax $'function FindProxyForURL(u, h) {\n return 1 +;\n}'
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: SyntaxError: empty expression not allowed (line 2)"
	pac throws $'function FindProxyForURL(u, h) {\n throw new Error("no");\n}'
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: Error: no (line 2)"
	pac number "function FindProxyForURL(u, h) { return 42; }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: returned number, not a string"
	pac empty "function FindProxyForURL(u, h) { return ''; }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: unusable answer \"\": an empty answer"
	pac socks "function FindProxyForURL(u, h) { return 'SOCKS s:1'; }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: unusable answer \"SOCKS s:1\": only SOCKS entries, which postern does not speak"
	run --separate-stderr -10 postern --pac "$BATS_TEST_TMPDIR/none.pac" t.test 22
	assert_stderr "postern: PAC $BATS_TEST_TMPDIR/none.pac: cannot fetch: No such file or directory"
}

@test "an endless loop, an allocation bomb, a 2 MiB PAC: exit 10" {
	pac loop "function FindProxyForURL(u, h) { for (;;); }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: ran out of CPU time (1 s)"
	pac bomb "function FindProxyForURL(u, h) { var s = 'x'; for (;;) s = s + s + s.length; }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: out of memory (more than 64 MiB)"
	PAC=$BATS_TEST_TMPDIR/big.pac
	head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$PAC"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: cannot fetch: larger than 1024 KiB"
}

@test "a tunnel without a PAC does not load Duktape; one with a PAC does not keep it" {
	start_fakeproxy PH --mode relay --target "127.0.0.1:$ECHO_PORT" --banner 'via A\n'
	pac maps "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PH'; }"
	local out=$BATS_TEST_TMPDIR/out pid
	mkfifo "$BATS_TEST_TMPDIR/in"
	exec 8<>"$BATS_TEST_TMPDIR/in"
	"$POSTERN" -x "127.0.0.1:$PH" m.test 22 <&8 >"$out" 2>&1 &
	pid=$!
	wait_grep "$out" "via A" 20
	! grep -q duktape "/proc/$pid/maps"
	kill "$pid"; wait "$pid" || true
	"$POSTERN" --pac "$PAC" m.test 22 <&8 >"$out.2" 2>&1 &
	pid=$!
	wait_grep "$out.2" "via A" 20
	! grep -q duktape "/proc/$pid/maps"
	kill "$pid"; wait "$pid" || true
	exec 8>&-
}

@test "null and undefined answers: exit 10" {
	pac null "function FindProxyForURL(u, h) { return null; }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: returned null, not a string"
	pac undef "function FindProxyForURL(u, h) { }"
	run --separate-stderr -10 postern --pac "$PAC" t.test 22
	assert_stderr "postern: PAC $PAC: returned undefined, not a string"
}

@test "squid and tinyproxy chosen by the PAC per target; HTTPS through stunnel" {
	pac real "function FindProxyForURL(url, host) {
	if (shExpMatch(url, '*:$ECHO2/')) return 'PROXY 127.0.0.1:$TINYPROXY_PORT';
	if (shExpMatch(url, '*:$ECHO3/')) return 'HTTPS 127.0.0.1:$TLS';
	return 'PROXY 127.0.0.1:$SQUID_PORT';
}"
	run -0 --separate-stderr postern --pac "$PAC" 127.0.0.1 "$ECHO_PORT" <<<"sqd1"
	[ "$output" = "sqd1" ]
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$ECHO_PORT "
	run -0 --separate-stderr postern --pac "$PAC" 127.0.0.1 "$ECHO2" <<<"tny1"
	[ "$output" = "tny1" ]
	wait_grep "$TINYPROXY_LOG" "CONNECT 127\.0\.0\.1:$ECHO2 "
	run -0 --separate-stderr postern --pac "$PAC" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$ECHO3" <<<"tls1"
	[ "$output" = "tls1" ]
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$ECHO3 "
	# The HTTPS entry is verified as an https:// proxy is.
	run --separate-stderr -4 postern --pac "$PAC" 127.0.0.1 "$ECHO3" </dev/null
	assert_stderr "postern: TLS with 127.0.0.1:$TLS failed: certificate verify failed (unable to get local issuer certificate)"
}

# corp_pac: tests/lib/corp.pac.in with this file's proxies, in PAC.
corp_pac() {
	PAC=$BATS_TEST_TMPDIR/corp.pac
	_subst "$LIB/corp.pac.in" "$PAC" "DEAD=$DEAD" "SQUID=$SQUID_PORT" \
	    "TINY=$TINYPROXY_PORT" "TLS=$TLS" "ECHO2=$ECHO2" "ECHO3=$ECHO3"
	[ "$(wc -l <"$PAC")" -gt 250 ]
}

@test "a corporate PAC: internal names DIRECT, the site's failover list, port rules, HTTPS" {
	corp_pac
	run -0 postern -v --pac "$PAC" localhost "$ECHO_PORT" <<<"dir1"
	[ "${lines[-1]}" = "dir1" ]
	[[ $output == *"postern: PAC $PAC: \"DIRECT\""* ]]
	run -0 postern -v --pac "$PAC" 127.0.0.1 "$ECHO_PORT" <<<"lab1"
	[ "${lines[-1]}" = "lab1" ]
	[[ $output == *"postern: PAC alert: site lab for 127.0.0.1"* ]]
	[[ $output == *"postern: PAC: 127.0.0.1:$DEAD: cannot connect to proxy 127.0.0.1:$DEAD: Connection refused; trying the next entry"* ]]
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$ECHO_PORT "
	run -0 --separate-stderr postern --pac "$PAC" 127.0.0.1 "$ECHO2" <<<"prt1"
	[ "$output" = "prt1" ]
	wait_grep "$TINYPROXY_LOG" "CONNECT 127\.0\.0\.1:$ECHO2 "
	run -0 --separate-stderr postern --pac "$PAC" --proxy-cacert "$PKI/ca.pem" \
	    127.0.0.1 "$ECHO3" <<<"tls2"
	[ "$output" = "tls2" ]
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$ECHO3 "
}

@test "the PAC over https://, verified as https proxies are" {
	pac tls "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PB'; }"
	start_target WEBT http --body-file "$PAC"
	start_stunnel PACTLS "$WEBT" "$PKI/server.pem" "$PKI/server.key"
	run -0 postern --pac "https://localhost:$PACTLS/t.pac" \
	    --proxy-cacert "$PKI/ca.pem" s.test 22 </dev/null
	[ "$output" = "via B" ]
	grep -q "request b'GET /t.pac HTTP/1.0'" "$WEBT_LOG"
	run -0 postern --pac "https://127.0.0.1:$PACTLS/t.pac" \
	    --proxy-capath "$PKI/capath" s.test 22 </dev/null
	[ "$output" = "via B" ]
	# Another URL: no cached copy stands in.
	run --separate-stderr -10 postern --pac "https://localhost:$PACTLS/u.pac" s.test 22 </dev/null
	assert_stderr "postern: PAC https://localhost:$PACTLS/u.pac: cannot fetch: TLS: certificate verify failed (unable to get local issuer certificate)"
	start_stunnel PACOTHER "$WEBT" "$PKI/other.pem" "$PKI/other.key"
	run --separate-stderr -10 postern --pac "https://localhost:$PACOTHER/u.pac" \
	    --proxy-cacert "$PKI/ca.pem" s.test 22 </dev/null
	assert_stderr "postern: PAC https://localhost:$PACOTHER/u.pac: cannot fetch: TLS: certificate verify failed (hostname mismatch)"
	[ "$(grep -c "request b'GET" "$WEBT_LOG")" = 2 ]
}

@test "a PAC over http:// is cached, revalidated with If-None-Match (304), used when the server is down" {
	local url cache
	pac cached "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PA'; }"
	start_target WEBC http --body-file "$PAC" --etag '"v1"'
	url=http://127.0.0.1:$WEBC/c.pac
	run -0 postern --pac "$url" c.test 22 </dev/null
	[ "$output" = "via A" ]
	cache=$(echo "$XDG_CACHE_HOME"/postern/pac-*)
	[ -f "$cache" ]
	[ "$(stat -c %a "$cache")" = 600 ]
	grep -qxF "url $url" "$cache"
	# The server keeps the ETag: its 304 makes postern use its copy,
	# not the file the server would send now.
	pac cached "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PB'; }"
	run -0 postern -v --pac "$url" c.test 22 </dev/null
	[ "${lines[-1]}" = "via A" ]
	[[ $output == *"postern: PAC $url: not modified: the cached copy"* ]]
	[ "$(grep -c '^validators $' "$WEBC_LOG")" = 1 ]
	grep -qxF 'validators if-modified-since: Mon, 01 Jan 2024 00:00:00 GMT | if-none-match: "v1"' "$WEBC_LOG"
	# The server is down: the copy stands in, and -v says so.
	stop_pid "$WEBC_PID" || true
	run -0 postern -v --pac "$url" c.test 22 </dev/null
	[ "${lines[-1]}" = "via A" ]
	[[ $output == *"postern: PAC $url: cannot fetch: Connection refused; using the copy cached 0 minutes ago"* ]]
	# Not once it is more than 7 days old.
	touch -d '8 days ago' "$cache"
	run --separate-stderr -10 postern --pac "$url" c.test 22 </dev/null
	assert_stderr "postern: PAC $url: cannot fetch: Connection refused"
}

@test "a cached PAC with another URL inside, writable by others or of another user is not used" {
	local url cache
	pac other "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PA'; }"
	start_target WEBO http --body-file "$PAC"
	url=http://127.0.0.1:$WEBO/o.pac
	run -0 postern --pac "$url" o.test 22 </dev/null
	cache=$(echo "$XDG_CACHE_HOME"/postern/pac-*)
	stop_pid "$WEBO_PID" || true
	sed -i "s|^url .*|url http://elsewhere.test/o.pac|" "$cache"
	run --separate-stderr -10 postern --pac "$url" o.test 22 </dev/null
	assert_stderr "postern: PAC $url: cannot fetch: Connection refused"
	sed -i "s|^url .*|url $url|" "$cache"
	chmod 666 "$cache"
	run --separate-stderr -10 postern --pac "$url" o.test 22 </dev/null
	assert_stderr "postern: PAC $url: cannot fetch: Connection refused"
	chmod 600 "$cache"
	if [[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1; then
		chown nobody "$cache"
		run --separate-stderr -10 postern --pac "$url" o.test 22 </dev/null
		assert_stderr "postern: PAC $url: cannot fetch: Connection refused"
		chown 0 "$cache"
	fi
	run -0 postern --pac "$url" o.test 22 </dev/null
	[ "$output" = "via A" ]
}

@test "failover memory: an unreachable proxy is tried last for 5 minutes; a stale, corrupt or foreign file is ignored" {
	local mem=$XDG_RUNTIME_DIR/postern/unreachable
	pac memo "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$DEAD; PROXY 127.0.0.1:$PA'; }"
	run -0 postern -v --pac "$PAC" m.test 22 </dev/null
	[ "${lines[-1]}" = "via A" ]
	[[ $output == *"PAC: 127.0.0.1:$DEAD: cannot connect to proxy 127.0.0.1:$DEAD: Connection refused; trying the next entry"* ]]
	grep -qE "^[0-9]+ PROXY 127\.0\.0\.1:$DEAD\$" "$mem"
	[ "$(stat -c %a "$mem")" = 600 ]
	# Remembered: tried after the others, so not at all here.
	run -0 postern -v --pac "$PAC" m.test 22 </dev/null
	[ "${lines[-1]}" = "via A" ]
	[[ $output == *"postern: PAC: PROXY 127.0.0.1:$DEAD could not be reached "*" s ago: trying it last"* ]]
	[[ $output != *"cannot connect to proxy 127.0.0.1:$DEAD"* ]]
	# More than 5 minutes ago: first again.
	printf 'postern unreachable 1\n%d PROXY 127.0.0.1:%s\n' $(($(date +%s) - 301)) "$DEAD" >"$mem"
	run -0 postern -v --pac "$PAC" m.test 22 </dev/null
	[[ $output == *"cannot connect to proxy 127.0.0.1:$DEAD"* ]]
	[[ $output != *"trying it last"* ]]
	# A corrupt file is ignored, and replaced.
	printf 'postern unreachable 1\n%d PROXY 127.0.0.1:%s\nnonsense\n' "$(date +%s)" "$DEAD" >"$mem"
	run -0 postern -v --pac "$PAC" m.test 22 </dev/null
	[[ $output == *"postern: $mem: not a list of proxies: ignored"* ]]
	[[ $output == *"cannot connect to proxy 127.0.0.1:$DEAD"* ]]
	grep -qE "^[0-9]+ PROXY 127\.0\.0\.1:$DEAD\$" "$mem"
	! grep -q nonsense "$mem"
	# So is one that others may write, or that another user owns.
	chmod 622 "$mem"
	run -0 postern -v --pac "$PAC" m.test 22 </dev/null
	[[ $output == *"cannot connect to proxy 127.0.0.1:$DEAD"* ]]
	if [[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1; then
		printf 'postern unreachable 1\n%d PROXY 127.0.0.1:%s\n' "$(date +%s)" "$DEAD" >"$mem"
		chmod 600 "$mem"
		chown nobody "$mem"
		run -0 postern -v --pac "$PAC" m.test 22 </dev/null
		[[ $output == *"cannot connect to proxy 127.0.0.1:$DEAD"* ]]
	fi
	# A remembered proxy that answers again is forgotten.
	printf 'postern unreachable 1\n%d PROXY 127.0.0.1:%s\n' "$(date +%s)" "$PA" >"$mem"
	chown 0 "$mem" 2>/dev/null || true
	pac back "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$PA'; }"
	run -0 postern -v --pac "$PAC" m.test 22 </dev/null
	[ "${lines[-1]}" = "via A" ]
	[[ $output == *"PROXY 127.0.0.1:$PA could not be reached "* ]]
	! grep -q "127.0.0.1:$PA" "$mem"
}
