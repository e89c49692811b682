#!/bin/bash
# TIMEOUT: 60
# -o field_validation=: an unknown field is a warning naming its file,
# line, column and field path, and the pod is served (Warn, the default);
# an error that refuses the file, and only that error, not a "Not found"
# for the mount of the volume that holds it (Strict); or nothing (Ignore).
# podvolfs --check follows the same option.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

# $1 as an extended regular expression matching it literally
ere_quote() {
	printf '%s' "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'
}

# Runs podvolfs --check SRC with the arguments $@; its status is in $rc,
# its output in $TMPD/out and $TMPD/err.
check() {
	rc=0
	"$PODVOLFS" --check "$SRC" "$@" >"$TMPD/out" 2>"$TMPD/err" || rc=$?
}

emptydir_pod loose ""
echo "      sizelimit: 1Mi" >>"$SRC/loose.yaml"
at="$SRC/loose.yaml:$(wc -l <"$SRC/loose.yaml"):7"
problem="$at: unknown field \"spec.volumes[0].emptyDir.sizelimit\""

check
_assert_eq "$rc" 0 "status of --check in Warn mode"
_assert_eq "$(cat "$TMPD/err")" "warning: $problem" "--check's warnings"
_assert_eq "$(cat "$TMPD/out")" "pod default/loose: 1 volumes" "--check's pods"
check -o field_validation=Strict
_assert_eq "$rc" 1 "status of --check in Strict mode"
_assert_eq "$(cat "$TMPD/err")" "$problem" "--check's errors in Strict mode"
check -o field_validation=ignore
_assert_eq "$rc" 0 "status of --check in Ignore mode"
_assert_eq "$(cat "$TMPD/err")$(cat "$TMPD/out")" "pod default/loose: 1 volumes" "--check in Ignore mode"
check -o field_validation=Loose
_assert_eq "$rc" 1 "status of --check with a bad mode"
_assert_eq "$(cat "$TMPD/err")" "podvolfs: -o field_validation=Loose: must be Strict, Warn or Ignore" \
	"--check with a bad mode"

# Warn: logged, and the pod is served with its volume mounted.
_mount_podvolfs "$SRC"
# (the runner matches allowed patterns against the line with its paths
# shortened too, so the ones of alarming lines are not anchored at ^)
_expect_log "podvolfs: warning: $(ere_quote "$problem")\$"
[ -d "$(vol loose data)" ] || _fail "loose is not served in Warn mode"
_assert_eq "$(vol_field loose data 3)" Ready "state of loose's volume"
grep -q '^app  *app  *Ready ' "$MNT/default/loose/status" ||
	_fail "loose's container in Warn mode: $(cat "$MNT/default/loose/status")"
_umount_podvolfs

# Strict: the file is refused with that one error.
_allow_log "podvolfs: error: $(ere_quote "$SRC/loose.yaml"): not applied:\$"
_mount_podvolfs "$SRC" -o field_validation=Strict
_expect_log "^$(ere_quote "$problem")\$"
[ ! -e "$MNT/default/loose" ] || _fail "loose is served in Strict mode"
_assert_eq "$(grep -c "^$(ere_quote "$SRC")/" "$LOGS/podvolfs.log")" 1 "problems logged in Strict mode"
_umount_podvolfs

# Ignore: served, and nothing more said about it.
before=$(wc -l <"$LOGS/podvolfs.log")
_mount_podvolfs "$SRC" -o field_validation=Ignore
[ -d "$(vol loose data)" ] || _fail "loose is not served in Ignore mode"
_umount_podvolfs
! tail -n +"$((before + 1))" "$LOGS/podvolfs.log" | grep -q "unknown field" ||
	_fail "Ignore mode logged the unknown field"
