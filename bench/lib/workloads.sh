# shellcheck shell=bash
#
# workloads.sh - the workloads of bench/run, one function per phase. A phase
# runs on one system's directory and records one or more results with
# "record SYSTEM WORKLOAD VALUE": rates in the unit of the workload's row
# (MiB/s, IOPS, files/s, inserts/s), times in seconds.
#
# These functions run under "|| ..." in bench/run, where errexit does not
# apply: every step is chained with && or ends in "|| return 1".
#
# Sizes (set by bench/run): SIZE_MB (the sequential file), WARM_LOOPS (how
# often the warm read reads it), RAND_MB (bytes
# read by the random-read job), NFILES (metadata and listing), TARBALL,
# SQL_ROWS. The pgbench phase is in pgbench.sh.

# Every workload: id|kind|row label. kind is "rate" (higher is better,
# ratio = system / reference) or "time" (seconds, ratio = reference /
# system), so a ratio above 1 always means faster than the reference.
WORKLOADS='write|rate|seq write, 1 MiB blocks (MiB/s)
read_cold|rate|seq read, cold (MiB/s)
read_warm|rate|seq read, warm (MiB/s)
rand_warm|rate|4 KiB random read, warm (IOPS)
par_cold|rate|4 parallel seq readers, cold (MiB/s)
create|rate|create + write 100 B (files/s)
stat|rate|stat (files/s)
unlink|rate|unlink (files/s)
readdir_cold|time|readdir, cold (ms)
readdir_warm|time|readdir, warm (ms)
ls_cold|time|ls -l, cold (ms)
ls_warm|time|ls -l, warm (ms)
tar_x|time|tar x (ms)
find_cold|time|find, cold (ms)
find_warm|time|find, warm (ms)
rm|time|rm -rf (ms)
sqlite|rate|SQLite inserts, synchronous=FULL (inserts/s)
pgbench|rate|pgbench, 4 clients, TPC-B-like (tps)'

# The phases, in the order each repetition runs them.
PHASES=(seqwrite readcold readwarm randwarm parcold meta listing tree sqlite pgbench)

record() {
	printf '%s\t%s\t%s\t%s\n' "$REP" "$1" "$2" "$3" >>"$W/results.tsv"
}

# Drops the page cache, dentries and inodes (not in --selftest, which must
# not disturb what else runs on the machine); DROPS counts them, so that
# bench/run can tell drops by other processes from its own.
DROPS=0
drop_caches() {
	sync || return 1
	[ "$mode" != selftest ] || return 0
	echo 3 >/proc/sys/vm/drop_caches && DROPS=$((DROPS + 1))
}

# Runs "$@" and sets ELAPSED to its wall time in seconds.
timed() {
	local t0=${EPOCHREALTIME/./} us

	"$@" || return 1
	us=$((${EPOCHREALTIME/./} - t0))
	ELAPSED=$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))
}

# fio with the options every job shares; prints the terse (v3) line.
# Caches are dropped explicitly, never by fio (invalidate=0), so that
# "warm" means warm.
fio_job() {
	fio --output-format=terse --terse-version=3 --ioengine=psync --direct=0 \
		--invalidate=0 --thread "$@"
}

# Field 7 of fio's terse output is the read bandwidth in KiB/s, 8 the read
# IOPS, 48 the write bandwidth.
fio_field() {
	awk -F';' -v f="$1" -v d="$2" 'NR == 1 && $5 == 0 { printf "%.1f\n", $f / d; ok = 1 } END { exit !ok }'
}

# Creates the files the read phases need but the write phase does not:
# the four files of the parallel readers, and the directory of NFILES
# entries that the listing phase reads. Not timed.
wl_setup() {
	local d=$2 out

	mkdir -p "$d/list" "$d/par" &&
		out=$(fio_job --name=par --directory="$d/par" --rw=read --bs=1M \
			--size=$((SIZE_MB / 4))M --numjobs=4 --create_only=1) &&
		out=$("$BENCH_BIN/fsops" fill "$d/list" "$NFILES")
}

ph_seqwrite() {
	local out v

	rm -f "$2/seq" && sync &&
		out=$(fio_job --name=seq --filename="$2/seq" --rw=write --bs=1M --size="${SIZE_MB}M") &&
		v=$(fio_field 48 1024 <<<"$out") && record "$1" write "$v" &&
		sync
}

ph_readcold() {
	local out v

	drop_caches &&
		out=$(fio_job --name=seq --filename="$2/seq" --rw=read --bs=1M --size="${SIZE_MB}M") &&
		v=$(fio_field 7 1024 <<<"$out") && record "$1" read_cold "$v"
}

# Reads the file once to warm it, then WARM_LOOPS times, measured.
ph_readwarm() {
	local out v

	out=$(fio_job --name=seq --filename="$2/seq" --rw=read --bs=1M --size="${SIZE_MB}M") &&
		out=$(fio_job --name=seq --filename="$2/seq" --rw=read --bs=1M --size="${SIZE_MB}M" --loops="$WARM_LOOPS") &&
		v=$(fio_field 7 1024 <<<"$out") && record "$1" read_warm "$v"
}

# The whole file was just read twice, so every page is cached (or, for a
# file system that does not cache, as warm as it gets).
ph_randwarm() {
	local out v

	out=$(fio_job --name=seq --filename="$2/seq" --rw=randread --bs=4k \
		--size="${SIZE_MB}M" --io_size="${RAND_MB}M") &&
		v=$(fio_field 8 1 <<<"$out") && record "$1" rand_warm "$v"
}

ph_parcold() {
	local out v

	drop_caches &&
		out=$(fio_job --name=par --directory="$2/par" --rw=read --bs=1M \
			--size=$((SIZE_MB / 4))M --numjobs=4 --group_reporting) &&
		v=$(fio_field 7 1024 <<<"$out") && record "$1" par_cold "$v"
}

ph_meta() {
	local out

	rm -rf "$2/meta" && mkdir "$2/meta" && drop_caches &&
		out=$("$BENCH_BIN/fsops" meta "$2/meta" "$NFILES") &&
		rmdir "$2/meta" || return 1
	while read -r op s; do
		record "$1" "$op" "$(awk -v n="$NFILES" -v s="$s" 'BEGIN { printf "%.1f\n", n / s }')"
	done <<<"$out"
}

ph_listing() {
	local out

	drop_caches &&
		out=$("$BENCH_BIN/fsops" readdir "$2/list") && record_readdir "$1" readdir_cold "$out" &&
		out=$("$BENCH_BIN/fsops" readdir "$2/list") && record_readdir "$1" readdir_warm "$out" &&
		drop_caches &&
		timed ls -l --color=never "$2/list" >/dev/null && record "$1" ls_cold "$ELAPSED" &&
		timed ls -l --color=never "$2/list" >/dev/null && record "$1" ls_warm "$ELAPSED"
}

# fsops prints "readdir SECONDS ENTRIES": keep SECONDS.
record_readdir() {
	local secs=${3#readdir }

	record "$1" "$2" "${secs%% *}"
}

ph_tree() {
	rm -rf "$2/tree" && mkdir "$2/tree" && drop_caches &&
		timed tar -xf "$TARBALL" -C "$2/tree" && record "$1" tar_x "$ELAPSED" &&
		drop_caches &&
		timed find "$2/tree" -name '*.h' -o -name '*.hpp' >/dev/null && record "$1" find_cold "$ELAPSED" &&
		timed find "$2/tree" -name '*.h' -o -name '*.hpp' >/dev/null && record "$1" find_warm "$ELAPSED" &&
		timed rm -rf "$2/tree" && record "$1" rm "$ELAPSED"
}

ph_sqlite() {
	rm -f "$2"/bench.db* &&
		timed sqlite3 "$2/bench.db" <"$W/inserts.sql" >/dev/null &&
		record "$1" sqlite "$(awk -v n="$SQL_ROWS" -v s="$ELAPSED" 'BEGIN { printf "%.1f\n", n / s }')" &&
		rm -f "$2"/bench.db*
}

# One transaction per row, each committed with fsync (synchronous=FULL, the
# rollback journal): the pattern of an application saving small records.
make_inserts_sql() {
	{
		echo 'PRAGMA synchronous=FULL;'
		echo 'PRAGMA journal_mode=DELETE;'
		echo 'CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);'
		for ((i = 0; i < SQL_ROWS; i++)); do
			echo "INSERT INTO t(v) VALUES('row $i: the quick brown fox jumps over the lazy dog');"
		done
	} >"$W/inserts.sql"
}
