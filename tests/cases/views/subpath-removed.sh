#!/bin/bash
# TIMEOUT: 30
# A subPath directory removed through the volume: the container's mount
# point is still a name in its parent, so every listing shows it, though the
# store can no longer stat what it points to.
. "$REPO/tests/lib/common.sh"

# The subPath comes first in the listing, where the kernel asks for
# attributes with the names (readdirplus).
cat >"$SRC/sp.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: sp
spec:
  containers:
  - name: c
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /sub, subPath: sub}
    - {name: data, mountPath: /all}
  volumes:
  - name: data
    emptyDir: {}
YAML
_mount_podvolfs "$SRC"
c=$MNT/default/sp/containers/c
_assert_eq "$(ls "$c" | tr '\n' ' ')" "all sub " "the container's mount points"
rmdir "$MNT/default/sp/volumes/data/sub"
_assert_eq "$(ls "$c" | tr '\n' ' ')" "all sub " "the mount points once the subPath directory is gone"
_assert_eq "$("$HELPERS/dirents" --print "$c" | sort | tr '\n' ' ')" "all sub " \
	"the mount points, listed again"
_umount_podvolfs
