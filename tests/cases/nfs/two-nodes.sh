#!/bin/bash
# TIMEOUT: 60
# Two daemons on one export, as two machines would be: what one writes and
# closes, the other reads whole right after opening it (close-to-open), be
# it a new file, a file rewritten in place with its size kept, one that
# grew, or one that shrank, and either way round.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"
_require_cmd sha256sum

nfs_server_start
nfs_pod shared
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
MNT2=$TMPD/node2
MNT=$MNT2 STATE=$TMPD/state2 _mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_state shared share Ready
MNT=$MNT2 wait_state shared share Ready
a=$(vol shared share)
b=$MNT2/default/shared/volumes/share

for n in 1 2 3; do
	head -c 3M /dev/urandom >"$TMPD/data$n"
done
cat "$TMPD/data2" "$TMPD/data3" >"$TMPD/data23"
head -c 1000 "$TMPD/data1" >"$TMPD/short"

# same DIR WANT WHAT: f read through DIR is the local file WANT
same() {
	_assert_eq "$(sha256sum <"$1/f")" "$(sha256sum <"$TMPD/$2")" "f read through $1 after $3"
}

cp "$TMPD/data1" "$a/f"
same "$b" data1 "a new file"
dd if="$TMPD/data2" of="$a/f" bs=1M conv=notrunc status=none
same "$b" data2 "a rewrite in place"
cat "$TMPD/data3" >>"$a/f"
same "$b" data23 "an append"
cp "$TMPD/short" "$b/f"
same "$a" short "a truncation, the other way round"
cp "$TMPD/data1" "$b/g"
_assert_eq "$(sha256sum <"$a/g")" "$(sha256sum <"$TMPD/data1")" "a new file, the other way round"
_assert_eq "$(sha256sum <"$NFS_EXPORT/f")" "$(sha256sum <"$TMPD/short")" "f on the server"
_umount_podvolfs "$MNT2"
_umount_podvolfs
