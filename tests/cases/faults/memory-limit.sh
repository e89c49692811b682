#!/bin/bash
# TIMEOUT: 60
# -o memory_limit= bounds each Memory emptyDir without a smaller sizeLimit,
# each on its own, as a tmpfs size= does: a volume of many small files
# takes them up to the byte, then a write fails with ENOSPC and changes
# nothing; every file written before is whole; freeing a file makes room
# for one more. Only data counts: empty files and holes still come
# (podvolfs.8, CAVEATS).
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

limit=4194304
emptydir_pod many Memory
emptydir_pod big Memory 1Gi
_mount_podvolfs "$SRC" -o memory_limit=4Mi
d=$(vol many data)
grep -q "^data .* $limit " "$MNT/default/many/status" &&
	grep -q "^data .* $limit " "$MNT/default/big/status" ||
	_fail "the limits in status: $(cat "$MNT/default/many/status" "$MNT/default/big/status")"
_assert_eq "$(df -k --output=size "$d" | tail -n 1 | tr -d ' ')" 4096 "df size of the volume"

# 4 KiB files until the volume is full: exactly 1024 of them
n=0
while { printf '%4096s' "$n" >"$d/f$n"; } 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -le 1100 ] || _fail "more than 1100 files of 4 KiB in 4 MiB"
done
_assert_eq "$n" 1024 "4 KiB files that fit in 4 MiB"
_assert_eq "$(stat -c %s "$d/f$n")" 0 "the file whose write failed"
_assert_errno ENOSPC write "$d/f$n" 1
_assert_errno ENOSPC write "$d/one-more" 1
# growing a file makes a hole, which costs nothing, as on tmpfs
truncate -s 1M "$d/f0"
out=$("$HELPERS/fill" "$d/f0" 1 --offset 8192) && _fail "a write into a hole of the full volume"
_assert_eq "$out" "0 ENOSPC" "a write into a hole of the full volume"
truncate -s 4096 "$d/f0"
files=()
for ((i = 0; i < n; i++)); do
	printf '%4096s' "$i"
	files+=("$d/f$i")
done >"$TMPD/expected"
cat "${files[@]}" | cmp - "$TMPD/expected" || _fail "the files after the volume filled up"
grep -q "^data .* $limit  *$limit " "$MNT/default/many/status" ||
	_fail "status of the full volume: $(cat "$MNT/default/many/status")"

# only data counts
for i in $(seq 100); do
	: >"$d/empty$i"
done

# another volume has its own limit
"$HELPERS/fill" "$(vol big data)/a" 4M >/dev/null
_assert_errno ENOSPC write "$(vol big data)/a" 1

# room for one file more, and no more
rm "$d/f0"
printf '%4096s' again >"$d/again"
_assert_errno ENOSPC write "$d/again" 1
_umount_podvolfs
