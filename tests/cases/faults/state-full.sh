#!/bin/bash
# TIMEOUT: 60
# STATE on a small file system that fills up. A disk emptyDir written until
# it is full fails with ENOSPC (not EIO), keeps what was written before,
# and takes writes again once space is freed; the daemon serves on. A claim
# bound while STATE is full cannot be recorded: the log says so once, the
# records file stays whole as it was (no temporary file left), the claim
# is served all the same, and the records are written as soon as there is
# room again, without waiting for another change, so that a restart finds
# the binding. A claim to provision waits for the records meanwhile: the
# PV's name comes from the claim's uid, which must be on disk first.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"
_require_root
_require_cmd mount umount sha256sum

STATE=$TMPD/small
mkdir "$STATE"
mount -t tmpfs -o size=8m,mode=0700 podvolfs-faults "$STATE"
_at_exit "umount -l '$STATE'"

emptydir_pod full ""
_mount_podvolfs "$SRC"
d=$(vol full data)
records=$STATE/objects/records
[ -f "$records" ] || _fail "no records file at start"
cp "$records" "$TMPD/records.before"

# what is there before STATE fills up
"$HELPERS/fill" "$d/keep" 1M >/dev/null
sum=$(sha256sum <"$d/keep")

out=$("$HELPERS/fill" "$d/big" 16M || true)
[ "${out#* }" = ENOSPC ] || _fail "filling STATE: $out, expected ENOSPC"
[ "${out% *}" -gt 0 ] || _fail "nothing written before ENOSPC: $out"
_assert_eq "$(stat -c %s "$d/big")" "${out% *}" "size of the file that filled STATE"
_assert_errno ENOSPC write "$d/big" 4096
_assert_errno ENOSPC write "$d/more" 4096
_assert_eq "$(sha256sum <"$d/keep")" "$sum" "a file written before STATE filled up"
grep -q '^data ' "$MNT/default/full/status" || _fail "status: $(cat "$MNT/default/full/status")"

# a claim bound now cannot be recorded; one to provision waits
_allow_log "error: $STATE/objects/records: cannot write: No space left on device; it keeps what it held"
pv_hostpath pv1 1Gi ReadWriteOnce Retain "$TMPD/pv1"
pvc c1 1Gi ReadWriteOnce ""
claim_pod user c1
storageclass fast podvolfs.io/local
pvc c2 10Mi ReadWriteOnce fast
claim_pod local c2
wait_pvc c1 STATUS Bound
wait_state user data Ready
_expect_log 'objects/records: cannot write: No space left on device'
echo claimed >"$(vol user data)/f"
cmp "$records" "$TMPD/records.before" || _fail "the records file changed while STATE was full"
[ -z "$(ls -A "$STATE/objects" | grep -v '^records$')" ] ||
	_fail "left in STATE/objects: $(ls -A "$STATE/objects")"
sleep 1.5
_assert_eq "$(grep -c 'objects/records: cannot write' "$LOGS/podvolfs.log")" 1 \
	"failures logged while STATE stays full"
# nothing is provisioned for a claim whose uid is not on disk
_assert_eq "$(pvc_col c2 STATUS)" Pending "a claim to provision while STATE is full"
[ ! -e "$STATE/pvs" ] || [ -z "$(ls -A "$STATE/pvs")" ] ||
	_fail "provisioned while STATE is full: $(ls -A "$STATE/pvs")"

# room again: writes work, and the records follow by themselves
rm "$d/big"
"$HELPERS/fill" "$d/after" 1M >/dev/null
_expect_log "notice: $STATE/objects/records: written again" 5
grep -q $'^pvc\tnamespace=default\tname=c1\t.*\tvolume=pv1\t' "$records" ||
	_fail "the binding is not recorded: $(cat "$records")"
uid=$(sed -n $'s/^pvc\tnamespace=default\tname=c1\tuid=\\([^\t]*\\)\t.*/\\1/p' "$records")
wait_pvc c2 STATUS Bound
pv2=$(pvc_col c2 VOLUME)
wait_state local data Ready
echo provisioned >"$(vol local data)/f"

_restart_podvolfs
wait_pvc c1 STATUS Bound
_assert_eq "$(pvc_col c1 VOLUME)" pv1 "the claim's volume after a restart"
grep -q $'^pvc\tnamespace=default\tname=c1\tuid='"$uid"$'\t' "$records" ||
	_fail "the claim has a new uid after a restart: $(cat "$records")"
wait_state user data Ready
_assert_eq "$(cat "$(vol user data)/f")" claimed "the claim's data after a restart"
wait_pvc c2 STATUS Bound
_assert_eq "$(pvc_col c2 VOLUME)" "$pv2" "the provisioned claim's volume after a restart"
wait_state local data Ready
_assert_eq "$(cat "$(vol local data)/f")" provisioned "the provisioned claim's data after a restart"
_assert_eq "$(sha256sum <"$(vol full data)/keep")" "$sum" "the emptyDir after a restart"
_umount_podvolfs
