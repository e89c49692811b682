#!/bin/bash
# TIMEOUT: 60
# Changes made on the host show through a hostPath within -o
# hostpath_cache= seconds (default 1): new names at once, contents,
# attributes, removals and size changes within the bound; with
# hostpath_cache=0, at once. A bad value is refused.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"

h=$TMPD/host
mkdir -p "$h"
echo one >"$h/f"
hostpath_pod c "v=$h:Directory"

check_bound() {
	local bound=$1 v=$MNT/default/c/volumes/v

	_assert_eq "$(cat "$v/f")" one "before"
	stat "$v/f" "$v" >/dev/null
	# a new name needs no waiting: misses are never cached
	echo x >"$h/new" && _assert_eq "$(cat "$v/new")" x "a new host file"
	# longer contents, in place: the cached size may cut reads short until
	# the attributes expire
	echo "one two three" >"$h/f"
	_wait_for '[ "$(cat "$v/f")" = "one two three" ]' "$bound" || _fail "contents after ${bound}s"
	chmod 0600 "$h/f"
	_wait_for '[ "$(stat -c %a "$v/f")" = 600 ]' "$bound" || _fail "mode after ${bound}s"
	rm "$h/new"
	_wait_for '[ ! -e "$v/new" ]' "$bound" || _fail "removal after ${bound}s"
	mkdir "$h/d" && echo in >"$h/d/g"
	_assert_eq "$(ls "$v/d")" g "a new host directory"
	rm -r "$h/d" && echo plain >"$h/d"
	_wait_for '[ "$(cat "$v/d" 2>/dev/null)" = plain ]' "$bound" || _fail "a directory replaced by a file after ${bound}s"
	echo one >"$h/f" && chmod 0644 "$h/f" && rm "$h/d"
}

_mount_podvolfs "$SRC"
# the bound plus the time one check takes
check_bound 1.5
_umount_podvolfs

_mount_podvolfs "$SRC" -o hostpath_cache=0
v=$MNT/default/c/volumes/v
stat "$v/f" >/dev/null
echo "one two three" >"$h/f" && _assert_eq "$(cat "$v/f")" "one two three" "at once with hostpath_cache=0"
chmod 0600 "$h/f" && _assert_eq "$(stat -c %a "$v/f")" 600 "mode at once"
echo one >"$h/f" && chmod 0644 "$h/f"
check_bound 0.5
_umount_podvolfs

for bad in -1 abc 1e9; do
	if "$PODVOLFS" "$SRC" "$MNT" -f -o "state=$STATE,hostpath_cache=$bad" >"$TMPD/out" 2>&1; then
		_fail "hostpath_cache=$bad accepted"
	fi
done
grep -q 'hostpath_cache=1e+09: must be between 0 and 86400 seconds' "$TMPD/out" || _fail "message: $(cat "$TMPD/out")"
