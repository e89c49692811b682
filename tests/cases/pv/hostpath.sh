#!/bin/bash
# TIMEOUT: 90
# A static hostPath PersistentVolume, claimed and mounted by a pod: a claim
# made before its PV waits and binds once the PV appears; the pod waits
# for the claim and is served without a restart; the pod's data is the
# host directory's; readOnly on the pod's claim reference makes every view
# read-only; Retain keeps the data and leaves the PV Released, so that a
# new claim of the same name does not bind until the admin removes the
# claimRef; a deleted claim stays Terminating while a pod uses it.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

host=$TMPD/host
pvc data 1Gi ReadWriteOnce ""
claim_pod app data
claim_pod reader data true
_mount_podvolfs "$SRC"

# the claim waits for a PV; so does the pod, saying why
wait_pvc data STATUS Pending
wait_state app data Pending
vol_field app data 6 "$TMPD/snap" | grep -q 'persistentvolumeclaim "data" is Pending' ||
	_fail "the pod does not say why it waits: $(cat "$MNT/default/app/status")"

# a PV too small, then one that fits: the claim binds to the second
pv_hostpath small 512Mi ReadWriteOnce Retain "$host-small"
pv_hostpath big 2Gi ReadWriteOnce,ReadOnlyMany Retain "$host"
wait_pvc data STATUS Bound
_assert_eq "$(pvc_col data VOLUME)" big "the claim's volume"
_assert_eq "$(pvc_col data CAPACITY)" 2Gi "the claim's capacity is the PV's"
_assert_eq "$(pvc_col data 'ACCESS MODES')" RWO,ROX "the claim's modes are the PV's"
_assert_eq "$(pv_col big CLAIM)" default/data "the PV's claim"
_assert_eq "$(pv_col small STATUS)" Available "the small PV"
_assert_eq "$(pv_col big 'RECLAIM POLICY')" Retain "the PV's policy"

# the pods are served without a restart
wait_state app data Ready
wait_state reader data Ready
vol_field app data 6 "$TMPD/snap" | grep -q "pv big (hostPath $host)" ||
	_fail "the status does not name the PV: $(cat "$MNT/default/app/status")"
echo hello >"$(vol app data)/file"
_assert_eq "$(cat "$host/file")" hello "the host directory holds the pod's data"
_assert_eq "$(cat "$MNT/default/app/containers/app/data/file")" hello "the container's view"
_assert_eq "$(cat "$(vol reader data)/file")" hello "a second pod shares the claim"
_assert_errno EROFS open-create "$(vol reader data)/new"
_assert_errno EROFS open-create "$MNT/default/reader/containers/app/data/new"

# the claim's manifest goes while pods use it: Terminating, still served
rm "$SRC/pvc-data.yaml"
wait_pvc data STATUS Terminating
_assert_eq "$(pv_col big STATUS)" Bound "the PV of a Terminating claim"
_assert_eq "$(cat "$(vol app data)/file")" hello "a Terminating claim's volume"

# once the pods are gone the claim goes, and Retain keeps the data
rm "$SRC/app.yaml" "$SRC/reader.yaml"
wait_pv big STATUS Released
[ -z "$(pvc_col data NAME)" ] || _fail "the claim outlived its pods"
_assert_eq "$(cat "$host/file")" hello "Retain kept the data"

# a new claim of the same name is a new claim: it does not bind
pvc data 1Gi ReadWriteOnce ""
wait_pvc data STATUS Pending
sleep 1
_assert_eq "$(pv_col big STATUS)" Released "a Released PV after a new claim of the same name"
[ "$(pvc_col data VOLUME)" != big ] || _fail "a new claim bound to a Released PV"

# the admin clears the claimRef: the PV is Available, and binds
pv_hostpath big 2Gi ReadWriteOnce,ReadOnlyMany Retain "$host" "" \
	"  claimRef:
    namespace: default
    name: data"
wait_pvc data STATUS Bound
_assert_eq "$(pvc_col data VOLUME)" big "the claim after the claimRef was cleared"
_umount_podvolfs
