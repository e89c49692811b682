#!/bin/bash
# TIMEOUT: 120
# PersistentVolumes, claims, StorageClasses and StatefulSets are read, not
# skipped: a StatefulSet's pods are served as "<set>-<ordinal>" with their
# claim volumes listed; a bad object of these kinds is refused with the
# apiserver's words, naming file, line, column and field, and the pods of
# the other files are served meanwhile.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

_allow_log 'volume type "(persistentVolumeClaim|ephemeral)" is not supported yet'
_allow_log 'NotSupported: volume "[a-z]+" is of type [a-zA-Z]+, which podvolfs does not serve'
_allow_log 'error: .*: not applied:'
_allow_log '^[^ ]+:[0-9]+:[0-9]+: '

# Waits up to 10 s for the daemon's log to hold the fixed string $1.
log_has() {
	for _ in $(seq 100); do
		grep -qF -- "$1" "$LOGS/podvolfs.log" && return 0
		sleep 0.1
	done
	return 1
}

cat >"$SRC/storage.yaml" <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: podvolfs.io/local
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv1}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: {path: /srv/pv1}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: static, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: nginx
        volumeMounts:
        - {name: www, mountPath: /usr/share/nginx/html}
        - {name: cache, mountPath: /cache}
        - {name: scratch, mountPath: /scratch}
      volumes:
      - name: cache
      - name: scratch
        ephemeral:
          volumeClaimTemplate:
            spec:
              accessModes: [ReadWriteOncePod]
              resources: {requests: {storage: 1Mi}}
  volumeClaimTemplates:
  - metadata: {name: www}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
YAML
emptydir_pod good ""

"$PODVOLFS" --check "$SRC" >"$TMPD/out" 2>"$TMPD/err" || _fail "--check: $(cat "$TMPD/err")"
_assert_eq "$(cat "$TMPD/out")" "$(printf 'pod default/good: 1 volumes\npod shop/web-0: 3 volumes\npod shop/web-1: 3 volumes')" \
	"--check's pods"

_mount_podvolfs "$SRC"
_assert_eq "$(ls "$MNT/shop" | tr '\n' ' ')" "web-0 web-1 " "pods of the statefulset"
status=$MNT/shop/web-1/status
_wait_for "grep -q '^www *persistentVolumeClaim,claim=www-web-1 *Ready ' $status" 20 ||
	_fail "www: $(cat "$status")"
_wait_for "grep -q '^scratch *ephemeral,claim=web-1-scratch *Ready ' $status" 20 ||
	_fail "scratch: $(cat "$status")"
grep -q '^cache *emptyDir,medium=disk *Ready ' "$status" || _fail "cache: $(cat "$status")"
[ -d "$MNT/shop/web-1/volumes/cache" ] || _fail "web-1 has no cache volume"
! grep -q 'skipping kind' "$LOGS/podvolfs.log" || _fail "a storage kind was skipped"
echo precious > "$(vol good data)/file"

# bad NAME AT MESSAGE: the manifest on stdin is refused with that error.
bad() {
	cat >"$SRC/$1"
	log_has "$SRC/$1:$2: $3" || _fail "no error '$SRC/$1:$2: $3' in the log"
	rm "$SRC/$1"
	_assert_eq "$(cat "$(vol good data)/file")" precious "good pod while $1 was there"
}

bad pv-modes.yaml 5:16 'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes' <<'YAML'
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv2}
spec:
  accessModes: [ReadWriteOncePod, ReadWriteOnce]
  capacity: {storage: 1Gi}
  hostPath: {path: /srv/pv2}
YAML
bad pv-local.yaml 5:3 'spec.nodeAffinity: Required value: Local volume requires node affinity' <<'YAML'
apiVersion: v1
kind: PersistentVolume
metadata: {name: pv3}
spec:
  accessModes: [ReadWriteOnce]
  capacity: {storage: 1Gi}
  local: {path: /mnt/disk}
YAML
bad pvc-request.yaml 5:3 'spec.resources[storage]: Required value' <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: c}
spec:
  accessModes: [ReadWriteOnce]
YAML
bad class-policy.yaml 5:16 'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"' <<'YAML'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: old}
provisioner: podvolfs.io/local
reclaimPolicy: Recycle
YAML
bad set-selector.yaml 7:24 'spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`' <<'YAML'
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: api}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: i}]}
YAML
_assert_eq "$(ls "$MNT/shop" | tr '\n' ' ')" "web-0 web-1 " "pods of the statefulset at the end"
_umount_podvolfs
