#!/bin/bash
# TIMEOUT: 90
# A mountPath inside another of the same container: the inner view shows
# over the outer one at its mount point, as a runtime mounts them (outer
# first, whatever the manifest's order), three levels deep. Writes land in
# the right volumes; the mount point is made in the outer volume when
# missing, and a volume's own directory there is hidden, not lost;
# rename and link across give EXDEV, rmdir and rename of the mount point
# EBUSY; subPath and readOnly on either; what runc would refuse (a
# read-only outer without the mount point, a file on the way, a symlink)
# fails the container. Then podvolfs-bind binds outer before inner, and
# --refresh and --undo, in a mount namespace of our own.
. "$REPO/tests/lib/common.sh"

_require_root
_require_cmd unshare mount umount mountpoint

host=$TMPD/host
mkdir -p "$host/own" "$host/elsewhere"
echo mine >"$host/own/hidden"
ln -s elsewhere "$host/link"
: >"$host/file"

cat >"$SRC/nest.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: nest
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - {name: c, mountPath: /var/lib/app/cache/deep}
    - {name: b, mountPath: /var/lib/app/cache}
    - {name: a, mountPath: /var/lib/app}
  - name: sub
    image: busybox
    volumeMounts:
    - {name: b, mountPath: /srv/x/y, subPath: in, readOnly: true}
    - {name: a, mountPath: /srv, subPath: out}
  - name: ro
    image: busybox
    volumeMounts:
    - {name: a, mountPath: /opt, readOnly: true}
    - {name: b, mountPath: /opt/cache}
    - {name: c, mountPath: /opt/new}
  - name: own
    image: busybox
    volumeMounts:
    - {name: h, mountPath: /h}
    - {name: b, mountPath: /h/own}
  - name: link
    image: busybox
    volumeMounts:
    - {name: h, mountPath: /h}
    - {name: b, mountPath: /h/link}
  - name: file
    image: busybox
    volumeMounts:
    - {name: h, mountPath: /h}
    - {name: b, mountPath: /h/file/in}
  volumes:
  - {name: a, emptyDir: {}}
  - {name: b, emptyDir: {}}
  - {name: c, emptyDir: {medium: Memory}}
  - name: h
    hostPath: {path: "$host", type: Directory}
YAML
_allow_log 'container "ro": RunContainerError: error mounting volume "c" to rootfs at "/opt/new": /opt/new: Read-only file system'
_allow_log 'container "link": NotSupported: mountPath "/h/link": /h/link is a symlink in volume "h"'
_allow_log 'container "file": RunContainerError: error mounting volume "b" to rootfs at "/h/file/in": /h/file: Not a directory'
_mount_podvolfs "$SRC"
pod=$MNT/default/nest
a=$pod/volumes/a b=$pod/volumes/b c=$pod/volumes/c
app=$pod/containers/app/var/lib/app

status=$(cat "$pod/status")
grep -q '^app  *app  *Ready  *-$' <<<"$status" || _fail "app: $status"
for m in /var/lib/app/cache/deep /var/lib/app/cache /var/lib/app; do
	grep -q "^app  *$m  *[abc]  *-  *rw  *-\$" <<<"$status" || _fail "mount $m: $status"
done
_assert_eq "$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print([(m["mountPath"], m["message"]) for m in j["containers"][0]["mounts"]])' "$pod/status.json")" \
	"[('/var/lib/app/cache/deep', ''), ('/var/lib/app/cache', ''), ('/var/lib/app', '')]" \
	"status.json of the app's mounts"

# each view is its own volume, the inner ones at their mount points
echo A >"$app/f"
echo B >"$app/cache/g"
echo C >"$app/cache/deep/h"
_assert_eq "$(cat "$a/f")" A "written through the outer view"
_assert_eq "$(cat "$b/g")" B "written through the middle view"
_assert_eq "$(cat "$c/h")" C "written through the inner view"
[ -d "$a/cache" ] && [ -z "$(ls "$a/cache")" ] || _fail "the mount point made in the outer volume"
[ -d "$b/deep" ] && [ -z "$(ls "$b/deep")" ] || _fail "the mount point made in the middle volume"
_assert_eq "$(ls "$app" | tr "\n" " ")" "cache f out " "the outer view's listing (out: the other container's subPath)"
_assert_eq "$(stat -c %i "$app/cache")" "$(stat -c %i "$b")" "the mount point's inode is the inner root's"
_assert_eq "$(ls -i "$app" | awk '$2 == "cache" { print $1 }')" "$(stat -c %i "$b")" \
	"the listing's inode number of the mount point"
_assert_eq "$(stat -c %i "$app/cache/deep")" "$(stat -c %i "$c")" "two levels down"
_assert_errno EXDEV rename "$app/f" "$app/cache/f"
_assert_errno EXDEV rename "$app/cache/g" "$app/g"
_assert_errno EXDEV link "$app/f" "$app/cache/f"
_assert_errno EBUSY rmdir "$app/cache"
_assert_errno EBUSY rmdir "$app/cache/deep"
_assert_errno EBUSY rename "$app/cache" "$app/moved"
mkdir "$app/d"
_assert_errno EBUSY rename "$app/d" "$app/cache"
_assert_errno EEXIST mkdir "$app/cache"
rmdir "$app/d"

# subPath and readOnly on either; intermediate directories made
echo S >"$pod/containers/sub/srv/s"
_assert_eq "$(cat "$a/out/s")" S "written through an outer subPath"
[ -d "$a/out/x/y" ] || _fail "the mount point beneath an outer subPath"
echo I >"$b/in/i"
_assert_eq "$(cat "$pod/containers/sub/srv/x/y/i")" I "an inner subPath"
_assert_errno EROFS open-create "$pod/containers/sub/srv/x/y/new"
_assert_errno 0 open-create "$pod/containers/sub/srv/x/new"

# a read-only outer: an existing mount point is used, a missing one fails
status=$(cat "$pod/status")
grep -q '^ro  *app  *RunContainerError  *error mounting volume "c" to rootfs at "/opt/new": /opt/new: Read-only file system$' <<<"$status" ||
	_fail "read-only outer without the mount point: $status"
[ ! -e "$a/new" ] || _fail "a mount point made in a read-only view"

# the outer volume's own directory at the mount point is hidden, and kept
own=$pod/containers/own/h/own
_assert_eq "$(ls "$own" | tr '\n' ' ')" "deep g in " "the inner view over an existing directory"
_assert_eq "$(cat "$pod/volumes/h/own/hidden")" mine "the hidden directory's content"
grep -q '^link  *app  *NotSupported  *mountPath "/h/link": /h/link is a symlink in volume "h"' <<<"$status" ||
	_fail "a symlink at the mount point: $status"
grep -q '^file  *app  *RunContainerError  *error mounting volume "b" to rootfs at "/h/file/in": /h/file: Not a directory$' <<<"$status" ||
	_fail "a file on the way: $status"
[ ! -e "$host/elsewhere/link" ] && [ -z "$(ls "$host/elsewhere")" ] || _fail "followed the symlink"

# podvolfs-bind: outer first, each inner on top of the one that holds it
bind=$REPO/mount-helpers/podvolfs-bind
root=$TMPD/root
mkdir "$root"
unshare -m --propagation private bash -eu -o pipefail -c '
	bind=$1 root=$2 a=$3 b=$4 c=$5 helpers=$6
	# on_top MOUNTPOINT: "ROOT PARENT-ID ID" of the mount on top there
	on_top() {
		awk -v p="$1" "\$5 == p { r = \$4 \" \" \$2 \" \" \$1 } END { print r }" /proc/self/mountinfo
	}
	check() {
		local top mid low
		top=$(on_top "$root/var/lib/app")
		mid=$(on_top "$root/var/lib/app/cache")
		low=$(on_top "$root/var/lib/app/cache/deep")
		[ "${top%% *}" = /default/nest/containers/app/var/lib/app ]
		[ "${mid%% *}" = /default/nest/containers/app/var/lib/app/cache ]
		[ "${low%% *}" = /default/nest/containers/app/var/lib/app/cache/deep ]
		# each inner bind is mounted on the one that holds it
		[ "$(cut -d" " -f2 <<<"$mid")" = "$(cut -d" " -f3 <<<"$top")" ]
		[ "$(cut -d" " -f2 <<<"$low")" = "$(cut -d" " -f3 <<<"$mid")" ]
		# one bind a place, not two stacked
		[ "$(awk -v p="$root/var/lib/app/cache" "\$5 == p" /proc/self/mountinfo | wc -l)" = 1 ]
	}
	"$bind" default/nest app "$root"
	check
	echo a2 >"$root/var/lib/app/f2"
	echo b2 >"$root/var/lib/app/cache/g2"
	echo c2 >"$root/var/lib/app/cache/deep/h2"
	[ "$(cat "$a/f2")" = a2 ] && [ "$(cat "$b/g2")" = b2 ] && [ "$(cat "$c/h2")" = c2 ]
	[ "$("$helpers/errno-of" rename "$root/var/lib/app/f2" "$root/var/lib/app/cache/f2")" = EXDEV ]
	[ "$("$helpers/errno-of" rmdir "$root/var/lib/app/cache")" = EBUSY ]
	"$bind" --refresh default/nest app "$root"
	check
	[ "$(cat "$root/var/lib/app/cache/deep/h2")" = c2 ]
	"$bind" default/nest sub "$root"
	case ",$(findmnt -n -o OPTIONS "$root/srv/x/y")," in
	*,ro,*) ;;
	*) echo "the read-only inner view bound read-write" >&2; exit 1 ;;
	esac
	[ "$(cat "$root/srv/x/y/i")" = I ]
	"$bind" --undo default/nest sub "$root"
	"$bind" --undo default/nest app "$root"
	! mountpoint -q "$root/var/lib/app"
	! mountpoint -q "$root/srv"
' _ "$bind" "$root" "$a" "$b" "$c" "$HELPERS" || _fail "podvolfs-bind in a mount namespace"
! mountpoint -q "$root/var/lib/app" || _fail "bind mount leaked to the host"
_umount_podvolfs
