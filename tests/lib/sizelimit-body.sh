# sizeLimit at the byte boundary on an emptyDir of medium $MEDIUM.
. "$REPO/tests/lib/pods.sh"

emptydir_pod capped "$MEDIUM" 10Mi
# MEMORY_MEDIUM=daemon: a Memory emptyDir in the daemon's own memory
_mount_podvolfs "$SRC" ${MEMORY_MEDIUM:+-o "memory_medium=$MEMORY_MEDIUM"}
d=$(vol capped data)
limit=10485760

# df shows the limit as the volume's size: 10240 1K-blocks.
_assert_eq "$(df -k --output=size "$d" | tail -n 1 | tr -d ' ')" 10240 "df size of a 10Mi volume"

# Exactly the limit fits, in two files; one byte more does not.
"$HELPERS/fill" "$d/a" $((limit / 2))
"$HELPERS/fill" "$d/b" $((limit / 2))
_assert_errno ENOSPC write "$d/b" 1
_assert_errno ENOSPC fallocate "$d/a" 0 $((limit / 2 + 4096))
# Growing the size makes a hole, which costs nothing (sparse-*.sh).
truncate -s $((limit / 2 + 1)) "$d/a"
truncate -s $((limit / 2)) "$d/a"
_assert_eq "$(stat -c %s "$d/a") $(stat -c %s "$d/b")" "$((limit / 2)) $((limit / 2))" "sizes after refused writes"
# Nothing written before is lost.
cmp -n $((limit / 2)) "$d/a" "$d/b"

# Freeing space makes room again, to the byte.
rm "$d/b"
"$HELPERS/fill" "$d/c" $((limit / 2))
_assert_errno ENOSPC write "$d/c" 1
truncate -s 100 "$d/c"
"$HELPERS/fill" "$d/c" $((limit / 2 - 100)) --offset 100
_assert_errno ENOSPC write "$d/c" 1
grep -q "^data .* $limit " "$MNT/default/capped/status" ||
	_fail "status does not show the limit: $(cat "$MNT/default/capped/status")"
_umount_podvolfs
