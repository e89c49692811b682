#!/bin/bash
# TIMEOUT: 60
# A missing subPath is made inside the volume, one directory per component,
# each with the volume root's full mode (0777 on disk, 01777 in memory, with
# the setgid bit under fsGroup) whatever the daemon's umask, owned by root;
# what one container's view made, the others see.
. "$REPO/tests/lib/common.sh"

cat >"$SRC/mk.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: mk
spec:
  containers:
  - name: one
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /a, subPath: new/deep}
    - {name: mem, mountPath: /b, subPath: m/n}
  - name: two
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /a, subPath: new/deep, readOnly: true}
    - {name: data, mountPath: /top, subPath: new}
  volumes:
  - name: data
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory}
---
apiVersion: v1
kind: Pod
metadata:
  name: grp
spec:
  securityContext:
    fsGroup: 4321
  containers:
  - name: c
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /a, subPath: x/y}
    - {name: mem, mountPath: /b, subPath: x/y}
  volumes:
  - name: data
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory}
YAML
umask 077
_mount_podvolfs "$SRC"
umask 022
mk=$MNT/default/mk
grp=$MNT/default/grp

_assert_eq "$(stat -c '%a %u %g' "$mk/volumes/data/new" "$mk/volumes/data/new/deep" | sort -u)" \
	"777 0 0" "disk subPath directories"
_assert_eq "$(stat -c '%a %u %g' "$mk/volumes/mem/m" "$mk/volumes/mem/m/n" | sort -u)" \
	"1777 0 0" "memory subPath directories"
_assert_eq "$(stat -c %a "$mk/containers/one/a")" 777 "view root mode"
_assert_eq "$(stat -c %a "$mk/containers/one/b")" 1777 "memory view root mode"
_assert_eq "$(stat -c '%a %g' "$grp/volumes/data/x" "$grp/volumes/data/x/y" | sort -u)" \
	"$(stat -c '%a %g' "$grp/volumes/data")" "disk subPath under fsGroup"
_assert_eq "$(stat -c '%a %g' "$grp/volumes/mem/x" "$grp/volumes/mem/x/y" | sort -u)" \
	"$(stat -c '%a %g' "$grp/volumes/mem")" "memory subPath under fsGroup"
_assert_eq "$(stat -c %a "$grp/volumes/mem")" 3777 "memory root under fsGroup"

# One container writes, the other reads, the volume shows it where it belongs.
echo hi >"$mk/containers/one/a/f"
_assert_eq "$(cat "$mk/containers/two/a/f")" hi "read through another container"
_assert_eq "$(cat "$mk/volumes/data/new/deep/f")" hi "read through the volume"
_assert_eq "$(cat "$mk/containers/two/top/deep/f")" hi "read through a higher subPath"
echo m >"$mk/containers/one/b/g"
_assert_eq "$(cat "$mk/volumes/mem/m/n/g")" m "memory subPath write"
_assert_errno EROFS open-create "$mk/containers/two/a/new"
grep -q '^two  *  */a  *data  *new/deep  *ro  *-$' "$mk/status" ||
	_fail "status mount line: $(cat "$mk/status")"
