#!/bin/bash
# TIMEOUT: 90
# Nothing outside a hostPath is read or written through it, whatever the
# host does: absolute and ../.. symlinks made on the host, a directory
# renamed out of the volume while a process holds it open through the
# mount, a symlink swapped in place of a directory thousands of times while
# another process opens through it, and ".." at the volume root.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root

h=$TMPD/host
out=$TMPD/outside
mkdir -p "$h/vol/sub" "$h/vol/race/real" "$out/sub" "$out/real"
echo inside >"$h/vol/sub/secret"
echo inside >"$h/vol/race/real/secret"
echo CANARY >"$out/secret"
echo CANARY >"$out/sub/secret"
echo CANARY >"$out/real/secret"
hostpath_pod esc "v=$h/vol:Directory"
_mount_podvolfs "$SRC"
v=$MNT/default/esc/volumes/v

# Symlinks made on the host are returned as symlinks, never followed
ln -s "$out" "$h/vol/abs"
ln -s ../../outside "$h/vol/rel"
# v is volumes/v of pod default/esc: four levels below the mount's root
ln -s ../../../.. "$h/vol/up"
ln -s /etc/passwd "$h/vol/passwd"
_assert_eq "$(readlink "$v/abs")" "$out" "readlink of an absolute symlink"
_assert_eq "$(stat -c %F "$v/rel")" "symbolic link" "lstat of a ../.. symlink"
# The caller's kernel resolves them in the caller's namespace, as through a
# bind mount: relative ones stay within the mount and find nothing there.
_assert_errno ENOENT read "$v/rel/secret"
_assert_eq "$(cd "$v/up" && pwd -P)" "$MNT" "where ../../../.. leads"
_assert_errno ENOENT read "$v/up/$out/secret"
_assert_errno ENOENT open-create "$v/rel/new"
[ ! -e "$out/new" ] || _fail "created through a ../.. symlink"
_assert_eq "$(stat -c %s "$v/passwd")" 11 "size of a symlink, not of its target"

# ".." at the volume root is the pod's volumes/ directory, not the host's
_assert_eq "$(cd "$v/.." && pwd -P)" "$MNT/default/esc/volumes" ".. at the root"
_assert_eq "$(stat -c %i "$v/..")" "$(stat -c %i "$MNT/default/esc/volumes")" "inode of .."
_assert_errno ENOENT read "$v/../../../../secret"

# A directory renamed out of the volume while held open through the mount
"$HELPERS/hostpath-probe" held-dir "$v/sub" "$TMPD/go" >"$TMPD/held" &
held=$!
_wait_for 'grep -q open "$TMPD/held"'
mv "$h/vol/sub" "$out/moved"
touch "$TMPD/go"
wait "$held"
grep -q '^read \(ENOENT\|ESTALE\)$' "$TMPD/held" || _fail "read beneath a moved-out directory: $(cat "$TMPD/held")"
grep -q '^create \(ENOENT\|ESTALE\)$' "$TMPD/held" || _fail "create beneath a moved-out directory: $(cat "$TMPD/held")"
[ ! -e "$out/moved/new" ] || _fail "a file was created outside the volume"
# cd into it and use relative paths
mkdir "$h/vol/sub2" && echo inside >"$h/vol/sub2/secret"
cp "$out/secret" "$out/real/secret"
( cd "$v/sub2" && mv "$h/vol/sub2" "$out/sub2" &&
	! cat secret 2>/dev/null && ! touch new 2>/dev/null ) ||
	_fail "relative paths in a moved-out working directory reached it"
[ ! -e "$out/sub2/new" ] || _fail "a file was created in the moved-out working directory"

# A symlink swapped in place of a directory while others open through it.
# On the host the link leads to the canary; resolved by a caller through
# the mount it leads nowhere, so only a daemon following it could read it.
ln -s ../../../outside/real "$h/vol/race/link"
_assert_eq "$(cat "$h/vol/race/link/secret")" CANARY "the link leads out on the host"
"$HELPERS/hostpath-probe" race-swap "$h/vol/race" real link 5 >"$TMPD/swaps" &
swapper=$!
for i in 1 2; do
	"$HELPERS/hostpath-probe" race-open "$v/race/real" CANARY 5 >"$TMPD/opens$i" &
done
"$HELPERS/hostpath-probe" race-open "$v/race/link" CANARY 5 >"$TMPD/opens3" ||
	_fail "escaped: $(cat "$TMPD/opens3")"
wait "$swapper" || _fail "the swapper failed"
for i in 1 2; do
	wait %"$((i + 1))" 2>/dev/null || true
done
for i in 1 2 3; do
	grep -q ESCAPED "$TMPD/opens$i" && _fail "escaped: $(cat "$TMPD/opens$i")"
done
[ "$(cat "$TMPD/swaps")" -ge 2000 ] || _fail "only $(cat "$TMPD/swaps") swaps"
echo "swaps $(cat "$TMPD/swaps"), opens $(cat "$TMPD/opens1") $(cat "$TMPD/opens2") $(cat "$TMPD/opens3")"
[ ! -e "$out/real/new" ] || _fail "a file was created outside the volume during the race"
_assert_eq "$(cat "$out/real/secret" "$out/secret")" "CANARY
CANARY" "canaries untouched"
# After the race the directory is back and serves again, within the
# hostpath_cache bound (1 s) that any rename on the host takes to show
_wait_for '[ "$(cat "$v/race/real/secret" 2>/dev/null)" = inside ]' 2.5 ||
	_fail "after the race: $(cat "$v/race/real/secret" 2>&1)"
_umount_podvolfs
