# bash completion for postern(1)
#
# Keep the two lists below in step with --help (tests/options.bats checks
# the long options).  An option that takes an argument goes in the first.

_postern_opts_arg='-x --proxy -H --header -A --user-agent
	-t --connect-timeout'
_postern_opts_flag='-N --half-close -4 --ipv4 -6 --ipv6 -v --verbose
	-q --quiet -V --version -h --help'

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
	-H | --header | -A | --user-agent | -t | --connect-timeout)
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
	local i n=0 w
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		case " $_postern_opts_arg " in
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

complete -F _postern postern
