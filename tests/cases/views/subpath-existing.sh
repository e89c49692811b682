#!/bin/bash
# TIMEOUT: 60
# Existing subPaths: a directory with contents, a file (a file leaf, shown
# as a file in its parent's listing), several subPaths of one volume, and a
# symlink inside the volume to something inside it. Views are made when the
# pod starts, so the volume is filled and the daemon restarted, as a
# container restart picks up what is there.
. "$REPO/tests/lib/common.sh"

cat >"$SRC/ex.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: ex
spec:
  containers:
  - name: c
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /full}
    - {name: data, mountPath: /dir, subPath: dir}
    - {name: data, mountPath: /etc/app.conf, subPath: conf/app.conf}
    - {name: data, mountPath: /rw.conf, subPath: conf/app.conf}
    - {name: data, mountPath: /inner, subPath: dir/inner}
    - {name: data, mountPath: /linked, subPath: link/inner}
    - {name: data, mountPath: /dotted, subPath: ./dir/./inner/}
  volumes:
  - name: data
    emptyDir: {}
YAML
_mount_podvolfs "$SRC"
vol=$MNT/default/ex/volumes/data
c=$MNT/default/ex/containers/c
# First start: every subPath was missing and was made a directory.
_assert_eq "$(stat -c %F "$c/etc/app.conf")" directory "missing file subPath"
rmdir "$vol/conf/app.conf" "$vol/link/inner" "$vol/link"
echo "listen 80" >"$vol/conf/app.conf"
echo top >"$vol/dir/file"
echo deep >"$vol/dir/inner/file"
ln -s dir "$vol/link"
_restart_podvolfs

_assert_eq "$(cat "$c/dir/file")" top "existing directory"
_assert_eq "$(cat "$c/inner/file")" deep "nested existing directory"
_assert_eq "$(cat "$c/linked/file")" deep "symlink inside the volume"
_assert_eq "$(cat "$c/dotted/file")" deep "subPath with . components"
_assert_eq "$(stat -c %F "$c/etc/app.conf")" "regular file" "file leaf"
_assert_eq "$(cat "$c/etc/app.conf")" "listen 80" "file leaf contents"
_assert_eq "$(find "$c/etc" -mindepth 1 -printf '%y %f\n')" "f app.conf" "file leaf in a listing"
_assert_eq "$(ls -l "$c/etc" | awk 'NR > 1 { print substr($1, 1, 1), $NF }')" "- app.conf" "ls -l of a file leaf"
_assert_eq "$(stat -c %i "$c/etc/app.conf")" "$(stat -c %i "$vol/conf/app.conf")" "file leaf inode"
# A writable file leaf: changes show in the volume and in the other leaf.
echo "listen 8080" >"$c/rw.conf"
_assert_eq "$(cat "$vol/conf/app.conf")" "listen 8080" "write through a file leaf"
_assert_eq "$(cat "$c/etc/app.conf")" "listen 8080" "read through the other leaf"
# Several subPaths of one volume, and the whole volume, are one tree.
echo new >"$c/inner/new"
_assert_eq "$(cat "$c/dir/inner/new" "$c/full/dir/inner/new" "$vol/dir/inner/new" | sort -u)" new \
	"one file through four paths"
_assert_eq "$(grep -c '^c  *  */' "$MNT/default/ex/status")" 7 "status lists every mount"
grep -q '^c  *  */etc/app.conf  *data  *conf/app.conf  *rw  *-$' "$MNT/default/ex/status" ||
	_fail "status line of the file leaf: $(cat "$MNT/default/ex/status")"
