# Ownership and fsGroup on an emptyDir of medium $MEDIUM.
. "$REPO/tests/lib/pods.sh"

emptydir_pod plain "$MEDIUM"
emptydir_pod grouped "$MEDIUM" "" 2000
_mount_podvolfs "$SRC"

if [ "$MEDIUM" = Memory ]; then root_mode=1777 group_mode=3777; else root_mode=777 group_mode=2777; fi
_assert_eq "$(stat -c '%a %u %g' "$(vol plain data)")" "$root_mode 0 0" "root of a plain emptyDir"
_assert_eq "$(stat -c '%a %g' "$(vol grouped data)")" "$group_mode 2000" "root of an fsGroup emptyDir"

# Files belong to the creating process, as on a local filesystem.
d=$(vol plain data)
_as_user 1000 sh -c "umask 022; echo hi > '$d/mine'; mkdir '$d/dir'; ln -s mine '$d/link'"
_assert_eq "$(stat -c '%u %g %a' "$d/mine")" "1000 1000 644" "file made by uid 1000"
_assert_eq "$(stat -c '%u %g %a' "$d/dir")" "1000 1000 755" "directory made by uid 1000"
_assert_eq "$(stat -c '%u %g' "$d/link")" "1000 1000" "symlink made by uid 1000"
# The kernel checks permissions: another user may not write there.
_as_user 1001 sh -c "echo x >> '$d/mine'" 2>/dev/null && _fail "uid 1001 wrote into a 0644 file of uid 1000"
# Only the Memory root is sticky (01777): there nobody removes another's file.
if [ "$MEDIUM" = Memory ]; then
	_as_user 1001 rm -f "$d/mine" 2>/dev/null && _fail "uid 1001 removed uid 1000's file from a sticky root"
	[ -e "$d/mine" ] || _fail "uid 1000's file is gone from a sticky root"
fi

# In an fsGroup volume new files get the group through setgid.
g=$(vol grouped data)
_as_user 1000 sh -c "echo hi > '$g/f'; mkdir '$g/sub'"
_assert_eq "$(stat -c '%u %g' "$g/f")" "1000 2000" "file in an fsGroup volume"
_assert_eq "$(stat -c '%g %A' "$g/sub")" "2000 drwxr-sr-x" "directory in an fsGroup volume"
_umount_podvolfs
