#!/bin/bash
# TIMEOUT: 90
# FUSE passthrough: writes to a hostPath and to a disk emptyDir without a
# sizeLimit reach the host file without a WRITE request to the daemon (its
# libfuse -d log lists every request); a sized emptyDir still gets every
# write, and stops at its limit to the byte, also while a passthrough
# reader holds the file open; the other views of a file see its size after
# the writer closes; a read-only view still refuses writes; status says
# which path each volume takes. A hostPath on overlayfs, which the kernel
# refuses as a backing file, falls back to the daemon; so does every
# volume with -o passthrough=off.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

_require_root
"$PODVOLFS" --version | grep -q 'passthrough built in' ||
	_notrun "this build has no passthrough ($("$PODVOLFS" --version))"

h=$TMPD/host
mkdir -p "$h"
cat >"$SRC/pt.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: pt
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: host
      mountPath: /host
    - name: host
      mountPath: /ro
      readOnly: true
  volumes:
  - name: host
    hostPath:
      path: "$h"
      type: Directory
  - name: disk
    emptyDir: {}
  - name: sized
    emptyDir:
      sizeLimit: 1Mi
EOF
log=$LOGS/podvolfs.log
# libfuse's -d log names error replies (a lookup's ENOENT) "error"
_allow_log '^   unique: [0-9]+, error: '

# WRITE requests in the daemon's log; writes_seen: since mark_writes
count_writes() {
	grep -c 'opcode: WRITE ' "$log" || true
}
mark_writes() {
	marked=$(count_writes)
}
writes_seen() {
	echo $(($(count_writes) - marked))
}

_mount_podvolfs "$SRC" -d
p=$MNT/default/pt
v=$p/volumes/host
e=$p/volumes/disk
s=$p/volumes/sized

# the kernel may not offer passthrough (before Linux 6.9); status names
# each volume's data path before any file is opened
head -c 65536 /dev/urandom >"$TMPD/data"
[ "$(vol_field pt host data)" = passthrough ] ||
	{ grep -q 'offers no FUSE passthrough' "$log" &&
		_notrun "the kernel offers no FUSE passthrough"; } ||
	_fail "hostPath data path: $(cat "$p/status")"
_assert_eq "$(vol_field pt disk data) $(vol_field pt sized data)" \
	"passthrough daemon" "disk and sized emptyDir data paths before any open"

mark_writes
cp "$TMPD/data" "$v/f" && cp "$TMPD/data" "$e/f"
dd if="$TMPD/data" of="$v/f" bs=4096 count=4 conv=notrunc status=none
cmp "$TMPD/data" "$h/f" ||
	_fail "the host file differs from what was written through the mount"
_assert_eq "$(writes_seen)" 0 "WRITE requests for passthrough files"
cmp "$v/f" "$TMPD/data" && cmp "$e/f" "$TMPD/data"
_assert_eq "$(vol_field pt disk data)" passthrough "disk emptyDir data path"

# another view sees the new size once the writer closed
c=$p/containers/app/host
_assert_eq "$(stat -c %s "$c/f")" 65536 "size through the container's view"
head -c 100000 /dev/zero >>"$v/f"
_assert_eq "$(stat -c %s "$c/f")" 165536 "size through the container's view after an append"
_assert_eq "$(stat -c %s "$h/f")" 165536 "size on the host"
_assert_errno EROFS open-write "$p/containers/app/ro/f"

# a sized emptyDir: the daemon sees each write and keeps its limit
limit=1048576
mark_writes
"$HELPERS/fill" "$s/a" $((limit / 2)) >/dev/null
_assert_eq "$(vol_field pt sized data)" daemon "sized emptyDir data path"
[ "$(writes_seen)" -gt 0 ] || _fail "no WRITE request for a sized emptyDir"
exec 3<"$s/a"
_at_exit 'exec 3<&-'
"$HELPERS/fill" "$s/a" $((limit / 2)) --offset $((limit / 2)) >/dev/null
_assert_errno ENOSPC write "$s/a" 1
_assert_errno ENOSPC write "$s/b" 1
_assert_eq "$(stat -c %s "$s/a")" $limit "size at the limit"
_assert_eq "$(head -c 10 <&3 | wc -c)" 10 "a read through the passthrough open"
exec 3<&-
rm "$s/a"
"$HELPERS/fill" "$s/b" $limit >/dev/null
_assert_errno ENOSPC write "$s/b" 1
_umount_podvolfs

# the kernel refuses backing files on overlayfs: through the daemon
mkdir -p "$TMPD/lower" "$TMPD/upper" "$TMPD/work" "$h/ovl"
mount -t overlay overlay -o "lowerdir=$TMPD/lower,upperdir=$TMPD/upper,workdir=$TMPD/work" "$h/ovl"
_at_exit umount "$h/ovl"
sed -i "s|path: \"$h\"|path: \"$h/ovl\"|" "$SRC/pt.yaml"
_mount_podvolfs "$SRC" -d
mark_writes
cp "$TMPD/data" "$v/g"
cmp "$TMPD/data" "$v/g" && cmp "$TMPD/data" "$TMPD/upper/g"
_assert_eq "$(vol_field pt host data)" daemon-refused "data path on overlayfs"
[ "$(writes_seen)" -gt 0 ] || _fail "no WRITE request after the kernel refused passthrough"
_umount_podvolfs

# -o passthrough=off
_mount_podvolfs "$SRC" -d -o passthrough=off
mark_writes
cp "$TMPD/data" "$e/h"
_assert_eq "$(vol_field pt disk data)" daemon "data path with passthrough=off"
[ "$(writes_seen)" -gt 0 ] || _fail "no WRITE request with passthrough=off"
_umount_podvolfs
