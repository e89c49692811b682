#!/bin/bash
# TIMEOUT: 120
# A StatefulSet with volumeClaimTemplates: pods <set>-0..N-1, one claim
# <template>-<set>-<ordinal> each, provisioned; scaled 3 -> 1 -> 3, each
# replica finds its own data again (the claims are kept, the Retain
# default of persistentVolumeClaimRetentionPolicy); with whenScaled:
# Delete the claims of the replicas scaled away go, and their volumes.
# A generic ephemeral volume's claim <pod>-<volume> is made with its pod
# and goes with it, data and all.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pv.sh"

sts() {
	local replicas=$1 when_scaled=${2:-Retain}
	cat >"$SRC/web.yaml" <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: $replicas
  persistentVolumeClaimRetentionPolicy:
    whenScaled: $when_scaled
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: local
      resources:
        requests:
          storage: 10Mi
YAML
}

storageclass local podvolfs.io/local
sts 3
_mount_podvolfs "$SRC"
for i in 0 1 2; do
	wait_pvc "www-web-$i" STATUS Bound
	wait_state "web-$i" www Ready
	echo "replica $i" >"$(vol "web-$i" www)/index.html"
done

sts 1
_wait_for "[ ! -e '$MNT/default/web-2' ]" 20 || _fail "web-2 outlived the scale-down"
[ ! -e "$MNT/default/web-1" ] || _fail "web-1 outlived the scale-down"
_assert_eq "$(pvc_col www-web-2 STATUS)" Bound "a scaled-away replica's claim"

sts 3
for i in 0 1 2; do
	wait_state "web-$i" www Ready
	_assert_eq "$(cat "$(vol "web-$i" www)/index.html")" "replica $i" "replica $i's data after 3 -> 1 -> 3"
done

sts 1 Delete
_wait_for '[ -z "$(pvc_col www-web-2 NAME)" ]' 20 ||
	_fail "whenScaled: Delete kept www-web-2: $(cat "$MNT/.podvolfs/persistentvolumeclaims")"
_wait_for "[ \$(ls '$STATE/pvs' | wc -l) = 1 ]" 20 || _fail "the claims' volumes stay: $(ls "$STATE/pvs")"

# a generic ephemeral volume
cat >"$SRC/eph.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: eph
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: scratch
      mountPath: /scratch
  volumes:
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        spec:
          accessModes: [ReadWriteOnce]
          storageClassName: local
          resources:
            requests:
              storage: 1Mi
YAML
wait_pvc eph-scratch STATUS Bound
wait_state eph scratch Ready
epv=$(pvc_col eph-scratch VOLUME)
echo tmp >"$(vol eph scratch)/f"
rm "$SRC/eph.yaml"
_wait_for '[ -z "$(pvc_col eph-scratch NAME)" ]' 20 || _fail "the ephemeral claim outlived its pod"
_wait_for "[ ! -e '$STATE/pvs/${epv}_default_eph-scratch' ]" 20 ||
	_fail "the ephemeral volume's data outlived its pod"
_umount_podvolfs
