# shellcheck shell=bash
#
# common.sh - what every case under tests/cases/ sources first.
#
#   . "$REPO/tests/lib/common.sh"
#
# Sourcing it turns on errexit, nounset and pipefail (set -eu -o pipefail):
# any failing command fails the case, and an ERR trap says which line. Chain
# steps with && and end loops with "|| return 1" / "|| _fail ..." so a
# failure cannot slip by. The helpers below stop the case themselves: they
# call exit, so do not call them inside $( ) or a pipeline, where exit would
# only leave a subshell.
#
# Environment, set by tests/run for each case (see tests/README.md):
#   REPO      the repository root           BUILD     build directory (build)
#   PODVOLFS  $REPO/$BUILD/podvolfs         HELPERS   $REPO/$BUILD/tests/helpers
#   CASE_NAME e.g. emptydir/memory          CASE_OUT  tests/out/$CASE_NAME
#   MNT SRC STATE TMPD LOGS   private, empty directories in $CASE_OUT
# The case runs with $CASE_OUT as its working directory, alone in its own
# process group, LC_ALL=C. Exit 0 passes, 77 skips (_notrun), anything else
# fails. Every $LOGS/*.log is scanned afterwards (see _allow_log).
#
# Helpers:
#   _at_exit CMD [ARGS...]     run at exit, last registered first; one
#                              argument is eval'ed as a shell string
#   _notrun REASON             skip the case (exit 77)
#   _require_cmd CMD...        fail unless every CMD is installed and
#                              listed with its package in tests/lib/deps
#   _require_root              skip unless running as root
#   _require_fuse              skip unless /dev/fuse and fusermount3 exist
#   _libfuse_at_least VERSION  true if $PODVOLFS was built with libfuse
#                              VERSION (such as 3.17) or later
#   _tmpfile_hold DIR BYTES    an unnamed file of BYTES in DIR (tests/
#                              helpers/tmpfile.c), written and held open
#                              until _tmpfile_close, which fails unless
#                              the helper ends well
#   _fail MSG                  fail the case now
#   _assert_eq ACTUAL EXPECTED MSG
#   _assert_errno ERRNO [--as UID[:GID]] OP ARGS...
#                              runs "errno-of OP ARGS" (tests/helpers/
#                              errno-of.c), which prints the real errno's
#                              name; ERRNO is a name such as EROFS, or 0
#   _wait_for COND [TIMEOUT]   eval COND every 50 ms until it is true;
#                              returns 1 after TIMEOUT s (default 10)
#   _as_user UID[:GID] CMD...  run an executable (not a function) as UID,
#                              with GID (default UID) and no other groups
#   _mount_podvolfs SOURCE [-o OPTS] [ARGS...]
#                              start "$PODVOLFS SOURCE $MNT -f
#                              -o state=$STATE[,OPTS] [ARGS...]", output to
#                              $LOGS/podvolfs.log, and wait (10 s at most)
#                              until $MNT is a live fuse.podvolfs mount (a
#                              dead one there is the daemon's to replace,
#                              not an error). To mount
#                              elsewhere, set MNT for the call:
#                              MNT=$TMPD/m2 _mount_podvolfs ...
#                              To start the daemon under a command
#                              that execs it (prlimit, setpriv), set
#                              PODVOLFS_WRAPPER to that command line,
#                              split at spaces: PODVOLFS_WRAPPER=
#                              "prlimit --nofile=64:64 --"
#   _umount_podvolfs [MNT]     fusermount3 -u, then the daemon must exit
#                              with status 0 within 10 s
#   _restart_podvolfs          unmount, then mount the last SOURCE/OPTS again
#   _kill_podvolfs [SIG] [MNT] [leave]
#                              kill the daemon (default SIGKILL), reap it
#                              and detach its dead mount (with "leave", the
#                              dead mount stays); for crash tests
#   _podvolfs_pid [MNT]        print the daemon's pid
#   _is_podvolfs_mount PATH    true if PATH is a fuse.podvolfs mount point
#   _mount_options PATH        print the per-mount options ("ro,nosuid,...")
#   _allow_log REGEX           a log line matching REGEX (grep -E) does not
#                              fail the case; appended to $LOGS/allowed
#   _expect_log REGEX [TIMEOUT]
#                              wait until podvolfs.log has a line matching
#                              REGEX, and allow that line
#
# The EXIT trap runs the _at_exit commands, then unmounts every podvolfs
# the case mounted and still has, checking each daemon exits with status 0
# (a daemon that fails to exit cleanly fails a case that would pass), and
# kills the case's remaining background jobs. An aborted case leaks nothing.
#
# Variants: a case may be three lines that set variables and source a
# shared body kept in tests/lib/ (which sources this file itself), e.g.
# tests/cases/emptydir/memory.sh:
#
#   # TIMEOUT: 60
#   MEDIUM=Memory
#   . "$REPO/tests/lib/emptydir.sh"
#
# The body reads ${MEDIUM:-} and so on. Files in tests/lib/ are never run
# as cases; every *.sh under tests/cases/ is one.

set -eu -o pipefail
set -E

# Defaults for a case run by hand, outside tests/run and repro.sh.
: "${REPO:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=build}"
: "${PODVOLFS:=$REPO/$BUILD/podvolfs}"
: "${HELPERS:=$REPO/$BUILD/tests/helpers}"
if [ -z "${CASE_OUT:-}" ]; then
	CASE_OUT=$(mktemp -d /tmp/podvolfs-case.XXXXXX)
	mkdir "$CASE_OUT"/{mnt,src,state,tmp,logs}
	echo "# outside tests/run: working in $CASE_OUT" >&2
fi
: "${CASE_NAME:=$(basename "$0" .sh)}"
: "${MNT:=$CASE_OUT/mnt}" "${SRC:=$CASE_OUT/src}" "${STATE:=$CASE_OUT/state}"
: "${TMPD:=$CASE_OUT/tmp}" "${LOGS:=$CASE_OUT/logs}"
export REPO BUILD PODVOLFS HELPERS CASE_OUT CASE_NAME MNT SRC STATE TMPD LOGS

: "${PODVOLFS_FSTYPE:=fuse.podvolfs}"

_AT_EXIT=()
# daemons this case started and has not stopped; same index, same daemon
_PVF_PIDS=()
_PVF_MNTS=()
# what _restart_podvolfs mounts again
_PVF_LAST_SOURCE=
_PVF_LAST_OPTS=
_PVF_LAST_ARGS=()

# "FILE:LINE" of the innermost caller outside this file.
_where() {
	local n=0 frame line file

	while frame=$(caller "$n"); do
		read -r line _ file <<<"$frame"
		[ "$file" = "${BASH_SOURCE[0]}" ] || break
		n=$((n + 1))
	done
	echo "${file:-?}:${line:-?}"
}

_fail() {
	echo "FAIL ($(_where)): $*" >&2
	exit 1
}

_notrun() {
	echo "notrun: $*" >&2
	exit 77
}

_at_exit() {
	[ $# -gt 0 ] || _fail "_at_exit: no command"
	if [ $# -eq 1 ]; then
		_AT_EXIT+=("$1")
	else
		_AT_EXIT+=("$(printf '%q ' "$@")")
	fi
}

# The package tests/lib/deps names for command $1, or nothing.
_package_of_cmd() {
	awk -v c="$1" '!/^#/ && sub(/:/, " ") { for (i = 2; i <= NF; i++) if ($i == c) { print $1; exit } }' \
		"$REPO/tests/lib/deps"
}

# A missing command fails the case instead of skipping it: make check has
# installed every package tests/lib/deps lists, so a command missing there
# is a missing install step, not a machine without the tool.
_require_cmd() {
	local c pkg

	for c in "$@"; do
		pkg=$(_package_of_cmd "$c")
		[ -n "$pkg" ] || _fail "command $c is not in tests/lib/deps: list it with its package"
		PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null 2>&1 ||
			_fail "missing command: $c (package $pkg: run 'make install-deps' as root)"
	done
}

_require_root() {
	[ "$(id -u)" = 0 ] || _notrun "needs root"
}

_require_fuse() {
	[ -c /dev/fuse ] || _notrun "no /dev/fuse"
	_require_cmd fusermount3
}

_libfuse_at_least() {
	local built

	built=$("$PODVOLFS" --version | sed -n 's/.*(libfuse \([0-9]*\.[0-9]*\).*/\1/p')
	[ -n "$built" ] && [ "$(printf '%s\n' "$1" "$built" | sort -V | head -1)" = "$1" ]
}

_tmpfile_hold() {
	mkfifo "$TMPD/tmpfile-go"
	"$HELPERS/tmpfile" "$1" "$2" --hold <"$TMPD/tmpfile-go" >"$TMPD/tmpfile-out" &
	_TMPFILE_PID=$!
	exec 5>"$TMPD/tmpfile-go"
	_wait_for "grep -qx ready '$TMPD/tmpfile-out'" ||
		_fail "the unnamed file in $1 was not written: $(cat "$TMPD/tmpfile-out")"
}

_tmpfile_close() {
	echo >&5
	exec 5>&-
	wait "$_TMPFILE_PID"
	_assert_eq "$(tail -1 "$TMPD/tmpfile-out")" 0 "the unnamed file's close"
	rm "$TMPD/tmpfile-go"
}

_assert_eq() {
	[ "$1" = "$2" ] || _fail "${3:-values differ}: got '$1', expected '$2'"
}

_assert_errno() {
	local want=$1 got
	local as=()

	shift
	if [ "${1:-}" = --as ]; then
		as=(_as_user "$2")
		shift 2
	fi
	[ -x "$HELPERS/errno-of" ] || _fail "$HELPERS/errno-of is not built (make helpers)"
	got=$("${as[@]}" "$HELPERS/errno-of" "$@") ||
		_fail "errno-of $* did not run (status $?)"
	[ "$got" = "$want" ] || _fail "$*: expected $want, got $got"
}

# Microseconds since the epoch, for deadlines.
_now_us() {
	local t=${EPOCHREALTIME//[.,]/}

	echo "$t"
}

_wait_for() {
	local cond=$1 timeout=${2:-10} deadline

	deadline=$(($(_now_us) + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1000000 }')))
	until eval "$cond"; do
		if [ "$(_now_us)" -ge "$deadline" ]; then
			echo "timed out after ${timeout}s waiting for: $cond" >&2
			return 1
		fi
		sleep 0.05
	done
}

_as_user() {
	local uid=${1%%:*} gid

	gid=${1#*:}
	shift
	setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
}

# The top-most mountinfo line for PATH, in one "fstype<TAB>options" line.
_mountinfo() {
	local path

	path=$(realpath -m "$1")
	# mountinfo escapes space, tab, newline and backslash as octal
	path=${path//\\/\\134}
	path=${path// /\\040}
	path=${path//$'\t'/\\011}
	path=${path//$'\n'/\\012}
	awk -v p="$path" '
		$5 == p {
			for (i = 7; $i != "-"; i++)
				;
			line = $(i + 1) "\t" $6
		}
		END { if (line != "") print line }' /proc/self/mountinfo
}

_is_podvolfs_mount() {
	local info

	info=$(_mountinfo "$1")
	[ "${info%%$'\t'*}" = "$PODVOLFS_FSTYPE" ]
}

_mount_options() {
	local info

	info=$(_mountinfo "$1")
	[ -n "$info" ] || _fail "$1 is not a mount point"
	echo "${info#*$'\t'}"
}

# Index of the tracked daemon mounted at $1, or nothing.
_pvf_index() {
	local i found=

	for i in "${!_PVF_MNTS[@]}"; do
		if [ "${_PVF_MNTS[i]}" = "$1" ]; then
			found=$i
		fi
	done
	echo "$found"
}

_pvf_forget() {
	unset "_PVF_PIDS[$1]" "_PVF_MNTS[$1]"
}

_podvolfs_pid() {
	local i

	i=$(_pvf_index "${1:-$MNT}")
	[ -n "$i" ] || _fail "no podvolfs of this case at ${1:-$MNT}"
	echo "${_PVF_PIDS[i]}"
}

_log_tail() {
	[ -f "$LOGS/podvolfs.log" ] || return 0
	echo "--- last lines of $LOGS/podvolfs.log:" >&2
	tail -n 20 "$LOGS/podvolfs.log" | sed 's/^/    /' >&2
}

_mount_podvolfs() {
	local src=${1:?_mount_podvolfs SOURCE [-o OPTS] [ARGS...]}
	local opts="" pid i status deadline

	shift
	if [ "${1:-}" = -o ]; then
		opts=${2:?-o needs options}
		shift 2
	fi
	[ -x "$PODVOLFS" ] || _fail "$PODVOLFS is not built (make)"
	_is_podvolfs_mount "$MNT" || mkdir -p "$MNT"
	# a dead mount (its daemon killed) is the daemon's to replace; statfs
	# is never answered from the kernel's cache
	! { _is_podvolfs_mount "$MNT" && stat -f "$MNT" >/dev/null 2>&1; } ||
		_fail "$MNT is already mounted"

	# shellcheck disable=SC2086 # a command line, split into its words
	${PODVOLFS_WRAPPER:-} "$PODVOLFS" "$src" "$MNT" -f \
		-o "state=$STATE${opts:+,$opts}" "$@" \
		>>"$LOGS/podvolfs.log" 2>&1 </dev/null &
	pid=$!
	_PVF_PIDS+=("$pid")
	_PVF_MNTS+=("$MNT")
	i=$((${#_PVF_PIDS[@]} - 1))
	_PVF_LAST_SOURCE=$src
	_PVF_LAST_OPTS=$opts
	_PVF_LAST_ARGS=("$@")

	deadline=$(($(_now_us) + 10000000))
	until _is_podvolfs_mount "$MNT" && stat -f "$MNT" >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			status=0
			wait "$pid" || status=$?
			_pvf_forget "$i"
			_log_tail
			_fail "podvolfs exited with status $status before mounting $MNT"
		fi
		if [ "$(_now_us)" -ge "$deadline" ]; then
			_log_tail
			_fail "$MNT is not a $PODVOLFS_FSTYPE mount after 10 s"
		fi
		sleep 0.02
	done
}

# Waits up to $2 seconds for pid $1 to exit; true if it did.
_pvf_wait_exit() {
	local deadline=$(($(_now_us) + $2 * 1000000))

	while kill -0 "$1" 2>/dev/null; do
		[ "$(_now_us)" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

# Unmounts and reaps tracked daemon $1. Prints what went wrong and returns
# non-zero instead of exiting, so that the EXIT trap can use it too.
_pvf_stop() {
	local pid=${_PVF_PIDS[$1]} mnt=${_PVF_MNTS[$1]} status=0 ret=0

	if _is_podvolfs_mount "$mnt" && ! fusermount3 -u "$mnt"; then
		echo "fusermount3 -u $mnt failed; detaching it lazily" >&2
		fusermount3 -u -z "$mnt" || umount -l "$mnt"
		ret=1
	fi
	if ! _pvf_wait_exit "$pid" 10; then
		echo "podvolfs (pid $pid) still runs 10 s after unmounting $mnt; killing it" >&2
		kill -KILL "$pid" 2>/dev/null
		ret=1
	fi
	wait "$pid" 2>/dev/null || status=$?
	if [ "$ret" = 0 ] && [ "$status" != 0 ]; then
		echo "podvolfs (pid $pid) exited with status $status after unmounting $mnt" >&2
		ret=1
	fi
	_pvf_forget "$1"
	return "$ret"
}

# shellcheck disable=SC2120 # MNT is optional
_umount_podvolfs() {
	local mnt=${1:-$MNT} i

	i=$(_pvf_index "$mnt")
	[ -n "$i" ] || _fail "no podvolfs of this case is mounted at $mnt"
	_pvf_stop "$i" || { _log_tail; _fail "unmounting $mnt did not go cleanly"; }
}

_restart_podvolfs() {
	[ -n "$_PVF_LAST_SOURCE" ] || _fail "_restart_podvolfs: nothing was mounted"
	_umount_podvolfs "$MNT"
	if [ -n "$_PVF_LAST_OPTS" ]; then
		_mount_podvolfs "$_PVF_LAST_SOURCE" -o "$_PVF_LAST_OPTS" "${_PVF_LAST_ARGS[@]}"
	else
		_mount_podvolfs "$_PVF_LAST_SOURCE" "${_PVF_LAST_ARGS[@]}"
	fi
}

_kill_podvolfs() {
	local sig=${1:-KILL} mnt=${2:-$MNT} leave=${3:-} i pid

	i=$(_pvf_index "$mnt")
	[ -n "$i" ] || _fail "no podvolfs of this case is mounted at $mnt"
	pid=${_PVF_PIDS[i]}
	kill -"$sig" "$pid"
	_pvf_wait_exit "$pid" 10 || _fail "podvolfs (pid $pid) survived SIG$sig"
	wait "$pid" 2>/dev/null || true
	_pvf_forget "$i"
	# a dead daemon leaves an unconnected mount behind, which the next
	# daemon replaces; detached here unless the case wants it left
	if [ "$leave" != leave ] && _is_podvolfs_mount "$mnt"; then
		fusermount3 -u -z "$mnt" || umount -l "$mnt"
	fi
}

_allow_log() {
	printf '%s\n' "$1" >>"$LOGS/allowed"
}

_expect_log() {
	local re=$1

	_wait_for "grep -qE -- $(printf '%q' "$re") $(printf '%q' "$LOGS/podvolfs.log") 2>/dev/null" \
		"${2:-10}" || { _log_tail; _fail "podvolfs.log has no line matching '$re'"; }
	_allow_log "$re"
}

_on_err() {
	echo "FAIL (${BASH_SOURCE[1]:-?}:$1): '$2' exited with status $3" >&2
}

_cleanup() {
	local status=$? i

	set +e
	trap - ERR
	# a working directory inside a mount would keep it busy
	cd "$CASE_OUT" 2>/dev/null || cd /
	for ((i = ${#_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${_AT_EXIT[i]}"
	done
	for i in "${!_PVF_PIDS[@]}"; do
		if ! _pvf_stop "$i"; then
			_log_tail
			[ "$status" = 0 ] || [ "$status" = 77 ] && status=1
		fi
	done
	for i in $(jobs -p); do
		kill "$i" 2>/dev/null
	done
	exit "$status"
}

trap '_on_err "$LINENO" "$BASH_COMMAND" "$?"' ERR
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
