# shellcheck shell=bash
#
# nfs.sh - a private nfs-ganesha server on 127.0.0.1 for the nfs cases.
# Source it after common.sh; it sources pods.sh, and skips the case unless
# it runs as root (ganesha's VFS backend opens files by handle).
#
# The server itself is tests/lib/ganesha.sh's, shared with bench/run.
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
# its pid at exit. The server keeps its configuration, logs and recovery
# directory in $TMPD/ganesha, logs there (its noise is not podvolfs's), and
# is stopped by the case's exit trap, also when the case fails.

. "$REPO/tests/lib/pods.sh"
. "$REPO/tests/lib/ganesha.sh"

_require_root
# rpcbind and rpcinfo live in /usr/sbin
PATH=$PATH:/usr/sbin:/sbin
_require_cmd ganesha.nfsd rpcbind rpcinfo

NFS_DIR=$TMPD/ganesha
NFS_EXPORT=
NFS_OPTS=

_nfs_pick_ports() {
	ganesha_pick_ports || _fail "no free ports for ganesha"
	NFS_OPTS=nfs_port=$NFS_PORT,nfs_mount_port=$NFS_MOUNT_PORT
}

_nfs_cleanup() {
	ganesha_stop
	ganesha_rpcbind_stop
}

nfs_server_setup() {
	[ -z "$NFS_PORT" ] || _fail "nfs_server_setup: done already (ports $NFS_PORT, $NFS_MOUNT_PORT)"
	NFS_EXPORT=$(realpath -m "${1:-$TMPD/export}")
	mkdir -p "$NFS_EXPORT"
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
	ganesha_start "$picked" || _fail "ganesha did not start"
	# the ports may have been picked again
	NFS_OPTS=nfs_port=$NFS_PORT,nfs_mount_port=$NFS_MOUNT_PORT
}

nfs_server_stop() {
	ganesha_stop
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
