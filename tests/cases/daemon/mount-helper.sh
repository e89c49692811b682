#!/bin/bash
# TIMEOUT: 60
# mount -t fuse.podvolfs, an fstab line, umount, and mount(8) again over the
# dead mount a killed daemon left, as after 'make install':
# the helper goes where mount(8) looks for it, in a private mount namespace
# so that the machine's /sbin is not touched.
. "$REPO/tests/lib/common.sh"
_require_cmd unshare mount umount

make -C "$REPO" --no-print-directory install DESTDIR="$TMPD/root" BUILD="$BUILD" >/dev/null
grep -qx 'PODVOLFS=${PODVOLFS:-/usr/local/sbin/podvolfs}' "$TMPD/root/sbin/mount.fuse.podvolfs" ||
	_fail "the installed helper does not name the installed daemon"
for f in usr/local/sbin/podvolfs sbin/mount.fuse.podvolfs \
	usr/local/share/man/man8/podvolfs.8 usr/local/share/man/man8/mount.fuse.podvolfs.8; do
	[ -f "$TMPD/root/$f" ] || _fail "make install did not install /$f"
done
cp "$REPO/examples/fortune.yaml" "$SRC/"
echo "$SRC $MNT fuse.podvolfs state=$STATE,nofail,_netdev,x-systemd.automount 0 0" >"$TMPD/fstab"

# Runs in the namespace: mounts with -t, unmounts, mounts from fstab, unmounts.
cat >"$TMPD/inside.sh" <<'SH'
set -eu
root=$1 src=$2 mnt=$3 state=$4 fstab=$5
mount --bind "$root/sbin" /sbin
mount --bind "$root/usr/local/sbin" /usr/local/sbin
gone() {
	for _ in $(seq 100); do
		pgrep -f "podvolfs $src $mnt" >/dev/null || return 0
		sleep 0.1
	done
	echo "the daemon did not exit after umount" >&2
	return 1
}
mount -t fuse.podvolfs "$src" "$mnt" -o "state=$state"
grep -q " $mnt fuse.podvolfs " /proc/self/mounts
test -d "$mnt/default/fortune/volumes/html"
echo kept >"$mnt/default/fortune/volumes/html/f"
umount "$mnt"
gone
mount -T "$fstab" "$mnt"
test "$(cat "$mnt/default/fortune/volumes/html/f")" = kept
# a daemon killed leaves a dead mount (ENOTCONN): mount(8) replaces it
pkill -9 -f "podvolfs $src $mnt"
gone
if stat "$mnt/default" 2>/dev/null; then
	echo "the mount answered after its daemon was killed" >&2
	exit 1
fi
mount -T "$fstab" "$mnt"
test "$(cat "$mnt/default/fortune/volumes/html/f")" = kept
test "$(grep -c " $mnt fuse.podvolfs " /proc/self/mounts)" = 1
umount "$mnt"
gone
SH
unshare -m --propagation private bash "$TMPD/inside.sh" "$TMPD/root" "$SRC" "$MNT" "$STATE" "$TMPD/fstab" ||
	_fail "mounting through mount.fuse.podvolfs failed"
