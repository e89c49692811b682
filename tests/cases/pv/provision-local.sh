#!/bin/bash
# TIMEOUT: 90
# The local provisioner: a claim of a podvolfs.io/local class gets a PV
# "pvc-<claim uid>" with a directory STATE/pvs/<pv>_<ns>_<claim> of mode
# 0777, the claim's modes and the request as its capacity, bound at once
# (Immediate) or once a pod uses the claim (WaitForFirstConsumer, as the
# rancher.io/local-path class ships); the pod gets the directory; Delete
# removes it with the PV once the claim and its pod are gone. A class of a
# provisioner podvolfs does not run leaves the claim Pending with the
# controller's message, a missing class with its own.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

storageclass fast podvolfs.io/local
storageclass local-path rancher.io/local-path \
	"volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete"
storageclass ebs ebs.csi.aws.com
pvc data 100Mi ReadWriteOnce fast
pvc later 50Mi ReadWriteOncePod local-path
pvc cloud 1Gi ReadWriteOnce ebs
pvc lost 1Gi ReadWriteOnce nosuchclass
_mount_podvolfs "$SRC"

wait_pvc data STATUS Bound
pv=$(pvc_col data VOLUME)
case $pv in pvc-????????-????-4???-????-????????????) ;; *) _fail "provisioned PV name: $pv" ;; esac
_assert_eq "$(pv_col "$pv" CAPACITY)" 100Mi "the provisioned capacity"
_assert_eq "$(pv_col "$pv" 'RECLAIM POLICY')" Delete "a class's default policy"
_assert_eq "$(pv_col "$pv" STORAGECLASS)" fast "the provisioned PV's class"
_assert_eq "$(pv_col "$pv" CLAIM)" default/data "the provisioned PV's claim"
dir=$STATE/pvs/${pv}_default_data
[ -d "$dir" ] || _fail "no directory $dir: $(ls -l "$STATE/pvs")"
_assert_eq "$(stat -c %a "$dir")" 777 "the provisioned directory's mode"
events | grep -q "ProvisioningSucceeded .*Successfully provisioned volume $pv" ||
	_fail "no ProvisioningSucceeded event: $(events)"

# WaitForFirstConsumer: nothing until a pod uses the claim
sleep 1
_assert_eq "$(pvc_col later STATUS)" Pending "a WaitForFirstConsumer claim without a pod"
events | grep -q "WaitForFirstConsumer .*waiting for first consumer to be created before binding" ||
	_fail "no WaitForFirstConsumer event: $(events)"
claim_pod app later
wait_pvc later STATUS Bound
wait_state app data Ready
echo kept >"$(vol app data)/f"
lpv=$(pvc_col later VOLUME)
_assert_eq "$(cat "$STATE/pvs/${lpv}_default_later/f")" kept "the pod's data in the provisioned directory"
_assert_eq "$(pvc_col later 'ACCESS MODES')" RWOP "the claim's modes"

# an external provisioner, and a class that does not exist
_assert_eq "$(pvc_col cloud STATUS)" Pending "a claim of an external provisioner"
events | grep -q "ExternalProvisioning .*Waiting for a volume to be created either by the external provisioner 'ebs.csi.aws.com' or manually by the system administrator" ||
	_fail "no ExternalProvisioning event: $(events)"
events | grep -q 'ProvisioningFailed .*storageclass.storage.k8s.io "nosuchclass" not found' ||
	_fail "no ProvisioningFailed event for a missing class: $(events)"
_allow_log 'ProvisioningFailed: storageclass.storage.k8s.io "nosuchclass" not found'

# Delete: only once the pod is gone, then the directory and the PV go
rm "$SRC/pvc-later.yaml"
wait_pvc later STATUS Terminating
[ -d "$STATE/pvs/${lpv}_default_later" ] || _fail "a claim in use lost its data"
rm "$SRC/app.yaml"
_wait_for "[ ! -e '$STATE/pvs/${lpv}_default_later' ]" 20 ||
	_fail "Delete left $STATE/pvs/${lpv}_default_later"
_wait_for "[ -z \"\$(pv_col $lpv NAME)\" ]" 20 || _fail "the deleted PV is still listed"
_assert_eq "$(pv_col "$pv" STATUS)" Bound "the other provisioned PV"
_umount_podvolfs
