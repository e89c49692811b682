#!/bin/bash
# TIMEOUT: 120
# An nfs server down when its pod starts: the volume is Pending, naming the
# server and port it waits for, while other pods are served; once the
# server is up the volume is Ready with the server's files. Then the server
# goes for good: a read of the volume waits for it, as on a hard mount
# (nfs_timeout=0), and only that read: the tree, the status and another
# pod's emptyDir answer at once, and the daemon still unmounts cleanly. A
# second daemon with nfs_timeout=2 answers the same read with EIO instead.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"
_require_cmd timeout

nfs_server_setup
echo hello >"$NFS_EXPORT/greeting"
nfs_pod down
emptydir_pod other ""
_allow_log 'warning: pod default/down volume "share": cannot mount 127\.0\.0\.1:/export '
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
other=$(vol other data)
s=$MNT/default/down/status

wait_state down share Pending
msg=$(vol_field down share 6 "$TMPD/snap")
[[ $msg == *127.0.0.1* && ($msg == *"port $NFS_PORT"* || $msg == *"port $NFS_MOUNT_PORT"*) ]] ||
	_fail "message of a volume whose server is down: $msg"
[ ! -e "$MNT/default/down/volumes/share" ] || _fail "a directory for a Pending volume"
echo x >"$other/x"

nfs_server_start
wait_state down share Ready 60
_assert_eq "$(cat "$(vol down share)/greeting")" hello "the server's file once it is up"

# A second daemon that waits 2 s at most.
MNT2=$TMPD/bounded
MNT=$MNT2 STATE=$TMPD/state2 _mount_podvolfs "$SRC" -o "$NFS_OPTS,nfs_timeout=2"
MNT=$MNT2 wait_state down share Ready 60

# Gone for good. "later" was never looked up: reading it needs the server.
echo later >"$NFS_EXPORT/later"
nfs_server_stop
_allow_log 'warning: nfs server 127\.0\.0\.1 not responding, still trying'
t0=$SECONDS
_assert_errno EIO read "$MNT2/default/down/volumes/share/later"
[ $((SECONDS - t0)) -le 20 ] || _fail "nfs_timeout=2 took $((SECONDS - t0)) s to give up"
_umount_podvolfs "$MNT2"
_allow_log 'warning: nfs server 127\.0\.0\.1 not responding, still trying'
timeout 100 cat "$(vol down share)/later" >"$TMPD/cat.out" 2>&1 &
cat_pid=$!
timeout 5 ls "$MNT" "$MNT/default" "$MNT/default/down" "$MNT/default/down/volumes" >/dev/null ||
	_fail "listing the tree took more than 5 s with the server gone"
timeout 5 cat "$s" >"$TMPD/status" || _fail "reading the status took more than 5 s with the server gone"
grep -q '^share ' "$TMPD/status" || _fail "status without the volume: $(cat "$TMPD/status")"
timeout 5 sh -c "echo y >'$other/y' && cat '$other/x' '$other/y'" >/dev/null ||
	_fail "another pod's emptyDir took more than 5 s with the server gone"
_wait_for "timeout 5 cat $s 2>/dev/null | grep -q '^share .*server not responding since'" 20 ||
	_fail "the status does not say the server is not responding: $(timeout 5 cat "$s")"
_expect_log 'warning: nfs server 127\.0\.0\.1 not responding, still trying'
kill -0 "$cat_pid" 2>/dev/null || _fail "a read ended while the server is gone: $(cat "$TMPD/cat.out")"

# the waiting read can be killed, and the daemon unmounted
kill "$cat_pid"
_wait_for "! kill -0 $cat_pid 2>/dev/null" 10 || _fail "the waiting read survived SIGTERM"
wait "$cat_pid" || true
_umount_podvolfs

# options out of range are refused by name, and nothing is mounted
for bad in nfs_version=4 nfs_port=70000 nfs_mount_port=-1 nfs_timeout=-1 nfs_actimeo=abc; do
	if "$PODVOLFS" "$SRC" "$MNT" -f -o "state=$STATE,$bad" >"$TMPD/out" 2>&1; then
		_fail "$bad accepted"
	fi
	grep -q "${bad%%=*}" "$TMPD/out" || _fail "$bad: message: $(cat "$TMPD/out")"
done
! "$PODVOLFS" "$SRC" "$MNT" -f -o "state=$STATE,nfs_version=4" >"$TMPD/out" 2>&1 &&
	grep -q 'nfs_version=4: only NFSv3 is offered' "$TMPD/out" ||
	_fail "nfs_version=4 is not refused with the reason: $(cat "$TMPD/out")"
! _is_podvolfs_mount "$MNT" || _fail "mounted after a refused option"
