#!/usr/bin/env bats
# postern where it is used most: as ssh's ProxyCommand, and inside git's
# core.sshCommand, through squid, to an sshd started for these tests.

load helpers

setup_file() {
	require_postern
	start_squid
	start_tinyproxy
	start_sshd

	# A repository to clone, with one commit.
	local work=$BATS_FILE_TMPDIR/work
	export GIT_CONFIG_NOSYSTEM=1
	git init -q "$work"
	printf 'cloned through postern\n' >"$work/README"
	git -C "$work" add README
	git -C "$work" -c user.name=test -c user.email=test@postern.invalid \
	    commit -q -m "first commit"
	git clone -q --bare "$work" "$BATS_FILE_TMPDIR/repo.git"
	export REPO=$BATS_FILE_TMPDIR/repo.git
}

# ssh_cmd [POSTERN-OPTION…]: SSH_CMD becomes an ssh command line (ending with
# "-p SSHD_PORT") whose ProxyCommand is postern with these options.
ssh_cmd() {
	local proxycmd
	proxycmd=$(printf '%q ' "$POSTERN" "$@")
	mapfile -t SSH_CMD < <(ssh_args)
	SSH_CMD=(ssh "${SSH_CMD[@]}" -o "ProxyCommand=$proxycmd%h %p" -p "$SSHD_PORT")
}

@test "ssh through squid with ProxyCommand postern runs a command" {
	ssh_cmd -x "127.0.0.1:$SQUID_PORT"
	run -0 timeout 60 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" 'echo "remote says $((6 * 7))"' </dev/null
	assert_equal "$output" "remote says 42"
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT "
}

@test "ssh through squid: 4 MiB of stdin reach the remote command intact" {
	local in=$BATS_TEST_TMPDIR/in
	head -c $((4 << 20)) /dev/urandom >"$in"
	ssh_cmd -x "127.0.0.1:$SQUID_PORT"
	run -0 timeout 120 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" sha256sum <"$in"
	assert_equal "${output%% *}" "$(sha "$in")" sha256
}

@test "ssh through squid: 4 MiB from the remote arrive intact" {
	local out=$BATS_TEST_TMPDIR/out
	ssh_cmd -x "127.0.0.1:$SQUID_PORT"
	timeout 120 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" \
	    'head -c 4194304 /dev/zero | tr "\0" x' </dev/null >"$out"
	assert_equal "$(stat -c %s "$out")" 4194304 size
	assert_equal "$(tr -d x <"$out" | wc -c)" 0 "bytes other than x"
}

@test "ssh through tinyproxy runs a command" {
	ssh_cmd -x "127.0.0.1:$TINYPROXY_PORT"
	run -0 timeout 60 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" 'echo via tinyproxy' </dev/null
	assert_equal "$output" "via tinyproxy"
}

@test "ssh with the proxy taken from https_proxy" {
	export https_proxy="http://127.0.0.1:$SQUID_PORT"
	ssh_cmd
	run -0 timeout 60 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" 'echo from the environment' </dev/null
	assert_equal "$output" "from the environment"
}

@test "ssh with stderr of the ProxyCommand at /dev/null and -q" {
	ssh_cmd -q -x "127.0.0.1:$SQUID_PORT"
	SSH_CMD+=(-o LogLevel=QUIET)
	run -0 timeout 60 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" true 2>/dev/null </dev/null
}

@test "ssh reports a proxy that refuses, and fails" {
	# Port 9 is the one squid refuses: the ProxyCommand exits 6 at once.
	ssh_cmd -x "127.0.0.1:$SQUID_PORT"
	SSH_CMD[${#SSH_CMD[@]} - 1]=$SQUID_BLOCKED_PORT
	run --separate-stderr timeout 60 "${SSH_CMD[@]}" "$SSH_USER@127.0.0.1" true </dev/null
	[[ $status -ne 0 && $status -ne 124 ]] || fail "ssh status $status"
	[[ $stderr == *"postern: 127.0.0.1:$SQUID_PORT refused CONNECT 127.0.0.1:$SQUID_BLOCKED_PORT: 403 Forbidden"* ]] ||
	    fail "stderr: $stderr"
}

@test "git clone over ssh through squid with core.sshCommand" {
	local sshcmd proxycmd dest=$BATS_TEST_TMPDIR/clone
	mapfile -t args < <(ssh_args)
	proxycmd=$(printf '%q ' "$POSTERN" -x "127.0.0.1:$SQUID_PORT")
	sshcmd="ssh $(printf '%q ' "${args[@]}")-o $(printf '%q' "ProxyCommand=$proxycmd%h %p")"
	run -0 timeout 120 git -c core.sshCommand="$sshcmd" clone -q \
	    "ssh://$SSH_USER@127.0.0.1:$SSHD_PORT$REPO" "$dest" </dev/null
	assert_equal "$(cat "$dest/README")" "cloned through postern"
	assert_equal "$(git -C "$dest" log -1 --format=%s)" "first commit"
	git -C "$dest" fsck --no-progress --no-dangling
	wait_grep "$SQUID_LOG" "TCP_TUNNEL/200 .*CONNECT 127.0.0.1:$SSHD_PORT "
}

@test "git clone over ssh through squid with GIT_SSH_COMMAND and the proxy from the environment" {
	local dest=$BATS_TEST_TMPDIR/clone
	mapfile -t args < <(ssh_args)
	export https_proxy="http://127.0.0.1:$SQUID_PORT"
	export GIT_SSH_COMMAND="ssh $(printf '%q ' "${args[@]}")-o $(printf '%q' "ProxyCommand=$(printf '%q' "$POSTERN") %h %p")"
	run -0 timeout 120 git clone -q "ssh://$SSH_USER@127.0.0.1:$SSHD_PORT$REPO" "$dest" </dev/null
	assert_equal "$(cat "$dest/README")" "cloned through postern"
}
