#!/bin/bash
# TIMEOUT: 150
# PersistentVolumes on the test NFS server: a static nfs PV whose
# mountOptions carry the server's ports (the daemon is given none), served
# to a pod and recycled through the nfs store; the nfs-subdir provisioner
# (under its upstream name) making <ns>-<claim>-<pv> on the export, mode
# 0777, with a pathPattern too; Delete archiving the directory to
# archived-<dir> by default, and removing it with archiveOnDelete: "false".
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/nfs.sh"
. "$REPO/tests/lib/pv.sh"

nfs_server_setup
mkdir -p "$NFS_EXPORT/static"
echo served >"$NFS_EXPORT/static/f"
nfs_server_start
pv_nfs shared 5Gi ReadWriteMany Recycle 127.0.0.1 /export/static "" \
	"  mountOptions:
  - nfsvers=3
  - port=$NFS_PORT
  - mountport=$NFS_MOUNT_PORT"
pvc files 1Gi ReadWriteMany ""
claim_pod app files
_mount_podvolfs "$SRC"
wait_state app data Ready 40
_assert_eq "$(cat "$(vol app data)/f")" served "the static nfs PV's data"
mkdir "$(vol app data)/.dir"
echo w >"$(vol app data)/.dir/w"
vol_field app data 6 "$TMPD/snap" | grep -q "pv shared (nfs 127.0.0.1:/export/static)" ||
	_fail "the status does not name the PV: $(cat "$MNT/default/app/status")"
rm "$SRC/app.yaml" "$SRC/pvc-files.yaml"
wait_pv shared STATUS Available 40
_assert_eq "$(ls -A "$NFS_EXPORT/static")" "" "the export directory after Recycle"
_umount_podvolfs

# nfs-subdir: the daemon's -o nfs_port= reach the server
opts="server: 127.0.0.1
  path: /export"
storageclass archive k8s-sigs.io/nfs-subdir-external-provisioner "parameters:
  $opts"
storageclass plain podvolfs.io/nfs-subdir "parameters:
  $opts
  archiveOnDelete: \"false\"
  pathPattern: \"\${.PVC.namespace}/\${.PVC.annotations.team}\""
pvc kept 10Mi ReadWriteMany archive
pvc gone 10Mi ReadWriteMany plain
sed -i 's/^metadata:$/metadata:\n  annotations:\n    team: blue/' "$SRC/pvc-gone.yaml"
claim_pod writer kept
_mount_podvolfs "$SRC" -o "$NFS_OPTS"
wait_pvc kept STATUS Bound 40
wait_pvc gone STATUS Bound 40
kpv=$(pvc_col kept VOLUME)
dir=$NFS_EXPORT/default-kept-$kpv
[ -d "$dir" ] || _fail "no $dir on the export: $(ls "$NFS_EXPORT")"
_assert_eq "$(stat -c %a "$dir")" 777 "the provisioned directory's mode"
[ -d "$NFS_EXPORT/default/blue" ] || _fail "pathPattern made no default/blue: $(find "$NFS_EXPORT")"
wait_state writer data Ready 40
echo note >"$(vol writer data)/note"
_assert_eq "$(cat "$dir/note")" note "the pod's data on the export"

rm "$SRC/writer.yaml" "$SRC/pvc-kept.yaml" "$SRC/pvc-gone.yaml"
_wait_for "[ -d '$NFS_EXPORT/archived-default-kept-$kpv' ]" 40 ||
	_fail "Delete did not archive: $(ls "$NFS_EXPORT")"
_assert_eq "$(cat "$NFS_EXPORT/archived-default-kept-$kpv/note")" note "the archived data"
_wait_for "[ ! -e '$NFS_EXPORT/default/blue' ]" 40 ||
	_fail "archiveOnDelete \"false\" left default/blue"
_wait_for '[ -z "$(pv_col '"$kpv"' NAME)" ]' 20 || _fail "the deleted PV is still listed"
_umount_podvolfs
