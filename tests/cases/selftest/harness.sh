#!/bin/bash
# The harness itself, without podvolfs: the syscall exerciser on a plain
# directory, and the helpers of tests/lib/common.sh doing what they say.
# TIMEOUT: 60
. "$REPO/tests/lib/common.sh"

"$HELPERS/syscalls" "$TMPD" --quick

# _assert_errno checks the real errno, and fails on a different one
_assert_errno ENOENT stat "$TMPD/missing"
_assert_errno 0 mkdir "$TMPD/d"
_assert_errno EEXIST mkdir "$TMPD/d"
_assert_errno ENOTEMPTY rmdir "$TMPD"
if (_assert_errno EROFS stat "$TMPD/missing") 2>/dev/null; then
	_fail "_assert_errno took ENOENT for EROFS"
fi
if (_assert_errno ENOENT nosuchop "$TMPD") 2>/dev/null; then
	_fail "_assert_errno took a usage error for ENOENT"
fi

# fill writes exactly what it is asked, at an offset too
_assert_eq "$("$HELPERS/fill" "$TMPD/f" 3M)" "3145728 0" "fill 3M"
_assert_eq "$("$HELPERS/fill" "$TMPD/f" 10 --offset 1G)" "10 0" "fill at 1G"
_assert_eq "$(stat -c %s "$TMPD/f")" 1073741834 "size after fill at 1G"

# _assert_eq and _fail stop a case with status 1
status=0
(_assert_eq a b "letters") 2>/dev/null || status=$?
_assert_eq "$status" 1 "status of a failed _assert_eq"

# _wait_for polls, and gives up after its timeout
(sleep 0.2 && touch "$TMPD/later") &
_wait_for "test -e '$TMPD/later'" 5
if _wait_for false 0.2 2>/dev/null; then
	_fail "_wait_for false succeeded"
fi

# _as_user drops to the given user and group, with no other groups
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	_assert_eq "$(_as_user 65534 id -u)" 65534 "_as_user uid"
	_assert_eq "$(_as_user 65534:12345 id -G)" 12345 "_as_user groups"
	chmod 0700 "$TMPD/d"
	_assert_errno EACCES --as 65534 mkdir "$TMPD/d/x"
fi

# _at_exit runs in reverse order on any exit and keeps the exit status;
# _notrun exits 77
cat >"$TMPD/child.sh" <<'CHILD'
. "$REPO/tests/lib/common.sh"
_at_exit "echo first >>'$TMPD/order'"
_at_exit echo second ">>" "not a redirection"
_at_exit "echo third >>'$TMPD/order'"
[ "${1:-}" != skip ] || _notrun "asked to"
false
echo "not reached" >>"$TMPD/order"
CHILD
status=0
bash "$TMPD/child.sh" >"$TMPD/child.out" 2>&1 || status=$?
_assert_eq "$status" 1 "status of a case whose command failed"
_assert_eq "$(tr '\n' ' ' <"$TMPD/order")" "third first " "_at_exit order"
grep -q "child.sh:6" "$TMPD/child.out" || _fail "the ERR trap did not name the failing line"
grep -qx "second >> not a redirection" "$TMPD/child.out" || _fail "_at_exit with arguments"
status=0
bash "$TMPD/child.sh" skip >/dev/null 2>&1 || status=$?
_assert_eq "$status" 77 "status of _notrun"
