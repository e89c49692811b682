#!/bin/bash
# TIMEOUT: 60
# A server that stops sending in the middle of the pack: the clone gives up
# after git_timeout seconds and is tried again later (Pending), and nothing
# else waits for it: the pod's other volume, another pod, the status file
# and the unmount all answer at once.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git pgrep

git_big big 1
git_daemon_start
git_proxy_start "$GIT_PORT" --stall-after 350000

cat >"$SRC/stuck.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: stuck
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: repo
    gitRepo:
      repository: git://127.0.0.1:$PROXY_PORT/big.git
  - name: scratch
    emptyDir: {}
---
apiVersion: v1
kind: Pod
metadata:
  name: other
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: data
    emptyDir: {}
EOF2
_allow_log "warning: pod default/stuck volume \"repo\": no data from git://127.0.0.1:$PROXY_PORT/big.git for 2 seconds; trying again in "
_mount_podvolfs "$SRC" -o git_timeout=2
s=$MNT/default/stuck/status
_wait_for "grep -q '^repo .* Preparing .*% objects' $s" 20 || _fail "no progress: $(cat "$s")"

# stalled: everything else answers at once
t0=$(_now_us)
echo x >"$MNT/default/stuck/volumes/scratch/x"
echo y >"$MNT/default/other/volumes/data/y"
cat "$s" >/dev/null
ls "$MNT/default" >/dev/null
[ $(($(_now_us) - t0)) -lt 1000000 ] || _fail "the mount waited for the stalled clone"

wait_state stuck repo Pending 20
vol_field stuck repo 6 "$TMPD/snap" | grep -q "^next try at .*: MountVolume.SetUp failed for volume \"repo\" : no data from git://127.0.0.1:$PROXY_PORT/big.git for 2 seconds$" ||
	_fail "message of a stalled clone: $(vol_field stuck repo 6 "$TMPD/snap")"
[ ! -e "$MNT/default/stuck/volumes/repo" ] || _fail "a directory for a stalled clone"

# the next try stalls again; the unmount does not wait for it
_wait_for "grep -q '^repo .* Preparing ' $s" 20 || _fail "no second try: $(cat "$s")"
t0=$(_now_us)
_umount_podvolfs
[ $(($(_now_us) - t0)) -lt 5000000 ] || _fail "the unmount waited for the stalled clone"
_assert_eq "$(git_helpers)" "" "clone processes left"
