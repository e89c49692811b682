#!/bin/bash
# TIMEOUT: 60
# Volume types not implemented yet are listed by name in status, not dropped,
# and the pod's other volumes are served; so are they beside a claim that
# does not exist, which waits.
. "$REPO/tests/lib/common.sh"

_allow_log 'volume type "[a-zA-Z]+" is not supported yet'
_allow_log 'unknown storage medium'
cat >"$SRC/mixed.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: mixed
  namespace: apps
spec:
  containers:
  - name: c
    image: busybox
  volumes:
  - name: scratch
  - name: config
    configMap:
      name: app-config
  - name: claim
    persistentVolumeClaim:
      claimName: data
  - name: odd
    emptyDir:
      medium: Floppy
YAML
_mount_podvolfs "$SRC"
status=$MNT/apps/mixed/status
_assert_eq "$(ls "$MNT/apps/mixed/volumes")" scratch "served volumes"
grep -q '^scratch *emptyDir,medium=disk *Ready ' "$status" || _fail "scratch: $(cat "$status")"
grep -q '^config *configMap *NotSupported .*volume type "configMap" is not supported yet' "$status" ||
	_fail "config: $(cat "$status")"
grep -q '^claim *persistentVolumeClaim,claim=data *Pending .*persistentvolumeclaim "data" not found' "$status" ||
	_fail "claim: $(cat "$status")"
grep -q '^odd *emptyDir,medium=Floppy *Failed .*unknown storage medium "Floppy"' "$status" ||
	_fail "odd: $(cat "$status")"
_umount_podvolfs
