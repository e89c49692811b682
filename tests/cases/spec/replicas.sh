#!/bin/bash
# TIMEOUT: 60
# Deployments and ReplicaSets give N pods named as Kubernetes names them,
# stable across restarts, each with its own emptyDirs.
. "$REPO/tests/lib/common.sh"

cp "$REPO/examples/cache.yaml" "$SRC/"
cat >"$SRC/rs.yaml" <<'YAML'
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: c
        image: nginx
      volumes:
      - name: tmp
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
YAML
_mount_podvolfs "$SRC"
_allow_log 'skipping kind "Service"'

alpha='[bcdfghjklmnpqrstvwxz2456789]'
pods=$(ls "$MNT/demo")
_assert_eq "$(echo "$pods" | wc -l)" 3 "replicas of the deployment"
echo "$pods" | grep -qvE "^cache-$alpha{8,10}-$alpha{5}\$" && _fail "deployment pod names: $pods"
_assert_eq "$(echo "$pods" | sed 's/-[^-]*$//' | sort -u | wc -l)" 1 "one template hash"
web=$(ls "$MNT/default")
_assert_eq "$(echo "$web" | wc -l)" 2 "replicas of the replicaset"
echo "$web" | grep -qvE "^web-$alpha{5}\$" && _fail "replicaset pod names: $web"
grep -q 'skipping kind "Service"' "$LOGS/podvolfs.log" || _fail "no notice for the Service"

# Each replica has its own volume.
set -- $pods
echo one > "$MNT/demo/$1/volumes/spool/f"
[ ! -e "$MNT/demo/$2/volumes/spool/f" ] || _fail "replicas share an emptyDir"
_restart_podvolfs
_assert_eq "$(ls "$MNT/demo")" "$pods" "pod names after restart"
_assert_eq "$(cat "$MNT/demo/$1/volumes/spool/f")" one "replica data after restart"
_umount_podvolfs
