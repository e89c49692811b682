#!/bin/bash
# TIMEOUT: 240
# kill -9 at any moment: 20 times, while two writers append numbered
# records to a disk emptyDir and to a hostPath, each record fsynced before
# the writer counts it, the daemon is killed and started again. Every
# counted record is there afterwards, the pods keep their UIDs and the tree
# its shape, and STATE holds no torn or leftover temporary file. Every
# other time the dead mount is left at MOUNTPOINT: the daemon replaces it
# by itself.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

host=$TMPD/host
mkdir -p "$host"
emptydir_pod disk ""
cat >"$SRC/host.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: host
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /data}
  volumes:
  - name: data
    hostPath: {path: $host, type: Directory}
YAML

# writer FILE COUNTED: appends "N\n" to FILE, fsyncs, then appends N to
# COUNTED (outside the mount); a failure (the daemon is gone) is retried
# with the same N until it succeeds.
writer() {
	python3 - "$1" "$2" <<'PY' &
import os, sys, time
path, counted = sys.argv[1], sys.argv[2]
n = 0
log = open(counted, "a", buffering=1)
while True:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, b"%d\n" % n)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        time.sleep(0.02)
        continue
    log.write("%d\n" % n)
    n += 1
PY
	writers+=("$!")
	_at_exit "kill $! 2>/dev/null"
}
writers=()

_mount_podvolfs "$SRC"
disk_uid=$(pod_uid disk)
host_uid=$(pod_uid host)
find "$MNT" -name records -prune -o -print | sort >"$TMPD/tree.before"
writer "$(vol disk data)/records" "$TMPD/disk.counted"
writer "$(vol host data)/records" "$TMPD/host.counted"
for cycle in $(seq 1 20); do
	sleep "0.$((RANDOM % 5 + 1))"
	if [ $((cycle % 2)) = 0 ]; then
		_kill_podvolfs KILL "$MNT" leave
	else
		_kill_podvolfs KILL
	fi
	_mount_podvolfs "$SRC"
done
sleep 0.5
kill "${writers[@]}"
wait "${writers[@]}" 2>/dev/null || true
_expect_log "detached the mount left by a podvolfs that is gone"

for v in disk host; do
	file=$(vol "$v" data)/records
	counted=$(wc -l <"$TMPD/$v.counted")
	[ "$counted" -gt 20 ] || _fail "$v: only $counted records were written"
	missing=$(sort -u "$file" | comm -13 - <(sort -u "$TMPD/$v.counted") | head -n 3)
	[ -z "$missing" ] || _fail "$v: fsynced records lost after kill -9: $missing"
done
_assert_eq "$(pod_uid disk)" "$disk_uid" "the disk pod's uid after 20 kills"
_assert_eq "$(pod_uid host)" "$host_uid" "the hostPath pod's uid after 20 kills"
find "$MNT" -name records -prune -o -print | sort >"$TMPD/tree.after"
diff "$TMPD/tree.before" "$TMPD/tree.after" >&2 || _fail "the tree changed across kills"
leftover=$(find "$STATE" -name '.*.new' | head -n 3)
[ -z "$leftover" ] || _fail "temporary state files left: $leftover"
_umount_podvolfs
