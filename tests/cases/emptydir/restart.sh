#!/bin/bash
# TIMEOUT: 60
# A daemon restart with the same manifest is the same pod: disk data stays,
# RAM data is gone; an edited pod spec is a new pod with fresh volumes.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

emptydir_pod disk ""
emptydir_pod ram Memory
_mount_podvolfs "$SRC"
uid=$(pod_uid disk)
echo kept > "$(vol disk data)/file"
echo lost > "$(vol ram data)/file"
_restart_podvolfs
_assert_eq "$(pod_uid disk)" "$uid" "uid after restart"
_assert_eq "$(cat "$(vol disk data)/file")" kept "disk emptyDir after restart"
[ ! -e "$(vol ram data)/file" ] || _fail "a Memory emptyDir kept data across a restart"

# Editing the spec makes a new pod: new uid, empty volume, old state deleted.
_umount_podvolfs
emptydir_pod disk "" 5Mi
_mount_podvolfs "$SRC"
[ "$(pod_uid disk)" != "$uid" ] || _fail "an edited pod kept its uid"
[ ! -e "$(vol disk data)/file" ] || _fail "an edited pod kept its old emptyDir"
[ ! -e "$STATE/pods/$uid" ] || _fail "the old pod's state was not deleted"
_umount_podvolfs
