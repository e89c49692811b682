# Sparse files on an emptyDir of medium $MEDIUM with sizeLimit 16Mi: as on
# a tmpfs of size=16M, holes cost nothing and writing into them is what
# fills the volume (sizeLimit counts allocated bytes, what du counts).
. "$REPO/tests/lib/pods.sh"

emptydir_pod sparse "$MEDIUM" 16Mi
# MEMORY_MEDIUM=daemon: a Memory emptyDir in the daemon's own memory
_mount_podvolfs "$SRC" ${MEMORY_MEDIUM:+-o "memory_medium=$MEMORY_MEDIUM"}
d=$(vol sparse data)
MiB=1048576
GiB=$((1024 * MiB))
limit=$((16 * MiB))

df_used() { df -B1 --output=used "$d" | tail -n 1 | tr -d ' '; }
du_bytes() { du -B1 "$1" | cut -f 1; }
du_files() { find "$d" -type f -printf '%b\n' | awk '{ s += $1 * 512 } END { print s + 0 }'; }
status_used() { vol_field sparse data 4; }
# check_use WHEN DATA: the files hold DATA bytes of data, and du, df and
# status agree. On disk du may add the host filesystem's own metadata (an
# ext4 extent block of a fragmented file), which counts like data.
check_use() {
	local all
	all=$(du_files)
	if [ -n "$MEDIUM" ]; then
		_assert_eq "$all" "$2" "du $1"
	elif [ "$all" -lt "$2" ] || [ "$all" -ge $(($2 + 65536)) ]; then
		_fail "du $1: $all bytes for $2 of data"
	fi
	_assert_eq "$(df_used)" "$all" "df used $1"
	_assert_eq "$(status_used)" "$all" "status USED $1"
}
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$(_podvolfs_pid)/status"; }
# Bytes of PATH at OFFSET, LENGTH long, as hex digests: equal to those of
# LENGTH bytes of CHAR (a NUL when empty).
read_is() {
	local got want
	got=$(dd if="$1" bs=64K iflag=skip_bytes,count_bytes skip="$2" \
		count="$3" status=none | sha256sum)
	want=$(head -c "$3" /dev/zero | tr '\0' "${4:-\\000}" | sha256sum)
	[ "$got" = "$want" ]
}

_assert_eq "$(df_used)" 0 "df used of the empty volume"
rss0=$(rss_kib)

# A terabyte of hole costs nothing, and reading it allocates nothing.
truncate -s 1T "$d/big"
_assert_eq "$(stat -c %s "$d/big")" $((1024 * GiB)) "size after truncate -s 1T"
_assert_eq "$(du_bytes "$d/big")" 0 "du of a 1 TiB hole"
_assert_eq "$(df_used)" 0 "df used after truncate -s 1T"
read_is "$d/big" $((512 * GiB)) $((8 * MiB)) || _fail "a hole does not read as zeros"
_assert_eq "$(du_bytes "$d/big")" 0 "du after reading the hole"
rss1=$(rss_kib)
[ $((rss1 - rss0)) -lt 32768 ] ||
	_fail "the daemon's RSS grew from $rss0 to $rss1 KiB over a hole"

# 8 MiB written into holes far apart: 1 MiB at each of 100, 200 ... 800 GiB.
for i in 1 2 3 4 5 6 7 8; do
	_assert_eq "$("$HELPERS/fill" "$d/big" 1M --offset $((i * 100))G)" \
		"$MiB 0" "1 MiB at $((i * 100)) GiB"
done
check_use "after 8 MiB into holes" $((8 * MiB))
_assert_eq "$(python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(os.lseek(fd, 0, os.SEEK_DATA), os.lseek(fd, 100 << 30, os.SEEK_HOLE))' "$d/big")" \
	"$((100 * GiB)) $((100 * GiB + MiB))" "SEEK_DATA and SEEK_HOLE"

# 16 MiB more with 8 MiB left: the write stops at the limit, as on tmpfs.
left=$((limit - $(df_used)))
out=$("$HELPERS/fill" "$d/big" 16M --offset 50G) && _fail "16 MiB fit in $left bytes"
_assert_eq "$out" "$left ENOSPC" "writing past the limit"
_assert_eq "$(python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    print(os.pwrite(fd, b"x" * 8192, (60 << 30) - 4096))
except OSError as e:
    print(os.strerror(e.errno))' "$d/big")" "No space left on device" "pwrite into a hole at the limit"
_assert_errno ENOSPC write "$d/small" 1
_assert_errno ENOSPC fallocate "$d/small" 0 4096
_assert_eq "$(df_used)" "$limit" "df used at the limit"
check_use "at the limit" $((8 * MiB + left))
# What was written reads back; overwriting allocated bytes still works.
read_is "$d/big" $((50 * GiB)) "$left" f || _fail "the short write reads back wrong"
read_is "$d/big" $((50 * GiB + left)) $((8 * MiB)) || _fail "past the short write is not a hole"
read_is "$d/big" $((800 * GiB)) "$MiB" f || _fail "1 MiB at 800 GiB reads back wrong"
_assert_eq "$("$HELPERS/fill" "$d/big" 1M --offset 100G)" "$MiB 0" "overwrite at the limit"

# Punching a hole frees; KEEP_SIZE preallocation takes it again.
fallocate -p -o $((100 * GiB)) -l $((2 * MiB)) "$d/big"
_assert_eq "$(df_used)" $((limit - MiB)) "df used after punching 1 MiB"
check_use "after punching 1 MiB" $((7 * MiB + left))
_assert_errno ENOSPC fallocate "$d/small" 0 $((MiB + 4096))
fallocate -n -l "$MiB" "$d/small"
_assert_eq "$(stat -c %s "$d/small") $(du_bytes "$d/small")" "0 $MiB" "KEEP_SIZE preallocation"
_assert_eq "$(df_used)" "$limit" "df used after preallocating"
# Writing into preallocated space at the limit costs nothing more.
_assert_eq "$("$HELPERS/fill" "$d/small" 1M)" "$MiB 0" "a write into preallocated space"
_assert_eq "$(df_used)" "$limit" "df used after writing into it"
# Nor can a shared mapping fill holes past the limit: where the kernel
# maps the private tmpfs's file itself (passthrough) the page fault fails
# (SIGBUS), as on any tmpfs; where the daemon sees the pages (the daemon's
# memory, a disk volume, or a libfuse without passthrough), the write-back
# does (ENOSPC at msync).
truncate -s 8M "$d/mapped"
status=0
out=$(python3 -c 'import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 8 << 20)
for i in range(0, 8 << 20, 4096):
    m[i] = 1
try:
    m.flush()
    print("written")
except OSError as e:
    print(os.strerror(e.errno))' "$d/mapped") || status=$?
if [ "$(vol_field sparse data data)" = passthrough ]; then
	_assert_eq "$status $out" "135 " "a mapping over holes at the limit (SIGBUS)"
else
	_assert_eq "$status $out" "0 No space left on device" "msync of a mapping over holes at the limit"
fi
_assert_eq "$(df_used)" "$limit" "df used after the mapping"
rm "$d/mapped"

# Shrinking and unlinking give back what was allocated.
truncate -s 60G "$d/big"
check_use "after truncating to 60 GiB" $((MiB + left))
rm "$d/big"
check_use "after rm" "$MiB"

if [ -z "$MEDIUM" ]; then
	# A restart counts what the host has allocated, as du does.
	truncate -s 1T "$d/again"
	"$HELPERS/fill" "$d/again" 3M --offset 7G >/dev/null
	_restart_podvolfs
	check_use "after a restart" $((4 * MiB))
fi
_umount_podvolfs
