#!/bin/bash
# TIMEOUT: 60
# subPath symlinks are resolved once, inside the volume: links that leave it
# stop the container with CreateContainerConfigError and a subPath message
# (ln -s /bin x, ln -s ../ x, ln -s /bin/nothing x, a dangling link), links
# that stay inside work; and a symlink swapped in after the view was made is
# never followed (CVE-2017-1002101, CVE-2021-25741): the view keeps the
# directory it resolved.
. "$REPO/tests/lib/common.sh"

mounts=
for name in abs up dangling-abs dangling loop deep; do
	mounts="$mounts
  - name: $name
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /ok, subPath: fine}
    - {name: data, mountPath: /x, subPath: $name/sub}"
done
cat >"$SRC/ln.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: ln
spec:
  containers:$mounts
  - name: inside
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /x, subPath: inside/sub}
  - name: swap
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /x, subPath: swap}
    - {name: mem, mountPath: /m, subPath: swap}
    - {name: data, mountPath: /file, subPath: swapfile}
  volumes:
  - name: data
    emptyDir: {}
  - name: mem
    emptyDir: {medium: Memory}
YAML
_mount_podvolfs "$SRC"
pod=$MNT/default/ln
vol=$pod/volumes/data

# The first start made every subPath a directory. Make "swapfile" a file,
# and each "<name>" a symlink, then restart: a container restart re-makes
# its mounts.
rmdir "$vol/swapfile"
echo mine >"$vol/swapfile"
for name in abs up dangling-abs dangling loop deep inside; do
	rm -r "${vol:?}/$name"
done
ln -s /bin "$vol/abs"
ln -s ../ "$vol/up"
ln -s /bin/nothing "$vol/dangling-abs"
ln -s nothing "$vol/dangling"
ln -s loop "$vol/loop"
mkdir -p "$vol/real/a"
ln -s ../../.. "$vol/real/a/b"
ln -s real/a/b "$vol/deep"
mkdir -p "$vol/real/sub"
echo in >"$vol/real/sub/f"
ln -s real "$vol/inside"
_allow_log 'warning: pod default/ln container "[a-z-]+": CreateContainerConfigError: failed to (prepare subPath|create subPath directory) for volumeMount "data" of container "[a-z-]+"'
_restart_podvolfs
status=$pod/status

expect() {
	grep -q "^$1  *app  *CreateContainerConfigError  *$2 for volumeMount \"data\" of container \"$1\"\$" "$status" ||
		_fail "$1: expected '$2': $(cat "$status")"
	_assert_eq "$(ls -A "$pod/containers/$1")" "" "$1 has no views"
}
expect abs "failed to prepare subPath"
expect up "failed to prepare subPath"
expect dangling-abs "failed to create subPath directory"
expect dangling "failed to create subPath directory"
expect loop "failed to prepare subPath"
expect deep "failed to prepare subPath"
grep -q '^inside  *app  *Ready  *-$' "$status" || _fail "inside: $(cat "$status")"
_assert_eq "$(cat "$pod/containers/inside/x/f")" in "a link inside the volume"
# Nothing was made outside the volume, nor through the dangling links.
[ ! -e /bin/nothing ] || _fail "/bin/nothing was made"
[ ! -e "$vol/nothing" ] || _fail "a dangling link's target was made"
[ ! -e "$pod/volumes/sub" ] || _fail "a directory was made above the volume"

# The swap race, on disk and in memory: the views exist; replace what they
# resolved by symlinks to / through the volume's own path.
for v in data mem; do
	echo marker >"$pod/volumes/$v/swap/marker"
done
_assert_eq "$(cat "$pod/containers/swap/x/marker")" marker "view before the swap"
for v in data mem; do
	mv "$pod/volumes/$v/swap" "$pod/volumes/$v/swap.old"
	ln -s / "$pod/volumes/$v/swap"
done
for d in x m; do
	_assert_eq "$(ls "$pod/containers/swap/$d")" marker "view $d after the swap"
	[ ! -e "$pod/containers/swap/$d/etc/passwd" ] || _fail "view $d followed the swapped symlink"
done
# Removing the resolved directory and planting a link: empty, never /.
rm -r "$vol/swap.old"
[ ! -e "$pod/containers/swap/x/etc" ] || _fail "view followed a link after removal"
_assert_eq "$(ls "$pod/containers/swap/x" 2>/dev/null || true)" "" "view of a removed directory"
# A file leaf swapped for a symlink to a host file keeps the old file.
_assert_eq "$(cat "$pod/containers/swap/file")" mine "file leaf"
mv "$vol/swapfile" "$vol/swapfile.old"
ln -s /etc/passwd "$vol/swapfile"
_assert_eq "$(cat "$pod/containers/swap/file")" mine "file leaf after the swap"
