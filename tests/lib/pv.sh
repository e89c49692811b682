# shellcheck shell=bash
#
# pv.sh - PersistentVolumes, claims and StorageClasses for the pv cases,
# written into $SRC, and what the cases read back of .podvolfs/.
# Source it after common.sh; it sources pods.sh.
#
#   pv_hostpath NAME CAPACITY MODES POLICY PATH [CLASS] [EXTRA]
#                      a PersistentVolume with a hostPath source (type
#                      DirectoryOrCreate); MODES like "ReadWriteOnce,ReadOnlyMany";
#                      CLASS "" (default) for none; EXTRA: YAML lines added
#                      under spec (indented by the caller with two spaces)
#   pv_nfs NAME CAPACITY MODES POLICY SERVER PATH [CLASS] [EXTRA]
#                      the same with an nfs source
#   pvc NAME SIZE MODES [CLASS] [EXTRA]
#                      a PersistentVolumeClaim in namespace default; CLASS
#                      "-" (the default) leaves storageClassName out (nil),
#                      anything else is written, "" included
#   storageclass NAME PROVISIONER [EXTRA] [DEFAULT]
#                      a StorageClass; EXTRA: YAML lines at the top level;
#                      DEFAULT "default" makes it the default class
#   claim_pod NAME CLAIM [READONLY]
#                      a Pod with one container "app" mounting volume "data"
#                      (persistentVolumeClaim CLAIM) at /data
#   pv_col NAME COLUMN, pvc_col NAME COLUMN, class_col NAME COLUMN
#                      a column of a row of .podvolfs/persistentvolumes,
#                      persistentvolumeclaims (namespace default) or
#                      storageclasses, found by the header's column name
#   wait_pv NAME COLUMN VALUE [TIMEOUT], wait_pvc NAME COLUMN VALUE [TIMEOUT]
#                      waits (default 20 s) until the column says VALUE
#   events             prints .podvolfs/events

. "$REPO/tests/lib/pods.sh"

_modes_yaml() {
	local m

	echo "  accessModes:"
	for m in ${1//,/ }; do
		echo "  - $m"
	done
}

# The lines every PV of these cases starts with, up to its source.
_pv_head() {
	local name=$1 cap=$2 modes=$3 policy=$4 class=$5

	echo "apiVersion: v1"
	echo "kind: PersistentVolume"
	echo "metadata:"
	echo "  name: $name"
	echo "spec:"
	echo "  capacity:"
	echo "    storage: $cap"
	_modes_yaml "$modes"
	echo "  persistentVolumeReclaimPolicy: $policy"
	echo "  storageClassName: \"$class\""
}

pv_hostpath() {
	local name=$1 cap=$2 modes=$3 policy=$4 path=$5 class=${6:-} extra=${7:-}
	{
		_pv_head "$name" "$cap" "$modes" "$policy" "$class"
		echo "  hostPath:"
		echo "    path: $path"
		echo "    type: DirectoryOrCreate"
		[ -z "$extra" ] || printf '%s\n' "$extra"
	} >"$SRC/pv-$name.yaml"
}

pv_nfs() {
	local name=$1 cap=$2 modes=$3 policy=$4 server=$5 path=$6 class=${7:-}
	local extra=${8:-}
	{
		_pv_head "$name" "$cap" "$modes" "$policy" "$class"
		echo "  nfs:"
		echo "    server: $server"
		echo "    path: $path"
		[ -z "$extra" ] || printf '%s\n' "$extra"
	} >"$SRC/pv-$name.yaml"
}

pvc() {
	local name=$1 size=$2 modes=$3 class=${4--} extra=${5:-}
	{
		echo "apiVersion: v1"
		echo "kind: PersistentVolumeClaim"
		echo "metadata:"
		echo "  name: $name"
		echo "spec:"
		_modes_yaml "$modes"
		echo "  resources:"
		echo "    requests:"
		echo "      storage: $size"
		[ "$class" = - ] || echo "  storageClassName: \"$class\""
		[ -z "$extra" ] || printf '%s\n' "$extra"
	} >"$SRC/pvc-$name.yaml"
}

storageclass() {
	local name=$1 provisioner=$2 extra=${3:-} default=${4:-}
	{
		echo "apiVersion: storage.k8s.io/v1"
		echo "kind: StorageClass"
		echo "metadata:"
		echo "  name: $name"
		if [ "$default" = default ]; then
			echo "  annotations:"
			echo "    storageclass.kubernetes.io/is-default-class: \"true\""
		fi
		echo "provisioner: $provisioner"
		[ -z "$extra" ] || printf '%s\n' "$extra"
	} >"$SRC/sc-$name.yaml"
}

claim_pod() {
	local name=$1 claim=$2 ro=${3:-false}
	{
		echo "apiVersion: v1"
		echo "kind: Pod"
		echo "metadata:"
		echo "  name: $name"
		echo "spec:"
		echo "  containers:"
		echo "  - name: app"
		echo "    image: busybox"
		echo "    volumeMounts:"
		echo "    - name: data"
		echo "      mountPath: /data"
		echo "  volumes:"
		echo "  - name: data"
		echo "    persistentVolumeClaim:"
		echo "      claimName: $claim"
		echo "      readOnly: $ro"
	} >"$SRC/$name.yaml"
}

# _col FILE KEYCOLUMN KEY COLUMN [KEY2COLUMN KEY2]: the COLUMN of the row
# whose KEYCOLUMN is KEY (and KEY2COLUMN KEY2), columns placed by the header.
_col() {
	awk -v kc="$2" -v k="$3" -v c="$4" -v kc2="${5:-}" -v k2="${6:-}" '
		function field(name,   s, e) {
			s = start[name]
			e = nxt[name]
			v = e ? substr($0, s, e - s) : substr($0, s)
			sub(/ +$/, "", v)
			return v
		}
		NR == 1 {
			n = 0
			line = $0
			while (match(line, /[^ ]+( [^ ]+)*/)) {
				names[++n] = substr(line, RSTART, RLENGTH)
				pos[n] = RSTART + (length($0) - length(line))
				line = substr(line, RSTART + RLENGTH)
			}
			for (i = 1; i <= n; i++) {
				start[names[i]] = pos[i]
				nxt[names[i]] = i < n ? pos[i + 1] : 0
			}
			next
		}
		field(kc) == k && (kc2 == "" || field(kc2) == k2) {
			print field(c)
			exit
		}' "$1"
}

pv_col() {
	_col "$MNT/.podvolfs/persistentvolumes" NAME "$1" "$2"
}

pvc_col() {
	_col "$MNT/.podvolfs/persistentvolumeclaims" NAME "$1" "$2" NAMESPACE default
}

class_col() {
	_col "$MNT/.podvolfs/storageclasses" NAME "$1" "$2"
}

wait_pv() {
	_wait_for "[ \"\$(pv_col $1 '$2')\" = '$3' ]" "${4:-20}" ||
		_fail "pv $1: $2 is not $3: $(cat "$MNT/.podvolfs/persistentvolumes"; events)"
}

wait_pvc() {
	_wait_for "[ \"\$(pvc_col $1 '$2')\" = '$3' ]" "${4:-20}" ||
		_fail "pvc $1: $2 is not $3: $(cat "$MNT/.podvolfs/persistentvolumeclaims"; events)"
}

events() {
	cat "$MNT/.podvolfs/events"
}
