# pods.sh - manifests for the cases, written into $SRC, and what the cases
# read back of pods: their volumes' paths and states.
#
# emptydir_pod NAME MEDIUM [SIZELIMIT] [FSGROUP]: a Pod "NAME" in namespace
# default with one emptyDir "data" of MEDIUM ("" or Memory), mounted by one
# container, written to $SRC/NAME.yaml.
#
# vol_field POD VOL FIELD [FILE]: the STATE (3), MESSAGE (6) or DATA
# ("data": passthrough, daemon...) column of VOL in the status of POD
# (namespace default), or in FILE, a copy of it.
#
# wait_state POD VOL STATE [TIMEOUT]: waits (default 30 s) until VOL is in
# STATE; the read of status that showed it is left in $TMPD/snap, for
# vol_field POD VOL 6 $TMPD/snap (a second read may find the next state).
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

vol_field() {
	awk -v v="$2" -v f="$3" '
		NR > 2 && NF == 0 { exit }
		NR > 2 && $1 == v {
			if (f == "data") { print $6; exit }
			if (f < 6) { print $f; exit }
			for (i = 1; i < 7; i++) sub(/^[^ ]+ +/, "")
			print; exit
		}' "${4:-$MNT/default/$1/status}"
}

wait_state() {
	_wait_for "cat $MNT/default/$1/status >$TMPD/snap 2>/dev/null &&
		[ \"\$(vol_field $1 $2 3 $TMPD/snap)\" = $3 ]" "${4:-30}" ||
		_fail "volume $2 of pod $1 is not $3: $(cat "$MNT/default/$1/status" 2>&1)"
}
