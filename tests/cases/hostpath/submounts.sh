#!/bin/bash
# TIMEOUT: 60
# Other mounts inside a hostPath are visible through it, read and written,
# as through a recursive bind mount: the store does not stop at st_dev.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root

h=$TMPD/host
mkdir -p "$h/inner"
mount -t tmpfs -o size=1m podvolfs-test "$h/inner"
_at_exit umount "$h/inner"
echo from-tmpfs >"$h/inner/f"
hostpath_pod sub "v=$h:Directory"
_mount_podvolfs "$SRC"
v=$MNT/default/sub/volumes/v

_assert_eq "$(cat "$v/inner/f")" from-tmpfs "a file on the inner tmpfs"
echo through-mount >"$v/inner/g"
_assert_eq "$(cat "$h/inner/g")" through-mount "written through the hostPath"
_assert_eq "$(ls "$v/inner" | tr '\n' ' ')" "f g " "listing of the inner mount"
[ "$(stat -c %d "$h")" != "$(stat -c %d "$h/inner")" ] || _fail "the inner mount is not another filesystem"
_umount_podvolfs
