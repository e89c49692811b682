#!/bin/bash
# TIMEOUT: 60
# Each request to the server carries its caller's uid and gids (AUTH_SYS):
# files made through an nfs volume belong on the server to the process
# that made them, the server refuses what its modes refuse, and root is
# root there unless the server squashes it.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"

nfs_server_setup
mkdir "$NFS_EXPORT/pub"
chmod 1777 "$NFS_EXPORT/pub"
echo secret >"$NFS_EXPORT/secret"
chmod 0600 "$NFS_EXPORT/secret"
nfs_server_start
nfs_pod own
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_state own share Ready
d=$(vol own share)
e=$NFS_EXPORT

_as_user 1000 sh -c "umask 022; echo hi > '$d/pub/mine' && mkdir '$d/pub/dir' && ln -s mine '$d/pub/link'" ||
	_fail "uid 1000 cannot make files in a 1777 directory of the volume"
_assert_eq "$(stat -c '%u %g %a' "$e/pub/mine")" "1000 1000 644" "file made by uid 1000, on the server"
_assert_eq "$(stat -c '%u %g %a' "$e/pub/dir")" "1000 1000 755" "directory made by uid 1000, on the server"
_assert_eq "$(stat -c '%u %g' "$e/pub/link")" "1000 1000" "symlink made by uid 1000, on the server"
_assert_eq "$(stat -c '%u %g %a' "$d/pub/mine")" "1000 1000 644" "file made by uid 1000, in the volume"
_as_user 1000:2000 sh -c "echo hi > '$d/pub/other-group'" || _fail "uid 1000 with gid 2000 cannot make a file"
_assert_eq "$(stat -c '%u %g' "$e/pub/other-group")" "1000 2000" "file made by uid 1000 with gid 2000"

# Refused as the modes say, whether the kernel or the server checks.
_assert_errno EACCES --as 1000 read "$d/secret"
_assert_errno EACCES --as 1000 open-create "$d/nope"
_assert_errno EPERM --as 1000 chown "$d/pub/mine" 0 0
_assert_errno EACCES --as 1001 open-write "$d/pub/mine"
_assert_errno 0 read "$d/secret"
[ ! -e "$e/nope" ] || _fail "uid 1000 made a file in root's 0755 directory"

# With root squashed, root is 65534 on the server: its files, and no
# right to root's 0600 file, which the kernel alone would have granted.
_umount_podvolfs
nfs_server_stop
NFS_SQUASH=Root_Squash nfs_server_start
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_state own share Ready
echo x >"$d/pub/squashed"
_assert_eq "$(stat -c '%u %g' "$e/pub/squashed")" "65534 65534" "file made by a squashed root"
_assert_errno EACCES read "$d/secret"
_umount_podvolfs
