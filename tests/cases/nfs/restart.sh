#!/bin/bash
# TIMEOUT: 180
# ganesha restarted in the middle of a 200 MiB copy into an nfs volume: the
# copy waits through the restart, as on a hard mount, and completes; every
# byte reaches the server, also what the old server took as unstable
# writes and never committed.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"
_require_cmd sha256sum

head -c 200M /dev/urandom >"$TMPD/big"
want=$(sha256sum <"$TMPD/big")
nfs_server_start
nfs_pod copy
_allow_log 'warning: nfs server 127\.0\.0\.1 not responding, still trying'
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_state copy share Ready

cp "$TMPD/big" "$(vol copy share)/big" &
cp_pid=$!
_wait_for "[ \$(stat -c %s $NFS_EXPORT/big 2>/dev/null || echo 0) -ge $((20 << 20)) ]" 60 ||
	_fail "the copy did not start"
kill -0 "$cp_pid" 2>/dev/null || _fail "the copy ended before the restart: make it bigger"
echo "restarting ganesha with $(($(stat -c %s "$NFS_EXPORT/big") >> 20)) MiB on the server"
nfs_server_restart 1
_wait_for "! kill -0 $cp_pid 2>/dev/null" 120 || _fail "the copy did not end within 120 s of the restart"
status=0
wait "$cp_pid" || status=$?
_assert_eq "$status" 0 "exit status of the copy"
_assert_eq "$(stat -c %s "$NFS_EXPORT/big")" $((200 << 20)) "size on the server"
_assert_eq "$(sha256sum <"$NFS_EXPORT/big")" "$want" "checksum on the server"
_umount_podvolfs
