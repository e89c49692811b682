# shellcheck shell=bash
# hostpath.sh - manifests for the hostPath cases, written into $SRC.
#
# hostpath_pod NAME VOL=PATH[:TYPE]...: a Pod "NAME" in namespace default
# with one hostPath volume per argument, each mounted by one container,
# written to $SRC/NAME.yaml. TYPE may be empty (the v1 default "").
. "$REPO/tests/lib/pods.sh"

hostpath_pod() {
	local name=$1 spec vol path type
	shift
	{
		echo "apiVersion: v1"
		echo "kind: Pod"
		echo "metadata:"
		echo "  name: $name"
		echo "spec:"
		echo "  containers:"
		echo "  - name: app"
		echo "    image: busybox"
		echo "  volumes:"
		for spec in "$@"; do
			vol=${spec%%=*}
			path=${spec#*=}
			type=
			case $path in
			*:*) type=${path##*:}; path=${path%:*} ;;
			esac
			echo "  - name: $vol"
			echo "    hostPath:"
			echo "      path: \"$path\""
			echo "      type: \"$type\""
		done
	} >"$SRC/$name.yaml"
}

# The status line of volume VOL of pod POD.
vol_status() {
	awk -v v="$2" '$1 == v' "$MNT/default/$1/status"
}
