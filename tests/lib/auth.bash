# Helpers for the authentication suites (auth.bats, netrc.bats): load after
# helpers.bash with `load lib/auth`.
#
# start_squid_auth starts a squid that demands credentials with one scheme
# (basic_ncsa_auth, digest_file_auth or ntlm_fake_auth), with users and
# passwords the test chooses; start_authproxy starts tests/lib/authproxy.py,
# the scripted proxy for the 407s squid never sends. Both are stopped by
# helpers.bash's stop_servers, like every other server.

# start_squid_auth VAR SCHEME [--realm REALM] [--user NAME:PASSWORD]…
#
# squid on 127.0.0.1:VAR_PORT that answers every CONNECT with a 407 until
# SCHEME (basic, digest or ntlm) credentials are right. VAR_LOG is its access
# log, VAR_DIR its directory, VAR_PID its PID, VAR_REALM the realm (basic and
# digest). Passwords may hold any byte but NUL and newline for basic; digest
# passwords cannot hold ":" (digest_file_auth's file format). ntlm_fake_auth
# accepts any user and password.
start_squid_auth() {
	local var=$1 scheme=$2 realm=postern-test dir port attempt pid
	local users=() u name pass authconf ports
	shift 2
	while [[ $# -gt 0 ]]; do
		case $1 in
		--realm) realm=$2; shift 2 ;;
		--user) users+=("$2"); shift 2 ;;
		*) fail "start_squid_auth: unknown argument $1"; return 1 ;;
		esac
	done
	command -v squid >/dev/null || { fail "squid is not installed (tests/deps.sh)"; return 1; }
	dir=$(scratch_dir)/squid-$scheme.$$.$RANDOM
	mkdir -p "$dir"
	if ! _open_dir_for proxy "$dir"; then
		dir=$(mktemp -d /tmp/postern-squid.XXXXXX)
		printf '%s\n' "$dir" >>"$(_pid_registry).dirs"
		chmod 755 "$dir"
		chown proxy "$dir"
	fi
	case $scheme in
	basic)
		: >"$dir/htpasswd"
		for u in "${users[@]}"; do
			name=${u%%:*}
			pass=${u#*:}
			printf '%s:%s\n' "$name" "$(openssl passwd -apr1 -- "$pass")" \
			    >>"$dir/htpasswd"
		done
		chmod 644 "$dir/htpasswd"
		authconf=$(printf '%s\n' \
		    "auth_param basic program /usr/lib/squid/basic_ncsa_auth $dir/htpasswd" \
		    "auth_param basic children 2 startup=1" \
		    "auth_param basic realm $realm" \
		    "auth_param basic credentialsttl 1 second")
		;;
	digest)
		: >"$dir/digest_passwd"
		for u in "${users[@]}"; do
			name=${u%%:*}
			pass=${u#*:}
			[[ $pass != *:* ]] || { fail "digest_file_auth: no ':' in a password"; return 1; }
			printf '%s:%s\n' "$name" "$pass" >>"$dir/digest_passwd"
		done
		chmod 644 "$dir/digest_passwd"
		authconf=$(printf '%s\n' \
		    "auth_param digest program /usr/lib/squid/digest_file_auth $dir/digest_passwd" \
		    "auth_param digest children 2 startup=1" \
		    "auth_param digest realm $realm")
		;;
	ntlm)
		authconf=$(printf '%s\n' \
		    "auth_param ntlm program /usr/lib/squid/ntlm_fake_auth" \
		    "auth_param ntlm children 2 startup=1" \
		    "auth_param ntlm keep_alive on")
		;;
	*)
		fail "start_squid_auth: unknown scheme $scheme"
		return 1
		;;
	esac
	authconf+=$'\n'"acl authed proxy_auth REQUIRED"$'\n'"http_access deny !authed"
	for ((attempt = 0; attempt < 5; attempt++)); do
		port=$(free_port)
		ports="http_port 127.0.0.1:$port"
		_subst "$LIB/squid.conf.in" "$dir/squid.conf" "HTTP_PORTS=$ports" \
		    "DIR=$dir" "BLOCKED_PORT=9" "AUTH=$authconf" "EXTRA="
		spawn "$dir/squid.out" squid -N -f "$dir/squid.conf"
		pid=$SPAWNED_PID
		if wait_port 127.0.0.1 "$port" "$pid" 30; then
			_export "${var}_PORT" "$port"
			_export "${var}_PID" "$pid"
			_export "${var}_DIR" "$dir"
			_export "${var}_LOG" "$dir/access.log"
			_export "${var}_REALM" "$realm"
			return 0
		fi
		stop_pid "$pid"
	done
	cat "$dir/squid.out" "$dir/cache.log" >&2 2>/dev/null
	fail "squid ($scheme) did not start"
}

# start_authproxy VAR --mode MODE [ARG…]: tests/lib/authproxy.py on
# 127.0.0.1:VAR; VAR_REC is its record of requests (one line per request:
# CONN, N, request line, Proxy-Authorization, verdict; tab-separated),
# VAR_LOG its connection events.
start_authproxy() {
	local var=$1 dir
	shift
	dir=$(scratch_dir)
	: >"$dir/$var.rec"
	: >"$dir/$var.events"
	start_py "$var" authproxy.py --record "$dir/$var.rec" \
	    --log "$dir/$var.events" --idle 60 --lifetime 300 "$@" || return
	_export "${var}_REC" "$dir/$var.rec"
	_export "${var}_LOG" "$dir/$var.events"
}

# rec_field REC N: field N of every recorded request, one per line.
rec_field() {
	cut -f "$2" "$1"
}

# assert_verdicts REC VERDICT…: the proxy answered exactly these, in order.
assert_verdicts() {
	local rec=$1 got want
	shift
	got=$(rec_field "$rec" 5 | paste -sd' ')
	want="$*"
	assert_equal "$got" "$want" verdicts || { cat "$rec" >&2; return 1; }
}

# assert_connections REC CONN…: the requests came on these connections.
assert_connections() {
	local rec=$1 got want
	shift
	got=$(rec_field "$rec" 1 | paste -sd' ')
	want="$*"
	assert_equal "$got" "$want" connections || { cat "$rec" >&2; return 1; }
}

# log_lines_now FILE: how many lines FILE has now (0 if it does not exist);
# log_since FILE N: the lines after the first N.
log_lines_now() {
	if [[ -f $1 ]]; then wc -l <"$1"; else echo 0; fi
}

log_since() {
	[[ -f $1 ]] || return 0
	tail -n +"$(($2 + 1))" "$1"
}

# wait_log FILE PATTERN [AFTER]: until a line of FILE after its first AFTER
# lines matches the ERE, for up to 10 s (squid writes a line of its access
# log when the request is over, which may be just after postern exits).
wait_log() {
	local file=$1 pat=$2 after=${3:-0} i
	for ((i = 0; i < 100; i++)); do
		log_since "$file" "$after" | grep -Eq -- "$pat" && return 0
		sleep 0.1
	done
	echo "no line matching /$pat/ after line $after of $file:" >&2
	cat "$file" >&2 2>/dev/null
	return 1
}

# assert_no_log FILE PATTERN [AFTER]: no line after the first AFTER matches.
assert_no_log() {
	local file=$1 pat=$2 after=${3:-0}
	if log_since "$file" "$after" | grep -Eq -- "$pat"; then
		echo "a line matching /$pat/ after line $after of $file:" >&2
		cat "$file" >&2
		return 1
	fi
}

# pipe_to FILE [POSTERN-ARG…]: `get_request | postern ARG… >FILE`, whose
# status is postern's; get_request is defined by the suite.
pipe_to() {
	local out=$1
	shift
	get_request | postern "$@" >"$out"
}

# make_netrc FILE [MODE] < CONTENT: a netrc file (mode 600 unless told).
make_netrc() {
	cat >"$1"
	chmod "${2:-600}" "$1"
}

# b64 STRING: its base64 form, on one line.
b64() {
	printf '%s' "$1" | base64 -w0
}

# assert_not_in TEXT NEEDLE WHAT: TEXT does not contain NEEDLE.
assert_not_in() {
	[[ -n $2 ]] || { fail "assert_not_in: empty needle for $3"; return 1; }
	[[ $1 != *"$2"* ]] && return 0
	printf '%s found in the output:\n%s\n' "$3" "$1" >&2
	return 1
}

# ssh_via [POSTERN-OPTION…]: SSH_CMD becomes an ssh command line (ending
# with "-p SSHD_PORT") whose ProxyCommand is postern with these options,
# and which runs without a controlling terminal (setsid), so that postern
# can never prompt on /dev/tty.
ssh_via() {
	local proxycmd
	proxycmd=$(printf '%q ' "$POSTERN" "$@")
	# ssh expands %-sequences in ProxyCommand: "%40" must reach the shell
	# as written.
	proxycmd=${proxycmd//%/%%}
	mapfile -t SSH_CMD < <(ssh_args)
	SSH_CMD=(timeout -k 5 60 setsid -w ssh "${SSH_CMD[@]}"
	    -o "ProxyCommand=$proxycmd%h %p" -p "$SSHD_PORT")
}
