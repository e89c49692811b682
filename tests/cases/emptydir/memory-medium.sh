#!/bin/bash
# TIMEOUT: 90
# Where a Memory emptyDir keeps its bytes (-o memory_medium=): by default a
# private tmpfs of the volume's size that no mount table shows, whose files
# the kernel writes through FUSE passthrough (no WRITE request reaches the
# daemon, as its libfuse -d log shows) and which stops at its limit to the
# byte, also while a reader holds the file open; with memory_medium=daemon,
# and where the daemon may not make a tmpfs (fsopen refused, as without
# CAP_SYS_ADMIN; the log says so once), the daemon's own memory, which
# sees every write and keeps the same limit. A word other than tmpfs or
# daemon is refused.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

_require_root
log=$LOGS/podvolfs.log
# libfuse's -d log names error replies (a lookup's ENOENT) "error"
_allow_log '^   unique: [0-9]+, error: '
emptydir_pod ram Memory 1Mi 2000
limit=1048576

count_writes() {
	grep -c 'opcode: WRITE ' "$log" || true
}

# Fills the volume to the byte, then one byte more fails, also into a file
# that a reader holds open; prints the data path status then shows.
fill_to_limit() {
	local d=$1

	"$HELPERS/fill" "$d/a" $((limit / 2)) >/dev/null
	exec 3<"$d/a"
	"$HELPERS/fill" "$d/a" $((limit / 2)) --offset $((limit / 2)) >/dev/null
	_assert_errno ENOSPC write "$d/a" 1
	_assert_errno ENOSPC write "$d/b" 1
	_assert_eq "$(stat -c %s "$d/a")" $limit "size at the limit"
	_assert_eq "$(head -c 10 <&3 | wc -c)" 10 "a read while full"
	exec 3<&-
	_assert_eq "$(df -k --output=size "$d" | tail -n 1 | tr -d ' ')" 1024 "df size"
	_assert_eq "$(vol_field ram data 4)" $limit "status USED when full"
	_assert_eq "$(vol_field ram data 5)" $limit "status LIMIT"
	rm "$d/a"
	"$HELPERS/fill" "$d/b" $limit >/dev/null
	_assert_errno ENOSPC write "$d/b" 1
	rm "$d/b"
	_assert_eq "$(stat -c '%a %g' "$d")" "3777 2000" "the volume's mode and group"
}

tmpfs_mounts() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) == "tmpfs") n++ } END { print n + 0 }' /proc/self/mountinfo
}

# the default: a private tmpfs
before=$(tmpfs_mounts)
_mount_podvolfs "$SRC" -d
d=$(vol ram data)
_assert_eq "$(tmpfs_mounts)" "$before" "tmpfs mounts in the mount table"
marked=$(count_writes)
head -c 65536 /dev/urandom >"$TMPD/data"
cp "$TMPD/data" "$d/f"
cmp "$TMPD/data" "$d/f" || _fail "the file read back differs"
if "$PODVOLFS" --version | grep -q 'passthrough built in' &&
	! grep -q 'offers no FUSE passthrough' "$log"; then
	_assert_eq "$(vol_field ram data data)" passthrough "data path"
	_assert_eq "$(($(count_writes) - marked))" 0 "WRITE requests to the daemon"
else
	_assert_eq "$(vol_field ram data data)" daemon "data path without passthrough"
fi
rm "$d/f"
fill_to_limit "$d"
_umount_podvolfs

# the daemon's own memory, asked for
_mount_podvolfs "$SRC" -d -o memory_medium=daemon
marked=$(count_writes)
cp "$TMPD/data" "$d/f"
_assert_eq "$(vol_field ram data data)" daemon "data path with memory_medium=daemon"
[ "$(($(count_writes) - marked))" -gt 0 ] || _fail "no WRITE request with memory_medium=daemon"
rm "$d/f"
fill_to_limit "$d"
_umount_podvolfs

# the daemon's own memory, where no tmpfs can be made
_allow_log 'cannot make a private tmpfs \(Operation not permitted\): Memory emptyDirs are kept in the daemon.s memory'
PODVOLFS_WRAPPER="$HELPERS/no-fsopen" _mount_podvolfs "$SRC"
fill_to_limit "$d"
_assert_eq "$(vol_field ram data data)" daemon "data path without a tmpfs"
_assert_eq "$(grep -c 'cannot make a private tmpfs' "$log")" 1 "warnings about the tmpfs"
_umount_podvolfs

out=$("$PODVOLFS" "$SRC" "$MNT" -o memory_medium=ram 2>&1) && _fail "memory_medium=ram was taken"
_assert_eq "$out" "podvolfs: -o memory_medium=ram: say tmpfs or daemon" "the error for memory_medium=ram"
