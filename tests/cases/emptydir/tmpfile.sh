#!/bin/bash
# TIMEOUT: 90
# O_TMPFILE (libfuse 3.17's tmpfile op) on a hostPath, a disk emptyDir, a
# Memory emptyDir and sized ones of both media: the unnamed file is
# written, linkat of /proc/self/fd/N names it (with its bytes, the
# caller's ownership and one link), and another user may do the same. An
# unnamed file's bytes count against sizeLimit while it is open, so a
# write that would pass the limit with it fails, and they are given back
# when it is closed. A read-only view refuses it with EROFS, as does a
# virtual directory.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

_require_root
_libfuse_at_least 3.17 ||
	_notrun "the tmpfile op needs libfuse 3.17: $("$PODVOLFS" --version)"

h=$TMPD/host
mkdir -p "$h"
chmod 777 "$h"
cat >"$SRC/tmp.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: tmp
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - {name: host, mountPath: /ro, readOnly: true}
  volumes:
  - name: host
    hostPath:
      path: "$h"
      type: Directory
  - name: disk
    emptyDir: {}
  - name: mem
    emptyDir:
      medium: Memory
  - name: sized
    emptyDir:
      sizeLimit: 1Mi
  - name: memsized
    emptyDir:
      medium: Memory
      sizeLimit: 1Mi
EOF2
_mount_podvolfs "$SRC"
p=$MNT/default/tmp
v=$p/volumes
x4k=$(head -c 4096 /dev/zero | tr '\0' x)

for vol in host disk mem sized memsized; do
	d=$v/$vol
	chmod 777 "$d"
	_assert_eq "$("$HELPERS/tmpfile" "$d" 100K)" 0 "$vol: an unnamed file"
	_assert_eq "$("$HELPERS/tmpfile" "$d" 4096 --link named)" 0 \
		"$vol: a file named by linkat"
	_assert_eq "$(cat "$d/named")" "$x4k" "$vol: the named file's bytes"
	_assert_eq "$(stat -c '%s %h %a %u' "$d/named")" "4096 1 640 0" \
		"$vol: the named file's size, links, mode and owner"
	_assert_eq "$(_as_user 1000 "$HELPERS/tmpfile" "$d" 10 --link mine)" 0 \
		"$vol: another user's"
	_assert_eq "$(stat -c '%s %u %g' "$d/mine")" "10 1000 1000" \
		"$vol: another user's file"
	_assert_eq "$(ls "$d" | tr '\n' ' ')" "mine named " "$vol: the names"
done
_assert_eq "$(stat -c %s "$h/named")" 4096 "the host file named through the mount"

# sizeLimit: an open unnamed file's bytes count, and come back at its close
for vol in sized memsized; do
	d=$v/$vol
	rm "$d/named" "$d/mine"
	_tmpfile_hold "$d" 768K
	[ "$(vol_field tmp "$vol" 4)" -ge $((768 * 1024)) ] ||
		_fail "$vol: usage with an open 768K unnamed file: $(cat "$p/status")"
	_assert_eq "$("$HELPERS/fill" "$d/f" 512K | cut -d' ' -f2)" ENOSPC \
		"$vol: 512K more past the limit"
	rm "$d/f"
	_tmpfile_close
	_wait_for "[ \"\$(vol_field tmp $vol 4)\" -lt 4096 ]" ||
		_fail "$vol: usage after the close: $(cat "$p/status")"
	_assert_eq "$("$HELPERS/fill" "$d/f" 512K)" "524288 0" \
		"$vol: 512K once the unnamed file is gone"
done

_assert_eq "$("$HELPERS/tmpfile" "$p/containers/app/ro" 1 || true)" EROFS \
	"an unnamed file in a read-only view"
_assert_eq "$("$HELPERS/tmpfile" "$p" 1 || true)" EROFS \
	"an unnamed file in a virtual directory"
_umount_podvolfs
