#!/bin/bash
# TIMEOUT: 60
# A hostPath whose path is a file, a socket or a device: the volume's root
# is that object. A file root is read, written, truncated, chmod'ed and
# given xattrs like any file, and stays the object the volume was set up
# with (as a bind mount does) when the host renames another file over its
# path. A socket root cannot be connected to (what works and what does
# not is in docs/design/hostpath.md); sockets bound through the mount can.
# Device roots open only on a mount made with -o dev.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root
_require_cmd setfattr getfattr mknod

h=$TMPD/host
probe=$HELPERS/hostpath-probe
mkdir -p "$h/dir"
printf 'hello\n' >"$h/file"
"$probe" sock-bind "$h/sock"
chmod 0640 "$h/sock"
mknod "$h/blk" b 7 201 || _notrun "cannot make a block device"
hostpath_pod obj "file=$h/file:File" "sock=$h/sock:Socket" "devnull=/dev/null:CharDevice" \
	"blk=$h/blk:BlockDevice" "dir=$h/dir:Directory"
_mount_podvolfs "$SRC"
v=$MNT/default/obj/volumes

# A file root
f=$v/file
_assert_eq "$(cat "$f")" hello "read"
echo world >>"$f"
_assert_eq "$(cat "$h/file")" "hello
world" "append reaches the host"
_assert_eq "$(stat -c %i "$f")" "$(stat -c %i "$f")" "stable inode"
truncate -s 3 "$f" && _assert_eq "$(cat "$h/file")" hel "truncate"
chmod 0600 "$f" && _assert_eq "$(stat -c %a "$h/file")" 600 "chmod reaches the host"
touch -d '2001-02-03 04:05:06.123456789' "$f"
_assert_eq "$(stat -c %y "$h/file")" "2001-02-03 04:05:06.123456789 +0000" "nanosecond mtime"
setfattr -n user.k -v val "$f"
_assert_eq "$(getfattr --absolute-names --only-values -n user.k "$h/file")" val "xattr on the host"
_assert_errno 0 mmap-shared-write "$f"
_assert_errno ENOTDIR stat "$f/x"
# The host replaces the file by rename: the volume keeps the object it was
# set up with, as a bind mount of a file does
echo new >"$h/file.new" && mv "$h/file.new" "$h/file"
sleep 1.2
_assert_eq "$(cat "$f")" hel "the original object after a rename over its path"
_assert_eq "$(stat -c %h "$f")" 0 "the original object has no name left"

# A socket root: its mode and owner are the host's; connect() reaches the
# FUSE inode, which no socket is bound to
_assert_eq "$(stat -c '%F %a' "$v/sock")" "socket 640" "socket root"
_assert_eq "$("$probe" sock-connect "$v/sock")" ECONNREFUSED "connect to a socket root"
setfattr -n trusted.k -v s "$v/sock"
_assert_eq "$(getfattr --absolute-names --only-values -n trusted.k "$h/sock")" s "xattr of a socket root"
# A socket bound through the mount is reachable through the mount
"$probe" sock-serve "$v/dir/s" >"$TMPD/serve" &
server=$!
_wait_for 'grep -q ready "$TMPD/serve"'
_assert_eq "$(stat -c %F "$h/dir/s")" socket "the socket file on the host"
_assert_eq "$("$probe" sock-connect "$v/dir/s")" hello "connect through the mount"
wait "$server"

# Devices: what the host has, and opened only with -o dev
_assert_eq "$(stat -c '%F %t:%T' "$v/devnull" "$v/blk")" "character special file 1:3
block special file 7:c9" "device roots"
_assert_errno EACCES read "$v/devnull"
case $(_mount_options "$MNT") in
*nodev*) ;;
*) _fail "podvolfs mounts without nodev by default: $(_mount_options "$MNT")" ;;
esac
mkdir -p "$TMPD/m2"
MNT=$TMPD/m2 _mount_podvolfs "$SRC" -o dev
_assert_errno 0 read "$TMPD/m2/default/obj/volumes/devnull"
echo gone >"$TMPD/m2/default/obj/volumes/devnull"
_umount_podvolfs "$TMPD/m2"
_umount_podvolfs
