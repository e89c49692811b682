#!/bin/bash
# TIMEOUT: 60
# podvolfs-bind --refresh after a crash: a container's binds of a daemon
# killed with SIGKILL answer ENOTCONN; once the daemon has been started
# again (replacing its dead mount by itself), --refresh drops the dead
# binds and binds the views anew, with the data written before the crash.
# The container's mount namespace follows the host's mounts (slave), which
# needs the mount's parent to be shared: a bind of the case's directory.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"
_require_cmd unshare mount umount mountpoint

shared=$TMPD/shared
mkdir -p "$shared"
mount --bind "$shared" "$shared"
_at_exit "umount -l '$shared'"
mount --make-shared "$shared"
MNT=$shared/mnt
emptydir_pod app ""
_mount_podvolfs "$SRC"
bind=$REPO/mount-helpers/podvolfs-bind
root=$TMPD/root
mkdir "$root"
unshare -m --propagation slave bash -eu -o pipefail -c '
	bind=$1 root=$2 tmp=$3
	"$bind" app app "$root"
	echo before >"$root/data/f"
	sync "$root/data/f"
	: >"$tmp/bound"
	while [ ! -e "$tmp/restarted" ]; do sleep 0.05; done
	if cat "$root/data/f" 2>/dev/null; then
		echo "a bind of the killed daemon still answers" >&2
		exit 1
	fi
	"$bind" --refresh app app "$root"
	[ "$(cat "$root/data/f")" = before ]
	# the dead bind went: one mount there, not two stacked
	[ "$(awk -v p="$root/data" "\$5 == p" /proc/self/mountinfo | wc -l)" = 1 ]
	echo after >"$root/data/g"
	"$bind" --undo app app "$root"
	! mountpoint -q "$root/data"
' _ "$bind" "$root" "$TMPD" &
child=$!
_wait_for "[ -e '$TMPD/bound' ]" 20 || _fail "podvolfs-bind did not bind"
_kill_podvolfs KILL "$MNT" leave
_mount_podvolfs "$SRC"
: >"$TMPD/restarted"
wait "$child" || _fail "podvolfs-bind --refresh in a mount namespace"
_assert_eq "$(cat "$(vol app data)/g")" after "written through the refreshed bind"
_umount_podvolfs
