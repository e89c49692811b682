#!/bin/bash
# TIMEOUT: 60
#
# A fresh Debian machine has none of the libraries: 'make demo', 'make check'
# and 'make bench' must get as far as installing them (a make run in which
# pkg-config finds nothing must not stop), while a plain 'make' says what is
# missing and how to get it. And tests/lib/deps, the one list install-deps
# installs from, must cover every command the scripts run: each listed
# command comes from its package, and every command in the scripts is
# listed or comes with any Debian system.

REPO=${REPO:-$(cd "$(dirname "$0")/../../.." && pwd)}
. "$REPO/tests/lib/common.sh"

deps=$REPO/tests/lib/deps

# -q runs no recipe: 1 says "not up to date", 2 is an error such as $(error)
for goal in demo check check-asan bench install-deps; do
	status=0
	out=$(PKG_CONFIG=false make -C "$REPO" -q "$goal" 2>&1) || status=$?
	[ "$status" != 2 ] ||
		_fail "PKG_CONFIG=false make -q $goal stops with an error: $out"
done
status=0
out=$(PKG_CONFIG=false make -C "$REPO" -n all 2>&1) || status=$?
_assert_eq "$status" 2 "status of a plain make that finds no libraries"
grep -q "pkg-config finds no fuse3 libgit2 libnfs yaml-0.1: run 'make install-deps'" <<<"$out" ||
	_fail "a plain make without libraries says: $out"

scripts=("$REPO"/tests/run "$REPO"/tests/lib/*.sh "$REPO"/tests/lib/install-deps
	"$REPO"/tests/lib/build-libfuse
	"$REPO"/examples/demo "$REPO"/mount-helpers/* "$REPO"/bench/run "$REPO"/bench/lib/*.sh)
mapfile -t -O ${#scripts[@]} scripts < <(find "$REPO/tests/cases" -name '*.sh')
"$REPO/tests/lib/check-deps" "$deps" "${scripts[@]}" ||
	_fail "tests/lib/deps does not cover what the scripts run (see above)"
