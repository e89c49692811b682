#!/bin/bash
# TIMEOUT: 60
# A daemon that goes to the background (no -f) clones too: its workers are
# started after the fork, and it exits cleanly when unmounted.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git pgrep fusermount3

git_work site
echo hello >"$TMPD/work/site/index.html"
git_commit site one
git_publish site
cat >"$SRC/bg.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: bg
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: repo
      mountPath: /repo
  volumes:
  - name: repo
    gitRepo:
      repository: file://$REPOS/site.git
EOF2
mkdir -p "$MNT"
"$PODVOLFS" "$SRC" "$MNT" -o "state=$STATE,allow_local_git" >>"$LOGS/podvolfs.log" 2>&1 </dev/null
_at_exit "fusermount3 -u -z $(printf %q "$MNT") 2>/dev/null || true"
_is_podvolfs_mount "$MNT" || _fail "not mounted"
wait_state bg repo Ready
_assert_eq "$(cat "$MNT/default/bg/containers/app/repo/site/index.html")" hello "the clone of a daemon in the background"
fusermount3 -u "$MNT"
_wait_for "! pgrep -f -- '$PODVOLFS $SRC ' >/dev/null" 10 ||
	_fail "the daemon did not exit after the unmount"
