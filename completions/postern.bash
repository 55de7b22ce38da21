# bash completion for postern(1)
#
# Keep the two lists below in step with --help (tests/options.bats checks
# the long options).  An option that takes an argument goes in the first.

_postern_opts_arg='-x --proxy -U --proxy-user --netrc-file --auth --pac
	--proxy-cacert --proxy-capath --proxy-cert --proxy-key
	--proxy-service-name -H --header -A --user-agent -t --connect-timeout --idle-timeout
	-L --listen --allow --max-tunnels'
_postern_opts_flag='--no-netrc --proxy-insecure -N --half-close --fdpass --check
	-4 --ipv4 -6 --ipv6 -v --verbose -q --quiet -V --version -h --help'
_postern_auth_schemes='basic digest ntlm negotiate any'

_postern()
{
	local cur prev words cword split=false
	if declare -F _init_completion >/dev/null 2>&1; then
		_init_completion -s -n : || return
	else
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD-1]}
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
	fi

	# The argument of an option.
	case $prev in
	-x | --proxy)
		_postern_hosts "$cur"
		return
		;;
	--netrc-file | --pac | --proxy-cacert | --proxy-cert | --proxy-key)
		_postern_files "$cur"
		return
		;;
	--proxy-capath)
		_postern_files "$cur" -d
		return
		;;
	--auth)
		# A comma list: complete the scheme after the last comma.
		local done=${cur%"${cur##*,}"}
		COMPREPLY=($(compgen -P "$done" -W "$_postern_auth_schemes" \
		    -- "${cur##*,}"))
		return
		;;
	-U | --proxy-user | -H | --header | -A | --user-agent | \
	-t | --connect-timeout | --idle-timeout | -L | --listen | --allow | \
	--max-tunnels)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_postern_opts_arg $_postern_opts_flag" \
		    -- "$cur"))
		return
	fi

	# Count the operands before this word: HOST comes first, then PORT.
	local i n=0 w argopts
	argopts=" $(echo $_postern_opts_arg) "
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case $argopts in
		*" $w "*)
			((i++))
			continue
			;;
		esac
		[[ $w == -* && $w != - ]] && continue
		((n++))
	done
	((n == 0)) && _postern_hosts "$cur"
}

_postern_hosts()
{
	if declare -F _known_hosts_real >/dev/null 2>&1; then
		_known_hosts_real -- "$1"
	else
		COMPREPLY=($(compgen -A hostname -- "$1"))
	fi
}

# _postern_files WORD [-d]: file names, or directory names with -d.
_postern_files()
{
	if declare -F _filedir >/dev/null 2>&1; then
		cur=$1
		_filedir ${2:+"$2"}
	elif [[ $2 == -d ]]; then
		COMPREPLY=($(compgen -d -- "$1"))
	else
		COMPREPLY=($(compgen -f -- "$1"))
	fi
}

complete -F _postern postern
