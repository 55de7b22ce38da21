# A throwaway Kerberos realm on loopback for postern's Negotiate tests: load
# after helpers (`load lib/krb5`).
#
# start_kdc DIR: a realm POSTERN.TEST whose database, configuration and
# credential caches live in DIR; the KDC (krb5kdc) listens on 127.0.0.1 only,
# on a port chosen at run time, and is stopped by PID with the other servers.
# Nothing reads /etc/krb5.conf or /etc/krb5kdc: KRB5_CONFIG and
# KRB5_KDC_PROFILE point into DIR, and KRB5CCNAME at a cache there that does
# not exist until kinit_user. Exports KRB5_DIR, KRB5_REALM, KDC_PORT,
# KRB5_USER, KRB5_PASSWORD and KRB5_KEYTAB (the key of HTTP/localhost,
# readable by squid's user).

KRB5_REALM=POSTERN.TEST

# helpers.bash points every test at no realm and no ticket; a realm started
# in setup_file is this file's again.
if [[ -n ${KRB5_DIR-} ]]; then
	export KRB5_CONFIG=$KRB5_DIR/krb5.conf KRB5_KDC_PROFILE=$KRB5_DIR/kdc.conf \
	    KRB5CCNAME=FILE:$KRB5_DIR/user.ccache
fi

# krb5_missing: what of the Kerberos tools is not installed, one word each.
krb5_missing() {
	local c
	for c in /usr/sbin/krb5kdc /usr/sbin/kdb5_util /usr/sbin/kadmin.local \
	    kinit klist kdestroy /usr/lib/squid/negotiate_kerberos_auth; do
		case $c in
		/*) [[ -x $c ]] || printf '%s\n' "${c##*/}" ;;
		*) command -v "$c" >/dev/null || printf '%s\n' "$c" ;;
		esac
	done
}

_krb5_conf() {
	local dir=$1 port=$2
	cat >"$dir/krb5.conf" <<-CONF
		[libdefaults]
		    default_realm = $KRB5_REALM
		    dns_lookup_kdc = false
		    dns_lookup_realm = false
		    dns_canonicalize_hostname = false
		    rdns = false
		    ignore_acceptor_hostname = false
		    udp_preference_limit = 1
		    clockskew = 1
		    default_keytab_name = FILE:$dir/none.keytab
		[realms]
		    $KRB5_REALM = {
		        kdc = 127.0.0.1:$port
		    }
		[domain_realm]
		    localhost = $KRB5_REALM
		    127.0.0.1 = $KRB5_REALM
	CONF
	cat >"$dir/kdc.conf" <<-CONF
		[kdcdefaults]
		    kdc_listen = 127.0.0.1:$port
		    kdc_tcp_listen = 127.0.0.1:$port
		[realms]
		    $KRB5_REALM = {
		        database_name = $dir/principal
		        key_stash_file = $dir/stash
		        acl_file = $dir/kadm5.acl
		        kdc_listen = 127.0.0.1:$port
		        kdc_tcp_listen = 127.0.0.1:$port
		        max_life = 1h
		        max_renewable_life = 0
		    }
		[logging]
		    kdc = FILE:$dir/kdc.log
	CONF
}

start_kdc() {
	local dir=$1 port attempt pid
	mkdir -p "$dir"
	_export KRB5_DIR "$dir"
	_export KRB5_CONFIG "$dir/krb5.conf"
	_export KRB5_KDC_PROFILE "$dir/kdc.conf"
	_export KRB5CCNAME "FILE:$dir/user.ccache"
	_export KRB5_USER "alice@$KRB5_REALM"
	_export KRB5_PASSWORD "krb-$RANDOM-$RANDOM"
	_export KRB5_KEYTAB "$dir/http.keytab"
	_krb5_conf "$dir" 88
	: >"$dir/kadm5.acl"
	/usr/sbin/kdb5_util -r "$KRB5_REALM" -P "master-$RANDOM$RANDOM" create -s \
	    >"$dir/kdb5_util.log" 2>&1 || { cat "$dir/kdb5_util.log" >&2; fail "kdb5_util create failed"; return 1; }
	kadmin_local addprinc -pw "$KRB5_PASSWORD" "$KRB5_USER" || return
	kadmin_local addprinc -randkey "HTTP/localhost@$KRB5_REALM" || return
	kadmin_local ktadd -k "$KRB5_KEYTAB" "HTTP/localhost@$KRB5_REALM" || return
	chmod 644 "$KRB5_KEYTAB"
	for ((attempt = 0; attempt < 5; attempt++)); do
		port=$(free_port)
		_krb5_conf "$dir" "$port"
		spawn "$dir/krb5kdc.out" /usr/sbin/krb5kdc -n -r "$KRB5_REALM"
		pid=$SPAWNED_PID
		if wait_port 127.0.0.1 "$port" "$pid" 20; then
			_export KDC_PORT "$port"
			_export KDC_PID "$pid"
			return 0
		fi
		stop_pid "$pid"
	done
	cat "$dir/krb5kdc.out" "$dir/kdc.log" >&2 2>/dev/null
	fail "krb5kdc did not start"
}

# kadmin_local QUERY…: one kadmin.local query on the realm's database.
kadmin_local() {
	/usr/sbin/kadmin.local -r "$KRB5_REALM" -q "$*" >>"$KRB5_DIR/kadmin.log" 2>&1 ||
	    { tail -5 "$KRB5_DIR/kadmin.log" >&2; fail "kadmin.local $* failed"; }
}

# kinit_user [KINIT OPTION…]: a ticket for the user in KRB5CCNAME.
kinit_user() {
	kinit "$@" "$KRB5_USER" <<<"$KRB5_PASSWORD" >"$KRB5_DIR/kinit.out" 2>&1 ||
	    { cat "$KRB5_DIR/kinit.out" >&2; fail "kinit failed"; }
}
