# Runs the syscall exerciser on an emptyDir of medium $MEDIUM.
. "$REPO/tests/lib/pods.sh"

emptydir_pod exercise "$MEDIUM"
_mount_podvolfs "$SRC"
"$HELPERS/syscalls" "$(vol exercise data)"
_umount_podvolfs
