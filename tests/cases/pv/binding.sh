#!/bin/bash
# TIMEOUT: 90
# The binder on a real mount (SPEC 7.5): N PVs and M claims give min(N, M)
# bindings, each claim the smallest PV that fits; a PV with fewer access
# modes wins over a smaller one with more; pre-binding from the claim
# (volumeName, which skips the selector but not the size) and from the PV
# (claimRef); a default StorageClass given to a claim that omits
# storageClassName, which then does not bind to a class-less PV, while
# storageClassName "" does; label selectors.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

h=$TMPD/h
for i in 1 2 3; do
	pv_hostpath "pool$i" "${i}Gi" ReadWriteOnce Retain "$h/pool$i"
done
for i in 1 2 3 4 5; do
	pvc "c$i" 1Gi ReadWriteOnce ""
done
_mount_podvolfs "$SRC"
_wait_for '[ "$(grep -c " Bound " "$MNT/.podvolfs/persistentvolumeclaims")" = 3 ]' 20 ||
	_fail "5 claims and 3 PVs did not give 3 bindings: $(cat "$MNT/.podvolfs/persistentvolumeclaims")"
_assert_eq "$(grep -c " Pending " "$MNT/.podvolfs/persistentvolumeclaims")" 2 "claims left Pending"
_assert_eq "$(grep -c " Bound " "$MNT/.podvolfs/persistentvolumes")" 3 "PVs bound"
events | grep -q "FailedBinding .*no persistent volumes available for this claim and no storage class is set" ||
	_fail "no FailedBinding event: $(events)"
rm "$SRC"/pv-pool* "$SRC"/pvc-c*
_wait_for '[ "$(grep -c " Terminating \| Bound " "$MNT/.podvolfs/persistentvolumes")" = 0 ]' 20 ||
	_fail "deleted PVs stay: $(cat "$MNT/.podvolfs/persistentvolumes")"

# fewest access modes first, then the smallest
pv_hostpath wide 1Gi ReadWriteOnce,ReadOnlyMany,ReadWriteMany Retain "$h/wide"
pv_hostpath narrow 5Gi ReadWriteOnce Retain "$h/narrow"
pvc pick 1Gi ReadWriteOnce ""
wait_pvc pick STATUS Bound
_assert_eq "$(pvc_col pick VOLUME)" narrow "the PV with fewer modes wins"

# 1G is less than 1Gi: exact quantities
pv_hostpath decimal 1G ReadWriteMany Retain "$h/decimal"
pvc exact 1Gi ReadWriteMany ""
wait_pvc exact STATUS Bound
_assert_eq "$(pvc_col exact VOLUME)" wide "1G does not hold 1Gi"

# pre-bound by the claim: the selector is not checked, the size is
pv_hostpath target 2Gi ReadWriteOnce Retain "$h/target" "" \
	"  claimRef:
    namespace: default
    name: other"
pv_hostpath named 2Gi ReadWriteOnce Retain "$h/named"
pvc byname 1Gi ReadWriteOnce "" "  volumeName: named
  selector:
    matchLabels:
      tier: nowhere"
wait_pvc byname STATUS Bound
_assert_eq "$(pvc_col byname VOLUME)" named "volumeName binds, whatever the selector"
pvc toosmall 3Gi ReadWriteOnce "" "  volumeName: decimal"
sleep 1
_assert_eq "$(pvc_col toosmall STATUS)" Pending "volumeName of a PV too small"
events | grep -q 'VolumeMismatch .*Cannot bind to requested volume "decimal": requested PV is too small' ||
	_fail "no VolumeMismatch event: $(events)"
_allow_log 'VolumeMismatch: Cannot bind to requested volume "decimal"'
# pre-bound by the PV: only the claim it names gets it
pvc intruder 1Gi ReadWriteOnce ""
pvc other 1Gi ReadWriteOnce ""
wait_pvc other STATUS Bound
_assert_eq "$(pvc_col other VOLUME)" target "the claim a PV's claimRef names"
[ "$(pvc_col intruder VOLUME)" != target ] || _fail "a PV reserved for another claim bound"

# a selector picks by labels
pv_hostpath gold 1Gi ReadWriteOncePod Retain "$h/gold" "" ""
sed -i 's/^metadata:$/metadata:\n  labels:\n    tier: gold/' "$SRC/pv-gold.yaml"
pv_hostpath plain 1Gi ReadWriteOncePod Retain "$h/plain"
pvc golden 1Gi ReadWriteOncePod "" "  selector:
    matchLabels:
      tier: gold"
wait_pvc golden STATUS Bound
_assert_eq "$(pvc_col golden VOLUME)" gold "the claim's selector"

# the default class: a claim without storageClassName gets it, and then
# does not bind to a class-less PV; "" does
storageclass standard example.com/no-such "" default
_wait_for '[ -n "$(class_col "standard (default)" PROVISIONER)" ]' 10 ||
	_fail "no default class: $(cat "$MNT/.podvolfs/storageclasses")"
pv_hostpath classless 1Gi ReadWriteMany Retain "$h/classless"
pvc omitted 1Gi ReadWriteMany
pvc explicit 1Gi ReadWriteMany ""
wait_pvc explicit STATUS Bound
_assert_eq "$(pvc_col explicit VOLUME)" classless "storageClassName \"\" binds a class-less PV"
_assert_eq "$(pvc_col omitted STORAGECLASS)" standard "the default class given at creation"
_assert_eq "$(pvc_col omitted STATUS)" Pending "a claim of the default class"
_umount_podvolfs
