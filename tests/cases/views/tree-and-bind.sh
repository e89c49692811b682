#!/bin/bash
# TIMEOUT: 60
# containers/<container>/<mountPath>: init containers too, relative and
# untidy mountPaths made absolute and clean, read-only virtual levels, a
# mount of a volume that is not served, two mounts at one path (the later
# one shows; nested mountPaths are views/nested-mounts); and
# podvolfs-bind: --mount, a file leaf, read-only binds, refusal of a
# container that cannot start, --undo.
. "$REPO/tests/lib/common.sh"

_require_root
_require_cmd unshare mount umount findmnt

cat >"$SRC/t.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: t
spec:
  initContainers:
  - name: setup
    image: busybox
    volumeMounts:
    - {name: data, mountPath: work}
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - {name: data, mountPath: "//srv/./data/"}
    - {name: data, mountPath: /etc/app.conf, subPath: app.conf, readOnly: true}
    - {name: data, mountPath: /same, subPath: first}
    - {name: data, mountPath: /same/, subPath: second}
  - name: nocfg
    image: busybox
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
  volumes:
  - name: data
    emptyDir: {}
  - name: cfg
    configMap:
      name: cfg
YAML
_allow_log 'warning: pod default/t volume "cfg": volume type "configMap" is not supported yet'
_allow_log 'warning: pod default/t container "nocfg": NotSupported: volume "cfg" is of type configMap, which podvolfs does not serve'
_mount_podvolfs "$SRC"
pod=$MNT/default/t
vol=$pod/volumes/data

_assert_eq "$(ls "$pod/containers" | tr '\n' ' ')" "app nocfg setup " "containers"
[ -d "$pod/containers/setup/work" ] || _fail "relative mountPath of the init container"
[ -d "$pod/containers/app/srv/data" ] || _fail "untidy mountPath"
_assert_eq "$(ls "$pod/containers/app" | tr '\n' ' ')" "etc same srv " "app's tree"
_assert_eq "$(stat -c '%A' "$pod/containers/app/etc")" "dr-xr-xr-x" "virtual level mode"
_assert_errno EROFS mkdir "$pod/containers/app/new"
_assert_errno EROFS mkdir "$pod/containers/app/etc/new"
_assert_errno EROFS rmdir "$pod/containers/app/srv/data"
_assert_errno EROFS rename "$pod/containers/app/srv" "$pod/containers/app/x"
# Two mounts at one path: the later one shows, the earlier says so.
touch "$vol/second/marker"
_assert_eq "$(ls "$pod/containers/app/same")" marker "the later of two mounts at one path"
status=$(cat "$pod/status")
grep -q '^app  *  */same  *data  *first  *rw  *hidden by the later mount at /same$' <<<"$status" ||
	_fail "status of the hidden mount: $status"
grep -q '^setup  *init  *Ready  *-$' <<<"$status" || _fail "init container: $status"
grep -q '^nocfg  *app  *NotSupported  *volume "cfg" is of type configMap, which podvolfs does not serve$' <<<"$status" ||
	_fail "container mounting a volume not served: $status"
grep -q '^nocfg  *  */cfg  *cfg  *-  *rw  *NotSupported: configMap$' <<<"$status" ||
	_fail "mount of a volume not served: $status"
grep -q '^data  *emptyDir,medium=disk  *Ready ' <<<"$status" || _fail "volume line: $status"

# podvolfs-bind, in a mount namespace of our own.
bind=$REPO/mount-helpers/podvolfs-bind
root=$TMPD/root
mkdir "$root"
# app.conf did not exist at the first start: it was made a directory. Make
# it a file and restart, so the view is a file leaf.
rmdir "$vol/app.conf"
echo "port=1" >"$vol/app.conf"
_restart_podvolfs
out=$("$bind" --mount "$MNT" default/t nocfg "$root" 2>&1) && _fail "bound a container whose volume is not served"
grep -q 'NotSupported' <<<"$out" || _fail "refusal message: $out"
unshare -m --propagation private bash -eu -o pipefail -c '
	bind=$1 root=$2 vol=$3
	"$bind" default/t app "$root"
	findmnt -n -o FSTYPE "$root/srv/data" | grep -qx fuse.podvolfs
	[ "$(stat -c %F "$root/etc/app.conf")" = "regular file" ]
	[ "$(cat "$root/etc/app.conf")" = port=1 ]
	case ",$(findmnt -n -o OPTIONS "$root/etc/app.conf")," in
	*,ro,*) ;;
	*) echo "read-only view bound read-write" >&2; exit 1 ;;
	esac
	echo hi >"$root/srv/data/from-container"
	[ "$(cat "$vol/from-container")" = hi ]
	[ "$(ls "$root/same")" = marker ]
	"$bind" --undo default/t app "$root"
	! mountpoint -q "$root/srv/data"
	! mountpoint -q "$root/etc/app.conf"
	! mountpoint -q "$root/same"
' _ "$bind" "$root" "$vol" || _fail "podvolfs-bind in a mount namespace"
! mountpoint -q "$root/srv/data" || _fail "bind mount leaked to the host"
