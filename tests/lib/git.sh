# shellcheck shell=bash
#
# git.sh - repositories and git servers on 127.0.0.1 for the gitRepo cases.
# Source it after common.sh.
#
#   git_work NAME              a new work tree $TMPD/work/NAME on branch main;
#                              commit in it with git_commit
#   git_commit NAME MSG        commits everything in work tree NAME
#   git_publish NAME           (re)publishes work tree NAME as the bare
#                              repository $REPOS/NAME.git, every branch and tag
#   git_big NAME MIB           publishes NAME.git: MIB MiB of incompressible
#                              data in 100 KiB files, for clones that take
#                              a while through a slow proxy
#   git_daemon_start           serves $REPOS at git://127.0.0.1:$GIT_PORT/
#                              (pid $GIT_DAEMON_PID)
#   git_http_start             serves $REPOS at http://127.0.0.1:$HTTP_PORT/git/
#                              (lighttpd running git http-backend as CGI)
#   git_proxy_start PORT [ARGS...]
#                              a tcp-proxy.py in front of PORT (--rate N,
#                              --stall-after N), listening on $PROXY_PORT
#   git_helpers                pids of this case's clone processes
#
# It sources pods.sh, whose vol_field and wait_state read the volumes' states.
#
# Servers pick free ports, log into $TMPD (their noise is not podvolfs's),
# and are stopped by the case's exit trap, also when it fails. Repositories
# are made with no host configuration (GIT_CONFIG_NOSYSTEM, an empty HOME).

. "$REPO/tests/lib/pods.sh"

REPOS=$TMPD/repos
mkdir -p "$REPOS" "$TMPD/work" "$TMPD/githome"
export GIT_CONFIG_NOSYSTEM=1 HOME=$TMPD/githome
export GIT_AUTHOR_NAME=podvolfs GIT_AUTHOR_EMAIL=tests@podvolfs.invalid
export GIT_COMMITTER_NAME=podvolfs GIT_COMMITTER_EMAIL=tests@podvolfs.invalid

git_work() {
	rm -rf "$TMPD/work/$1" && git init -q -b main "$TMPD/work/$1"
}

git_commit() {
	git -C "$TMPD/work/$1" add -A && git -C "$TMPD/work/$1" commit -q -m "$2"
}

git_publish() {
	local bare=$REPOS/$1.git

	[ -d "$bare" ] || git init -q --bare "$bare"
	git -C "$TMPD/work/$1" push -q --force --mirror "$bare" &&
		git -C "$bare" symbolic-ref HEAD refs/heads/main
}

git_big() {
	local i

	git_work "$1"
	mkdir "$TMPD/work/$1/data"
	for i in $(seq $(($2 * 10))); do
		head -c 102400 /dev/urandom >"$TMPD/work/$1/data/blob$i"
	done
	echo "$1" >"$TMPD/work/$1/README"
	git_commit "$1" "$2 MiB of noise" && git_publish "$1"
}

# A free TCP port of 127.0.0.1 (the kernel's pick; a race with another
# case is caught by the server failing to start, and retried).
_free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Stops the server with pid $1 and reaps it.
_stop_server() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# Waits until "git ls-remote $1" answers or pid $2 died; false if it died.
_server_ready() {
	local i

	for i in $(seq 200); do
		kill -0 "$2" 2>/dev/null || return 1
		git ls-remote "$1" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

git_daemon_start() {
	local try pid

	for try in 1 2 3; do
		GIT_PORT=$(_free_port)
		"$(git --exec-path)/git-daemon" --export-all --base-path="$REPOS" \
			--listen=127.0.0.1 --port="$GIT_PORT" --reuseaddr "$REPOS" \
			>>"$TMPD/git-daemon.log" 2>&1 </dev/null &
		pid=$!
		_at_exit _stop_server "$pid"
		GIT_DAEMON_PID=$pid
		_server_ready "git://127.0.0.1:$GIT_PORT/$(cd "$REPOS" && ls -d -- *.git | head -1)" "$pid" &&
			return 0
		_stop_server "$pid"
	done
	_fail "git daemon did not start (see $TMPD/git-daemon.log)"
}

git_http_start() {
	local try pid conf=$TMPD/lighttpd.conf

	for try in 1 2 3; do
		HTTP_PORT=$(_free_port)
		cat >"$conf" <<EOF
server.document-root = "$REPOS"
server.bind = "127.0.0.1"
server.port = $HTTP_PORT
server.errorlog = "$TMPD/lighttpd.log"
server.modules = ( "mod_alias", "mod_setenv", "mod_cgi" )
alias.url = ( "/git/" => "$(git --exec-path)/git-http-backend/" )
\$HTTP["url"] =~ "^/git/" {
    cgi.assign = ( "" => "" )
    setenv.set-environment = ( "GIT_PROJECT_ROOT" => "$REPOS", "GIT_HTTP_EXPORT_ALL" => "1" )
}
EOF
		lighttpd -D -f "$conf" </dev/null >>"$TMPD/lighttpd.log" 2>&1 &
		pid=$!
		_at_exit _stop_server "$pid"
		_server_ready "http://127.0.0.1:$HTTP_PORT/git/$(cd "$REPOS" && ls -d -- *.git | head -1)" "$pid" &&
			return 0
		_stop_server "$pid"
	done
	_fail "lighttpd did not start (see $TMPD/lighttpd.log)"
}

git_proxy_start() {
	local target=$1 portfile pid

	shift
	portfile=$TMPD/proxy.$RANDOM.port
	python3 "$REPO/tests/lib/tcp-proxy.py" "$portfile" "$target" "$@" \
		</dev/null >>"$TMPD/proxy.log" 2>&1 &
	pid=$!
	_at_exit _stop_server "$pid"
	_wait_for "[ -s $portfile ]" 10 || _fail "tcp-proxy.py did not start"
	PROXY_PORT=$(cat "$portfile")
}

git_helpers() {
	pgrep -f -- "^podvolfs-git .*$STATE/" || true
}
