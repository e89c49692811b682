# shellcheck shell=bash
#
# pgbench.sh - PostgreSQL's pgbench on the systems a database would be put
# on: native ext4, podvolfs hostPath and disk emptyDir (and their
# passthrough=off twins), podvolfs Memory emptyDir and tmpfs. Sourced by
# bench/run, which sets W, LOGS, PG_SCALE and PG_SECS.
#
# pg_setup (once per system, untimed) makes a cluster with initdb in
# DIR/pg, owned by the postgres user, and fills it with pgbench -i -s
# PG_SCALE. Each repetition, ph_pgbench starts the server, runs pgbench
# -c 4 -j 2 -T PG_SECS (its TPC-B-like transactions, each commit waiting
# for the WAL's fsync: PostgreSQL's defaults), records the tps as workload
# "pgbench" and stops the server again, so that no server runs during the
# other phases.
#
# A server listens only on a unix socket, in a directory of its own under
# PG_SOCK (short, for the 107-byte limit of socket paths): listen_addresses
# is empty, so its port only names the socket and no TCP port can collide
# with another server's. pg_stop_all, which bench_cleanup runs before it
# unmounts anything, stops every server still running on any exit.

# the systems pgbench runs on; the others show no pgbench cell
PG_SYSTEMS=" native pvf-host pvf-disk pvf-sized pvf-host-off pvf-disk-off pvf-mem tmpfs "
PG_PORT=5432
# the bin directory of the newest PostgreSQL installed, or empty
PG_BIN=
PG_SOCK=
# every postmaster started, for the selftest to check that none is left
PG_PIDS=()
# system -> data directory of its running server
declare -A PG_DATA
# system -> 1 once its cluster is filled
declare -A PG_READY

# Sets PG_BIN to the newest /usr/lib/postgresql/N/bin with a server and
# pgbench; false if there is none.
pg_find() {
	local d

	PG_BIN=
	while read -r d; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/pgbench" ] && PG_BIN=$d
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V)
	[ -n "$PG_BIN" ]
}

# Installs Debian's postgresql (server, initdb, pg_ctl and pgbench) when no
# server is there. Not in tests/lib/deps: only bench/run needs it, and its
# selftest leaves pgbench out without it. Services stay stopped as in
# tests/lib/install-deps: the package's own cluster is not started.
pg_install() {
	local policy=/usr/sbin/policy-rc.d made=0 ok=0

	pg_find && return 0
	echo "bench: installing postgresql for the pgbench rows" >&2
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made=1
	fi
	apt-get update -qq </dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql </dev/null >&2 || ok=1
	[ "$made" = 0 ] || rm -f "$policy"
	[ "$ok" = 0 ] && pg_find
}

# Runs "$@" as the postgres user, from a directory it may enter.
pg_as() {
	(cd / && runuser -u postgres -- "$@")
}

# The version line of the server, for the report.
pg_version() {
	"$PG_BIN/postgres" --version
}

# Makes the socket directory; the work directory must let postgres through.
pg_prepare() {
	PG_SOCK=$(mktemp -d /tmp/pvf-pg.XXXXXX) && chown postgres: "$PG_SOCK" &&
		chmod 755 "$W" || return 1
	pg_as test -x "$W/native" || {
		echo "bench: the postgres user cannot reach $W: leaving out pgbench" >&2
		return 1
	}
}

# Makes and fills the cluster of system $1 in $2/pg.
pg_setup() {
	local s=$1 d=$2/pg

	mkdir -p "$PG_SOCK/$s" "$d" && chown postgres: "$PG_SOCK/$s" "$d" && chmod 700 "$d" &&
		: >"$LOGS/pg-$s-server.log" && chown postgres: "$LOGS/pg-$s-server.log" &&
		pg_as "$PG_BIN/initdb" -D "$d" -U postgres -A trust --no-sync --no-instructions \
			>>"$LOGS/pg-$s.log" 2>&1 &&
		pg_start "$s" "$2" || { pg_stop "$s"; return 1; }
	pg_as "$PG_BIN/pgbench" -h "$PG_SOCK/$s" -p "$PG_PORT" -U postgres -i -q \
		-s "$PG_SCALE" postgres >>"$LOGS/pg-$s.log" 2>&1 &&
		pg_stop "$s" && PG_READY[$s]=1
}

# Starts the server of system $1 (cluster in $2/pg) and waits until it
# accepts connections.
pg_start() {
	PG_DATA[$1]=$2/pg
	pg_as "$PG_BIN/pg_ctl" start -D "$2/pg" -w -t 120 -s -l "$LOGS/pg-$1-server.log" \
		-o "-k $PG_SOCK/$1 -p $PG_PORT -c listen_addresses=''" >>"$LOGS/pg-$1.log" 2>&1 &&
		PG_PIDS+=("$(head -n 1 "$2/pg/postmaster.pid")")
}

# Stops the server of system $1, if it runs, with mode $2 (default fast).
pg_stop() {
	local d=${PG_DATA[$1]:-}

	[ -n "$d" ] || return 0
	if [ -e "$d/postmaster.pid" ]; then
		pg_as "$PG_BIN/pg_ctl" stop -D "$d" -m "${2:-fast}" -w -t 120 -s \
			>>"$LOGS/pg-$1.log" 2>&1 || return 1
	fi
	unset "PG_DATA[$1]"
}

# Stops every server still running (immediately; KILL if that fails) and
# removes the socket directories. For bench_cleanup.
pg_stop_all() {
	local s pid

	for s in "${!PG_DATA[@]}"; do
		pg_stop "$s" immediate || echo "bench: pg_ctl could not stop the server of $s" >&2
	done
	for pid in "${PG_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	done
	[ -z "$PG_SOCK" ] || rm -rf "$PG_SOCK"
}

ph_pgbench() {
	local out status=0 tps

	[ -n "$PG_BIN" ] && [[ $PG_SYSTEMS == *" $1 "* ]] || return 0
	[ "${PG_READY[$1]:-0}" = 1 ] || {
		echo "bench: no PostgreSQL cluster on $1 (its setup failed)" >&2
		return 1
	}
	pg_start "$1" "$2" || { pg_stop "$1" immediate; return 1; }
	out=$(pg_as "$PG_BIN/pgbench" -h "$PG_SOCK/$1" -p "$PG_PORT" -U postgres \
		-c 4 -j 2 -T "$PG_SECS" postgres 2>>"$LOGS/pg-$1.log") || status=1
	pg_stop "$1" || status=1
	tps=$(awk '$1 == "tps" && $2 == "=" { print $3; exit }' <<<"$out")
	[ "$status" = 0 ] && [ -n "$tps" ] && record "$1" pgbench "$tps"
}
