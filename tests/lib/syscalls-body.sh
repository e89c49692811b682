# Runs the syscall exerciser on an emptyDir of medium $MEDIUM.
. "$REPO/tests/lib/pods.sh"

emptydir_pod exercise "$MEDIUM"
# MEMORY_MEDIUM=daemon: a Memory emptyDir in the daemon's own memory
_mount_podvolfs "$SRC" ${MEMORY_MEDIUM:+-o "memory_medium=$MEMORY_MEDIUM"}
"$HELPERS/syscalls" "$(vol exercise data)"
_umount_podvolfs
