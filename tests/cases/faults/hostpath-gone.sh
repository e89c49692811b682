#!/bin/bash
# TIMEOUT: 60
# A hostPath whose host directory goes while its pod runs answers as a
# bind mount of it would, call for call: removed (rm -rf), the volume is
# the removed directory, empty, where nothing can be made (ENOENT), and a
# directory made again at the path is not it; a file system lazily
# unmounted from under the path goes on being served, old tree and all,
# writes included. Files open before stay readable; the status stays
# readable and the daemon serves on and stops cleanly.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root
_require_cmd mount umount

gone=$TMPD/gone
fs=$TMPD/fs
ref=$TMPD/ref
mkdir -p "$gone/sub" "$fs" "$ref/gone" "$ref/fs"
echo before >"$gone/f"
echo sub >"$gone/sub/g"
mount -t tmpfs -o size=1m podvolfs-faults "$fs"
_at_exit "umount -l '$fs' 2>/dev/null"
echo tmpfs >"$fs/t"
mkdir "$fs/dir"

# the same paths bind-mounted: what the kernel does is the reference
mount --bind "$gone" "$ref/gone"
_at_exit "umount -l '$ref/gone'"
mount --bind "$fs" "$ref/fs"
_at_exit "umount -l '$ref/fs'"

hostpath_pod hp "gone=$gone:Directory" "fs=$fs:Directory"
_mount_podvolfs "$SRC" -o hostpath_cache=0
wait_state hp gone Ready
wait_state hp fs Ready
v=$MNT/default/hp/volumes
_assert_eq "$(cat "$v/gone/f" "$v/fs/t")" "before"$'\n'"tmpfs" "the volumes before"
exec 5<"$v/gone/f" 6<"$v/fs/t"
_at_exit 'exec 5<&- 6<&-'

# Compares ERRNO-OF-OPERATION through the volume and through the bind
# mount; PATH is relative to both.
same() {
	local op=$1 path=$2 want got

	shift 2
	want=$("$HELPERS/errno-of" "$op" "$ref/$path" "$@")
	got=$("$HELPERS/errno-of" "$op" "$v/$path" "$@")
	[ "$got" = "$want" ] || _fail "$op $path: $got through the volume, $want through a bind mount"
}

rm -rf "$gone"
same stat gone
same readdir gone
same stat gone/f
same stat gone/sub/g
same read gone/f
same open-create gone/new
same mkdir gone/newdir
same symlink x gone/link
[ -z "$(ls -A "$v/gone")" ] || _fail "the removed directory lists: $(ls -A "$v/gone")"
_assert_eq "$(cat <&5)" before "a file of the removed directory, open before"
# made again, the path is another directory, which neither shows
mkdir "$gone"
echo again >"$gone/new"
same stat gone/new
same readdir gone

umount -l "$fs"
same stat fs/t
same read fs/t
same readdir fs
same stat fs/dir
same write fs/w 100
_assert_eq "$(cat "$v/fs/t")" tmpfs "the unmounted file system through the volume"
_assert_eq "$(wc -c <"$ref/fs/w")" 200 "both writes, in the one unmounted file system"
_assert_eq "$(cat <&6)" tmpfs "a file open before the unmount"
[ ! -e "$fs/t" ] || _fail "the path shows the unmounted file system"

grep -q '^gone .* Ready ' "$MNT/default/hp/status" &&
	grep -q '^fs .* Ready ' "$MNT/default/hp/status" ||
	_fail "status: $(cat "$MNT/default/hp/status")"
exec 5<&- 6<&-
_umount_podvolfs
