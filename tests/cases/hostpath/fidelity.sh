#!/bin/bash
# TIMEOUT: 60
# What a hostPath keeps of the host's filesystem beyond the syscall
# exerciser: POSIX ACLs stored on the host and enforced for callers,
# security.* xattrs, ownership set by callers and left alone otherwise,
# inode numbers stable across lookups, and O_TMPFILE: made with libfuse
# 3.17's tmpfile operation (emptydir/tmpfile has the rest), refused cleanly
# with an older one.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/hostpath.sh"
_require_root
_require_cmd setfacl getfacl setfattr getfattr

h=$TMPD/host
mkdir -p "$h"
echo data >"$h/owned" && chown 1234:5678 "$h/owned" && chmod 0640 "$h/owned"
hostpath_pod fid "v=$h:Directory"
_mount_podvolfs "$SRC"
v=$MNT/default/fid/volumes/v

# Ownership and modes are the host's, untouched by setup
_assert_eq "$(stat -c '%u %g %a' "$v/owned")" "1234 5678 640" "host ownership"
_assert_eq "$(stat -c '%u %g %a' "$h/owned")" "1234 5678 640" "host ownership on the host"
# A file made by a user belongs to that user on the host
chmod 0777 "$h"
_as_user 1001:1001 touch "$v/mine"
_assert_eq "$(stat -c '%u %g' "$h/mine")" "1001 1001" "owner of a new file"

# ACLs: stored on the host, and a named-user entry grants access
echo secret >"$v/acl" && chmod 0600 "$v/acl"
_assert_errno EACCES --as 1001 read "$v/acl"
setfacl -m u:1001:r "$v/acl"
getfacl -cp "$h/acl" 2>/dev/null | grep -qx 'user:1001:r--' || _fail "ACL on the host: $(getfacl -cp "$h/acl")"
_assert_errno 0 --as 1001 read "$v/acl"
_assert_errno EACCES --as 1002 read "$v/acl"
setfacl -b "$v/acl"
_wait_for '[ "$("$HELPERS/errno-of" read "$v/acl")" = 0 ]'
_assert_errno EACCES --as 1001 read "$v/acl"

# security.* and trusted.* xattrs reach the host
setfattr -n security.podvolfs -v s "$v/acl"
setfattr -n trusted.podvolfs -v t "$v/acl"
_assert_eq "$(getfattr --absolute-names --only-values -n security.podvolfs "$h/acl")" s "security xattr"
_assert_eq "$(getfattr --absolute-names --only-values -n trusted.podvolfs "$h/acl")" t "trusted xattr"

# Inode numbers stay while the file exists, across the kernel forgetting it
ino=$(stat -c %i "$v/owned")
echo 2 >/proc/sys/vm/drop_caches
_assert_eq "$(stat -c %i "$v/owned")" "$ino" "inode after the kernel forgot it"

want=EOPNOTSUPP
! _libfuse_at_least 3.17 || want=0
_assert_eq "$("$HELPERS/hostpath-probe" tmpfile "$v")" $want "O_TMPFILE"
_umount_podvolfs
