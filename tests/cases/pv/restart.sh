#!/bin/bash
# TIMEOUT: 120
# Bindings and data survive the daemon: after kill -9 and a restart every
# claim is bound to the same PV, no volume is provisioned twice, no byte is
# lost. A manifest that fails to load after a restart does not make its
# claim look deleted (its Delete PV keeps its data), and an edit of an
# immutable field is refused with the apiserver's message, changing nothing.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

storageclass local podvolfs.io/local
pvc made 10Mi ReadWriteOnce local
pv_hostpath static 1Gi ReadWriteOnce Retain "$TMPD/static"
pvc fixed 1Gi ReadWriteOnce ""
claim_pod app made
_mount_podvolfs "$SRC"
wait_pvc made STATUS Bound
wait_pvc fixed STATUS Bound
wait_state app data Ready
pv=$(pvc_col made VOLUME)
echo durable >"$(vol app data)/f"
sync

_kill_podvolfs KILL
_mount_podvolfs "$SRC"
wait_pvc made STATUS Bound
_assert_eq "$(pvc_col made VOLUME)" "$pv" "the provisioned PV after kill -9"
_assert_eq "$(pvc_col fixed VOLUME)" static "the static binding after kill -9"
_assert_eq "$(ls "$STATE/pvs" | wc -l)" 1 "provisioned directories after kill -9"
wait_state app data Ready
_assert_eq "$(cat "$(vol app data)/f")" durable "the data after kill -9"

# a broken manifest: the claim stays as it was, the Delete PV keeps its data
_umount_podvolfs
echo "  bad: [" >>"$SRC/pvc-made.yaml"
_allow_log "pvc-made.yaml"
_mount_podvolfs "$SRC"
sleep 1
_assert_eq "$(pvc_col made STATUS)" Bound "a claim whose manifest fails to load"
_assert_eq "$(pv_col "$pv" STATUS)" Bound "its PV"
_assert_eq "$(cat "$STATE/pvs/${pv}_default_made/f")" durable "its data"

# edits of immutable fields are refused, the objects stay as they were
pvc made 10Mi ReadWriteMany local
_expect_log 'PersistentVolumeClaim "made" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'
pv_hostpath static 1Gi ReadWriteOnce Retain "$TMPD/elsewhere"
_expect_log 'PersistentVolume "static" is invalid: spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation'
storageclass local podvolfs.io/nfs-subdir
_expect_log 'StorageClass "local" is invalid: provisioner: Forbidden: updates to provisioner are forbidden.'
_assert_eq "$(pvc_col made 'ACCESS MODES')" RWO "the claim after a refused edit"
_assert_eq "$(class_col local PROVISIONER)" podvolfs.io/local "the class after a refused edit"
_assert_eq "$(cat "$(vol app data)/f")" durable "the data after refused edits"
_umount_podvolfs
