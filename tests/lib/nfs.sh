# shellcheck shell=bash
#
# nfs.sh - a private nfs-ganesha server on 127.0.0.1 for the nfs cases.
# Source it after common.sh; it sources pods.sh, and skips the case unless
# it runs as root (ganesha's VFS backend opens files by handle).
#
#   nfs_server_setup [EXPORT_DIR]
#                      picks the server's ports, $NFS_PORT (NFS) and
#                      $NFS_MOUNT_PORT (MOUNT), and its export, $NFS_EXPORT
#                      (EXPORT_DIR, default $TMPD/export, made if missing),
#                      and sets $NFS_OPTS to "nfs_port=N,nfs_mount_port=M"
#                      for _mount_podvolfs -o; starts nothing (for a case
#                      that mounts before the server runs)
#   nfs_server_start [EXPORT_DIR]
#                      starts ganesha (pid $NFS_SERVER_PID) serving
#                      $NFS_EXPORT as /export over NFSv3 (and v4) and waits
#                      until both ports accept; sets up first if that was
#                      not done. Later starts use the same ports and
#                      export. Root is not squashed, unless NFS_SQUASH=
#                      Root_Squash is set for the start: then uid 0 is
#                      65534:65534 on the server. NFS_DEBUG=1 makes it log
#                      everything it does, to find why a case fails
#   nfs_server_stop    stops it (SIGTERM; SIGKILL after 10 s) and reaps it
#   nfs_server_restart [PAUSE]
#                      stops it, waits PAUSE seconds (default 0), and
#                      starts it again on the same ports
#   nfs_pod NAME [READONLY] [PATH]
#                      a Pod "NAME" with one container "app" mounting volume
#                      "share" at /share, the volume being nfs: {server:
#                      127.0.0.1, path: /export[/PATH], readOnly: READONLY
#                      (default false)}, written to $SRC/NAME.yaml
#
# ganesha exits at start when it cannot register NFSv3 with an rpcbind, so
# a running rpcbind is used, or one is started for the case and stopped by
# its pid at exit. It listens on every address (rpcbind -h crashes on
# Debian 12) and holds one mapping per program for the whole machine, which
# every ganesha overwrites: clients are always given both ports. The server
# keeps its configuration, logs and recovery directory (Graceless, so no
# grace period after a restart) in $TMPD/ganesha, logs there (its noise is
# not podvolfs's), and is stopped by the case's exit trap, also when the
# case fails.

. "$REPO/tests/lib/pods.sh"

_require_root
# rpcbind and rpcinfo live in /usr/sbin
PATH=$PATH:/usr/sbin:/sbin
_require_cmd ganesha.nfsd rpcbind rpcinfo

NFS_DIR=$TMPD/ganesha
NFS_EXPORT=
NFS_PORT=
NFS_MOUNT_PORT=
NFS_OPTS=
NFS_SERVER_PID=
# the current start's log
NFS_LOG=
_NFS_STARTS=0
_NFS_RPCBIND_PID=

# Two free TCP ports of 127.0.0.1, the kernel's picks (a race with another
# program is caught by ganesha failing to bind, and retried).
_nfs_free_ports() {
	python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0))
b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'
}

_nfs_pick_ports() {
	read -r NFS_PORT NFS_MOUNT_PORT < <(_nfs_free_ports) &&
		[ -n "$NFS_MOUNT_PORT" ] || _fail "no free ports for ganesha"
	NFS_OPTS=nfs_port=$NFS_PORT,nfs_mount_port=$NFS_MOUNT_PORT
}

# True if process $1 runs. Not kill -0: a zombie passes it.
_nfs_alive() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	case ${stat%% *} in
	"" | Z | X) return 1 ;;
	esac
}

# Stops process $1: SIGTERM, SIGKILL if it still runs 10 s later; reaps it.
_nfs_kill() {
	kill -TERM "$1" 2>/dev/null || true
	if ! _wait_for "! _nfs_alive $1" 10 2>/dev/null; then
		echo "pid $1 survived SIGTERM for 10 s; killing it" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

_nfs_rpcbind_answers() {
	timeout 5 rpcinfo -p 127.0.0.1 >/dev/null 2>&1
}

_nfs_rpcbind() {
	local pid

	_nfs_rpcbind_answers && return 0
	rpcbind -f </dev/null >>"$NFS_DIR/rpcbind.log" 2>&1 &
	pid=$!
	_NFS_RPCBIND_PID=$pid
	_wait_for "_nfs_rpcbind_answers || ! _nfs_alive $pid" 10 &&
		_nfs_rpcbind_answers ||
		_fail "rpcbind did not start (see $NFS_DIR/rpcbind.log)"
}

# True if 127.0.0.1:$1 accepts a connection.
_nfs_accepts() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_nfs_ready() {
	grep -q 'NFS SERVER INITIALIZED' "$NFS_LOG" 2>/dev/null &&
		_nfs_accepts "$NFS_PORT" && _nfs_accepts "$NFS_MOUNT_PORT"
}

_nfs_config() {
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
	# changes a case makes in the export directory show at once
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

# Starts ganesha once; true when it serves, else it is stopped again.
_nfs_launch() {
	local pid

	_NFS_STARTS=$((_NFS_STARTS + 1))
	NFS_LOG=$NFS_DIR/ganesha-$_NFS_STARTS.log
	_nfs_config
	# -F: in the foreground, so that $! is the server
	ganesha.nfsd -F -f "$NFS_DIR/ganesha.conf" -L "$NFS_LOG" \
		-p "$NFS_DIR/ganesha.pid" -N NIV_EVENT \
		</dev/null >>"$NFS_DIR/ganesha.out" 2>&1 &
	pid=$!
	if _wait_for "_nfs_ready || ! _nfs_alive $pid" 20 && _nfs_alive "$pid"; then
		NFS_SERVER_PID=$pid
		return 0
	fi
	_nfs_kill "$pid"
	return 1
}

_nfs_cleanup() {
	nfs_server_stop
	if [ -n "$_NFS_RPCBIND_PID" ]; then
		_nfs_kill "$_NFS_RPCBIND_PID"
		_NFS_RPCBIND_PID=
	fi
}

nfs_server_setup() {
	[ -z "$NFS_PORT" ] || _fail "nfs_server_setup: done already (ports $NFS_PORT, $NFS_MOUNT_PORT)"
	NFS_EXPORT=$(realpath -m "${1:-$TMPD/export}")
	mkdir -p "$NFS_EXPORT" "$NFS_DIR/recovery"
	_nfs_pick_ports
	_at_exit _nfs_cleanup
}

# shellcheck disable=SC2120 # EXPORT_DIR is optional
nfs_server_start() {
	local picked=0

	if [ -z "$NFS_PORT" ]; then
		nfs_server_setup "$@"
		picked=1
	elif [ $# -gt 0 ] && [ "$(realpath -m "$1")" != "$NFS_EXPORT" ]; then
		_fail "nfs_server_start: the server exports $NFS_EXPORT, not $1"
	fi
	[ -z "$NFS_SERVER_PID" ] || _fail "nfs_server_start: ganesha runs already (pid $NFS_SERVER_PID)"
	_nfs_rpcbind
	for _ in 1 2 3; do
		_nfs_launch && return 0
		# a port taken since it was picked: pick again, unless a
		# client may have been told the ports already
		[ "$picked" = 1 ] && grep -q 'Error binding' "$NFS_LOG" || break
		_nfs_pick_ports
	done
	echo "--- what went wrong in $NFS_LOG:" >&2
	grep -E ':(MAJ|CRIT|FATAL) :' "$NFS_LOG" | grep -v DBUS | tail -n 10 | sed 's/^/    /' >&2
	_fail "ganesha did not start on ports $NFS_PORT and $NFS_MOUNT_PORT"
}

nfs_server_stop() {
	[ -n "$NFS_SERVER_PID" ] || return 0
	_nfs_kill "$NFS_SERVER_PID"
	NFS_SERVER_PID=
}

nfs_server_restart() {
	[ -n "$NFS_SERVER_PID" ] || _fail "nfs_server_restart: ganesha does not run"
	nfs_server_stop
	sleep "${1:-0}"
	nfs_server_start
}

nfs_pod() {
	local name=$1 readonly=${2:-false} path=/export${3:+/$3}

	cat >"$SRC/$name.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  containers:
  - name: app
    image: busybox
    volumeMounts:
    - name: share
      mountPath: /share
  volumes:
  - name: share
    nfs:
      server: 127.0.0.1
      path: $path
      readOnly: $readonly
EOF
}
