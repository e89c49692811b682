# pods.sh - manifests for the cases, written into $SRC.
#
# emptydir_pod NAME MEDIUM [SIZELIMIT] [FSGROUP]: a Pod "NAME" in namespace
# default with one emptyDir "data" of MEDIUM ("" or Memory), mounted by one
# container, written to $SRC/NAME.yaml.
emptydir_pod() {
	local name=$1 medium=$2 limit=${3:-} fsgroup=${4:-}
	{
		echo "apiVersion: v1"
		echo "kind: Pod"
		echo "metadata:"
		echo "  name: $name"
		echo "spec:"
		if [ -n "$fsgroup" ]; then
			echo "  securityContext:"
			echo "    fsGroup: $fsgroup"
		fi
		echo "  containers:"
		echo "  - name: app"
		echo "    image: busybox"
		echo "    volumeMounts:"
		echo "    - name: data"
		echo "      mountPath: /data"
		echo "  volumes:"
		echo "  - name: data"
		echo "    emptyDir:"
		echo "      medium: \"$medium\""
		if [ -n "$limit" ]; then
			echo "      sizeLimit: $limit"
		fi
	} >"$SRC/$name.yaml"
}

# The directory of volume VOL of pod POD in namespace NS (default "default").
vol() {
	echo "$MNT/${3:-default}/$1/volumes/$2"
}

# The uid line of a pod's status file.
pod_uid() {
	awk 'NR == 1 { print $4 }' "$MNT/${2:-default}/$1/status"
}
