#!/bin/bash
# TIMEOUT: 60
# ReadWriteOncePod: the first pod using the claim gets the volume; a second
# pod gets none, its status in the scheduler's words, and gets it as soon
# as the first pod goes. A ReadOnlyMany-only PV is served read-only.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

pv_hostpath solo 1Gi ReadWriteOncePod Retain "$TMPD/solo"
pvc only 1Gi ReadWriteOncePod ""
pv_hostpath shelf 1Gi ReadOnlyMany Retain "$TMPD/shelf"
pvc books 1Gi ReadOnlyMany ""
mkdir -p "$TMPD/shelf"
echo page >"$TMPD/shelf/book"
claim_pod first only
_mount_podvolfs "$SRC"
wait_state first data Ready
echo one >"$(vol first data)/f"

claim_pod second only
wait_state second data Pending
vol_field second data 6 "$TMPD/snap" |
	grep -q "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode" ||
	_fail "the second pod does not say why: $(cat "$MNT/default/second/status")"
[ ! -e "$(vol second data)" ] || _fail "the second pod got an RWOP volume"
_assert_eq "$(awk '$1 == "app" { print $3; exit }' "$MNT/default/second/status")" ContainerCreating \
	"the second pod's container"

rm "$SRC/first.yaml"
wait_state second data Ready
_assert_eq "$(cat "$(vol second data)/f")" one "the second pod's data after the hand-over"

claim_pod reader books
wait_state reader data Ready
_assert_eq "$(cat "$(vol reader data)/book")" page "a ROX-only PV's data"
_assert_errno EROFS open-create "$(vol reader data)/new"
_assert_errno EROFS open-create "$MNT/default/reader/containers/app/data/new"
_umount_podvolfs
