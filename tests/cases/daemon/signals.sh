#!/bin/bash
# TIMEOUT: 60
# SIGTERM is a clean stop: the mount goes, the exit status is 0, and disk data
# stays for the next start. SIGHUP re-reads SOURCE.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

emptydir_pod keep ""
_mount_podvolfs "$SRC"
echo data >"$(vol keep data)/f"

# SIGHUP: the watch acts on closed writes and renames, so a manifest written
# through a file that stays open shows only after the signal.
pid=$(_podvolfs_pid)
SRC=$TMPD emptydir_pod hup ""
exec 4>"$SRC/hup.yaml"
cat "$TMPD/hup.yaml" >&4
sleep 0.5
[ ! -e "$MNT/default/hup" ] || _fail "the pod appeared before SIGHUP"
kill -HUP "$pid"
_wait_for "[ -d '$MNT/default/hup' ]" || _fail "SIGHUP did not make the new pod appear"
exec 4>&-

kill -TERM "$pid"
for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && _fail "podvolfs survived SIGTERM"
wait "$pid" && status=0 || status=$?
_assert_eq "$status" 0 "exit status after SIGTERM"
_is_podvolfs_mount "$MNT" && _fail "the mount is still there after SIGTERM"

_mount_podvolfs "$SRC"
_assert_eq "$(cat "$(vol keep data)/f")" data "disk emptyDir after SIGTERM and a new start"
_umount_podvolfs
