#!/usr/bin/env bats
# The CONNECT request, byte for byte, as the fake proxy received it:
# request line, Host equal to the request target, User-Agent, -H headers.

load helpers

setup() {
	require_postern
	start_fakeproxy FP --reply 'HTTP/1.1 200 Connection established\r\n\r\n' \
	    --banner 'tunnel\n'
}

@test "HOST PORT: CONNECT host:port HTTP/1.1, Host equal to it, User-Agent postern/VERSION" {
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1 2222 </dev/null
	assert_equal "$output" "tunnel"
	assert_bytes "$FP_REQ" 'CONNECT 127.0.0.1:2222 HTTP/1.1\r\nHost: 127.0.0.1:2222\r\nUser-Agent: postern/%s\r\n\r\n' "$VERSION"
}

@test "HOST:PORT gives the same request as HOST PORT" {
	run -0 postern -x "127.0.0.1:$FP" 127.0.0.1:2222 </dev/null
	assert_request "$FP_REQ" 127.0.0.1:2222
}

@test "a host name is sent as given: the proxy resolves it" {
	run -0 postern -x "127.0.0.1:$FP" db.internal.example 5432 </dev/null
	assert_equal "$output" "tunnel"
	assert_request "$FP_REQ" db.internal.example:5432
}

@test "an IPv6 literal target goes in brackets in the request line and in Host" {
	run -0 postern -x "127.0.0.1:$FP" 2001:db8::1 22 </dev/null
	assert_bytes "$FP_REQ" 'CONNECT [2001:db8::1]:22 HTTP/1.1\r\nHost: [2001:db8::1]:22\r\nUser-Agent: postern/%s\r\n\r\n' "$VERSION"
	rm "$FP_REQ"
	run -0 postern -x "127.0.0.1:$FP" '[2001:db8::1]:22' </dev/null
	assert_request "$FP_REQ" '[2001:db8::1]:22'
	rm "$FP_REQ"
	run -0 postern -x "127.0.0.1:$FP" '[2001:db8::1]' 22 </dev/null
	assert_request "$FP_REQ" '[2001:db8::1]:22'
}

@test "-H headers follow User-Agent, in the order given, byte for byte" {
	run -0 postern -x "127.0.0.1:$FP" -H 'X-One: 1' -H 'X-Two: two words; and=more' \
	    -H 'Proxy-Connection: keep-alive' 127.0.0.1 22 </dev/null
	assert_bytes "$FP_REQ" 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nUser-Agent: postern/%s\r\nX-One: 1\r\nX-Two: two words; and=more\r\nProxy-Connection: keep-alive\r\n\r\n' "$VERSION"
}

@test "-A replaces the User-Agent value" {
	run -0 postern -x "127.0.0.1:$FP" -A 'Mozilla/5.0 (corp-approved)' 127.0.0.1 22 </dev/null
	assert_bytes "$FP_REQ" 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nUser-Agent: Mozilla/5.0 (corp-approved)\r\n\r\n'
}

@test "-A and -H together" {
	run -0 postern -x "127.0.0.1:$FP" -A ua/1 -H 'X-Trace: abc' 127.0.0.1 22 </dev/null
	assert_bytes "$FP_REQ" 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nUser-Agent: ua/1\r\nX-Trace: abc\r\n\r\n'
}

@test "nothing from stdin goes out before the proxy's 200" {
	start_fakeproxy SILENT --mode silent
	run -3 --separate-stderr timeout 10 "$POSTERN" -t 1 -x "127.0.0.1:$SILENT" 127.0.0.1 22 <<<"early bytes"
	assert_request "$SILENT_REQ" 127.0.0.1:22
	assert_equal "$output" "" stdout
}

@test "stdin goes out only after the 200, and arrives intact" {
	start_target ECHO echo --close-after 12
	start_fakeproxy RELAY --mode relay
	run -0 postern -x "127.0.0.1:$RELAY" 127.0.0.1 "$ECHO" <<<"hello world"
	assert_equal "$output" "hello world"
	assert_request "$RELAY_REQ" "127.0.0.1:$ECHO"
}

@test "proxy URL forms: http://host:port, http://host:port/, bare host:port" {
	local x
	for x in "http://127.0.0.1:$FP" "http://127.0.0.1:$FP/" "127.0.0.1:$FP" "HTTP://127.0.0.1:$FP"; do
		rm -f "$FP_REQ"
		run -0 postern -x "$x" 127.0.0.1 22 </dev/null
		assert_equal "$output" "tunnel" "output with -x $x"
		assert_request "$FP_REQ" 127.0.0.1:22
	done
}

@test "a proxy given by name (localhost) is resolved and reached" {
	run -0 postern -x "http://localhost:$FP" 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
}

# credential_header HEADER WANT: with -vvv and -H HEADER, the proxy receives
# HEADER byte for byte, the trace shows it as the one line "> WANT", and the
# secret (every secret below is spelt s3cr3t) appears nowhere on stderr.
credential_header() {
	local h=$1 want=$2
	rm -f "$FP_REQ"
	run -0 --separate-stderr postern -vvv -x "127.0.0.1:$FP" -H "$h" 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel" "stdout with -H $h"
	assert_bytes "$FP_REQ" 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\nUser-Agent: postern/%s\r\n%s\r\n\r\n' \
	    "$VERSION" "$h"
	if [[ $stderr == *s3cr3t* ]]; then
		fail "-H '$h': the secret reached stderr: $stderr"
	fi
	assert_equal "$(grep -ci 'authorization' <<<"$stderr")" 1 \
	    "trace lines naming the field (-H '$h')"
	assert_equal "$(grep -i 'authorization' <<<"$stderr")" "> $want" \
	    "trace line of -H '$h'"
}

@test "-vvv with -H Proxy-Authorization: only a known scheme before one SP is shown" {
	local n
	for n in Proxy-Authorization proxy-authorization PROXY-AUTHORIZATION; do
		credential_header "$n: s3cr3t-token" "$n: <redacted>"
		credential_header "$n:"$'\t'"s3cr3t-token" "$n: <redacted>"
		credential_header "$n:s3cr3t-token" "$n: <redacted>"
		credential_header "$n: Basic czNjcjN0" "$n: Basic <redacted>"
		credential_header "$n: basic s3cr3t" "$n: basic <redacted>"
		credential_header "$n:"$'\t'"Basic s3cr3t" "$n: Basic <redacted>"
		credential_header "$n: Basic  s3cr3t" "$n: <redacted>"
		credential_header "$n: Basic"$'\t'"s3cr3t" "$n: <redacted>"
		credential_header "$n: s3cr3t Basic" "$n: <redacted>"
		credential_header "$n: s3cr3t s3cr3t" "$n: <redacted>"
		credential_header "$n: Bearer s3cr3t.jwt.sig" "$n: Bearer <redacted>"
		credential_header "$n: Negotiate s3cr3t==" "$n: Negotiate <redacted>"
		credential_header "$n: Digest username=\"s3cr3t\", response=\"s3cr3t\"" \
		    "$n: Digest <redacted>"
		credential_header "$n: Basic" "$n: <redacted>"
		credential_header "$n:    " "$n: <redacted>"
		credential_header "$n:" "$n: <redacted>"
	done
}

@test "-vvv with -H Authorization: redacted the same way as Proxy-Authorization" {
	local n
	for n in Authorization authorization AUTHORIZATION; do
		credential_header "$n: s3cr3t-token" "$n: <redacted>"
		credential_header "$n:"$'\t'"s3cr3t-token" "$n: <redacted>"
		credential_header "$n: Basic czNjcjN0" "$n: Basic <redacted>"
		credential_header "$n:"$'\t'"Bearer s3cr3t" "$n: Bearer <redacted>"
		credential_header "$n: Bearer  s3cr3t" "$n: <redacted>"
		credential_header "$n: s3cr3t Bearer" "$n: <redacted>"
		credential_header "$n:    " "$n: <redacted>"
	done
}

@test "-vvv: a header whose name only contains Authorization is traced as given" {
	run -0 --separate-stderr postern -vvv -x "127.0.0.1:$FP" \
	    -H 'X-Authorization-Hint: visible' 127.0.0.1 22 </dev/null
	assert_equal "$output" "tunnel"
	[[ $stderr == *"> X-Authorization-Hint: visible"* ]] ||
	    fail "the header is not traced as given: $stderr"
}
