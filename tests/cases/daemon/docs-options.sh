#!/bin/bash
# TIMEOUT: 30
#
# Every option in the fuse_opt table of src/main.c is in `podvolfs --help`
# and in docs/podvolfs.8, so that the documentation cannot drift from the
# code. A template "state=%s" is looked for as "state=", a key "--check" as
# "--check" (in the man page as troff writes it, "\-\-check"), and a flag
# must not match as the start of a longer one ("-h" is not found in "-help").

REPO=${REPO:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$REPO/tests/lib/common.sh"
PODVOLFS=${PODVOLFS:-$REPO/${BUILD:-build}/podvolfs}

main_c=$REPO/src/main.c
man_page=$REPO/docs/podvolfs.8

# The templates of the fuse_opt table: OPT("state=%s", ...) and
# FUSE_OPT_KEY("--check", ...) lines between "option_spec[] = {" and "};".
templates=$(awk '
	/option_spec\[\] *= *\{/ { in_table = 1; next }
	in_table && /^\};/ { exit }
	in_table && match($0, /(OPT|FUSE_OPT_KEY)\("[^"]*"/) {
		t = substr($0, RSTART, RLENGTH)
		sub(/^[A-Z_]*\("/, "", t)
		sub(/"$/, "", t)
		print t
	}' "$main_c")

[ -n "$templates" ] || _fail "no option templates found in the fuse_opt table of $main_c"

help=$("$PODVOLFS" --help 2>&1) || _fail "'$PODVOLFS --help' failed: $help"
[ -r "$man_page" ] || _fail "$man_page: missing"

# An extended regular expression matching the text @1 literally.
ere_quote() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'
}

# Whether the text @2 holds @1 as a whole option: when @1 ends in a letter,
# not followed by another letter, digit, '_' or '-'.
has_option() {
	local re
	re=$(ere_quote "$1")
	case $1 in
	*[[:alnum:]])
		grep -Eq -- "$re([^[:alnum:]_-]|\$)" <<<"$2" ;;
	*)
		grep -Eq -- "$re" <<<"$2" ;;
	esac
}

man_text=$(cat "$man_page")

n=0
failed=0
while IFS= read -r t; do
	# "state=%s" -> "state=", "-o " -> "-o"
	opt=${t%%%*}
	opt=${opt%% }
	[ -n "$opt" ] || continue
	n=$((n + 1))
	troff=${opt//-/\\-}
	if ! has_option "$opt" "$help"; then
		echo "option '$opt' (template \"$t\") is not in '$PODVOLFS --help'" >&2
		failed=1
	fi
	if ! has_option "$troff" "$man_text"; then
		echo "option '$opt' (template \"$t\") is not in docs/podvolfs.8 (looked for '$troff')" >&2
		failed=1
	fi
done <<<"$templates"

[ "$n" -gt 0 ] || _fail "no usable option templates in $main_c"
[ "$failed" -eq 0 ] || _fail "options missing from the documentation (see above)"
echo "$n options documented in --help and docs/podvolfs.8"

# --version names the version the Makefile builds, the libfuse it runs on,
# where that comes from, and whether passthrough is built in
version=$(sed -n 's/^VERSION := //p' "$REPO/Makefile")
[ -n "$version" ] || _fail "no VERSION in the Makefile"
"$PODVOLFS" --version | grep -qxE "podvolfs $version \(libfuse [0-9.]+, (system|bundled static); (passthrough built in|no passthrough: needs libfuse 3.16 or later)\)" ||
	_fail "--version says '$("$PODVOLFS" --version)', expected podvolfs $version"
