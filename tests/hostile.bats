#!/usr/bin/env bats
# A hostile proxy: replies that squid and tinyproxy never send, each from a
# scripted proxy, each with its exit status, its one-line message and what
# reached stdout (nothing, before a valid 2xx).  More cases live in
# errors.bats (limits, timeouts, resets) and auth.bats (407 bodies and
# challenges).

load helpers

setup_file() {
	require_postern
}

# hostile REPLY: postern through a fake proxy that sends REPLY (backslash
# escapes) and closes; stdout, stderr and status as `run` leaves them.
hostile() {
	start_fakeproxy FP --mode close --reply "$1"
	run --separate-stderr timeout 20 "$POSTERN" -t 10 -x "127.0.0.1:$FP" \
	    127.0.0.1 9999 </dev/null
}

@test 'hostile: an empty line instead of a status line' {
	hostile '\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line"
	[ -z "$output" ]
}

@test 'hostile: a lowercase version (http/1.0)' {
	hostile 'http/1.0 200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"http/1.0 200 OK\""
	[ -z "$output" ]
}

@test 'hostile: HTTP/2.0 in a status line' {
	hostile 'HTTP/2.0 200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/2.0 200 OK\""
	[ -z "$output" ]
}

@test 'hostile: HTTP/1.10, a two-digit minor version' {
	hostile 'HTTP/1.10 200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.10 200 OK\""
	[ -z "$output" ]
}

@test 'hostile: HTTPS/1.1 as the protocol name' {
	hostile 'HTTPS/1.1 200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTPS/1.1 200 OK\""
	[ -z "$output" ]
}

@test 'hostile: a two-digit status code' {
	hostile 'HTTP/1.1 20 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1 20 OK\""
	[ -z "$output" ]
}

@test 'hostile: a four-digit status code' {
	hostile 'HTTP/1.1 2000 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1 2000 OK\""
	[ -z "$output" ]
}

@test 'hostile: a signed status code (+200)' {
	hostile 'HTTP/1.1 +200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1 +200 OK\""
	[ -z "$output" ]
}

@test 'hostile: letters in the status code (2OO)' {
	hostile 'HTTP/1.1 2OO OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1 2OO OK\""
	[ -z "$output" ]
}

@test 'hostile: status code 099' {
	hostile 'HTTP/1.1 099 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1 099 OK\""
	[ -z "$output" ]
}

@test 'hostile: status code 600' {
	hostile 'HTTP/1.1 600 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1 600 OK\""
	[ -z "$output" ]
}

@test 'hostile: two spaces before the status code' {
	hostile 'HTTP/1.1  200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"HTTP/1.1  200 OK\""
	[ -z "$output" ]
}

@test 'hostile: a NUL in the status line, shown escaped' {
	hostile 'HTTP/1.1 200 O\x00K\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: NUL or bare CR in the header: \"HTTP/1.1 200 O\\x00K\""
	[ -z "$output" ]
}

@test 'hostile: a bare CR in the status line' {
	hostile 'HTTP/1.1 200 O\rK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: NUL or bare CR in the header: \"HTTP/1.1 200 O\\rK\""
	[ -z "$output" ]
}

@test 'hostile: a NUL in a header field' {
	hostile 'HTTP/1.1 200 OK\r\nX-A: b\x00c\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: NUL or bare CR in the header: \"X-A: b\\x00c\""
	[ -z "$output" ]
}

@test 'hostile: a header line without a colon' {
	hostile 'HTTP/1.1 200 OK\r\nNoColon\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: malformed header line: \"NoColon\""
	[ -z "$output" ]
}

@test 'hostile: white space before the colon is not the header' {
	hostile 'HTTP/1.1 200 OK\r\nProxy-Authenticate : Basic\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: malformed header line: \"Proxy-Authenticate : Basic\""
	[ -z "$output" ]
}

@test 'hostile: white space before the first header line' {
	hostile 'HTTP/1.1 200 OK\r\n X: y\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: white space before the first header line: \" X: y\""
	[ -z "$output" ]
}

@test 'hostile: a header line with an empty name' {
	hostile 'HTTP/1.1 200 OK\r\n: value\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: malformed header line: \": value\""
	[ -z "$output" ]
}

@test 'hostile: six 1xx replies before the final one' {
	hostile 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: more than 5 interim (1xx) replies"
	[ -z "$output" ]
}

@test 'hostile: one 100 Continue, then 200: skipped, and the bytes after it kept' {
	hostile 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\nbanner'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'banner')" ]
}

@test 'hostile: 101 Switching Protocols is no answer to CONNECT' {
	hostile 'HTTP/1.1 101 Switching Protocols\r\n\r\n'
	[ "$status" -eq 6 ]
	assert_stderr "postern: 127.0.0.1:$FP refused CONNECT 127.0.0.1:9999: 101 Switching Protocols"
	[ -z "$output" ]
}

@test 'hostile: obs-fold in a 200 is unfolded, not taken for a header' {
	hostile 'HTTP/1.1 200 OK\r\nX-A: a\r\n  folded\r\n\r\nafter'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'after')" ]
}

@test 'hostile: bare LF line endings are accepted' {
	hostile 'HTTP/1.1 200 OK\nVia: x\n\nlf-banner'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'lf-banner')" ]
}

@test 'hostile: a second status line after a 200 is tunnel data' {
	hostile 'HTTP/1.1 200 OK\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'HTTP/1.1 200 OK\r\n\r\n')" ]
}

@test 'hostile: a 200 with Content-Length: 5 delivers every byte after the header' {
	hostile 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcdefgh'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'abcdefgh')" ]
}

@test 'hostile: a chunked 200 delivers the raw bytes after the header' {
	hostile 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf '5\r\nhello')" ]
}

@test 'hostile: a 200 without a reason phrase' {
	hostile 'HTTP/1.1 200\r\n\r\nnoreason'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'noreason')" ]
}

@test 'hostile: 204 is a 2xx: the tunnel opens' {
	hostile 'HTTP/1.1 204 \r\n\r\nok204'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'ok204')" ]
}

@test 'hostile: 299 is a 2xx: the tunnel opens' {
	hostile 'HTTP/1.1 299 x\r\n\r\nok299'
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$output" = "$(printf 'ok299')" ]
}

@test 'hostile: 407 without Proxy-Authenticate' {
	hostile 'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n'
	[ "$status" -eq 5 ]
	assert_stderr "postern: 127.0.0.1:$FP requires authentication but sent no Proxy-Authenticate challenge"
	[ -z "$output" ]
}

@test 'hostile: 407 with only an unknown scheme' {
	hostile 'HTTP/1.1 407 Auth\r\nProxy-Authenticate: Newauth realm="x"\r\nContent-Length: 0\r\n\r\n'
	[ "$status" -eq 5 ]
	assert_stderr "postern: 127.0.0.1:$FP requires authentication with a scheme postern cannot use (offered: Newauth)"
	[ -z "$output" ]
}

@test 'hostile: 407 with only Negotiate' {
	hostile 'HTTP/1.1 407 Auth\r\nProxy-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n'
	[ "$status" -eq 5 ]
	if have_negotiate; then
		assert_stderr "postern: 127.0.0.1:$FP asks for Negotiate: no Kerberos ticket (run kinit); no other scheme offered"
	else
		assert_stderr "postern: 127.0.0.1:$FP requires authentication with a scheme postern cannot use (offered: Negotiate)"
	fi
	[ -z "$output" ]
}

@test 'hostile: 403 with an HTML body: the body never reaches stdout' {
	hostile 'HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n<html>denied</html>\n'
	[ "$status" -eq 6 ]
	assert_stderr "postern: 127.0.0.1:$FP refused CONNECT 127.0.0.1:9999: 403 Forbidden"
	[ -z "$output" ]
}

@test 'hostile: 400 with Connection: close' {
	hostile 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'
	[ "$status" -eq 6 ]
	assert_stderr "postern: 127.0.0.1:$FP refused CONNECT 127.0.0.1:9999: 400 Bad Request"
	[ -z "$output" ]
}

@test 'hostile: a terminal escape in the reason phrase is shown escaped' {
	hostile 'HTTP/1.1 403 Go \x1b[31maway\r\n\r\n'
	[ "$status" -eq 6 ]
	assert_stderr "postern: 127.0.0.1:$FP refused CONNECT 127.0.0.1:9999: 403 Go \\x1b[31maway"
	[ -z "$output" ]
}

@test 'hostile: the proxy closes in the middle of the status line' {
	hostile 'HTTP/1.1 2'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: the proxy closed the connection during the reply"
	[ -z "$output" ]
}

@test 'hostile: the proxy closes after the status line' {
	hostile 'HTTP/1.1 200 OK\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: the proxy closed the connection during the reply"
	[ -z "$output" ]
}

@test 'hostile: the proxy closes after the headers, before the blank line' {
	hostile 'HTTP/1.1 200 OK\r\nVia: x\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: the proxy closed the connection during the reply"
	[ -z "$output" ]
}

@test 'hostile: an HTML page instead of a reply' {
	hostile '<html><body>Hello</body></html>\r\n\r\n'
	[ "$status" -eq 8 ]
	assert_stderr "postern: 127.0.0.1:$FP: invalid reply to CONNECT: bad status line: \"<html><body>Hello</body></html>\""
	[ -z "$output" ]
}
