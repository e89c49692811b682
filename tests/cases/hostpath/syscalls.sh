#!/bin/bash
# TIMEOUT: 300
# The syscall exerciser on a hostPath directory, with the daemon held to
# fewer than 1,024 fds while 21,000 files exist.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"

mkdir -p "$TMPD/host"
hostpath_pod exercise "data=$TMPD/host:Directory"
_mount_podvolfs "$SRC"
"$HELPERS/syscalls" "$MNT/default/exercise/volumes/data" --daemon-pid "$(_podvolfs_pid)"
_umount_podvolfs
