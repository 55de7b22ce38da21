#!/usr/bin/env bats
# postern --check: the report on stdout, one step per line, for each way a
# proxy is chosen, a plain and an https proxy, credentials from netrc, and
# the two failures it gives advice for (403 on port 22, an unknown CA); the
# first bytes of the target (an sshd's banner). Real squid, stunnel4, sshd.

load helpers
load lib/tls

setup_file() {
	require_postern
	make_pki "$BATS_FILE_TMPDIR/pki"
	SQUID_ALSO_BLOCKED=22 start_squid
	start_stunnel TLS "$SQUID_PORT" "$PKI/server.pem" "$PKI/server.key"
	start_sshd
}

# has LINE: the report holds a line that starts with LINE.
has() {
	local l
	while IFS= read -r l; do
		[[ $l == "$1"* ]] && return 0
	done <<<"$output"
	printf 'no line starting with: %s\nin:\n%s\n' "$1" "$output" >&2
	return 1
}

@test "--check, plain proxy with -x: resolution, connect, status line, sshd banner, exit 0" {
	run --separate-stderr -0 postern --check -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SSHD_PORT"
	has "postern --check 127.0.0.1:$SSHD_PORT"
	has "proxy 1: http://127.0.0.1:$SQUID_PORT (from -x)"
	has "connecting to proxy 127.0.0.1:$SQUID_PORT"
	has "127.0.0.1 resolved to 127.0.0.1 in "
	has "connected to 127.0.0.1 port $SQUID_PORT in "
	has "127.0.0.1:$SQUID_PORT: CONNECT 127.0.0.1:$SSHD_PORT"
	has "127.0.0.1:$SQUID_PORT answered: HTTP/1.1 200 Connection established ("
	has "result: exit 0, the tunnel is established"
	has "the target sent: SSH-2.0-OpenSSH"
	[ -z "$stderr" ]
}

@test "--check, plain proxy from http_proxy and from https_proxy" {
	http_proxy="http://127.0.0.1:$SQUID_PORT" run --separate-stderr -0 \
	    postern --check 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: http://127.0.0.1:$SQUID_PORT (from http_proxy)"
	has "result: exit 0"
	https_proxy="127.0.0.1:$SQUID_PORT" http_proxy=http://127.0.0.1:1 \
	    run --separate-stderr -0 postern --check 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: http://127.0.0.1:$SQUID_PORT (from https_proxy)"
	has "the target sent: SSH-2.0-"
}

@test "--check, no_proxy: connecting directly, and which setting matched" {
	https_proxy="http://127.0.0.1:1" no_proxy="example.org,127.0.0.1" \
	    run --separate-stderr -0 postern --check 127.0.0.1 "$SSHD_PORT"
	has 'proxy: none, the entry "127.0.0.1" of no_proxy matches 127.0.0.1: connecting directly'
	has "connecting to 127.0.0.1:$SSHD_PORT"
	has "result: exit 0"
	has "the target sent: SSH-2.0-"
}

@test "--check, https proxy with -x: TLS version, cipher, ALPN, certificate, trust store" {
	run --separate-stderr -0 postern --check -x "https://localhost:$TLS" \
	    --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: https://localhost:$TLS (from -x)"
	has "localhost:$TLS: TLS handshake"
	has "TLS: TLSv1."
	has "certificate subject: /CN=localhost"
	has "certificate issuer: /CN=postern test CA"
	has "certificate expires: 20"
	has "certificate verified against --proxy-cacert $PKI/ca.pem"
	has "localhost:$TLS answered: HTTP/1.1 200 Connection established"
	has "the target sent: SSH-2.0-"
}

@test "--check, https proxy from https_proxy, verified against a CA directory" {
	https_proxy="https://localhost:$TLS" run --separate-stderr -0 \
	    postern --check --proxy-capath "$PKI/capath" 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: https://localhost:$TLS (from https_proxy)"
	has "certificate verified against --proxy-capath $PKI/capath"
	has "result: exit 0"
}

@test "--check, 403 on port 22: exit 6, the status line and the advice" {
	run --separate-stderr -6 postern --check -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 22
	has "127.0.0.1:$SQUID_PORT answered: HTTP/1.1 403 Forbidden"
	has "failed: 127.0.0.1:$SQUID_PORT refused CONNECT 127.0.0.1:22: 403 Forbidden"
	has "result: exit 6, the proxy refused the tunnel"
	has "advice: the proxy does not allow port 22; have sshd on 127.0.0.1 listen on port 443 too, and use that"
	[ "$stderr" = "postern: 127.0.0.1:$SQUID_PORT refused CONNECT 127.0.0.1:22: 403 Forbidden" ]
}

@test "--check, 403 on port 22 of a host name: the advice names its ssh. host" {
	run --separate-stderr -6 postern --check -x "127.0.0.1:$SQUID_PORT" localhost 22
	has "advice: the proxy does not allow port 22; try ssh.localhost port 443 (as GitHub and GitLab offer), or sshd on port 443"
	run --separate-stderr -6 postern --check -x "127.0.0.1:$SQUID_PORT" ssh.localhost 22
	has "advice: the proxy does not allow port 22; have sshd on ssh.localhost listen on port 443 too, and use that"
}

@test "--check, an https proxy whose CA is unknown: exit 4, the certificate and the advice" {
	run --separate-stderr -4 postern --check -x "https://localhost:$TLS" 127.0.0.1 "$SSHD_PORT"
	has "certificate subject: /CN=localhost"
	has "certificate issuer: /CN=postern test CA"
	has "certificate NOT verified against the system store: unable to get local issuer certificate"
	has "result: exit 4, TLS with the proxy failed"
	has "advice: a TLS-inspecting proxy? use --proxy-cacert with its CA"
}

@test "--check, the proxy is not there: exit 3 and advice" {
	local port
	port=$(closed_port)
	run --separate-stderr -3 postern --check -x "127.0.0.1:$port" 127.0.0.1 "$SSHD_PORT"
	has "connecting to proxy 127.0.0.1:$port"
	has "failed: cannot connect to proxy 127.0.0.1:$port: Connection refused"
	has "result: exit 3, the proxy could not be reached"
	has "advice: check the proxy's host and port"
}

@test "--check, a target that does not speak first" {
	start_echo
	run --separate-stderr -0 postern --check -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$ECHO_PORT"
	has "result: exit 0"
	has "the target sent nothing within 1 s"
}

@test "--check with -L: the path to the target given with it" {
	run --separate-stderr -0 postern --check -L "127.0.0.1:$(free_port)" \
	    -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SSHD_PORT"
	has "listener: -L 127.0.0.1:"
	[[ $output == *"can be bound; clients allowed: loopback only; at most 256 tunnels at once; forwarding to the target below"* ]]
	has "the target sent: SSH-2.0-"
	run --separate-stderr -2 postern --check -L "127.0.0.1:$(free_port)" -x "127.0.0.1:$SQUID_PORT"
	[ "$stderr" = "postern: --check with -L needs a target: HOST PORT" ]
}

@test "--check, Basic from netrc: the offer, the scheme, the file and line; never the password" {
	start_squid --auth basic
	printf '# proxies\n\nmachine 127.0.0.1\n  login alice\n  password %s\n' \
	    "$SQUID_PASSWORD" >"$BATS_TEST_TMPDIR/netrc"
	chmod 600 "$BATS_TEST_TMPDIR/netrc"
	run --separate-stderr -0 postern --check -x "127.0.0.1:$SQUID_PORT" \
	    --netrc-file "$BATS_TEST_TMPDIR/netrc" 127.0.0.1 "$SSHD_PORT"
	has "127.0.0.1:$SQUID_PORT answered: HTTP/1.1 407 Proxy Authentication Required"
	has "127.0.0.1:$SQUID_PORT offers: Basic; answering with Basic, credentials from $BATS_TEST_TMPDIR/netrc line 3"
	has "127.0.0.1:$SQUID_PORT: CONNECT 127.0.0.1:$SSHD_PORT (with Proxy-Authorization)"
	has "127.0.0.1:$SQUID_PORT answered: HTTP/1.1 200 Connection established"
	has "the target sent: SSH-2.0-"
	[[ $output != *"$SQUID_PASSWORD"* && $stderr != *"$SQUID_PASSWORD"* ]]
}

@test "--check, Basic from -U and the password from POSTERN_PROXY_PASSWORD" {
	start_squid --auth basic
	POSTERN_PROXY_PASSWORD=$SQUID_PASSWORD run --separate-stderr -0 \
	    postern --check -x "127.0.0.1:$SQUID_PORT" -U alice 127.0.0.1 "$SSHD_PORT"
	has "127.0.0.1:$SQUID_PORT offers: Basic; answering with Basic, credentials from the user from -U, the password from POSTERN_PROXY_PASSWORD"
	[[ $output != *"$SQUID_PASSWORD"* ]]
}

@test "--check, a PAC with failover: the answer, the dead entry, the one used" {
	"$POSTERN" -V | grep -q '^proxies:.* pac$' || skip "built without PAC"
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
	local dead
	dead=$(closed_port)
	printf '%s\n' "function FindProxyForURL(u, h) { return 'SOCKS 127.0.0.1:1; PROXY 127.0.0.1:$dead; PROXY 127.0.0.1:$SQUID_PORT'; }" \
	    >"$BATS_TEST_TMPDIR/f.pac"
	POSTERN_PAC=$BATS_TEST_TMPDIR/f.pac run --separate-stderr -0 \
	    postern --check 127.0.0.1 "$SSHD_PORT"
	has "proxy: chosen by the PAC $BATS_TEST_TMPDIR/f.pac"
	has "PAC $BATS_TEST_TMPDIR/f.pac: reading the file"
	has "PAC: FindProxyForURL(\"https://127.0.0.1:$SSHD_PORT/\", \"127.0.0.1\") = \"SOCKS 127.0.0.1:1; PROXY 127.0.0.1:$dead; PROXY 127.0.0.1:$SQUID_PORT\""
	has "PAC: skipping SOCKS 127.0.0.1:1: postern speaks HTTP CONNECT only"
	has "PAC: trying PROXY 127.0.0.1:$dead"
	has "unreachable: cannot connect to proxy 127.0.0.1:$dead: Connection refused"
	has "PAC: 127.0.0.1:$dead could not be reached; trying the next entry"
	has "PAC: trying PROXY 127.0.0.1:$SQUID_PORT"
	has "127.0.0.1:$SQUID_PORT answered: HTTP/1.1 200 Connection established"
	has "result: exit 0"
	has "the target sent: SSH-2.0-"
}

@test "--check with -L on an address in use: exit 3, nothing sent" {
	run --separate-stderr -3 postern --check -L "127.0.0.1:$SQUID_PORT" \
	    -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SSHD_PORT"
	has "listener: -L 127.0.0.1:$SQUID_PORT: cannot be opened"
	has "result: exit 3, the listener cannot be opened"
	[[ $stderr == "postern: cannot listen on 127.0.0.1:$SQUID_PORT: Address already in use" ]]
}

@test "--check, the proxy from POSTERN_PROXY and from ALL_PROXY" {
	POSTERN_PROXY="127.0.0.1:$SQUID_PORT" https_proxy=http://127.0.0.1:1 \
	    run --separate-stderr -0 postern --check 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: http://127.0.0.1:$SQUID_PORT (from POSTERN_PROXY)"
	ALL_PROXY="https://localhost:$TLS" run --separate-stderr -0 \
	    postern --check --proxy-cacert "$PKI/ca.pem" 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: https://localhost:$TLS (from ALL_PROXY)"
	has "certificate verified against --proxy-cacert $PKI/ca.pem"
}

@test "--check, a PAC over http://: fetched, then not modified (the cached copy), then the copy when the server is down" {
	"$POSTERN" -V | grep -q '^proxies:.* pac$' || skip "built without PAC"
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$XDG_RUNTIME_DIR"
	chmod 700 "$XDG_RUNTIME_DIR"
	local url
	printf '%s\n' "function FindProxyForURL(u, h) { return 'PROXY 127.0.0.1:$SQUID_PORT'; }" \
	    >"$BATS_TEST_TMPDIR/w.pac"
	start_target WEB http --body-file "$BATS_TEST_TMPDIR/w.pac" --etag '"v1"'
	url=http://127.0.0.1:$WEB/w.pac
	run --separate-stderr -0 postern --check --pac "$url" 127.0.0.1 "$SSHD_PORT"
	has "proxy: chosen by the PAC $url"
	has "PAC $url: fetching"
	has "PAC $url: fetched (200)"
	has "PAC: trying PROXY 127.0.0.1:$SQUID_PORT"
	has "the target sent: SSH-2.0-"
	run --separate-stderr -0 postern --check --pac "$url" 127.0.0.1 "$SSHD_PORT"
	has "PAC $url: not modified (304): the cached copy"
	stop_pid "$WEB_PID" || true
	run --separate-stderr -0 postern --check --pac "$url" 127.0.0.1 "$SSHD_PORT"
	has "PAC $url: cannot fetch: Connection refused; using the copy cached 0 minutes ago"
	has "result: exit 0"
}

@test "--check, a PAC that cannot be fetched: exit 10 and advice" {
	"$POSTERN" -V | grep -q '^proxies:.* pac$' || skip "built without PAC"
	export XDG_CACHE_HOME=$BATS_TEST_TMPDIR/cache
	run --separate-stderr -10 postern --check --pac "$BATS_TEST_TMPDIR/none.pac" 127.0.0.1 "$SSHD_PORT"
	has "failed: PAC $BATS_TEST_TMPDIR/none.pac: cannot fetch: "
	has "result: exit 10, the PAC could not be used"
	has "advice: check the PAC's URL"
}

@test "--check, a chain: an https proxy, then squid through it; each hop's exchange" {
	run --separate-stderr -0 postern --check --proxy-cacert "$PKI/ca.pem" \
	    -x "https://localhost:$TLS" -x "127.0.0.1:$SQUID_PORT" 127.0.0.1 "$SSHD_PORT"
	has "proxy 1: https://localhost:$TLS (from -x)"
	has "proxy 2: http://127.0.0.1:$SQUID_PORT (from -x)"
	has "localhost:$TLS: TLS handshake"
	has "certificate verified against --proxy-cacert $PKI/ca.pem"
	has "localhost:$TLS: CONNECT 127.0.0.1:$SQUID_PORT"
	has "localhost:$TLS answered: HTTP/1.1 200 "
	has "127.0.0.1:$SQUID_PORT: CONNECT 127.0.0.1:$SSHD_PORT"
	has "127.0.0.1:$SQUID_PORT answered: HTTP/1.1 200 "
	has "result: exit 0"
}
