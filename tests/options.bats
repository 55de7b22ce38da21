#!/usr/bin/env bats
#
# --help, the manual, the three completion files and the README name the
# same options.  Each extractor prints one option per line, sorted and
# unique; an option added to --help must be added everywhere else.

setup() {
	export LC_ALL=C
	: "${POSTERN:=$BATS_TEST_DIRNAME/../build/postern}"
	ROOT=$BATS_TEST_DIRNAME/..
	MAN=$ROOT/man/postern.1
	T=$BATS_TEST_TMPDIR
}

# The help text, or a failure that says why there is none.
help_text() {
	if [[ ! -x $POSTERN ]]; then
		echo "no executable at $POSTERN: run make first" >&2
		return 1
	fi
	"$POSTERN" --help
}

# Long options: "  -x, --proxy URL" and, for options with no short form,
# "      --name".  The README shows the same block as --help.
long_from_help() {
	sed -nE 's/^[[:space:]]+(-[[:alnum:]],[[:space:]]+)?--([[:alnum:]][[:alnum:]-]*).*/\2/p' |
	    sort -u
}

# mdoc writes a long option as "Fl \-name", in the list and in the text.
long_from_man() {
	grep -oE 'Fl \\-[[:alnum:]][[:alnum:]-]*' "$1" | sed 's/^Fl \\-//' |
	    sort -u
}

# bash and zsh completions spell long options out; comments are skipped.
long_from_shell() {
	grep -v '^[[:space:]]*#' "$1" |
	    grep -oE '(^|[^[:alnum:]-])--[[:alnum:]][[:alnum:]-]*' |
	    sed 's/^.*--//' | sort -u
}

# fish names a long option with "-l name" on its complete lines.
long_from_fish() {
	grep -E '^[[:space:]]*complete[[:space:]]' "$1" |
	    grep -oE '(^|[[:space:]])-l[[:space:]]+[[:alnum:]][[:alnum:]-]*' |
	    awk '{ print $NF }' | sort -u
}

# Short options of --help: "  -x, --proxy URL".
short_from_help() {
	sed -nE 's/^[[:space:]]+-([[:alnum:]]),.*/\1/p' | sort -u
}

# Letters of the Fl macros in the SYNOPSIS: "Op Fl 46hNqVv", "Op Fl x Ar url".
short_from_synopsis() {
	awk '/^\.Sh / { syn = ($2 == "SYNOPSIS"); next } syn' "$1" |
	    grep -oE 'Fl [[:alnum:]]+' | cut -c4- | fold -w1 | sort -u
}

# The heads of the option list: ".It Fl x , Fl \-proxy Ar url".
short_from_list() {
	grep -oE '^\.It Fl [[:alnum:]]( |$)' "$1" | cut -c8 | sort -u
}

# same REF-LABEL REF-FILE LABEL FILE: print what differs, fail if anything.
same() {
	local missing extra
	missing=$(comm -23 "$2" "$4" | tr '\n' ' ')
	extra=$(comm -13 "$2" "$4" | tr '\n' ' ')
	[[ -z $missing && -z $extra ]] && return 0
	[[ -n $missing ]] && echo "$3 lacks what $1 has: $missing"
	[[ -n $extra ]] && echo "$3 has what $1 lacks: $extra"
	return 1
}

@test "--help, the manual, the completions and the README name the same long options" {
	local bad=0

	help_text >"$T/help.txt"
	long_from_help <"$T/help.txt" >"$T/help"
	[[ -s $T/help ]] || { echo "no long options found in --help"; false; }

	long_from_man "$MAN" >"$T/man"
	long_from_shell "$ROOT/completions/postern.bash" >"$T/bash"
	long_from_shell "$ROOT/completions/_postern" >"$T/zsh"
	long_from_fish "$ROOT/completions/postern.fish" >"$T/fish"
	same --help "$T/help" man/postern.1 "$T/man" || bad=1
	same --help "$T/help" completions/postern.bash "$T/bash" || bad=1
	same --help "$T/help" completions/_postern "$T/zsh" || bad=1
	same --help "$T/help" completions/postern.fish "$T/fish" || bad=1

	# The README's option list, when it has one, is --help's block.
	if [[ -f $ROOT/README.md ]]; then
		long_from_help <"$ROOT/README.md" >"$T/readme"
	else
		: >"$T/readme"
	fi
	if [[ -s $T/readme ]]; then
		same --help "$T/help" README.md "$T/readme" || bad=1
	fi
	((bad == 0))
}

@test "the manual is clean under mandoc -Tlint" {
	command -v mandoc >/dev/null || skip "mandoc is not installed"
	run mandoc -Tlint -Wwarning "$MAN"
	echo "$output"
	[[ $status -eq 0 && -z $output ]]
}

@test "the manual's SYNOPSIS names the short options of --help" {
	help_text >"$T/help.txt"
	short_from_help <"$T/help.txt" >"$T/help"
	[[ -s $T/help ]] || { echo "no short options found in --help"; false; }
	short_from_synopsis "$MAN" >"$T/synopsis"
	same --help "$T/help" "the SYNOPSIS" "$T/synopsis"
}

@test "the manual's option list has an entry for each short option of --help" {
	help_text >"$T/help.txt"
	short_from_help <"$T/help.txt" >"$T/help"
	short_from_list "$MAN" >"$T/list"
	same --help "$T/help" "the option list" "$T/list"
}

@test "the README's usage block is --help, byte for byte" {
	[[ -f $ROOT/README.md ]] || skip "no README.md"
	help_text >"$T/help.txt"
	# The first fenced block after "## Usage".
	awk '/^## Usage/ { u = 1; next }
	    u && /^```/ { if (n++) exit; next }
	    u && n == 1' "$ROOT/README.md" >"$T/readme.txt"
	diff -u "$T/help.txt" "$T/readme.txt"
}

# Exit codes: "EXIT_NAME = N," in src/exitcodes.h.
codes_from_header() {
	sed -nE 's/^[[:space:]]*EXIT_[A-Z_]+[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' \
	    "$ROOT/src/exitcodes.h" | sort -u
}

@test "every exit status of src/exitcodes.h is in the manual and the README" {
	codes_from_header >"$T/codes"
	[[ -s $T/codes ]] || { echo "no exit codes found in src/exitcodes.h"; false; }
	# The manual: ".It N" inside EXIT STATUS.
	awk '/^\.Sh / { es = ($0 == ".Sh EXIT STATUS"); next }
	    es && /^\.It [0-9]+$/ { print $2 }' "$MAN" | sort -u >"$T/man"
	# The README: "| N | meaning |" rows.
	sed -nE 's/^\| ([0-9]+) \|.*/\1/p' "$ROOT/README.md" | sort -u >"$T/readme"
	local bad=0
	same src/exitcodes.h "$T/codes" "the manual's EXIT STATUS" "$T/man" || bad=1
	same src/exitcodes.h "$T/codes" "the README's exit status table" "$T/readme" || bad=1
	((bad == 0))
}

@test "the completions offer the --auth schemes of --help" {
	local f bad=0 s schemes
	help_text >"$T/help.txt"
	# "--auth LIST  allowed schemes: basic,digest,ntlm or any (default any)"
	schemes=$(sed -nE 's/.*--auth .*schemes: ([a-z,]+) or ([a-z]+).*/\1,\2/p' \
	    "$T/help.txt" | tr ',' ' ')
	[[ -n $schemes ]] || { echo "no scheme list for --auth in --help"; false; }
	for f in postern.bash _postern postern.fish; do
		for s in $schemes; do
			grep -v '^[[:space:]]*#' "$ROOT/completions/$f" |
			    grep -qw -- "$s" || { echo "completions/$f lacks $s"; bad=1; }
		done
	done
	((bad == 0))
}
