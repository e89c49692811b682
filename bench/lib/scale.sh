# shellcheck shell=bash
#
# scale.sh - the scale benchmark of bench/run: SCALE_PODS pods with four
# volumes each (two disk emptyDirs, two Memory emptyDirs), one manifest
# file per pod in a watched SOURCE directory, as a node's static pods are.
#
# Each repetition starts a fresh daemon on a fresh state directory and
# records (as system "scale"):
#   ready       seconds from starting the daemon until the mount lists
#               every pod of the namespace
#   ls          seconds of the first "ls -l" of the namespace
#   rss_ready   KiB of daemon memory per volume once ready: VmRSS minus the
#               VmRSS of the same daemon serving an empty SOURCE
#   rss_walk    the same after "find -maxdepth 4" has looked up every volume

scale_manifests() {
	local i

	mkdir -p "$W/scale/src" "$W/scale/empty"
	for ((i = 0; i < SCALE_PODS; i++)); do
		printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" \
			"  name: pod-$i" "  namespace: scale" "spec:" "  containers:" \
			"  - name: c" "    image: busybox" "  volumes:" \
			"  - name: d1" "    emptyDir: {}" "  - name: d2" "    emptyDir: {}" \
			"  - name: m1" "    emptyDir:" "      medium: Memory" \
			"  - name: m2" "    emptyDir:" "      medium: Memory" \
			>"$W/scale/src/pod-$i.yaml"
	done
}

# Prints the VmRSS (KiB) of pid $1.
rss_of() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"
}

# Unmounts $1 and waits up to 10 s for daemon $2 to exit.
scale_stop() {
	local n

	unmount_one "$1" || return 1
	for n in $(seq 500); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.02
	done
	wait "$2" 2>/dev/null
	! kill -0 "$2" 2>/dev/null
}

# Starts a daemon on SOURCE $1 and state $2 at $W/scale/mnt; sets SCALE_PID.
scale_start() {
	# shellcheck disable=SC2086 # PODVOLFS_ARGS is a list of words
	spawn podvolfs-scale "$PODVOLFS" "$1" "$W/scale/mnt" -f \
		-o "state=$2${PODVOLFS_O:+,$PODVOLFS_O}" ${PODVOLFS_ARGS:-}
	SCALE_PID=${PIDS[-1]}
	MOUNTS+=("$W/scale/mnt")
}

ph_scale() {
	local m=$W/scale/mnt state=$W/scale/state base t0 us pods n rss

	mkdir -p "$m" && rm -rf "$state" "$state-empty" && mkdir -p "$state" "$state-empty" || return 1

	scale_start "$W/scale/empty" "$state-empty"
	wait_mounted "$m" fuse.podvolfs && sleep 0.3 && base=$(rss_of "$SCALE_PID") &&
		scale_stop "$m" "$SCALE_PID" || return 1

	t0=${EPOCHREALTIME/./}
	scale_start "$W/scale/src" "$state"
	for ((n = 0; ; n++)); do
		pods=0
		if [ -d "$m/scale" ]; then
			pods=$(shopt -s nullglob; a=("$m"/scale/*); echo ${#a[@]})
		fi
		[ "$pods" -ge "$SCALE_PODS" ] && break
		[ "$n" -lt 12000 ] && kill -0 "$SCALE_PID" 2>/dev/null || {
			echo "bench: $pods of $SCALE_PODS pods after 60 s" >&2
			return 1
		}
		sleep 0.005
	done
	us=$((${EPOCHREALTIME/./} - t0))
	record scale ready "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))"
	rss=$(rss_of "$SCALE_PID") &&
		record scale rss_ready "$(awk -v r="$rss" -v b="$base" -v n="$SCALE_PODS" \
			'BEGIN { printf "%.2f\n", (r - b) / (4 * n) }')" &&
		timed ls -l --color=never "$m/scale" >/dev/null && record scale ls "$ELAPSED" &&
		find "$m" -maxdepth 4 >/dev/null &&
		rss=$(rss_of "$SCALE_PID") &&
		record scale rss_walk "$(awk -v r="$rss" -v b="$base" -v n="$SCALE_PODS" \
			'BEGIN { printf "%.2f\n", (r - b) / (4 * n) }')" &&
		scale_stop "$m" "$SCALE_PID" && rm -rf "$state" "$state-empty"
}

# Prints the scale table from $W/results.tsv.
scale_report() {
	awk -F'\t' -v pods="$SCALE_PODS" -f "$REPO/bench/lib/median.awk" -f /dev/fd/3 "$W/results.tsv" 3<<'AWK'
	$2 == "scale" { v[$3] = v[$3] " " $4; n[$3]++ }
	function row(k, label, scale, target, limit,    m) {
		if (!(k in v)) {
			printf "| %s | failed | %s |\n", label, target
			return
		}
		m = median_of(v[k]) * scale
		printf "| %s | %.2f | %s%s |\n", label, m, target,
			limit == "" ? "" : (m < limit ? " ✓" : " ✗")
	}
	END {
		print "| measure | median | target |"
		print "|---|---|---|"
		row("ready", sprintf("%d pods x 4 volumes ready (s)", pods), 1, "< 2 s", pods >= 1000 ? 2 : "")
		row("ls", "ls -l of the namespace (ms)", 1000, "", "")
		row("rss_ready", "daemon memory per volume, once ready (KiB)", 1, "", "")
		row("rss_walk", "daemon memory per volume, every volume looked up (KiB)", 1, "< 16 KiB", 16)
	}
AWK
}
