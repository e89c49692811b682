# shellcheck shell=bash
#
# systems.sh - the filesystems bench/run compares: how each is mounted, where
# its workloads run, and how everything is taken down again. Sourced by
# bench/run, which sets W (the work directory), PODVOLFS and LOGS.
#
# Every mount is recorded in MOUNTS and every process started in PIDS, so
# that bench_cleanup (the EXIT trap) can undo all of it, in reverse order,
# whatever state an interrupted run is in. A server with its own way of
# stopping registers a function in STOPS, run after the unmounts, or in
# QUIESCE, run before them when its files are on a mount.

MOUNTS=()
PIDS=()
STOPS=()
QUIESCE=()
# system id -> directory the workloads use
declare -A SYS_DIR
# system id -> column title
declare -A SYS_TITLE
# podvolfs system id -> its pod's status file and its volume's name there
declare -A SYS_STATUS SYS_VOL
# true when podvolfs serves hostPath volumes (set by sys_podvolfs)
PVF_HOSTPATH=0

# mergerfs as its man page recommends for a pool that needs mmap
# (2.33, "You need mmap"): page cache while a file is open, the branch's
# cache dropped on close so pages are not cached twice.
MERGERFS_OPTS=use_ino,cache.files=partial,dropcacheonclose=true,category.create=mfs
# rclone: the VFS write cache lets files be opened read-write (SQLite) and
# written out of order; it is kept on a tmpfs so the system stays in RAM.
RCLONE_OPTS=(--vfs-cache-mode writes)

# Waits up to 10 s until $1 is a mount point of type $2 (as in mountinfo).
wait_mounted() {
	local i

	for i in $(seq 500); do
		awk -v m="$1" -v t="$2" '$5 == m && $(NF-2) == t { f = 1 } END { exit !f }' \
			/proc/self/mountinfo && return 0
		sleep 0.02
	done
	echo "bench: $1 is not a $2 mount after 10 s" >&2
	return 1
}

# Starts "$@" in the background, logging to $LOGS/NAME.log; records its pid.
spawn() {
	local name=$1

	shift
	"$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
	PIDS+=("$!")
}

sys_native() {
	mkdir -p "$W/native"
	SYS_DIR[native]=$W/native
	SYS_TITLE[native]="native ext4"
}

sys_tmpfs() {
	mkdir -p "$W/tmpfs"
	mount -t tmpfs -o mode=0755 bench-tmpfs "$W/tmpfs" || return 1
	MOUNTS+=("$W/tmpfs")
	SYS_DIR[tmpfs]=$W/tmpfs
	SYS_TITLE[tmpfs]=tmpfs
}

sys_bindfs() {
	mkdir -p "$W/bindfs/src" "$W/bindfs/mnt"
	spawn bindfs bindfs -f "$W/bindfs/src" "$W/bindfs/mnt"
	MOUNTS+=("$W/bindfs/mnt")
	wait_mounted "$W/bindfs/mnt" fuse || return 1
	SYS_DIR[bindfs]=$W/bindfs/mnt
	SYS_TITLE[bindfs]=bindfs
}

sys_mergerfs() {
	mkdir -p "$W/mergerfs/src" "$W/mergerfs/mnt"
	spawn mergerfs mergerfs -f -o "$MERGERFS_OPTS" "$W/mergerfs/src" "$W/mergerfs/mnt"
	MOUNTS+=("$W/mergerfs/mnt")
	wait_mounted "$W/mergerfs/mnt" fuse.mergerfs || return 1
	SYS_DIR[mergerfs]=$W/mergerfs/mnt
	SYS_TITLE[mergerfs]=mergerfs
}

sys_rclone() {
	mkdir -p "$W/rclone/cache" "$W/rclone/mnt"
	mount -t tmpfs -o mode=0700 bench-rclone-cache "$W/rclone/cache" || return 1
	MOUNTS+=("$W/rclone/cache")
	spawn rclone rclone mount :memory: "$W/rclone/mnt" "${RCLONE_OPTS[@]}" \
		--cache-dir "$W/rclone/cache" --config /dev/null
	MOUNTS+=("$W/rclone/mnt")
	wait_mounted "$W/rclone/mnt" fuse.rclone || return 1
	# The memory backend keeps buckets at its root: a file there comes
	# back as a directory once uploaded. Work inside one bucket.
	mkdir "$W/rclone/mnt/bench" || return 1
	SYS_DIR[rclone]=$W/rclone/mnt/bench
	SYS_TITLE[rclone]="rclone :memory:"
}

# One daemon, one pod, four volumes: a hostPath, a disk emptyDir, a disk
# emptyDir with a sizeLimit (1Ti, far above what is written: every write
# is counted, none refused) and a Memory emptyDir, as systems pvf-host,
# pvf-disk, pvf-sized and pvf-mem. With $1 "off", a second daemon with
# -o passthrough=off and neither the sized nor the Memory volume (their
# data takes the same path either way), as pvf-host-off and pvf-disk-off;
# with $2 set, the first daemon's -o passthrough=$2. The hostPath column is
# used only when the daemon says the volume is Ready.
sys_podvolfs() {
	local id=podvolfs${1:+-$1} sfx=${1:+-$1} pt=${2:+,passthrough=$2} mem
	local m=$W/$id/mnt vols=$W/$id/mnt/bench/bench/volumes status=$W/$id/mnt/bench/bench/status

	[ -z "$1" ] || pt=,passthrough=off
	[ -n "$1" ] || mem=$'  - name: sized\n    emptyDir:\n      sizeLimit: 1Ti\n  - name: mem\n    emptyDir:\n      medium: Memory'
	mkdir -p "$W/$id/src" "$W/$id/state" "$W/$id/host" "$m"
	cat >"$W/$id/src/bench.yaml" <<-EOF
		apiVersion: v1
		kind: Pod
		metadata:
		  name: bench
		  namespace: bench
		spec:
		  containers:
		  - name: c
		    image: busybox
		  volumes:
		  - name: disk
		    emptyDir: {}
		  - name: host
		    hostPath:
		      path: $W/$id/host
		      type: Directory
		${mem:-}
	EOF
	# shellcheck disable=SC2086 # PODVOLFS_ARGS is a list of words
	spawn "$id" "$PODVOLFS" "$W/$id/src" "$m" -f \
		-o "state=$W/$id/state$pt${PODVOLFS_O:+,$PODVOLFS_O}" ${PODVOLFS_ARGS:-}
	MOUNTS+=("$m")
	wait_mounted "$m" fuse.podvolfs || return 1
	for _ in $(seq 250); do
		[ -d "$vols/disk" ] && { [ -n "$1" ] || { [ -d "$vols/mem" ] && [ -d "$vols/sized" ]; }; } && break
		sleep 0.02
	done
	[ -d "$vols/disk" ] && { [ -n "$1" ] || { [ -d "$vols/mem" ] && [ -d "$vols/sized" ]; }; } || {
		echo "bench: podvolfs did not make the bench pod's volumes" >&2
		return 1
	}
	if grep -Eq '^host +hostPath.* Ready ' "$status" && [ -d "$vols/host" ]; then
		[ -n "$1" ] || PVF_HOSTPATH=1
		SYS_DIR[pvf-host$sfx]=$vols/host
		SYS_TITLE[pvf-host$sfx]="podvolfs hostPath${1:+, passthrough=off}"
		SYS_STATUS[pvf-host$sfx]=$status SYS_VOL[pvf-host$sfx]=host
	fi
	SYS_DIR[pvf-disk$sfx]=$vols/disk
	SYS_TITLE[pvf-disk$sfx]="podvolfs emptyDir${1:+, passthrough=off}"
	SYS_STATUS[pvf-disk$sfx]=$status SYS_VOL[pvf-disk$sfx]=disk
	[ -n "$1" ] && return 0
	SYS_DIR[pvf-sized]=$vols/sized
	SYS_TITLE[pvf-sized]="podvolfs emptyDir, sizeLimit"
	SYS_STATUS[pvf-sized]=$status SYS_VOL[pvf-sized]=sized
	SYS_DIR[pvf-mem]=$vols/mem
	SYS_TITLE[pvf-mem]="podvolfs emptyDir Memory"
	SYS_STATUS[pvf-mem]=$status SYS_VOL[pvf-mem]=mem
}

# The DATA column of podvolfs system $1's volume in its pod's status:
# passthrough, daemon, daemon-refused or - (see podvolfs(8)).
pvf_data_path() {
	awk -v v="${SYS_VOL[$1]}" '$1 == v { print $6; f = 1; exit } END { exit !f }' \
		"${SYS_STATUS[$1]}" 2>/dev/null || echo unknown
}

# Unmounts $1 (FUSE or not); lazily if it is busy. True if it is gone.
unmount_one() {
	awk -v m="$1" '$5 == m { f = 1 } END { exit !f }' /proc/self/mountinfo || return 0
	fusermount3 -u "$1" 2>/dev/null || umount "$1" 2>/dev/null ||
		fusermount3 -u -z "$1" 2>/dev/null || umount -l "$1"
}

# Undoes everything: the QUIESCE functions, mounts in reverse order, then
# the STOPS functions, then every process (TERM, then KILL after 5 s), then
# the work directory. Safe to call twice.
bench_cleanup() {
	local i pid n

	for ((i = ${#QUIESCE[@]} - 1; i >= 0; i--)); do
		"${QUIESCE[i]}"
	done
	QUIESCE=()
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		unmount_one "${MOUNTS[i]}" || echo "bench: could not unmount ${MOUNTS[i]}" >&2
	done
	MOUNTS=()
	for ((i = ${#STOPS[@]} - 1; i >= 0; i--)); do
		"${STOPS[i]}"
	done
	STOPS=()
	for pid in "${PIDS[@]}"; do
		for n in $(seq 250); do
			kill -0 "$pid" 2>/dev/null || break
			[ "$n" = 50 ] && kill -TERM "$pid" 2>/dev/null
			[ "$n" = 200 ] && kill -KILL "$pid" 2>/dev/null
			sleep 0.02
		done
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
	if [ -n "${W:-}" ] && [ -d "$W" ] && [ "${KEEP:-0}" = 0 ]; then
		rm -rf --one-file-system "$W"
	fi
}
