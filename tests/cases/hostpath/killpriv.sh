#!/bin/bash
# TIMEOUT: 120
# Set-id bits and file capabilities after writes, truncates and chowns, on
# a hostPath, a disk emptyDir (both passthrough), a Memory emptyDir and a
# sized disk emptyDir (both through the daemon), against the same steps on
# a directory of the disk the tests run on and on a tmpfs: another user's
# write or truncate clears setuid, and setgid when the group may execute
# (or the writer is not in the group); root keeps them unless it lacks
# CAP_FSETID; chown clears them; a write removes security.capability.
# With FUSE_CAP_HANDLE_KILLPRIV_V2 (libfuse 3.17) the daemon clears them
# itself, and the kernel no longer asks for security.capability before
# each write: the -d log shows no such GETXATTR per write.
. "$REPO/tests/lib/common.sh"

_require_root
_require_cmd setpriv setfattr getfattr

h=$TMPD/host
mkdir -p "$h" "$TMPD/native" "$TMPD/tmpfs"
mount -t tmpfs tmpfs "$TMPD/tmpfs"
_at_exit umount "$TMPD/tmpfs"
cat >"$SRC/kp.yaml" <<EOF2
apiVersion: v1
kind: Pod
metadata:
  name: kp
spec:
  containers:
  - name: app
    image: busybox
  volumes:
  - name: host
    hostPath:
      path: "$h"
      type: Directory
  - name: disk
    emptyDir: {}
  - name: mem
    emptyDir:
      medium: Memory
  - name: sized
    emptyDir:
      sizeLimit: 1Mi
EOF2
log=$LOGS/podvolfs.log
# libfuse's -d log names error replies (a lookup's ENOENT) "error"
_allow_log '^   unique: [0-9]+, error: '

# a v2 capability: cap_net_raw in the permitted and effective sets
cap=0x0100000200200000000000000000000000000000

# steps DIR: one line per step, "STEP MODE" or "STEP CAPS" (0: removed)
steps() {
	local d=$1 f=$1/f

	reset() {
		rm -f "$f" && echo x >"$f" && chown 2000:2000 "$f" &&
			chmod "$1" "$f"
	}
	mode() {
		echo "$1 $(stat -c %a "$f")"
	}
	caps() {
		if getfattr -n security.capability --absolute-names "$f" \
			>/dev/null 2>&1; then
			echo "$1 1"
		else
			echo "$1 0"
		fi
	}
	reset 6757 && _as_user 1000 sh -c "echo y >>'$f'" && mode user-append
	reset 6757 && _as_user 1000 truncate -s 1 "$f" && mode user-truncate
	reset 6757 && _as_user 1000 sh -c ": >'$f'" && mode user-open-trunc
	reset 6757 && _as_user 1000 dd if=/dev/zero of="$f" bs=1 count=1 \
		conv=notrunc status=none && mode user-dd
	reset 6767 && _as_user 1000 sh -c "echo y >>'$f'" && mode user-append-sgid-no-gx
	reset 6767 && _as_user 1000:2000 sh -c "echo y >>'$f'" && mode group-append-sgid-no-gx
	reset 6757 && sh -c "echo y >>'$f'" && mode root-append
	reset 6757 && truncate -s 1 "$f" && mode root-truncate
	reset 6757 && setpriv --inh-caps=-fsetid --bounding-set=-fsetid \
		sh -c "echo y >>'$f'" && mode root-without-fsetid-append
	reset 6757 && chown 3000 "$f" && mode root-chown
	reset 2747 && chown 3000 "$f" && mode root-chown-sgid-no-gx
	reset 757 && setfattr -n security.capability -v $cap "$f" &&
		_as_user 1000 sh -c "echo y >>'$f'" && caps user-append-caps
	reset 757 && setfattr -n security.capability -v $cap "$f" &&
		sh -c "echo y >>'$f'" && caps root-append-caps
	reset 757 && setfattr -n security.capability -v $cap "$f" &&
		truncate -s 0 "$f" && caps root-truncate-caps
	reset 757 && setfattr -n security.capability -v $cap "$f" &&
		chown 3000 "$f" && caps root-chown-caps
	rm -f "$f"
}

chmod 777 "$TMPD/native" "$TMPD/tmpfs"
steps "$TMPD/native" >"$TMPD/native.out"
steps "$TMPD/tmpfs" >"$TMPD/tmpfs.out"
diff "$TMPD/native.out" "$TMPD/tmpfs.out" ||
	_fail "the disk and tmpfs differ: the expectations below are wrong here"
for want in "user-append 757" "user-truncate 757" "user-open-trunc 757" \
	"user-append-sgid-no-gx 767" "group-append-sgid-no-gx 2767" \
	"root-append 6757" "root-truncate 6757" "root-without-fsetid-append 757" \
	"root-chown 757" "root-chown-sgid-no-gx 2747" "user-append-caps 0"; do
	grep -qx "$want" "$TMPD/native.out" ||
		_fail "native: no '$want' in: $(cat "$TMPD/native.out")"
done

_mount_podvolfs "$SRC" -d
v=$MNT/default/kp/volumes
# the "using" mask of op_init's line: FUSE_CAP_HANDLE_KILLPRIV_V2 is 1 << 21
using=$(sed -n 's/.*kernel capabilities 0x[0-9a-f]*, using 0x\([0-9a-f]*\).*/\1/p' "$log")
[ -n "$using" ] || _fail "no capabilities line in the -d log"
killpriv=$(((0x$using >> 21) & 1))
for vol in host disk mem sized; do
	chmod 777 "$v/$vol"
	steps "$v/$vol" >"$TMPD/$vol.out"
	if [ "$killpriv" = 1 ]; then
		diff "$TMPD/native.out" "$TMPD/$vol.out" ||
			_fail "$vol differs from a native directory (above)"
	else
		# the kernel alone keeps setgid without group execute
		diff <(grep -v sgid-no-gx "$TMPD/native.out") \
			<(grep -v sgid-no-gx "$TMPD/$vol.out") ||
			_fail "$vol differs from a native directory (above)"
	fi
done

# security.capability asked for per write: a GETXATTR whose name is 20
# bytes with its NUL (insize 40 header + 8 + 20), none per write with
# killpriv_v2; without it, one before each of the 64 writes
cap_asks() {
	grep -cE 'opcode: GETXATTR \(22\), .*insize: 68,' "$log" || true
}
for vol in host mem; do
	head -c 65536 /dev/zero >"$v/$vol/w"
	chmod 666 "$v/$vol/w"
	before=$(cap_asks)
	_as_user 1000 dd if=/dev/zero of="$v/$vol/w" bs=1024 count=64 \
		conv=notrunc status=none
	asked=$(($(cap_asks) - before))
	if [ "$killpriv" = 1 ]; then
		[ "$asked" -le 2 ] ||
			_fail "$vol: $asked GETXATTRs of security.capability for 64 writes"
	else
		[ "$asked" -ge 64 ] ||
			_fail "$vol: only $asked GETXATTRs of security.capability for 64 writes without killpriv_v2"
	fi
done
_umount_podvolfs
[ "$killpriv" = 1 ] || _notrun "the rest passed; no FUSE_CAP_HANDLE_KILLPRIV_V2 with $("$PODVOLFS" --version)"
