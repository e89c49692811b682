#!/bin/bash
# TIMEOUT: 180
# Real programs on a hostPath: git clone of a local repository, tar of a
# source tree in and out with identical checksums, SQLite with concurrent
# writers, and flock/fcntl locks contended by two processes, through the
# mount and against a process on the host.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root
_require_cmd git tar sqlite3 flock sha256sum

h=$TMPD/host
mkdir -p "$h"
hostpath_pod prog "v=$h:Directory"
_mount_podvolfs "$SRC"
v=$MNT/default/prog/volumes/v

# git: a local repository with a few commits, cloned into the volume
git init -q "$TMPD/repo"
for i in 1 2 3; do
	echo "line $i" >>"$TMPD/repo/file" && cp -r "$REPO/src" "$TMPD/repo/src$i" &&
		git -C "$TMPD/repo" add -A &&
		git -C "$TMPD/repo" -c user.name=t -c user.email=t@t commit -q -m "c$i" || _fail "making the repository"
done
git clone -q "$TMPD/repo" "$v/clone"
git -C "$v/clone" fsck --strict --no-progress 2>&1 | { ! grep . ; }
_assert_eq "$(git -C "$v/clone" rev-parse HEAD)" "$(git -C "$TMPD/repo" rev-parse HEAD)" "cloned HEAD"
_assert_eq "$(git -C "$v/clone" status --porcelain)" "" "clean work tree"
_assert_eq "$(git -C "$h/clone" rev-parse HEAD)" "$(git -C "$TMPD/repo" rev-parse HEAD)" "the clone on the host"
echo change >>"$v/clone/file" && git -C "$v/clone" -c user.name=t -c user.email=t@t commit -qam change

# tar: a tree in and out, byte for byte
sums() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum)
}
tree=/usr/include
tar -C "$tree" -cf - . | tar -C "$v" --one-top-level=inc -xf -
[ "$(sums "$tree")" = "$(sums "$v/inc")" ] || _fail "tar in: checksums differ"
[ "$(sums "$tree")" = "$(sums "$h/inc")" ] || _fail "tar in: checksums differ on the host"
mkdir "$TMPD/back"
tar -C "$v/inc" -cf - . | tar -C "$TMPD/back" -xf -
[ "$(sums "$tree")" = "$(sums "$TMPD/back")" ] || _fail "tar out: checksums differ"

# SQLite: concurrent writers through the mount and on the host
db=$v/test.db
sqlite3 "$db" 'PRAGMA journal_mode=DELETE; CREATE TABLE t(w INTEGER, i INTEGER);' >/dev/null
writer() {
	local w=$1 path=$2 i

	for i in $(seq 1 50); do
		echo "INSERT INTO t VALUES($w, $i);"
	done | sed '1i .timeout 30000' | sqlite3 "$path"
}
pids=()
for w in 1 2 3 4; do
	writer "$w" "$db" &
	pids+=($!)
done
for w in 5 6; do
	writer "$w" "$h/test.db" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || _fail "a sqlite writer failed"
done
_assert_eq "$(sqlite3 "$db" 'PRAGMA integrity_check;')" ok "integrity_check"
_assert_eq "$(sqlite3 "$db" 'SELECT count(*), count(DISTINCT w) FROM t;')" "300|6" "rows"

# flock(1): a second process waits for the first, through the mount and on the host
lk=$v/lockfile
flock "$lk" -c "touch $TMPD/held; sleep 1.5" &
holder=$!
_wait_for '[ -e "$TMPD/held" ]'
flock -n "$lk" true && _fail "flock -n got a held lock through the mount"
flock -n "$h/lockfile" true && _fail "flock -n got a held lock on the host"
start=$EPOCHREALTIME
flock "$lk" true
waited=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print (b - a >= 0.5) ? "yes" : "no" }')
_assert_eq "$waited" yes "flock waited for the holder"
wait "$holder"
flock -n "$lk" true || _fail "flock after release"
# An interrupted waiter gets its answer at once
flock "$lk" -c "touch $TMPD/held2; sleep 3" &
holder=$!
_wait_for '[ -e "$TMPD/held2" ]'
st=0
timeout 0.5 flock "$lk" true || st=$?
_assert_eq "$st" 124 "a waiter killed by timeout"
wait "$holder"

# Whether process $1 runs: not gone, and not a zombie (bash reaps its
# children as they exit, but may not have yet).
running() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) && [[ $stat != *") Z "* ]]
}

# fcntl: byte ranges, through the mount and against the host. The holder
# keeps its lock long enough for the probes on a loaded machine; that
# F_SETLKW waited for it is told by the holder having exited when the
# waiter gets the lock, not by a time.
probe=$HELPERS/hostpath-probe
"$probe" lock "$lk" 0 10 4000 >"$TMPD/l1" &
holder=$!
_wait_for 'grep -q locked "$TMPD/l1"'
_assert_eq "$("$probe" lock "$lk" 5 10 0)" EAGAIN "overlapping range through the mount"
_assert_eq "$("$probe" lock "$h/lockfile" 5 10 0)" EAGAIN "overlapping range on the host"
_assert_eq "$("$probe" lock "$lk" 10 10 0)" locked "disjoint range"
_assert_eq "$("$probe" getlk "$lk" 0 0)" F_WRLCK "F_GETLK sees the lock"
_assert_eq "$("$probe" getlk "$h/lockfile" 0 0)" F_WRLCK "F_GETLK on the host sees the lock"
running "$holder" || _fail "the holder exited before F_SETLKW was tried"
_assert_eq "$("$probe" lock "$lk" 0 1 0 wait)" locked "F_SETLKW after the holder"
! running "$holder" || _fail "F_SETLKW got the lock while the holder held it"
wait "$holder"
_assert_eq "$("$probe" getlk "$lk" 0 0)" unlocked "locks go with their process"
# A lock held on the host blocks a process using the mount
"$probe" lock "$h/lockfile" 0 0 4000 >"$TMPD/l2" &
holder=$!
_wait_for 'grep -q locked "$TMPD/l2"'
_assert_eq "$("$probe" lock "$lk" 100 1 0)" EAGAIN "a host lock seen through the mount"
wait "$holder"
_umount_podvolfs
