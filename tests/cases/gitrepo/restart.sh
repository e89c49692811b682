#!/bin/bash
# TIMEOUT: 60
# The daemon killed in the middle of a clone: the clone process dies with
# it, and the next start clones again from nothing, never serving the half
# checkout it finds.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git pgrep sha256sum

git_big big 4
git_daemon_start
git_proxy_start "$GIT_PORT" --rate 600000

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
d=$STATE/pods/$uid/volumes/repo
_kill_podvolfs KILL
_wait_for "[ -z \"\$(git_helpers)\" ]" 5 || _fail "clone processes outlived the daemon: $(git_helpers)"
[ ! -e "$d/current" ] || _fail "a record of a clone cut short"
ls "$d" | grep -q '^tmp-' || _fail "no partial checkout to recover from: $(ls "$d")"

_mount_podvolfs "$SRC"
[ ! -e "$MNT/default/slow/volumes/repo" ] || _fail "the half checkout is served"
state=$(vol_field slow repo 3)
[ "$state" = Pending ] || [ "$state" = Preparing ] || _fail "state after the restart: $state"
wait_state slow repo Ready 40
(cd "$TMPD/work/big" && sha256sum data/* README) >"$TMPD/want"
(cd "$MNT/default/slow/volumes/repo/big" && sha256sum data/* README) >"$TMPD/got"
cmp "$TMPD/want" "$TMPD/got" || _fail "the clone differs from the repository"
left=$(ls "$d" | grep -v '^rev-\|^current$' || true)
_assert_eq "$left" "" "leftovers beside the checkout"
_umount_podvolfs
