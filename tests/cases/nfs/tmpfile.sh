#!/bin/bash
# TIMEOUT: 60
# O_TMPFILE on an nfs volume, which NFS itself has not: the unnamed file
# lives on the server under a hidden name of its own while it is open,
# with no link to show; linkat names it there, with its bytes and its
# caller's ownership; at its last close the hidden name goes, so a file
# never named leaves nothing behind. A read-only volume refuses it.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"

_require_root
_libfuse_at_least 3.17 ||
	_notrun "the tmpfile op needs libfuse 3.17: $("$PODVOLFS" --version)"

nfs_server_setup
chmod 777 "$NFS_EXPORT"
nfs_server_start
nfs_pod tmp
nfs_pod ro true
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_state tmp share Ready
wait_state ro share Ready
d=$(vol tmp share)
e=$NFS_EXPORT
x4k=$(head -c 4096 /dev/zero | tr '\0' x)

_assert_eq "$("$HELPERS/tmpfile" "$d" 100K)" 0 "an unnamed file"
_assert_eq "$(ls -A "$e")" "" "the export after an unnamed file's close"

_assert_eq "$("$HELPERS/tmpfile" "$d" 4096 --link named)" 0 "a file named by linkat"
_assert_eq "$(cat "$d/named")" "$x4k" "the named file's bytes"
_assert_eq "$(stat -c '%s %h %a %u' "$d/named")" "4096 1 640 0" \
	"the named file's size, links, mode and owner"
_assert_eq "$(stat -c '%s %h %a %u' "$e/named")" "4096 1 640 0" \
	"the named file on the server"
_assert_eq "$(_as_user 1000 "$HELPERS/tmpfile" "$d" 10 --link mine)" 0 \
	"another user's"
_assert_eq "$(stat -c '%s %u %g' "$e/mine")" "10 1000 1000" \
	"another user's file on the server"
_assert_eq "$(ls -A "$d" | tr '\n' ' ')" "mine named " "the names in the volume"
_assert_eq "$(ls -A "$e" | tr '\n' ' ')" "mine named " "the names on the server"

# While open, the file is on the server under its hidden name only.
_tmpfile_hold "$d" 64K
hidden=$(cd "$e" && ls -A | grep -v -x -e mine -e named)
[[ $hidden == .podvolfs-tmpfile-* ]] ||
	_fail "the open unnamed file on the server: '$hidden'"
_assert_eq "$(stat -c '%s %h' "$e/$hidden")" "65536 1" "the hidden file on the server"
_assert_eq "$(stat -c '%s %h' "$d/$hidden")" "65536 0" "the hidden name in the volume"
_tmpfile_close
_assert_eq "$(ls -A "$e" | tr '\n' ' ')" "mine named " "the server after the close"

_assert_eq "$("$HELPERS/tmpfile" "$(vol ro share)" 1 || true)" EROFS \
	"an unnamed file in a read-only volume"
_umount_podvolfs
