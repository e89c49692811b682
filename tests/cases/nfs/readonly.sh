#!/bin/bash
# TIMEOUT: 60
# An nfs volume with readOnly: true is read-only in every view: each
# mutating syscall fails with EROFS and changes nothing on the server
# (tests/helpers/ro-probe.c, without xattrs, which NFSv3 has not), while
# reads work, of the server's files from before the mount and after it.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"

nfs_server_setup
echo hello >"$NFS_EXPORT/f"
mkdir "$NFS_EXPORT/d"
ln -s f "$NFS_EXPORT/l"
nfs_server_start
nfs_pod ro true
# renames and links into the volume come from a writable directory of
# the same mount
emptydir_pod rw ""
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_state ro share Ready
echo w >"$(vol rw data)/w"

for view in "$(vol ro share)" "$MNT/default/ro/containers/app/share"; do
	"$HELPERS/ro-probe" --no-xattr "$view" "$(vol rw data)" >"$TMPD/probe" ||
		_fail "ro-probe on $view: $(grep -v '^ok' "$TMPD/probe")"
done

# The server's files, and one it gets now, read through the volume.
echo later >"$NFS_EXPORT/later"
_assert_eq "$(cat "$(vol ro share)/later")" later "a file made on the server"
_assert_eq "$(cat "$MNT/default/ro/containers/app/share/f")" hello "a file of the server"
_assert_eq "$(readlink "$(vol ro share)/l")" f "a symlink of the server"
_assert_eq "$(cd "$NFS_EXPORT" && find . | LC_ALL=C sort | tr '\n' ' ')" ". ./d ./f ./l ./later " \
	"the export after the probes"
_assert_eq "$(cat "$NFS_EXPORT/f")" hello "the probed file on the server"
_umount_podvolfs
