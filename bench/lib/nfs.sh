# shellcheck shell=bash
#
# nfs.sh - the nfs benchmark of bench/run: an nfs volume against libnfs's
# own tools (libnfs-utils) on the same export of the same server, and its
# metadata work against the same work in the exported directory itself,
# the server's own floor.
#
# A private nfs-ganesha (tests/lib/ganesha.sh: VFS backend, NFSv3, free
# ports of 127.0.0.1) exports $W/nfs/export; one podvolfs daemon serves a
# pod whose one nfs volume is that export, given both ports. Setup makes
# NFS_MB MiB of random data on the local disk, and four files of NFS_MB/4
# MiB from it in the export. Each repetition records (as system "nfs"),
# in seconds:
#   pvf_write   dd bs=1M conv=fsync of the random file into the volume
#   cp_write    nfs-cp of it to the export, then an fsync of the file on
#               the server (what the volume's COMMIT costs; dd's fsync)
#   pvf_read    dd bs=1M of the volume's file, cold
#   cat_read    nfs-cat of nfs-cp's file, cold
#   pvf_read1   dd of one of the four files through the volume, cold
#   pvf_read4   four dd at once, one per file, through the volume, cold
#   pvf_create, pvf_stat, pvf_unlink
#               fsops meta of NFS_FILES files in the volume, cold
#   dir_create, dir_stat, dir_unlink
#               the same in the exported directory, cold
# The source file is read into the page cache before each write, so both
# writers read it from memory. "cold" is drop_caches (workloads.sh), which
# also drops the server's pages: every cold read reads the disk.

# rpcbind and rpcinfo live in /usr/sbin
PATH=$PATH:/usr/sbin:/sbin
. "$REPO/tests/lib/ganesha.sh"

nfs_stop() {
	ganesha_stop
	ganesha_rpcbind_stop
}

nfs_setup() {
	local m=$W/nfs/mnt status=$W/nfs/mnt/bench/nfs/status n i ok=0

	NFS_DESC="nfs-ganesha $(dpkg-query -W -f='${Version}' nfs-ganesha) (VFS backend, NFSv3) on 127.0.0.1, exporting a directory on the disk of the work directory; libnfs-utils $(dpkg-query -W -f='${Version}' libnfs-utils)"
	NFS_DIR=$W/nfs/ganesha
	NFS_EXPORT=$W/nfs/export
	NFS_VOL=$W/nfs/mnt/bench/nfs/volumes/share
	mkdir -p "$NFS_DIR" "$NFS_EXPORT/par" "$W/nfs/state" "$m" &&
		head -c "${NFS_MB}M" /dev/urandom >"$W/nfs/random" || return 1
	for i in 0 1 2 3; do
		dd if="$W/nfs/random" of="$NFS_EXPORT/par/$i" bs=1M count=$((NFS_MB / 4)) \
			skip=$((i * NFS_MB / 4)) status=none || return 1
	done
	STOPS+=(nfs_stop)
	ganesha_pick_ports && ganesha_start 1 || ok=1
	# the selftest checks that these are gone after cleanup
	PIDS+=(${NFS_SERVER_PID:+"$NFS_SERVER_PID"} ${NFS_RPCBIND_PID:+"$NFS_RPCBIND_PID"})
	[ "$ok" = 0 ] || return 1
	NFS_URL="nfs://127.0.0.1/export/cp-seq?nfsport=$NFS_PORT&mountport=$NFS_MOUNT_PORT"
	printf '%s\n' "apiVersion: v1" "kind: Pod" "metadata:" "  name: nfs" \
		"  namespace: bench" "spec:" "  containers:" "  - name: c" \
		"    image: busybox" "  volumes:" "  - name: share" "    nfs:" \
		"      server: 127.0.0.1" "      path: /export" >"$W/nfs/pod.yaml"
	# shellcheck disable=SC2086 # PODVOLFS_ARGS is a list of words
	spawn podvolfs-nfs "$PODVOLFS" "$W/nfs/pod.yaml" "$m" -f \
		-o "state=$W/nfs/state,nfs_port=$NFS_PORT,nfs_mount_port=$NFS_MOUNT_PORT${PODVOLFS_O:+,$PODVOLFS_O}" \
		${PODVOLFS_ARGS:-}
	MOUNTS+=("$m")
	wait_mounted "$m" fuse.podvolfs || return 1
	for ((n = 0; n < 600; n++)); do
		grep -Eq '^share +nfs[^ ]* +Ready( |$)' "$status" 2>/dev/null && break
		sleep 0.05
	done
	grep -Eq '^share +nfs[^ ]* +Ready( |$)' "$status" || {
		echo "bench: the nfs volume is not Ready after 30 s:" >&2
		cat "$status" >&2
		return 1
	}
}

# Copies $1 to nfs URL $2 with nfs-cp, then fsyncs the copy, $3, on the
# server.
nfs_cp() {
	nfs-cp "$1" "$2" >/dev/null && sync "$3"
}

# Reads every file named at once, each with its own dd; true if all did.
nfs_readers() {
	local f pids=() pid ok=0

	for f; do
		dd if="$f" of=/dev/null bs=1M status=none &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || ok=1
	done
	return "$ok"
}

# Records fsops meta's three lines (in $2) as ${1}_create and so on.
nfs_record_meta() {
	local op s

	while read -r op s; do
		record nfs "${1}_$op" "$s"
	done <<<"$2"
}

ph_nfs() {
	local v=$NFS_VOL e=$NFS_EXPORT out

	rm -f "$v/seq" "$e/cp-seq" && sync && cat "$W/nfs/random" >/dev/null &&
		timed dd if="$W/nfs/random" of="$v/seq" bs=1M conv=fsync status=none &&
		record nfs pvf_write "$ELAPSED" &&
		sync && cat "$W/nfs/random" >/dev/null &&
		timed nfs_cp "$W/nfs/random" "$NFS_URL" "$e/cp-seq" &&
		record nfs cp_write "$ELAPSED" || return 1

	drop_caches && timed dd if="$v/seq" of=/dev/null bs=1M status=none &&
		record nfs pvf_read "$ELAPSED" &&
		drop_caches && timed nfs-cat "$NFS_URL" >/dev/null &&
		record nfs cat_read "$ELAPSED" || return 1

	drop_caches && timed nfs_readers "$v/par/0" && record nfs pvf_read1 "$ELAPSED" &&
		drop_caches && timed nfs_readers "$v/par/0" "$v/par/1" "$v/par/2" "$v/par/3" &&
		record nfs pvf_read4 "$ELAPSED" || return 1

	# the volume is the export: each works in a directory of its own
	rm -rf "$v/meta" "$e/meta-direct" && mkdir "$v/meta" "$e/meta-direct" &&
		drop_caches && out=$("$BENCH_BIN/fsops" meta "$v/meta" "$NFS_FILES") &&
		nfs_record_meta pvf "$out" &&
		drop_caches && out=$("$BENCH_BIN/fsops" meta "$e/meta-direct" "$NFS_FILES") &&
		nfs_record_meta dir "$out" &&
		rmdir "$v/meta" "$e/meta-direct"
}

# Prints the nfs table from $W/results.tsv.
nfs_report() {
	awk -F'\t' -v mb="$NFS_MB" -v files="$NFS_FILES" -f "$REPO/bench/lib/median.awk" -f /dev/fd/3 "$W/results.tsv" 3<<'AWK'
	$2 == "nfs" { v[$3] = v[$3] " " $4 }
	function cell(s, work, unit) {
		if (s <= 0)
			return sprintf("%.3f s", s)
		return sprintf(s < 1 ? "%.3f s (%.0f %s)" : "%.2f s (%.0f %s)", s, work / s, unit)
	}
	# One row: the reference did rwork in rk seconds, podvolfs pwork in pk;
	# the ratio is podvolfs speed / reference speed, above 1 faster. target:
	# ">= N", "> N" or "".
	function row(label, ref, rk, rwork, pk, pwork, unit, target,    t, r, p, x, mark, goal) {
		split(target, t, " ")
		goal = target == "" ? "" : sprintf("%s %.2fx", t[1] == ">" ? ">" : "≥", t[2])
		if (!(rk in v) || !(pk in v)) {
			printf "| %s | %s | failed | failed | - | %s |\n", label, ref, goal
			return
		}
		r = median_of(v[rk]); p = median_of(v[pk])
		x = "-"
		if (r > 0 && p > 0) {
			x = (pwork / p) / (rwork / r)
			if (target != "")
				mark = (t[1] == ">" ? x > t[2] : x >= t[2]) ? " ✓" : " ✗"
			x = sprintf("%.2fx", x)
		}
		printf "| %s | %s | %s | %s | %s%s | %s |\n", label, ref,
			cell(r, rwork, unit), cell(p, pwork, unit), x, mark, goal
	}
	END {
		q = mb / 4
		print "| workload | reference | reference: time (rate) | podvolfs: time (rate) | podvolfs / reference | target |"
		print "|---|---|---|---|---|---|"
		row(sprintf("write %d MiB, 1 MiB blocks, fsync", mb), "nfs-cp local -> nfs, fsync",
			"cp_write", mb, "pvf_write", mb, "MiB/s", ">= 0.9")
		row(sprintf("read %d MiB, cold", mb), "nfs-cat",
			"cat_read", mb, "pvf_read", mb, "MiB/s", ">= 0.9")
		row(sprintf("4 readers of 4 files of %d MiB at once, cold", q), "podvolfs, 1 reader of 1 file",
			"pvf_read1", q, "pvf_read4", 4 * q, "MiB/s", "> 1")
		row(sprintf("create + write 100 B, %d files", files), "the exported directory",
			"dir_create", files, "pvf_create", files, "files/s", "")
		row(sprintf("stat, %d files", files), "the exported directory",
			"dir_stat", files, "pvf_stat", files, "files/s", "")
		row(sprintf("unlink, %d files", files), "the exported directory",
			"dir_unlink", files, "pvf_unlink", files, "files/s", "")
	}
AWK
}
