#!/bin/bash
# TIMEOUT: 60
# The classic fortune pod: the tree, its status, and a volume used as a user would.
. "$REPO/tests/lib/common.sh"

cp "$REPO/examples/fortune.yaml" "$SRC/"
_mount_podvolfs "$SRC"

_assert_eq "$(ls "$MNT")" default "namespaces"
_assert_eq "$(ls "$MNT/default")" fortune "pods"
_assert_eq "$(ls "$MNT/default/fortune" | tr '\n' ' ')" "containers status status.json volumes " "pod directory"
_assert_eq "$(ls "$MNT/default/fortune/volumes")" html "volumes"

html=$MNT/default/fortune/volumes/html
_assert_eq "$(stat -c %a "$html")" 777 "disk emptyDir root mode"
date > "$html/index.html"
cp "$html/index.html" "$TMPD/copy"
cmp "$html/index.html" "$TMPD/copy"

# The status file: one line per volume.
grep -q '^pod default/fortune uid [0-9a-f-]\{36\}$' "$MNT/default/fortune/status" ||
	_fail "status header: $(head -n 1 "$MNT/default/fortune/status")"
grep -q '^html *emptyDir,medium=disk *Ready ' "$MNT/default/fortune/status" ||
	_fail "status line: $(cat "$MNT/default/fortune/status")"

# Virtual levels: read-only, sensible modes, and the usual tools work.
_assert_eq "$(stat -c '%A %u' "$MNT/default/fortune")" "dr-xr-xr-x 0" "pod directory mode"
_assert_eq "$(stat -c '%A' "$MNT/default/fortune/status")" "-r--r--r--" "status mode"
_assert_errno EROFS mkdir "$MNT/default/new"
_assert_errno EROFS mkdir "$MNT/new"
_assert_errno EROFS open-write "$MNT/default/fortune/status"
_assert_errno EROFS unlink "$MNT/default/fortune/status"
_assert_errno EROFS rename "$MNT/default/fortune/volumes/html" "$MNT/default/fortune/volumes/x"
_assert_errno EROFS setxattr "$MNT/default/fortune" user.a b
_assert_errno EROFS chmod "$MNT/default" 0777
# ls -l, find and du see the same inode numbers as stat.
ls -lR "$MNT" >/dev/null
find "$MNT" -printf '%i %p\n' | sort >"$TMPD/find"
while read -r ino path; do
	_assert_eq "$(stat -c %i "$path")" "$ino" "inode of $path"
done <"$TMPD/find"
_assert_eq "$(find "$MNT" -type f | sort | tr '\n' ' ')" \
	"$MNT/.podvolfs/daemon.json $MNT/.podvolfs/events $MNT/.podvolfs/events.json $MNT/.podvolfs/persistentvolumeclaims $MNT/.podvolfs/persistentvolumeclaims.json $MNT/.podvolfs/persistentvolumes $MNT/.podvolfs/persistentvolumes.json $MNT/.podvolfs/storageclasses $MNT/.podvolfs/storageclasses.json $MNT/default/fortune/containers/html-generator/var/htdocs/index.html $MNT/default/fortune/containers/web-server/usr/share/nginx/html/index.html $MNT/default/fortune/status $MNT/default/fortune/status.json $html/index.html " "files found"
du -s "$MNT" >/dev/null
# Inode numbers are unique across the tree; the containers' views of a
# volume show its objects with the volume's own numbers, as bind mounts do.
_assert_eq "$(grep -v ' [^ ]*/containers/' "$TMPD/find" | cut -d' ' -f1 | sort | uniq -d)" "" \
	"duplicate inode numbers"
_assert_eq "$(stat -c %i "$MNT/default/fortune/containers/web-server/usr/share/nginx/html/index.html")" \
	"$(stat -c %i "$html/index.html")" "inode number through a view"
_umount_podvolfs
