#!/bin/bash
# TIMEOUT: 60
# A Memory emptyDir is sized as the kubelet sizes its tmpfs: what the
# daemon may use (-o memory_limit=), then the pod's memory limit, then the
# sizeLimit, each where it is smaller. The pod's limit counts when every
# container, init containers included, has resources.limits.memory: the
# larger of the app containers' sum and the largest init container's, plus
# the pod's overhead.memory.
# df and status show the size, and a write past it fails with ENOSPC.
. "$REPO/tests/lib/common.sh"
. "$REPO/tests/lib/pods.sh"

sized_pod() {
	local name=$1 second_limit=$2
	cat >"$SRC/$name.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  initContainers:
  - name: setup
    image: busybox
    resources:
      limits: {memory: 40Mi}
  containers:
  - name: app
    image: busybox
    resources:
      limits: {memory: 32Mi, cpu: 100m}
  - name: sidecar
    image: busybox
$second_limit
  volumes:
  - name: plain
    emptyDir: {medium: Memory}
  - name: big
    emptyDir: {medium: Memory, sizeLimit: 100Mi}
  - name: small
    emptyDir: {medium: Memory, sizeLimit: 8Mi}
YAML
}

kib() {
	df -k --output=size "$(vol "$1" "$2")" | tail -n 1 | tr -d ' '
}

sized_pod limited "    resources:
      limits:
        memory: 16Mi"
sized_pod unlimited "    resources:
      requests:
        memory: 16Mi"
overhead_pod() {
	cat >"$SRC/$1.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  overhead: {cpu: 250m, memory: $2}
  containers:
  - name: app
    image: busybox
    resources:
      limits: {memory: 32Mi}
  volumes:
  - name: plain
    emptyDir: {medium: Memory}
YAML
}
overhead_pod overhead 8Mi
_mount_podvolfs "$SRC" -o memory_limit=256Mi
_assert_eq "$(kib overhead plain)" $((40 * 1024)) "the pod's limit with its overhead, 32Mi + 8Mi"
_assert_eq "$(kib limited plain)" $((48 * 1024)) "no sizeLimit: the pod's limit, 32Mi + 16Mi"
_assert_eq "$(kib limited big)" $((48 * 1024)) "a sizeLimit above the pod's limit"
_assert_eq "$(kib limited small)" $((8 * 1024)) "a sizeLimit below the pod's limit"
_assert_eq "$(kib unlimited plain)" $((256 * 1024)) "a container without a limit: memory_limit"
_assert_eq "$(kib unlimited small)" $((8 * 1024)) "a sizeLimit without a pod limit"
_assert_eq "$(vol_field limited plain 5)" $((48 << 20)) "the LIMIT column"
_assert_errno ENOSPC write "$(vol limited plain)/f" $((49 << 20))

# the apiserver refuses a negative limit, naming the field
SRC=$TMPD sized_pod bad "    resources:
      limits:
        memory: -1Gi"
out=$("$PODVOLFS" --check "$TMPD/bad.yaml" 2>&1) && _fail "--check passed a negative memory limit"
grep -q 'spec.containers\[1\].resources.limits\[memory\]: Invalid value: "-1Gi": must be greater than or equal to 0' <<<"$out" ||
	_fail "negative limit: $out"
SRC=$TMPD overhead_pod bad -8Mi
out=$("$PODVOLFS" --check "$TMPD/bad.yaml" 2>&1) && _fail "--check passed a negative overhead"
grep -q 'spec.overhead\[memory\]: Invalid value: "-8Mi": must be greater than or equal to 0' <<<"$out" ||
	_fail "negative overhead: $out"
_umount_podvolfs
