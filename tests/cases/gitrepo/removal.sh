#!/bin/bash
# TIMEOUT: 60
# A pod removed in the middle of its clone: the clone stops at once and
# nothing of it is left, neither in the tree nor in STATE, nor a process.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git pgrep

git_big big 4
git_daemon_start
git_proxy_start "$GIT_PORT" --rate 300000

cat >"$SRC/slow.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: slow
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: repo
    gitRepo:
      repository: git://127.0.0.1:$PROXY_PORT/big.git
EOF2
_mount_podvolfs "$SRC"
s=$MNT/default/slow/status
_wait_for "grep -q '^repo .* Preparing .*% objects' $s" 20 || _fail "no progress: $(cat "$s")"
uid=$(awk 'NR == 1 { print $4 }' "$s")
[ -n "$(git_helpers)" ] || _fail "no clone process while cloning"
[ -d "$STATE/pods/$uid/volumes/repo" ] || _fail "nothing in STATE while cloning"

rm "$SRC/slow.yaml"
_wait_for "[ ! -e $MNT/default/slow ]" 10 || _fail "the pod is still in the tree"
_wait_for "[ ! -e $STATE/pods/$uid ]" 5 || _fail "left in STATE: $(find "$STATE/pods" | head)"
_wait_for "[ -z \"\$(git_helpers)\" ]" 5 || _fail "clone processes left: $(git_helpers)"
_expect_log "pod default/slow \(uid $uid\) removed"
! grep -q 'volume "repo": .* at ' "$LOGS/podvolfs.log" || _fail "the cancelled clone was served"
_umount_podvolfs
