#!/bin/bash
# TIMEOUT: 90
# The daemon's memory runs out (RLIMIT_AS 256 MiB, and one malloc arena so
# that what is left is predictable) under a Memory emptyDir without
# sizeLimit, whose memory_limit is far above, kept in the daemon's own
# memory (-o memory_medium=daemon; a private tmpfs is not the daemon's).
# A writer gets ENOMEM (or ENOSPC), never EIO, and what was written stays
# whole; small files, the status file and other volumes get ENOMEM at
# worst while memory is short and work again once a file is removed (the
# daemon's reserve, util/heap.c, lets libfuse take the FORGETs that free
# it). Stopping a daemon that is out of memory is a clean exit: glibc,
# which loads its unwinder at the first pthread_cancel and aborts when it
# cannot, used to abort it there.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"
_require_cmd prlimit
case $(ldd "$PODVOLFS") in
*libasan*) _notrun "AddressSanitizer reserves far more address space than RLIMIT_AS leaves" ;;
esac

cat >"$SRC/mem.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: mem
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: ram
    emptyDir:
      medium: Memory
  - name: disk
    emptyDir: {}
EOF
# libfuse says so when it cannot start another worker thread
_allow_log 'fuse: error creating thread: (Resource temporarily unavailable|Cannot allocate memory)'
PODVOLFS_WRAPPER="env MALLOC_ARENA_MAX=1 prlimit --as=$((256 << 20)) --" _mount_podvolfs "$SRC" -o memory_medium=daemon
d=$(vol mem ram)
s=$MNT/default/mem/status
"$HELPERS/fill" "$d/keep" 64K >/dev/null
sum=$(sha256sum <"$d/keep")
# A few workers, as a daemon that has served a while has: libfuse stops
# serving when it starts one that then cannot get its request buffer, which
# the memory running out below would otherwise risk (podvolfs.8, CAVEATS).
pids=()
for i in 1 2 3 4; do
	"$HELPERS/dirents" --seconds 1 "$MNT/default/mem" >/dev/null &
	pids+=("$!")
done
wait "${pids[@]}"

# Fills the volume until memory runs out; ENOMEM or ENOSPC, never EIO.
exhaust() {
	local out

	out=$("$HELPERS/fill" "$d/$1" 2G || true)
	case ${out#* } in
	ENOMEM | ENOSPC) ;;
	*) _fail "filling the daemon's memory: $out, expected ENOMEM or ENOSPC" ;;
	esac
	[ "${out% *}" -gt $((16 << 20)) ] || _fail "filling the daemon's memory: only $out"
	_assert_eq "$(stat -c %s "$d/$1")" "${out% *}" "size of the file that filled memory"
	# and what is left, in small pieces
	for ((i = 0; i < 10000; i++)); do
		{ printf '%4096s' "$i" >"$d/$1.$i"; } 2>/dev/null || return 0
	done
	_fail "10000 files of 4 KiB more in a daemon out of memory"
}

# An errno of errno-of OP ARGS... that memory running out may explain.
short() {
	local got

	got=$("$HELPERS/errno-of" "$@")
	case $got in
	0 | ENOMEM | ENOSPC) ;;
	*) _fail "$* while memory is short: $got" ;;
	esac
}

exhaust big
short write "$d/big" 1
for i in $(seq 20); do
	short write "$d/small$i" 100
done
short read "$s"
short write "$(vol mem disk)/f" 100
short read "$d/keep"

# room again
_wait_for "rm -f '$d/big'" 10 || _fail "cannot remove the file that filled memory"
rm -f "$d"/big.*
# the store frees a removed file's pages once the kernel forgets its inode,
# a FORGET that may come after the unlink has returned
_wait_for '"$HELPERS/fill" "$d/after" 1M >/dev/null 2>&1' 10 ||
	_fail "no room for 1 MiB after the files were removed"
for i in $(seq 20); do
	echo "$i" >"$d/small$i"
done
_assert_eq "$(cat "$d/small20")" 20 "a small file once memory is back"
grep -q '^ram .* Ready ' "$s" || _fail "status once memory is back: $(cat "$s")"
echo disk >"$(vol mem disk)/f"
_assert_eq "$(sha256sum <"$d/keep")" "$sum" "a file written before memory ran out"

# stopped while out of memory, the daemon exits with status 0
exhaust again
_umount_podvolfs
