#!/bin/bash
# TIMEOUT: 60
# A local PersistentVolume: its nodeAffinity is checked against this node
# (-o node_name=): the PV for this node is served, the one for another
# node is bound (the controller does not look at nodes) but its pod gets
# no volume, in the scheduler's words; a local PV whose path is missing
# fails as the kubelet fails it. With WaitForFirstConsumer the scheduler's
# path picks the PV of this node.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

local_pv() {
	local name=$1 path=$2 node=$3 class=${4:-}
	cat >"$SRC/pv-$name.yaml" <<YAML
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $name
spec:
  capacity:
    storage: 1Gi
  accessModes: [ReadWriteOnce]
  storageClassName: "$class"
  local:
    path: $path
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: In
          values: [$node]
YAML
}

mkdir -p "$TMPD/disk1" "$TMPD/disk2"
echo here >"$TMPD/disk1/f"
local_pv here "$TMPD/disk1" edge-1
local_pv there "$TMPD/disk2" edge-2
pvc mine 1Gi ReadWriteOnce ""
pvc theirs 1Gi ReadWriteOnce "" "  volumeName: there"
claim_pod app mine
claim_pod far theirs
_mount_podvolfs "$SRC" -o node_name=edge-1
wait_pvc mine STATUS Bound
wait_pvc theirs STATUS Bound
wait_state app data Ready
_assert_eq "$(cat "$(vol app data)/f")" here "the local PV's data"
wait_state far data Pending
vol_field far data 6 "$TMPD/snap" | grep -q "1 node(s) had volume node affinity conflict" ||
	_fail "the pod of another node's PV: $(cat "$MNT/default/far/status")"

# a missing path fails as the kubelet's mount does
local_pv gone "$TMPD/nowhere" edge-1
pvc lost 1Gi ReadWriteOnce "" "  volumeName: gone"
claim_pod sad lost
wait_state sad data Failed
vol_field sad data 6 "$TMPD/snap" | grep -q "path \"$TMPD/nowhere\" does not exist" ||
	_fail "a local PV without its path: $(cat "$MNT/default/sad/status")"
_allow_log 'path ".*/nowhere" does not exist'
_allow_log 'pod default/sad container "app": ContainerCreating: cannot find volume "data"'

# WaitForFirstConsumer: the PV of this node, once a pod uses the claim
storageclass disks kubernetes.io/no-provisioner "volumeBindingMode: WaitForFirstConsumer"
mkdir -p "$TMPD/disk3" "$TMPD/disk4"
local_pv far-disk "$TMPD/disk3" edge-2 disks
local_pv near-disk "$TMPD/disk4" edge-1 disks
pvc picky 1Gi ReadWriteOnce disks
sleep 1
_assert_eq "$(pvc_col picky STATUS)" Pending "a WaitForFirstConsumer claim without a pod"
claim_pod user picky
wait_pvc picky STATUS Bound
_assert_eq "$(pvc_col picky VOLUME)" near-disk "the PV of this node"
wait_state user data Ready
_umount_podvolfs
