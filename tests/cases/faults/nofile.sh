#!/bin/bash
# TIMEOUT: 60
# The daemon at its open-file limit (RLIMIT_NOFILE 64). Each open file of
# a disk emptyDir or a hostPath holds one of the daemon's descriptors: once
# they are all taken, what needs one more fails with ENFILE, a limit outside
# the caller (EMFILE would blame the caller's own), and the log says why;
# a Memory emptyDir kept in the daemon's memory (-o memory_medium=daemon)
# and the status file, which need none, go on working. A
# manifest added meanwhile cannot be read then: the log says so, nothing
# changes, and it is read once descriptors are free again. Closing the
# files brings everything back, with every byte in place.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_cmd prlimit

host=$TMPD/host
mkdir "$host"
cat >"$SRC/files.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: files
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: disk
    emptyDir: {}
  - name: ram
    emptyDir:
      medium: Memory
  - name: host
    hostPath:
      path: $host
EOF
PODVOLFS_WRAPPER="prlimit --nofile=64:64 --" _mount_podvolfs "$SRC" -o memory_medium=daemon
v=$MNT/default/files/volumes
for i in $(seq 100); do
	echo "file $i" >"$v/disk/f$i" || _fail "writing file $i"
done

# hold files open until the daemon has no descriptor left
fds=()
n=0
for i in $(seq 100); do
	{ exec {fd}<"$v/disk/f$i"; } 2>/dev/null || break
	fds+=("$fd")
	n=$i
done
_at_exit 'for fd in "${fds[@]}"; do exec {fd}<&-; done'
[ "$n" -ge 20 ] && [ "$n" -lt 64 ] || _fail "$n files open at a limit of 64"
_assert_errno ENFILE read "$v/disk/f$((n + 1))"
_assert_errno ENFILE open-create "$v/disk/new"
_assert_errno ENFILE open-create "$v/host/new"
_expect_log 'warning: at the limit of 64 open files \(RLIMIT_NOFILE\): requests that need one more fail with ENFILE'

# what needs no descriptor is served
echo ram >"$v/ram/r"
_assert_eq "$(cat "$v/ram/r")" ram "a Memory emptyDir at the limit"
grep -q '^disk .* Ready ' "$MNT/default/files/status" ||
	_fail "status at the limit: $(cat "$MNT/default/files/status")"

# a manifest added now waits
_allow_log "error: $SRC: cannot read: Too many open files; nothing changed"
emptydir_pod later ""
_expect_log "error: $SRC: cannot read: Too many open files; nothing changed"
[ ! -e "$MNT/default/later" ] || _fail "a pod appeared while SOURCE could not be read"

for fd in "${fds[@]}"; do
	exec {fd}<&-
done
fds=()
_expect_log "notice: $SRC: can be read again" 5
_wait_for "[ -d '$MNT/default/later' ]" 5 || _fail "the pod added at the limit did not appear"
for i in $(seq 100); do
	read -r line <"$v/disk/f$i" && [ "$line" = "file $i" ] ||
		_fail "file $i after the limit: '$line'"
done
echo host >"$v/host/h"
_assert_eq "$(cat "$host/h")" host "the hostPath after the limit"
_umount_podvolfs
