# shellcheck shell=bash
#
# ganesha.sh - a private nfs-ganesha server on 127.0.0.1, for the nfs test
# cases (through tests/lib/nfs.sh) and for the nfs section of bench/run.
# It needs root (ganesha's VFS backend opens files by handle), bash and
# python3, and nothing of tests/lib/common.sh: every function returns
# non-zero and says why on stderr, and the caller decides what that means.
#
# Set before use:
#   NFS_DIR            where the configuration, the logs, the pid file and
#                      the recovery directory go (made by ganesha_start)
#   NFS_EXPORT         the directory served as /export
# Optional, read at each start:
#   NFS_SQUASH         Root_Squash makes uid 0 65534:65534 on the server
#                      (default No_Root_Squash)
#   NFS_DEBUG=1        logs everything ganesha does
#
#   ganesha_pick_ports sets $NFS_PORT (NFS) and $NFS_MOUNT_PORT (MOUNT) to
#                      two free ports of 127.0.0.1
#   ganesha_start [REPICK]
#                      makes sure an rpcbind answers, then starts ganesha
#                      (pid $NFS_SERVER_PID, log $NFS_LOG) serving
#                      $NFS_EXPORT as /export over NFSv3 (and v4) on those
#                      ports, and waits until both accept. REPICK=1: a port
#                      taken since it was picked is picked again (only when
#                      no client has been told the ports yet)
#   ganesha_stop       stops it (SIGTERM; SIGKILL after 10 s) and reaps it
#   ganesha_rpcbind_stop
#                      stops the rpcbind ganesha_start started, if it did
#                      ($NFS_RPCBIND_PID)
#
# ganesha exits at start when it cannot register NFSv3 with an rpcbind, so
# a running rpcbind is used, or one is started and left to the caller to
# stop. It listens on every address (rpcbind -h crashes on Debian 12) and
# holds one mapping per program for the whole machine, which every ganesha
# overwrites: clients are always given both ports. The server keeps its
# recovery directory in $NFS_DIR and is Graceless, so there is no grace
# period after a restart.

NFS_PORT=
NFS_MOUNT_PORT=
NFS_SERVER_PID=
# the current start's log
NFS_LOG=
NFS_RPCBIND_PID=
_NFS_STARTS=0

# Runs "$@" every 50 ms until it is true; false after $1 seconds.
_ganesha_until() {
	local n=$(($1 * 20))

	shift
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}

ganesha_pick_ports() {
	read -r NFS_PORT NFS_MOUNT_PORT < <(python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0))
b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])') && [ -n "$NFS_MOUNT_PORT" ] || {
		echo "no free ports for ganesha" >&2
		return 1
	}
}

# True if process $1 runs. Not kill -0: a zombie passes it.
_ganesha_alive() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	case ${stat%% *} in
	"" | Z | X) return 1 ;;
	esac
}

_ganesha_gone() {
	! _ganesha_alive "$1"
}

# Stops process $1: SIGTERM, SIGKILL if it still runs 10 s later; reaps it.
_ganesha_kill() {
	kill -TERM "$1" 2>/dev/null || true
	if ! _ganesha_until 10 _ganesha_gone "$1"; then
		echo "pid $1 survived SIGTERM for 10 s; killing it" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

_ganesha_rpcbind_answers() {
	timeout 5 rpcinfo -p 127.0.0.1 >/dev/null 2>&1
}

# rpcbind answers, or the one started as pid $1 is gone.
_ganesha_rpcbind_settled() {
	_ganesha_rpcbind_answers || _ganesha_gone "$1"
}

_ganesha_rpcbind() {
	local pid

	_ganesha_rpcbind_answers && return 0
	rpcbind -f </dev/null >>"$NFS_DIR/rpcbind.log" 2>&1 &
	pid=$!
	NFS_RPCBIND_PID=$pid
	_ganesha_until 10 _ganesha_rpcbind_settled "$pid" && _ganesha_rpcbind_answers || {
		echo "rpcbind did not start (see $NFS_DIR/rpcbind.log)" >&2
		return 1
	}
}

# True if 127.0.0.1:$1 accepts a connection.
_ganesha_accepts() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_ganesha_ready() {
	grep -q 'NFS SERVER INITIALIZED' "$NFS_LOG" 2>/dev/null &&
		_ganesha_accepts "$NFS_PORT" && _ganesha_accepts "$NFS_MOUNT_PORT"
}

# ganesha serves, or the one started as pid $1 is gone.
_ganesha_settled() {
	_ganesha_ready || _ganesha_gone "$1"
}

_ganesha_config() {
	cat >"$NFS_DIR/ganesha.conf" <<EOF
NFS_CORE_PARAM {
	NFS_Port = $NFS_PORT;
	MNT_Port = $NFS_MOUNT_PORT;
	# no lock manager, no quotas, no UDP: nothing else to listen on
	Enable_NLM = false;
	NLM_Port = 0;
	Enable_RQUOTA = false;
	Rquota_Port = 0;
	Enable_UDP = false;
	Bind_Addr = 127.0.0.1;
	Protocols = 3, 4;
	# the MOUNT path is the NFSv4 pseudo path: /export
	mount_path_pseudo = true;
}

NFSv4 {
	Graceless = true;
	# not the machine's /var/lib/nfs/ganesha, shared by every instance
	RecoveryBackend = fs;
	RecoveryRoot = $NFS_DIR/recovery;
	Only_Numeric_Owners = true;
}

NFS_KRB5 {
	Active_krb5 = false;
}

EXPORT_DEFAULTS {
	SecType = sys;
	Squash = ${NFS_SQUASH:-No_Root_Squash};
	Anonymous_Uid = 65534;
	Anonymous_Gid = 65534;
}

EXPORT {
	Export_Id = 1;
	Path = $NFS_EXPORT;
	Pseudo = /export;
	Access_Type = RW;
	Protocols = 3, 4;
	Transports = TCP;
	# changes made in the export directory show at once
	Attr_Expiration_Time = 0;
	FSAL {
		Name = VFS;
	}
}

LOG {
	Default_Log_Level = EVENT;
$([ -z "${NFS_DEBUG:-}" ] || echo "	Components { ALL = FULL_DEBUG; }")
}
EOF
}

# Starts ganesha once; true when it serves, else it is stopped again. Its
# pid is in NFS_SERVER_PID from the start, so that ganesha_stop in an exit
# trap also stops a server interrupted while starting.
_ganesha_launch() {
	_NFS_STARTS=$((_NFS_STARTS + 1))
	NFS_LOG=$NFS_DIR/ganesha-$_NFS_STARTS.log
	_ganesha_config || return 1
	# -F: in the foreground, so that $! is the server
	ganesha.nfsd -F -f "$NFS_DIR/ganesha.conf" -L "$NFS_LOG" \
		-p "$NFS_DIR/ganesha.pid" -N NIV_EVENT \
		</dev/null >>"$NFS_DIR/ganesha.out" 2>&1 &
	NFS_SERVER_PID=$!
	_ganesha_until 20 _ganesha_settled "$NFS_SERVER_PID" && _ganesha_alive "$NFS_SERVER_PID" &&
		return 0
	ganesha_stop
	return 1
}

ganesha_start() {
	local repick=${1:-0}

	if [ -n "$NFS_SERVER_PID" ]; then
		echo "ganesha runs already (pid $NFS_SERVER_PID)" >&2
		return 1
	fi
	mkdir -p "$NFS_DIR/recovery" && _ganesha_rpcbind || return 1
	for _ in 1 2 3; do
		_ganesha_launch && return 0
		[ "$repick" = 1 ] && grep -q 'Error binding' "$NFS_LOG" || break
		ganesha_pick_ports || return 1
	done
	echo "ganesha did not start on ports $NFS_PORT and $NFS_MOUNT_PORT; what went wrong in $NFS_LOG:" >&2
	grep -E ':(MAJ|CRIT|FATAL) :' "$NFS_LOG" | grep -v DBUS | tail -n 10 | sed 's/^/    /' >&2
	return 1
}

ganesha_stop() {
	[ -n "$NFS_SERVER_PID" ] || return 0
	_ganesha_kill "$NFS_SERVER_PID"
	NFS_SERVER_PID=
}

ganesha_rpcbind_stop() {
	[ -n "$NFS_RPCBIND_PID" ] || return 0
	_ganesha_kill "$NFS_RPCBIND_PID"
	NFS_RPCBIND_PID=
}
