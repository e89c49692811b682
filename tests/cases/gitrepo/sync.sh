#!/bin/bash
# TIMEOUT: 60
# git-sync without a sidecar: with podvolfs.io/git-sync-period the volume
# follows its branch. Each new commit is checked out beside the served one
# and swapped in at once, in the volume and in the container's view: a
# reader that walks the tree from one directory never sees two commits,
# a file open in the old commit stays readable, and the old checkout goes
# once nothing holds it. A failed fetch keeps the served commit and says so.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/git.sh"
_require_cmd git pgrep

# commit N: every line of every file reads "vN"
commit() {
	local f

	for f in $(seq 12); do
		awk -v v="v$1" 'BEGIN { for (i = 0; i < 2000; i++) print v }' >"$TMPD/work/site/f$f.txt"
	done
	git_commit site "v$1"
}
git_work site
commit 1
git_publish site
git_daemon_start

cat >"$SRC/synced.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: synced
  annotations:
    podvolfs.io/git-sync-period: 1s
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: html
      mountPath: /srv
      subPath: site
  volumes:
  - name: html
    gitRepo:
      repository: git://127.0.0.1:$GIT_PORT/site.git
      revision: main
EOF2
_mount_podvolfs "$SRC"
v=$MNT/default/synced/volumes/html
wait_state synced html Ready
sha() { git -C "$TMPD/work/site" rev-parse --short=7 HEAD; }
vol_field synced html 6 | grep -Eq "^at $(sha) \(main\), synced [0-9-]{10}T[0-9:]{8}Z$" ||
	_fail "status of a synced volume: $(vol_field synced html 6)"
uid=$(awk 'NR == 1 { print $4 }' "$MNT/default/synced/status")
d=$STATE/pods/$uid/volumes/html

# a reader: each pass enters the tree once and reads every file from there
reader() {
	local lines

	while [ ! -e "$TMPD/stop" ]; do
		lines=$(cd "$v/site" && cat f*.txt | sort -u | tr '\n' ' ') || continue
		case $lines in
		"v"[0-9]" ") echo "$lines" >>"$TMPD/seen" ;;
		*) echo "mixed: $lines" >>"$TMPD/bad" ;;
		esac
	done
}
reader &
reader_pid=$!
exec 7<"$v/site/f1.txt"

commit 2
git_publish site
_wait_for "vol_field synced html 6 | grep -q '^at $(sha) '" 20 || _fail "commit 2 not synced: $(vol_field synced html 6)"
_assert_eq "$(sort -u <&7)" v1 "a file open in the old commit"
exec 7<&-
commit 3
git_publish site
_wait_for "vol_field synced html 6 | grep -q '^at $(sha) '" 20 || _fail "commit 3 not synced: $(vol_field synced html 6)"
_wait_for "grep -q v3 $TMPD/seen" 10 || _fail "the reader never saw commit 3"
touch "$TMPD/stop"
wait "$reader_pid"
[ ! -e "$TMPD/bad" ] || _fail "a reader saw two commits at once: $(head -3 "$TMPD/bad")"
echo "passes of the reader: $(sort "$TMPD/seen" | uniq -c | tr '\n' ' ')"
_assert_eq "$(sort -u "$v/site/f7.txt")" v3 "the volume after the syncs"
_assert_eq "$(sort -u "$MNT/default/synced/containers/app/srv/f7.txt")" v3 "the container's view after the syncs"

# nothing holds the old checkouts any more: they go
_wait_for "[ \$(ls $d | grep -c '^rev-\\|^dead-') = 1 ]" 20 || _fail "old checkouts left: $(ls "$d")"
# (a tmp- checkout may be in the making: a sync runs every second)
_assert_eq "$(ls "$d" | grep -v '^rev-\|^tmp-')" "$(printf 'current\nrepo.git')" "the volume's state"

# the server goes away: the commit stays served, status says what failed
_allow_log "warning: pod default/synced volume \"html\": re-sync failed: failed to fetch git://127.0.0.1:$GIT_PORT/site.git: "
_stop_server "$GIT_DAEMON_PID"
_wait_for "vol_field synced html 6 | grep -q ', last failure '" 20 || _fail "no failure in status: $(vol_field synced html 6)"
vol_field synced html 6 | grep -Eq "^at $(sha) \(main\), synced .*Z, last failure [0-9-]{10}T[0-9:]{8}Z: failed to fetch git://127.0.0.1:$GIT_PORT/site.git: failed to connect" ||
	_fail "status after a failed sync: $(vol_field synced html 6)"
_assert_eq "$(vol_field synced html 3)" Ready "state after a failed sync"
_assert_eq "$(sort -u "$v/site/f1.txt")" v3 "the volume after a failed sync"
_umount_podvolfs
