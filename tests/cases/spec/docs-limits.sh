#!/bin/bash
# TIMEOUT: 30
#
# Every limit defined in src/spec/spec_i.h (the block from "Limits" to
# SPEC_REPLICAS_MAX) is in the LIMITS section of docs/podvolfs.8 with its
# value, so that the man page cannot drift from the code.
. "$REPO/tests/lib/common.sh"

spec_i=$REPO/src/spec/spec_i.h
man_page=$REPO/docs/podvolfs.8

# "NAME VALUE" for each "#define SPEC_NAME VALUE /* ... */" of the block
defs=$(awk '
	/^ \* Limits,/ { in_block = 1 }
	in_block && /^#define SPEC_/ {
		value = $0
		sub(/^#define SPEC_[A-Z_]+[ \t]+/, "", value)
		sub(/[ \t]*\/\*.*$/, "", value)
		print $2, value
	}
	in_block && /SPEC_REPLICAS_MAX/ { exit }' "$spec_i")
[ "$(wc -l <<<"$defs")" -ge 10 ] || _fail "too few limits found in $spec_i: $defs"

limits=$(sed -n '/^\.SH LIMITS/,/^\.SH /p' "$man_page")
[ -n "$limits" ] || _fail "$man_page has no LIMITS section"

declare -A value
failed=0
while read -r name expr; do
	# a limit may be defined by another one: SPEC_TEXT_BUDGET SPEC_FILE_MAX
	for known in "${!value[@]}"; do
		expr=${expr//$known/${value[$known]}}
	done
	value[$name]=$((expr))
	if ! grep -qw -- "${value[$name]}" <<<"$limits"; then
		echo "$name (${value[$name]}) is not in the LIMITS section of $man_page" >&2
		failed=1
	fi
done <<<"$defs"
[ "$failed" = 0 ] || _fail "limits missing from the man page (see above)"
echo "${#value[@]} limits documented"
