# Renames through one container's view of a volume of kind $KIND (disk,
# Memory or hostPath) while other views list and open the files: never
# ESTALE or EIO, and afterwards every view reads every file the same and
# whole (tests/helpers/rename-churn.c).

case $KIND in
disk | Memory)
	spec="emptyDir: {medium: \"${KIND#disk}\"}"
	;;
hostPath)
	mkdir "$TMPD/host"
	spec="hostPath: {path: \"$TMPD/host\", type: Directory}"
	;;
*)
	_fail "unknown KIND '$KIND'"
	;;
esac
cat >"$SRC/churn.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: churn
spec:
  containers:
  - name: writer
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /data}
  - name: reader
    image: busybox
    volumeMounts:
    - {name: data, mountPath: /data, readOnly: true}
  volumes:
  - name: data
    $spec
YAML
# MEMORY_MEDIUM=daemon: a Memory emptyDir in the daemon's own memory
_mount_podvolfs "$SRC" ${MEMORY_MEDIUM:+-o "memory_medium=$MEMORY_MEDIUM"}
pod=$MNT/default/churn
# Before the fix of issue 15, 15 s gave several ESTALE on disk and hostPath.
"$HELPERS/rename-churn" 15 "$pod/containers/writer/data" "$pod/volumes/data" \
	"$pod/containers/reader/data" >"$TMPD/churn" ||
	_fail "$(cat "$TMPD/churn")"
cat "$TMPD/churn"
_umount_podvolfs
