#!/bin/bash
# TIMEOUT: 60
# Every mutating syscall on a read-only view fails with EROFS, on disk and in
# memory, for a whole volume and a subPath, while reads and read-only mmap
# work (tests/helpers/ro-probe.c). A file subPath leaf refuses writes too.
. "$REPO/tests/lib/common.sh"

cat >"$SRC/ro.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: ro
spec:
  containers:
  - name: writer
    image: busybox
    volumeMounts:
    - {name: disk, mountPath: /disk}
    - {name: mem, mountPath: /mem}
  - name: reader
    image: busybox
    volumeMounts:
    - {name: disk, mountPath: /disk, readOnly: true}
    - {name: mem, mountPath: /mem, readOnly: true}
    - {name: disk, mountPath: /sub/disk, subPath: sub, readOnly: true}
    - {name: mem, mountPath: /sub/mem, subPath: sub, readOnly: true}
    - {name: disk, mountPath: /etc/conf, subPath: conf, readOnly: true}
  volumes:
  - name: disk
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory}
YAML
_mount_podvolfs "$SRC"
pod=$MNT/default/ro

populate() {
	echo hello >"$1/f" &&
	setfattr -n user.probe -v v "$1/f" &&
	mkdir "$1/d" &&
	ln -s f "$1/l" &&
	echo w >"$1/w"
}

for v in disk mem; do
	populate "$pod/volumes/$v"
	populate "$pod/volumes/$v/sub"
	"$HELPERS/ro-probe" "$pod/containers/reader/$v" "$pod/containers/writer/$v" >"$TMPD/probe-$v" ||
		_fail "ro-probe on $v: $(grep -v '^ok' "$TMPD/probe-$v")"
	"$HELPERS/ro-probe" "$pod/containers/reader/sub/$v" "$pod/volumes/$v/sub" >"$TMPD/probe-sub-$v" ||
		_fail "ro-probe on the $v subPath: $(grep -v '^ok' "$TMPD/probe-sub-$v")"
done

# The volume is writable through its own path and the writer's view.
echo more >>"$pod/volumes/disk/f"
echo more >>"$pod/containers/writer/mem/f"

# A subPath that names a file: a read-only file leaf. The first start made
# "conf" a directory (it did not exist); make it a file and restart, as a
# container restart would pick it up.
rmdir "$pod/volumes/disk/conf"
echo "key=value" >"$pod/volumes/disk/conf"
_restart_podvolfs
conf=$pod/containers/reader/etc/conf
_assert_eq "$(stat -c %F "$conf")" "regular file" "file leaf type"
_assert_eq "$(cat "$conf")" "key=value" "file leaf contents"
_assert_errno EROFS open-write "$conf"
_assert_errno EROFS open-trunc "$conf"
_assert_errno EROFS truncate "$conf" 0
_assert_errno EROFS chmod "$conf" 0600
_assert_errno EROFS setxattr "$conf" user.a b
_assert_errno EROFS utimens "$conf"
_assert_errno EROFS unlink "$conf"
_assert_errno 0 read "$conf"
