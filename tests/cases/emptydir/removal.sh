#!/bin/bash
# TIMEOUT: 60
# Pods follow their manifests in a watched SOURCE directory.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

emptydir_pod keep ""
_mount_podvolfs "$SRC"
echo data > "$(vol keep data)/file"

# A manifest that appears creates its pod.
emptydir_pod later "" 1Mi
_wait_for "[ -d '$(vol later data)' ]"
uid=$(pod_uid later)
[ -d "$STATE/pods/$uid/volumes/data" ] || _fail "no state for the new pod"
echo x > "$(vol later data)/file"

# A manifest that goes deletes its pod and its emptyDirs.
exec 3<"$(vol later data)/file"
rm "$SRC/later.yaml"
_wait_for "[ ! -e '$MNT/default/later' ]"
[ ! -e "$STATE/pods/$uid" ] || _fail "the removed pod's emptyDir is still on disk"
# A file open when its pod went stays readable.
_assert_eq "$(cat <&3)" x "open file of a removed pod"
exec 3<&-

# The other pod was not touched.
_assert_eq "$(cat "$(vol keep data)/file")" data "untouched pod"
_umount_podvolfs
