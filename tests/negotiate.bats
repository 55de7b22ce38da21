#!/usr/bin/env bats
# Negotiate (Kerberos through GSSAPI, RFC 4559) against a real KDC and squid:
# a throwaway realm on loopback (tests/lib/krb5.bash), squid checking tickets
# for HTTP/localhost with negotiate_kerberos_auth, and the user's ticket from
# kinit.  No password is given to postern anywhere unless a test says so.

load helpers
load lib/krb5

setup_file() {
	require_postern
	local missing
	if ! "$POSTERN" -V | grep -q '^auth: .*negotiate'; then
		export NEGO_SKIP="built without Negotiate (make NEGOTIATE=0, or no libkrb5-dev)"
		return 0
	fi
	missing=$(krb5_missing | tr '\n' ' ')
	if [[ -n $missing ]]; then
		export NEGO_SKIP="not installed: ${missing% } (tests/deps.sh installs krb5-kdc, krb5-admin-server, krb5-user)"
		return 0
	fi
	start_kdc "$BATS_FILE_TMPDIR/realm"
	# squid runs as "proxy" when started by root: its helper reads these.
	chmod o+x "$BATS_FILE_TMPDIR" "$BATS_FILE_TMPDIR/realm"
	chmod o+r "$KRB5_CONFIG"
	start_squid --auth negotiate
	_export NEGO_PORT "$SQUID_PORT"
	_export NEGO_LOG "$SQUID_LOG"
	start_squid --auth negotiate,basic
	_export BOTH_PORT "$SQUID_PORT"
	_export BOTH_LOG "$SQUID_LOG"
	_export BOTH_PASSWORD "$SQUID_PASSWORD"
	start_squid
	_export PLAIN_PORT "$SQUID_PORT"
	start_echo
	# Echoes what it reads and closes after 4 bytes, so that a pipeline ends.
	start_target LINE echo --close-after 4
	start_target BULK echo --close-after 300000
	# Where a tunnel that should not be made would fail at once.
	_export CLOSED "$(closed_port)"
}

setup() {
	[[ -z ${NEGO_SKIP-} ]] || skip "$NEGO_SKIP"
	# Each test starts without a ticket.
	kdestroy -q 2>/dev/null || true
}

# service_tickets: the services the user's cache holds tickets for.
service_tickets() {
	klist 2>/dev/null | awk '/@/ && $NF !~ /^krbtgt\// && NR > 3 { print $NF }' | sort
}

@test "-V lists negotiate" {
	run -0 "$POSTERN" -V
	[[ $output == *$'\nauth: basic digest ntlm negotiate\n'* ]]
}

@test "with a ticket from kinit, a tunnel through squid needs no password" {
	kinit_user
	head -c 300000 /dev/urandom >"$BATS_TEST_TMPDIR/in"
	postern --no-netrc -x "localhost:$NEGO_PORT" 127.0.0.1 "$BULK" \
	    <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/out"
	assert_equal "$(sha "$BATS_TEST_TMPDIR/out")" "$(sha "$BATS_TEST_TMPDIR/in")" checksum
	wait_grep "$NEGO_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$BULK alice@$KRB5_REALM "
	# The ticket asked for is the service at the host as the URL names it.
	assert_equal "$(service_tickets)" "HTTP/localhost@$KRB5_REALM"
}

@test "ssh through a Negotiate squid runs a command" {
	start_sshd
	kinit_user
	local proxycmd
	proxycmd=$(printf '%q ' "$POSTERN" --no-netrc -x "localhost:$NEGO_PORT")
	mapfile -t args < <(ssh_args)
	run -0 timeout 60 ssh "${args[@]}" -o "ProxyCommand=$proxycmd%h %p" \
	    -p "$SSHD_PORT" "$SSH_USER@127.0.0.1" 'echo "remote says $((6 * 7))"' </dev/null
	assert_equal "$output" "remote says 42"
	wait_grep "$NEGO_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$SSHD_PORT alice@$KRB5_REALM "
}

@test "-v shows the service, each GSSAPI step and a redacted token, never the token" {
	kinit_user
	run --separate-stderr postern -v --no-netrc -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$LINE" < <(printf 'one\n')
	[ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
	assert_equal "$output" "one"
	grep -qxF "postern: Negotiate: asking GSSAPI for a token for the service HTTP@localhost" <<<"$stderr"
	grep -qE "^postern: Negotiate: HTTP@localhost: GSSAPI step 1: (continue needed|complete), a token of [0-9]+ bytes$" <<<"$stderr"
	grep -qxF "> Proxy-Authorization: Negotiate <redacted>" <<<"$stderr"
	grep -qxF "postern: localhost:$NEGO_PORT: answering with Negotiate" <<<"$stderr"
	# A token in base64 starts with "YII" (an ASN.1 application tag).
	! grep -q 'YII' <<<"$stderr"
}

@test "no ticket: exit 5, GSSAPI's reason and what to do" {
	run --separate-stderr postern --no-netrc -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$CLOSED" </dev/null
	[ "$status" -eq 5 ] || { echo "status $status: $stderr"; false; }
	[ -z "$output" ]
	assert_stderr "postern: localhost:$NEGO_PORT asks for Negotiate: no Kerberos ticket (run kinit); no other scheme offered"
}

@test "an expired ticket: exit 5 and says so" {
	local t0 i
	t0=$(date +%s)
	kinit_user -l 2s
	# A positive wait, bounded: until the clock is a second past the
	# latest end the ticket can have, and klist itself says it is over.
	for ((i = 0; i < 100; i++)); do
		(($(date +%s) >= t0 + 4)) && break
		sleep 0.1
	done
	! klist -s
	run --separate-stderr postern --no-netrc -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$CLOSED" </dev/null
	[ "$status" -eq 5 ] || { echo "status $status: $stderr"; false; }
	assert_stderr "postern: localhost:$NEGO_PORT asks for Negotiate: the Kerberos ticket has expired (run kinit); no other scheme offered"
}

@test "--proxy-service-name naming a principal the KDC does not have: exit 5" {
	kinit_user
	run --separate-stderr postern --no-netrc --proxy-service-name nosuch \
	    -x "localhost:$NEGO_PORT" 127.0.0.1 "$CLOSED" </dev/null
	[ "$status" -eq 5 ] || { echo "status $status: $stderr"; false; }
	assert_stderr "postern: localhost:$NEGO_PORT asks for Negotiate: Server nosuch/localhost@$KRB5_REALM not found in Kerberos database (check --proxy-service-name and the proxy's host name); no other scheme offered"
}

@test "Negotiate and Basic offered, no ticket, netrc credentials: Basic is used" {
	printf 'machine localhost login alice password %s\n' "$BOTH_PASSWORD" >"$BATS_TEST_TMPDIR/netrc"
	chmod 600 "$BATS_TEST_TMPDIR/netrc"
	run --separate-stderr postern -v --netrc-file "$BATS_TEST_TMPDIR/netrc" \
	    -x "localhost:$BOTH_PORT" 127.0.0.1 "$LINE" < <(printf 'two\n')
	[ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
	assert_equal "$output" "two"
	grep -qF "postern: Negotiate: HTTP@localhost: GSSAPI step 1 failed: " <<<"$stderr"
	grep -qF "postern: localhost:$BOTH_PORT: answering with Basic" <<<"$stderr"
	! grep -q "Proxy-Authorization: Negotiate" <<<"$stderr"
	wait_grep "$BOTH_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$LINE alice "
}

@test "Negotiate and Basic offered, no ticket, no credentials: exit 5 names both" {
	run --separate-stderr postern --no-netrc -x "localhost:$BOTH_PORT" \
	    127.0.0.1 "$CLOSED" </dev/null
	[ "$status" -eq 5 ] || { echo "status $status: $stderr"; false; }
	[[ $stderr == "postern: localhost:$BOTH_PORT asks for Negotiate: no Kerberos ticket (run kinit); and no credentials were found for the other schemes (offered: Negotiate, Basic; looked in: -U, the proxy URL, POSTERN_PROXY_USER"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "--auth basic with a ticket: Basic is used and no Negotiate token is made" {
	kinit_user
	run --separate-stderr postern -v --auth basic -U "alice:$BOTH_PASSWORD" \
	    -x "localhost:$BOTH_PORT" 127.0.0.1 "$LINE" < <(printf 'thr\n')
	[ "$status" -eq 0 ] || { echo "status $status: $stderr"; false; }
	assert_equal "$output" "thr"
	grep -qxF "> Proxy-Authorization: Basic <redacted>" <<<"$stderr"
	! grep -q "Negotiate <redacted>" <<<"$stderr"
	# No service ticket was even asked for.
	assert_equal "$(service_tickets)" ""
	wait_grep "$BOTH_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$LINE alice "
}

@test "a chain whose second hop asks for Negotiate" {
	kinit_user
	run -0 postern --no-netrc -x "127.0.0.1:$PLAIN_PORT" -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$LINE" < <(printf 'fou\n')
	assert_equal "$output" "fou"
	wait_grep "$NEGO_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$LINE alice@$KRB5_REALM "
	assert_equal "$(service_tickets)" "HTTP/localhost@$KRB5_REALM"
}

# mapped_gss PID: the Kerberos libraries PID has mapped, one name a line.
mapped_gss() {
	grep -oE 'lib(gssapi_krb5|krb5)\.so\.[0-9]+' /proc/"$1"/maps | sort -u
}

@test "a plain tunnel does not map libgssapi_krb5" {
	kinit_user
	run_held -x "127.0.0.1:$PLAIN_PORT"
	run mapped_gss "$HELD_PID"
	stop_held
	assert_equal "$output" ""
}

@test "a Negotiate tunnel maps libgssapi_krb5" {
	kinit_user
	run_held --no-netrc -x "localhost:$NEGO_PORT"
	run mapped_gss "$HELD_PID"
	stop_held
	assert_equal "$output" $'libgssapi_krb5.so.2\nlibkrb5.so.3'
}

@test "--check: the service asked for, the ticket's client and expiry, Negotiate chosen" {
	kinit_user
	run --separate-stderr -0 postern --check --no-netrc -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$LINE"
	grep -qE "^localhost:$NEGO_PORT answered: HTTP/1\.1 407 " <<<"$output"
	grep -qxF "Negotiate: asking GSSAPI for a token for the service HTTP@localhost" <<<"$output"
	grep -qE "^Negotiate: ticket of alice@$KRB5_REALM, valid until 20[0-9-]+ [0-9:]+ UTC$" <<<"$output"
	grep -qE "^localhost:$NEGO_PORT offers: Negotiate; answering with Negotiate$" <<<"$output"
	grep -qE "^localhost:$NEGO_PORT answered: HTTP/1\.1 200 " <<<"$output"
	grep -q "^result: exit 0, the tunnel is established" <<<"$output"
	! grep -q 'YII' <<<"$output"
}

@test "--check without a ticket: says there is none, exit 5 and advice" {
	run --separate-stderr -5 postern --check --no-netrc -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$CLOSED"
	grep -q "^Negotiate: no ticket: " <<<"$output"
	grep -q "^failed: localhost:$NEGO_PORT asks for Negotiate: no Kerberos ticket (run kinit)" <<<"$output"
	grep -q "^result: exit 5, proxy authentication failed" <<<"$output"
	grep -q "^advice: " <<<"$output"
}

@test "a listener through a Negotiate squid: 20 tunnels at once, each checked" {
	kinit_user
	local port err=$BATS_TEST_TMPDIR/listener.err pid
	port=$(free_port)
	spawn "$err" "$POSTERN" --no-netrc -L "127.0.0.1:$port" -x "localhost:$NEGO_PORT" \
	    127.0.0.1 "$ECHO_PORT"
	pid=$SPAWNED_PID
	wait_port 127.0.0.1 "$port" "$pid" 20 || fail "$(cat "$err")"
	run -0 timeout 120 "$PY" "$LIB/echoclient.py" "$port" --count 20 --parallel 20 --size 20000
	assert_equal "$(grep -c '^ok$' <<<"$output")" 20
	wait_grep "$NEGO_LOG" "TCP_TUNNEL/200 .*CONNECT 127\.0\.0\.1:$ECHO_PORT alice@$KRB5_REALM "
	assert_equal "$(service_tickets)" "HTTP/localhost@$KRB5_REALM"
	stop_pid "$pid"
}
